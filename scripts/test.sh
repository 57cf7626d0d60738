#!/usr/bin/env bash
# Run the whole test suite (sets up the virtualenv first when needed): ruff and mypy --strict
# (configured in pyproject.toml), then pytest on every core. Any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-example
echo "ruff check"
.venv/bin/ruff check cloudc tests scripts bench
echo "mypy --strict cloudc"
.venv/bin/mypy
# loadgroup: tests marked xdist_group (the editor tests: one language server) share a worker
exec .venv/bin/python -m pytest -n auto --dist loadgroup "$@"
