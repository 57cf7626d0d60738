"""Extra IAM statements an entry's role gets (`policies:` on functions, services, servers)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model

ACTION_PATTERN = r"^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$"


class Policy(Model):
    """One IAM statement added to the entry's role, beside what its links grant."""

    actions: list[str] = Field(min_length=1, description="IAM actions, e.g. s3:GetObject.")
    resources: list[str] = Field(min_length=1, description="ARNs; `${...}` references work.")
    effect: Literal["Allow", "Deny"] = Field("Allow", description="Allow or Deny.")
    conditions: dict[str, dict[str, Any]] | None = Field(
        None, description="IAM Condition block: operator -> key -> value(s).")
    allow_wildcard: Bool = Field(
        False, description="Allow a `*` action or resource (warns); without it, an error.")


def policies_field() -> Any:
    """Return the `policies:` field every compute entry declares."""
    return Field(default_factory=list, description="Extra IAM statements for the entry's role.")


__all__ = ["ACTION_PATTERN", "Literal", "Policy", "policies_field"]
