"""apis: HTTP, REST and WebSocket APIs, authorizers, domains, and no stack cycles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudc.compile import compile_config
from helpers import all_resources as _resources, error_lines as _errors

POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123"


def _build(tmp_path: Path, body: str, env: str = "production", region: str = "us-east-1") -> Any:
    for name in ("fn", "auth"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "index.mjs").write_text("export const handler = async () => ({});\n")
    (tmp_path / "cloud.yaml").write_text(
        f"project: {{ name: Demo, region: {region} }}\n" + body)
    return compile_config(tmp_path / "cloud.yaml", env, dry=True)


def _codes(build: Any) -> list[str]:
    return [d.code for d in build.diagnostics.items]


FN = "functions:\n  items: { code: ./fn }\n  authz: { code: ./auth }\n"


def test_http_api_routes_stage_and_permission(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  public:\n    routes: { "GET /items": functions.items, '
               '"GET /items/{id}": functions.items }\n')
    assert not _errors(b)
    res = _resources(b)
    assert res["ApisPublicApi"]["Properties"]["ProtocolType"] == "HTTP"
    assert res["ApisPublicRouteGetItemsById"]["Properties"]["RouteKey"] == "GET /items/{id}"
    stage = res["ApisPublicStage"]["Properties"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    assert "AccessLogSettings" in stage
    # One integration and one permission per function, scoped to this API.
    assert [k for k in res if k.startswith("ApisPublicIntegration")] == ["ApisPublicIntegrationItems"]
    perm = res["ApisPublicPermissionItems"]["Properties"]
    assert perm["Principal"] == "apigateway.amazonaws.com"
    assert perm["SourceArn"]["Fn::Sub"][0].endswith(":${id}/*")
    # The permission lives with the functions; the API stack never waits for them.
    assert "ApisPublicPermissionItems" in b.nested["functions"]["Resources"]
    assert "DependsOn" not in b.root["Resources"]["StackApis"]


def test_function_may_link_the_api_it_serves(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  items: { code: ./fn, link: [apis.public] }\n"
               'apis:\n  public:\n    routes: { "GET /items": functions.items }\n')
    assert not _errors(b)
    env = b.nested["functions"]["Resources"]["FunctionsItemsFunction"]["Properties"]["Environment"]
    assert "APIS_PUBLIC_URL" in env["Variables"]


def test_jwt_from_pool_arn_and_public_routes(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  public:\n    routes: { "GET /items": functions.items, '
               '"GET /health": functions.items }\n'
               f'    auth: {{ pool: "{POOL}", audience: [abc], scopes: [items/read] }}\n'
               '    public_routes: ["GET /health"]\n')
    assert not _errors(b)
    res = _resources(b)
    jwt = res["ApisPublicAuthorizer"]["Properties"]["JwtConfiguration"]
    assert jwt == {"Issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
                   "Audience": ["abc"]}
    items = res["ApisPublicRouteGetItems"]["Properties"]
    assert items["AuthorizationType"] == "JWT" and items["AuthorizationScopes"] == ["items/read"]
    assert "AuthorizationType" not in res["ApisPublicRouteGetHealth"]["Properties"]


def test_pool_arn_without_audience_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + f'apis:\n  public:\n    routes: {{ "GET /x": functions.items }}\n'
               f'    auth: {POOL}\n')
    assert any("E3005" in e and "audience" in e for e in _errors(b))


def test_lambda_authorizer(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  public:\n    routes: { "GET /x": functions.items }\n'
               "    auth: functions.authz\n")
    assert not _errors(b)
    res = _resources(b)
    auth = res["ApisPublicAuthorizer"]["Properties"]
    assert auth["AuthorizerType"] == "REQUEST" and auth["EnableSimpleResponses"] is True
    assert "ApisPublicPermissionAuthz" in res
    assert res["ApisPublicRouteGetX"]["Properties"]["AuthorizationType"] == "CUSTOM"


def test_rest_deployment_id_is_stable_and_follows_routes(tmp_path: Path) -> None:
    body = FN + 'apis:\n  r:\n    type: rest\n    routes: { "GET /items/{id}": functions.items }\n'

    def deployment(text: str) -> str:
        b = _build(tmp_path, text)
        assert not _errors(b)
        ids = [k for k in _resources(b) if k.startswith("ApisRDeployment")]
        assert len(ids) == 1
        return ids[0]

    first = deployment(body)
    assert deployment(body) == first
    changed = deployment(body.replace('functions.items }', 'functions.items, "POST /x": '
                                      'functions.items }'))
    assert changed != first
    res = _resources(_build(tmp_path, body))
    assert res["ApisRStage"]["Properties"]["DeploymentId"] == {"Ref": first}
    assert res["ApisRResourceItemsById"]["Properties"]["PathPart"] == "{id}"
    assert res["ApisRMethodGetItemsById"]["Properties"]["Integration"]["Type"] == "AWS_PROXY"


def test_websocket_routes_and_connections_grant(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  ws: { code: ./fn }\n  push: { code: ./fn, link: [apis.live] }\n"
               "apis:\n  live:\n    type: websocket\n"
               "    routes: { $connect: functions.ws, $default: functions.ws }\n")
    assert not _errors(b)
    res = _resources(b)
    assert res["ApisLiveApi"]["Properties"]["ProtocolType"] == "WEBSOCKET"
    assert res["ApisLiveStage"]["Properties"]["StageName"] == "production"
    policy = res["ApisLiveConnectionsPolicy"]["Properties"]
    st = policy["PolicyDocument"]["Statement"][0]
    assert st["Action"] == ["execute-api:ManageConnections"]
    assert st["Resource"][0]["Fn::Sub"][0].endswith("${id}/production/*/@connections/*")
    assert policy["Roles"] == [{"Ref": "FunctionsWsRole"}]
    push = res["FunctionsPushFunction"]["Properties"]["Environment"]["Variables"]
    assert set(push) == {"APIS_LIVE_URL", "APIS_LIVE_ENDPOINT"}
    text = json.dumps(b.nested)
    assert '"Action": "*"' not in text and '"Resource": "*"' not in text


def test_custom_domain_with_zone(tmp_path: Path) -> None:
    b = _build(tmp_path, "dns: { zone: acme.com }\n" + FN + 'apis:\n  public:\n'
               '    routes: { "GET /x": functions.items }\n    domain: api.acme.com\n')
    assert not _errors(b)
    res = _resources(b)
    cert = res["ApisPublicCertificate"]["Properties"]
    assert cert["DomainValidationOptions"] == [{"DomainName": "api.acme.com",
                                                "HostedZoneId": {"Ref": "DnsZone"}}]
    assert res["ApisPublicDomain"]["Properties"]["DomainNameConfigurations"][0][
        "EndpointType"] == "REGIONAL"
    assert res["ApisPublicRecordApiAcmeComA"]["Properties"]["Type"] == "A"


def test_bad_routes_are_diagnostics(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage:\n  files: {}\n" + FN + 'apis:\n  a:\n'
               '    routes: { "FETCH /x": functions.items, "GET /f": storage.files }\n'
               '    public_routes: ["GET /nope"]\n'
               "  w:\n    type: websocket\n    routes: { $bogus: functions.items }\n")
    errors = _errors(b)
    assert any("`FETCH` is not an HTTP method" in e for e in errors)
    assert any("E3002" in e and "storage.files" in e for e in errors)
    assert any("`GET /nope` is not one of this API's routes" in e for e in errors)
    assert any("$bogus" in e for e in errors)


def test_throttle_and_cors(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  a:\n    routes: { "GET /x": functions.items }\n'
               '    throttle: { rate: 10, burst: 5 }\n'
               '    cors: { origins: ["https://a.com"], credentials: true }\n')
    assert not _errors(b)
    res = _resources(b)
    settings = res["ApisAStage"]["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == 10 and settings["ThrottlingBurstLimit"] == 5
    cors = res["ApisAApi"]["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["https://a.com"] and cors["AllowCredentials"] is True


def test_http_proxy_to_a_service(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM node:22\n")
    b = _build(tmp_path, "network:\n  vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none }\n"
               "dns: { zone: acme.com }\nservices:\n  web: { image: ./svc/Dockerfile, port: 3000, "
               "health_check: /health, domain: web.acme.com }\n"
               'apis:\n  edge:\n    routes: { "ANY /web/{proxy+}": services.web }\n')
    assert not _errors(b)
    integ = _resources(b)["ApisEdgeIntegrationAnyWebByProxyGreedy"]["Properties"]
    assert integ["IntegrationType"] == "HTTP_PROXY"
    assert integ["IntegrationUri"] == {"Fn::Sub": ["${u}/web/{proxy}",
                                                   {"u": "https://web.acme.com"}]}
