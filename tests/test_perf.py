"""Performance properties that do not depend on the machine: work grows linearly with the app
(counted in executed Python lines, not seconds), builds leave no reference cycles behind, and
the linear origin merge agrees with its plain definition."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cloudc.passes.partition  # noqa: F401  (the module, not the function of that name)
from cloudc.compile import compile_config
from cloudc.diagnostics import Diagnostics
from cloudc.resolve import merge, resolve
from cloudc.source import Origin, Origins

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.app import write_app


def _lines(fn: Callable[[], Any]) -> int:
    """Count the Python lines `fn` executes (each loop iteration counts again)."""
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(old)
    return count


def _growth(counts: list[int]) -> float:
    """For sizes n, 2n, 4n: the extra work of the second doubling over that of the first
    (2 when linear, 4 when quadratic)."""
    a, b, c = counts
    return (c - b) / (b - a)


def test_build_work_grows_linearly(tmp_path: Path) -> None:
    counts = []
    for n in (8, 16, 32):
        config = write_app(tmp_path / f"app{n}", n)
        compile_config(config, "production")  # first use: imports and caches
        counts.append(_lines(lambda c=config: compile_config(c, "production").files()))
    assert _growth(counts) < 2.3, counts


def test_partition_skips_full_stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a tiny stack limit every unit fills a stack: placing one must not scan them all."""
    module = sys.modules["cloudc.passes.partition"]
    monkeypatch.setattr(module, "MAX_RESOURCES", 4)
    counted: list[int] = []

    def traced(ir: Any, ctx: Any) -> Any:
        out: list[Any] = []
        counted.append(_lines(lambda: out.append(module.partition(ir, ctx))))
        return out[0]

    passes = sys.modules["cloudc.passes"]
    monkeypatch.setattr(passes, "PASSES", tuple(traced if p is module.partition else p
                                                for p in passes.PASSES))
    for n in (40, 80, 160):
        build = compile_config(write_app(tmp_path / f"app{n}", n), "production", dry=True)
        assert not build.diagnostics.has_errors
        assert len(build.nested) >= 2 * n  # one function a stack, two queues or buckets a stack
    assert _growth(counted) < 2.3, counted


def _extending_app(folder: Path, n: int) -> Path:
    """A preset of n storage entries, every one of them overridden by the app."""
    folder.mkdir(parents=True, exist_ok=True)
    preset = ["storage:"] + [f"  b{i}: {{ versioning: true, cors: {{ origins: ['*'] }} }}"
                             for i in range(n)]
    (folder / "base.yaml").write_text("\n".join(preset) + "\n")
    app = ["project: { name: X, region: us-east-1 }", "extends: [./base.yaml]", "storage:"]
    app += [f"  b{i}: {{ versioning: false }}" for i in range(n)]
    app += ["environments:", "  staging:", "    storage:"]
    app += [f"      b{i}: {{ versioning: true }}" for i in range(n)]
    (folder / "cloud.yaml").write_text("\n".join(app) + "\n")
    return folder / "cloud.yaml"


def test_resolve_with_extends_grows_linearly(tmp_path: Path) -> None:
    """Every replaced value used to rescan every origin (Origins.rebase): quadratic."""
    counts = []
    for n in (50, 100, 200):
        config = _extending_app(tmp_path / f"app{n}", n)
        diags = Diagnostics()
        res = resolve(config, "staging", [], diags)
        assert res is not None and not diags.has_errors, diags.items
        assert res.data["storage"]["b1"]["versioning"] is True
        assert res.origins.get(("storage", "b1", "versioning")).layer == "environments.staging"
        counts.append(_lines(lambda c=config: resolve(c, "staging", [], Diagnostics())))
    assert _growth(counts) < 2.3, counts


