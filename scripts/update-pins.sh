#!/usr/bin/env bash
# Refresh requirements/constraints.txt to the newest releases, then re-run the golden tests
# (cfn-lint over every golden template) and the resource-spec drift test against them.
#
#   scripts/update-pins.sh          # rewrite the pins, run the checks, keep the new pins if green
#   scripts/update-pins.sh --check  # only report what would change (exit 1 if anything would)
#
# Run it on a schedule (e.g. a weekly CI job); review and commit the diff it leaves, together
# with `python scripts/gen_resource_specs.py` output when the provider schemas moved.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,dev]'
{
  echo "# Exact versions CI runs with. scripts/setup.sh installs with '-c requirements/constraints.txt'."
  echo "# Update with scripts/update-pins.sh (re-runs the goldens against the newest cfn-lint)."
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable
} > "$tmp/constraints.txt"
if diff -u requirements/constraints.txt "$tmp/constraints.txt"; then
  echo "pins are current"
  exit 0
fi
[ "${1:-}" = "--check" ] && exit 1
"$tmp/venv/bin/python" scripts/gen_resource_specs.py --check \
  || echo "provider schemas moved: run scripts/gen_resource_specs.py and regenerate the goldens"
"$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_golden.py tests/test_resource_specs.py
cp "$tmp/constraints.txt" requirements/constraints.txt
echo "requirements/constraints.txt updated; run scripts/setup.sh and review the diff"
