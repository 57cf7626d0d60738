"""REST API keys, usage plans, IAM authorization and request validation, as API Gateway takes them.

Usage plans, API keys, `AWS_IAM` per route and request validators are REST API features here;
a route that requires an API key answers 403 to every caller unless a usage plan on the stage
holds a key; a usage plan without a key admits nobody.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("E3268", "REST API setting API Gateway cannot apply",
         "`usage_plans`, `route_options` or `auth: iam` on an HTTP or WebSocket API, route "
         "options for a route the API does not have, a consumer in two usage plans"),
    Code("E3269", "API key required but no usage plan",
         "a route with `api_key_required: true` on an API without `usage_plans`: API Gateway "
         "answers 403 to every call"),
    Code("W3265", "usage plan without consumers",
         "a usage plan with no `consumers` has no API key, so no caller is admitted by it"),
    Code("W3266", "usage plans but no route requires an API key",
         "API Gateway meters and throttles a usage plan only on methods that require a key: "
         "without `api_key_required` on some route the plans do nothing"),
)
KIND = {"http": "an HTTP", "websocket": "a WebSocket", "rest": "a REST"}


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report REST API options that would not work as written."""
    for name, api in cx.section("apis").items():
        path: Path = ("apis", name)
        if api.type != "rest":
            for key in ("usage_plans", "route_options"):
                if getattr(api, key):
                    yield Finding("E3268", f"`{key}` is for REST APIs; `{name}` is "
                                  f"{KIND[api.type]} API", path + (key,), key=True,
                                  hint="set `type: rest` (HTTP APIs throttle per stage with "
                                  "`throttle`)")
            continue
        for route, opts in api.route_options.items():
            at = path + ("route_options", route)
            if route not in api.routes:
                yield Finding("E3268", f"`{route}` is not one of this API's routes", at,
                              key=True, hint=did_you_mean(route, list(api.routes))
                              or "use a key of `routes`, e.g. \"GET /items\"")
            elif opts.api_key_required and not api.usage_plans:
                yield Finding("E3269", f"`{route}` requires an API key, but `{name}` has no "
                              "usage plan: API Gateway would answer 403 to every call",
                              at + ("api_key_required",),
                              hint="add `usage_plans: { default: { consumers: [NAME] } }`")
        if api.usage_plans and not any(o.api_key_required for o in api.route_options.values()):
            yield Finding("W3266", f"`{name}` has usage plans, but no route requires an API "
                          "key: the plans' throttle and quota never apply",
                          path + ("usage_plans",), key=True, hint="set `route_options: "
                          '{ "GET /items": { api_key_required: true } }` on the metered routes')
        for plan_name, plan in api.usage_plans.items():
            if not plan.consumers:
                yield Finding("W3265", f"usage plan `{plan_name}` has no consumers, so no API "
                              "key", path + ("usage_plans", plan_name), key=True,
                              hint="add `consumers: [NAME]`: one generated key each")