def test_a_build_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """Cycles keep a whole build alive until a full collection (the compiler pauses the
    collector while it builds).

    What the process holds before the build is frozen out of the collection: a full pass over
    a test worker's heap (cfn-lint's schemas, moto) cost about a second, and every object the
    build makes is still collected."""
    config = write_app(tmp_path, 20)
    compile_config(config, "production").files()
    gc.freeze()
    try:
        build = compile_config(config, "production")
        build.files()
        del build
        assert gc.collect() == 0
    finally:
        gc.unfreeze()


def test_compile_restores_the_collector(tmp_path: Path) -> None:
    config = write_app(tmp_path, 2)
    assert gc.isenabled()
    compile_config(config, "production").files()
    assert gc.isenabled()
    gc.disable()
    try:
        compile_config(config, "production")
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- the linear merge against its definition ---------------------------------------------

_keys = st.sampled_from(["a", "b", "c"])
_values = st.recursive(
    st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["x", "y"])),
    lambda inner: st.one_of(st.lists(inner, max_size=2),
                            st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=8,
)
_docs = st.dictionaries(_keys, _values, max_size=3)


def _origins(data: Any, tag: str, stale: bool) -> Origins:
    """Origins for every value and key of `data` (plus, with `stale`, paths not in it)."""
    o = Origins()
    n = 0

    def walk(v: Any, p: tuple[Any, ...]) -> None:
        nonlocal n
        n += 1
        o.set(p, Origin(tag, n, 1))
        if stale:
            o.set(p + ("zz",), Origin(tag, n, 9))
        if isinstance(v, dict):
            for k, x in v.items():
                o.set_key(p + (k,), Origin(tag, n, 2))
                walk(x, p + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, p + (i,))

    walk(data, ())
    return o


def _reference_merge(base: Origins, over: Origins, base_data: Any, over_data: Any) -> Origins:
    """The definition: per replaced value, forget what was under it and take over's."""
    mapping, keys = dict(base._map), dict(base._keys)

    def under(k: tuple[Any, ...], p: tuple[Any, ...]) -> bool:
        return k[:len(p)] == p

    def walk(b: dict[str, Any], v: dict[str, Any], path: tuple[Any, ...]) -> None:
        for key, value in v.items():
            p = path + (key,)
            if value is None:
                if key in b:
                    for table in (mapping, keys):
                        for k in [k for k in table if under(k, p)]:
                            del table[k]
                continue
            old = b.get(key)
            if isinstance(value, dict) and isinstance(old, dict):
                walk(old, value, p)
                if over._map.get(p) is not None and mapping.get(p) is None:
                    mapping[p] = over._map[p]
            else:
                if key in b:
                    for table in (mapping, keys):
                        for k in [k for k in table if under(k, p)]:
                            del table[k]
                mapping.update({k: x for k, x in over._map.items() if under(k, p)})
                keys.update({k: x for k, x in over._keys.items() if under(k, p)})

    walk(base_data, over_data, ())
    return Origins(mapping, keys)


@settings(max_examples=300, deadline=None)
@given(_docs, _docs, st.booleans())
def test_merge_origins_match_the_definition(base: dict[str, Any], over: dict[str, Any],
                                            stale: bool) -> None:
    bo, oo = _origins(base, "base", stale), _origins(over, "over", stale)
    expected = _reference_merge(bo, oo, base, over)
    _, got = merge(base, bo, over, oo)
    assert got._map == expected._map
    assert got._keys == expected._keys


def test_compile_keeps_objects_the_process_froze(tmp_path: Path) -> None:
    """The compiler promotes its objects with freeze + unfreeze only when nothing else is frozen."""
    config = write_app(tmp_path, 2)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        compile_config(config, "production")
        # Not unfrozen (that would empty the permanent generation); a frozen object the build
        # releases (a cache it clears) may leave it, so the count can only shrink a little.
        after = gc.get_freeze_count()
        assert frozen * 0.99 < after <= frozen, (after, frozen)
    finally:
        gc.unfreeze()
    compile_config(config, "production")
    assert gc.get_freeze_count() == 0
