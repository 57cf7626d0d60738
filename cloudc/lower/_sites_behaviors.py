"""A site's cache behaviors: origins (its bucket, `storage:` buckets, apps, URLs), cache
policies, CloudFront Functions and Lambda@Edge associations.

    plan = behaviors(comp, spec, ctx, origins, oac_id)

adds to `origins` what the behaviors reach and returns them in `plan.behaviors` (in the order
written; they come before `routes`), with the settings of `"/*"` for the default behavior in
`plan.default`. A `storage:` bucket is read through the site's origin access control; after
the distribution exists, `allow_distribution` adds the read statement to that bucket's policy,
which moves to the `sites` stack (the policy names the distribution, and the distribution the
bucket: in two stacks they would wait for each other).
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, pascal
from cloudc.lower._buckets import objects_of
from cloudc.schema.sections.sites import (
    MANAGED_CACHE_POLICIES,
    Behavior,
    CloudFrontFunction,
    Site,
    Ttl,
)
from cloudc.source import Path

SECTION = "sites"
# AWS managed CloudFront policies (ids fixed by AWS).
CACHING_OPTIMIZED = MANAGED_CACHE_POLICIES["CachingOptimized"]
CACHING_DISABLED = MANAGED_CACHE_POLICIES["CachingDisabled"]
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
DEFAULT_PATTERNS = ("/*", "*")
FUNCTION_CODE_LIMIT = 10240  # bytes: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html


@dataclass
class Plan:
    """What a site's `behaviors` add to its distribution."""

    behaviors: list[dict[str, Any]] = field(default_factory=list)
    default: dict[str, Any] | None = None  # the `"/*"` behavior, without PathPattern
    default_is_app: bool = False  # `"/*"` goes to an app or URL, not a bucket
    to_apps: bool = False  # some behavior goes to an app or URL (errors are theirs)
    buckets: list[Component] = field(default_factory=list)  # storage read through OAC


def behaviors(comp: Component, spec: Site, ctx: Context, origins: list[dict[str, Any]],
              oac_id: Any) -> Plan:
    """Lower `behaviors` (and the `functions` they attach); add their origins to `origins`."""
    plan = Plan()
    arns = _functions(comp, spec, ctx)
    for pattern, b in spec.behaviors.items():
        at = comp.path + ("behaviors", pattern)
        if not pattern.startswith("/") and pattern != "*":
            ctx.diags.add("E2005", f"behavior `{pattern}` must start with `/`",
                          origin=ctx.origin(at), path=at, hint='e.g. "/assets/*"')
            continue
        reached = _reach(comp, b, ctx, origins, oac_id, plan, at + ("origin",))
        if reached is None:
            continue
        oid, app = reached
        out: dict[str, Any] = {
            "PathPattern": pattern,
            "TargetOriginId": oid,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ALL_METHODS if app else READ_METHODS,
            "CachedMethods": ["GET", "HEAD"],
            "CachePolicyId": _cache_policy(comp, pattern, b, ctx, app, at),
            "Compress": bool(b.compress),
        }
        if app:
            out["OriginRequestPolicyId"] = ALL_VIEWER_EXCEPT_HOST
            plan.to_apps = True
        if spec.security_headers:
            out["ResponseHeadersPolicyId"] = SECURITY_HEADERS
        assoc = [{"EventType": event, "FunctionARN": arns[name]}
                 for event, name in sorted(b.functions.items()) if name in arns]
        if assoc:
            out["FunctionAssociations"] = assoc
        lambdas = [{"EventType": event, "LambdaFunctionARN": arn}
                   for event, ref in sorted(b.edge.items())
                   if (arn := _edge_version(comp, ref, ctx, at + ("edge", event))) is not None]
        if lambdas:
            out["LambdaFunctionAssociations"] = lambdas
        if pattern in DEFAULT_PATTERNS:
            plan.default = {k: v for k, v in out.items() if k != "PathPattern"}
            plan.default_is_app = app
        else:
            plan.behaviors.append(out)
    return plan


EDGE_REGION = "us-east-1"
_VERSION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:us-east-1:\d{12}:function:[A-Za-z0-9_-]+:\d+")
EDGE_PRINCIPAL = "edgelambda.amazonaws.com"


