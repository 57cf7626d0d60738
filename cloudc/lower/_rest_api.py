"""REST APIs (API Gateway v1): resource tree, methods, authorizer, deployment and stage.

A REST API's Deployment is a snapshot: CloudFormation makes a new one only when the
Deployment's logical ID changes. Its ID therefore ends with a digest of everything the snapshot
holds (methods, resources, authorizer): identical input gives an identical ID, build after
build, and any change to the routes deploys them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, state_of
from cloudc.lower._api_routes import (
    ApiState,
    Authorizer,
    Route,
    access_log_group,
    invocation_uri,
    logging_account,
    path_suffix,
    permit,
    protected,
)
from cloudc.lower._rest_extras import method_options, usage_plans
from cloudc.schema.sections.apis import Api

# What a deployment snapshots: a change to any of these needs a new deployment.
SNAPSHOT = ("AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGateway::Authorizer",
            "AWS::ApiGateway::GatewayResponse", "AWS::ApiGateway::Model",
            "AWS::ApiGateway::RequestValidator")
LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","method":"$context.httpMethod",'
    '"path":"$context.resourcePath","status":"$context.status",'
    '"responseLength":"$context.responseLength"}'
)


def lower_rest(comp: Component, spec: Api, ctx: Context, routes: list[Route],
               auth: Authorizer | None) -> None:
    """Emit a regional REST API with one Lambda proxy method per route."""
    api = comp.primary
    ctx.add(comp, "Api", "AWS::ApiGateway::RestApi", {
        "Name": comp.physical,
        "Description": f"{ctx.slug} {ctx.env}: {comp.name}",
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
    })
    iam = auth is not None and auth.kind == "iam"
    authorizer = _authorizer(comp, ctx, auth) if auth is not None and not iam else None
    methods: list[str] = []
    resources: set[str] = set()
    with_methods: dict[str, set[str]] = {}
    for route in routes:
        resource = _resource(comp, ctx, route.path, resources)
        fn = route.target
        props: dict[str, Any] = {
            "RestApiId": Ref(api),
            "ResourceId": resource,
            "HttpMethod": route.method,
            "AuthorizationType": "NONE",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST",
                            "Uri": invocation_uri(fn)},
        }
        opts = spec.route_options.get(route.key)
        if (opts is not None and opts.iam) or (iam and protected(route, spec)):
            props["AuthorizationType"] = "AWS_IAM"  # callers sign with SigV4
        elif authorizer is not None and auth is not None and protected(route, spec):
            props["AuthorizationType"] = "COGNITO_USER_POOLS" if auth.kind == "jwt" else "CUSTOM"
            props["AuthorizerId"] = Ref(authorizer)
            if auth.scopes and auth.kind == "jwt":
                props["AuthorizationScopes"] = auth.scopes
        props.update(method_options(comp, spec, ctx, route))
        res = ctx.add(comp, f"Method{route.suffix}", "AWS::ApiGateway::Method", props,
                      path=route.at)
        methods.append(res.logical_id)
        with_methods.setdefault(route.path, set()).add(route.method)
        permit(comp, fn, ctx, route.at)
    if spec.cors is not None:
        methods.extend(_cors(comp, spec, ctx, with_methods, resources))
    snapshot = {r.logical_id: [r.type, r.properties] for r in ctx.ir.resources.values()
                if r.owner == comp.key and r.type in SNAPSHOT}
    digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True, default=repr).encode())
    deployment = ctx.add(comp, f"Deployment{digest.hexdigest()[:10].upper()}",
                         "AWS::ApiGateway::Deployment",
                         {"RestApiId": Ref(api), "Description": f"{comp.name} routes"})
    deployment.depends_on.extend(methods)
    props = {"RestApiId": Ref(api), "StageName": state_of(comp, ApiState).stage,
             "DeploymentId": Ref(deployment.logical_id)}
    setting: dict[str, Any] = {"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True}
    if spec.throttle is not None:
        setting.update(ThrottlingRateLimit=spec.throttle.rate,
                       ThrottlingBurstLimit=spec.throttle.burst)
    props["MethodSettings"] = [setting]
    log_arn = access_log_group(comp, spec, ctx)
    if log_arn is not None:
        props["AccessLogSetting"] = {"DestinationArn": log_arn, "Format": LOG_FORMAT}
    stage = ctx.add(comp, "Stage", "AWS::ApiGateway::Stage", props)
    if log_arn is not None:
        stage.depends_on.append(logging_account(comp, ctx))
    usage_plans(comp, spec, ctx, stage.logical_id)


def _resource(comp: Component, ctx: Context, path: str, made: set[str]) -> Any:
    """Return the id of the resource for `path`, adding it and its parents as needed."""
    api = comp.primary
    parent: Any = GetAtt(api, "RootResourceId")
    sofar = ""
    for seg in [s for s in path.strip("/").split("/") if s]:
        sofar += "/" + seg
        lid = ctx.logical(comp, "Resource" + path_suffix(sofar))
        if lid not in made:
            ctx.add(comp, "Resource" + path_suffix(sofar), "AWS::ApiGateway::Resource", {
                "RestApiId": Ref(api), "ParentId": parent, "PathPart": seg})
            made.add(lid)
        parent = Ref(lid)
    return parent


def _authorizer(comp: Component, ctx: Context, auth: Authorizer) -> str | None:
    props: dict[str, Any] = {"RestApiId": Ref(comp.primary), "Name": f"{comp.name}-auth",
                             "IdentitySource": "method.request.header.Authorization"}
    if auth.kind == "jwt":
        if auth.pool_arn is None:
            ctx.diags.add("E3005", "REST APIs take a Cognito user pool or a Lambda authorizer, "
                          "not a bare JWT issuer", origin=ctx.origin(auth.at), path=auth.at,
                          hint="use `type: http` for any OpenID Connect issuer")
            return None
        props.update(Type="COGNITO_USER_POOLS", ProviderARNs=[auth.pool_arn])
    else:
        assert auth.function is not None
        props.update(Type="TOKEN", AuthorizerUri=invocation_uri(auth.function),
                     AuthorizerResultTtlInSeconds=300)
        permit(comp, auth.function, ctx, auth.at)
    res = ctx.add(comp, "Authorizer", "AWS::ApiGateway::Authorizer", props, path=auth.at)
    return res.logical_id


def _cors(comp: Component, spec: Api, ctx: Context, with_methods: dict[str, set[str]],
          resources: set[str]) -> list[str]:
    """Answer preflight requests with a mock OPTIONS method on every routed resource.

    The Lambda functions behind a REST API add CORS headers to their own responses (proxy
    integrations pass them through); gateway errors (401, 403, 5xx) get them here.
    """
    assert spec.cors is not None
    at = comp.path + ("cors",)
    origins = spec.cors.origins
    if len(origins) > 1:
        ctx.diags.add("I1001", "a REST API's preflight answer names one origin: the first is "
                      "used; your functions should echo the request's allowed origin",
                      origin=ctx.origin(at + ("origins",)), path=at + ("origins",))
    origin = origins[0] if origins else "*"
    if origin == "*":
        ctx.warn("W1001", "CORS allows every origin", at + ("origins",))
    headers = {
        "Access-Control-Allow-Origin": f"'{origin}'",
        "Access-Control-Allow-Methods": f"'{','.join(spec.cors.methods)}'",
        "Access-Control-Allow-Headers": f"'{','.join(spec.cors.headers)}'",
        "Access-Control-Max-Age": f"'{spec.cors.max_age}'",
    }
    if spec.cors.credentials:
        headers["Access-Control-Allow-Credentials"] = "'true'"
    made = []
    api = comp.primary
    for path, verbs in with_methods.items():
        if "OPTIONS" in verbs:
            continue
        resource = _resource(comp, ctx, path, resources)
        res = ctx.add(comp, f"MethodOptions{path_suffix(path)}", "AWS::ApiGateway::Method", {
            "RestApiId": Ref(api), "ResourceId": resource, "HttpMethod": "OPTIONS",
            "AuthorizationType": "NONE",
            "Integration": {
                "Type": "MOCK",
                "RequestTemplates": {"application/json": '{"statusCode": 204}'},
                "IntegrationResponses": [{"StatusCode": "204", "ResponseParameters": {
                    f"method.response.header.{k}": v for k, v in headers.items()}}],
            },
            "MethodResponses": [{"StatusCode": "204", "ResponseParameters": {
                f"method.response.header.{k}": True for k in headers}}],
        }, path=at)
        made.append(res.logical_id)
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        ctx.add(comp, f"Response{kind.replace('_', '').title()}",
                "AWS::ApiGateway::GatewayResponse", {
                    "RestApiId": Ref(api), "ResponseType": kind,
                    "ResponseParameters": {f"gatewayresponse.header.{k}": v
                                           for k, v in headers.items()
                                           if k != "Access-Control-Max-Age"},
                }, path=at)
    return made
