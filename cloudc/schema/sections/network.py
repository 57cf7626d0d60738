"""network: the VPC that servers, services, databases and in-VPC functions run in."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

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


# The part of a PrivateLink service name after `com.amazonaws.REGION.`: `secretsmanager`,
# `ecr.api`, `bedrock-runtime`, ...
EndpointName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")]


class Network(Model):
    """A VPC with public, private and isolated subnets in each zone."""

    vpc: Vpc = Field(default_factory=Vpc)
    endpoints: Bool | list[EndpointName] = Field(
        True,
        description="VPC endpoints. true: free S3 and DynamoDB gateway endpoints, plus (with "
        "nat: none) the interface endpoints that compute in private subnets needs for the AWS "
        "APIs it links to, with a cost warning. A list such as [secretsmanager, sqs]: the "
        "gateway endpoints and exactly these interface endpoints (service names after "
        "`com.amazonaws.REGION.`), whatever the NAT setting. false: no endpoints at all.",
    )
    flow_logs: Bool = Field(False, description="VPC flow logs to CloudWatch Logs.")
    flow_logs_retention_days: PosInt | None = Field(
        None, description="Flow log retention; defaults to monitoring.log_retention_days or 30."
    )


Entry = Network
