"""APIs, CDN and cost guard rails: behaviors, CloudFront Functions, Lambda@Edge, REST API keys,
usage plans, validation, budgets."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from helpers import JS, build
from helpers import all_resources as _resources
from helpers import error_lines as _errors

_build = partial(build, files={"fn/index.js": JS, "dist/index.html": "hi\n"})


def _dist(b: Any, site: str = "Web") -> dict[str, Any]:
    config: dict[str, Any] = _resources(b)[f"Sites{site}Distribution"]["Properties"][
        "DistributionConfig"]
    return config


# --- CloudFront: directory index, behaviors, origins ----------------------------------------


def _run_viewer_request(code: str, uri: str) -> str:
    """Run a CloudFront viewer-request function in node; return the request's new URI."""
    event = {"request": {"uri": uri, "headers": {"host": {"value": "example.com"}},
                         "querystring": {}}}
    script = code + f"\nvar out = handler({json.dumps(event)});\nprocess.stdout.write(out.uri);\n"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True,
                          timeout=30)
    return done.stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the function")
def test_directory_index_serves_index_html_of_folders(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites:\n  web: { source: ./dist, directory_index: true }\n")
    assert not _errors(b)
    fn = _resources(b)["SitesWebViewerRequest"]["Properties"]
    assert fn["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    code = fn["FunctionCode"]
    assert _run_viewer_request(code, "/about") == "/about/index.html"
    assert _run_viewer_request(code, "/about/") == "/about/index.html"
    assert _run_viewer_request(code, "/") == "/index.html"
    assert _run_viewer_request(code, "/blog/post-1") == "/blog/post-1/index.html"
    assert _run_viewer_request(code, "/assets/app.3f2a.js") == "/assets/app.3f2a.js"
    assoc = _dist(b)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert assoc == [{"EventType": "viewer-request", "FunctionARN": {
        "Fn::GetAtt": ["SitesWebViewerRequest", "FunctionMetadata.FunctionARN"]}}]


def test_spa_with_directory_index_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, "sites:\n  web: { source: ./dist, spa: true, directory_index: true }\n")
    assert any("E3270" in e for e in _errors(b))


def test_storage_bucket_origin_is_read_through_oac_by_this_distribution(tmp_path: Path) -> None:
    b = _build(tmp_path, (
        "storage:\n  media: {}\n"
        "sites:\n  web:\n    source: ./dist\n"
        "    behaviors: { \"/media/*\": { origin: storage.media } }\n"))
    assert not _errors(b)
    config = _dist(b)
    origin = next(o for o in config["Origins"] if o["Id"] == "storage-media")
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SitesWebOac", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    (behavior,) = config["CacheBehaviors"]
    assert behavior["TargetOriginId"] == "storage-media"
    assert behavior["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
    # the bucket's one policy moved beside the distribution it names (no stack cycle)
    assert "StorageMediaBucketPolicy" in b.nested["sites"]["Resources"]
    assert "StorageMediaBucketPolicy" not in b.nested["storage"]["Resources"]
    statements = _resources(b)["StorageMediaBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"]
    assert statements[0]["Sid"] == "DenyInsecureTransport"
    read = statements[1]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert read["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"][1] == {
        "d": {"Ref": "SitesWebDistribution"}}


def test_kms_bucket_cannot_be_an_origin(tmp_path: Path) -> None:
    b = _build(tmp_path, (
        "storage:\n  media: { encryption: kms }\n"
        "sites:\n  web:\n    source: ./dist\n"
        "    behaviors: { \"/media/*\": { origin: storage.media } }\n"))
    assert any("E3267" in e and "aws/s3" in e for e in _errors(b))


def test_ttl_makes_a_cache_policy_and_max_zero_has_no_cache_key(tmp_path: Path) -> None:
    b = _build(tmp_path, (
        "sites:\n  web:\n    source: ./dist\n    behaviors:\n"
        "      \"/assets/*\": { ttl: { min: 60, default: 3600, max: 86400 } }\n"
        "      \"/live/*\": { origin: \"https://live.example.com/v1/\", ttl: { default: 0, max: 0 } }\n"
        "      \"/cms/*\": { origin: \"https://cms.example.com\", ttl: { default: 30, max: 60 } }\n"))
    assert not _errors(b)
    res = _resources(b)
    assets = res["SitesWebCacheAssets"]["Properties"]["CachePolicyConfig"]
    assert (assets["MinTTL"], assets["DefaultTTL"], assets["MaxTTL"]) == (60, 3600, 86400)
    keys = assets["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["EnableAcceptEncodingGzip"] and keys["EnableAcceptEncodingBrotli"]
    live = res["SitesWebCacheLive"]["Properties"]["CachePolicyConfig"]
    live_keys = live["ParametersInCacheKeyAndForwardedToOrigin"]
    assert not live_keys["EnableAcceptEncodingGzip"]
    assert live_keys["QueryStringsConfig"] == {"QueryStringBehavior": "none"}
    cms = res["SitesWebCacheCms"]["Properties"]["CachePolicyConfig"]
    assert cms["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"] == {
        "QueryStringBehavior": "all"}  # an app's answers depend on its query string
    config = _dist(b)
    url = next(o for o in config["Origins"] if o["Id"] == "url-live-example-com")
    assert url["OriginPath"] == "/v1"  # CloudFront refuses a trailing slash
    assert url["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviors = {x["PathPattern"]: x for x in config["CacheBehaviors"]}
    assert behaviors["/assets/*"]["CachePolicyId"] == {"Ref": "SitesWebCacheAssets"}
    assert "OriginRequestPolicyId" not in behaviors["/assets/*"]
    assert behaviors["/cms/*"]["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_bad_ttl_order_is_refused(tmp_path: Path) -> None:
    b = _build(tmp_path, (
        "sites:\n  web:\n    source: ./dist\n"
        "    behaviors: { \"/a/*\": { ttl: { min: 100, default: 10 } } }\n"))
    assert _errors(b)


def test_user_function_and_site_rewrite_on_one_event_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, (
        "sites:\n  web:\n    source: ./dist\n    directory_index: true\n"
        "    behaviors: { \"/*\": { functions: { viewer-request: mine } } }\n"
        "    functions: { mine: { inline: \"function handler(event) { return event.request; }\" } }\n"))
    assert any("E3270" in e and "one function per event" in e for e in _errors(b))


def test_route_and_behavior_on_one_path_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, (
        "functions:\n  api: { code: ./fn }\n"
        "apis:\n  public: { routes: { \"GET /api/items\": functions.api } }\n"
        "sites:\n  web:\n    source: ./dist\n    routes: { \"/api/*\": apis.public }\n"
        "    behaviors: { \"api/*\": { cache: CachingDisabled } }\n"))
    assert any("E3267" in e for e in _errors(b))


# --- Lambda@Edge ------------------------------------------------------------------------------

_EDGE = (
    "functions:\n  gate: { code: ./fn, architecture: x86_64, memory: 128, timeout: 5 }\n"
    "sites:\n  web:\n    source: ./dist\n"
    "    behaviors: { \"/*\": { edge: { viewer-request: functions.gate } } }\n")


def test_edge_function_gets_a_version_and_an_edge_trusting_role(tmp_path: Path) -> None:
    b = _build(tmp_path, _EDGE)
    assert not _errors(b)
    res = _resources(b)
    version = res["SitesWebEdgeGateVersion"]
    assert version["Properties"]["FunctionName"] == {"Ref": "FunctionsGateFunction"}
    assert version["UpdateReplacePolicy"] == "Retain"
    trust = res["FunctionsGateRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert set(trust["Principal"]["Service"]) == {"lambda.amazonaws.com",
                                                  "edgelambda.amazonaws.com"}
    assoc = _dist(b)["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    assert assoc == [{"EventType": "viewer-request",
                      "LambdaFunctionARN": {"Ref": "SitesWebEdgeGateVersion"}}]


def test_edge_version_is_republished_when_the_code_changes(tmp_path: Path) -> None:
    # real zips (a dry build names assets by folder): the code's hash is in the digest
    first = _resources(_build(tmp_path / "a", _EDGE, dry=False))["SitesWebEdgeGateVersion"]
    changed = build(tmp_path / "b", _EDGE, files={"fn/index.js": JS + "// v2\n",
                                                   "dist/index.html": "hi\n"}, dry=False)
    second = _resources(changed)["SitesWebEdgeGateVersion"]
    # Description is create-only: a new value replaces the version, i.e. publishes a new one
    assert first["Properties"]["Description"] != second["Properties"]["Description"]
    again = _resources(_build(tmp_path / "c", _EDGE, dry=False))["SitesWebEdgeGateVersion"]
    assert again == first


def test_edge_function_with_link_env_is_refused(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage:\n  cfg: {}\n" + _EDGE.replace(
        "timeout: 5 }", "timeout: 5, link: [storage.cfg] }"))
    errors = _errors(b)
    assert any("E3271" in e and "environment variables" in e and "functions.gate.link" in e
               for e in errors)


def test_edge_function_in_another_region_needs_a_version_arn(tmp_path: Path) -> None:
    b = _build(tmp_path, _EDGE, region="eu-west-1")
    assert any("E3271" in e and "us-east-1" in e for e in _errors(b))
    arn = "arn:aws:lambda:us-east-1:123456789012:function:gate:3"
    ok = _build(tmp_path / "arn", _EDGE.replace("functions.gate", f'"{arn}"'), region="eu-west-1")
    assert not _errors(ok)
    assoc = _dist(ok)["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    assert assoc == [{"EventType": "viewer-request", "LambdaFunctionARN": arn}]


# --- REST APIs: keys, plans, IAM, validation --------------------------------------------------

_REST = (
    "functions:\n  items: { code: ./fn }\n  caller: { code: ./fn, link: [apis.partner] }\n"
    "apis:\n  partner:\n    type: rest\n"
    "    routes: { \"GET /items\": functions.items, \"POST /items\": functions.items }\n"
    "    usage_plans:\n"
    "      free: { throttle: { rate: 5, burst: 10 }, quota: { limit: 100, period: day },"
    " consumers: [acme] }\n"
    "    route_options:\n"
    "      \"GET /items\": { api_key_required: true, params: { querystring: [page] } }\n"
    "      \"POST /items\": { iam: true, body: { type: object, required: [name] } }\n")


def test_api_keys_are_generated_by_api_gateway_and_their_ids_output(tmp_path: Path) -> None:
    b = _build(tmp_path, _REST)
    assert not _errors(b)
    res = _resources(b)
    key = res["ApisPartnerKeyAcme"]["Properties"]
    assert "Value" not in key and key["Enabled"] is True
    assert res["ApisPartnerPlanFreeKeyAcme"]["Properties"] == {
        "KeyId": {"Ref": "ApisPartnerKeyAcme"}, "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "ApisPartnerPlanFree"}}
    plan = res["ApisPartnerPlanFree"]["Properties"]
    assert plan["ApiStages"] == [{"ApiId": {"Ref": "ApisPartnerApi"},
                                  "Stage": {"Ref": "ApisPartnerStage"}}]
    assert plan["Throttle"] == {"RateLimit": 5, "BurstLimit": 10}
    assert plan["Quota"] == {"Limit": 100, "Period": "DAY"}
    assert "ApisPartnerKeyAcmeId" in b.root["Outputs"]


def test_iam_route_validation_and_key_requirement(tmp_path: Path) -> None:
    b = _build(tmp_path, _REST)
    res = _resources(b)
    get = res["ApisPartnerMethodGetItems"]["Properties"]
    assert get["ApiKeyRequired"] is True and get["AuthorizationType"] == "NONE"
    assert get["RequestParameters"] == {"method.request.querystring.page": True}
    assert get["RequestValidatorId"] == {"Ref": "ApisPartnerValidateParams"}
    post = res["ApisPartnerMethodPostItems"]["Properties"]
    assert post["AuthorizationType"] == "AWS_IAM"
    assert post["RequestModels"] == {"application/json": {"Ref": "ApisPartnerModelPostItems"}}
    model = res["ApisPartnerModelPostItems"]["Properties"]
    assert model["Schema"]["required"] == ["name"]
    assert model["Schema"]["$schema"].startswith("http://json-schema.org/draft-04/")
    validator = res["ApisPartnerValidateBody"]["Properties"]
    assert validator["ValidateRequestBody"] and not validator["ValidateRequestParameters"]
    policy = res["FunctionsCallerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert any(st["Action"] == ["execute-api:Invoke"] for st in policy["Statement"])


def test_a_schema_change_deploys_the_api(tmp_path: Path) -> None:
    first = [k for k in _resources(_build(tmp_path / "a", _REST)) if "Deployment" in k]
    changed = _REST.replace("required: [name]", "required: [name, price]")
    second = [k for k in _resources(_build(tmp_path / "b", changed)) if "Deployment" in k]
    assert first != second


def test_api_key_without_usage_plan_is_an_error(tmp_path: Path) -> None:
    body = _REST.replace("    usage_plans:\n", "    x_plans:\n").split("    x_plans:")[0] + (
        "    route_options: { \"GET /items\": { api_key_required: true } }\n")
    b = _build(tmp_path, body)
    assert any("E3269" in e for e in _errors(b))


# --- budgets ---------------------------------------------------------------------------------

_BUDGET = (
    "topics:\n  alerts: {}\n"
    "budgets:\n  monthly:\n    amount: 100\n"
    "    notify: [{ email: ops@example.com }, topics.alerts]\n"
    "environments:\n  staging:\n    budgets: { monthly: { amount: 10 } }\n")


@pytest.mark.parametrize(("env", "amount"), [("production", 100), ("staging", 10)])
def test_budget_per_environment_filtered_by_tags(tmp_path: Path, env: str, amount: int) -> None:
    b = _build(tmp_path, _BUDGET, env)
    assert not _errors(b)
    budget = _resources(b)["BudgetsMonthlyBudget"]["Properties"]
    data = budget["Budget"]
    assert data["BudgetLimit"] == {"Amount": amount, "Unit": "USD"}
    assert data["BudgetName"] == f"demo-{env}-monthly"
    assert data["FilterExpression"] == {"And": [
        {"Tags": {"Key": "project", "Values": ["demo"], "MatchOptions": ["EQUALS"]}},
        {"Tags": {"Key": "environment", "Values": [env], "MatchOptions": ["EQUALS"]}}]}
    kinds = [(n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
             for n in budget["NotificationsWithSubscribers"]]
    assert kinds == [("ACTUAL", 80), ("FORECASTED", 100)]
    subs = budget["NotificationsWithSubscribers"][0]["Subscribers"]
    assert [s["SubscriptionType"] for s in subs] == ["EMAIL", "SNS"]


def test_budget_topic_lets_budgets_publish(tmp_path: Path) -> None:
    b = _build(tmp_path, _BUDGET)
    res = _resources(b)
    statements = res["TopicsAlertsBudgetsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    publish = next(s for s in statements if s["Sid"] == "BudgetsPublish")
    assert publish["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert publish["Action"] == "SNS:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    key = res["TopicsAlertsKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "budgets.amazonaws.com"} for s in key)
    assert res["TopicsAlertsTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "TopicsAlertsKey"}


def test_budget_account_scope_has_no_filter_and_silent_alert_is_an_error(tmp_path: Path) -> None:
    b = _build(tmp_path, "budgets:\n  all: { amount: 5, scope: account, notify: [{ email: a@b.co }] }\n")
    assert "FilterExpression" not in _resources(b)["BudgetsAllBudget"]["Properties"]["Budget"]
    silent = _build(tmp_path / "s", "budgets:\n  all: { amount: 5 }\n")
    assert any("E3265" in e for e in _errors(silent))


def test_budgets_where_cloudformation_has_no_budget_type(tmp_path: Path) -> None:
    body = "budgets:\n  all: { amount: 5, notify: [{ email: a@b.co }] }\n"
    assert any("E3272" in e for e in _errors(_build(tmp_path, body, region="eu-north-1")))
    assert not _errors(_build(tmp_path / "ok", body, region="eu-west-1"))


def test_usage_plans_without_a_keyed_route_warn(tmp_path: Path) -> None:
    body = _REST.replace("api_key_required: true, ", "")
    b = _build(tmp_path, body)
    assert not _errors(b)
    assert any(d.code == "W3266" for d in b.diagnostics.items)
    assert not any(d.code == "W3266" for d in _build(tmp_path / "k", _REST).diagnostics.items)


def test_cloudfront_function_and_lambda_edge_on_one_event_are_refused(tmp_path: Path) -> None:
    both = _EDGE.replace(
        "{ edge: { viewer-request: functions.gate } }",
        "{ edge: { viewer-request: functions.gate }, functions: { viewer-request: mine } }",
    ) + "    functions: { mine: { inline: \"function handler(event) { return event.request; }\" } }\n"
    assert any("E3270" in e and "Lambda@Edge" in e for e in _errors(_build(tmp_path, both)))
    rewrite = _EDGE.replace("    source: ./dist\n", "    source: ./dist\n    directory_index: true\n")
    errors = _errors(_build(tmp_path / "r", rewrite))
    assert any("E3270" in e and "behaviors./*.edge.viewer-request" in e for e in errors)
