"""Config models: the root model is assembled from one module a section.

`cloudc/schema/sections/<section>.py` defines `SECTION`, `Entry` and, for single-map sections,
`SINGLE = True`. Adding a section means adding a module; nothing here changes.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass
from functools import cache, lru_cache
from types import ModuleType
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field, create_model

from cloudc.schema import sections as _sections
from cloudc.schema.base import Model, Name

SCHEMA_ID = "https://cloudc.dev/schemas/cloud.schema.json"


@lru_cache(maxsize=1)
def section_modules() -> tuple[ModuleType, ...]:
    """Import every section module, ordered by ORDER then name (the JSON Schema, the docs)."""
    mods = [
        importlib.import_module(f"{_sections.__name__}.{info.name}")
        for info in pkgutil.iter_modules(_sections.__path__)
    ]
    mods = [m for m in mods if hasattr(m, "SECTION")]
    return tuple(sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.SECTION)))


@dataclass(frozen=True)
class SectionInfo:
    """What the pipeline knows of a section without importing its module (cloudc/registry.py)."""

    section: str
    module: str  # the module's name in cloudc/schema/sections/
    order: int = 100
    single: bool = False
    refs: tuple[str, ...] = ()  # fields whose values name other entries
    forbidden_in: tuple[str, ...] = ()  # modes that do not allow the section
    dotted: bool = False  # keyed by names that contain dots (domains)


INFO_CONSTANTS = ("SECTION", "ORDER", "SINGLE", "REFS", "FORBIDDEN_IN", "DOTTED_KEYS")


@lru_cache(maxsize=1)
def section_infos() -> tuple[SectionInfo, ...]:
    """Return every section's SectionInfo, ordered by ORDER then name, importing no section."""
    from cloudc.registry import module_constants

    infos = [SectionInfo(c["SECTION"], module, c.get("ORDER", 100), c.get("SINGLE", False),
                         tuple(c.get("REFS", ())), tuple(c.get("FORBIDDEN_IN", ())),
                         c.get("DOTTED_KEYS", False))
             for module, c in module_constants(_sections, INFO_CONSTANTS).items()
             if "SECTION" in c]
    return tuple(sorted(infos, key=lambda i: (i.order, i.section)))


@lru_cache(maxsize=1)
def section_info() -> dict[str, SectionInfo]:
    """Return every section's SectionInfo by section."""
    return {i.section: i for i in section_infos()}


@cache
def section_module(section: str) -> ModuleType:
    """Import the module of one section."""
    return importlib.import_module(f"{_sections.__name__}.{section_info()[section].module}")


def section_names() -> list[str]:
    """Return every top-level key a config may have."""
    return [*(i.section for i in section_infos()), *_GENERIC]


def map_sections() -> list[str]:
    """Return the sections that are maps of name -> entry."""
    return [i.section for i in section_infos() if not i.single]


_GENERIC = ["mode", "extends", "variables", "tags", "outputs", "environments"]


@cache
def config_model(sections: frozenset[str] | None = None) -> type[BaseModel]:
    """Build the root model of a merged config: over every section (None), or typed only for
    `sections` (those a config has; `project` always), each other one an empty default, so
    that validating a config imports and builds only the models it uses."""
    fields: dict[str, Any] = {}
    for info in section_infos():
        if sections is not None and info.section not in sections and info.section != "project":
            fields[info.section] = ((Any, Field(None)) if info.single
                                    else (dict[str, Any], Field(default_factory=dict)))
            continue
        mod = section_module(info.section)
        entry = mod.Entry
        # Build the section's model on its own (deferred until now): every root model made
        # with it reuses that schema instead of generating it again (a process that validates
        # configs with different sections, like the test suite, builds each section once).
        entry.model_rebuild()
        doc = (mod.__doc__ or "").strip().splitlines()[0]
        if info.single:
            required = info.section == "project"
            default = ... if required else None
            ann = entry if required else Optional[entry]  # noqa: UP045 - `entry` is a runtime value
            fields[info.section] = (ann, Field(default, description=doc))
        else:
            key = getattr(mod, "KEY", None) or (str if info.dotted else Name)
            fields[info.section] = (dict[key, entry], Field(default_factory=dict, description=doc))  # type: ignore[valid-type]
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


@cache
def json_schema_text() -> str:
    """Return the JSON Schema as the committed file's text (made once per process: 0.2 to
    0.5 s of CPU, which `init` and `schema` would otherwise pay on every call)."""
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