def _edge_version(comp: Component, ref: str, ctx: Context, at: Path) -> Any | None:
    """Return the version ARN a Lambda@Edge association names: given, or published here.

    A function of this project gets an `AWS::Lambda::Version` owned by the site, retained on
    replacement and deletion (CloudFront's replicas keep a version from being deleted for
    hours); its description carries a digest of the function, so any change to the code or
    settings publishes a new version. Its role also trusts `edgelambda.amazonaws.com` and may
    write the logs Lambda@Edge sends to `/aws/lambda/us-east-1.NAME` in every region.
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-permissions.html
    """
    if ref.startswith("arn:"):
        if _VERSION_ARN.fullmatch(ref) is None:
            ctx.diags.add("E3271", f"`{ref}` is not a numbered version of a function in "
                          f"{EDGE_REGION}; Lambda@Edge takes neither $LATEST nor aliases",
                          origin=ctx.origin(at), path=at,
                          hint="arn:aws:lambda:us-east-1:ACCOUNT:function:NAME:VERSION")
            return None
        return ref
    fn = ctx.component(ref)
    if fn is None:  # reported by validate
        return None
    if fn.section != "functions" or not fn.role:
        ctx.diags.add("E3002", f"`{ref}` ({fn.kind}) cannot run at the edge; give "
                      "`functions.NAME` or a version ARN", origin=ctx.origin(at), path=at)
        return None
    if ctx.region != EDGE_REGION:
        ctx.diags.add("E3271", f"Lambda@Edge functions live in {EDGE_REGION}, but the project "
                      f"deploys to {ctx.region}, and CloudFormation cannot create a function in "
                      "another region from this stack", origin=ctx.origin(at), path=at,
                      hint="deploy the function from a project with `region: us-east-1` and "
                      "give its version ARN here: arn:aws:lambda:us-east-1:ACCOUNT:function:"
                      "NAME:VERSION")
        return None
    function = ctx.ir.resources.get(ctx.logical(fn, "Function"))
    role = ctx.ir.resources.get(fn.role)
    if function is None or role is None:
        return None
    suffix = f"Edge{pascal(fn.name)}Version"
    lid = ctx.logical(comp, suffix)
    if lid not in ctx.ir.resources:
        _trust_edge(fn, role.properties, ctx)
        digest = hashlib.sha256(json.dumps(function.properties, sort_keys=True,
                                           default=repr).encode()).hexdigest()[:16]
        version = ctx.add(comp, suffix, "AWS::Lambda::Version", {
            "FunctionName": Ref(function.logical_id),
            "Description": f"cloudc edge {digest}",
        }, path=at)
        version.retain()
    return Ref(lid)


def _trust_edge(fn: Component, role: dict[str, Any], ctx: Context) -> None:
    """Let Lambda@Edge assume the function's role and write its logs in every region."""
    for st in role["AssumeRolePolicyDocument"]["Statement"]:
        services = st.get("Principal", {}).get("Service")
        if services is None:
            continue
        have = [services] if isinstance(services, str) else list(services)
        if EDGE_PRINCIPAL not in have:
            st["Principal"]["Service"] = [*have, EDGE_PRINCIPAL]
    if fn.statements is None:
        return
    name = fn.physical
    fn.statements.append({
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [Sub("arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:"
                         f"/aws/lambda/us-east-1.{name}:*")],
    })


