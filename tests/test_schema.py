"""The committed JSON Schema is generated from the models, and it describes real files."""

from __future__ import annotations

import importlib.util
import json
import re
import typing
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from referencing import Registry, Resource

from cloudc.cli import cli
from cloudc.schema import json_schema, json_schema_text, layer_schema_text
from cloudc.schema.editor_docs import DOC_PAGES, lists
from cloudc.schema.sections.functions import Runtime

ROOT = Path(__file__).resolve().parents[1]


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "schemas" / "cloud.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(), "run: python scripts/gen_schema.py"
    layer = (ROOT / "schemas" / "cloud.layer.schema.json").read_text(encoding="utf-8")
    assert layer == layer_schema_text(), "run: python scripts/gen_schema.py"


def test_cli_schema_equals_committed() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "schemas" / "cloud.schema.json").read_text(encoding="utf-8")


def test_committed_editor_lists_are_current() -> None:
    pytest.importorskip("botocore", reason="botocore is needed to regenerate the lists")
    pytest.importorskip("cfnlint", reason="cfn-lint is needed to regenerate the lists")
    spec = importlib.util.spec_from_file_location("gen_editor_lists",
                                                  ROOT / "scripts" / "gen_editor_lists.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (ROOT / "cloudc" / "data" / "editor_lists.json").read_text(encoding="utf-8")
    assert committed == gen.generate(), "run: python scripts/gen_editor_lists.py"


@cache
def _schema() -> dict[str, Any]:
    return json_schema()


def _validator(layer: bool = False) -> jsonschema.Draft202012Validator:
    main = _schema()
    registry: Registry[Any] = Registry().with_resource(
        main["$id"], Resource.from_contents(main))
    doc = json.loads(layer_schema_text()) if layer else main
    return jsonschema.Draft202012Validator(doc, registry=registry)


def _errors(data: Any, layer: bool = False) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(layer).iter_errors(data)]


def _user_files() -> list[Path]:
    files = sorted((ROOT / "tests" / "golden").glob("[!e]*/cloud.yaml"))
    files += sorted((ROOT / "examples").glob("*/cloud.yaml"))
    files += sorted((ROOT / "presets").glob("*.yaml"))
    return files


