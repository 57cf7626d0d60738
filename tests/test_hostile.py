"""Hostile and broken input (issue 9): nothing deleted, nothing leaked, no crash, no hang.

Crash and exit-code cases run the CLI in a process of its own with a timeout (forked from a
helper that has cloudc imported, tests/forkcli.py; Ctrl-C and kill tests start `python -m
cloudc`); the rest run in-process.
The slow tier holds a fuzz run of 1,000+ mutated configs (seed configs and mutation operators
below).
"""

from __future__ import annotations

import http.server
import os
import random
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import forkcli
import pytest

from cloudc.compile import compile_config
from cloudc.diagnostics import Diagnostics
from cloudc.emit import writer
from cloudc.load import load_text

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
APP = """\
project: { name: Demo, region: us-east-1 }
storage:
  uploads: { versioning: true }
functions:
  api:
    runtime: nodejs22.x
    handler: index.handler
    code: ./fn
"""


def _project(tmp: Path, body: str = APP) -> Path:
    (tmp / "fn").mkdir(parents=True, exist_ok=True)
    (tmp / "fn" / "index.mjs").write_text("export const handler = async () => ({});\n")
    (tmp / "cloud.yaml").write_text(body)
    return tmp / "cloud.yaml"


def _cli(args: list[str], cwd: Path, timeout: float = 60, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    for var in ("CLOUDC_ENV", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        if var not in (env or {}):
            full.pop(var, None)
    return forkcli.run(args, cwd, env=full, timeout=timeout)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "build" not in p.relative_to(folder).parts}


def _clean(proc: subprocess.CompletedProcess[str]) -> None:
    """No traceback, no internal error, no death by signal."""
    assert proc.returncode >= 0 and proc.returncode < 128 or proc.returncode == 130, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr


def _errors(build: Any) -> list[str]:
    return [d.text() for d in build.diagnostics.errors]


# --- 1. environment names and the output folder -------------------------------------------------


@pytest.mark.parametrize("env", ["..", "a/b", "a" * 300, "Prod", "1x", ".", "x\\y", "-x"])
def test_bad_env_names_are_usage_errors_and_delete_nothing(tmp_path: Path, env: str) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    _project(proj)
    before = _snapshot(proj)
    proc = _cli(["build", "--env", env], proj)
    _clean(proc)
    assert proc.returncode == 2, proc.stderr
    assert "invalid environment name" in proc.stderr and "lowercase" in proc.stderr
    assert _snapshot(proj) == before and not (proj / "build").exists()
    if env != "..":
        return
    for command in (["validate", "--env", env], ["diff", "--env", env], ["deploy", "--env", env],
                    ["explain", "--env", env]):
        proc = _cli(command, proj)
        _clean(proc)
        assert proc.returncode == 2, (command, proc.stderr)
    assert _snapshot(proj) == before


def test_bad_cloudc_env_is_a_usage_error(tmp_path: Path) -> None:
    _project(tmp_path)
    proc = _cli(["build"], tmp_path, env={"CLOUDC_ENV": ".."})
    assert proc.returncode == 2 and "$CLOUDC_ENV" in proc.stderr
    assert not (tmp_path / "build").exists() and (tmp_path / "cloud.yaml").exists()


def test_invalid_environment_key_in_the_file_is_located(tmp_path: Path) -> None:
    path = _project(tmp_path, APP + "environments:\n  ../x: { storage: {} }\n")
    build = compile_config(path, "production", dry=True)
    assert any("E1010" in e and ":10:3:" in e for e in _errors(build)), _errors(build)
    proc = _cli(["validate"], tmp_path)
    _clean(proc)
    assert proc.returncode == 1 and "E1010" in proc.stderr


@pytest.mark.parametrize("out,env", [("..", "proj"), ("../..", "outer"), ("..", "x")])
def test_output_never_replaces_the_project(tmp_path: Path, out: str, env: str) -> None:
    proj = tmp_path / "outer" / "proj"
    proj.mkdir(parents=True)
    _project(proj)
    before = _snapshot(proj)
    proc = _cli(["build", "--out", out, "--env", env], proj)
    _clean(proc)
    after = _snapshot(proj)
    after.pop("cloud.lock.json", None)  # a build that succeeds records placement there
    assert after == before
    if env != "x":
        assert proc.returncode == 2 and "holds the config" in proc.stderr, proc.stderr
    else:  # ../x is beside the project and fine... unless it is not a build
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / "outer" / "x" / "manifest.json").exists()


