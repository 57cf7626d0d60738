"""Every built-in preset: `cloudc init --preset P` scaffolds an app that builds everywhere."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from cloudc import presets
from cloudc.cli import cli

SEED = ["static-site", "node-server", "node-serverless", "full-stack", "microservices", "api-only",
        "traditional-web-app", "wordpress", "jamstack", "realtime", "data-pipeline", "ml-api"]
ROOT = Path(__file__).resolve().parents[1]


def test_every_seed_preset_exists_with_an_example() -> None:
    assert sorted(presets.builtin_names()) == sorted(SEED)
    for name in SEED:
        assert presets.describe(name), f"{name}: first line should describe the preset"
        assert (ROOT / "examples" / name / "cloud.yaml").is_file()


@pytest.mark.parametrize("name", SEED)
def test_the_description_is_one_whole_line(name: str) -> None:
    # `cloudc presets` shows only the first comment line: a sentence that runs on to the next
    # line ("... on CloudFront with a" / "# serverless HTTP API ...") is shown cut off.
    lines = presets.PRESET_DIR.joinpath(f"{name}.yaml").read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line == f"# {presets.describe(name)}")
    after = lines[first + 1] if first + 1 < len(lines) else ""
    if after.startswith("# ") and "yaml-language-server" not in after:
        assert not after[2:3].islower(), f"{name}: the description runs on: {after!r}"


@pytest.mark.parametrize("name", SEED)
def test_init_preset_builds_for_every_environment(name: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "--preset", name, "--name", "demo"])
    assert result.exit_code == 0, result.output
    assert f"extends: [{name}]" in Path("cloud.yaml").read_text()
    for env in ("production", "staging", "development"):  # in-process: test_cli runs the process
        res = CliRunner().invoke(cli, ["-q", "build", "--env", env])
        assert res.exit_code == 0 and res.exception is None, f"{name}/{env}:\n{res.output}"
        root = json.loads((tmp_path / "build" / env / "template.json").read_text())
        assert root["Resources"], f"{name}/{env}: no nested stacks"


@pytest.mark.parametrize("name", SEED)
def test_init_preset_validates_without_lifecycle_warnings(name: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """No built-in preset gets W3123: every writer cloudc generates counts (Athena, Firehose)."""
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init", "--preset", name, "--name", "demo"]).exit_code == 0
    res = CliRunner().invoke(cli, ["validate"])
    assert res.exit_code == 0 and res.exception is None, res.output
    assert "W3123" not in res.stderr, res.stderr


def test_presets_command_lists_and_shows() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["presets"])
    assert listing.exit_code == 0 and all(n in listing.output for n in SEED)
    shown = runner.invoke(cli, ["presets", "api-only"])
    assert shown.exit_code == 0 and "apis:" in shown.output
    bad = runner.invoke(cli, ["presets", "api-onyl"])
    assert bad.exit_code == 2 and "did you mean `api-only`" in bad.output


def _init(name: str, *args: str) -> None:
    result = CliRunner().invoke(cli, ["init", "--preset", name, "--name", "demo", *args])
    assert result.exit_code == 0, result.output


def _user_data(env: str = "production") -> dict[str, str]:
    """Build the folder's config and return each server launch template's user data as text
    (CloudFormation expressions shown as their JSON)."""
    res = CliRunner().invoke(cli, ["-q", "build", "--env", env])
    assert res.exit_code == 0, res.output
    stack = json.loads(Path(f"build/{env}/stacks/servers.json").read_text())
    out = {}
    for key, resource in stack["Resources"].items():
        if resource["Type"] == "AWS::EC2::LaunchTemplate":
            data = resource["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
            parts = data["Fn::Join"][1] if isinstance(data, dict) else [data]
            out[key] = "".join(p if isinstance(p, str) else json.dumps(p) for p in parts)
    return out


def test_node_server_init_writes_an_app_that_npm_start_serves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preset ships ./app and pm2 runs `npm start` there: without it /srv/app stayed empty,
    nginx answered 502 and the group replaced its instances forever."""
    monkeypatch.chdir(tmp_path)
    _init("node-server")
    package = json.loads(Path("app/package.json").read_text())
    assert package["scripts"]["start"] == "node server.js"
    assert "process.env.PORT" in Path("app/server.js").read_text()
    [script] = _user_data().values()
    assert "CLOUDC_CODE_URL=s3://" in script and "CLOUDC_START='npm start'" in script
    assert "CLOUDC_APP_PORT=3000" in script and "CLOUDC_HEALTH_URL=http://127.0.0.1:80/" in script
    node = shutil.which("node")
    if node is None:
        return
    with socket.socket() as s:  # a free port, as PORT gives the app its app_port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([node, "server.js"], cwd="app", env={**os.environ, "PORT": str(port)})
    try:
        deadline = time.monotonic() + 30  # node starts in well under a second; CI is loaded
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the starter server.js did not answer on $PORT")
    finally:
        proc.terminate()
        proc.wait(5)


