"""apis: API Gateway HTTP, REST and WebSocket APIs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cloudc.schema.base import Bool, FileField, Model, Name, NonNegInt, PosInt, RefStr, Tagged

SECTION = "apis"
ORDER = 70
REFS = ("routes",)  # fields whose values name other entries (`section.name`)
PATHS = (FileField(("route_options", "*", "body"), "file", "JSON schema", only="relative"),)


class Cors(Model):
    """CORS for browser clients."""

    origins: list[str] = Field(description="Allowed origins.")
    methods: list[str] = Field(
        ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], description="Allowed HTTP methods.")
    headers: list[str] = Field(
        ["content-type", "authorization"], description="Allowed request headers.")
    credentials: Bool = Field(
        False, description="Allow cookies and authorization headers (needs explicit origins).")
    max_age: NonNegInt = Field(600, description="How long browsers cache the preflight answer.")


class Auth(Model):
    """An authorizer: a Cognito pool (reference or ARN), a JWT issuer, or a Lambda function."""

    pool: str | None = Field(None, description="`auth.NAME` or a user pool ARN.")
    issuer: str | None = Field(
        None, pattern=r"^https://",
        description="JWT issuer URL of an external OpenID Connect provider.")
    audience: list[str] = Field(default_factory=list, description="Allowed client IDs.")
    function: RefStr | None = Field(None, description="A Lambda authorizer: `functions.NAME`.")
    scopes: list[str] = Field(default_factory=list, description="OAuth scopes a token must hold.")


class Throttle(Model):
    """Request throttling for the default stage."""

    rate: PosInt = Field(1000, description="Steady-state requests per second.")
    burst: PosInt = Field(500, description="Requests allowed in a burst above the rate.")


class Quota(Model):
    """How many requests one API key may make per period."""

    limit: PosInt = Field(description="Requests per period.")
    period: Literal["day", "week", "month"] = Field(
        "month", description="What the quota counts over: day, week or month.")


class UsagePlan(Model):
    """A REST API usage plan: throttle and quota per API key, one key per consumer."""

    throttle: Throttle | None = Field(None, description="Requests per second, per key.")
    quota: Quota | None = None
    consumers: list[Name] = Field(default_factory=list, description=(
        "One API key per consumer; API Gateway generates the values (never in the template)."))


class RequiredParams(Model):
    """Request parameters API Gateway requires before it calls the function."""

    querystring: list[str] = Field(
        default_factory=list, description="Query string parameters a request must carry.")
    headers: list[str] = Field(
        default_factory=list, description="Headers a request must carry.")


class RouteOptions(Model):
    """REST route settings: API key, IAM authorization, request validation."""

    api_key_required: Bool = Field(False, description="Callers send an `x-api-key` header.")
    iam: Bool = Field(False, description="AWS_IAM: callers sign with SigV4 (a linked role).")
    body: str | dict[str, Any] | None = Field(None, description=(
        "JSON schema (draft 4) the JSON body must match: a file (`./schemas/item.json`) or "
        "the schema inline."))
    params: RequiredParams | None = Field(None, description="Required querystring and headers.")


class Api(Tagged):
    """An API: routes map `METHOD /path` (or a WebSocket route key) to a function or service."""

    type: Literal["http", "rest", "websocket"] = Field(
        "http", description="http (API Gateway HTTP API), rest (REST API) or websocket.")
    routes: dict[str, RefStr] = Field(description='e.g. "GET /items": functions.items')
    domain: str | None = Field(
        None, description="Custom domain name, with an ACM certificate and DNS through `dns`.")
    cors: Cors | None = Field(None, description="Browser CORS settings.")
    auth: str | Auth | None = Field(
        None, description="`auth.NAME`, a user pool ARN, `functions.NAME`, `iam` (REST: "
        "SigV4-signed calls), or a full auth map."
    )
    public_routes: list[str] = Field(default_factory=list, description="Routes without auth.")
    throttle: Throttle | None = Field(None, description="Stage-wide request throttling.")
    access_logs: Bool = Field(True, description="Write access logs to CloudWatch Logs.")
    stage: str = Field(
        "$default", pattern=r"^(\$default|[A-Za-z0-9_-]{1,128})$",
        description="Stage name. `$default` (the default) means no stage in the URL for HTTP "
                    "APIs, and the environment's name for REST and WebSocket APIs.",
    )
    certificate: str | None = Field(
        None, pattern=r"^arn:", description="An existing ACM certificate (in the project's "
        "region) for `domain`; by default one is created and validated through `dns`.",
    )
    route_selection: str = Field(
        "$request.body.action", description="WebSocket route selection expression.",
    )
    usage_plans: dict[Name, UsagePlan] = Field(default_factory=dict, description=(
        "REST: usage plans by name (throttle, quota, API keys per consumer)."))
    route_options: dict[str, RouteOptions] = Field(default_factory=dict, description=(
        'REST: per route, e.g. "POST /items": { api_key_required: true, body: ./item.json }.'))


Entry = Api
