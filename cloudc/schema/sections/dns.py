"""dns: the Route53 hosted zone the app's domains live in, more zones, and any records."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, NonNegInt, PosInt

SECTION = "dns"
SINGLE = True
ORDER = 5
ZONE_ID = r"^Z[A-Z0-9]+$"
RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"]


class ExtraZone(Model):
    """Another hosted zone records may live in: created, or an existing one."""

    lookup: Bool = Field(False, description="Use an existing zone (by `zone_id`, else by name).")
    zone_id: str | None = Field(None, pattern=ZONE_ID, description="With lookup: its id.")


class HealthCheck(Model):
    """A Route53 health check the record's routing follows (made by cloudc)."""

    url: str = Field(pattern=r"^(https?|tcp)://[^/\s:]+(:\d+)?(/\S*)?$",
                     description="What to check: https://host/path, http://host:port/path or "
                                 "tcp://host:port.")
    interval: Literal[10, 30] = Field(30, description="Seconds between checks.")
    failure_threshold: PosInt = Field(3, le=10, description="Failures before it is unhealthy.")


class Geolocation(Model):
    """Where a geolocation record answers: a continent, or a country (and US state)."""

    continent: Literal["AF", "AN", "AS", "EU", "OC", "NA", "SA"] | None = Field(
        None, description="Continent code: AF, AN, AS, EU, OC, NA or SA.")
    country: str | None = Field(None, pattern=r"^([A-Z]{2}|\*)$",
                                description="ISO 3166 code; `*` is the default location.")
    subdivision: str | None = Field(None, pattern=r"^[A-Z0-9]{1,3}$",
                                    description="A US state (with country US).")


class Routing(Model):
    """A routing policy: exactly one of weight, failover, region (latency), geolocation."""

    weight: NonNegInt | None = Field(None, le=255, description="Weighted: share of answers.")
    failover: Literal["primary", "secondary"] | None = Field(
        None, description="Failover: the primary answers while healthy.")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
                               description="Latency: the AWS region this record serves from.")
    geolocation: Geolocation | None = Field(None, description="Geolocation: who it answers.")
    health_check: HealthCheck | None = Field(None, description="A health check made for it.")
    health_check_id: str | None = Field(None, description="An existing health check's id.")


class Record(Model):
    """One record set in a declared zone."""

    name: str = Field(pattern=r"^(\*\.)?([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)+[a-z]{2,}\.?$",
                      description="The full name, e.g. acme.com or _dmarc.acme.com.")
    type: RecordType = Field(description="A, AAAA, CNAME, MX, TXT, SRV, CAA or NS.")
    values: list[str] = Field(default_factory=list, description="The record's values.")
    ttl: PosInt = Field(300, le=2147483647, description="Seconds resolvers cache it.")
    alias: str | None = Field(None, description="Alias A/AAAA to a declared site, API, service "
                                                "or server (`sites.web`) instead of values.")
    set_identifier: str | None = Field(None, min_length=1, max_length=128,
                                       description="Tells records of one name apart (routing).")
    routing: Routing | None = Field(None, description="Weighted, failover, latency or geo.")


class Dns(Model):
    """A hosted zone: created, or an existing one looked up."""

    zone: str = Field(description="The apex domain, e.g. acme.com.", examples=["acme.com"])
    lookup: Bool = Field(False, description="Use an existing hosted zone instead of creating one.")
    zone_id: str | None = Field(None, pattern=ZONE_ID, description="With lookup: its id.")
    zones: dict[str, ExtraZone] = Field(default_factory=dict,
                                        description="More zones, by domain, for `records`.")
    records: list[Record] = Field(default_factory=list,
                                  description="Records in the zones (MX, TXT, aliases, ...).")


Entry = Dns
