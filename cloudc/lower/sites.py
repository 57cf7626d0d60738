"""Lower `sites` to a private S3 bucket behind CloudFront (origin access control), ACM, Route53.

One distribution a site. Its viewer-request CloudFront Function (made only when needed) answers
`redirects` with a 301 (the from-domains are aliases of the same distribution) and, for a
single-page app that also routes paths to an API, rewrites extension-less paths to the index:
CloudFront's custom error pages would otherwise turn the API's own 403/404 into index.html.
"""

from __future__ import annotations

import json
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, statement
from cloudc.lower._buckets import tls_only
from cloudc.lower._certs import certificate
from cloudc.lower._names import bucket_name
from cloudc.lower._sites_behaviors import (
    ALL_METHODS,
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    SECURITY_HEADERS,
    add_custom_origin,
    allow_distribution,
    app_origin,
    behaviors,
)
from cloudc.lower._zones import CLOUDFRONT_ZONE_ID, alias_records
from cloudc.schema.sections.sites import Site
from cloudc.source import Path

SECTION = "sites"
# routes reach load balancers; behaviors read buckets and publish functions for Lambda@Edge
AFTER = ("services", "servers", "storage", "functions")

# Route patterns that match every path: the route becomes the default behavior.
CATCH_ALL = ("/*", "*")


