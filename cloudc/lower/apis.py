"""Lower `apis` to API Gateway: HTTP and WebSocket APIs in `_http_api`, REST in `_rest_api`.

Routes map a route key to a function (Lambda proxy integration plus a permission scoped to the
API) or, for HTTP APIs, to a service or servers behind a load balancer (a private integration
through a VPC link to the load balancer's listener: never through a hostname, which could be
the API's own). Shared here: route parsing, authorizers, access logs and the custom domain.
"""

import re
from typing import Any

from cloudc.capabilities import CdnOrigin
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, statement
from cloudc.lower._api_routes import ApiState, check_public, parse_auth, parse_routes
from cloudc.lower._certs import certificate
from cloudc.lower._http_api import lower_v2
from cloudc.lower._rest_api import lower_rest
from cloudc.lower._zones import alias_records
from cloudc.schema.sections.apis import Api
from cloudc.source import Path

SECTION = "apis"
AFTER = ("services", "servers")  # routes reach their load balancers


def declare(name: str, spec: Api, ctx: Context) -> Component:
    """Declare an API's attributes and what linking it grants."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, f"{spec.type} api", path, ctx.origin(path))
    lid = ctx.logical(comp, "Api")
    stage = spec.stage
    if stage == "$default" and spec.type != "http":
        stage = re.sub(r"[^A-Za-z0-9_-]", "-", ctx.env)
    api_id = Ref(lid)
    host = Sub("${id}.execute-api.${AWS::Region}.${AWS::URLSuffix}", (("id", api_id),))
    base = "" if stage == "$default" else f"/{stage}"
    execution = Sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${id}",
                    (("id", api_id),))
    comp.physical, comp.primary = ctx.physical(name, 128), lid
    comp.state = ApiState(stage, base, execution)
    scheme = "wss" if spec.type == "websocket" else "https"
    endpoint = Sub(f"https://${{id}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}{base}",
                   (("id", api_id),))
    url = Sub(f"{scheme}://${{id}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}{base}",
              (("id", api_id),))
    kind = "restapis" if spec.type == "rest" else "apis"
    comp.attrs = {
        "id": api_id,
        "url": Sub(f"{scheme}://{spec.domain.lower()}") if spec.domain else url,
        "endpoint": endpoint,
        "host": host,
        "stage": Sub(stage),
        "arn": Sub(f"arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}::/{kind}/${{id}}",
                   (("id", api_id),)),
        "execution_arn": execution,
    }
    if spec.domain:
        comp.attrs["domain"] = Sub(spec.domain.lower())
    comp.cdn_origin = CdnOrigin(host, base)
    if spec.type == "websocket":
        # Post to, read and close client connections: the callback URL is `endpoint`.
        manage = statement(["execute-api:ManageConnections"],
                           [Sub(execution.template + f"/{stage}/*/@connections/*", execution.vars)])
        comp.grants = {"read": [manage], "write": [manage]}
        comp.link_env = {"URL": comp.attrs["url"], "ENDPOINT": endpoint}
    else:
        invoke = statement(["execute-api:Invoke"], [Sub(execution.template + "/*",
                                                        execution.vars)])
        comp.grants = {"read": [invoke], "write": [invoke]}
        comp.link_env = {"URL": comp.attrs["url"]}
    return comp


def lower(comp: Component, spec: Api, ctx: Context) -> None:
    """Emit the API, its routes, integrations, authorizer, stage, logs and domain."""
    routes = parse_routes(comp, spec, ctx)
    auth = parse_auth(comp, spec, ctx)
    check_public(comp, spec, ctx)
    if spec.type == "rest":
        lower_rest(comp, spec, ctx, routes, auth)
    else:
        lower_v2(comp, spec, ctx, routes, auth)
    if spec.domain:
        _domain(comp, spec, ctx)


# --- custom domain ----------------------------------------------------------------------------


def _domain(comp: Component, spec: Api, ctx: Context) -> None:
    """Add the regional custom domain, its mapping to the stage and its alias record."""
    assert spec.domain is not None
    at = comp.path + ("domain",)
    domain = spec.domain.lower().rstrip(".")
    if spec.certificate is not None:
        cert: Any = spec.certificate
        region = spec.certificate.split(":")[3] if spec.certificate.count(":") >= 5 else ""
        if region and region != ctx.region:
            ctx.diags.add("E3005", f"a regional API domain needs a certificate in {ctx.region}, "
                          f"not {region}", origin=ctx.origin(comp.path + ("certificate",)),
                          path=comp.path + ("certificate",))
    else:
        cert = certificate(comp, ctx, [domain], at)
    name = ctx.add(comp, "Domain", "AWS::ApiGatewayV2::DomainName", {
        "DomainName": domain,
        "DomainNameConfigurations": [{"CertificateArn": cert, "EndpointType": "REGIONAL",
                                      "SecurityPolicy": "TLS_1_2"}],
    }, path=at)
    ctx.add(comp, "ApiMapping", "AWS::ApiGatewayV2::ApiMapping", {
        "ApiId": Ref(comp.primary),
        "DomainName": Ref(name.logical_id),
        "Stage": Ref(ctx.logical(comp, "Stage")),
    }, path=at)
    alias_records(comp, ctx, domain, GetAtt(name.logical_id, "RegionalDomainName"),
                  GetAtt(name.logical_id, "RegionalHostedZoneId"), at, ipv6=False)


# --- web ACL (security.waf) -------------------------------------------------------------------

WEB_ACL_LABEL = "apis.NAME (REST)"


def web_acl_attachment(comp: Component, ctx: Context, at: Path) -> dict[str, Any] | None:
    """Return {"arn": the REST stage's ARN}; WAF protects no HTTP or WebSocket API."""
    stage = ctx.ir.resources.get(ctx.logical(comp, "Stage"))
    if stage is None or stage.type != "AWS::ApiGateway::Stage":
        ctx.diags.add("E3005", f"`{comp.key}` is not a REST API: WAF protects API Gateway "
                      "REST stages only, not HTTP or WebSocket APIs",
                      origin=ctx.origin(at), path=at,
                      hint=f"set `apis.{comp.name}.type: rest`, or route it through a "
                           "site (CloudFront) and protect the site")
        return None
    return {"arn": Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${api}"
                       "/stages/${stage}", (("api", Ref(comp.primary)),
                                            ("stage", Ref(stage.logical_id))))}
