#!/usr/bin/env bash
# Set up a virtualenv with cloudc and its test tools, then compile an example app.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv --system-site-packages .venv
fi
if ! .venv/bin/python -c "import cloudc, ruamel.yaml, tomli_w, deepdiff, cfnlint, moto, hypothesis, pre_commit, xdist" 2>/dev/null \
   || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
  touch .venv/.installed
fi
if [ "${1:-}" != "--no-example" ]; then
  .venv/bin/cloudc build examples/api-only/cloud.yaml --env production --out build
  echo "compiled examples/api-only -> build/production/ (try: .venv/bin/cloudc --help)"
fi