def declare(name: str, spec: Site, ctx: Context) -> Component:
    """Declare a site's attributes and what linking it grants (publishing and invalidation)."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, "site", path, ctx.origin(path))
    physical = bucket_name(ctx, f"site-{name}")
    bucket = ctx.logical(comp, "Bucket")
    dist = ctx.logical(comp, "Distribution")
    comp.physical, comp.bucket, comp.distribution = physical, bucket, dist
    bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{physical}")
    objects = Sub(f"arn:${{AWS::Partition}}:s3:::{physical}/*")
    cf_domain = GetAtt(dist, "DomainName")
    domain = spec.domain.lower() if spec.domain else None
    comp.attrs = {
        "id": Ref(dist),
        "distribution_id": Ref(dist),
        "distribution_domain": cf_domain,
        "domain": Sub(domain) if domain else cf_domain,
        "url": Sub(f"https://{domain}") if domain else Sub("https://${d}", (("d", cf_domain),)),
        "bucket": Ref(bucket, derived=Sub(physical)),
        "bucket_arn": GetAtt(bucket, "Arn", derived=bucket_arn),
    }
    dist_arn = Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${d}",
                   (("d", Ref(dist)),))
    comp.attrs["arn"] = dist_arn
    comp.grants = {
        "read": [statement(["s3:ListBucket"], [bucket_arn]),
                 statement(["s3:GetObject"], [objects])],
        "write": [statement(["s3:ListBucket"], [bucket_arn]),
                  statement(["s3:PutObject", "s3:DeleteObject"], [objects]),
                  statement(["cloudfront:CreateInvalidation"], [dist_arn])],
    }
    comp.link_env = {"BUCKET": Sub(physical), "URL": comp.attrs["url"],
                     "DISTRIBUTION_ID": Ref(dist)}
    return comp


def lower(comp: Component, spec: Site, ctx: Context) -> None:
    """Emit bucket, policy, origin access control, certificate, distribution and records."""
    path = comp.path
    bucket = ctx.add(comp, "Bucket", "AWS::S3::Bucket",
                     {"BucketName": Sub(comp.physical)},
                     metadata={"cloudc:site-source": spec.source})
    oac = ctx.add(comp, "Oac", "AWS::CloudFront::OriginAccessControl", {
        "OriginAccessControlConfig": {
            "Name": ctx.physical(comp.name, 64),
            "Description": f"{ctx.slug} {ctx.env}: CloudFront reads site `{comp.name}`",
            "OriginAccessControlOriginType": "s3",
            "SigningBehavior": "always",
            "SigningProtocol": "sigv4",
        }})
    names = _names(comp, spec, ctx)
    cert = _certificate(comp, spec, ctx, names)
    origins: list[dict[str, Any]] = [{
        "Id": "site",
        "DomainName": GetAtt(bucket.logical_id, "RegionalDomainName"),
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": GetAtt(oac.logical_id, "Id"),
    }]
    default: dict[str, Any] = {
        "TargetOriginId": "site",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD", "OPTIONS"],
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_OPTIMIZED,
        "Compress": True,
    }
    if spec.security_headers:
        default["ResponseHeadersPolicyId"] = SECURITY_HEADERS
    else:
        ctx.warn("W1001", "security response headers turned off for this site",
                 path + ("security_headers",))
    plan = behaviors(comp, spec, ctx, origins, GetAtt(oac.logical_id, "Id"))
    routes = _routes(comp, spec, ctx, origins)
    catch_all = [b for b in routes if b["PathPattern"] in CATCH_ALL]
    if catch_all:
        # `/*` to an app: every path not matched by another route goes to it, so it is the
        # default behavior; the bucket serves no path and no root object or error page applies.
        routes.remove(catch_all[0])
        default = {k: v for k, v in catch_all[0].items() if k != "PathPattern"}
    elif plan.default is not None:
        default = plan.default
    app_default = bool(catch_all) or plan.default_is_app
    if app_default:
        _ignored_for_app(comp, spec, ctx)
    cache_behaviors = plan.behaviors + routes
    config: dict[str, Any] = {
        "Enabled": True,
        "Comment": f"{ctx.slug} {ctx.env}: site {comp.name}",
        **({} if app_default else {"DefaultRootObject": spec.index}),
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "PriceClass": spec.price_class,
        "Origins": origins,
        "DefaultCacheBehavior": default,
    }
    if cache_behaviors:
        config["CacheBehaviors"] = cache_behaviors
    routed = bool(routes) or plan.to_apps
    rewrite = bool(spec.spa and routed and not app_default)
    errors = [] if app_default else _error_responses(spec, ctx, path, routed=routed)
    if errors:
        config["CustomErrorResponses"] = errors
    index = bool(spec.directory_index and not app_default)
    if spec.redirects or rewrite or index:
        _viewer_request(comp, spec, ctx, default, rewrite, index)
    if cert is not None and names:
        config["Aliases"] = names
        config["ViewerCertificate"] = {"AcmCertificateArn": cert, "SslSupportMethod": "sni-only",
                                       "MinimumProtocolVersion": "TLSv1.2_2021"}
    dist = ctx.add(comp, "Distribution", "AWS::CloudFront::Distribution",
                   {"DistributionConfig": config})
    dist_arn = Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${d}",
                   (("d", Ref(dist.logical_id)),))
    read = {
        "Sid": "AllowCloudFrontRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": Sub(f"arn:${{AWS::Partition}}:s3:::{comp.physical}/*"),
        "Condition": {"StringEquals": {"AWS:SourceArn": dist_arn}},
    }
    statements = [tls_only(comp.attrs["bucket_arn"].derived), read]
    if not spec.spa and not errors and not app_default:
        # Without list permission S3 answers a missing key with 403 AccessDenied; with it, 404.
        # A site with no error page (or with routes, where a custom error response would also
        # replace the API's errors) thus shows a missing file as 404. Viewers cannot list the
        # bucket: the bucket's behavior forwards no query string and `/` is the root object.
        statements.append({
            "Sid": "AllowCloudFrontNotFound", "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:ListBucket",
            "Resource": comp.attrs["bucket_arn"].derived,
            "Condition": {"StringEquals": {"AWS:SourceArn": dist_arn}},
        })
    ctx.add(comp, "BucketPolicy", "AWS::S3::BucketPolicy", {
        "Bucket": Ref(bucket.logical_id),
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    })
    allow_distribution(comp, plan.buckets, dist_arn, ctx)
    if cert is not None:
        for i, name in enumerate(names):
            alias_records(comp, ctx, name, GetAtt(dist.logical_id, "DomainName"),
                          CLOUDFRONT_ZONE_ID, _name_path(spec, path, name, i))


def _names(comp: Component, spec: Site, ctx: Context) -> list[str]:
    """Return every name the distribution answers: domain, aliases, then redirect sources."""
    if spec.domain is None:
        for key in ("aliases", "redirects"):
            if getattr(spec, key):
                ctx.diags.add("E3005", f"`{key}` needs the site's own `domain`",
                              origin=ctx.origin(comp.path + (key,)), path=comp.path + (key,),
                              hint="add `domain: www.example.com`")
        return []
    names = [spec.domain, *spec.aliases, *spec.redirects]
    return list(dict.fromkeys(n.lower().rstrip(".") for n in names))


def _name_path(spec: Site, path: Path, name: str, i: int) -> Path:
    if spec.domain and name == spec.domain.lower():
        return path + ("domain",)
    if name in spec.redirects:
        return path + ("redirects", name)
    return path + ("aliases",)


def _certificate(comp: Component, spec: Site, ctx: Context, names: list[str]) -> Any | None:
    """Return the certificate ARN the distribution uses (given, or made in us-east-1)."""
    if not names:
        return None
    if spec.certificate is not None:
        parts = spec.certificate.split(":")
        if len(parts) < 6 or parts[2] != "acm" or parts[3] != "us-east-1":
            ctx.diags.add("E3005", "CloudFront only takes an ACM certificate from us-east-1",
                          origin=ctx.origin(comp.path + ("certificate",)),
                          path=comp.path + ("certificate",),
                          hint="give the ARN of a certificate in `acm` in us-east-1")
        return spec.certificate
    return certificate(
        comp, ctx, names, comp.path + ("domain",), region="us-east-1",
        purpose="a CloudFront distribution's certificate",
        region_hint="request a certificate for "
                    f"{', '.join(names)} in us-east-1 and set `certificate: arn:aws:acm:"
                    "us-east-1:ACCOUNT:certificate/ID` on this site")


def _routes(comp: Component, spec: Site, ctx: Context,
            origins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add an origin a route target and a cache behavior a path pattern."""
    behaviors = []
    for pattern, ref in spec.routes.items():
        rpath = comp.path + ("routes", pattern)
        if not pattern.startswith("/") and pattern != "*":
            ctx.diags.add("E2005", f"route `{pattern}` must start with `/`",
                          origin=ctx.origin(rpath), path=rpath, hint='e.g. "/api/*"')
            continue
        target = ctx.component(ref)
        if target is None:  # reported by validate
            continue
        origin = app_origin(target, ctx, rpath)
        if origin is None:
            ctx.diags.add("E3002", f"`{ref}` ({target.kind}) cannot serve site routes; routes go "
                          "to APIs, services and servers", origin=ctx.origin(rpath), path=rpath)
            continue
        oid = ref.replace(".", "-")
        add_custom_origin(origins, oid, origin)
        behavior: dict[str, Any] = {
            "PathPattern": pattern,
            "TargetOriginId": oid,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ALL_METHODS,
            "CachedMethods": ["GET", "HEAD"],
            "CachePolicyId": CACHING_DISABLED,
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
            "Compress": True,
        }
        if spec.security_headers:
            behavior["ResponseHeadersPolicyId"] = SECURITY_HEADERS
        behaviors.append(behavior)
    return behaviors


