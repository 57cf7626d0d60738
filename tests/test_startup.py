"""Startup stays cheap (issue 15): `--help` and `--version` import no compiler, and validating a
config imports and builds only the section models, lowering and rule modules it uses. The
section facts read without importing must be the modules' own, and the root model typed only
for the sections present must validate exactly as the full one does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cloudc import resource_specs
from cloudc.diagnostics import Diagnostics
from cloudc.registry import module_constants
from cloudc.resolve import resolve
from cloudc.schema import config_model, section_info, section_modules

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def _run(code: str) -> Any:
    """Run `code` in a fresh interpreter (this tree first) and return the JSON it prints."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=env, cwd=ROOT, check=True).stdout
    return json.loads(out.splitlines()[-1])


def test_section_facts_read_from_the_source_are_the_modules_own() -> None:
    mods = section_modules()
    assert [m.SECTION for m in mods] == list(section_info())  # same order: ORDER, then name
    for m in mods:
        info = section_info()[m.SECTION]
        assert m.__name__.rsplit(".", 1)[1] == info.module
        assert (info.order, info.single, info.refs, info.forbidden_in, info.dotted) == (
            getattr(m, "ORDER", 100), getattr(m, "SINGLE", False), tuple(getattr(m, "REFS", ())),
            tuple(getattr(m, "FORBIDDEN_IN", ())), getattr(m, "DOTTED_KEYS", False)), m.SECTION


