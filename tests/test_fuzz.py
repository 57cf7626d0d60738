"""Property test: whatever the config, validate reports findings and never raises."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cloudc
from cloudc.compile import Build, compile_config
from cloudc.diagnostics import Diagnostic
from cloudc.source import Origin

GOLDEN = Path(__file__).parent / "golden"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it


@functools.cache
def _bases() -> dict[str, Any]:
    """Every golden case's config, read once when a test first needs it (not at collection)."""
    cases = sorted(p for p in GOLDEN.glob("*/cloud.yaml") if not p.parent.name.startswith("error_"))
    return {p.parent.name: yaml.load(p.read_text(), Loader=_LOADER) for p in cases}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 100000), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["${var:x}", "${storage.uploads.arn}",
                                                           "${env:NOPE}", "${", "storage.nope",
                                                           "queues.jobs", "rate(1 minute)"]))
values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=3),
                                                  st.dictionaries(st.text(max_size=8), c,
                                                                  max_size=3)), max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _all_paths() -> st.SearchStrategy[tuple[str, tuple[Any, ...]]]:
    return st.sampled_from([(case, p) for case, data in _bases().items() for p in _paths(data) if p])


def _mutate(data, path, value, delete):
    import copy

    data = copy.deepcopy(data)
    cur = data
    for p in path[:-1]:
        cur = cur[p]
    if delete and isinstance(cur, dict):
        cur.pop(path[-1], None)
    else:
        cur[path[-1]] = value
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.deferred(_all_paths), value=values, delete=st.booleans(),
       env=st.sampled_from(["production", "staging", "qa"]))
def test_validate_never_raises_on_mutated_configs(tmp_path_factory, where, value, delete, env) -> None:
    """Mutate one value of any golden case (in a copy of its folder) and compile it."""
    import shutil

    case, path = where
    folder = tmp_path_factory.mktemp("fuzz") / case
    shutil.copytree(GOLDEN / case, folder, ignore=shutil.ignore_patterns("expected"))
    config = folder / "cloud.yaml"
    config.write_text(yaml.safe_dump(_mutate(_bases()[case], path, value, delete)))
    build = compile_config(config, env, dry=True)
    _assert_located(build, folder)


VALID = ["project: { name: Demo }\n", "project: { name: Demo }\nqueues: { jobs: {} }\n"]


@settings(max_examples=80, deadline=None)
@given(text=st.one_of(st.text(max_size=200), st.sampled_from(VALID)))
def test_arbitrary_text_never_raises(tmp_path_factory, text) -> None:
    """Any text either compiles to templates or fails with errors located in the file."""
    folder = tmp_path_factory.mktemp("text")
    config = folder / "cloud.yaml"
    config.write_text(text)
    build = compile_config(config, "development", dry=True)
    if build.diagnostics.has_errors:
        _assert_located(build, folder)
    else:
        assert build.ir is not None and "Resources" in build.root, "no errors, yet no template"
    if text in VALID:
        assert not build.diagnostics.has_errors, [d.text() for d in build.diagnostics.items]


LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (error|warning|note)\[")
PACKAGE = Path(cloudc.__file__).parent


def _assert_located(build: Build, folder: Path) -> None:
    """Assert every finding reads `FILE:LINE:COL: severity[CODE]: ...` at a real place.

    A finding with an origin points into the app's folder (the config and the files it names)
    or into a built-in preset, at a line and column that exist in that file.
    """
    for d in build.diagnostics.sorted():
        text = d.text()
        m = LOCATION.match(text)
        assert m is not None and text[m.end():].startswith(f"{d.code}]: "), text
        if d.origin is None:
            continue
        file = Path(d.origin.file).absolute()  # not resolved: built-in presets are a symlink
        assert file.is_relative_to(folder.absolute()) or file.is_relative_to(PACKAGE), text
        assert d.origin.line >= 1 and d.origin.col >= 1, text
        if file.is_file():
            lines = file.read_text(encoding="utf-8", errors="replace").split("\n")
            assert d.origin.line <= len(lines), text


@pytest.mark.parametrize("origin", [Origin("elsewhere/cloud.yaml", 1, 1),
                                    Origin("{folder}/cloud.yaml", 0, 1),
                                    Origin("{folder}/cloud.yaml", 99, 1)])
def test_location_check_can_fail(tmp_path: Path, origin: Origin) -> None:
    """The check above rejects a finding outside the folder, at line 0, or past the end."""
    (tmp_path / "cloud.yaml").write_text("project: { name: Demo }\n")
    build = Build("development")
    origin = dataclasses.replace(origin, file=origin.file.format(folder=tmp_path))
    build.diagnostics.items.append(Diagnostic("E0001", "file not found", origin))
    with pytest.raises(AssertionError):
        _assert_located(build, tmp_path)
    good = dataclasses.replace(origin, file=str(tmp_path / "cloud.yaml"), line=1)
    build.diagnostics.items[:] = [Diagnostic("E0001", "file not found", good)]
    _assert_located(build, tmp_path)
