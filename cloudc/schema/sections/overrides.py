"""overrides: deep-merge patches on generated resources, by logical ID (`null` deletes a key)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cloudc.schema.base import Model
from cloudc.schema.sections.resources import LogicalId

SECTION = "overrides"
ORDER = 910
KEY = LogicalId  # entries are keyed by the generated resource's logical ID


class Override(Model):
    """A patch merged into one generated resource: maps merge key by key, `null` deletes."""

    Properties: dict[str, Any] | None = Field(None, description="Merged into its Properties.")
    DependsOn: str | list[str] | None = Field(None, description="Replaces its DependsOn.")
    DeletionPolicy: str | None = Field(None, description="Replaces its DeletionPolicy.")
    UpdateReplacePolicy: str | None = Field(None, description="Replaces its UpdateReplacePolicy.")
    UpdatePolicy: dict[str, Any] | None = Field(None, description="Merged into its UpdatePolicy.")
    Metadata: dict[str, Any] | None = Field(None, description="Merged into its Metadata.")


Entry = Override
