"""Config models: the root model is assembled from one module a section.

`cloudc/schema/sections/<section>.py` defines `SECTION`, `Entry` and, for single-map sections,
`SINGLE = True`. Adding a section means adding a module; nothing here changes.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from functools import lru_cache
from types import ModuleType
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field, create_model

from cloudc.schema import sections as _sections
from cloudc.schema.base import Model, Name

SCHEMA_ID = "https://cloudc.dev/schemas/cloud.schema.json"


@lru_cache(maxsize=1)
def section_modules() -> tuple[ModuleType, ...]:
    """Import every section module, ordered by ORDER then name."""
    mods = [
        importlib.import_module(f"{_sections.__name__}.{info.name}")
        for info in pkgutil.iter_modules(_sections.__path__)
    ]
    mods = [m for m in mods if hasattr(m, "SECTION")]
    return tuple(sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.SECTION)))


def section_names() -> list[str]:
    """Return every top-level key a config may have."""
    return [*(m.SECTION for m in section_modules()), *_GENERIC]


def map_sections() -> list[str]:
    """Return the sections that are maps of name -> entry."""
    return [m.SECTION for m in section_modules() if not getattr(m, "SINGLE", False)]


_GENERIC = ["mode", "extends", "variables", "tags", "outputs", "environments"]


@lru_cache(maxsize=1)
def config_model() -> type[BaseModel]:
    """Build the root model of a merged config."""
    fields: dict[str, Any] = {}
    for mod in section_modules():
        entry = mod.Entry
        doc = (mod.__doc__ or "").strip().splitlines()[0]
        if getattr(mod, "SINGLE", False):
            required = mod.SECTION == "project"
            default = ... if required else None
            ann = entry if required else Optional[entry]  # noqa: UP045 - `entry` is a runtime value
            fields[mod.SECTION] = (ann, Field(default, description=doc))
        else:
            key = getattr(mod, "KEY", None) or (str if getattr(mod, "DOTTED_KEYS", False)
                                                else Name)
            fields[mod.SECTION] = (dict[key, entry], Field(default_factory=dict, description=doc))  # type: ignore[valid-type]
    fields["mode"] = (
        Literal["server", "serverless", "hybrid"],
        Field("hybrid", description="server (EC2), serverless (Lambda/Fargate) or hybrid."),
    )
    fields["extends"] = (
        list[str], Field(default_factory=list, description="Presets: built-in names or paths.")
    )
    fields["variables"] = (
        dict[str, Any], Field(default_factory=dict, description="Values for ${var:NAME}.")
    )
    fields["tags"] = (
        dict[str, str], Field(default_factory=dict, description="Tags on every taggable resource.")
    )
    fields["outputs"] = (
        dict[Name, str], Field(default_factory=dict, description="Root stack outputs.")
    )
    fields["environments"] = (
        dict[str, dict[str, Any]],
        Field(default_factory=dict, description="Per-environment overlays of this file."),
    )
    model = create_model("CloudConfig", __base__=Model, **fields)
    model.__doc__ = "A cloudc application: one file describing a whole app on AWS."
    return model


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of the config file as a user writes it (cloudc/schema/editor.py)."""
    from cloudc import presets
    from cloudc.project import BUILTIN_ENVIRONMENTS
    from cloudc.schema import editor

    summaries = {m.SECTION: (m.__doc__ or "").strip().splitlines()[0]
                 for m in section_modules()}
    schema = editor.build(config_model().model_json_schema(by_alias=True), summaries,
                          presets.builtin_names(), list(BUILTIN_ENVIRONMENTS))
    return {"$id": SCHEMA_ID, **schema}


LAYER_SCHEMA_ID = "https://cloudc.dev/schemas/cloud.layer.schema.json"


def layer_schema_text() -> str:
    """Return the schema of a layer file (a preset, `cloud.<env>.yaml`): it refers to the
    main schema's `CloudConfigLayer`, so it must sit next to cloud.schema.json."""
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": LAYER_SCHEMA_ID,
           "title": "cloudc config layer (a preset or an environment file)",
           "$ref": "cloud.schema.json#/$defs/CloudConfigLayer"}
    return json.dumps(doc, indent=2) + "\n"


def json_schema_text() -> str:
    """Return the JSON Schema as the committed file's text."""
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
