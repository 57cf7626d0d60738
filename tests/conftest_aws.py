"""Fixtures for diff/deploy tests: a local moto server, no real AWS, and a CLI runner.

Import the fixtures by name in a test module (`from conftest_aws import ...`). Nothing here
can reach AWS: credentials are fake, config files point nowhere, instance metadata is off,
and every command gets `--endpoint-url` of the moto server.
"""

from __future__ import annotations

import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

APP = """\
project:
  name: Demo Shop
  region: us-east-1
mode: serverless
storage:
  uploads: { versioning: true }
  logs: {}
queues:
  jobs: { visibility_timeout: 60, dead_letter: { max_receives: 5 } }
  mail: {}
"""


@pytest.fixture(autouse=False)
def offline_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and no config files: nothing can use a real account."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "CLOUDC_ENV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    # moto loads a service's backend on its first call, slowly on a busy machine; the 4 s
    # default (a dead endpoint is reported within 20 s) is for real AWS.
    monkeypatch.setenv("CLOUDC_AWS_TIMEOUT", "120")
    from cloudc.aws import deploy

    monkeypatch.setattr(deploy, "POLL_SECONDS", 0.01)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Start one moto server for the session on a free local port; yield its URL."""
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(moto_server: str, offline_aws: None) -> str:
    """Reset the moto server (a failed create leaves it in a bad state); return its URL."""
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).read()
    return moto_server


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write the sample app (storage + queues) in a fresh folder and work there."""
    (tmp_path / "cloud.yaml").write_text(APP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cloud.yaml"


class Cli:
    """Run cloudc in-process against one endpoint."""

    def __init__(self, endpoint: str | None) -> None:
        self.endpoint = endpoint

    def __call__(self, *args: str, **kw: Any) -> Result:
        from cloudc.cli import cli

        pre = ["--no-color"] + (["--endpoint-url", self.endpoint] if self.endpoint else [])
        return CliRunner().invoke(cli, [*pre, *args], catch_exceptions=False, **kw)


@pytest.fixture
def cloudc(moto: str) -> Cli:
    """Return a runner for `cloudc ...` pointed at the moto server."""
    return Cli(moto)


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in the config (the test fails if `old` is not there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def dedent(text: str) -> str:
    """Dedent a config written inline in a test."""
    return textwrap.dedent(text)
