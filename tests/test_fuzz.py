"""Property test: whatever the config, validate reports findings and never raises."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from cloudc.compile import compile_config

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.glob("*/cloud.yaml") if not p.parent.name.startswith("error_"))
BASES = {p.parent.name: yaml.safe_load(p.read_text()) for p in CASES}

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


ALL_PATHS = [(case, p) for case, data in BASES.items() for p in _paths(data) if p]


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
@given(where=st.sampled_from(ALL_PATHS), value=values, delete=st.booleans(),
       env=st.sampled_from(["production", "staging", "qa"]))
def test_validate_never_raises_on_mutated_configs(tmp_path_factory, where, value, delete, env) -> None:
    """Mutate one value of any golden case (in a copy of its folder) and compile it."""
    import shutil

    case, path = where
    folder = tmp_path_factory.mktemp("fuzz") / case
    shutil.copytree(GOLDEN / case, folder, ignore=shutil.ignore_patterns("expected"))
    config = folder / "cloud.yaml"
    config.write_text(yaml.safe_dump(_mutate(BASES[case], path, value, delete)))
    build = compile_config(config, env, dry=True)
    for d in build.diagnostics.sorted():
        assert d.text().startswith(str(config)) or d.origin is None or d.text()


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_raises(tmp_path_factory, text) -> None:
    config = tmp_path_factory.mktemp("text") / "cloud.yaml"
    config.write_text(text)
    build = compile_config(config, "development", dry=True)
    assert build.diagnostics.has_errors or build.ir is not None or build.config is None