def _viewer_request(comp: Component, spec: Site, ctx: Context, default: dict[str, Any],
                    rewrite: bool, index: bool) -> None:
    """Attach the site's own viewer-request function (redirects, SPA or index rewrite)."""
    at = comp.path + (("redirects",) if spec.redirects else
                      ("spa",) if rewrite else ("directory_index",))
    theirs = default.get("FunctionAssociations") or []
    lambdas = default.get("LambdaFunctionAssociations") or []
    taken = [k for k, assoc in (("functions", theirs), ("edge", lambdas))
             if any(a["EventType"] == "viewer-request" for a in assoc)]
    if taken:
        where = comp.path + ("behaviors", next(p for p in spec.behaviors if p in CATCH_ALL),
                             taken[0], "viewer-request")
        ctx.diags.add("E3270", "the default behavior already runs this site's own "
                      "viewer-request function (for `redirects`, `spa` or `directory_index`); "
                      "CloudFront runs one function per event", origin=ctx.origin(where),
                      path=where, hint="do the rewrite in your function and drop the setting, "
                      "or attach yours to viewer-response")
        return
    fn = ctx.add(comp, "ViewerRequest", "AWS::CloudFront::Function", {
        "Name": ctx.physical(f"{comp.name}-viewer-request", 64),
        "AutoPublish": True,
        "FunctionConfig": {"Comment": _function_comment(spec, rewrite, index),
                           "Runtime": "cloudfront-js-2.0"},
        "FunctionCode": _function_code(spec, rewrite, index),
    }, path=at)
    default["FunctionAssociations"] = [{
        "EventType": "viewer-request",
        "FunctionARN": GetAtt(fn.logical_id, "FunctionMetadata.FunctionARN")}, *theirs]


