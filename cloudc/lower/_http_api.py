"""HTTP and WebSocket APIs (API Gateway v2): API, integrations, routes, authorizer, stage."""

from __future__ import annotations

import re
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Ref, Sub, pascal
from cloudc.lower.apis import (
    Authorizer, Route, access_log_group, function_arn, invocation_uri, logging_account, permit,
    protected,
)
from cloudc.schema.sections.apis import Api

ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","routeKey":"$context.routeKey",'
    '"status":"$context.status","responseLength":"$context.responseLength",'
    '"integrationError":"$context.integrationErrorMessage"}'
)


def lower_v2(comp: Component, spec: Api, ctx: Context, routes: list[Route],
             auth: Authorizer | None) -> None:
    """Emit an HTTP or WebSocket API with its routes, integrations, authorizer and stage."""
    ws = spec.type == "websocket"
    api_id = Ref(comp.extra["api"])
    props: dict[str, Any] = {"Name": comp.extra["physical"],
                             "ProtocolType": "WEBSOCKET" if ws else "HTTP",
                             "Description": f"{ctx.slug} {ctx.env}: {comp.name}"}
    if ws:
        props["RouteSelectionExpression"] = spec.route_selection
    if spec.cors is not None:
        if ws:
            ctx.diags.add("I1001", "`cors` does not apply to WebSocket APIs",
                          origin=ctx.origin(comp.path + ("cors",)), path=comp.path + ("cors",))
        else:
            props["CorsConfiguration"] = _cors(comp, spec, ctx)
    ctx.add(comp, "Api", "AWS::ApiGatewayV2::Api", props)
    authorizer = _authorizer_v2(comp, spec, ctx, auth) if auth is not None else None
    route_ids = []
    for route in routes:
        target = route.target
        if target.section == "functions":
            integration = f"Integration{pascal(target.name)}"
            if ctx.logical(comp, integration) not in ctx.ir.resources:
                iprops: dict[str, Any] = {"ApiId": api_id, "IntegrationType": "AWS_PROXY"}
                if ws:
                    iprops.update(IntegrationUri=invocation_uri(target), IntegrationMethod="POST")
                else:
                    iprops.update(IntegrationUri=function_arn(target), PayloadFormatVersion="2.0")
                ctx.add(comp, integration, "AWS::ApiGatewayV2::Integration", iprops, path=route.at)
            permit(comp, target, ctx, route.at)
        else:
            integration = f"Integration{route.suffix}"
            url = target.attrs["url"]
            if not (isinstance(url, str) and url.startswith("https://")):
                ctx.warn("W1001", f"API Gateway reaches `{target.key}` over plain HTTP; give it "
                         "a `domain` so that it gets a certificate", route.at)
            uri_path = re.sub(r"\{(\w+)\+\}", r"{\1}", route.path)
            ctx.add(comp, integration, "AWS::ApiGatewayV2::Integration", {
                "ApiId": api_id, "IntegrationType": "HTTP_PROXY",
                "IntegrationMethod": route.method or "ANY",
                "IntegrationUri": Sub("${u}" + uri_path.replace("${", "${!"), (("u", url),)),
                "PayloadFormatVersion": "1.0",
            }, path=route.at)
        rprops: dict[str, Any] = {
            "ApiId": api_id, "RouteKey": route.key,
            "Target": Sub("integrations/${i}", (("i", Ref(ctx.logical(comp, integration))),)),
        }
        if authorizer is not None and auth is not None and protected(route, spec):
            rprops["AuthorizationType"] = "JWT" if auth.kind == "jwt" else "CUSTOM"
            rprops["AuthorizerId"] = Ref(authorizer)
            if auth.scopes and auth.kind == "jwt":
                rprops["AuthorizationScopes"] = auth.scopes
        route_res = ctx.add(comp, f"Route{route.suffix}", "AWS::ApiGatewayV2::Route", rprops,
                            path=route.at)
        route_ids.append(route_res.logical_id)
    sprops: dict[str, Any] = {"ApiId": api_id, "StageName": comp.extra["stage"],
                              "AutoDeploy": True}
    log_arn = access_log_group(comp, spec, ctx)
    if log_arn is not None:
        sprops["AccessLogSettings"] = {"DestinationArn": log_arn, "Format": ACCESS_LOG_FORMAT}
    settings: dict[str, Any] = {"DetailedMetricsEnabled": True}
    if spec.throttle is not None:
        settings.update(ThrottlingRateLimit=spec.throttle.rate,
                        ThrottlingBurstLimit=spec.throttle.burst)
    sprops["DefaultRouteSettings"] = settings
    stage = ctx.add(comp, "Stage", "AWS::ApiGatewayV2::Stage", sprops)
    # Deploy once the routes exist: an automatic deployment of an empty API fails.
    stage.depends_on.extend(route_ids)
    if ws and log_arn is not None:
        stage.depends_on.append(logging_account(comp, ctx))
    if ws:
        _connections_policy(comp, ctx, routes)


