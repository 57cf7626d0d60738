"""Every built-in preset: `cloudc init --preset P` scaffolds an app that builds everywhere."""

from __future__ import annotations

import json
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