def _functions(comp: Component, spec: Site, ctx: Context) -> dict[str, Any]:
    """Emit the site's CloudFront Functions; return each one's ARN by name."""
    out: dict[str, Any] = {}
    for name, fn in spec.functions.items():
        at = comp.path + ("functions", name)
        code = _code(fn, ctx, at)
        if code is None:
            continue
        res = ctx.add(comp, f"Function{pascal(name)}", "AWS::CloudFront::Function", {
            "Name": ctx.physical(f"{comp.name}-{name}", 64),
            "AutoPublish": True,
            "FunctionConfig": {"Comment": fn.comment or f"site {comp.name}: {name}",
                               "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": code,
        }, path=at)
        out[name] = GetAtt(res.logical_id, "FunctionMetadata.FunctionARN")
    return out


def _code(fn: CloudFrontFunction, ctx: Context, at: Path) -> str | None:
    """Return a function's JavaScript (read from its file, or inline), within CloudFront's limit."""
    if fn.code is not None:
        code = ctx.read_file(fn.code, at + ("code",), "CloudFront Function code")
        where = at + ("code",)
    else:
        code, where = fn.inline, at + ("inline",)
    if code is None:
        return None
    size = len(code.encode())
    if size > FUNCTION_CODE_LIMIT:
        ctx.diags.add("E3270", f"a CloudFront Function's code is {size} bytes; CloudFront takes "
                      f"at most {FUNCTION_CODE_LIMIT}", origin=ctx.origin(where), path=where,
                      hint="move the logic to Lambda@Edge (`edge:`) or make the code smaller")
        return None
    if "function handler" not in code:
        ctx.diags.add("E3270", "a CloudFront Function needs `function handler(event)`",
                      origin=ctx.origin(where), path=where,
                      hint="define `function handler(event) { ...; return event.request; }`")
        return None
    return code


def _reach(comp: Component, b: Behavior, ctx: Context, origins: list[dict[str, Any]],
           oac_id: Any, plan: Plan, at: Path) -> tuple[str, bool] | None:
    """Add the behavior's origin (once); return (origin id, whether it is an app or URL)."""
    given = b.origin
    if given is None or given == "site":
        return "site", False
    if given.startswith("https://"):
        return _url_origin(given, origins, ctx, at), True
    if not re.fullmatch(r"[a-z_]+\.[A-Za-z0-9_-]+", given):
        ctx.diags.add("E3267", f"origin `{given}` is not `site`, a `section.name` or an "
                      "https:// URL", origin=ctx.origin(at), path=at,
                      hint="e.g. `storage.media`, `apis.public` or `https://blog.example.com`")
        return None
    target = ctx.component(given)
    if target is None:  # reported by validate
        return None
    oid = given.replace(".", "-")
    if target.section == "storage" and target.bucket is not None:
        bucket = ctx.ir.resources.get(target.bucket)
        encryption = bucket.properties.get("BucketEncryption") if bucket is not None else None
        if encryption is not None and "aws:kms" in repr(encryption):
            ctx.diags.add("E3267", f"CloudFront cannot read `{given}`: its objects are encrypted "
                          "with the AWS managed key aws/s3, whose policy cannot name CloudFront",
                          origin=ctx.origin(at), path=at,
                          hint=f"drop `encryption: kms` on `{given}` (SSE-S3 still encrypts)")
            return None
        if not any(o["Id"] == oid for o in origins):
            origins.append({"Id": oid, "DomainName": target.attrs["domain"],
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                            "OriginAccessControlId": oac_id})
            plan.buckets.append(target)
        return oid, False
    found = app_origin(target, ctx, at)
    if found is None:
        ctx.diags.add("E3002", f"`{given}` ({target.kind}) cannot serve a site path; origins "
                      "are storage buckets, APIs, services, servers and https:// URLs",
                      origin=ctx.origin(at), path=at)
        return None
    add_custom_origin(origins, oid, found)
    return oid, True


def _url_origin(url: str, origins: list[dict[str, Any]], ctx: Context, at: Path) -> str:
    """Add an https:// URL as a custom origin (its path becomes the origin path)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    oid = "url-" + host.replace(".", "-")
    path = parts.path.rstrip("/")
    add_custom_origin(origins, oid, {"domain": host, "protocol": "https-only", "path": path,
                                     "port": parts.port})
    return oid


def add_custom_origin(origins: list[dict[str, Any]], oid: str, found: dict[str, Any]) -> None:
    """Add a custom origin (an app's domain over HTTPS, or HTTP when it has no certificate)."""
    if any(o["Id"] == oid for o in origins):
        return
    custom: dict[str, Any] = {"OriginProtocolPolicy": found["protocol"]}
    if found["protocol"] == "https-only":
        custom.update(OriginSSLProtocols=["TLSv1.2"], HTTPSPort=found.get("port") or 443)
    else:
        custom["HTTPPort"] = 80
    entry: dict[str, Any] = {"Id": oid, "DomainName": found["domain"], "CustomOriginConfig": custom}
    if found.get("path"):
        entry["OriginPath"] = found["path"]
    origins.append(entry)


def app_origin(target: Component, ctx: Context, at: Path) -> dict[str, Any] | None:
    """Return how CloudFront reaches an app: {"domain", "path", "protocol"}.

    APIs say so in `cdn_origin`. A service or servers behind a load balancer are
    reached on the load balancer's own domain over HTTPS (its certificate is for that name),
    or, without a certificate, on the load balancer's DNS name over HTTP (warned): the HTTP
    listener of a load balancer with a certificate only redirects. An internal load balancer
    has no path from CloudFront (reported by the `sites_routes` check).
    """
    given = target.cdn_origin
    if given is not None:
        return {"protocol": "https-only", "domain": given.domain, "path": given.path}
    alb = target.load_balancer
    if alb is None:  # a single server on its own domain (it terminates TLS itself)
        url = target.attrs.get("url")
        if target.section == "servers" and isinstance(url, str) and url.startswith("https://"):
            return {"domain": url[len("https://"):].split("/")[0], "protocol": "https-only"}
        return None
    if alb.internal:
        return None
    if alb.https and alb.domain:
        return {"domain": alb.domain, "protocol": "https-only"}
    ctx.warn("W1001", f"CloudFront reaches `{target.key}` over plain HTTP; give it a "
             "`domain` so that it gets a certificate", at)
    return {"domain": alb.dns_name, "protocol": "http-only"}


def _cache_policy(comp: Component, pattern: str, b: Behavior, ctx: Context, app: bool,
                  at: Path) -> Any:
    """Return the behavior's cache policy id: managed by name, its own for `ttl`, or a default."""
    if b.cache is not None:
        return MANAGED_CACHE_POLICIES[b.cache]
    if b.ttl is None:
        return CACHING_DISABLED if app else CACHING_OPTIMIZED
    words = re.findall(r"[A-Za-z0-9]+", pattern)
    suffix = "Cache" + (pascal("-".join(words)) if words else "Default")
    if ctx.logical(comp, suffix) in ctx.ir.resources:
        ctx.diags.add("E3267", f"behaviors `{pattern}` and another path give one cache policy "
                      "name", origin=ctx.origin(at), path=at,
                      hint="use `cache:` with a managed policy on one of them")
        return CACHING_OPTIMIZED
    res = ctx.add(comp, suffix, "AWS::CloudFront::CachePolicy", {
        "CachePolicyConfig": _ttl_config(ctx.physical(
            f"{comp.name}-{'-'.join(words).lower() or 'default'}", 128), pattern, b.ttl, app),
    }, path=at + ("ttl",))
    return Ref(res.logical_id)


def _ttl_config(name: str, pattern: str, ttl: Ttl, app: bool) -> dict[str, Any]:
    """Return a cache policy config: the TTLs, and the encodings in the cache key (for an app,
    the query string too: its answers depend on it; a bucket's do not).

    CloudFront refuses cache-key settings on a policy that caches nothing (MaxTTL 0).
    """
    compress = ttl.max > 0
    return {
        "Name": name,
        "Comment": f"cloudc: {pattern}",
        "MinTTL": ttl.min, "DefaultTTL": ttl.default, "MaxTTL": ttl.max,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": compress,
            "EnableAcceptEncodingBrotli": compress,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "all" if app and compress else "none"},
        },
    }


def allow_distribution(comp: Component, buckets: list[Component], dist_arn: Any,
                       ctx: Context) -> None:
    """Let the distribution read each `storage:` bucket it serves (OAC, by its ARN)."""
    for target in buckets:
        policy = ctx.ir.resources.get(ctx.logical(target, "BucketPolicy"))
        if policy is None:
            continue
        policy.group = SECTION  # it names the distribution, which names the bucket
        statements = policy.properties["PolicyDocument"]["Statement"]
        statements.append({
            "Sid": f"AllowCloudFront{pascal(comp.name)}Read",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": objects_of(target.attrs["arn"].derived),
            "Condition": {"StringEquals": {"AWS:SourceArn": dist_arn}},
        })


def distribution_arn(dist: str) -> Sub:
    """Return a distribution's ARN from its logical ID."""
    return Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${d}",
               (("d", Ref(dist)),))