def _cors(comp: Component, spec: Api, ctx: Context) -> dict[str, Any]:
    assert spec.cors is not None
    at = comp.path + ("cors",)
    origins = [ctx.value(o, at + ("origins", i)) for i, o in enumerate(spec.cors.origins)]
    if spec.cors.credentials and "*" in spec.cors.origins:
        ctx.diags.add("E3005", "`credentials: true` cannot be combined with the origin `*`",
                      origin=ctx.origin(at + ("credentials",)), path=at + ("credentials",),
                      hint="list the exact origins")
    if "*" in spec.cors.origins:
        ctx.warn("W1001", "CORS allows every origin", at + ("origins",))
    return {"AllowOrigins": origins, "AllowMethods": spec.cors.methods,
            "AllowHeaders": spec.cors.headers, "AllowCredentials": spec.cors.credentials,
            "MaxAge": spec.cors.max_age}


def _authorizer_v2(comp: Component, spec: Api, ctx: Context, auth: Authorizer) -> str | None:
    api_id = Ref(comp.extra["api"])
    ws = spec.type == "websocket"
    props: dict[str, Any] = {"ApiId": api_id, "Name": f"{comp.name}-{auth.kind}"}
    if auth.kind == "jwt":
        if ws:
            ctx.diags.add("E3005", "WebSocket APIs take only a Lambda authorizer",
                          origin=ctx.origin(auth.at), path=auth.at,
                          hint="use `auth: functions.NAME`; it reads the `token` query parameter")
            return None
        if not auth.audience:
            ctx.diags.add("E3005", "a JWT authorizer needs the allowed client IDs (audience)",
                          origin=ctx.origin(auth.at), path=auth.at,
                          hint="write `auth: { pool: ARN, audience: [CLIENT_ID] }`")
            return None
        props.update(AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
                     JwtConfiguration={"Issuer": auth.issuer, "Audience": auth.audience})
    else:
        assert auth.function is not None
        props.update(AuthorizerType="REQUEST", AuthorizerUri=invocation_uri(auth.function))
        if ws:
            props["IdentitySource"] = ["route.request.querystring.token"]
        else:
            props.update(IdentitySource=["$request.header.Authorization"],
                         AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True,
                         AuthorizerResultTtlInSeconds=300)
        permit(comp, auth.function, ctx, auth.at)
    res = ctx.add(comp, "Authorizer", "AWS::ApiGatewayV2::Authorizer", props, path=auth.at)
    return res.logical_id


def _connections_policy(comp: Component, ctx: Context, routes: list[Route]) -> None:
    """Let every function behind a WebSocket API post to, read and close its connections."""
    roles = []
    for fn in {r.target.key: r.target for r in routes}.values():
        role = fn.extra.get("role")
        if role and role in ctx.ir.resources and Ref(role) not in roles:
            roles.append(Ref(role))
    if not roles:
        return
    ctx.add(comp, "ConnectionsPolicy", "AWS::IAM::Policy", {
        "PolicyName": f"{comp.extra['physical']}-connections",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": comp.grants["write"]},
        "Roles": roles,
    }, path=comp.path + ("routes",), group="functions")
