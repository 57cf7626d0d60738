"""Golden tests: every tests/golden/<case>/cloud.yaml against its reviewed expected output.

Regenerate with `pytest tests/test_golden.py --update-golden` and review the diff.
cfn-lint runs over every expected template and must report no errors.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cloudc.compile import compile_config

GOLDEN = Path(__file__).parent / "golden"
DEFAULT_ENVS = ("production", "staging")


def _cases() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir()
                  if p.is_dir() and not p.name.startswith("error_")
                  and any(p.glob("cloud.*")))


def _config(case: Path) -> Path:
    for name in ("cloud.yaml", "cloud.toml", "cloud.json"):
        if (case / name).is_file():
            return case / name
    raise FileNotFoundError(case)


def _envs(case: Path) -> list[str]:
    expected = case / "expected"
    have = sorted(p.name for p in expected.iterdir() if p.is_dir()) if expected.is_dir() else []
    return have or list(DEFAULT_ENVS)


def _params() -> list[tuple[Path, str]]:
    return [(case, env) for case in _cases() for env in _envs(case)]


@pytest.mark.parametrize("case,env", _params(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_golden(case: Path, env: str, update_golden: bool, linter) -> None:
    build = compile_config(_config(case), env, check_ir=True)
    errors = [d.text() for d in build.diagnostics.errors]
    assert not errors, "\n".join(errors)
    files = {p: d for p, d in build.files().items() if not p.startswith("assets/")}
    expected = case / "expected" / env
    if update_golden:
        if expected.exists():
            shutil.rmtree(expected)
        for rel, data in files.items():
            (expected / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected / rel).write_bytes(data)
    have = sorted(str(p.relative_to(expected)) for p in expected.rglob("*") if p.is_file())
    assert have == sorted(files), f"{case.name}/{env}: files differ; run --update-golden"
    for rel, data in files.items():
        assert (expected / rel).read_bytes() == data, f"{case.name}/{env}/{rel} changed"
    for rel, data in files.items():
        if rel == "manifest.json":
            continue
        problems = linter.errors(data.decode(), f"{case.name}/{env}/{rel}")
        assert not problems, "\n".join(problems)


def _error_cases() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir() if p.is_dir() and p.name.startswith("error_"))


@pytest.mark.parametrize("case", _error_cases(), ids=lambda p: p.name)
def test_error_case(case: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input: the exact `FILE:LINE:COL: error[CODE]` lines, relative to the case folder."""
    monkeypatch.chdir(case)
    config = next(Path(".").glob("cloud.*"))
    build = compile_config(config, "development", check_ir=True)
    text = "\n".join(d.text() for d in build.diagnostics.sorted()) + "\n"
    expected = Path("expected.txt")
    if update_golden:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
    assert build.diagnostics.has_errors
