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
# Bytecode for cloudc itself, as pip wrote it for the packages (the sandbox's
# PYTHONDONTWRITEBYTECODE would otherwise have every process compile it again).
.venv/bin/python -m compileall -q -j 0 cloudc
# The real editor language servers the editor tests drive (tests/test_editor_lsp.py), pinned
# by tools/editor/package-lock.json. Needs Node 20+ and npm; without node the tests say so.
if command -v npm >/dev/null 2>&1; then
  if [ ! -f tools/editor/node_modules/.installed ] \
     || [ tools/editor/package-lock.json -nt tools/editor/node_modules/.installed ]; then
    (cd tools/editor && npm ci --no-audit --no-fund --loglevel=error)
    touch tools/editor/node_modules/.installed
  fi
elif [ -n "${CI:-}" ]; then
  echo "setup: npm is missing; CI needs Node 20+ and npm for the editor tests" >&2
  exit 1
else
  echo "setup: npm not found; the editor tests (yaml-language-server, Taplo) will be skipped" >&2
fi
if [ "${1:-}" != "--no-example" ]; then
  .venv/bin/cloudc build examples/api-only/cloud.yaml --env production --out build
  echo "compiled examples/api-only -> build/production/ (try: .venv/bin/cloudc --help)"
fi
