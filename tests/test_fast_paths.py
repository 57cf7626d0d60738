"""The build's fast paths (issue 15) give exactly what the plain definitions give: the YAML
loader's inline scalar and key handling, the JSON writer's one-call encoding of big sections,
the spec-value check's per-type plan and the region check's pre-scan."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudc.checks import regions, spec_values
from cloudc.compile import compile_config
from cloudc.diagnostics import Diagnostics
from cloudc.emit.writer import _CUT, _compact, to_json
from cloudc.load import _CORE, _plain_scalar, _typed, load_text

_SCALARS = ["", "~", "null", "Null", "NULL", "nul", "true", "True", "TRUE", "tRue", "false",
            "FALSE", "yes", "no", "on", "off", "0", "007", "-1", "+12", "0o17", "0o8", "0x1F",
            "0xG", "1_000", "1:30", "1.5", "-.5", "+.5e3", "1e3", "1E-3", ".", "-", "+", ".inf",
            "-.INF", "+.Inf", ".5", ".5e3", "1.", "0.0", ".nan", ".NaN", "nan", "inf", "99999999999999999999999", "a-1",
            "./src", "~x", "tilde~", "t", "f", "n"]


def _slow_plain(text: str) -> Any:
    """The plain definition: try every core-schema pattern, in order."""
    for pattern, tag in _CORE:
        if pattern.fullmatch(text):
            return _typed(text, tag)
    return text


@pytest.mark.parametrize("text", _SCALARS)
def test_plain_scalars_read_as_the_core_schema_says(text: str) -> None:
    got, want = _plain_scalar(text), _slow_plain(text)
    assert type(got) is type(want) and (got == want or (got != got and want != want)), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-.eExXoOabfnNtTrRuU_:~ ", max_size=8))
def test_plain_scalars_agree_with_the_patterns_on_any_text(text: str) -> None:
    got, want = _plain_scalar(text), _slow_plain(text)
    assert type(got) is type(want) and (got == want or (got != got and want != want)), text


def test_inline_keys_and_values_keep_every_position_and_rule() -> None:
    text = ("a: 1\n"
            "b: {c: yes, 'd': \"2\", e: [~, 0x1F, &x {f: 1}]}\n"
            "g: *x\n"
            "h:\n  <<: *x\n  i: !!str 3\n"
            "a: 2\n")
    diags = Diagnostics()
    doc = load_text(text, "c.yaml", "yaml", diags)
    assert doc is not None
    assert doc.data == {"a": 2, "b": {"c": "yes", "d": "2", "e": [None, 31, {"f": 1}]},
                        "g": {"f": 1}, "h": {"f": 1, "i": "3"}}
    assert [d.code for d in diags.items] == ["E0004"]  # the second `a`
    where = {p: (o.line, o.col) for p, o in doc.origins.items()}
    assert where[("b", "e", 1)] == (2, 30)
    assert where[("g", "f")] == (2, 43)  # through an alias: where the anchored `1` was written
    assert where[("h", "i")] == (6, 6)
    assert doc.origins.key(("b", "d")) is not None and doc.origins.key(("b", "d")).col == 13


def _lined(doc: dict[str, Any]) -> str:
    """The writer's format by its plain definition: one encoder call per entry."""
    lines = ["{"]
    keys = list(doc)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = doc[key]
        if isinstance(value, dict) and value and key in ("Resources", "Outputs"):
            lines.append(f"{_compact(key)}:{{")
            items = list(value.items())
            lines += [f"{_compact(k)}:{_compact(v)}{',' if j < len(items) - 1 else ''}"
                      for j, (k, v) in enumerate(items)]
            lines.append("}" + comma)
        elif isinstance(value, list) and value and key == "templates":
            lines.append(f"{_compact(key)}:[")
            lines += [f"{_compact(v)}{',' if j < len(value) - 1 else ''}"
                      for j, v in enumerate(value)]
            lines.append("]" + comma)
        else:
            lines.append(f"{_compact(key)}:{_compact(value)}{comma}")
    return "\n".join(lines + ["}"]) + "\n"


@pytest.mark.parametrize("resources", [
    {"A": {"Type": "T", "Properties": {"X": "é\n\"\\", "Y": [1, 2.5, None, True]}}},
    {"A": {"P": 1}, "B": {"P": [_CUT, "x"]}, "C": _CUT, "D": {}},  # the cut itself: fallback
    {f"R{i}": {"P": {"Q": i, "S": ["a,b", {"k": "v"}]}} for i in range(50)},
])
def test_one_call_sections_equal_one_call_per_entry(resources: dict[str, Any]) -> None:
    doc = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources,
           "Outputs": {"O": {"Value": "v"}}, "templates": [{"a": 1}, [_CUT], "x"]}
    text = to_json(doc)
    assert text == _lined(doc)
    assert json.loads(text) == doc


def test_a_bad_arn_region_is_still_found_by_the_pre_scan(tmp_path: Path) -> None:
    assert regions._any_unknown({"a": ["arn:aws:sqs:mars-1:1:q"]}, regions.regions())
    assert not regions._any_unknown({"a": ["arn:aws:sqs:us-east-1:1:q", "mars-1", 3]},
                                    regions.regions())
    config = tmp_path / "cloud.yaml"
    config.write_text("project: {name: a, region: us-east-1}\n"
                      "functions:\n  api:\n    code: ./src\n"
                      "    environment: {TOPIC: 'arn:aws:sns:us-eest-1:123456789012:t'}\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.mjs").write_text("export const handler = async () => 1;\n")
    build = compile_config(config, "dev")
    found = [d for d in build.diagnostics.items if d.code == "E3104"]
    assert len(found) == 1 and found[0].origin is not None and found[0].origin.line == 5
    assert re.search(r"us-eest-1", found[0].message)


_PROPS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["a", "", "x/y"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["A", "B", "C", "*"]), inner,
                                            max_size=3)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D", "*"]), _PROPS, max_size=4))
def test_spec_value_plan_finds_what_the_pointer_walk_finds(props: dict[str, Any]) -> None:
    rules = {p: {"n": i} for i, p in enumerate(
        ["A", "B/C", "B/*", "C/*", "*", "*/A", "D/A", "A/*", "B"])}
    plan = [(parts[0], parts[1:], p, r) for p, r in rules.items()
            for parts in [p.split("/")] if parts[0] != "*"]
    got = [(p, prop, v) for p, _, prop, v in spec_values.literals(props, plan)]
    want = [(p, prop, v) for p in rules
            for prop, v in spec_values._values(props, p.split("/"), ())]
    assert got == want
