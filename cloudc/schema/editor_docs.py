"""The words editors show for each key: description, markdown, example, completion snippet.

Units and defaults come from the models, the link from the section's name, example values
from `examples=[...]`, the default or the type, and value lists (instance types, regions) from
cloudc/data/editor_lists.json through `json_schema_extra={"x-list": NAME}`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

DOCS = "https://cloudc.dev/docs/sections/"
CONFIG_DOC = "https://cloudc.dev/docs/config.md"
DOC_PAGES = {"databases": "databases-rds"}  # sections whose page has another name
UNITS = (  # (field name pattern, unit), first match wins; a field may say `x-unit` itself
    (r"(^|_)days$", "days"), (r"(^|_)hours$", "hours"), (r"(^|_)minutes$", "minutes"),
    (r"(^|_)(seconds|secs)$", "seconds"), (r"(^|_)ms$", "milliseconds"),
    (r"(^|_)mb$", "MB"), (r"(^|_)gb$", "GB"), (r"^(memory|ephemeral_storage)$", "MB"),
    (r"(timeout|^delay|interval|ttl|window|max_age|retention_period|visibility|cooldown|grace)",
     "seconds"),
    (r"(^|_)(port|app_port)$", "TCP port"), (r"(percent|^cpu_target$|^memory_target$)", "%"),
)


@cache
def lists() -> dict[str, list[str]]:
    """Return the generated value lists (instance types, runtimes, regions)."""
    data = resources.files("cloudc").joinpath("data")
    out: dict[str, list[str]] = json.loads(
        data.joinpath("editor_lists.json").read_text(encoding="utf-8"))
    regions = json.loads(data.joinpath("regions.json").read_text(encoding="utf-8"))["regions"]
    out["regions"] = list(regions)
    out.pop("_source", None)
    return out

def doc_link(section: str) -> str:
    """Return the docs page of a section (`""`: the page on the config file itself)."""
    if not section:
        return CONFIG_DOC
    return f"{DOCS}{DOC_PAGES.get(section, section)}.md"


# --- descriptions, examples, snippets -----------------------------------------------------


def document_model(node: dict[str, Any], defs: dict[str, Any], section: str) -> None:
    """Give every property of a model its description, markdown, example and snippet."""
    for key, prop in node.get("properties", {}).items():
        document(key, prop, defs, section, None)


def document(key: str, prop: dict[str, Any], defs: dict[str, Any], section: str,
              summary: str | None) -> None:
    if prop.get("default", 0) is None:
        del prop["default"]  # "not set": an editor would insert a literal `null`
    target = _target(prop, defs)
    if summary is not None and "description" not in prop:
        prop["description"] = summary
    if "description" not in prop and target is not None:
        what, model = target
        text = (model.get("description") or "").strip()
        if text:
            prop["description"] = text if what == "one" else (
                f"A list of: {text[0].lower()}{text[1:]}" if what == "list"
                else f"Entries by name: {text[0].lower()}{text[1:]}")
    snippet = _snippet(key, prop, defs)
    if snippet is not None:
        prop["defaultSnippets"] = [snippet]
    if "description" in prop:
        prop["markdownDescription"] = _markdown(key, prop, defs, section)


def _target(prop: dict[str, Any], defs: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Return ("one" | "list" | "map", model) when a property holds models."""
    for branch in [prop, *prop.get("anyOf", [])]:
        ref = branch.get("$ref")
        if isinstance(ref, str):
            return "one", defs[ref.rsplit("/", 1)[1]]
        items = branch.get("items")
        if isinstance(items, dict) and "$ref" in items:
            return "list", defs[items["$ref"].rsplit("/", 1)[1]]
        for sub in [*branch.get("patternProperties", {}).values(),
                    branch.get("additionalProperties")]:
            if isinstance(sub, dict) and "$ref" in sub:
                return "map", defs[sub["$ref"].rsplit("/", 1)[1]]
    return None


def _unit(key: str, prop: dict[str, Any]) -> str | None:
    if "x-unit" in prop:
        return str(prop.pop("x-unit"))
    if not _types(prop) & {"integer", "number"}:
        return None
    for pattern, unit in UNITS:
        if re.search(pattern, key):
            return unit
    return None


def _types(prop: dict[str, Any]) -> set[str]:
    types: set[str] = {prop["type"]} if isinstance(prop.get("type"), str) else set()
    for branch in prop.get("anyOf", []):
        if isinstance(branch.get("type"), str):
            types.add(branch["type"])
    return types