@pytest.mark.parametrize("path", _user_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_schema_accepts_user_files(path: Path) -> None:
    """Config files validate against the main schema, presets against the layer schema."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    errors = _errors(data, layer=path.parent.name == "presets")
    assert not errors, "\n".join(errors[:5])


def test_schema_accepts_interpolation_where_cloudc_interpolates() -> None:
    """A `${...}` goes in enums, patterns, numbers and booleans: cloudc resolves it first."""
    data = {"project": {"name": "x", "region": "${var:region}"}, "mode": "${var:mode}",
            "functions": {"api": {"code": "./api", "runtime": "${var:rt}",
                                  "memory": "${var:mem}", "tracing": "${var:t}"}},
            "databases": {"db": {"engine": "${var:engine}", "instance": "db.${var:size}",
                                 "min_capacity": "${var:acu}"}},
            "services": {"web": {"image": "nginx", "cpu": "${var:cpu}"}},
            "servers": {"box": {"instance": "${var:instance}"}},
            "queues": {"jobs": {"visibility_timeout": "${var:vt}", "fifo": "${var:fifo}"}}}
    assert not _errors(data)


def test_schema_still_rejects_wrong_values() -> None:
    assert _errors({"project": {"name": "x"}, "functions": {"a": {"runtime": "nodejs99"}}})
    assert _errors({"project": {"name": "x"}, "functions": {"a": {"memory": "lots"}}})
    assert _errors({"project": {"name": "x"}, "functions": {"a": {"memory": "${var:m}MB"}}})
    assert _errors({"project": {"name": "x"}, "queues": {"j": {"fifo": "yes"}}})


def test_schema_rejects_misspelt_keys_and_bad_names() -> None:
    assert _errors({"project": {"name": "x"}, "storge": {}})
    assert _errors({"project": {"name": "x"}, "storage": {"Uploads": {}}})
    assert _errors({"project": {"name": "x"}, "storage": {"uploads": {"versoning": True}}})


def test_project_is_required_unless_the_file_extends_another() -> None:
    assert any("project" in e for e in _errors({"storage": {"files": {}}}))
    assert not _errors({"extends": ["api-only"], "storage": {"files": {}}})
    assert not _errors({"extends": "./base.yaml"})


def test_null_deletes_in_overlays_and_extending_files_only() -> None:
    overlay = {"storage": {"tmp": None}, "functions": {"api": {"timeout": None}}}
    assert not _errors({"extends": ["api-only"], **overlay})
    assert not _errors({"project": {"name": "x"}, "environments": {"production": overlay}})
    assert not _errors(overlay, layer=True)
    assert _errors({"project": {"name": "x"}, **overlay})


def test_schema_is_partial_for_presets_and_overlays() -> None:
    """What a preset can supply is optional in the schema: a lone overlay validates."""
    assert not _errors({"functions": {"api": {"memory": 1024}}}, layer=True)
    assert not _errors({"project": {"name": "x"},
                        "environments": {"production": {"queues": {"jobs": {"delay": 5}}}}})


def _properties() -> list[tuple[str, str, dict[str, Any]]]:
    return [(model, key, prop) for model, node in _schema()["$defs"].items()
            for key, prop in node.get("properties", {}).items()]


def test_every_property_is_documented() -> None:
    """Every key (new ones too) has a description, and markdown with a link to its page."""
    missing = [f"{m}.{k}" for m, k, p in _properties()
               if not p.get("description") or not p.get("markdownDescription")]
    assert not missing, f"give these a Field(description=...): {missing}"
    for _, _, prop in _properties():
        link = prop["markdownDescription"].rsplit("](", 1)[1].rstrip(")")
        page = link.split("/docs/", 1)[1]
        assert (ROOT / "docs" / page).exists(), link
    assert set(DOC_PAGES.values()) <= {p.stem for p in (ROOT / "docs" / "sections").glob("*.md")}


def test_markdown_gives_unit_default_and_example() -> None:
    memory = _schema()["$defs"]["Function"]["properties"]["memory"]["markdownDescription"]
    assert "Unit: MB" in memory and "Default: `512`" in memory and "memory: 512" in memory
    assert "docs/sections/functions.md" in memory


def test_completion_never_inserts_null() -> None:
    text = json.dumps(_schema())
    assert '"default": null' not in text
    for _, _, prop in _properties():
        for snippet in prop.get("defaultSnippets", []):
            assert "null" not in json.dumps(snippet["body"]), snippet


def test_suggestions_come_from_the_generated_lists() -> None:
    defs = _schema()["$defs"]
    def values(prop: dict[str, Any]) -> list[str]:
        refs = list(re.findall(r'"#/\$defs/(Values_\w+)"', json.dumps(prop)))
        assert len(refs) == 1, prop
        return [snippet["body"] for snippet in defs[refs[0]]["defaultSnippets"]]

    instance = defs["Server"]["properties"]["instance"]
    assert values(instance) == lists()["ec2_instance_types"]
    assert "t4g.small" in values(instance) and "examples" not in instance
    assert "db.t4g.micro" in values(defs["Database"]["properties"]["instance"])
    assert "cache.t4g.micro" in values(defs["Cache"]["properties"]["node"])
    assert "r6g.large.search" in values(defs["SearchDomain"]["properties"]["instance"])
    assert "eu-west-1" in values(defs["Project"]["properties"]["region"])
    root = defs["CloudConfig"]["properties"]
    assert "api-only" in root["extends"]["anyOf"][1]["anyOf"][0]["enum"]
    assert set(root["environments"]["properties"]) == {"production", "staging", "development"}


def test_runtimes_are_real_lambda_runtimes() -> None:
    """cloudc's runtimes (the ones Lambda still creates) are all in Lambda's own list."""
    assert set(typing.get_args(Runtime)) <= set(lists()["lambda_runtimes"])


def _scalar_kinds(prop: dict[str, Any]) -> set[str]:
    branches = prop.get("anyOf", [prop])
    kinds = {str(b.get("type")) for b in branches if "$ref" not in b and "title" not in b}
    kinds |= {"enum" for b in branches if "enum" in b}
    return kinds & {"string", "integer", "number", "boolean", "enum"}


def test_every_scalar_field_takes_a_variable() -> None:
    """Whatever field a helper adds, the editor accepts `${var:x}` where cloudc does."""
    schema = _schema()
    checked = 0
    for model, key, prop in _properties():
        if model.startswith("CloudConfig") and key in ("extends", "variables"):
            continue  # presets are read before interpolation; variables take anything
        if not _scalar_kinds(prop):
            continue
        sub = jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]})
        assert sub.is_valid("${var:x}"), f"{model}.{key} refuses ${{var:x}}"
        checked += 1
    assert checked > 250


def test_every_key_of_a_layer_may_be_null() -> None:
    """In a preset, an overlay or a file that extends another, `null` deletes any key."""
    schema = _schema()
    layers = [(m, k, p) for m, k, p in _properties() if m.endswith("Layer") or m == "Environment"]
    assert len(layers) > 400
    for model, key, prop in layers:
        sub = jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]})
        assert sub.is_valid(None), f"{model}.{key} refuses null"
