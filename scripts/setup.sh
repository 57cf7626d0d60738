#!/usr/bin/env bash
# Set up an isolated virtualenv with cloudc and its test tools at the pinned versions
# (requirements/constraints.txt), then compile an example app.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ] || grep -q "include-system-site-packages = true" .venv/pyvenv.cfg 2>/dev/null; then
  rm -rf .venv
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ] \
   || [ requirements/constraints.txt -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c requirements/constraints.txt -e '.[test,dev]'
  touch .venv/.installed
fi
if [ "${1:-}" != "--no-example" ]; then
  .venv/bin/cloudc build examples/api-only/cloud.yaml --env production --out build
  echo "compiled examples/api-only -> build/production/ (try: .venv/bin/cloudc --help)"
fi
