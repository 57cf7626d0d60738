"""Shared fixtures: the --update-golden flag, one in-process cfn-lint, ir.check() on every build."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Make every build in the test run check the IR invariants after every pass.

    tests/helpers.py `build` and the golden tests pass `check_ir=True` themselves; this also
    covers builds made through the CLI (`cloudc build` in CliRunner) and direct calls.
    """
    import inspect

    from cloudc.compile import compile_config

    defaults = inspect.unwrap(compile_config).__kwdefaults__  # under any decorator
    assert defaults is not None and "check_ir" in defaults, "compile_config lost check_ir"
    defaults["check_ir"] = True


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/*/expected from the current compiler")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


# cfn-lint findings that are expected by design:
#   W3002: package-style local paths (`TemplateURL: stacks/x.json`, `Code: ../assets/h.zip`),
#          which `aws cloudformation package` and `cloudc deploy` replace with S3 locations.
IGNORED_LINT = {"W3002"}


class Linter:
    """Run cfn-lint in-process over templates: rules load once, each distinct text lints once.

    `cfnlint.api.lint` builds a new Runner (and re-imports every rule) on each call, which
    costs more than linting a small template; one Runner for the whole session does not.
    """

    def __init__(self) -> None:
        from cfnlint.config import ConfigMixIn
        from cfnlint.runner import Runner

        self._runner = Runner(ConfigMixIn(regions=["us-east-1"]))
        self._cache: dict[str, list[str]] = {}

    def lint(self, text: str, name: str = "template.json") -> list[str]:
        """Return the cfn-lint findings (errors and warnings), less the ignored ones."""
        key = hashlib.sha256(text.encode()).hexdigest()
        if key in self._cache:
            return self._cache[key]
        from cfnlint.decode.decode import decode_str

        template, matches = decode_str(text)
        if template is not None and not matches:
            matches = list(self._runner.validate_template(template))
        out = [f"{m.rule.id} {m.message} ({name}:{m.linenumber})" for m in matches
               if m.rule.id not in IGNORED_LINT]
        self._cache[key] = out
        return out

    def errors(self, text: str, name: str = "template.json") -> list[str]:
        """Return only the errors (E-codes)."""
        return [m for m in self.lint(text, name) if m.startswith("E")]


@pytest.fixture(scope="session")
def linter() -> Linter:
    pytest.importorskip("cfnlint")
    return Linter()


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
