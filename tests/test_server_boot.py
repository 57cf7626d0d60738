"""The server boot script, run for real: the user data of the Forge-style golden case, executed
by bash in a temporary root (a user and mount namespace: /etc, /srv, /home, /var/log and the
command folders and /opt are the test's own), with recording stand-ins on PATH for everything
that touches the machine or AWS (systemctl, aws, curl, useradd, runuser, package managers, php,
composer, node, npm; the CloudWatch agent's package puts a recording amazon-cloudwatch-agent-ctl
in /opt). Every other command is a copy of the real one from a fixed list of what
Ubuntu 24.04 and Amazon Linux 2023 images have: a command the script needs that is neither on
the list nor installed by a recipe is "command not found", and the boot fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cloudc.compile import compile_config

GOLDEN = Path(__file__).parent / "golden" / "servers_forge"
STACK = "shop-production-Servers-1ABC"
ACCOUNT, REGION = "123456789012", "us-east-1"
INSTANCE = "i-0123456789abcdef0"
# Base commands present on Ubuntu 24.04 and Amazon Linux 2023 images before any recipe runs
# (coreutils, util-linux, systemd, findutils, grep, sed, gawk, tar, gzip, unzip, curl).
BASE = ("bash", "cat", "chmod", "cp", "cut", "date", "env", "head", "id", "ln", "ls", "mkdir",
        "mktemp", "mv", "rm", "sed", "grep", "seq", "tail", "tee", "tr", "uname", "awk",
        "tar", "gzip", "unzip", "jq")
# Recording stand-ins: each appends its name and arguments to $CLOUDC_TEST_LOG, then acts.
STANDINS: dict[str, str] = {
    "systemctl": """case "$1" in
  list-unit-files) ;;
  show) echo 0 ;;
esac""",
    "aws": """if [ "$1 $2" = "s3 cp" ]; then cp "$CLOUDC_TEST_ZIP" "${@: -1}"; fi
