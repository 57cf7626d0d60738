"""apis: HTTP, REST and WebSocket APIs, authorizers, domains, and no stack cycles."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from helpers import MJS, build
from helpers import all_resources as _resources
from helpers import error_lines as _errors

POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123"


_build = partial(build, files={"fn/index.mjs": MJS, "auth/index.mjs": MJS})


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


def _statements(res: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [st for p in res[role]["Properties"].get("Policies", [])
            for st in p["PolicyDocument"]["Statement"]]


def test_websocket_connections_only_for_functions_that_link_it(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  ws: { code: ./fn }\n  push: { code: ./fn, link: [apis.live] }\n"
               "apis:\n  live:\n    type: websocket\n"
               "    routes: { $connect: functions.ws, $default: functions.ws }\n")
    assert not _errors(b)
    res = _resources(b)
    assert res["ApisLiveApi"]["Properties"]["ProtocolType"] == "WEBSOCKET"
    assert res["ApisLiveStage"]["Properties"]["StageName"] == "production"
    # A route target that does not link the API gets no ManageConnections: no blanket policy.
    assert "ApisLiveConnectionsPolicy" not in res
    assert not any("execute-api:ManageConnections" in json.dumps(st)
                   for st in _statements(res, "FunctionsWsRole"))
    manage = [st for st in _statements(res, "FunctionsPushRole")
              if "execute-api:ManageConnections" in json.dumps(st)]
    assert len(manage) == 1
    resources = manage[0]["Resource"]
    resources = resources if isinstance(resources, list) else [resources]
    assert all(json.dumps(r).count("/production/*/@connections/*") == 1 for r in resources)
    push = res["FunctionsPushFunction"]["Properties"]["Environment"]["Variables"]
    assert set(push) == {"APIS_LIVE_URL", "APIS_LIVE_ENDPOINT"}
    text = json.dumps(b.nested)
    assert '"Action": "*"' not in text and '"Resource": "*"' not in text


def test_websocket_nobody_links_is_a_warning(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  ws: { code: ./fn }\n"
               "apis:\n  live:\n    type: websocket\n    routes: { $default: functions.ws }\n")
    assert not _errors(b)
    warn = [d for d in b.diagnostics.items if d.code == "W3160"]
    assert len(warn) == 1 and "link: [apis.live]" in (warn[0].hint or "")


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


SERVICE = ("network:\n  vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none }\n"
           "dns: { zone: acme.com }\nservices:\n  web: { image: ./svc/Dockerfile, port: 3000, "
           "health_check: /health, domain: web.acme.com }\n"
           "  inner: { image: nginx:1.27, public: false }\n")


def _integrations(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [r["Properties"] for r in res.values() if r["Type"] == "AWS::ApiGatewayV2::Integration"]


def test_routes_to_services_use_a_vpc_link_never_a_hostname(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM node:22\n")
    # Integrations never name a hostname: with one shared by the API and the service (an E3102
    # error) a URL integration would call the API itself.
    b = _build(tmp_path, SERVICE + 'apis:\n  edge:\n    routes: { "ANY /web/{proxy+}": '
               'services.web, "GET /inner": services.inner }\n    domain: edge.acme.com\n'
               '    stage: v2\n')
    assert not _errors(b)
    res = _resources(b)
    web = res["ApisEdgeIntegrationServicesWeb"]["Properties"]
    assert web["IntegrationType"] == "HTTP_PROXY" and web["ConnectionType"] == "VPC_LINK"
    assert web["ConnectionId"] == {"Ref": "ApisEdgeVpcLink"}
    assert web["IntegrationUri"] == {"Ref": "ServicesWebHttpsListener"}
    assert web["TlsConfig"] == {"ServerNameToVerify": "web.acme.com"}
    assert web["RequestParameters"] == {"overwrite:path": "$request.path"}
    inner = res["ApisEdgeIntegrationServicesInner"]["Properties"]
    assert inner["IntegrationUri"] == {"Ref": "ServicesInnerHttpListener"}
    assert "TlsConfig" not in inner
    for integ in _integrations(res):
        assert "web.acme.com" not in json.dumps(integ["IntegrationUri"])
    link = res["ApisEdgeVpcLink"]["Properties"]
    assert link["SubnetIds"] == [{"Ref": "NetworkPrivateSubnet1"}, {"Ref": "NetworkPrivateSubnet2"}]
    # The link's group reaches each load balancer's listener port, and each admits the link.
    egress = res["ApisEdgeVpcLinkSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert sorted(e["FromPort"] for e in egress) == [80, 443]
    ingress = res["ApisEdgeIngressServicesInner"]["Properties"]
    assert ingress["FromPort"] == 80 and ingress["SourceSecurityGroupId"] == {
        "Fn::GetAtt": ["ApisEdgeVpcLinkSecurityGroup", "GroupId"]}
    clash = _build(tmp_path, SERVICE + 'apis:\n  edge:\n    routes: { "ANY /{proxy+}": '
                   'services.web }\n    domain: web.acme.com\n')
    assert [e for e in _errors(clash) if "E3102" in e] and not [
        e for e in _errors(clash) if "E3163" in e]


def test_rest_route_to_a_service_is_an_error_with_a_hint(tmp_path: Path) -> None:
    b = _build(tmp_path, "network:\n  vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none }\n"
               "services:\n  inner: { image: nginx:1.27, public: false }\n"
               'apis:\n  r:\n    type: rest\n    routes: { "GET /x": services.inner }\n')
    assert any(d.code == "E3002" and "type: http" in (d.hint or "")
               for d in b.diagnostics.items)


def test_route_to_a_queue_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, "queues:\n  jobs: {}\n"
               'apis:\n  a:\n    routes: { "POST /jobs": queues.jobs }\n')
    assert any("E3002" in e and "queues.jobs" in e for e in _errors(b))


CORS_AUTH = ('    cors: { origins: ["https://a.com"] }\n'
             f"    auth: {{ pool: {POOL}, audience: [c1] }}\n")


def _routes(res: dict[str, Any], api: str) -> dict[str, dict[str, Any]]:
    return {r["Properties"]["RouteKey"]: r["Properties"] for k, r in res.items()
            if r["Type"] == "AWS::ApiGatewayV2::Route" and k.startswith(api)}


def test_cors_with_authorizer_gets_unauthenticated_preflight_routes(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  a:\n    routes: { "ANY /{proxy+}": functions.items, '
               '"ANY /x": functions.items, "GET /y": functions.items }\n' + CORS_AUTH
               + '  d:\n    routes: { $default: functions.items }\n' + CORS_AUTH)
    assert not _errors(b)
    res = _resources(b)
    routes = _routes(res, "ApisA")
    assert routes["ANY /{proxy+}"]["AuthorizationType"] == "JWT"
    for key in ("OPTIONS /{proxy+}", "OPTIONS /x"):
        assert routes[key]["AuthorizationType"] == "NONE"
        assert routes[key]["Target"] == {"Fn::Sub": ["integrations/${i}",
                                                     {"i": {"Ref": "ApisAIntegrationPreflight"}}]}
    assert "OPTIONS /y" not in routes  # API Gateway answers preflights of GET /y itself
    assert {"OPTIONS /{proxy+}", "OPTIONS /"} <= set(_routes(res, "ApisD"))
    fn = res["ApisAPreflight"]["Properties"]
    assert fn["Environment"]["Variables"]["ALLOW_ORIGINS"] == {"Fn::Join": [",", ["https://a.com"]]}
    assert "statusCode\": 204" in fn["Code"]["ZipFile"]
    perm = res["ApisAPreflightPermission"]["Properties"]
    assert perm["SourceArn"]["Fn::Sub"][0].endswith("${id}/*/OPTIONS/*")


def test_preflight_function_answers_204_with_the_headers(tmp_path: Path) -> None:
    from cloudc.lower._http_api import PREFLIGHT_CODE

    env = {"ALLOW_ORIGINS": "https://a.com,https://b.com", "ALLOW_METHODS": "GET,POST",
           "ALLOW_HEADERS": "content-type,authorization", "MAX_AGE": "600",
           "ALLOW_CREDENTIALS": "true"}
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, env):
        scope: dict[str, Any] = {}
        exec(compile(PREFLIGHT_CODE, "index.py", "exec"), scope)
        ok = scope["handler"]({"headers": {"origin": "https://b.com"}}, None)
        other = scope["handler"]({"headers": {"origin": "https://evil.com"}}, None)
    assert ok["statusCode"] == 204
    assert ok["headers"]["Access-Control-Allow-Origin"] == "https://b.com"
    assert ok["headers"]["Access-Control-Allow-Credentials"] == "true"
    assert ok["headers"]["Access-Control-Allow-Methods"] == "GET,POST"
    assert "Access-Control-Allow-Origin" not in other["headers"]


def test_no_preflight_routes_without_auth_or_cors(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  a:\n    routes: { "ANY /{proxy+}": functions.items }\n'
               '    cors: { origins: ["https://a.com"] }\n'
               '  b:\n    routes: { "ANY /{proxy+}": functions.items }\n'
               f"    auth: {{ pool: {POOL}, audience: [c1] }}\n"
               '  c:\n    routes: { "ANY /{proxy+}": functions.items, "OPTIONS /{proxy+}": '
               'functions.items }\n' + CORS_AUTH)
    assert not _errors(b)
    res = _resources(b)
    assert not any("Preflight" in k for k in res)
    assert _routes(res, "ApisC")["OPTIONS /{proxy+}"].get("AuthorizationType") is None


def test_rest_cors_options_are_mock_without_auth(tmp_path: Path) -> None:
    b = _build(tmp_path, FN + 'apis:\n  r:\n    type: rest\n    routes: { "ANY /{proxy+}": '
               'functions.items, "GET /items": functions.items }\n' + CORS_AUTH)
    assert not _errors(b)
    res = _resources(b)
    options = [r["Properties"] for r in res.values() if r["Type"] == "AWS::ApiGateway::Method"
               and r["Properties"]["HttpMethod"] == "OPTIONS"]
    assert len(options) == 2
    assert all(o["AuthorizationType"] == "NONE" and o["Integration"]["Type"] == "MOCK"
               for o in options)


def test_preflight_check_catches_a_catch_all_route_without_an_open_options(tmp_path: Path) -> None:
    from cloudc.checks import CheckContext
    from cloudc.checks.apisites_output import check

    b = _build(tmp_path, FN + 'apis:\n  a:\n    routes: { "ANY /{proxy+}": functions.items }\n'
               + CORS_AUTH)
    assert b.ir is not None
    cx = CheckContext(b.resolved, b.config, b.ir)
    assert list(check(cx)) == []
    # What the output looked like before preflight routes: the check names the ANY route.
    del b.ir.resources["ApisARouteOptionsByProxyGreedy"]
    findings = list(check(cx))
    assert [(f.code, f.resource) for f in findings] == [("E3162", "ApisARouteAnyByProxyGreedy")]


def test_loop_check_catches_an_integration_to_the_apis_own_domain(tmp_path: Path) -> None:
    from cloudc.checks import CheckContext
    from cloudc.checks.apisites_output import check
    from cloudc.ir import Sub

    b = _build(tmp_path, "dns: { zone: acme.com }\n" + FN + 'apis:\n  a:\n'
               '    routes: { "GET /x": functions.items }\n    domain: api.acme.com\n')
    assert b.ir is not None
    cx = CheckContext(b.resolved, b.config, b.ir)
    assert list(check(cx)) == []
    integ = b.ir.resources["ApisAIntegrationItems"]
    integ.properties.update(IntegrationType="HTTP_PROXY",
                            IntegrationUri=Sub("https://api.acme.com/x"))
    assert [f.code for f in check(cx)] == ["E3163"]
