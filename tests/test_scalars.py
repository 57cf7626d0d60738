"""One reading of scalars (YAML 1.2 core) in files, overlays and `--set`, as editors read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudc.diagnostics import Diagnostics
from cloudc.load import load_text, parse_value
from cloudc.resolve import resolve
from cloudc.validate import validate

# (as written, as read) - the YAML 1.2 core schema, which yaml-language-server uses too
READINGS: list[tuple[str, Any]] = [
    ("true", True), ("False", False), ("TRUE", True), ("yes", "yes"), ("on", "on"), ("off", "off"), ("y", "y"),
    ("007", 7), ("0755", 755), ("0o17", 15), ("0x1F", 31), ("-3", -3), ("1_000", "1_000"),
    ("1:30", "1:30"), ("0b101", "0b101"), ("1.5", 1.5), ("1e3", 1000.0), (".inf", ".inf"),
    ("~", None), ("null", None), ("text", "text"), ('"007"', "007"),
]


@pytest.mark.parametrize(("written", "read"), READINGS, ids=[w for w, _ in READINGS])
def test_files_and_set_read_scalars_alike(written: str, read: Any) -> None:
    doc = load_text(f"v: {written}\n", "cloud.yaml", "yaml", Diagnostics())
    assert doc is not None
    assert doc.data["v"] == read and type(doc.data["v"]) is type(read)
    got = parse_value(written)
    assert got == read and type(got) is type(read)


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "cloud.yaml"
    path.write_text("project: { name: demo }\n" + body, encoding="utf-8")
    return path


def test_set_reads_like_the_file(tmp_path: Path) -> None:
    path = _config(tmp_path, "queues:\n  jobs: { delay: 5 }\n")
    res = resolve(path, "development", ["queues.jobs.delay=007", "tags.flag=yes"], Diagnostics())
    assert res is not None
    assert res.data["queues"]["jobs"]["delay"] == 7
    assert res.data["tags"]["flag"] == "yes"


@pytest.mark.parametrize("word", ["yes", "on", "no", "off", "1"])
def test_boolean_settings_take_only_true_and_false(tmp_path: Path, word: str) -> None:
    path = _config(tmp_path, f"queues:\n  jobs: {{ fifo: {word} }}\n")
    diags = Diagnostics()
    res = resolve(path, "development", [], diags)
    assert res is not None
    assert validate(res, diags) is None
    assert any(d.origin is not None and d.origin.line == 3 for d in diags.items), diags.items


def test_boolean_text_from_the_environment_is_a_boolean(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIFO", "true")
    path = _config(tmp_path, "queues:\n  jobs: { fifo: \"${env:FIFO}\" }\n")
    diags = Diagnostics()
    res = resolve(path, "development", [], diags)
    assert res is not None
    config = validate(res, diags)
    assert config is not None, diags.items
    assert config.queues["jobs"].fifo is True  # type: ignore[attr-defined]


def test_an_unquoted_file_mode_is_the_mode_it_spells(tmp_path: Path) -> None:
    body = ("file_systems:\n  shared:\n    access_points:\n"
            "      app: { path: /app, permissions: 0750 }\n      web: { path: /web }\n")
    diags = Diagnostics()
    res = resolve(_config(tmp_path, body), "development", [], diags)
    assert res is not None
    config = validate(res, diags)
    assert config is not None, diags.items
    points = config.file_systems["shared"].access_points  # type: ignore[attr-defined]
    assert points["app"].permissions == "0750" and points["web"].permissions == "0755"
