"""HTTP and WebSocket APIs (API Gateway v2): API, integrations, routes, authorizer, stage.

Two things here are whole-app properties rather than one resource each:

- A route to a service or servers is a private integration: a VPC link (one an API) to the
  load balancer's listener, whatever the load balancer's scheme. API Gateway then never goes
  through a hostname, which could be the API's own custom domain (a loop), and never over plain
  HTTP on the internet.
- With CORS and an authorizer, a catch-all route (`ANY /path`, `$default`) would also receive
  the browser's preflight `OPTIONS`, which carries no token, and fail it. Such an API gets
  `OPTIONS` routes without authorization, served by a tiny function that answers 204 with the
  CORS headers (HTTP APIs have no mock integration).
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Join, Ref, Sub, arn, pascal, state_of
from cloudc.lower._api_routes import (
    ApiState,
    Authorizer,
    Route,
    access_log_group,
    function_arn,
    invocation_uri,
    logging_account,
    permit,
    protected,
    route_suffix,
)
from cloudc.lower._vpc import require_vpc, vpc_of
from cloudc.schema.sections.apis import Api
from cloudc.source import Path

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
    api_id = Ref(comp.primary)
    props: dict[str, Any] = {"Name": comp.physical,
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
            integration = private_integration(comp, spec, ctx, target, route.at)
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
    if authorizer is not None and spec.cors is not None:
        route_ids.extend(preflight_routes(comp, spec, ctx, routes))
    sprops: dict[str, Any] = {"ApiId": api_id, "StageName": state_of(comp, ApiState).stage,
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
    api_id = Ref(comp.primary)
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


# --- private integrations (VPC link) ----------------------------------------------------------


def private_integration(comp: Component, spec: Api, ctx: Context, target: Component,
                        at: Path) -> str:
    """Add (once a target) the VPC-link integration to a load balancer; return its suffix."""
    alb = target.load_balancer
    assert alb is not None
    suffix = f"Integration{pascal(target.section)}{pascal(target.name)}"
    if ctx.logical(comp, suffix) in ctx.ir.resources:
        return suffix
    link, link_sg = _vpc_link(comp, ctx, at)
    port = int(alb.port)
    sg = ctx.ir.resources[link_sg]
    rule = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "DestinationSecurityGroupId": GetAtt(alb.security_group, "GroupId"),
            "Description": f"to {target.key}'s load balancer"}
    sg.properties["SecurityGroupEgress"].append(rule)
    ctx.add(comp, f"Ingress{pascal(target.section)}{pascal(target.name)}",
            "AWS::EC2::SecurityGroupIngress", {
                "GroupId": GetAtt(alb.security_group, "GroupId"),
                "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                "SourceSecurityGroupId": GetAtt(link_sg, "GroupId"),
                "Description": f"from API {comp.name}'s VPC link"}, path=at)
    props: dict[str, Any] = {
        "ApiId": Ref(comp.primary), "IntegrationType": "HTTP_PROXY",
        "IntegrationMethod": "ANY", "ConnectionType": "VPC_LINK",
        "ConnectionId": Ref(link), "IntegrationUri": Ref(alb.listener),
        "PayloadFormatVersion": "1.0",
    }
    if alb.https and alb.domain:
        # The listener's certificate is for the service's domain: verify that name.
        props["TlsConfig"] = {"ServerNameToVerify": alb.domain}
    if state_of(comp, ApiState).stage != "$default":
        # Private integrations would send `/STAGE/path`; send the route's path only.
        props["RequestParameters"] = {"overwrite:path": "$request.path"}
    ctx.add(comp, suffix, "AWS::ApiGatewayV2::Integration", props, path=at)
    return suffix


def _vpc_link(comp: Component, ctx: Context, at: Path) -> tuple[str, str]:
    """Return the API's VPC link and its security group (logical IDs), adding them once."""
    link = ctx.logical(comp, "VpcLink")
    link_sg = ctx.logical(comp, "VpcLinkSecurityGroup")
    if link in ctx.ir.resources:
        return link, link_sg
    net = require_vpc(ctx, at)
    ctx.add(comp, "VpcLinkSecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": f"{comp.physical} API Gateway VPC link",
        "VpcId": net.attrs["vpc_id"],
        "SecurityGroupEgress": [],
    }, path=at)
    ctx.add(comp, "VpcLink", "AWS::ApiGatewayV2::VpcLink", {
        "Name": comp.physical,
        "SubnetIds": vpc_of(net).private_subnets,
        "SecurityGroupIds": [GetAtt(link_sg, "GroupId")],
    }, path=at)
    return link, link_sg


# --- CORS preflight behind an authorizer ------------------------------------------------------

