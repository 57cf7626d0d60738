#!/usr/bin/env bash
# Run the whole test suite (sets up the virtualenv first when needed), on every core.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-example
exec .venv/bin/python -m pytest -n auto "$@"
