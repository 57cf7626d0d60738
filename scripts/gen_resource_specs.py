#!/usr/bin/env python3
"""Generate cloudc/data/resource_specs.json from cfn-lint's bundled provider schemas.

cfn-lint ships the AWS resource provider schemas inside its package:
``cfnlint/data/schemas/providers/<region>.py`` maps each type name to a content hash,
and ``cfnlint/data/schemas/resources/<hash>.json`` holds the (pre-patched) schema.
We read them through cfn-lint's own ``ProviderSchemaManager`` so that the GetAtt list
is exactly what cfn-lint accepts (it is not always just ``readOnlyProperties``).

Usage:
    python scripts/gen_resource_specs.py          # (re)write the committed file
    python scripts/gen_resource_specs.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "cloudc" / "data" / "resource_specs.json"
_PROPS = "/properties/"


def _strip_pointer(pointer: str) -> str:
    """Return a property pointer without its "/properties/" prefix ("A/B" for nested)."""
    return pointer[len(_PROPS) :] if pointer.startswith(_PROPS) else pointer


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    """Follow local "$ref"s until reaching a concrete schema node."""
    for _ in range(20):
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node


def _is_key_value_object(schema: dict[str, Any], node: Any) -> bool:
    """Return whether node (or any oneOf/anyOf branch) is an object with Key and Value."""
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return False
    props = node.get("properties", {})
    if "Key" in props and "Value" in props:
        return True
    return any(
        _is_key_value_object(schema, branch)
        for combiner in ("oneOf", "anyOf", "allOf")
        for branch in node.get(combiner, [])
    )


def _tags_format(schema: dict[str, Any]) -> str | None:
    """Classify the top-level Tags property as "list", "map" or None."""
    tags = schema.get("properties", {}).get("Tags")
    if tags is None:
        return None
    node = _resolve(schema, tags)
    if not isinstance(node, dict):
        return None
    types = node.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if "array" in types:
        return "list" if _is_key_value_object(schema, node.get("items", {})) else None
    # A free-form key->string object: patternProperties, or "type: [object, string]"
    # with format json (MWAA, DAX, Pinpoint, MediaLive ...), or no declared properties.
    if not node.get("properties") and ("object" in types or "patternProperties" in node):
        return "map"
    return None


def _taggable(schema: dict[str, Any]) -> bool:
    """Return tagging.taggable, else legacy top-level taggable, else whether Tags exists."""
    tagging = schema.get("tagging")
    if isinstance(tagging, dict) and "taggable" in tagging:
        return bool(tagging["taggable"])
    if "taggable" in schema:
        return bool(schema["taggable"])
    return "Tags" in schema.get("properties", {})


_CONSTRAINTS = ("enum", "maxLength", "maximum", "minLength", "minimum", "pattern")
_MAX_DEPTH = 2  # "A" and "A/B" or "A/*": deeper pointers cost more than they catch
_MAX_ENUM = 64  # longer lists (instance types) go stale and are cfn-lint's job
_MAX_PATTERN = 256


def _constraints(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return {pointer: {constraint: value}} for properties, nested ones as "A/B" or "A/*/B".

    Only the value constraints AWS enforces on a single value (enum, minimum, maximum,
    pattern, minLength, maxLength) are kept, two levels deep; a list's items are "*".
    """
    out: dict[str, dict[str, Any]] = {}

    def walk(node: Any, pointer: str, depth: int, seen: tuple[str, ...]) -> None:
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            if node["$ref"] in seen:  # recursive definitions
                return
            seen = seen + (node["$ref"],)
        node = _resolve(schema, node)
        if not isinstance(node, dict):
            return
        found = {k: node[k] for k in _CONSTRAINTS if k in node}
        enum = found.get("enum")
        if enum is not None and (len(enum) > _MAX_ENUM
                                 or not all(isinstance(v, (str, int, float)) for v in enum)):
            del found["enum"]
        if len(str(found.get("pattern", ""))) > _MAX_PATTERN:
            del found["pattern"]
        if found and pointer:
            out[pointer] = found
        if depth >= _MAX_DEPTH:
            return
        for name, child in (node.get("properties") or {}).items():
            walk(child, f"{pointer}/{name}" if pointer else name, depth + 1, seen)
        if "items" in node and pointer:
            walk(node["items"], f"{pointer}/*", depth + 1, seen)

    walk({"properties": schema.get("properties", {})}, "", 0, ())
    return dict(sorted(out.items()))


_TYPE_CODES = {"string": "s", "integer": "i", "number": "n", "boolean": "b", "array": "a",
               "object": "o"}


def _property_types(schema: dict[str, Any]) -> dict[str, str]:
    """Return {top-level property: its JSON types as letters} ("s" string, "i" integer,
    "n" number, "b" boolean, "a" array, "o" object; "os" either; "" any or undeclared);
    read-only properties (set by AWS) are left out."""
    out: dict[str, str] = {}
    read_only = {_strip_pointer(p) for p in schema.get("readOnlyProperties", [])}
    for name, node in (schema.get("properties") or {}).items():
        if name in read_only:  # set by AWS, never in a template
            continue
        node = _resolve(schema, node)
        types = node.get("type") if isinstance(node, dict) else None
        if types is None and isinstance(node, dict) and "properties" in node:
            types = "object"
        names = [types] if isinstance(types, str) else list(types or [])
        out[name] = "".join(sorted(_TYPE_CODES[t] for t in names if t in _TYPE_CODES))
    return dict(sorted(out.items()))


def build_specs() -> dict[str, Any]:
    """Build the resource-facts table for every type cfn-lint knows in us-east-1."""
    import cfnlint.version
    from cfnlint.schema.manager import ProviderSchemaManager

    manager = ProviderSchemaManager()  # fresh instance: unaffected by runtime patches
    out: dict[str, Any] = {
        "_source": {"cfn_lint_version": cfnlint.version.__version__, "region": REGION}
    }
    for type_name in sorted(set(manager.get_resource_types(REGION))):
        schema = manager.get_resource_schema(REGION, type_name).schema
        getatts = manager.get_type_getatts(type_name, REGION)
        out[type_name] = {
            "create_only": sorted(
                {_strip_pointer(p) for p in schema.get("createOnlyProperties", [])}
            ),
            "conditional_create_only": sorted(
                {_strip_pointer(p) for p in schema.get("conditionalCreateOnlyProperties", [])}
            ),
            "attributes": sorted(getatts.keys()),
            "constraints": _constraints(schema),
            "taggable": _taggable(schema),
            "tags_format": _tags_format(schema),
            "primary_identifier": [
                _strip_pointer(p) for p in schema.get("primaryIdentifier", [])
            ],
            "properties": _property_types(schema),
            "required": sorted(schema.get("required", [])),
        }
    return out


def render(specs: dict[str, Any]) -> str:
    """Serialise specs deterministically: sorted keys, compact, one type per line."""
    lines = [
        json.dumps(key) + ":" + json.dumps(specs[key], sort_keys=True, separators=(",", ":"))
        for key in sorted(specs)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def generate() -> str:
    """Return the text the committed resource_specs.json should contain."""
    return render(build_specs())


def main(argv: list[str] | None = None) -> int:
    """Write or check the committed resource specs file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed file is out of date"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)

    text = generate()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(
                f"{args.output} is out of date with the installed cfn-lint schemas; "
                "run: python scripts/gen_resource_specs.py",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode())} bytes, {len(text.splitlines()) - 2} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
