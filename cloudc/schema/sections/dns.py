"""dns: the Route53 hosted zone the app's domains live in."""

from __future__ import annotations

from pydantic import Field

from cloudc.schema.base import Bool, Model

SECTION = "dns"
SINGLE = True
ORDER = 5


class Dns(Model):
    """A hosted zone: created, or an existing one looked up."""

    zone: str = Field(description="The apex domain, e.g. acme.com.", examples=["acme.com"])
    lookup: Bool = Field(False, description="Use an existing hosted zone instead of creating one.")
    zone_id: str | None = Field(None, pattern=r"^Z[A-Z0-9]+$", description="With lookup: its id.")


Entry = Dns
