"""security: KMS keys, WAF web ACLs and extra ACM certificates."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, Name, PosInt, RefStr, Tagged

SECTION = "security"
SINGLE = True
ORDER = 190
REFS = ("scope",)  # fields whose values name other entries (`section.name`)

ManagedRule = Literal["common", "known-bad-inputs", "sql-injection", "linux", "unix", "windows",
                      "php", "wordpress", "admin-protection", "ip-reputation", "anonymous-ip",
                      "bot-control"]


class Key(Tagged):
    """A customer managed KMS key with an alias."""

    rotation: Bool = Field(True, description="Rotate the key material every year.")
    alias: str | None = Field(
        None, pattern=r"^[a-zA-Z0-9/_-]{1,250}$",
        description="Alias without `alias/`; default `{slug}-{env}-{name}`.")
    description: str | None = Field(None, max_length=8192, description="Description of the key.")
    deletion_window_days: PosInt = Field(30, ge=7, le=30,
                                         description="Waiting period before deletion.")


class Waf(Model):
    """A WAF web ACL in front of a site, an API or a service's load balancer."""

    scope: RefStr = Field(description="What it protects: sites.NAME, apis.NAME or services.NAME.")
    managed_rules: list[ManagedRule] = Field(
        default_factory=lambda: list[ManagedRule](["common", "known-bad-inputs", "ip-reputation"]),
        description="AWS managed rule groups by short name.")
    rate_limit: PosInt | None = Field(
        None, ge=10, le=2000000000,
        description="Block an IP that sends more requests than this in 5 minutes.")
    block_countries: list[str] = Field(
        default_factory=list, description="ISO 3166 alpha-2 country codes to block.")
    block_ips: list[str] = Field(default_factory=list, description="IPv4 CIDRs to block.")
    mode: Literal["block", "count"] = Field(
        "block", description="`count` only counts matches (to try rules out).")
    logs: Bool = Field(False, description="Log requests to CloudWatch Logs "
                                          "(authorization and cookie headers redacted).")


class Certificate(Model):
    """An ACM certificate validated by DNS."""

    domains: list[str] = Field(min_length=1, description="The first is the primary name.")


class Security(Model):
    """Keys, web ACLs and certificates."""

    keys: dict[Name, Key] = Field(default_factory=dict, description="KMS keys by name.")
    waf: Waf | list[Waf] | None = Field(None, description="One web ACL or a list of them.")
    certificates: dict[Name, Certificate] = Field(
        default_factory=dict, description="Extra ACM certificates by name.")


Entry = Security
