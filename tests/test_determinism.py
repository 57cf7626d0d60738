"""Builds are byte-for-byte deterministic, whatever the hash seed or the folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "basic"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(case: Path, out: Path, seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-m", "cloudc", "-q", "build", "cloud.yaml", "--env",
                    "production", "--out", str(out)], cwd=case, env=env, check=True)
    return _digest(out / "production")


def test_same_bytes_across_hash_seeds_and_folders(tmp_path: Path) -> None:
    a = tmp_path / "a" / "app"
    b = tmp_path / "elsewhere" / "deeper" / "app"
    shutil.copytree(GOLDEN, a, ignore=shutil.ignore_patterns("expected"))
    shutil.copytree(GOLDEN, b, ignore=shutil.ignore_patterns("expected"))
    first = _build(a, tmp_path / "out1", "1")
    second = _build(b, tmp_path / "out2", "4242")
    assert first == second
    assert any(k.startswith("assets/") for k in first)


def test_yaml_format_is_deterministic_too(tmp_path: Path) -> None:
    from cloudc.compile import compile_config

    one = compile_config(GOLDEN / "cloud.yaml", "staging").files("yaml")
    two = compile_config(GOLDEN / "cloud.yaml", "staging").files("yaml")
    assert one == two
    assert "template.yaml" in one and "stacks/functions.yaml" in one