PREFLIGHT_CODE = """import os

ORIGINS = [o for o in os.environ["ALLOW_ORIGINS"].split(",") if o]


def handler(event, context):
    \"\"\"Answer a CORS preflight with 204 and the API's CORS headers.\"\"\"
    origin = (event.get("headers") or {}).get("origin", "")
    headers = {
        "Access-Control-Allow-Methods": os.environ["ALLOW_METHODS"],
        "Access-Control-Allow-Headers": os.environ["ALLOW_HEADERS"],
        "Access-Control-Max-Age": os.environ["MAX_AGE"],
        "Vary": "Origin",
    }
    if "*" in ORIGINS:
        headers["Access-Control-Allow-Origin"] = "*"
    elif origin in ORIGINS:
        headers["Access-Control-Allow-Origin"] = origin
        if os.environ["ALLOW_CREDENTIALS"] == "true":
            headers["Access-Control-Allow-Credentials"] = "true"
    return {"statusCode": 204, "headers": headers}
"""


def preflight_paths(spec: Api, routes: list[Route]) -> list[str]:
    """Return the paths whose preflight a protected catch-all route would otherwise take.

    `ANY /p` takes `OPTIONS /p`; `$default` takes every path no other route has, which
    `OPTIONS /{proxy+}` and `OPTIONS /` cover. Paths with a declared OPTIONS route are left out.
    """
    declared = {r.path for r in routes if r.method == "OPTIONS"}
    paths: list[str] = []
    for route in routes:
        if not protected(route, spec):
            continue
        if route.method == "ANY":
            paths.append(route.path)
        elif route.key == "$default":
            paths.extend(["/{proxy+}", "/"])
    return [p for p in dict.fromkeys(paths) if p not in declared]


def preflight_routes(comp: Component, spec: Api, ctx: Context, routes: list[Route]) -> list[str]:
    """Add unauthenticated OPTIONS routes (and their function) for catch-all routes."""
    assert spec.cors is not None
    paths = preflight_paths(spec, routes)
    if not paths:
        return []
    at = comp.path + ("cors",)
    api_id = Ref(comp.primary)
    name = ctx.physical(f"{comp.name}-preflight", 64)
    log_name = f"/aws/lambda/{name}"
    ctx.add(comp, "PreflightLogs", "AWS::Logs::LogGroup",
            {"LogGroupName": log_name, "RetentionInDays": _retention(ctx)}, path=at)
    role = ctx.add(comp, "PreflightRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "logs", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": Sub(arn("logs", f"log-group:{log_name}").template + ":*")}]}}],
    }, path=at)
    origins = [ctx.value(o, at + ("origins", i)) for i, o in enumerate(spec.cors.origins)]
    fn = ctx.add(comp, "Preflight", "AWS::Lambda::Function", {
        "FunctionName": name,
        "Description": f"Answers CORS preflights for API {comp.name}",
        "Runtime": "python3.13",
        "Handler": "index.handler",
        "Architectures": ["arm64"],
        "MemorySize": 128,
        "Timeout": 3,
        "Role": GetAtt(role.logical_id, "Arn"),
        "Code": {"ZipFile": PREFLIGHT_CODE},
        "Environment": {"Variables": {
            "ALLOW_ORIGINS": Join(",", tuple(origins)),
            "ALLOW_METHODS": ",".join(spec.cors.methods),
            "ALLOW_HEADERS": ",".join(spec.cors.headers),
            "MAX_AGE": str(int(spec.cors.max_age)),
            "ALLOW_CREDENTIALS": "true" if spec.cors.credentials else "false",
        }},
        "LoggingConfig": {"LogGroup": log_name},
    }, path=at)
    fn.depends_on.append(ctx.logical(comp, "PreflightLogs"))
    execution = state_of(comp, ApiState).execution
    ctx.add(comp, "PreflightPermission", "AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction",
        "FunctionName": Ref(fn.logical_id),
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": Sub(execution.template + "/*/OPTIONS/*", execution.vars),
    }, path=at)
    integration = ctx.add(comp, "IntegrationPreflight", "AWS::ApiGatewayV2::Integration", {
        "ApiId": api_id, "IntegrationType": "AWS_PROXY",
        "IntegrationUri": GetAtt(fn.logical_id, "Arn"), "PayloadFormatVersion": "2.0",
    }, path=at)
    made = []
    for rpath in paths:
        key = f"OPTIONS {rpath}"
        res = ctx.add(comp, f"Route{route_suffix(key)}", "AWS::ApiGatewayV2::Route", {
            "ApiId": api_id, "RouteKey": key, "AuthorizationType": "NONE",
            "Target": Sub("integrations/${i}", (("i", Ref(integration.logical_id)),)),
        }, path=at)
        made.append(res.logical_id)
    return made


def _retention(ctx: Context) -> int:
    mon = getattr(ctx.config, "monitoring", None)
    return int(mon.log_retention_days) if mon is not None else 30