def example_value(key: str, prop: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    """Return a value that shows how a property is written (not necessarily its default)."""
    if prop.get("examples"):
        return prop["examples"][0]
    if "x-list" in prop:
        return _LIST_EXAMPLES.get(str(prop["x-list"]), "")
    if prop.get("default") not in (None, [], {}, ""):
        return prop["default"]
    branches = [b for b in prop.get("anyOf", []) if b.get("type") != "null"] or [prop]
    b = branches[0]
    if "enum" in b:
        return b["enum"][0]
    if "const" in b:
        return b["const"]
    if "$ref" in b:
        return _skeleton(defs[b["$ref"].rsplit("/", 1)[1]], defs, depth + 1) if depth < 3 else {}
    kind = b.get("type")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return b.get("minimum", b.get("exclusiveMinimum", 0) + 1)
    if kind == "array":
        item = example_value(key, b.get("items", {}), defs, depth + 1)
        return [item] if item not in (None, "") else []
    if kind == "object":
        return {}
    return f"my-{key.replace('_', '-')}" if "pattern" not in b else ""


_LIST_EXAMPLES = {"ec2_instance_types": "t4g.small", "rds_instance_classes": "db.t4g.micro",
                  "elasticache_node_types": "cache.t4g.micro", "regions": "us-east-1",
                  "opensearch_instance_types": "t3.small.search"}


def _skeleton(model: dict[str, Any], defs: dict[str, Any], depth: int) -> dict[str, Any]:
    """Return a model's required keys (or, with none, its first key) with example values."""
    props = model.get("properties", {})
    keys = [k for k in model.get("required", []) if k in props] or [
        k for k in props if k != "tags"][:1]
    return {k: example_value(k, props[k], defs, depth) for k in keys}


def _snippet(key: str, prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """Return the completion skeleton of a property that holds models (never `null`)."""
    target = _target(prop, defs)
    if target is None:
        return None
    what, model = target
    body = _skeleton(model, defs, 1)
    label = (model.get("description") or key).split(".")[0].split(":")[0]
    if len(label) > 60:
        label = label[:60].rsplit(" ", 1)[0] + "..."
    if what == "list":
        return {"label": f"{label} (a list item)", "body": [body]}
    if what == "map":
        return {"label": f"{label} (a named entry)", "body": {"${1:name}": body}}
    return {"label": label, "body": body}


def _markdown(key: str, prop: dict[str, Any], defs: dict[str, Any], section: str) -> str:
    lines = [str(prop["description"]), ""]
    unit = _unit(key, prop)
    if unit:
        lines.append(f"- Unit: {unit}")
    default = prop.get("default")
    if default is not None and default != [] and default != {}:
        lines.append(f"- Default: `{json.dumps(default)}`")
    elif "default" not in prop and not _target(prop, defs):
        lines.append("- Default: not set")
    snippets = prop.get("defaultSnippets") or [{}]
    example = snippets[0].get("body", example_value(key, prop, defs))
    if isinstance(example, dict) and "${1:name}" in example:
        example = {"my-" + key.rstrip("s").replace("_", "-"): example["${1:name}"]}
    if isinstance(example, (dict, list)) or example != "":
        lines += ["- Example:", "", "  ```yaml", f"  {key}: {_flow(example)}", "  ```"]
    name = f"`{section}` reference" if section else "The config file"
    lines.append(f"\n[{name}]({doc_link(section)})")
    return "\n".join(lines).strip()


def _flow(value: Any) -> str:
    """Write a value as YAML flow text (JSON is YAML; strings unquoted where plain)."""
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_./-][A-Za-z0-9_./ -]*", value) \
            and value.strip() == value and value.lower() not in ("true", "false", "null"):
        return value
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + " }" \
            if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return json.dumps(value)


# --- value lists ------------------------------------------------------------------------------


LIST_DEF = "Values_"  # $defs holding a list's completion items, named Values_<list>


def apply_lists(node: Any, defs: dict[str, Any]) -> None:
    """Replace each `x-list` marker by a reference to the list's completion items.

    They are `defaultSnippets` (suggested, never enforced, so a type newer than the list is
    not refused), not `examples`, which yaml-language-server prints whole in the hover; and
    they live once in `$defs`, however many fields (and layers) offer them.
    """
    if isinstance(node, dict):
        name = node.pop("x-list", None)
        if isinstance(name, str):
            node["allOf"] = [{"$ref": f"#/$defs/{LIST_DEF}{name}"}]
            defs[f"{LIST_DEF}{name}"] = {  # no description: the hover shows the field's own
                "defaultSnippets": [{"label": v, "body": v} for v in lists()[name]]}
        for v in node.values():
            apply_lists(v, defs)
    elif isinstance(node, list):
        for v in node:
            apply_lists(v, defs)
