"""project: the application's identity."""

from __future__ import annotations

from pydantic import Field

from cloudc.schema.base import Model

SECTION = "project"
SINGLE = True
ORDER = 0


class Project(Model):
    """The application's name, slug and home region."""

    name: str = Field(description="Human name of the application.", min_length=1,
                      examples=["Acme Shop"])
    slug: str | None = Field(
        None, pattern=r"^[a-z][a-z0-9-]{0,30}$",
        description="Short lowercase id used in physical names; derived from name when omitted.",
    )
    region: str = Field(
        "us-east-1", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$", description="Home AWS region.",
        json_schema_extra={"x-list": "regions"}
    )
    description: str | None = Field(None, description="Stack description.")


Entry = Project