def _ignored_for_app(comp: Component, spec: Site, ctx: Context) -> None:
    """Say which settings have no effect when `/*` sends every path to an app."""
    for key in ("spa", "error_page", "directory_index"):
        if getattr(spec, key):
            at = comp.path + (key,)
            ctx.diags.add("I1001", f"`{key}` has no effect: the route `/*` sends every path "
                          "to the app, which answers its own errors", origin=ctx.origin(at),
                          path=at)


def _error_responses(spec: Site, ctx: Context, path: Path, *, routed: bool) -> list[dict[str, Any]]:
    """Return the distribution's custom error responses (SPA fallback or an error page)."""
    if routed:
        if spec.error_page:
            ctx.diags.add("I1001", "`error_page` is not used on a site with `routes` (or "
                          "behaviors to apps): CloudFront would also replace their error "
                          "responses",
                          origin=ctx.origin(path + ("error_page",)), path=path + ("error_page",))
        return []
    if spec.spa:
        return [{"ErrorCode": code, "ResponseCode": 200, "ResponsePagePath": f"/{spec.index}",
                 "ErrorCachingMinTTL": 10} for code in (403, 404)]
    if spec.error_page:
        page = "/" + spec.error_page.lstrip("/")
        # Without list permission S3 answers a missing key with 403: show it as a 404.
        return [{"ErrorCode": code, "ResponseCode": 404, "ResponsePagePath": page,
                 "ErrorCachingMinTTL": 10} for code in (403, 404)]
    return []


def _function_comment(spec: Site, rewrite: bool, index: bool = False) -> str:
    parts = []
    if spec.redirects:
        parts.append("301 redirects by host")
    if rewrite:
        parts.append(f"single-page app: paths without an extension serve /{spec.index}")
    if index:
        parts.append(f"/path and /path/ serve /path/{spec.index}")
    return "; ".join(parts)


def _function_code(spec: Site, rewrite: bool, index: bool = False) -> str:
    """Return the viewer-request function: host redirects, then the SPA or index rewrite."""
    redirects = {k.lower(): v.lower() for k, v in spec.redirects.items()}
    lines = [
        f"var REDIRECTS = {json.dumps(redirects, sort_keys=True)};",
        f"var SPA_INDEX = {json.dumps('/' + spec.index if rewrite else '')};",
        "function query(q) {",
        "  var parts = [];",
        "  for (var k in q) {",
        "    var all = q[k].multiValue || [q[k]];",
        "    for (var i = 0; i < all.length; i++) {",
        "      parts.push(all[i].value === '' ? k : k + '=' + all[i].value);",
        "    }",
        "  }",
        "  return parts.length ? '?' + parts.join('&') : '';",
        "}",
        "function handler(event) {",
        "  var request = event.request;",
        "  var host = request.headers.host ? request.headers.host.value.toLowerCase() : '';",
        "  var to = REDIRECTS[host];",
        "  if (to) {",
        "    return {statusCode: 301, statusDescription: 'Moved Permanently',",
        "            headers: {location: {value: 'https://' + to + request.uri"
        " + query(request.querystring)}}};",
        "  }",
        "  if (SPA_INDEX && request.uri.split('/').pop().indexOf('.') === -1) {",
        "    request.uri = SPA_INDEX;",
        "  }",
        *_index_lines(spec, index),
        "  return request;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _index_lines(spec: Site, index: bool) -> list[str]:
    """Return the handler lines that serve `/a/index.html` for `/a` and `/a/`."""
    if not index:
        return []
    page = json.dumps(spec.index)
    return [
        "  var uri = request.uri;",
        "  if (uri.charAt(uri.length - 1) === '/') {",
        f"    request.uri = uri + {page};",
        "  } else if (uri.split('/').pop().indexOf('.') === -1) {",
        f"    request.uri = uri + '/' + {page};",
        "  }",
    ]


# --- web ACL (security.waf) -------------------------------------------------------------------

WEB_ACL_SCOPE = "CLOUDFRONT"


def web_acl_attachment(comp: Component, ctx: Context, at: Path) -> dict[str, Any] | None:
    """Return the distribution config a CloudFront web ACL is set on (`WebACLId`)."""
    dist = ctx.ir.resources.get(comp.distribution)
    if dist is None:
        return None  # the site did not lower (its own error is reported)
    config = dist.properties.get("DistributionConfig")
    if not isinstance(config, dict):
        return None
    if config.get("WebACLId"):
        ctx.diags.add("E3005", f"`{comp.key}` already has a web ACL",
                      origin=ctx.origin(at), path=at)
        return None
    return config
