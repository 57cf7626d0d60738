"""search: OpenSearch Service domains."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, PosInt, Tagged


class FineGrained(Model):
    """OpenSearch fine-grained access control with an IAM master role (no internal users)."""

    master: str = Field(description="The master user: an IAM role ARN, or functions.NAME / "
                                    "services.NAME / servers.NAME whose role becomes master.")


SECTION = "search"
ORDER = 120


class SearchDomain(Tagged):
    """An OpenSearch domain in the VPC: encrypted, HTTPS only, IAM-authenticated."""

    version: str = Field("OpenSearch_2.17", pattern=r"^(OpenSearch|Elasticsearch)_\d+\.\d+$",
                         description="Engine version.")
    instance: str = Field("t3.small.search", pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$",
                          description="Data node instance type.",
                          json_schema_extra={"x-list": "opensearch_instance_types"})
    count: PosInt = Field(1, le=80, description="Data nodes; more than one spreads over zones.")
    zones: Literal[2, 3] | None = Field(
        None, description="Zones to spread nodes over when count > 1 (default 2, or 3 when "
                          "count is a multiple of 3 and the VPC has 3 zones).")
    masters: Literal[0, 3, 5] = Field(0, description="Dedicated master nodes.")
    master_instance: str | None = Field(
        None, pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$",
        description="Instance type of dedicated master nodes (none if not set).",
        json_schema_extra={"x-list": "opensearch_instance_types"})
    storage_gb: PosInt = Field(10, le=24576, description="gp3 EBS volume per data node.")
    vpc: Bool = Field(True, description="Reachable only inside the VPC (warns when off).")
    key: str | None = Field(None, pattern=r"^security\.keys\.[a-z0-9][a-z0-9_-]*$",
                            description="Encrypt at rest with `security.keys.NAME`.")
    fine_grained: FineGrained | None = Field(
        None, description="Fine-grained access control; without it access is decided by IAM "
                          "alone (links).")


Entry = SearchDomain
