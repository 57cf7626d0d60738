"""Server recipes: each renders, every script is valid bash, unknown names are reported."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cloudc.compile import compile_config
from cloudc.recipes import RECIPES, canonical, render

BASH = shutil.which("bash")


def _bash_n(script: str) -> None:
    assert BASH is not None
    proc = subprocess.run([BASH, "-n"], input=script, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", RECIPES)
def test_each_recipe_renders_as_valid_bash(name: str) -> None:
    script = render([name], {"name": "app", "start": "node server.js", "domain": "a.example"})
    assert script.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in script
    assert f"# --- recipe {name} ---" in script
    _bash_n(script)


def test_full_composition_is_valid_bash_and_ordered() -> None:
    script = render(list(reversed(RECIPES)), {
        "name": "app", "start": "php artisan serve", "domain": "a.example",
        "email": "ops@a.example", "tls_on_instance": True,
        "environment": {"A": "it's", "B": "x y"},
        "secrets": [("DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:1:secret:db", "password")],
        "user_data": "echo done",
    })
    _bash_n(script)
    positions = [script.index(f"# --- recipe {r} ---") for r in RECIPES]
    assert positions == sorted(positions)
    assert "A='it'\\''s'" in script
    assert "cloudc_secret DB_PASSWORD" in script


def test_aliases_and_unknown_names() -> None:
    assert canonical("service") == "systemd"
    assert canonical("nodejs") is None
    with pytest.raises(KeyError):
        render(["nodejs"], {})


def test_unknown_recipe_is_e3007_at_its_line(tmp_path: Path) -> None:
    cfg = tmp_path / "cloud.yaml"
    cfg.write_text("project: { name: R }\nservers:\n  app:\n    recipes:\n      - node\n"
                   "      - ngnix\n", encoding="utf-8")
    build = compile_config(cfg, "development")
    errs = [d for d in build.diagnostics.errors if d.code == "E3007"]
    assert len(errs) == 1
    assert errs[0].origin is not None and errs[0].origin.line == 6
    assert errs[0].hint == "did you mean `nginx`?"
    assert "caddy" in errs[0].message
