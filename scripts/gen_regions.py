#!/usr/bin/env python3
"""Generate cloudc/data/regions.json from botocore's own endpoint data.

botocore ships `endpoints.json` (partitions and their regions); we read it through botocore's
loader so the table is exactly what the installed SDK knows, and commit the result so the
validate path never imports botocore (startup time matters for pre-commit).

Usage:
    python scripts/gen_regions.py          # (re)write the committed file
    python scripts/gen_regions.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "cloudc" / "data" / "regions.json"


def build() -> dict[str, Any]:
    """Return {"_source": ..., "regions": {name: {"partition", "description"}}}."""
    import botocore
    from botocore.loaders import create_loader

    endpoints = create_loader().load_data("endpoints")
    regions: dict[str, dict[str, str]] = {}
    for partition in endpoints["partitions"]:
        for name, info in partition["regions"].items():
            regions[name] = {"partition": partition["partition"],
                             "description": info.get("description", "")}
    return {"_source": {"botocore_version": botocore.__version__},
            "regions": dict(sorted(regions.items()))}


def render(data: dict[str, Any]) -> str:
    """Serialise deterministically, one region a line."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}"
             for k, v in data["regions"].items()]
    return ('{\n"_source": ' + json.dumps(data["_source"], sort_keys=True) + ',\n"regions": {\n'
            + ",\n".join(lines) + "\n}\n}\n")


def generate() -> str:
    """Return the text the committed regions.json should contain."""
    return render(build())


def main(argv: list[str] | None = None) -> int:
    """Write or check the committed regions file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{OUTPUT} is out of date; run: python scripts/gen_regions.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(json.loads(text)['regions'])} regions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
