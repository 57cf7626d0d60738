"""The committed JSON Schema is generated from the models, and it describes real files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cloudc.cli import cli
from cloudc.schema import json_schema_text

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "schemas" / "cloud.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(), "run: python scripts/gen_schema.py"


def test_cli_schema_equals_committed() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schemas" / "cloud.schema.json").read_text(encoding="utf-8")


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(json_schema_text()))


def _user_files() -> list[Path]:
    files = sorted((ROOT / "tests" / "golden").glob("[!e]*/cloud.yaml"))
    files += sorted((ROOT / "examples").glob("*/cloud.yaml"))
    files += sorted((ROOT / "presets").glob("*.yaml"))
    return files


@pytest.mark.parametrize("path", _user_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_schema_accepts_user_files(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    errors = sorted(_validator().iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_schema_accepts_interpolation_for_numbers_and_booleans() -> None:
    data = {"project": {"name": "x"},
            "queues": {"jobs": {"visibility_timeout": "${var:vt}", "fifo": "${var:fifo}"}}}
    assert not list(_validator().iter_errors(data))


def test_schema_rejects_misspelt_keys_and_bad_names() -> None:
    v = _validator()
    assert list(v.iter_errors({"storge": {}}))
    assert list(v.iter_errors({"storage": {"Uploads": {}}}))
    assert list(v.iter_errors({"storage": {"uploads": {"versoning": True}}}))


def test_schema_is_partial_for_presets_and_overlays() -> None:
    """What a preset can supply is optional in the schema: a lone overlay validates."""
    v = _validator()
    assert not list(v.iter_errors({"functions": {"api": {"memory": 1024}}}))
    assert not list(v.iter_errors({"environments": {"production": {"queues": {"jobs": {"delay": 5}}}}}))
