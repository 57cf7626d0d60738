"""Deploy and the commands around it, on moto's server (127.0.0.1): Ctrl-C once the stack has
changed must not lose the deployment's record (`cloudc rollback` and `cloudc status` read it;
the Ctrl-C is a real SIGINT sent to this process while the record is written), and `status`
and `outputs` do not repeat the build's warnings."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from conftest_aws import Cli, app, cloudc, moto, moto_server, offline_aws  # noqa: F401


@pytest.mark.aws
def test_ctrl_c_while_recording_still_records(cloudc: Cli, app: Path,  # noqa: F811
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudc.aws import history

    real = history.record
    pressed: list[bool] = []

    def record(*args: Any, **kw: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C as the record starts
        pressed.append(True)
        real(*args, **kw)

    monkeypatch.setattr(history, "record", record)
    res = cloudc("deploy", "--env", "development", "--yes")
    assert pressed and res.exit_code == 0, res.output
    assert "recorded deployment" in res.output
    monkeypatch.setattr(history, "record", real)
    status = cloudc("status", "--env", "development")
    assert status.exit_code == 0, status.output
    assert "deployments (newest first):" in status.output and "config " in status.output


@pytest.mark.aws
def test_status_and_outputs_do_not_repeat_build_warnings(cloudc: Cli, app: Path) -> None:  # noqa: F811
    """Warnings are for `build`, `validate`, `diff` and `deploy`; `status` and `outputs` only
    need the stack's name, and show errors only (json: still one document on stderr)."""
    warn = ["--set", "storage.logs.public=true"]  # W1001: public access block turned off
    deployed = cloudc("deploy", "--env", "development", "--yes", *warn)
    assert deployed.exit_code == 0 and "warning[W1001]" in deployed.stderr
    for command in ("status", "outputs"):
        res = cloudc(command, "--env", "development", *warn)
        assert res.exit_code == 0 and "W1001" not in res.stderr, res.stderr
    as_json = cloudc("--error-format", "json", "status", "--env", "development", *warn)
    assert as_json.exit_code == 0 and as_json.stderr.strip() == "[]", as_json.stderr


@pytest.mark.aws
def test_two_deploys_in_one_second_keep_their_order(cloudc: Cli, app: Path,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployment IDs count seconds; a second deploy within the same second must still be the
    newest record (rollback's "the one before" and status's order depend on it)."""
    from datetime import UTC, datetime

    from cloudc.aws import history

    real = history.new_id
    frozen = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)
    monkeypatch.setattr(history, "new_id", lambda sha, now=None: real(sha, now or frozen))
    assert cloudc("deploy", "--env", "development", "--yes").exit_code == 0
    text = app.read_text().replace("visibility_timeout: 60", "visibility_timeout: 90")
    app.write_text(text)
    assert cloudc("deploy", "--env", "development", "--yes").exit_code == 0
    status = cloudc("status", "--env", "development", "--format", "json")
    ids = [d["id"] for d in __import__("json").loads(status.stdout)["deployments"]]
    assert ids[0].startswith("20261130T120006Z-") and ids[1].startswith("20261130T120005Z-"), ids
    back = cloudc("rollback", "--env", "development", "--yes")
    assert back.exit_code == 0 and f"to deployment {ids[1]}" in back.stderr, back.output
