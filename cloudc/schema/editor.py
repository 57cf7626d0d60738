"""Turn the models' JSON Schema into the one editors read (yaml-language-server, Taplo).

Everything is derived from the pydantic schema, so a new field gets it for free:
- a `${...}` is accepted wherever cloudc interpolates it (every constrained scalar);
- `null` deletes a key in overlays and in files that `extends` others (the `Layer` variants);
- each property gets a `markdownDescription` with its unit, default, an example and a link to
  its `docs/sections/` page, and object properties a `defaultSnippets` skeleton, never `null`;
- fields marked `json_schema_extra={"x-list": NAME}` suggest the values of a generated list
  (cloudc/data/editor_lists.json, regions.json): instance types, node types, regions.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from cloudc.schema.base import INTERP_PATTERN

DOCS = "https://cloudc.dev/docs/sections/"
CONFIG_DOC = "https://cloudc.dev/docs/config.md"
DOC_PAGES = {"databases": "databases-rds"}  # sections whose page has another name
INTERP_IN_TEXT = r"\$\{[^{}]+\}"  # a string field: any `${...}` inside is interpolated
NUMBER_TEXT = {  # what cloudc reads in a number or boolean field besides the value itself
    "integer": r"^(\$\{[^{}]+\}|[-+]?[0-9]+)$",
    "number": r"^(\$\{[^{}]+\}|[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)$",
    "boolean": r"^(\$\{[^{}]+\}|true|false)$",
}
ANNOTATIONS = ("description", "markdownDescription", "default", "examples", "defaultSnippets",
               "deprecated")
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


def build(raw: dict[str, Any], sections: dict[str, str], presets: list[str],
          environments: list[str]) -> dict[str, Any]:
    """Return the editor schema document from the models' schema of the root model.

    `sections` maps each top-level key to its one-line summary; `presets` and `environments`
    are the built-in names editors suggest for `extends` and under `environments`.
    """
    raw = copy.deepcopy(raw)
    defs: dict[str, Any] = raw.pop("$defs", {})
    root = {k: v for k, v in raw.items() if k not in ("title", "description")}
    defs["CloudConfig"] = root
    home = _home_sections(root, defs)
    for name, node in defs.items():
        if name != "CloudConfig":
            _properties(node, defs, home.get(name, ""))
    for key, prop in root["properties"].items():
        _document(key, prop, defs, key if key in sections else "", sections.get(key))
    for node in defs.values():
        _relax(node)
        _lists(node)
    for name in list(defs):
        defs[name] = _interpolable(defs[name])
    _root_extras(defs["CloudConfig"], presets, environments)
    layers = {f"{name}Layer": _layer(node) for name, node in defs.items()}
    defs.update(layers)
    env_props = {k: v for k, v in defs["CloudConfigLayer"]["properties"].items()
                 if k not in ("environments", "extends")}
    defs["Environment"] = {
        "description": "An overlay of this file for one environment: what it says wins; "
                       "`null` deletes a key.",
        "type": "object", "properties": env_props, "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cloudc config",
        "description": "A cloudc application: one file describing a whole app on AWS.",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/CloudConfigLayer"},
        "else": {"$ref": "#/$defs/CloudConfig", "required": ["project"]},
        "$defs": dict(sorted(defs.items())),
    }


# --- where each model lives ---------------------------------------------------------------


def _refs(node: Any) -> list[str]:
    """Return the names of the $defs a schema node refers to (anywhere inside it)."""
    found: list[str] = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, dict):
            ref = n.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found.append(ref.rsplit("/", 1)[1])
            todo.extend(n.values())
        elif isinstance(n, list):
            todo.extend(n)
    return found


def _home_sections(root: dict[str, Any], defs: dict[str, Any]) -> dict[str, str]:
    """Map each model to the first top-level section that uses it (its docs page)."""
    home: dict[str, str] = {}
    for section, prop in root.get("properties", {}).items():
        todo = _refs(prop)
        while todo:
            name = todo.pop()
            if name in home or name not in defs:
                continue
            home[name] = section
            todo.extend(_refs(defs[name]))
    return home


def doc_link(section: str) -> str:
    """Return the docs page of a section (`""`: the page on the config file itself)."""
    if not section:
        return CONFIG_DOC
    return f"{DOCS}{DOC_PAGES.get(section, section)}.md"


# --- descriptions, examples, snippets -----------------------------------------------------


def _properties(node: dict[str, Any], defs: dict[str, Any], section: str) -> None:
    """Give every property of a model its description, markdown, example and snippet."""
    for key, prop in node.get("properties", {}).items():
        _document(key, prop, defs, section, None)


def _document(key: str, prop: dict[str, Any], defs: dict[str, Any], section: str,
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


def _lists(node: Any) -> None:
    """Replace each `x-list` marker by the list's values as `examples` (suggested, not forced)."""
    if isinstance(node, dict):
        name = node.pop("x-list", None)
        if isinstance(name, str):
            node["examples"] = lists()[name]
        for v in node.values():
            _lists(v)
    elif isinstance(node, list):
        for v in node:
            _lists(v)