if [ "$1" = secretsmanager ]; then echo '{"password":"pw-from-secrets-manager"}'; fi
if [ "$1" = ssm ]; then echo value-from-ssm; fi
if [ "$1" = cloudformation ]; then exit "${CLOUDC_TEST_SIGNAL_RC:-0}"; fi""",
    "curl": """case "$*" in
  *latest/api/token*) echo token ;;
  *placement/region*) echo us-east-1 ;;
  *meta-data/instance-id*) echo i-0123456789abcdef0 ;;
  *127.0.0.1*) exit "${CLOUDC_TEST_HEALTH_RC:-0}" ;;
  *amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/*/latest/amazon-cloudwatch-agent.deb)
    [ -z "${CLOUDC_TEST_NO_AGENT:-}" ] || exit 22
    while [ "$1" != -o ]; do shift; done; echo deb > "$2" ;;
  *) echo "unexpected download: $*" >&2; exit 1 ;;
esac""",
    "useradd": """echo "app:x:$(id -u):$(id -g)::/home/app:/bin/bash" >> /etc/passwd
echo "app:x:$(id -g):" >> /etc/group
mkdir -p /home/app""",
    "runuser": """while [ "$1" != -- ]; do shift; done; shift; "$@\"""",
    "chown": "",
    "install": """args=(); while [ $# -gt 0 ]; do
  case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac
done
exec install.real "${args[@]}\"""",
    # The agent's packages install a recording amazon-cloudwatch-agent-ctl where AWS puts it.
    "dpkg": """if [ "$1 $2" = "-i -E" ] && [ "$(cat "$3")" = deb ]; then cloudc-test-agent; fi""",
    "dnf": """case " $* " in *" amazon-cloudwatch-agent "*) cloudc-test-agent ;; esac""",
    "cloudc-test-agent": """mkdir -p /opt/aws/amazon-cloudwatch-agent/bin
cat > /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl <<'CTL'
#!/bin/bash
printf "%s\\n" "amazon-cloudwatch-agent-ctl $*" >> "$CLOUDC_TEST_LOG"
exit "${CLOUDC_TEST_AGENT_RC:-0}"
CTL
chmod 0755 /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl""",
    "apt-get": "", "php": "", "node": "", "cron": "",
    "composer": "", "npm": """if [ "$1" = run ] && [ -n "${CLOUDC_TEST_FAIL_BUILD:-}" ]; then exit 3; fi""",
    "sleep": "",  # the retries and the wait for workers take no time here
}
UNSHARE = shutil.which("unshare")


def _namespaces_work() -> bool:
    if UNSHARE is None:
        return False
    proc = subprocess.run([UNSHARE, "-rm", "true"], capture_output=True, check=False)
    return proc.returncode == 0


pytestmark = pytest.mark.skipif(not _namespaces_work(),
                                reason="needs unshare -rm (user and mount namespaces)")


def _value(part: Any) -> str:
    """Return what CloudFormation would put in place of an expression of the user data."""
    if isinstance(part, str):
        return part
    if part == {"Ref": "AWS::StackName"}:
        return STACK
    if isinstance(part, dict) and isinstance(part.get("Fn::Sub"), str):
        return part["Fn::Sub"].replace("${AWS::AccountId}", ACCOUNT).replace(
            "${AWS::Region}", REGION)
    if isinstance(part, dict) and isinstance(part.get("Fn::Sub"), list):  # a secret's ARN
        template, _ = part["Fn::Sub"]
        return re.sub(r"\$\{\w+\}", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:s",
                      template)
    return "resolved-" + json.dumps(part, sort_keys=True).replace("'", "")[:40].replace(" ", "")


def _user_data(env: str = "production") -> tuple[str, bytes]:
    """Build the golden case; return its boot script and the code zip it fetches."""
    build = compile_config(GOLDEN / "cloud.yaml", env)
    assert not build.diagnostics.has_errors, build.diagnostics.items
    lt = build.nested["servers"]["Resources"]["ServersAppLaunchTemplate"]
    ud = lt["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    script = "".join(_value(p) for p in ud["Fn::Join"][1])
    [(name, data)] = build.assets.files.items()
    assert f"assets/{name}" in script
    return script, data


def _root(tmp: Path, os_id: str) -> Path:
    """Make the temporary root: its /etc, folders, and the command folder."""
    root = tmp / "root"
    for d in ("etc/systemd/system", "srv", "home", "varlog", "bin", "opt"):
        (root / d).mkdir(parents=True)
    (root / "etc/os-release").write_text(f"ID={os_id}\n", encoding="utf-8")
    for f in ("passwd", "group", "nsswitch.conf"):
        if Path("/etc", f).exists():
            shutil.copy(Path("/etc", f), root / "etc" / f)
    bin_ = root / "bin"
    for name in BASE:
        found = shutil.which(name)
        assert found is not None, f"the test machine has no {name}"
        shutil.copy(found, bin_ / name)
    real_install = shutil.which("install")
    assert real_install is not None
    shutil.copy(real_install, bin_ / "install.real")
    for name, body in STANDINS.items():
        path = bin_ / name
        path.write_text('#!/bin/bash\nprintf "%s\\n" "' + name + ' $*" >> "$CLOUDC_TEST_LOG"\n'
                        + body + "\n", encoding="utf-8")
        path.chmod(0o755)
    return root


def _boot(tmp: Path, os_id: str = "ubuntu", **env: str) -> tuple[int, str, list[str], Path]:
    """Run the golden case's boot script in a temporary root; return (exit status, output,
    recorded calls, root)."""
    script, data = _user_data()
    root = _root(tmp, os_id)
    (tmp / "code.zip").write_bytes(data)
    (tmp / "boot.sh").write_text(script, encoding="utf-8")
    log = tmp / "calls.log"
    log.touch()
    mounts = " && ".join([
        f"mount --bind {root}/etc /etc", f"mount --bind {root}/srv /srv",
        f"mount --bind {root}/home /home", f"mount --bind {root}/varlog /var/log",
        f"mount --bind {root}/opt /opt",
        "mount -t tmpfs none /usr/local/bin", "mount -t tmpfs none /usr/local/sbin",
        f"mount --bind {root}/bin /usr/sbin", f"mount --bind {root}/bin /usr/bin",
        f"exec /usr/bin/bash {tmp}/boot.sh",
    ])
    assert UNSHARE is not None
    proc = subprocess.run(
        [UNSHARE, "-rm", "/bin/bash", "-c", mounts], capture_output=True, text=True,
        check=False, timeout=120, cwd=tmp,
        env={"PATH": "/usr/bin:/bin", "CLOUDC_TEST_LOG": str(log),
             "CLOUDC_TEST_ZIP": str(tmp / "code.zip"), **env})
    calls = log.read_text(encoding="utf-8").splitlines()
    return proc.returncode, proc.stdout + proc.stderr, calls, root


def _signals(calls: list[str]) -> list[str]:
    return [c.split("--status ")[1] for c in calls if c.startswith("aws cloudformation")]


def test_boot_fetches_builds_starts_and_signals_success(tmp_path: Path) -> None:
    rc, out, calls, root = _boot(tmp_path)
    assert rc == 0, out
    # The code zip from the artifacts bucket, unpacked into the app directory.
    s3 = [c for c in calls if c.startswith("aws s3 cp")]
    assert len(s3) == 1 and f"s3://cloudc-artifacts-{ACCOUNT}-{REGION}/assets/" in s3[0]
    assert (root / "srv/app/artisan").read_text(encoding="utf-8").startswith("#!/usr/bin/env php")
    assert (root / "srv/app/routes/web.php").exists()
    # The build ran as a job (env loaded, in the app directory), before the app started.
    build = [i for i, c in enumerate(calls) if c.startswith("runuser -u app -- ")]
    start = calls.index("systemctl restart app")
    assert build and build[0] < start
    assert calls[build[0] + 1:build[0] + 4] == ["composer install --no-dev", "npm ci",
                                                 "npm run build"]
    job = (root / "etc/cloudc/jobs/build").read_text(encoding="utf-8")
    assert "set -a; . /etc/cloudc/app.env; set +a" in job and "cd /srv/app" in job
    # Secrets were read at boot into the env file, never part of the script.
    env = (root / "etc/cloudc/app.env").read_text(encoding="utf-8")
    assert "DATABASES_MAIN_PASSWORD='pw-from-secrets-manager'" in env
    assert "APP_KEY=" in env and "APP_ENV='production'" in env
    # The app is a systemd service; the workers are 2 instances of a template unit.
    unit = (root / "etc/systemd/system/app.service").read_text(encoding="utf-8")
    assert "php artisan octane:start --host=0.0.0.0 --port=3000" in unit
    worker = (root / "etc/systemd/system/app-queue@.service").read_text(encoding="utf-8")
    assert "ExecStart=/etc/cloudc/jobs/worker-queue" in worker and "User=app" in worker
    assert "php artisan queue:work --tries=3" in (root / "etc/cloudc/jobs/worker-queue").read_text(
        encoding="utf-8")
    assert "systemctl enable --now app-queue@1.service" in calls
    assert "systemctl enable --now app-queue@2.service" in calls
    assert "systemctl enable --now app-queue@3.service" not in calls
    # The scheduler is an /etc/cron.d entry, run as app, one run at a time.
    cron = (root / "etc/cron.d/app-cron-scheduler").read_text(encoding="utf-8")
    assert "* * * * * app flock -n /tmp/app-cron-scheduler.lock /etc/cloudc/jobs/cron-scheduler " \
        ">>/var/log/cloudc/app-cron-scheduler.log 2>&1" in cron
    assert (root / "varlog/cloudc/app-cron-scheduler.log").exists()
    assert "systemctl enable --now cron" in calls
    # Health asked on the target port and path, then one SUCCESS signal to the group.
    health = [c for c in calls if "127.0.0.1" in c]
    assert health and health[-1].endswith("http://127.0.0.1:3000/up")
    assert _signals(calls) == ["SUCCESS"]
    [signal] = [c for c in calls if c.startswith("aws cloudformation")]
    assert f"--stack-name {STACK} --logical-resource-id ServersAppGroup --unique-id " \
        f"{INSTANCE}" in signal
    assert calls.index(health[-1]) < calls.index(signal)
    assert "cloudc: shop-production-app is set up" in out


def test_a_failing_build_signals_failure_and_starts_nothing(tmp_path: Path) -> None:
    rc, out, calls, _ = _boot(tmp_path, CLOUDC_TEST_FAIL_BUILD="1")
    assert rc != 0
    assert _signals(calls) == ["FAILURE"]
    assert "systemctl restart app" not in calls
    assert not [c for c in calls if "127.0.0.1" in c]


def test_amazon_linux_gets_cronie(tmp_path: Path) -> None:
    rc, out, calls, _ = _boot(tmp_path, os_id="amzn")
    assert rc == 0, out
    assert "dnf install -y -q cronie" in calls
    assert "systemctl enable --now crond" in calls
    assert _signals(calls) == ["SUCCESS"]


def test_a_refused_signal_does_not_fail_a_scale_out_instance(tmp_path: Path) -> None:
    """Outside a CloudFormation operation, SignalResource is refused: the boot still succeeds."""
    rc, out, calls, _ = _boot(tmp_path, CLOUDC_TEST_SIGNAL_RC="254")
    assert rc == 0, out
    assert _signals(calls) == ["SUCCESS"]
    assert "no CloudFormation operation took the SUCCESS signal" in out


def test_the_code_zip_is_the_golden_folder(tmp_path: Path) -> None:
    _, data = _user_data()
    (tmp_path / "c.zip").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "c.zip") as zf:
        names = sorted(zf.namelist())
    expected = sorted(str(p.relative_to(GOLDEN / "app")) for p in (GOLDEN / "app").rglob("*")
                      if p.is_file())
    assert names == expected and os.sep == "/"


def _agent_config(root: Path) -> dict[str, Any]:
    return dict(json.loads((root / "etc/cloudc/cloudwatch-agent.json").read_text(
        encoding="utf-8")))


def test_the_app_workers_cron_and_boot_log_to_files_the_agent_sends(tmp_path: Path) -> None:
    """Every unit cloudc writes appends to /var/log/cloudc; the agent ships each file."""
    rc, out, calls, root = _boot(tmp_path)
    assert rc == 0, out
    unit = (root / "etc/systemd/system/app.service").read_text(encoding="utf-8")
    assert "StandardOutput=append:/var/log/cloudc/app.log" in unit
    assert "StandardError=append:/var/log/cloudc/app.log" in unit
    worker = (root / "etc/systemd/system/app-queue@.service").read_text(encoding="utf-8")
    assert "StandardOutput=append:/var/log/cloudc/app-queue.log" in worker
    assert "StandardError=append:/var/log/cloudc/app-queue.log" in worker
    # The boot script's own output, from its first line on.
    boot = (root / "varlog/cloudc/boot.log").read_text(encoding="utf-8")
    assert boot.startswith("cloudc: setting up shop-production-app")
    assert "cloudc: shop-production-app is set up" in boot
    rotate = (root / "etc/logrotate.d/cloudc").read_text(encoding="utf-8")
    assert rotate.startswith("/var/log/cloudc/*.log {")
    assert all(w in rotate.split() for w in ("daily", "copytruncate", "rotate", "7"))
    # Ubuntu: the agent's .deb for this machine's architecture, installed, then started.
    arch = "arm64" if os.uname().machine in ("aarch64", "arm64") else "amd64"
    [fetch] = [c for c in calls if "amazon-cloudwatch-agent.deb" in c]
    assert f"https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/{arch}/latest/" in fetch
    assert "dpkg -i -E /tmp/cwagent.deb" in calls
    start = "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c " \
        "file:/etc/cloudc/cloudwatch-agent.json"
    assert start in calls
    assert calls.index("dpkg -i -E /tmp/cwagent.deb") < calls.index(start)
    assert calls.index(start) < calls.index("systemctl restart app")  # before the app starts
    group = "/cloudc/shop-production/servers/app"
    assert _agent_config(root) == {"logs": {"logs_collected": {"files": {"collect_list": [
        {"file_path": f"/var/log/cloudc/{f}.log", "log_group_name": group,
         "log_stream_name": f"{{instance_id}}/{f}.log"}
        for f in ("boot", "app", "app-queue", "app-cron-scheduler")]}}}}
    assert _signals(calls) == ["SUCCESS"]


def test_amazon_linux_installs_the_agent_with_dnf(tmp_path: Path) -> None:
    rc, out, calls, root = _boot(tmp_path, os_id="amzn")
    assert rc == 0, out
    assert "dnf install -y -q amazon-cloudwatch-agent" in calls
    assert not [c for c in calls if c.startswith("dpkg") or ".deb" in c]
    assert any(c.startswith("amazon-cloudwatch-agent-ctl -a fetch-config") for c in calls)
    assert len(_agent_config(root)["logs"]["logs_collected"]["files"]["collect_list"]) == 4


@pytest.mark.parametrize("fault", [{"CLOUDC_TEST_NO_AGENT": "1"}, {"CLOUDC_TEST_AGENT_RC": "1"}])
def test_an_agent_that_cannot_be_installed_or_started_does_not_fail_the_boot(
        tmp_path: Path, fault: dict[str, str]) -> None:
    """The agent is no boot step: the app still starts and the instance signals SUCCESS."""
    rc, out, calls, root = _boot(tmp_path, **fault)
    assert rc == 0, out
    assert "warning: the CloudWatch agent is not running" in out
    assert "systemctl restart app" in calls
    assert _signals(calls) == ["SUCCESS"]
    assert (root / "varlog/cloudc/boot.log").exists()
