#!/usr/bin/env bash
# Run the whole test suite (sets up the virtualenv first when needed): ruff, then pytest on
# every core with mypy --strict beside it (configured in pyproject.toml). Any failure fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-example
echo "ruff check"
.venv/bin/ruff check cloudc tests scripts bench
# mypy --strict runs beside pytest (one core's worth of waiting in the test run absorbs it);
# its report follows pytest's, and either failing fails the run.
mypy_out=$(mktemp)
trap 'rm -f "$mypy_out"' EXIT
.venv/bin/mypy > "$mypy_out" 2>&1 &
mypy_pid=$!
# loadgroup: tests marked xdist_group (the editor tests: one language server) share a worker
status=0
.venv/bin/python -m pytest -n auto --dist loadgroup "$@" || status=$?
mypy_status=0
wait "$mypy_pid" || mypy_status=$?
echo "mypy --strict cloudc"
cat "$mypy_out"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$mypy_status"
