#!/usr/bin/env bash
# Make the bench-only environments (never the project's .venv):
#   bench/.venv          troposphere, pinned in bench/requirements.txt
#   bench/node_modules   aws-cdk, aws-cdk-lib and constructs, with --cdk (optional, ~300 MB)
# PYTHON picks the interpreter (bench/run.py passes its own base interpreter, so both sides
# of the comparison run on the same Python).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python -c "import troposphere; print('bench/.venv: troposphere', troposphere.__version__)"
if [ "${1:-}" = "--cdk" ]; then
  npm install --no-audit --no-fund --loglevel=error
  npx --no-install cdk --version
fi
