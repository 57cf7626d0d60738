"""WAF web ACLs for `security.waf`: managed rule groups, rate limit, geo and IP blocks.

A site (CloudFront) needs a CLOUDFRONT-scope ACL, which AWS only accepts in us-east-1: with
`project.region: us-east-1` the ACL is attached through the distribution's `WebACLId`; in any
other region the build stops with E3005. APIs (REST stages) and load balancers (services and
servers) get a REGIONAL ACL and an `AWS::WAFv2::WebACLAssociation`.
Web ACL resources live in their own nested stack (`waf`), so an ACL that depends on a load
balancer and a service that uses a key from `security` never form a stack cycle.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from types import ModuleType
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, arn, pascal
from cloudc.schema.sections.security import Waf

GROUP = "waf"
# short name -> (AWS managed rule group, web ACL capacity units it uses)
MANAGED = {
    "common": ("AWSManagedRulesCommonRuleSet", 700),
    "known-bad-inputs": ("AWSManagedRulesKnownBadInputsRuleSet", 200),
    "sql-injection": ("AWSManagedRulesSQLiRuleSet", 200),
    "linux": ("AWSManagedRulesLinuxRuleSet", 200),
    "unix": ("AWSManagedRulesUnixRuleSet", 100),
    "windows": ("AWSManagedRulesWindowsRuleSet", 200),
    "php": ("AWSManagedRulesPHPRuleSet", 100),
    "wordpress": ("AWSManagedRulesWordPressRuleSet", 100),
    "admin-protection": ("AWSManagedRulesAdminProtectionRuleSet", 100),
    "ip-reputation": ("AWSManagedRulesAmazonIpReputationList", 25),
    "anonymous-ip": ("AWSManagedRulesAnonymousIpList", 50),
    "bot-control": ("AWSManagedRulesBotControlRuleSet", 50),
}
FREE_WCU = 1500


def web_acls(comp: Component, waf: Waf | list[Waf], ctx: Context) -> None:
    """Add one web ACL (and its association) for each `security.waf` entry."""
    entries = waf if isinstance(waf, list) else [waf]
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        path = ("security", "waf", i) if isinstance(waf, list) else ("security", "waf")
        if entry.scope in seen:
            ctx.diags.add("E3005", f"`{entry.scope}` already has a web ACL "
                          f"(entry {seen[entry.scope]})",
                          origin=ctx.origin(path + ("scope",)), path=path + ("scope",),
                          hint="a resource takes one web ACL; merge the rules into one entry")
            continue
        seen[entry.scope] = i
        _web_acl(comp, entry, path, ctx)


def _protectable() -> dict[str, ModuleType]:
    """Return the sections a web ACL can protect: those whose module says how to attach one
    (`web_acl_attachment(comp, ctx, at)`, and `WEB_ACL_SCOPE = "CLOUDFRONT"` for CloudFront)."""
    from cloudc.lower import lowering_modules, lowering_order

    mods = lowering_modules()
    return {s: mods[s] for s in lowering_order() if hasattr(mods[s], "web_acl_attachment")}


def _target(entry: Waf, path: Any, ctx: Context) -> Component | None:
    section = entry.scope.split(".", 1)[0]
    spath = path + ("scope",)
    targets = _protectable()
    if section not in targets:
        labels = [getattr(m, "WEB_ACL_LABEL", f"{s}.NAME") for s, m in targets.items()]
        ctx.diags.add("E3002", f"`{entry.scope}` cannot be protected by WAF",
                      origin=ctx.origin(spath), path=spath,
                      hint=f"scope takes {', '.join(labels[:-1])} or {labels[-1]}")
        return None
    return ctx.component(entry.scope)  # None: an undeclared name is reported by validate


def _web_acl(comp: Component, entry: Waf, path: Any, ctx: Context) -> None:
    target = _target(entry, path, ctx)
    if target is None:
        return
    spath = path + ("scope",)
    mod = _protectable()[target.section]
    cloudfront = getattr(mod, "WEB_ACL_SCOPE", "REGIONAL") == "CLOUDFRONT"
    if cloudfront and ctx.region != "us-east-1":
        ctx.diags.add("E3005", f"a web ACL for CloudFront (`{entry.scope}`) must be created in "
                      f"us-east-1, but project.region is {ctx.region}, and CloudFormation cannot "
                      "create it in another region from these stacks", origin=ctx.origin(spath),
                      path=spath, hint="deploy the web ACL from a us-east-1 project and set its "
                                       "ARN on the distribution, or protect an API or load "
                                       "balancer in this region instead")
        return
    # Where the ACL goes: a distribution's config (CloudFront) or {"arn": the resource's ARN}.
    attach: dict[str, Any] | None = mod.web_acl_attachment(target, ctx, spath)
    if attach is None:
        return
    scope = "CLOUDFRONT" if cloudfront else "REGIONAL"
    stem = f"Waf{pascal(target.section)}{pascal(target.name)}"
    name = ctx.physical(f"{target.section}-{target.name}", 128)
    count = entry.mode == "count"
    rules: list[dict[str, Any]] = []

    def rule(rname: str, statement: dict[str, Any], managed: bool = False) -> dict[str, Any]:
        r: dict[str, Any] = {"Name": rname, "Priority": len(rules), "Statement": statement}
        if managed:
            r["OverrideAction"] = {"Count": {}} if count else {"None": {}}
        else:
            r["Action"] = {"Count": {}} if count else {"Block": {}}
        r["VisibilityConfig"] = _visibility(f"{name}-{rname}")
        rules.append(r)
        return r

    wcu = 0
    v4, v6 = _addresses(entry, path, ctx)
    for version, addresses in (("IPV4", v4), ("IPV6", v6)):
        if not addresses:
            continue
        suffix = "" if version == "IPV4" else "V6"
        ipset = ctx.add(comp, f"{stem}BlockedIps{suffix}", "AWS::WAFv2::IPSet", {
            "Name": ctx.physical(f"{target.section}-{target.name}-blocked"
                                 + ("-v6" if suffix else ""), 128),
            "Scope": scope, "IPAddressVersion": version, "Addresses": addresses,
            "Description": "Addresses blocked by the cloudc security waf block-ips list",
        }, path=path + ("block_ips",), group=GROUP)
        rule("block-ips" + ("-v6" if suffix else ""),
             {"IPSetReferenceStatement": {"Arn": GetAtt(ipset.logical_id, "Arn")}})
        wcu += 1
    if entry.block_countries:
        codes = sorted({c.upper() for c in entry.block_countries})
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            ctx.diags.add("E2005", f"not ISO 3166 alpha-2 country codes: {', '.join(bad)}",
                          origin=ctx.origin(path + ("block_countries",)),
                          path=path + ("block_countries",))
        rule("block-countries", {"GeoMatchStatement": {"CountryCodes": codes}})
        wcu += 1
    if entry.rate_limit is not None:
        wcu += _rate_limit(target, entry.rate_limit, rule, ctx)
    for short in dict.fromkeys(entry.managed_rules):
        group, cost = MANAGED[short]
        stmt: dict[str, Any] = {"VendorName": "AWS", "Name": group}
        if short == "bot-control":
            stmt["ManagedRuleGroupConfigs"] = [
                {"AWSManagedRulesBotControlRuleSet": {"InspectionLevel": "COMMON"}}]
            ctx.warn("W1002", "bot control is billed per request on top of the web ACL",
                     path + ("managed_rules",))
        rule(f"aws-{short}", {"ManagedRuleGroupStatement": stmt}, managed=True)
        wcu += cost
    if wcu > FREE_WCU:
        ctx.warn("W1002", f"these rules use about {wcu} web ACL capacity units; above "
                 f"{FREE_WCU} each request costs extra", path + ("managed_rules",))
    if count:
        ctx.warn("W1001", "the web ACL only counts matching requests (mode: count)",
                 path + ("mode",))
    acl = ctx.add(comp, f"{stem}Acl", "AWS::WAFv2::WebACL", {
        "Name": name,
        "Scope": scope,
        "Description": f"cloudc web ACL for {entry.scope}",
        "DefaultAction": {"Allow": {}},
        "Rules": rules,
        "VisibilityConfig": _visibility(name),
    }, path=path, group=GROUP)
    acl_arn = GetAtt(acl.logical_id, "Arn")
    if entry.logs:
        _logging(comp, stem, name, acl_arn, path, ctx)
    if cloudfront:
        attach["WebACLId"] = acl_arn
    else:
        ctx.add(comp, f"{stem}Association", "AWS::WAFv2::WebACLAssociation", {
            "ResourceArn": attach["arn"], "WebACLArn": acl_arn}, path=path, group=GROUP)


# Behind a VPC link or CloudFront, a load balancer sees the link's ENIs or CloudFront's edges
# as the source address: a rate limit per source IP throttles all users together. It counts
# the first X-Forwarded-For address instead (a header with no valid address counts as a match);
# an internet-facing load balancer also limits requests that come without the header (direct
# clients) by their own address.
# https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-aggregation-options.html
FORWARDED = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}


def _rate_limit(target: Component, limit: int, rule: Callable[..., dict[str, Any]],
                ctx: Context) -> int:
    """Add the rate-based rule(s) for `target`; return the capacity units they use."""
    def rate(key: str, **extra: Any) -> dict[str, Any]:
        return {"RateBasedStatement": {"Limit": limit, "AggregateKeyType": key,
                                       "EvaluationWindowSec": 300, **extra}}

    alb = ctx.ir.resources.get(ctx.logical(target, "Alb"))
    if alb is None or not _fronted(target, ctx):
        rule("rate-limit", rate("IP"))
        return 2
    rule("rate-limit", rate("FORWARDED_IP", ForwardedIPConfig=dict(FORWARDED)))
    if alb.properties.get("Scheme") == "internal":
        return 2
    no_header = {"NotStatement": {"Statement": {"SizeConstraintStatement": {
        "FieldToMatch": {"SingleHeader": {"Name": "x-forwarded-for"}},
        "ComparisonOperator": "GT", "Size": 0,
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}}}
    rule("rate-limit-direct", rate("IP", ScopeDownStatement=no_header))
    return 5


def _fronted(target: Component, ctx: Context) -> bool:
    """Say whether an HTTP API (VPC link) or a site (CloudFront) passes requests to `target`."""
    config = ctx.config
    for api in (getattr(config, "apis", None) or {}).values():
        if api.type == "http" and target.key in api.routes.values():
            return True
    for site in (getattr(config, "sites", None) or {}).values():
        if target.key in (site.routes or {}).values():
            return True
    return False


def _logging(comp: Component, stem: str, name: str, acl_arn: Any, path: Any,
             ctx: Context) -> None:
    """Send the ACL's request logs to a log group (WAF requires the `aws-waf-logs-` prefix)."""
    group_name = f"aws-waf-logs-{name}"
    logs = ctx.add(comp, f"{stem}Logs", "AWS::Logs::LogGroup", {"LogGroupName": group_name},
                   path=path + ("logs",), group=GROUP)
    config = ctx.add(comp, f"{stem}Logging", "AWS::WAFv2::LoggingConfiguration", {
        "ResourceArn": acl_arn,
        # WAF takes the log group ARN without the `:*` that GetAtt Arn ends with.
        "LogDestinationConfigs": [arn("logs", f"log-group:{group_name}")],
        "RedactedFields": [{"SingleHeader": {"Name": "authorization"}},
                           {"SingleHeader": {"Name": "cookie"}}],
    }, path=path + ("logs",), group=GROUP)
    config.depends_on.append(logs.logical_id)


def _visibility(metric: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
            "MetricName": metric[:255]}


def _addresses(entry: Waf, path: Any, ctx: Context) -> tuple[list[str], list[str]]:
    v4: list[str] = []
    v6: list[str] = []
    for i, text in enumerate(entry.block_ips):
        try:
            net = ipaddress.ip_network(text if "/" in text else
                                       f"{text}/{128 if ':' in text else 32}", strict=False)
        except ValueError:
            ctx.diags.add("E2005", f"`{text}` is not an IP address or CIDR range",
                          origin=ctx.origin(path + ("block_ips", i)), path=path + ("block_ips", i))
            continue
        (v6 if net.version == 6 else v4).append(str(net))
    return sorted(set(v4)), sorted(set(v6))
