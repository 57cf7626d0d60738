"""secrets: generated values, ssm/arn references, dynamic references; no value in any output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from a2_helpers import build, codes, dump, no_wildcards, resources

APP = """\
secrets:
  api_key: { generate: { length: 40, exclude_punctuation: true } }
  db: { generate: { key: password, template: { username: app } } }
  stripe: { ssm: /demo/stripe-key }
  legacy: { arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:legacy" }
functions:
  api:
    code: ./fn
    link: [secrets.api_key, secrets.stripe, secrets.legacy]
    environment:
      DB_PASSWORD: "${secret:db.password}"
      URL: "postgres://app:${secret:db.password}@db.example.com/app"
      STRIPE: "${ssm:/demo/stripe-key}"
"""


def test_generated_secret(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    sec = b.nested["secrets"]["Resources"]["SecretsDbSecret"]
    assert sec["DeletionPolicy"] == "RetainExceptOnCreate"
    gen = sec["Properties"]["GenerateSecretString"]
    assert gen["GenerateStringKey"] == "password"
    assert json.loads(gen["SecretStringTemplate"]) == {"username": "app"}
    assert sec["Properties"]["Name"] == "demo/production/db"
    assert "SecretString" not in sec["Properties"]


def test_dynamic_references(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    env = resources(b)["FunctionsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DB_PASSWORD"] == {"Fn::Sub": [
        "{{resolve:secretsmanager:${Secret}:SecretString:password::}}",
        {"Secret": "demo/production/db"}]}
    assert "{{resolve:secretsmanager:" in json.dumps(env["URL"])
    assert env["SECRETS_LEGACY_ARN"].endswith(":secret:legacy")
    assert "SECRETS_API_KEY_VALUE" not in env  # functions read the value by ARN at run time


def test_grants_are_scoped(tmp_path: Path) -> None:
    b = build(tmp_path, APP)
    role = resources(b)["FunctionsApiRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    by_action: dict[tuple[str, ...], list[object]] = {}
    for st in statements:
        by_action.setdefault(tuple(st["Action"]), []).extend(st["Resource"])
    sm = by_action[("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")]
    text = json.dumps(sm)
    assert "secret:demo/production/api_key-??????" in text
    assert "secret:legacy-??????" in text  # a partial ARN gets the random suffix
    ssm = by_action[("ssm:GetParameter", "ssm:GetParameters")]
    assert ssm[0]["Fn::Sub"].endswith(":parameter/demo/stripe-key")
    assert not any("kms:" in a for st in statements for a in st["Action"])
    no_wildcards(b)


def test_references_create_no_resources(tmp_path: Path) -> None:
    b = build(tmp_path, """\
secrets:
  stripe: { ssm: /demo/stripe-key }
  legacy: { arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:legacy-AbCdEf" }
functions:
  api: { code: ./fn, environment: { KEY: "${secret:legacy.token}" } }
""")
    assert not b.diagnostics.has_errors
    assert "secrets" not in b.nested
    env = resources(b)["FunctionsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["KEY"] == ("{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:"
                          "123456789012:secret:legacy-AbCdEf:SecretString:token::}}")


def test_no_secret_value_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values live only in AWS: even if the build could reach them, no output holds one."""
    sentinel = "s3cr3t-PLAINTEXT-7f2a9c"

    class Fake:
        def __getattr__(self, name: str) -> object:
            return lambda *a, **k: {"SecretString": sentinel, "Parameter": {"Value": sentinel}}

    try:
        import boto3

        monkeypatch.setattr(boto3, "client", lambda *a, **k: Fake())
    except ImportError:
        pass
    monkeypatch.setenv("STRIPE_KEY", sentinel)
    text = ""
    for env in ("production", "staging", "development"):
        b = build(tmp_path, APP, env=env)
        assert not b.diagnostics.has_errors, b.diagnostics.sorted()
        text += dump(b)
    assert sentinel not in text
    assert "{{resolve:" in text
    for m in re.finditer(r"\{\{resolve:([a-z-]+):", text):
        assert m.group(1) in ("secretsmanager", "ssm-secure", "ssm")
    # No secret is created with a literal value: AWS generates every one.
    assert '"SecretString"' not in text


def test_bad_secrets_are_diagnostics(tmp_path: Path) -> None:
    b = build(tmp_path, """\
secrets:
  a: { generate: {}, rotation_days: 30 }
  b: { generate: { template: { user: app } } }
  c: { arn: "arn:aws:s3:::bucket" }
  d: { ssm: /x }
functions:
  api: { code: ./fn, environment: { X: "${secret:d.key}" } }
""")
    assert sorted(codes(b)) == ["E2005", "E3005", "E3005", "E3005"], b.diagnostics.sorted()


def test_arn_with_pseudo_parameters(tmp_path: Path) -> None:
    b = build(tmp_path, """\
secrets:
  legacy: { arn: "arn:aws:secretsmanager:${region}:${account}:secret:legacy" }
functions:
  api: { code: ./fn, link: [secrets.legacy], environment: { TOKEN: "${secret:legacy.k}" } }
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    fn = resources(b)["FunctionsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert fn["TOKEN"] == {"Fn::Sub": "{{resolve:secretsmanager:arn:aws:secretsmanager:"
                                      "${AWS::Region}:${AWS::AccountId}:secret:legacy"
                                      ":SecretString:k::}}"}
    role = json.dumps(resources(b)["FunctionsApiRole"]["Properties"])
    assert "${AWS::AccountId}:secret:legacy-??????" in role


def test_a_secret_with_no_source_is_created_empty_and_never_written(tmp_path: Path) -> None:
    """`stripe_key: {}`: CloudFormation makes it empty and, with no value property, no update
    ever overwrites what `cloudc secrets set` stored."""
    b = build(tmp_path, """\
secrets:
  stripe_key: {}
functions:
  api: { code: ./fn, link: [secrets.stripe_key] }
""")
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    res = resources(b)["SecretsStripeKeySecret"]
    assert res["Properties"] == {
        "Name": "demo/production/stripe_key",
        "Description": "set with: cloudc secrets set --env production stripe_key -",
        "Tags": res["Properties"]["Tags"]}
    env = resources(b)["FunctionsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert "SECRETS_STRIPE_KEY_ARN" in env
    assert res["DeletionPolicy"] == "RetainExceptOnCreate"  # production keeps what was set


def test_a_secret_takes_at_most_one_source(tmp_path: Path) -> None:
    b = build(tmp_path, "secrets:\n  a: { generate: {}, ssm: /x }\n")
    assert any("at most one of generate, ssm, arn" in d.message for d in b.diagnostics.items)


def test_an_empty_secret_read_at_deploy_or_task_start_warns(tmp_path: Path) -> None:
    b = build(tmp_path, """\
network: { vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none } }
secrets:
  stripe_key: {}
  jwt: { generate: {} }
functions:
  api: { code: ./fn, link: [secrets.stripe_key], environment: { KEY: "${secret:stripe_key}" } }
  ok: { code: ./fn, link: [secrets.stripe_key], environment: { J: "${secret:jwt}" } }
services:
  web: { image: nginx:1, port: 80, cpu: 256, memory: 512, link: [secrets.stripe_key] }
""")
    found = [d for d in b.diagnostics.items if d.code == "W3220"]
    assert len(found) == 2, b.diagnostics.sorted()
    assert "functions.api resolves it during the deploy" in found[0].message + found[1].message
    assert "services.web injects it into its containers" in found[0].message + found[1].message
