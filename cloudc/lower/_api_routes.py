"""Shared by the `apis` lowering and its `_http_api`/`_rest_api` helpers: routes, authorizers,
Lambda permissions and access logs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Ref, Sub, pascal, state_of
from cloudc.schema.sections.apis import Api, Auth
from cloudc.source import Path

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
WS_SPECIAL = ("$connect", "$disconnect", "$default")


@dataclass
class ApiState:
    """What `declare` settles for an API and its lowering reads: stage, base path, execute ARN."""

    stage: str
    base: str
    execution: Sub


@dataclass
class Route:
    """One parsed route: its key, method and path (HTTP/REST), target and config path."""

    key: str
    method: str
    path: str
    target: Component
    at: Path
    suffix: str


@dataclass
class Authorizer:
    """What protects an API: a JWT issuer, a Cognito pool (REST) or a Lambda function."""

    kind: str  # jwt | lambda | iam
    at: Path
    issuer: Any = None
    audience: list[Any] = field(default_factory=list)
    pool_arn: Any = None
    function: Component | None = None
    scopes: list[str] = field(default_factory=list)


# --- routes -----------------------------------------------------------------------------------


def parse_routes(comp: Component, spec: Api, ctx: Context) -> list[Route]:
    """Check every route key and target; return the routes that can be built."""
    out: list[Route] = []
    seen: dict[str, str] = {}
    for key, ref in spec.routes.items():
        at = comp.path + ("routes", key)
        parsed = _route_key(key, spec.type)
        if isinstance(parsed, str):
            ctx.diags.add("E2005", parsed, origin=ctx.origin(at), path=at,
                          hint=_route_hint(spec.type))
            continue
        method, rpath = parsed
        target = ctx.component(ref)
        if target is None:  # reported by validate
            continue
        if target.section != "functions" and not (spec.type == "http"
                                                   and target.load_balancer is not None):
            what = "functions" if spec.type != "http" else \
                "functions, and services and servers behind a load balancer"
            hint = "put a function in front of it, e.g. `functions.NAME`"
            if spec.type == "rest" and target.load_balancer is not None:
                hint = "use `type: http`: it reaches the load balancer through a VPC link"
            ctx.diags.add("E3002", f"`{ref}` ({target.kind}) cannot handle {spec.type} API routes "
                          f"yet: routes go to {what}", origin=ctx.origin(at), path=at,
                          hint=hint)
            continue
        suffix = route_suffix(key)
        if suffix in seen:
            ctx.diags.add("E3005", f"routes `{seen[suffix]}` and `{key}` give the same logical ID "
                          f"`{suffix}`", origin=ctx.origin(at), path=at, hint="rename one path")
            continue
        seen[suffix] = key
        out.append(Route(key, method, rpath, target, at, suffix))
    if not spec.routes:
        at = comp.path + ("routes",)
        ctx.diags.add("E2005", "an API needs at least one route", origin=ctx.origin(at), path=at)
    return out


def _route_key(key: str, kind: str) -> tuple[str, str] | str:
    """Return (method, path) of a route key, or the reason it is not valid."""
    if kind == "websocket":
        if key.startswith("$") and key not in WS_SPECIAL:
            return f"`{key}` is not a WebSocket route key; use $connect, $disconnect, $default " \
                   "or an action name"
        if not re.fullmatch(r"\$?[A-Za-z0-9_.:-]+", key):
            return f"`{key}` is not a WebSocket route key"
        return "", key
    if key == "$default":
        if kind == "rest":
            return "`$default` is a route of HTTP APIs only"
        return "", ""
    m = re.fullmatch(r"([A-Za-z]+) +(/\S*)", key)
    if m is None:
        return f"route `{key}` is not `METHOD /path`"
    method, rpath = m.group(1).upper(), m.group(2)
    if method not in METHODS:
        return f"`{method}` is not an HTTP method"
    for seg in rpath.strip("/").split("/"):
        if seg and not re.fullmatch(r"[A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\+?\}", seg):
            return f"path segment `{seg}` in `{key}` is not valid"
    if "+}" in rpath.rstrip("/").rsplit("/", 1)[0]:
        return f"a greedy `{{name+}}` segment must come last in `{key}`"
    return method, rpath


def _route_hint(kind: str) -> str:
    if kind == "websocket":
        return 'e.g. "$connect": functions.connect, "sendmessage": functions.send'
    return 'e.g. "GET /items/{id}": functions.items'


def route_suffix(key: str) -> str:
    """Turn a route key into a logical-ID fragment.

    >>> route_suffix("GET /items/{id}"), route_suffix("ANY /{proxy+}"), route_suffix("$connect")
    ('GetItemsById', 'AnyByProxyGreedy', 'Connect')
    """
    if " " not in key:
        return pascal(key.lstrip("$")) or "Default"
    method, _, rpath = key.partition(" ")
    return pascal(method.lower()) + path_suffix(rpath.strip())


def path_suffix(rpath: str) -> str:
    """Turn a resource path into a logical-ID fragment (`/` is `Root`)."""
    parts = []
    for seg in rpath.strip("/").split("/"):
        if not seg:
            continue
        m = re.fullmatch(r"\{(\w+)(\+?)\}", seg)
        parts.append("By" + pascal(m.group(1)) + ("Greedy" if m.group(2) else "") if m
                     else pascal(seg))
    return "".join(parts) or "Root"


def check_public(comp: Component, spec: Api, ctx: Context) -> None:
    for i, key in enumerate(spec.public_routes):
        if key not in spec.routes:
            at = comp.path + ("public_routes", i)
            ctx.diags.add("E3001", f"`{key}` is not one of this API's routes",
                          origin=ctx.origin(at), path=at, hint=did_you_mean(key, spec.routes))
    if spec.public_routes and spec.auth is None:
        at = comp.path + ("public_routes",)
        ctx.diags.add("I1001", "`public_routes` has no effect without `auth`",
                      origin=ctx.origin(at), path=at)


# --- auth -------------------------------------------------------------------------------------


def parse_auth(comp: Component, spec: Api, ctx: Context) -> Authorizer | None:
    """Resolve `auth` (a reference, a pool ARN or a map) to one authorizer."""
    if spec.auth is None:
        return None
    at = comp.path + ("auth",)
    if spec.auth == "iam":
        if spec.type != "rest":
            ctx.diags.add("E3268", "`auth: iam` is for REST APIs; this is "
                          f"{'an HTTP' if spec.type == 'http' else 'a WebSocket'} API",
                          origin=ctx.origin(at), path=at,
                          hint="set `type: rest`, or use a user pool or a Lambda authorizer")
            return None
        return Authorizer("iam", at)
    given = spec.auth if isinstance(spec.auth, Auth) else _auth_from_text(spec.auth)
    if given is None:
        ctx.diags.add("E2005", f"`{spec.auth}` is not an authorizer", origin=ctx.origin(at),
                      path=at, hint="use `auth.NAME`, `functions.NAME` or a Cognito user pool ARN")
        return None
    picked = [k for k in ("pool", "issuer", "function") if getattr(given, k)]
    if len(picked) != 1:
        ctx.diags.add("E2005", "`auth` takes exactly one of pool, issuer or function",
                      origin=ctx.origin(at), path=at)
        return None
    audience: list[Any] = [ctx.value(a, at + ("audience",)) for a in given.audience]
    if given.function:
        fn = ctx.component(given.function)
        if fn is None or fn.section != "functions":
            ctx.diags.add("E3001" if fn is None else "E3002",
                          f"`{given.function}` is not a declared function", origin=ctx.origin(at),
                          path=at)
            return None
        return Authorizer("lambda", at, function=fn)
    if given.issuer:
        return Authorizer("jwt", at, issuer=ctx.value(given.issuer, at),
                          audience=audience, scopes=given.scopes)
    pool = str(given.pool)
    if pool.startswith("arn:"):
        m = re.fullmatch(r"arn:aws[a-z-]*:cognito-idp:([a-z0-9-]+):\d{12}:userpool/([\w-]+)", pool)
        if m is None:
            ctx.diags.add("E2005", f"`{pool}` is not a Cognito user pool ARN",
                          origin=ctx.origin(at), path=at,
                          hint="arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID")
            return None
        issuer = f"https://cognito-idp.{m.group(1)}.amazonaws.com/{m.group(2)}"
        return Authorizer("jwt", at, issuer=issuer, audience=audience, pool_arn=pool,
                          scopes=given.scopes)
    target = ctx.component(pool if "." in pool else f"auth.{pool}")
    if target is None:
        ctx.diags.add("E3001", f"`{pool}` is not declared", origin=ctx.origin(at), path=at,
                      hint="declare it under `auth:`, or give a user pool ARN")
        return None
    if "pool_arn" not in target.attrs or "issuer" not in target.attrs:
        ctx.diags.add("E3002", f"`{target.key}` ({target.kind}) is not a user pool",
                      origin=ctx.origin(at), path=at)
        return None
    audience = list(target.user_pool.client_ids if target.user_pool else []) + audience
    return Authorizer("jwt", at, issuer=target.attrs["issuer"], audience=audience,
                      pool_arn=target.attrs["pool_arn"], scopes=given.scopes)


def _auth_from_text(text: str) -> Auth | None:
    if text.startswith("arn:"):
        return Auth(pool=text)
    if text.startswith("functions."):
        return Auth(function=text)
    if text.startswith("auth."):
        return Auth(pool=text)
    return None


def protected(route: Route, spec: Api) -> bool:
    """Say whether the authorizer applies to `route`."""
    if route.key in spec.public_routes:
        return False
    if spec.type == "websocket":  # WebSocket APIs authorize the connection only
        return route.key == "$connect"
    return route.method != "OPTIONS"


def invocation_uri(fn: Component) -> Sub:
    """Return the API Gateway URI that invokes a function."""
    return Sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
               "functions/${fn}/invocations", (("fn", function_arn(fn)),))


def function_arn(fn: Component) -> Any:
    """Return the ARN an API invokes (the release alias when the function has one), computed
    from its name: no dependency on its stack."""
    arn = fn.invoke.arn if fn.invoke is not None else fn.attrs["arn"]
    return arn.derived if isinstance(arn, (Ref, GetAtt)) and arn.derived is not None else arn


def permit(comp: Component, fn: Component, ctx: Context, at: Path) -> None:
    """Let this API (any stage, route or authorizer) invoke `fn`, once per function.

    The permission sits with the functions (group `functions`), and the API names functions
    only by their computed ARNs: the API's stack then never waits for the functions' stack, so
    functions may link to the API (its URL, its connections) without a cycle.
    """
    suffix = f"Permission{pascal(fn.name)}"
    if ctx.logical(comp, suffix) in ctx.ir.resources:
        return
    execution = state_of(comp, ApiState).execution
    ctx.add(comp, suffix, "AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction",
        "FunctionName": fn.invoke.name if fn.invoke is not None else fn.attrs["name"],
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": Sub(execution.template + "/*", execution.vars),
    }, path=at, group="functions")


def access_log_group(comp: Component, spec: Api, ctx: Context) -> Any | None:
    """Add the access-log group (or warn that logs are off); return its ARN."""
    if not spec.access_logs:
        ctx.warn("W1001", "access logs turned off for this API", comp.path + ("access_logs",))
        return None
    mon = getattr(ctx.config, "monitoring", None)
    retention = int(mon.log_retention_days) if mon is not None else 30
    log = ctx.add(comp, "AccessLogs", "AWS::Logs::LogGroup", {
        "LogGroupName": f"/aws/apigateway/{comp.physical}",
        "RetentionInDays": retention,
    })
    return GetAtt(log.logical_id, "Arn")


def logging_account(comp: Component, ctx: Context) -> str:
    """Return the API Gateway account-settings resource REST and WebSocket logs need.

    The setting is one per account and region; the first REST or WebSocket API owns it, and
    its role is retained so that deleting this app never breaks another app's logging.
    """
    for res in ctx.ir.resources.values():
        if res.type == "AWS::ApiGateway::Account":
            return res.logical_id
    role = ctx.add(comp, "LoggingRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                  "AmazonAPIGatewayPushToCloudWatchLogs")],
    })
    # Plain Retain (not RetainExceptOnCreate): the account setting outlives a rolled-back
    # create and may point at this role; its generated name never blocks a retry.
    role.deletion_policy = role.update_replace_policy = "Retain"
    account = ctx.add(comp, "LoggingAccount", "AWS::ApiGateway::Account",
                      {"CloudWatchRoleArn": GetAtt(role.logical_id, "Arn")})
    return account.logical_id