def test_init_keeps_an_existing_node_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("app").mkdir()
    Path("app/package.json").write_text('{"scripts": {"start": "node main.js"}}\n')
    _init("node-server")
    assert not Path("app/server.js").exists()
    assert "main.js" in Path("app/package.json").read_text()


def test_traditional_web_app_serves_public_and_gives_laravel_its_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _init("traditional-web-app")
    assert "<?php" in Path("public/index.php").read_text()
    scripts = _user_data()
    web, worker = scripts["ServersWebLaunchTemplate"], scripts["ServersWorkerLaunchTemplate"]
    for script in (web, worker):
        assert "CLOUDC_CODE_URL=s3://" in script
        # The password is read at boot from Secrets Manager, never written into user data.
        assert re.search(r"^cloudc_secret DB_PASSWORD .*resolve:secretsmanager:.*"
                         r":SecretString:password", script, re.M), script
        assert not re.search(r"^DB_PASSWORD=", script, re.M)
        assert "MYSQL_ATTR_SSL_CA='/etc/cloudc/rds-global-bundle.pem'" in script
        assert "truststore.pki.rds.amazonaws.com/global/global-bundle.pem" in script
        assert "QUEUE_CONNECTION='sqs'" in script and "AWS_DEFAULT_REGION='" in script
    # PHP-FPM workers see the env file (PHP-FPM clears the environment by default).
    assert "clear_env = no" in web and "EnvironmentFile=/etc/cloudc/app.env" in web
    # The worker is a systemd worker, not a health-checked `start`: nothing listens on a port.
    assert "CLOUDC_HEALTH_URL=''" in worker and "cloudc_worker queue 1 " in worker
    assert "php artisan queue:work" in worker


def test_traditional_web_app_init_keeps_an_existing_laravel_app(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    laravel = "<?php\nrequire __DIR__.'/../vendor/autoload.php';\n"
    Path("public").mkdir()
    Path("public/index.php").write_text(laravel)
    Path("artisan").write_text("#!/usr/bin/env php\n<?php\n")
    _init("traditional-web-app")
    assert Path("public/index.php").read_text() == laravel
    assert sorted(p.name for p in Path(".").iterdir()) == [
        ".gitignore", "artisan", "cloud.yaml", "public", "schemas"]


def test_wordpress_boot_survives_efs_and_answers_as_the_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _init("wordpress")
    [script] = _user_data().values()
    # The access point writes as 1000:1000 and refuses chown: copies keep no ownership, and the
    # local tree is chowned before the mount (a chown -R after it would fail under set -e).
    assert "cp -a --no-preserve=ownership /srv/app/wp-content.dist/." in script
    assert "cp -a /srv/app/wp-content.dist" not in script
    assert script.index("chown -R app:app /srv/app/public") < script.index(
        "mount /srv/app/public/wp-content")
    assert script.count("chown -R") == script.count('chown -R app:app "${CLOUDC_APP_DIR}"') + 1
    # CloudFront sends Host: origin.DOMAIN; WordPress must see WP_HOME's host or it redirects.
    assert "$_SERVER['HTTP_HOST'] = parse_url($cloudc['WP_HOME'], PHP_URL_HOST);" in script


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
def test_wordpress_init_puts_the_domain_in_the_users_file(
        fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _init("wordpress", "--format", fmt)
    text = Path(f"cloud.{fmt}").read_text()
    assert "Set your domain before the first deploy" in text
    assert ("  domain: example.com\n" if fmt == "yaml" else 'domain = "example.com"\n') in text
    assert CliRunner().invoke(cli, ["-q", "build", "--env", "development"]).exit_code == 0


@pytest.mark.parametrize("name", SEED)
def test_only_presets_with_variables_write_them(name: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _init(name)
    assert ("variables:" in Path("cloud.yaml").read_text()) == bool(presets.variables(name))
