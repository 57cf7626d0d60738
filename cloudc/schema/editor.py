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
from typing import Any

from cloudc.schema.base import INTERP_PATTERN
from cloudc.schema.editor_docs import (
    CONFIG_DOC,
    LIST_DEF,
    apply_lists,
    document,
    document_model,
)

INTERP_IN_TEXT = r"\$\{[^{}]+\}"  # a string field: any `${...}` inside is interpolated
NUMBER_TEXT = {  # what cloudc reads in a number or boolean field besides the value itself
    "integer": r"^(\$\{[^{}]+\}|[-+]?[0-9]+)$",
    "number": r"^(\$\{[^{}]+\}|[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)$",
    "boolean": r"^(\$\{[^{}]+\}|true|True|TRUE|false|False|FALSE)$",
}
ANNOTATIONS = ("description", "markdownDescription", "default", "examples", "defaultSnippets",
               "deprecated")


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
            document_model(node, defs, home.get(name, ""))
    for key, prop in root["properties"].items():
        document(key, prop, defs, key if key in sections else "", sections.get(key))
    listed: dict[str, Any] = {}
    for node in defs.values():
        _relax(node)
        apply_lists(node, listed)
    for name in list(defs):
        defs[name] = _interpolable(defs[name])
    _root_extras(defs["CloudConfig"], presets, environments)
    layers = {f"{name}Layer": _layer(node) for name, node in defs.items()}
    defs.update(layers)
    defs.update(listed)
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
                and v != "#/$defs/Environment" \
                and not v.startswith(f"#/$defs/{LIST_DEF}"):  # these have no layer variant
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
