"""network: the VPC that servers, services, databases and in-VPC functions run in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, PosInt

SECTION = "network"
SINGLE = True
ORDER = 3


class Vpc(Model):
    """The VPC's address range, how many availability zones it spans, and its NAT gateways."""

    cidr: str = Field(
        "10.0.0.0/16", pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$",
        description="IPv4 range of the VPC, /16 to /20 (each zone gets a slot per subnet tier).",
    )
    zones: PosInt = Field(2, le=6, description="Availability zones (one subnet per tier each).")
    nat: Literal["none", "single", "per-zone"] = Field(
        "none",
        description="NAT gateways for private subnets: none (no internet from private subnets), "
        "single (one, cheapest) or per-zone (one per zone, survives a zone outage).",
    )


class Network(Model):
    """A VPC with public, private and isolated subnets in each zone."""

    vpc: Vpc = Field(default_factory=Vpc)  # type: ignore[arg-type]
    endpoints: Bool = Field(
        True, description="Free gateway endpoints for S3 and DynamoDB on every route table."
    )
    flow_logs: Bool = Field(False, description="VPC flow logs to CloudWatch Logs.")
    flow_logs_retention_days: PosInt | None = Field(
        None, description="Flow log retention; defaults to monitoring.log_retention_days or 30."
    )


Entry = Network