def test_a_constant_that_is_not_a_one_line_literal_imports_the_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "plugpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "plain.py").write_text('SECTION = "plain"  # a comment\nREFS = ("a", "b")\n')
    (pkg / "computed.py").write_text('SECTION = "computed"\nREFS = tuple(["x"])\n')
    (pkg / "wrapped.py").write_text('SECTION = "wrapped"\nREFS = (\n    "y",\n)\n')
    (pkg / "_private.py").write_text('SECTION = "private"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    import plugpkg

    found = module_constants(plugpkg, ("SECTION", "REFS"))
    assert found == {"plain": {"SECTION": "plain", "REFS": ("a", "b")},
                     "computed": {"SECTION": "computed", "REFS": ("x",)},
                     "wrapped": {"SECTION": "wrapped", "REFS": ("y",)}}
    assert "plugpkg.plain" not in sys.modules  # read, not imported
    assert "plugpkg.computed" in sys.modules and "plugpkg.wrapped" in sys.modules


def _errors(model: Any, data: dict[str, Any]) -> tuple[Any, list[tuple[Any, ...]]]:
    try:
        return model.model_validate(data).model_dump(), []
    except ValidationError as exc:
        return None, [(e["type"], e["loc"], e["msg"]) for e in exc.errors(include_url=False)]


@pytest.mark.parametrize("case", sorted(p.parent.name for p in GOLDEN.glob("*/cloud.yaml")))
def test_the_root_model_of_the_present_sections_validates_as_the_full_one(case: str) -> None:
    diags = Diagnostics()
    res = resolve(GOLDEN / case / "cloud.yaml", "production", [], diags)
    if res is None:
        pytest.skip("the file does not resolve")
    present = frozenset(k for k in res.data if k in section_info())
    full, partial = _errors(config_model(), res.data), _errors(config_model(present), res.data)
    assert partial == full


def test_resource_specs_read_lazily_equal_the_whole_table() -> None:
    text = (ROOT / "cloudc" / "data" / "resource_specs.json").read_text()
    table = json.loads(text)
    assert resource_specs.known_types() == [k for k in table if not k.startswith("_")]
    assert resource_specs.source() == table["_source"]
    for name in ("AWS::S3::Bucket", "AWS::Lambda::Function", "AWS::WAFv2::WebACL"):
        s = resource_specs.spec(name)
        assert s is not None and s.attributes == frozenset(table[name]["attributes"])
        assert s.properties == table[name].get("properties", {})
    assert resource_specs.spec("AWS::Nope::Nothing") is None


def test_help_and_version_import_no_compiler() -> None:
    for args in (["--help"], ["--version"], ["validate", "--help"]):
        loaded = _run(f"""
            import json, sys
            from cloudc.cli import cli
            try:
                cli.main({args!r}, prog_name="cloudc", standalone_mode=False)
            except SystemExit:
                pass
            print()
            print(json.dumps(sorted(m for m in sys.modules
                                    if m.split(".")[0] in ("cloudc", "pydantic", "yaml"))))
        """)
        heavy = [m for m in loaded if m.startswith(("pydantic", "yaml", "cloudc.compile",
                                                    "cloudc.schema", "cloudc.lower"))]
        assert heavy == [], args


@pytest.mark.parametrize("command", ["validate", "build"])
def test_validate_and_build_import_only_what_the_config_uses(command: str,
                                                             tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(ROOT / "examples" / "api-only", app)  # build writes cloud.lock.json there
    path = str(app / "cloud.yaml")
    args = ["-q", command, path]
    if command == "build":
        args += ["--out", str(tmp_path / "out")]
    loaded, present = _run(f"""
        import json, sys
        from pathlib import Path
        from cloudc.cli import cli
        from cloudc.diagnostics import Diagnostics
        from cloudc.resolve import resolve
        path = {path!r}
        try:
            cli.main({args!r}, prog_name="cloudc", standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code, exc.code
        present = set()
        for env in ("production", "staging", "development"):
            present |= set(resolve(Path(path), env, [], Diagnostics()).data)
        print()
        print(json.dumps([sorted(m for m in sys.modules if m.startswith("cloudc.")),
                          sorted(present)]))
    """)
    sections = {m.rsplit(".", 1)[1] for m in loaded if m.startswith("cloudc.schema.sections.")}
    lowering = {m.rsplit(".", 1)[1] for m in loaded
                if m.startswith("cloudc.lower.") and not m.rsplit(".", 1)[1].startswith("_")}
    assert "functions" in sections and "apis" in lowering
    assert sections <= set(present), sorted(sections - set(present))
    assert lowering <= set(present), sorted(lowering - set(present))
    assert not [m for m in loaded if m.startswith("cloudc.schema.editor")]


def _lines(fn: Any) -> int:
    """Count the Python lines `fn` executes."""
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def _extending_app(folder: Path, n: int) -> Path:
    """Write an app of `n` functions and queues over a preset and an environment overlay."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "src").mkdir(exist_ok=True)
    (folder / "src" / "index.mjs").write_text("export const handler = async () => ({});\n")
    (folder / "base.yaml").write_text("queues:\n" + "".join(
        f"  q{i}: {{ visibility_timeout: 60 }}\n" for i in range(n)))
    app = ["project: { name: X, region: us-east-1 }", "extends: [./base.yaml]", "functions:"]
    app += [f"  f{i}: {{ code: ./src, events: [{{ queue: q{i} }}] }}" for i in range(n)]
    app += ["environments:", "  staging:", "    queues:"]
    app += [f"      q{i}: {{ visibility_timeout: 120 }}" for i in range(n)]
    (folder / "cloud.yaml").write_text("\n".join(app) + "\n")
    return folder / "cloud.yaml"


def test_validate_of_an_extending_app_grows_linearly(tmp_path: Path) -> None:
    """`cloudc validate` (every environment) over a preset and an overlay: no quadratic step
    (the origin merge under `extends` was one)."""
    from cloudc.cli import cli

    def validate(config: Path) -> None:
        try:
            cli.main(["-q", "validate", str(config)], prog_name="cloudc", standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code

    counts = []
    for n in (10, 20, 40):
        config = _extending_app(tmp_path / f"app{n}", n)
        validate(config)  # first use: imports and caches
        counts.append(_lines(lambda c=config: validate(c)))
    a, b, c = counts
    assert (c - b) / (b - a) < 2.3, counts
