"""Regenerate schemas/cloud.schema.json from the pydantic models (`--check` to compare)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cloudc.schema import json_schema_text  # noqa: E402

TARGET = ROOT / "schemas" / "cloud.schema.json"


def main() -> int:
    """Write the schema, or with --check fail when the committed file differs."""
    text = json_schema_text()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run python scripts/gen_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
