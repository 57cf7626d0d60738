"""auth: Cognito pools, triggers without cycles, clients, providers and identity pools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import build as _build
from helpers import error_lines as _errors


def _res(build: Any, stack: str = "auth") -> dict[str, Any]:
    return build.nested[stack]["Resources"]


def _iam_text(build: Any) -> str:
    return json.dumps([build.root, build.nested])


POOL = "auth:\n  users:\n    clients: { web: { callback_urls: ['https://a.example.com/cb'] } }\n"


def test_pool_defaults_attrs_and_retention(tmp_path: Path) -> None:
    b = _build(tmp_path, POOL + "outputs: { issuer: '${auth.users.issuer}', "
                               "pool: '${auth.users.pool_arn}' }\n")
    assert not _errors(b)
    pool = _res(b)["AuthUsersPool"]
    assert pool["DeletionPolicy"] == "RetainExceptOnCreate" and pool["UpdateReplacePolicy"] == "Retain"
    props = pool["Properties"]
    assert props["MfaConfiguration"] == "OFF"
    assert props["DeletionProtection"] == "ACTIVE"
    assert props["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert props["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    client = _res(b)["AuthUsersClientWeb"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert _res(b)["AuthUsersDomain"]["Properties"]["Domain"] == {
        "Fn::Sub": "demo-production-users-${AWS::AccountId}-${AWS::Region}"}
    issuer = b.root["Outputs"]["Issuer"]["Value"]
    assert "cognito-idp.${AWS::Region}.amazonaws.com/${Pool}" in json.dumps(issuer)


def test_staging_pool_not_retained(tmp_path: Path) -> None:
    b = _build(tmp_path, POOL, env="staging")
    pool = _res(b)["AuthUsersPool"]
    assert "DeletionPolicy" not in pool
    assert pool["Properties"]["DeletionProtection"] == "INACTIVE"


def test_mfa_off_read_from_yaml_boolean(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth: { users: { mfa: off } }\n")
    assert not _errors(b)
    b = _build(tmp_path, "auth: { users: { mfa: required } }\n")
    props = _res(b)["AuthUsersPool"]["Properties"]
    assert props["MfaConfiguration"] == "ON" and props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_sms_mfa_is_a_clear_error(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth: { users: { mfa: optional, mfa_methods: [sms] } }\n")
    assert any("SMS MFA is not supported" in e for e in _errors(b))


def test_trigger_and_link_make_no_cycle(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions:\n  hook: { code: ./fn, link: [auth.users] }\n"
                         "  api: { code: ./fn, link: [{ to: auth.users, access: read }] }\n"
                         "auth:\n  users: { triggers: { pre_sign_up: functions.hook, "
                         "post_confirmation: functions.hook } }\n")
    assert not _errors(b)
    config = _res(b)["AuthUsersPool"]["Properties"]["LambdaConfig"]
    assert set(config) == {"PreSignUp", "PostConfirmation"}
    assert "Fn::Sub" in config["PreSignUp"]  # by computed ARN: no dependency on functions
    fns = _res(b, "functions")
    perm = fns["AuthUsersPreSignUpPermission"]["Properties"]
    assert perm["Principal"] == "cognito-idp.amazonaws.com"
    assert perm["FunctionName"] == {"Ref": "FunctionsHookFunction"}
    env = fns["FunctionsHookFunction"]["Properties"]["Environment"]["Variables"]
    assert env["AUTH_USERS_POOL_ID"] == {"Ref": "AuthUsersPool"}
    api = json.dumps(fns["FunctionsApiRole"]["Properties"]["Policies"])
    assert "cognito-idp:AdminGetUser" in api and "AdminCreateUser" not in api
    hook = json.dumps(fns["FunctionsHookRole"]["Properties"]["Policies"])
    assert "cognito-idp:AdminCreateUser" in hook


def test_unknown_trigger_function(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions: { hook: { code: ./fn } }\n"
                         "auth: { users: { triggers: { pre_sign_up: functions.hok } } }\n")
    errors = _errors(b)
    assert any("functions.hok" in e and "E3001" in e for e in errors), errors


def test_literal_provider_secret_rejected(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth:\n  users:\n    social:\n      google: { client_id: x, "
                         "client_secret: hunter2 }\n")
    errors = _errors(b)
    assert any("client_secret" in e and "E3005" in e for e in errors), errors


def test_provider_secret_reference(tmp_path: Path) -> None:
    b = _build(tmp_path, POOL + "    social:\n      google: { client_id: x, "
                                "client_secret: '${ssm:/demo/google}' }\n")
    assert not _errors(b)
    details = _res(b)["AuthUsersProviderGoogle"]["Properties"]["ProviderDetails"]
    assert details["client_secret"] == "{{resolve:ssm:/demo/google}}"
    client = _res(b)["AuthUsersClientWeb"]
    assert client["Properties"]["SupportedIdentityProviders"] == ["COGNITO", "Google"]
    assert "AuthUsersProviderGoogle" in client["DependsOn"]


def test_client_credentials_needs_secret_and_server_scopes(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth: { users: { clients: { m2m: { flows: [client_credentials] } } } }\n")
    errors = " ".join(_errors(b))
    assert "generate_secret" in errors and "resource-server" in errors
    b = _build(tmp_path, "auth: { users: { clients: { m2m: { flows: [client_credentials], "
                         "generate_secret: true, scopes: [api/read] } } } }\n")
    assert not _errors(b)
    server = _res(b)["AuthUsersServerApi"]["Properties"]
    assert server["Identifier"] == "api" and server["Scopes"][0]["ScopeName"] == "read"


def test_callback_urls_must_be_https(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth: { users: { clients: { web: { callback_urls: "
                         "['http://acme.com/cb'] } } } }\n")
    assert any("must use https" in e for e in _errors(b))


def test_ses_sender_must_be_declared(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth: { users: { email: { from: no-reply@acme.com } } }\n")
    assert any("not on a domain declared in `email`" in e for e in _errors(b))
    b = _build(tmp_path, "email: { acme.com: {} }\n"
                         "auth: { users: { email: { from: no-reply@acme.com, name: Acme } } }\n")
    assert not _errors(b)
    conf = _res(b)["AuthUsersPool"]["Properties"]["EmailConfiguration"]
    assert conf["EmailSendingAccount"] == "DEVELOPER"
    assert conf["From"] == "Acme <no-reply@acme.com>"


def test_custom_domain_needs_us_east_1(tmp_path: Path) -> None:
    b = _build(tmp_path, "auth: { users: { domain: login.acme.com } }\n", region="eu-west-1")
    assert any("us-east-1" in e for e in _errors(b))
    b = _build(tmp_path, "dns: { zone: acme.com }\nauth: { users: { domain: login.acme.com } }\n")
    assert not _errors(b)
    res = _res(b)
    assert res["AuthUsersDomain"]["Properties"]["CustomDomainConfig"] == {
        "CertificateArn": {"Ref": "AuthUsersCertificate"}}
    assert res["AuthUsersRecordLoginAcmeComA"]["Properties"]["AliasTarget"]["HostedZoneId"] \
        == "Z2FDTNDATAQYW2"


def test_identity_pool_role_has_no_wildcards(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { uploads: {} }\n" + POOL
               + "    identity_pool: { link: [{ to: storage.uploads, access: write }] }\n")
    assert not _errors(b)
    role = _res(b)["AuthUsersAuthenticatedRole"]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"] == {
        "Ref": "AuthUsersIdentityPool"}
    text = json.dumps(role["Policies"])
    assert "s3:PutObject" in text and '"*"' not in text
    assert '"Resource": "*"' not in _iam_text(b) and '"Action": "*"' not in _iam_text(b)
