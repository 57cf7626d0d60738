"""Load and resolve: positions for YAML, TOML and JSON; merge rules; interpolation."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudc.diagnostics import Diagnostics
from cloudc.load import load_text
from cloudc.resolve import merge, resolve
from cloudc.source import Origins


def test_yaml_positions_of_keys_and_values() -> None:
    doc = load_text("a: 1\nb:\n  c: [x, yes]\n", "f.yaml", "yaml", Diagnostics())
    assert doc is not None
    assert doc.data == {"a": 1, "b": {"c": ["x", "yes"]}}  # YAML 1.2: `yes` stays a string
    assert str(doc.origins.get(("b", "c", 1))) == "f.yaml:3:10"
    assert str(doc.origins.key(("b", "c"))) == "f.yaml:3:3"


def test_duplicate_keys_are_errors() -> None:
    diags = Diagnostics()
    load_text("a: 1\na: 2\n", "f.yaml", "yaml", diags)
    assert [d.code for d in diags.items] == ["E0004"]


def test_toml_positions_are_line_accurate() -> None:
    text = '[project]\nname = "x"\n\n[queues.jobs]\ndelay = 5\n[[extends_list]]\nx = 1\n'
    doc = load_text(text, "c.toml", "toml", Diagnostics())
    assert doc is not None
    assert doc.origins.key(("queues", "jobs", "delay")).line == 5
    assert doc.origins.key(("project", "name")).line == 2


def test_json_positions() -> None:
    doc = load_text('{\n  "storage": {\n    "b": {"versioning": true}\n  }\n}\n', "c.json", "json",
                    Diagnostics())
    assert doc is not None and doc.origins.key(("storage", "b", "versioning")).line == 3


def test_invalid_json_reports_its_line() -> None:
    diags = Diagnostics()
    assert load_text('{\n  "a": [1,\n', "c.json", "json", diags) is None
    assert diags.items[0].code == "E0002" and diags.items[0].origin.line >= 2


def test_merge_rules_maps_merge_scalars_and_lists_replace_null_deletes() -> None:
    base = {"a": {"x": 1, "y": [1, 2], "z": 3}, "b": 1}
    over = {"a": {"y": [9], "z": None}, "c": 2}
    merged, _ = merge(base, Origins(), over, Origins())
    assert merged == {"a": {"x": 1, "y": [9]}, "b": 1, "c": 2}
    assert base == {"a": {"x": 1, "y": [1, 2], "z": 3}, "b": 1}  # inputs untouched


def test_layers_and_provenance(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("queues:\n  jobs: { delay: 1, retention_days: 2 }\n")
    (tmp_path / "cloud.yaml").write_text(
        "extends: [./base.yaml]\nproject: { name: Demo App }\nvariables: { d: 7 }\n"
        "queues:\n  jobs: { delay: 3 }\n"
        "environments:\n  production:\n    queues: { jobs: { delay: \"${var:d}\" } }\n")
    (tmp_path / "cloud.production.yaml").write_text("queues:\n  jobs: { retention_days: 9 }\n")
    diags = Diagnostics()
    res = resolve(tmp_path / "cloud.yaml", "production", ["queues.jobs.receive_wait=4"], diags)
    assert res is not None and not diags.items
    assert res.data["queues"]["jobs"] == {"delay": 7, "retention_days": 9, "receive_wait": 4}
    assert res.data["project"]["slug"] == "demo-app"
    assert res.origins.get(("queues", "jobs", "delay")).layer == "environments.production"
    assert res.origins.get(("queues", "jobs", "retention_days")).file.endswith("cloud.production.yaml")
    assert res.origins.get(("queues", "jobs", "receive_wait")).layer == "--set"
    staging = resolve(tmp_path / "cloud.yaml", "staging", [], Diagnostics())
    assert staging is not None
    assert staging.data["queues"]["jobs"] == {"delay": 3, "retention_days": 2}
    assert staging.origins.get(("queues", "jobs", "retention_days")).layer == "preset ./base.yaml"


def test_env_interpolation_with_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLOUDC_TEST_X", "abc")
    (tmp_path / "cloud.yaml").write_text(
        "project: { name: p }\ntags: { a: '${env:CLOUDC_TEST_X}', b: '${env:NOPE_NOPE, dflt}',"
        " c: '${environment}-${project.slug}', d: 'x-${region}' }\n")
    res = resolve(tmp_path / "cloud.yaml", "qa", [], Diagnostics())
    assert res is not None
    assert res.data["tags"] == {"a": "abc", "b": "dflt", "c": "qa-p", "d": "x-${region}"}


def test_a_derived_slug_too_long_is_reported_at_the_name(tmp_path: Path) -> None:
    from cloudc.compile import compile_config

    path = tmp_path / "cloud.yaml"
    path.write_text("project:\n  name: A Very Long Project Name That Goes On And On\n"
                    "queues: { jobs: {} }\n")
    b = compile_config(path, "dev", dry=True)
    assert [d.text() for d in b.diagnostics.errors] == [
        f"{path}:2:9: error[E2005]: `project.name`: the slug derived from the name `A Very Long "
        "Project Name That Goes On And On` is 44 characters (at most 31); set `project.slug` "
        "(add `slug: a-very-long-project-name-that` under `project`: lowercase letters, "
        "digits and `-`, starting with a letter, at most 31; physical names start with it)"]
    path.write_text("project:\n  name: 42 Shop\n")
    b = compile_config(path, "dev", dry=True)
    assert [d.text().split(": ", 1)[1] for d in b.diagnostics.errors] == [
        "error[E2005]: `project.name`: the slug derived from the name `42 Shop` (`42-shop`) does "
        "not start with a letter; set `project.slug` (add `slug: app-42-shop` under `project`: "
        "lowercase letters, digits and `-`, starting with a letter, at most 31; physical names "
        "start with it)"]
    path.write_text("project:\n  name: Shop\n  slug: 42x\n")  # a written slug: the schema says so
    b = compile_config(path, "dev", dry=True)
    assert [d.text().split(": ", 1)[1] for d in b.diagnostics.errors] == [
        "error[E2005]: `project.slug`: `42x` is not a slug (lowercase letters, digits and `-`, "
        "starting with a letter, at most 31)"]


@pytest.mark.parametrize("text, line, col, message", [
    ('{"project": {"name": "x",}}', 1, 26,
     "invalid JSON: Expecting property name enclosed in double quotes"),
    ('{\n  "project": {"name": \'x\'}\n}\n', 2, 23, "invalid JSON: Expecting value"),
    ('{\n  "functions": {"a": {"memory": NaN}}\n}\n', 2, 33,
     "invalid JSON: `NaN` is not a JSON value"),
])
def test_json_is_strict_and_located(text: str, line: int, col: int, message: str) -> None:
    diags = Diagnostics()
    assert load_text(text, "cloud.json", "json", diags) is None
    d = diags.items[0]
    assert (d.origin.file, d.origin.line, d.origin.col, d.code, d.message) == (
        "cloud.json", line, col, "E0002", message)


def test_json_numbers_are_json_numbers() -> None:
    diags = Diagnostics()
    doc = load_text('{"functions": {"a": {"memory": 1e3}}}', "c.json", "json", diags)
    assert doc is not None and not diags.items
    assert doc.data["functions"]["a"]["memory"] == 1000.0
    assert doc.origins.get(("functions", "a", "memory")).col == 32


def test_toml_dotted_header_and_dotted_key_tables_have_their_line() -> None:
    text = ('[project]\nname = "x"\n\n[functions.api]\nhandler = "i.h"\n'
            '  limits.burst.max = 3\n\n[storag.uploads]\nversioning = true\n')
    doc = load_text(text, "cloud.toml", "toml", Diagnostics())
    assert doc is not None
    key = doc.origins.key
    assert (key(("storag",)).line, key(("storag",)).col) == (8, 2)
    assert (key(("functions",)).line, key(("functions",)).col) == (4, 2)
    limits = key(("functions", "api", "limits"))
    assert (limits.line, limits.col) == (6, 3)
    assert key(("functions", "api", "limits", "burst")).col == 10


def test_toml_unknown_section_from_dotted_header_is_located(tmp_path: Path) -> None:
    from cloudc.compile import compile_config

    (tmp_path / "cloud.toml").write_text(
        '[project]\nname = "x"\nregion = "us-east-1"\n\n[queues.jobs]\n\n[storag.uploads]\n'
        'versioning = true\n')
    build = compile_config(tmp_path / "cloud.toml", "development", dry=True)
    lines = [d.text() for d in build.diagnostics.errors]
    assert lines == [f"{tmp_path / 'cloud.toml'}:7:2: error[E2001]: unknown section `storag` "
                     "(did you mean `storage`?)"]
