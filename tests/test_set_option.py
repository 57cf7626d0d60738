"""`--set PATH=VALUE` on every command that takes it: a malformed one is a usage error (exit 2)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cloudc.cli import cli


def _commands_with_set() -> list[str]:
    ctx = click.Context(cli)
    names = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        if command is not None and any(p.name == "sets" for p in command.params):
            names.append(name)
    return names


def test_the_commands_that_take_set() -> None:
    assert {"build", "validate", "diff", "deploy"} <= set(_commands_with_set())


@pytest.mark.parametrize("command", _commands_with_set())
@pytest.mark.parametrize("expr", ["nonsense", "=3", " . =1"])
def test_a_malformed_set_is_a_usage_error(command: str, expr: str, tmp_path: Path) -> None:
    (tmp_path / "cloud.yaml").write_text("project: { name: demo }\nqueues: { jobs: {} }\n")
    res = CliRunner().invoke(cli, ["--no-color", command, "--set", expr,
                                   str(tmp_path / "cloud.yaml")])
    assert res.exit_code == 2, res.output
    assert f"Invalid value for '--set': `{expr}` must look like PATH=VALUE" in res.output


def test_a_good_set_still_overrides(tmp_path: Path) -> None:
    (tmp_path / "cloud.yaml").write_text("project: { name: demo }\nqueues: { jobs: {} }\n")
    res = CliRunner().invoke(cli, ["--no-color", "validate", "--set", "queues.jobs.fifo=maybe",
                                   str(tmp_path / "cloud.yaml")])
    assert res.exit_code == 1, res.output
    assert "--set:1:1: error[E2003]: `queues.jobs.fifo`: expected true or false" in res.output
