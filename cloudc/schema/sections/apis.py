"""apis: API Gateway HTTP, REST and WebSocket APIs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, NonNegInt, PosInt, RefStr, Tagged

SECTION = "apis"
ORDER = 70
REFS = ("routes",)  # fields whose values name other entries (`section.name`)


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


class Api(Tagged):
    """An API: routes map `METHOD /path` (or a WebSocket route key) to a function or service."""

    type: Literal["http", "rest", "websocket"] = Field(
        "http", description="http (API Gateway HTTP API), rest (REST API) or websocket.")
    routes: dict[str, RefStr] = Field(description='e.g. "GET /items": functions.items')
    domain: str | None = Field(
        None, description="Custom domain name, with an ACM certificate and DNS through `dns`.")
    cors: Cors | None = Field(None, description="Browser CORS settings.")
    auth: str | Auth | None = Field(
        None, description="`auth.NAME`, a user pool ARN, `functions.NAME`, or a full auth map."
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


Entry = Api
