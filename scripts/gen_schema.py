"""Regenerate schemas/cloud.schema.json and cloud.layer.schema.json from the models (`--check`
to compare)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cloudc.schema import json_schema_text, layer_schema_text  # noqa: E402

TARGETS = {ROOT / "schemas" / "cloud.schema.json": json_schema_text,
           ROOT / "schemas" / "cloud.layer.schema.json": layer_schema_text}


def main() -> int:
    """Write the schemas, or with --check fail when a committed file differs."""
    stale = 0
    for target, make in TARGETS.items():
        text = make()
        if "--check" in sys.argv:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                print(f"{target} is out of date: run python scripts/gen_schema.py",
                      file=sys.stderr)
                stale = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