@pytest.mark.parametrize("out", ["cloud.yaml", "/dev/null", "ro"])
def test_unwritable_out_is_a_usage_error(tmp_path: Path, out: str) -> None:
    _project(tmp_path)
    if out == "ro":
        (tmp_path / "ro").mkdir()
        os.chmod(tmp_path / "ro", 0o555)
        if os.access(tmp_path / "ro", os.W_OK):
            pytest.skip("running as a user who can write anywhere")
    proc = _cli(["build", "--out", out], tmp_path)
    _clean(proc)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_out_that_is_not_a_build_or_is_a_link_is_left_alone(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "lib" / "keep.txt").write_text("precious")
    proc = _cli(["build", "--out", "src", "--env", "lib"], tmp_path)
    assert proc.returncode == 2 and "not a cloudc build" in proc.stderr
    assert (tmp_path / "src" / "lib" / "keep.txt").read_text() == "precious"
    (tmp_path / "build").mkdir()
    os.symlink(tmp_path / "src", tmp_path / "build" / "development")
    proc = _cli(["build"], tmp_path)
    assert proc.returncode == 2 and "symbolic link" in proc.stderr
    assert (tmp_path / "src" / "lib" / "keep.txt").read_text() == "precious"


# --- 2. paths the config names ------------------------------------------------------------------


def _fn(code: str) -> str:
    return APP.replace("code: ./fn", f"code: {code}")


@pytest.mark.parametrize("code,code_id", [
    ("../outside", "E1011"), ("/tmp", "E1011"), ("/", "E1011"), ("/proc/self", "E1011"),
    ('"./fn\\0x"', "E1011"), ("./missing", "E1007"), ("./cloud.yaml", "E1012"),
])
def test_code_paths_are_checked_and_located(tmp_path: Path, code: str, code_id: str) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("top secret")
    path = _project(proj, _fn(code))
    t0 = time.monotonic()
    build = compile_config(path, "development")
    assert time.monotonic() - t0 < 10  # `code: /` never walks the file system
    errors = _errors(build)
    assert errors and all(f"error[{code_id}]" in e for e in errors), errors
    assert errors[0].startswith(f"{path}:8:11:"), errors
    assert not build.assets.files


