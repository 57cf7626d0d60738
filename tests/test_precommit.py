"""The shipped pre-commit hook, run by the real `pre-commit` tool on a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.mark.slow  # pre-commit installs the hook and its dependencies: 10 s CPU, 25 s or more
@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_cloudc_validate_hook(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit not installed")
    # A snapshot of this repository as a hook repo (pre-commit needs a commit to pin).
    hooks = tmp_path / "hooks"
    shutil.copytree(ROOT, hooks, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "tests", "bench", "examples", "*.egg-info", "__pycache__",
        "node_modules", ".mypy_cache", ".ruff_cache", ".hypothesis", ".pytest_cache"))
    _git(hooks, "init", "-q")
    _git(hooks, "add", "-A")
    _git(hooks, "commit", "-qm", "hooks")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True,
                         text=True, check=True).stdout.strip()
    app = tmp_path / "app"
    app.mkdir()
    _git(app, "init", "-q")
    (app / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: cloudc-validate\n")
    (app / "cloud.yaml").write_text("project: { name: demo }\nstorage:\n  uploads: {}\n")
    _git(app, "add", "-A")
    # The hook installs as a user's would: unpinned, in an isolated build env. (Pinning it and
    # turning isolation off saved 2 s, but would miss a broken build requirement or a new
    # release of a dependency that breaks users' hooks.)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    ok = subprocess.run([str(pre_commit), "run", "--all-files"], cwd=app, env=env,
                        capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (app / "cloud.yaml").write_text("project: { name: demo }\nstorage:\n  uploads: { versoning: true }\n")
    bad = subprocess.run([str(pre_commit), "run", "--all-files"], cwd=app, env=env,
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 1
    assert "cloud.yaml:3:14: error[E2001]" in bad.stdout + bad.stderr
    assert "did you mean `versioning`?" in bad.stdout + bad.stderr
