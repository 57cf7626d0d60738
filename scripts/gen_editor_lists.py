#!/usr/bin/env python3
"""Generate cloudc/data/editor_lists.json: the values editors suggest for instance types, runtimes.

The lists come from the AWS service models that botocore ships (EC2 `InstanceType`, Lambda
`Runtime`, OpenSearch `OpenSearchPartitionInstanceType`). RDS and ElastiCache publish no enum
for their instance classes in the service models, so those two come from cfn-lint's per-region
allowed values (the union over every region). The result is committed so `cloudc schema`
never imports botocore or cfn-lint; tests/test_schema.py fails when it drifts.

Usage:
    python scripts/gen_editor_lists.py          # (re)write the committed file
    python scripts/gen_editor_lists.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "cloudc" / "data" / "editor_lists.json"


def _service_enum(service: str, shape: str) -> list[str]:
    from botocore.loaders import create_loader

    model = create_loader().load_service_model(service, "service-2")
    return sorted(model["shapes"][shape]["enum"], key=_natural)


def _cfn_lint_enums(extension: str) -> list[str]:
    """Every value a cfn-lint region table allows (the tables nest if/then/allOf)."""
    base = resources.files("cfnlint").joinpath("data/schemas/extensions")
    found: set[str] = set()
    todo: list[Any] = [json.loads(base.joinpath(extension).read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list):
                found.update(v for v in node["enum"] if isinstance(v, str))
            todo.extend(v for k, v in node.items() if k != "if")
        elif isinstance(node, list):
            todo.extend(node)
    return sorted(found, key=_natural)


def _natural(name: str) -> tuple[Any, ...]:
    """Sort `t3.2xlarge` after `t3.xlarge` and `m5.12xlarge` after `m5.4xlarge`."""
    sizes = ["nano", "micro", "small", "medium", "large", "xlarge"]
    parts: list[Any] = []
    for part in name.split("."):
        digits = "".join(c for c in part if c.isdigit())
        if part.endswith("xlarge") and part[:-6].isdigit():
            parts.append((1, 5, int(part[:-6]), part))
        elif part in sizes:
            parts.append((1, sizes.index(part), 0, part))
        else:
            parts.append((0, 0, int(digits) if part[:1].isdigit() and digits else 0, part))
    return tuple(parts)


def build() -> dict[str, Any]:
    """Return the lists and the versions they came from."""
    import botocore
    import cfnlint.version

    return {
        "_source": {"botocore_version": botocore.__version__,
                    "cfn_lint_version": cfnlint.version.__version__},
        "ec2_instance_types": _service_enum("ec2", "InstanceType"),
        "lambda_runtimes": _service_enum("lambda", "Runtime"),
        "opensearch_instance_types": _service_enum("opensearch",
                                                   "OpenSearchPartitionInstanceType"),
        "rds_instance_classes": _cfn_lint_enums("aws_rds_dbinstance/dbinstanceclass_enum.json"),
        "elasticache_node_types": _cfn_lint_enums(
            "aws_elasticache_cachecluster/cachenodetype_enum.json"),
    }


def render(data: dict[str, Any]) -> str:
    """Serialise deterministically: one list a line."""
    lines = [f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in data.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def generate() -> str:
    """Return the text the committed editor_lists.json should contain."""
    return render(build())


def main(argv: list[str] | None = None) -> int:
    """Write or check the committed lists file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{OUTPUT} is out of date; run: python scripts/gen_editor_lists.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
