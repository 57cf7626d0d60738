"""ECS native blue/green: alternate target group, production listener rule, ECS's role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import all_resources, build

SERVICE = """\
network: { vpc: { nat: single } }
services:
  api:
    image: public.ecr.aws/docker/library/nginx:latest
    deployment: %s
"""


def _ref(value: Any) -> Any:
    return value.get("Ref") if isinstance(value, dict) else value


def test_blue_green_service(tmp_path: Path) -> None:
    b = build(tmp_path, SERVICE % "{ strategy: blue_green, bake_minutes: 20 }")
    assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
    res = all_resources(b)
    svc = res["ServicesApiService"]["Properties"]
    assert svc["DeploymentController"] == {"Type": "ECS"}
    assert svc["DeploymentConfiguration"] == {"Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 20}
    advanced = svc["LoadBalancers"][0]["AdvancedConfiguration"]
    assert _ref(advanced["AlternateTargetGroupArn"]) == "ServicesApiAlternateTargetGroup"
    assert _ref(advanced["ProductionListenerRule"]) == "ServicesApiProductionRule"
    blue = res["ServicesApiTargetGroup"]["Properties"]
    green = res["ServicesApiAlternateTargetGroup"]["Properties"]
    assert {k: v for k, v in green.items() if k != "Tags"} == \
        {k: v for k, v in blue.items() if k != "Tags"}
    rule = res["ServicesApiProductionRule"]["Properties"]
    assert _ref(rule["ListenerArn"]) == "ServicesApiHttpListener"
    groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
    assert [(_ref(g["TargetGroupArn"]), g["Weight"]) for g in groups] == [
        ("ServicesApiTargetGroup", 100), ("ServicesApiAlternateTargetGroup", 0)]
    role = res["ServicesApiInfrastructureRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs.amazonaws.com"}
    assert "AmazonECSInfrastructureRolePolicyForLoadBalancers" in str(role["ManagedPolicyArns"])


def test_rolling_is_the_default_and_unchanged(tmp_path: Path) -> None:
    b = build(tmp_path, SERVICE % "rolling")
    res = all_resources(b)
    svc = res["ServicesApiService"]["Properties"]
    assert "DeploymentController" not in svc
    assert svc["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True, "Rollback": True}
    assert "AdvancedConfiguration" not in svc["LoadBalancers"][0]
    assert "ServicesApiAlternateTargetGroup" not in res