def test_links_in_code_folders_must_stay_inside(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    path = _project(proj)
    (tmp_path / "secret.txt").write_text("top secret")
    (proj / "shared.txt").write_text("shared inside the project")
    os.symlink(proj / "shared.txt", proj / "fn" / "shared.txt")  # inside: followed
    build = compile_config(path, "development")
    assert not _errors(build)
    os.symlink(tmp_path / "secret.txt", proj / "fn" / "leak.txt")  # outside: refused
    build = compile_config(path, "development")
    assert any("E1014" in e and "outside" in e for e in _errors(build)), _errors(build)
    assert not any(b"top secret" in data for data in build.assets.files.values())


@pytest.mark.parametrize("kind", ["broken", "loop", "dirloop"])
def test_broken_and_looping_links_are_located_errors(tmp_path: Path, kind: str) -> None:
    path = _project(tmp_path)
    if kind == "broken":
        os.symlink(tmp_path / "nope", tmp_path / "fn" / "x")
    elif kind == "loop":
        os.symlink(tmp_path / "fn" / "b", tmp_path / "fn" / "a")
        os.symlink(tmp_path / "fn" / "a", tmp_path / "fn" / "b")
    else:
        os.symlink(tmp_path / "fn", tmp_path / "fn" / "again")
    build = compile_config(path, "development")
    assert any("E1014" in e and ":8:11:" in e for e in _errors(build)), _errors(build)
    os.symlink(tmp_path / "loop2", tmp_path / "loop1")
    os.symlink(tmp_path / "loop1", tmp_path / "loop2")
    build = compile_config(_project(tmp_path, _fn("./loop1")), "development")
    assert any("E1014" in e for e in _errors(build)), _errors(build)


def test_fifo_in_a_code_folder_does_not_hang(tmp_path: Path) -> None:
    path = _project(tmp_path)
    os.mkfifo(tmp_path / "fn" / "pipe")
    proc = _cli(["build"], tmp_path, timeout=30)
    _clean(proc)
    assert proc.returncode == 1 and "E1012" in proc.stderr and "special file" in proc.stderr
    assert not (tmp_path / "build").exists()
    os.unlink(tmp_path / "fn" / "pipe")
    os.mkfifo(tmp_path / "cloud.production.yaml")  # an overlay that is a FIFO: no hang either
    proc = _cli(["validate", "--env", "production"], tmp_path, timeout=30)
    _clean(proc)
    assert proc.returncode == 1 and "E1012" in proc.stderr
    proc = _cli(["validate", str(path.with_name("cloud.production.yaml"))], tmp_path, timeout=30)
    _clean(proc)


def test_code_folder_size_ceiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudc import paths

    monkeypatch.setattr(paths, "MAX_CODE_BYTES", 1000)
    path = _project(tmp_path)
    (tmp_path / "fn" / "big.bin").write_bytes(b"x" * 2000)
    build = compile_config(path, "development")
    assert any("E1013" in e and ":8:11:" in e for e in _errors(build)), _errors(build)


def test_files_read_into_templates_must_lie_inside(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    (tmp_path / "outside.asl.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", '
                                               '"End": true}}}')
    path = _project(proj, APP + "workflows:\n  orders: { definition: ../outside.asl.json }\n"
                    "email:\n  acme.com:\n    templates:\n      welcome: { subject: Hi, html: "
                    "../../../../../../../../etc/passwd }\n")
    build = compile_config(path, "development")
    errors = _errors(build)
    assert any(":10:25:" in e and "E1011" in e for e in errors), errors
    assert any(":14:37:" in e and "E1011" in e for e in errors), errors
    assert not build.nested


def test_missing_files_are_reported_together_with_other_errors(tmp_path: Path) -> None:
    path = _project(tmp_path, _fn("./nope") + "sites:\n  web: { source: ./dist }\n"
                    "queues:\n  jobs: { visibility_timeout: lots }\n")
    build = compile_config(path, "development", dry=True)
    codes = sorted(d.code for d in build.diagnostics.errors)
    assert codes.count("E1007") == 2 and "E2003" in codes, _errors(build)
    site = next(e for e in _errors(build) if "site folder" in e)
    assert ":10:18:" in site and "build the site first" in site


def test_dockerfile_outside_is_refused(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = _project(proj, APP + "services:\n  api: { image: ../Dockerfile, port: 80 }\n")
    build = compile_config(path, "development", dry=True)
    assert any("E1011" in e and "Dockerfile" in e for e in _errors(build)), _errors(build)


def test_preset_file_outside_and_overlong_names(tmp_path: Path) -> None:
    proj = tmp_path / "p"
    proj.mkdir()
    (tmp_path / "base.yaml").write_text("storage: { x: {} }\n")
    path = _project(proj, "extends: [../base.yaml]\n" + APP)
    assert any("E1011" in e for e in _errors(compile_config(path, "development", dry=True)))
    for name in ("a" * 300, "b" * 300 + ".yaml", "x/" * 200, "a\0b"):
        path = _project(proj, f"extends: [{name!r}]\n".replace("'", '"').replace("\\x00", "\\0")
                        + APP)
        build = compile_config(path, "development", dry=True)
        assert _errors(build) and all(d.origin is not None and d.origin.line == 1
                                      for d in build.diagnostics.errors), _errors(build)


# --- 3. the secret warning ----------------------------------------------------------------------


def test_env_value_in_a_secret_key_warns_at_its_line(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_PW", "hunter2")
    path = _project(tmp_path, "variables:\n  pw: ${env:SECRET_PW}\n" + APP
                    + "    environment:\n      DB_PASSWORD: ${env:SECRET_PW}\n"
                      "      API_TOKEN: ${var:pw}\n      LOG_LEVEL: ${env:SECRET_PW}\n")
    build = compile_config(path, "development")
    warnings = [d for d in build.diagnostics.sorted() if d.code == "W1010"]
    where = sorted((d.origin.line, d.origin.col) for d in warnings)
    assert where == [(2, 7), (12, 20)], [d.text() for d in warnings]
    assert all("${secret:" in (d.hint or "") for d in warnings)


# --- 4. the loader ------------------------------------------------------------------------------


def _bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for p, c in zip("abcdefghijklm", "bcdefghijklmn"[:levels - 1], strict=False):
        lines.append(f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_a_located_error_fast() -> None:
    diags = Diagnostics()
    t0 = time.monotonic()
    assert load_text(_bomb(), "c.yaml", "yaml", diags) is None
    assert time.monotonic() - t0 < 60  # a hang guard (unbounded expansion is 387M nodes), not a timing claim
    assert [d.code for d in diags.items] == ["E0010"] and diags.items[0].origin.line > 1


def test_recursive_alias_and_deep_nesting_are_located() -> None:
    for text, code in (("a: &a [1, *a]\n", "E0002"), ("a: " + "[" * 500 + "]" * 500, "E0010"),
                       ("- " * 3000 + "x\n", "E0010"), ("a:\n" + "".join(
                           " " * i + f"k{i}:\n" for i in range(1, 400)) + " " * 400 + "v\n",
                           "E0010")):
        diags = Diagnostics()
        assert load_text(text, "c.yaml", "yaml", diags) is None, text[:40]
        assert [d.code for d in diags.items] == [code], [d.text() for d in diags.items]
    for fmt, text in (("json", "[" * 30000), ("toml", "a = " + "[" * 30000),
                      ("toml", "[" + ".".join(["a"] * 300) + "]\nx = 1\n")):
        diags = Diagnostics()
        assert load_text(text, "c." + fmt, fmt, diags) is None
        assert [d.code for d in diags.items] == ["E0010"]


@pytest.mark.parametrize("text", [
    "a: " + "[" * 30000, "a: " + "{a: " * 30000, "- " * 30000 + "x", _bomb(12),
    "a: &a [*a]\n", "a: 0x" + "f" * 4000 + "\n", "a: 1" + "0" * 5000 + "\n",
])
def test_hostile_yaml_through_the_cli_never_crashes(tmp_path: Path, text: str) -> None:
    (tmp_path / "cloud.yaml").write_text(text)
    t0 = time.monotonic()
    proc = _cli(["validate", "--env", "production"], tmp_path, timeout=30)
    assert time.monotonic() - t0 < 20
    _clean(proc)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(("cloud.yaml:", str(tmp_path))), proc.stderr


def test_huge_numbers_become_located_type_errors(tmp_path: Path) -> None:
    path = _project(tmp_path, APP + "    memory: 0x" + "f" * 4000 + "\n")
    build = compile_config(path, "development", dry=True)
    assert any(":9:13:" in e and "E2003" in e for e in _errors(build)), _errors(build)


def test_yaml_merge_keys_are_defaults() -> None:
    diags = Diagnostics()
    doc = load_text("d: &d {x: 1, y: 2}\ne:\n  y: 3\n  <<: *d\n", "c.yaml", "yaml", diags)
    assert doc is not None and not diags.items
    assert doc.data["e"] == {"y": 3, "x": 1}
    assert doc.origins.get(("e", "x")).line == 1 and doc.origins.get(("e", "y")).line == 3


@pytest.mark.parametrize("fmt,text,line", [
    ("yaml", "a: b\nc: [1, 2", 2), ("yaml", "a: b\nc: {x: 1", 2), ("toml", "a = 1\nb = [1,", 2),
    ("toml", "a = 1\nb = ", 2), ("json", '{\n "a": [1,', 2),
])
def test_syntax_error_at_the_end_points_at_the_last_line(fmt: str, text: str, line: int) -> None:
    diags = Diagnostics()
    load_text(text, "c." + fmt, fmt, diags)
    assert diags.items and diags.items[0].origin.line == line, [d.text() for d in diags.items]


# --- 5. other failures: endpoint URL, non-AWS replies, dead endpoints ---------------------------


def test_endpoint_url_that_is_not_a_url_is_a_usage_error(tmp_path: Path) -> None:
    _project(tmp_path)
    proc = _cli(["--endpoint-url", "not a url", "diff"], tmp_path)
    _clean(proc)
    assert proc.returncode == 2 and "not a URL" in proc.stderr


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true"}


@pytest.fixture()
def html_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html><head><title>Bad Gateway</title></head><body>nope</body></html>\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _reply

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("command", [["diff"], ["deploy", "--yes"]])
def test_html_reply_is_an_aws_failure(tmp_path: Path, html_server: str, offline: dict[str, str],
                                      command: list[str]) -> None:
    _project(tmp_path)
    proc = _cli(["-q", "--endpoint-url", html_server, *command], tmp_path, env=offline)
    _clean(proc)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "not an AWS API response" in proc.stderr


@pytest.mark.slow  # waits out a dead endpoint: 2 attempts of 0.5 s, plus a backoff of up to 1 s
def test_dead_endpoint_is_reported_quickly(tmp_path: Path, offline: dict[str, str]) -> None:
    from cloudc.aws import session

    seconds, attempts = session.DEFAULT_TIMEOUT, session.DEFAULT_ATTEMPTS
    assert seconds * attempts + session.MAX_BACKOFF <= 18  # plus start-up: within 20 s
    _project(tmp_path)
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead.listen(16)  # accepts connections (the kernel does), never answers
    try:
        t0 = time.monotonic()
        env = {**offline, "CLOUDC_AWS_TIMEOUT": "0.5", "AWS_MAX_ATTEMPTS": "2"}
        proc = _cli(["-q", "--endpoint-url", f"http://127.0.0.1:{dead.getsockname()[1]}",
                     "diff"], tmp_path, env=env, timeout=30)
        assert time.monotonic() - t0 < 20
    finally:
        dead.close()
    _clean(proc)
    assert proc.returncode == 3 and "did not answer in time" in proc.stderr


# --- 6. the output swap -------------------------------------------------------------------------


def test_swap_keeps_the_target_and_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "build" / "dev"
    old = os.umask(0o022)
    try:
        writer.write_tree(target, {"manifest.json": b'{"cloudc":1}\n', "stacks/a.json": b"{}"})
        assert stat.S_IMODE(target.stat().st_mode) == 0o755
        assert stat.S_IMODE((target / "stacks").stat().st_mode) == 0o755
        inode = (target / "stacks" / "a.json").stat().st_ino
        writer.write_tree(target, {"manifest.json": b'{"cloudc":1}\n', "stacks/a.json": b"[]"})
        assert (target / "stacks" / "a.json").read_bytes() == b"[]"
        assert (target / "stacks" / "a.json").stat().st_ino != inode
    finally:
        os.umask(old)
    assert sorted(os.listdir(target.parent)) == ["dev"]


def test_exchange_swaps_atomically(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    if not writer.exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("no renameat2 RENAME_EXCHANGE here")
    assert (tmp_path / "b" / "x").read_text() == "a" and not (tmp_path / "a" / "x").exists()


def test_leftovers_of_killed_builds_are_cleaned(tmp_path: Path) -> None:
    parent = tmp_path / "build"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    for name in (f".dev.tmp-{dead}-abc", f".dev.old-{dead}", ".dev.tmp-xyz",
                 f".dev.tmp-{os.getpid()}-mine", f".prod.tmp-{dead}-abc"):
        (parent / name).mkdir(parents=True)
    (parent / f".dev.tmp-{os.getpid()}-mine").rmdir()  # our own is only cleaned by us
    writer.write_tree(parent / "dev", {"manifest.json": b'{"cloudc":1}\n'})
    assert sorted(os.listdir(parent)) == [f".prod.tmp-{dead}-abc", "dev"]


def test_killed_between_renames_puts_the_previous_build_back(tmp_path: Path) -> None:
    parent = tmp_path / "build"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (parent / f".dev.old-{dead}").mkdir(parents=True)
    (parent / f".dev.old-{dead}" / "manifest.json").write_text('{"cloudc":1}\n')
    writer.clean_leftovers(parent, "dev")
    assert (parent / "dev" / "manifest.json").exists() and os.listdir(parent) == ["dev"]


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) that process `pid` has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_cpu(p: subprocess.Popen[Any], seconds: float) -> None:
    """Wait until the child `p` has used `seconds` of CPU, or has ended. (CPU time, not a wall
    clock sleep: on a loaded machine a sleep lands anywhere in the child's life.)"""
    deadline = time.monotonic() + 60
    while p.poll() is None and time.monotonic() < deadline:
        try:
            if _cpu_seconds(p.pid) >= seconds:
                return
        except FileNotFoundError:
            return
        time.sleep(0.005)


# A build that SIGKILLs itself at one point of writing its output tree: after its Nth file in
# the temporary folder ("write N"), just before the swap ("swap") or just after it ("swapped").
_KILLED_AT = """
import os, signal, sys
from pathlib import Path
from cloudc.emit import writer
stage, count = sys.argv[1], int(sys.argv[2])
sys.argv = ["cloudc", *sys.argv[3:]]
def die():
    os.kill(os.getpid(), signal.SIGKILL)
if stage == "write":
    real_write, written = Path.write_bytes, []
    def write_bytes(self, data):
        n = real_write(self, data)
        if ".tmp-" in str(self):
            written.append(self)
            if len(written) == count:
                die()
        return n
    Path.write_bytes = write_bytes
else:
    real_exchange = writer.exchange
    def exchange(a, b):
        if stage == "swap":
            die()
        done = real_exchange(a, b)
        die()
        return done
    writer.exchange = exchange
from cloudc.__main__ import run
run()
"""


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.slow  # one whole build, five killed ones, one more: about 4 s of CPU
def test_kill_during_build_leaves_the_previous_build(tmp_path: Path) -> None:
    from bench.app import write_app

    config = write_app(tmp_path, 300)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    build = ["-q", "build", str(config)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "cloudc", *build], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr
    whole = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    target = tmp_path / "build" / "development"
    previous = _tree(target)
    write_app(tmp_path, 301)  # the new build differs from the one in place

    # SIGKILL half-way through compiling (from outside, at half of a whole build's CPU time)
    p = subprocess.Popen([sys.executable, "-m", "cloudc", *build], cwd=tmp_path, env=env,
                         stderr=subprocess.DEVNULL)
    _wait_for_cpu(p, whole / 2)
    p.kill()
    assert p.wait() == -signal.SIGKILL, "the build ended before half of its CPU time"
    assert _tree(target) == previous
    # ... and at exact points of the write (the build kills itself there)
    stages = [("write", 1), ("write", len(previous) // 2), ("swap", 0)]
    (tmp_path / "swap-a").mkdir()
    (tmp_path / "swap-b").mkdir()
    swaps = writer.exchange(tmp_path / "swap-a", tmp_path / "swap-b")  # else: two renames
    if swaps:
        stages.append(("swapped", 0))
    for stage, count in stages:
        killed = subprocess.run([sys.executable, "-c", _KILLED_AT, stage, str(count), *build],
                                cwd=tmp_path, env=env, capture_output=True, timeout=120)
        assert killed.returncode == -signal.SIGKILL, (stage, count, killed.stderr)
        if stage != "swapped":
            assert _tree(target) == previous, (stage, count)
    killed_after_swap = _tree(target)
    assert killed_after_swap != previous or not swaps
    proc = _cli(["-q", "build"], tmp_path, timeout=120)
    assert proc.returncode == 0 and sorted(os.listdir(tmp_path / "build")) == ["development"]
    if swaps:  # the tree swapped in before the kill was the whole new build
        assert _tree(target) == killed_after_swap


# --- 7. Ctrl-C ----------------------------------------------------------------------------------


def test_ctrl_c_during_a_build_exits_130_in_one_line(tmp_path: Path) -> None:
    from bench.app import write_app

    # 3,000 resources take about 4 s of CPU to build, so a signal at 1 s lands mid-build. (With
    # 1,000 the build ended near 1 s and the signal could land after Python restored the default
    # SIGINT handler at shutdown: exit -2 with the build complete.)
    write_app(tmp_path, 3000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "cloudc", "-q", "build"], cwd=tmp_path, env=env,
                         stderr=subprocess.PIPE, text=True)
    _wait_for_cpu(p, 1.0)  # imports done, the build under way
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    if p.returncode == 0:
        pytest.skip("the build finished before the signal")
    assert p.returncode == 130 and err == "cloudc: interrupted\n", err
    assert not (tmp_path / "build").exists(), "an interrupted first build left an output tree"


def test_ctrl_c_during_import_has_no_traceback(tmp_path: Path) -> None:
    code = ("import builtins, sys\nreal = builtins.__import__\n"
            "def imp(name, *a, **k):\n"
            "    if name == 'click':\n        raise KeyboardInterrupt\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = imp\nfrom cloudc.__main__ import run\nrun()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 130 and proc.stderr == "cloudc: interrupted\n", proc.stderr


def test_ctrl_c_at_the_prompt_deletes_the_change_set(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("moto")
    from moto import mock_aws

    from cloudc.aws import deploy as d
    from cloudc.aws.session import Aws
    from cloudc.cli import Interrupted

    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(d, "POLL_SECONDS", 0.01)
    with mock_aws():
        aws = Aws("us-east-1")
        root = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}}
        pkg = d.Package(root)
        cs = d.create_change_set(aws, "demo-dev", pkg, create=True, tags={})
        assert d.discard(aws, cs)
        cfn = aws.client("cloudformation")
        stacks = cfn.list_stacks()["StackSummaries"]
        assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if
                   s["StackName"] == "demo-dev")

        # Ctrl-C while waiting for the change set: it (and its empty stack) are deleted
        real_client = aws.client("cloudformation")

        class Pending:
            def __getattr__(self, name: str) -> Any:
                return getattr(real_client, name)

            def describe_change_set(self, **kw: Any) -> dict[str, Any]:
                return {"Status": "CREATE_PENDING"}

        aws._clients["cloudformation"] = Pending()

        def interrupt() -> None:
            raise Interrupted()

        monkeypatch.setattr(d, "_sleep", interrupt)
        with pytest.raises(Interrupted):
            d.create_change_set(aws, "other-dev", pkg, create=True, tags={})
        stacks = real_client.list_stacks()["StackSummaries"]
        assert [s["StackStatus"] for s in stacks if s["StackName"] == "other-dev"] \
            == ["DELETE_COMPLETE"]


# --- 8. fuzz ------------------------------------------------------------------------------------


SEEDS = ["basic", "sites_spa_api", "topics_fanout", "databases_dynamodb", "schedules_targets",
         "preset_api_only", "workflow_orders", "email_inbound", "services_fargate", "apis_http",
         "servers_single", "spec_example"]
SNIPPETS = [
    "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
    "x: " + "[" * 2000 + "\n", "x: &r [*r]\n", "x: *nope\n", "x: 0x" + "f" * 4000 + "\n",
    "x: .nan\n", "extends: [" + "a" * 300 + "]\n", "extends: [../../../../etc/passwd.yaml]\n",
    "environments: { '../x': {} }\n", "x: '${env:HOME}'\n", "\t- broken\n", "? [a]\n: b\n",
    "x: !!binary AAAA\n", "--- \n---\n", "x: \"\\0\"\n", "%YAML 1.1\n",
]
PATHS = ["../outside", "/", "/proc/self", "/dev/zero", "./missing", "./cloud.yaml",
         "\"./x\\0y\"", "../../../../etc/passwd", "./loop", "./pipe", "./" + "d/" * 300]


def _mutants(seed_text: str, rng: random.Random) -> str:
    lines = seed_text.splitlines(keepends=True) or ["\n"]
    op = rng.randrange(9)
    i = rng.randrange(len(lines))
    if op == 0:
        return seed_text[: rng.randrange(len(seed_text) + 1)]  # truncated (maybe mid-token)
    if op == 1:
        lines.insert(i, rng.choice(SNIPPETS))
    elif op == 2:
        lines[i] = " " * rng.randrange(0, 5) + lines[i].lstrip()
    elif op == 3:
        del lines[i]
    elif op == 4:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 5:  # point a path somewhere hostile
        for key in ("code:", "source:", "definition:", "html:", "image:"):
            text = "".join(lines)
            if key in text:
                pos = text.index(key) + len(key)
                end = min((p for p in (text.find(c, pos) for c in ",}\n") if p != -1),
                          default=len(text))
                return text[:pos] + " " + rng.choice(PATHS) + text[end:]
        lines.insert(i, "functions: { f: { code: " + rng.choice(PATHS) + " } }\n")
    elif op == 6:
        b = bytearray("".join(lines).encode())
        for _ in range(rng.randrange(1, 6)):
            if b:
                b[rng.randrange(len(b))] = rng.choice(b"{}[]:,&*!|>'\"%@`#- \t\n\x00")
        return b.decode("utf-8", "replace")
    elif op == 7:
        return "".join(lines) + rng.choice(SNIPPETS).rstrip("\n")  # no final newline
    else:
        return "".join(lines).replace(": ", ": &x ", 1).replace("]", ", *x]", 1)
    return "".join(lines)


def _hostile_tree(folder: Path) -> None:
    """Put links, FIFOs and an outside file next to a seed's config."""
    (folder.parent / "outside").mkdir(exist_ok=True)
    (folder.parent / "outside" / "secret.txt").write_text("TOP-SECRET-OUTSIDE")
    with_fs: list[Callable[[], None]] = [
        lambda: os.symlink(folder / "loop", folder / "loop"),
        lambda: os.mkfifo(folder / "pipe"),
    ]
    for make in with_fs:
        try:
            make()
        except OSError:
            pass


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


@pytest.mark.slow
def test_fuzz_mutants_never_crash_hang_or_leak(tmp_path: Path) -> None:
    """1,000+ mutants in-process (20 s guard each), a sample through the CLI; all clean."""
    rng = random.Random(20240909)
    seeds = []
    for name in SEEDS:
        src = GOLDEN / name
        if not (src / "cloud.yaml").exists():
            continue
        dst = tmp_path / name / "app"
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("expected"))
        _hostile_tree(dst)
        seeds.append((dst, (src / "cloud.yaml").read_text()))
    assert len(seeds) >= 4
    _reset_peak()
    baseline_mb = _status_mb("VmRSS")
    old = signal.signal(signal.SIGALRM, _alarm)
    failures: list[str] = []
    count = 0
    deadline = time.monotonic() + 50
    try:
        while count < 1000 or time.monotonic() < deadline and count < 1200:
            folder, text = seeds[count % len(seeds)]
            mutant = _mutants(text, rng)
            config = folder / "cloud.yaml"
            config.write_text(mutant, encoding="utf-8", errors="surrogateescape")
            signal.alarm(20)
            try:
                build = compile_config(config, rng.choice(["production", "staging"]),
                                       dry=count % 4 != 0)
            except _Timeout:
                failures.append(f"hang: {mutant[:200]!r}")
                continue
            except Exception as exc:  # noqa: BLE001 - what the fuzz looks for
                failures.append(f"{type(exc).__name__}: {exc}: {mutant[:200]!r}")
                continue
            finally:
                signal.alarm(0)
            count += 1
            for d in build.diagnostics.errors:
                if d.origin is None:
                    failures.append(f"unlocated {d.text()}: {mutant[:200]!r}")
            for data in build.assets.files.values():
                if b"TOP-SECRET-OUTSIDE" in data:
                    failures.append(f"leak: {mutant[:200]!r}")
            for doc in build.nested.values():
                if "TOP-SECRET-OUTSIDE" in str(doc) or "root:x:0:0" in str(doc):
                    failures.append(f"leak: {mutant[:200]!r}")
    finally:
        signal.signal(signal.SIGALRM, old)
    peak_mb = _status_mb("VmHWM")
    assert not failures, failures[:5]
    assert count >= 1000
    assert peak_mb < 300 + baseline_mb, (peak_mb, baseline_mb)
    # a small sample through the CLI: exit codes, no traceback, no signal death, memory
    for i in range(12):
        folder, text = seeds[i % len(seeds)]
        (folder / "cloud.yaml").write_text(_mutants(text, rng), encoding="utf-8",
                                           errors="surrogateescape")
        proc = forkcli.run(["build", "--out", str(tmp_path / "out")], folder,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=20,
                           peak_memory=True)  # VmHWM: the peak, including what fork shares
        _clean(proc)
        assert proc.returncode in (0, 1, 2), proc.stderr
        rss = int(proc.stderr.rsplit("MAXRSS ", 1)[1]) / 1024
        assert rss < 300, rss


def _status_mb(field: str) -> float:
    """Return a memory figure of this process from /proc/self/status, in MiB."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s*(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def _reset_peak() -> None:
    """Reset this process's VmHWM, so the peak measured is this test's, not earlier tests'."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:  # pragma: no cover - not Linux, or not allowed: the peak stays conservative
        pass


def test_code_folder_never_zips_an_earlier_build(tmp_path: Path) -> None:
    """`code: ./` beside the default `build/` output: the previous build is not shipped."""
    (tmp_path / "index.mjs").write_text("export const handler = async () => ({});\n")
    (tmp_path / "cloud.yaml").write_text(
        "project: { name: Demo }\nfunctions:\n  api: { code: ./ }\n")
    cmd = ["-q", "build", "--env", "production"]
    first = forkcli.run(cmd, tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert first.returncode == 0, first.stderr
    assets = sorted((tmp_path / "build" / "production" / "assets").iterdir())
    second = forkcli.run(cmd, tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert second.returncode == 0, second.stderr
    assert sorted((tmp_path / "build" / "production" / "assets").iterdir()) == assets
    import zipfile

    with zipfile.ZipFile(assets[0]) as zf:
        assert zf.namelist() == ["cloud.yaml", "index.mjs"]
