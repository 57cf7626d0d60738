"""Shared fixtures: the --update-golden flag, one in-process cfn-lint, ir.check() on every build.

Test-run speed (issue 15): slow tests start first, the Python processes the tests start share
one bytecode cache, and cfn-lint runs once per distinct template with tests/fast_cfnlint.py.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import sys
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
    _share_bytecode()
    _share_botocore_loader()
    _collect_less_often()
    _skip_interpreter_teardown(config)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a suite run: lint (cloudc.lint too) goes faster
        import fast_cfnlint

        fast_cfnlint.apply()


def _share_bytecode() -> None:
    """Let the Python processes the tests start (and the xdist workers) cache bytecode.

    With PYTHONDONTWRITEBYTECODE set (as in this project's sandboxes) every `python -m cloudc`
    a test starts compiles cloudc from source again, about 0.3 s of its 0.8 s. Writing bytecode
    where Python normally keeps it (`__pycache__` beside each source, ignored by git) compiles
    each cloudc and test module once per checkout, and reads the bytecode pip wrote for the
    virtualenv's packages. (A PYTHONPYCACHEPREFIX cache outside the tree did the first but
    not the second: on a fresh machine every process compiled moto, botocore, cfn-lint and
    pydantic from source, ~40 s of CPU a run.) Python checks each cached file against its
    source's mtime and size, so it is never stale.
    """
    if not sys.flags.dont_write_bytecode:
        return
    sys.dont_write_bytecode = False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def _collect_less_often() -> None:
    """Run the cyclic garbage collector less often in the test processes.

    A test worker lives for the whole run and holds a large heap (cfn-lint's schemas, moto's
    backends, botocore's models), and with the default thresholds (700, 10, 10) it made about
    7,000 young and a dozen full collections, 6 to 7 s of CPU per worker, finding little:
    tests free what they make by reference counting. Fewer, larger young collections still
    free young cycles; full ones now come from pytest's own end-of-run `gc.collect()` (which
    looks for unraisable exceptions) and explicit calls. A worker peaks near 1 GB (was 0.6).
    """
    import gc

    gc.set_threshold(50_000, 50, 100)


def _skip_interpreter_teardown(config: pytest.Config) -> None:
    """End an xdist worker without tearing down its interpreter.

    At interpreter exit a worker has sent its results, and pytest has run its end-of-run
    checks (the `gc.collect()` that reports unraisable exceptions) and cleanups; handlers
    registered after this one (e.g. tests/forkcli.py closing its helper) run before it. What
    remained took 1.5 to 2 s, freeing a 1 GB heap object by object, and the controller waited
    for it at the end of every run; `os._exit` skips that (and exit handlers registered before
    the worker was configured: logging's flush, which has nothing left to write here).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def exit_now() -> None:
        output = getattr(config, "workeroutput", None)
        status = output.get("exitstatus", 0) if isinstance(output, dict) else 0
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(status))

    atexit.register(exit_now)


def _share_botocore_loader() -> None:
    """Let every boto3 session in the test process share one botocore data loader.

    Each `cloudc` command the tests run in-process makes a new boto3 session, and each session
    made a new loader that parsed botocore's JSON again (endpoints, partitions, every service
    model a client needs): about 0.2 s of CPU a command, more than moto spent answering it. In
    one process a loader's results never change (botocore shares one loader between the
    clients of a session the same way), so one loader per data path serves every session.
    boto3 appends its own data folder to a session's loader on each new session; the shared
    loader keeps one copy of each folder.
    """
    try:
        import botocore.loaders
        import botocore.session
    except ImportError:
        return
    create = botocore.session.create_loader
    if getattr(create, "shared", False):
        return
    loaders: dict[str | None, Any] = {}

    class _Paths(list[str]):
        def append(self, path: str) -> None:
            if path not in self:
                super().append(path)

    def shared(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loader = create(search_path_string)
            loader._search_paths = _Paths(loader.search_paths)
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    shared.shared = True  # type: ignore[attr-defined]
    botocore.session.create_loader = shared  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests marked `slow` first, so that no worker starts one when the rest is done.

    xdist hands out tests in this order; a 20 s test started last leaves the other worker idle
    for 20 s. The order is the same on every worker (xdist requires that).
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
    Findings are cached by the template text's hash for the session (one per xdist worker).
    """

    def __init__(self) -> None:
        from cfnlint.config import ConfigMixIn
        from cfnlint.runner import Runner

        self._runner = Runner(ConfigMixIn(regions=["us-east-1"]))
        self._cache: dict[str, list[tuple[str, str, int]]] = {}

    def findings(self, text: str) -> list[tuple[str, str, int]]:
        """Return every cfn-lint finding on `text` as (rule, message, line), none ignored."""
        key = hashlib.sha256(text.encode()).hexdigest()
        if key not in self._cache:
            from cfnlint.decode.decode import decode_str

            template, matches = decode_str(text)
            if template is not None and not matches:
                matches = list(self._runner.validate_template(template))
            self._cache[key] = [(str(m.rule.id), str(m.message), int(m.linenumber))
                                for m in matches]
        return self._cache[key]

    def lint(self, text: str, name: str = "template.json") -> list[str]:
        """Return the cfn-lint findings (errors and warnings), less the ignored ones."""
        return [f"{rule} {message} ({name}:{line})" for rule, message, line in self.findings(text)
                if rule not in IGNORED_LINT]

    def errors(self, text: str, name: str = "template.json") -> list[str]:
        """Return only the errors (E-codes)."""
        return [m for m in self.lint(text, name) if m.startswith("E")]


@pytest.fixture(scope="session")
def linter() -> Linter:
    pytest.importorskip("cfnlint")
    import fast_cfnlint

    fast_cfnlint.apply()
    return Linter()


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