# --- `${...}` where cloudc interpolates ---------------------------------------------------


def _constrained(node: dict[str, Any]) -> bool:
    """Say whether a scalar schema would refuse a `${...}` string."""
    if "enum" in node or "const" in node:
        return True
    kind = node.get("type")
    if kind in ("integer", "number", "boolean"):
        return True
    return kind == "string" and any(k in node for k in ("pattern", "format", "minLength",
                                                        "maxLength"))


def _interp_branch(branches: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the `${...}` alternative; its title keeps yaml-language-server's hover on the
    property's markdown (it shows the bare descriptions when all branches look alike)."""
    return {"title": "${...}", **_interp_core(branches)}


def _interp_core(branches: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = {b.get("type") for b in branches}
    if "string" in kinds or any(isinstance(v, str) for b in branches for v in b.get("enum", [])):
        return {"type": "string", "pattern": INTERP_IN_TEXT}
    kind = next((k for k in ("number", "integer", "boolean") if k in kinds), None)
    if kind is None or any("enum" in b or "const" in b for b in branches):
        return {"type": "string", "pattern": INTERP_PATTERN}
    return {"type": "string", "pattern": NUMBER_TEXT[kind]}


def _is_interp(node: dict[str, Any]) -> bool:
    return (node.get("type") == "string" and set(node) <= {"type", "pattern", "title"}
            and node.get("pattern") in (INTERP_PATTERN, INTERP_IN_TEXT, *NUMBER_TEXT.values()))


def _interpolable(node: Any, wrap: bool = True) -> Any:
    """Return the node with a `${...}` alternative next to every constrained scalar."""
    if isinstance(node, list):
        return [_interpolable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in ("properties", "patternProperties", "$defs"):
            out[k] = {name: _interpolable(sub) for name, sub in v.items()}
        elif k in ("items", "additionalProperties"):
            out[k] = _interpolable(v)
        elif k in ("anyOf", "oneOf"):
            out[k] = _flatten([_interpolable(b, wrap=False) for b in v])
        else:
            out[k] = v
    if "anyOf" in out:
        branches = [b for b in out["anyOf"] if not _is_interp(b)]
        scalar = [b for b in branches if _constrained(b)]
        if scalar:
            out["anyOf"] = [*branches, _interp_branch(scalar)]
        return out
    if wrap and _constrained(out) and "$ref" not in out:
        core = {k: v for k, v in out.items() if k not in ANNOTATIONS}
        notes = {k: v for k, v in out.items() if k in ANNOTATIONS}
        return {**notes, "anyOf": [core, _interp_branch([core])]}
    return out


def _flatten(branches: list[Any]) -> list[Any]:
    """Splice branches that are nothing but an `anyOf` into their parent's list."""
    out: list[Any] = []
    for b in branches:
        if isinstance(b, dict) and set(b) == {"anyOf"}:
            out.extend(_flatten(b["anyOf"]))
        else:
            out.append(b)
    return out


# --- relaxing, layers and the root ------------------------------------------------------------


def _relax(node: Any) -> None:
    """Make every key optional (presets and overlays may supply it) and close every model."""
    if isinstance(node, dict):
        node.pop("required", None)
        node.pop("title", None)
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for v in node.values():
            _relax(v)
    elif isinstance(node, list):
        for v in node:
            _relax(v)


_NULL = {"type": "null", "description": "`null` deletes this key from what the file extends "
                                        "or overlays."}


def _nullable(prop: Any) -> Any:
    """Return a property that may also be `null`."""
    if not isinstance(prop, dict):
        return prop
    if any(b.get("type") == "null" for b in prop.get("anyOf", [])) or prop.get("type") == "null":
        return prop
    if "anyOf" in prop:
        return {**prop, "anyOf": [*prop["anyOf"], _NULL]}
    core = {k: v for k, v in prop.items() if k not in ANNOTATIONS}
    notes = {k: v for k, v in prop.items() if k in ANNOTATIONS}
    return {**notes, "anyOf": [core, _NULL]}


def _layer(node: Any) -> Any:
    """Return a schema as an overlay writes it: every key of every map may be `null` (deleted),
    and every $ref points at the Layer variant of its model. List items are not: a list is
    replaced whole."""
    if isinstance(node, list):
        return [_layer(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in ("properties", "patternProperties"):
            out[k] = {name: _nullable(_layer(sub)) for name, sub in v.items()}
        elif k == "additionalProperties" and isinstance(v, dict):
            out[k] = _nullable(_layer(v))
        elif k in ("items", "anyOf", "oneOf", "allOf"):
            out[k] = _layer(v)
        elif k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/") \
                and v != "#/$defs/Environment":  # an environment overlay is a layer already
            out[k] = v + "Layer"
        else:
            out[k] = v
    return out


def _root_extras(root: dict[str, Any], presets: list[str], environments: list[str]) -> None:
    """Suggest preset names for `extends` and environment names under `environments`."""
    props = root["properties"]
    item = {"anyOf": [
        {"enum": presets, "description": "A built-in preset."},
        {"type": "string", "pattern": r"(/|\.(ya?ml|toml|json)$)",
         "description": "A preset file of this project, relative to this file."},
    ]}
    extends = props["extends"]
    extends.pop("type", None)
    extends.pop("items", None)
    extends["anyOf"] = [{"type": "array", "items": item}, item]
    extends["examples"] = [[presets[0]]] if presets else []
    extends["defaultSnippets"] = [{"label": "extends a preset", "body": ["${1|" + ",".join(
        presets) + "|}"]}] if presets else []
    extends["markdownDescription"] = (
        f"{extends['description']}\n\nBuilt-in presets: "
        + ", ".join(f"`{p}`" for p in presets)
        + ", or a path such as `./base.yaml`. What this file says wins; `null` deletes a key."
        + "\n- Example:\n\n  ```yaml\n  extends: [" + (presets[0] if presets else "") + "]\n  ```"
        + f"\n\n[The config file: layers and merging]({CONFIG_DOC})")
    envs = props["environments"]
    envs.pop("additionalProperties", None)
    envs["type"] = "object"
    envs["propertyNames"] = {"pattern": r"^[a-z][a-z0-9-]{0,31}$"}
    envs["properties"] = {e: {"$ref": "#/$defs/Environment",
                              "description": f"Overlay for `{e}` (a built-in environment)."}
                          for e in environments}
    envs["additionalProperties"] = {"$ref": "#/$defs/Environment"}
    envs["defaultSnippets"] = [{"label": "an environment overlay",
                                "body": {"${1|" + ",".join(environments) + "|}": {}}}]
    envs["markdownDescription"] = (
        f"{envs['description']}\n\nBuilt in: " + ", ".join(f"`{e}`" for e in environments)
        + "; any other name is `[a-z][a-z0-9-]*`, at most 32 characters. `null` deletes a key."
        + "\n- Example:\n\n  ```yaml\n  environments:\n    production: { functions: "
          "{ api: { memory: 1024 } } }\n  ```"
          f"\n\n[The config file: layers and merging]({CONFIG_DOC})")
