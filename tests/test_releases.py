"""Function releases: every caller invokes the alias; versions follow the function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers import all_resources, build

EVERY_CALLER = """\
storage: { uploads: {} }
queues: { jobs: { visibility_timeout: 60 }, failed: {} }
topics: { orders: { subscribers: [functions.api] } }
functions:
  api:
    code: ./fn
    release: { strategy: canary }
    url: { auth: none }
    events:
      - queue: jobs
      - topic: orders
      - schedule: rate(1 hour)
      - bucket: { name: uploads }
  other:
    code: ./fn
    destinations: { on_success: functions.api }
apis:
  public: { routes: { "GET /": functions.api } }
schedules:
  nightly: { cron: "0 3 * * ? *", target: functions.api }
auth:
  users: { triggers: { pre_sign_up: functions.api } }
"""
ALIAS = ":function:demo-production-api:live"


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_every_invoker_names_the_alias(tmp_path: Path) -> None:
    b = build(tmp_path, EVERY_CALLER)
    assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
    res = all_resources(b)
    callers = {lid: r for lid, r in res.items() if r["Type"] in (
        "AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping", "AWS::SNS::Subscription",
        "AWS::Events::Rule", "AWS::Scheduler::Schedule", "AWS::ApiGatewayV2::Integration",
        "AWS::Lambda::EventInvokeConfig")}
    assert len(callers) >= 10
    for lid, r in callers.items():
        props = r["Properties"]
        if r["Type"] == "AWS::SNS::Subscription" and props.get("Protocol") != "lambda":
            continue
        if r["Type"] == "AWS::Lambda::EventInvokeConfig":  # `other`'s destination is api
            assert "FunctionsApiAlias" in _text(props["DestinationConfig"]), lid
            continue
        text = _text(props)
        assert ALIAS in text or '{"Ref": "FunctionsApiAlias"}' in text \
            or "FunctionsApiAlias" in text, (lid, text)
    notif = res["StorageUploadsBucket"]["Properties"]["NotificationConfiguration"]
    assert ALIAS in _text(notif)
    url = res["FunctionsApiUrl"]["Properties"]
    assert url["Qualifier"] == "live"
    pool = next(r for r in res.values() if r["Type"] == "AWS::Cognito::UserPool")
    assert ALIAS in _text(pool["Properties"]["LambdaConfig"])


def test_version_changes_exactly_when_the_function_does(tmp_path: Path) -> None:
    base = "functions:\n  api: { code: ./fn, release: true, memory: %d }\n"

    def description(memory: int, where: Path) -> str:
        b = build(where, base % memory, dry=False)
        assert not b.diagnostics.has_errors
        props = all_resources(b)["FunctionsApiVersion"]["Properties"]
        return str(props["Description"])

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    one, same, other = (description(512, tmp_path / "a"), description(512, tmp_path / "b"),
                        description(1024, tmp_path / "c"))
    assert one == same
    assert one != other


def test_all_at_once_has_no_codedeploy(tmp_path: Path) -> None:
    b = build(tmp_path, "functions:\n  api: { code: ./fn, release: true, "
                        "provisioned_concurrency: 3 }\n")
    res = all_resources(b)
    assert not [r for r in res.values() if r["Type"].startswith("AWS::CodeDeploy::")]
    alias = res["FunctionsApiAlias"]
    assert "UpdatePolicy" not in alias
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": 3}
    assert res["FunctionsApiVersion"]["DeletionPolicy"] == "Retain"


def test_provisioned_concurrency_without_release_is_an_error(tmp_path: Path) -> None:
    b = build(tmp_path, "functions:\n  api: { code: ./fn, provisioned_concurrency: 3 }\n")
    assert [d.code for d in b.diagnostics.errors] == ["E3250"]


def test_a_new_layer_version_publishes_a_new_function_version(tmp_path: Path) -> None:
    """A changed layer is a new LayerVersion (a new ARN in Layers at deploy time, the same
    `Ref` at compile time): the alias must move to a version that runs it."""
    config = "functions:\n  api: { code: ./fn, release: true, layers: [./layer] }\n"

    def description(where: Path, layer_text: str) -> str:
        (where / "layer").mkdir(parents=True)
        (where / "layer" / "lib.js").write_text(layer_text)
        b = build(where, config, dry=False)
        assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
        return str(all_resources(b)["FunctionsApiVersion"]["Properties"]["Description"])

    one = description(tmp_path / "a", "exports.v = 1;\n")
    same = description(tmp_path / "b", "exports.v = 1;\n")
    other = description(tmp_path / "c", "exports.v = 2;\n")
    assert one == same
    assert one != other


def test_a_public_url_allows_both_url_actions_on_the_alias(tmp_path: Path) -> None:
    """Since October 2025 a new public function URL needs lambda:InvokeFunctionUrl and
    lambda:InvokeFunction (the latter only through the URL); both name the alias."""
    b = build(tmp_path, "functions:\n  api: { code: ./fn, release: true, url: { auth: none } }\n")
    res = all_resources(b)
    perms = {r["Properties"]["Action"]: r["Properties"] for r in res.values()
             if r["Type"] == "AWS::Lambda::Permission"}
    assert perms["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    invoke = perms["lambda:InvokeFunction"]
    assert invoke["Principal"] == "*" and invoke["InvokedViaFunctionUrl"] is True
    for p in perms.values():
        assert "FunctionsApiAlias" in _text(p["FunctionName"])
