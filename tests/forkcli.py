"""Run `cloudc ARGS` as its own process without paying for Python's start-up each time.

A `python -m cloudc` spends about 0.3 s of CPU starting Python and importing cloudc before it
reads its arguments. Here one helper process imports the CLI (and the compiler) once and forks
a child per command: the child is a real process with its own working folder, environment,
stdin (/dev/null), stdout and stderr, runs `cloudc.__main__.run()` (what `python -m cloudc`
runs) and exits as Python would: SystemExit's code, 1 and a traceback for an uncaught
exception, death by SIGINT for an uncaught KeyboardInterrupt. Exit codes, signals, hangs
(`timeout` kills the child) and stdout/stderr separation are the process's own.

What it does not cover: interpreter start-up and the imports themselves (Ctrl-C during them,
start-up time, what `python -m cloudc` imports). Tests of those start `python -m cloudc`.
The helper process starts on first use, one per pytest process (xdist worker).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SERVER = r'''
import json, os, signal, sys, traceback
requests, replies = os.fdopen(os.dup(0), "rb"), os.dup(1)
null = os.open(os.devnull, os.O_RDWR)
os.dup2(null, 0)
os.dup2(null, 1)
import cloudc.__main__, cloudc.cli, cloudc.compile  # what every build imports, once

def child(req):
    code = 1
    try:
        requests.close()
        os.close(replies)
        for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
            f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(f, fd)
            os.close(f)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.argv = [cloudc.__main__.__file__, *req["args"]]
        try:
            cloudc.__main__.run()
            code = 0
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
        except KeyboardInterrupt:
            traceback.print_exc()
            sys.stderr.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except BaseException:
            traceback.print_exc()
        finally:
            if req["hwm"]:  # the child's peak resident memory, as the last line of stderr
                status = open("/proc/self/status").read()
                hwm = status.split("VmHWM:")[1].split()[0]
                sys.stderr.write(f"MAXRSS {hwm}\n")
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # the set-up failed (no such folder...): say why
        traceback.print_exc()
    finally:
        os._exit(code)

for line in requests:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        child(req)
    os.write(replies, (json.dumps({"pid": pid}) + "\n").encode())
    _, status = os.waitpid(pid, 0)
    os.write(replies, (json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n").encode())
'''


class _Server:
    """The helper process: one request at a time, a fork per request."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, cwd=ROOT)
        self.buffer = b""

    def send(self, request: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()

    def reply(self, timeout: float | None) -> dict[str, int] | None:
        """Return the next reply line, or None when `timeout` seconds pass without one."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"the cloudc fork helper died ({self.proc.wait()})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        result: dict[str, int] = json.loads(line)
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        if self.proc.poll() is None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


_server: _Server | None = None


def _get() -> _Server:
    global _server
    if _server is None or _server.proc.poll() is not None:
        _server = _Server()
        atexit.register(_server.close)
    return _server


def run(args: Sequence[str], cwd: Path | str | None = None, env: Mapping[str, str] | None = None,
        timeout: float = 60, peak_memory: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `cloudc ARGS` in a forked process; like `subprocess.run(..., capture_output=True,
    text=True, timeout=timeout)` of `python -m cloudc ARGS` (raises TimeoutExpired, after
    killing the child, when it runs longer). `env` is the child's whole environment (default:
    this process's); with `peak_memory` stderr ends with `MAXRSS <VmHWM in kB>`."""
    server = _get()
    with tempfile.TemporaryDirectory(prefix="cloudc-fork-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        try:
            server.send({"args": list(args), "cwd": str(Path(cwd or os.getcwd()).resolve()),
                         "env": dict(os.environ if env is None else env), "stdout": str(out),
                         "stderr": str(err), "hwm": peak_memory})
            started = server.reply(60)
            assert started is not None, "the cloudc fork helper did not answer"
            done = server.reply(timeout)
            if done is None:
                os.kill(started["pid"], signal.SIGKILL)
                server.reply(None)
                raise subprocess.TimeoutExpired(["cloudc", *args], timeout)
        except BaseException as exc:
            if not isinstance(exc, subprocess.TimeoutExpired):  # out of step: start afresh
                server.proc.kill()
            raise
        return subprocess.CompletedProcess(["cloudc", *args], done["code"],
                                           out.read_text(), err.read_text())
