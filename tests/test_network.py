"""network: the VPC plan, NAT, endpoints, flow logs and the default VPC of require_vpc."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudc.compile import compile_config
from cloudc.lower.network import subnet_cidrs


def _build(tmp_path: Path, body: str, env: str = "production") -> Any:
    cfg = tmp_path / "cloud.yaml"
    cfg.write_text("project: { name: Net, region: us-east-1 }\n" + body, encoding="utf-8")
    return compile_config(cfg, env)


def _codes(build: Any) -> list[str]:
    return [d.code for d in build.diagnostics.sorted()]


def test_subnet_slots_stay_put_when_zones_are_added() -> None:
    two, three = subnet_cidrs("10.0.0.0/16", 2), subnet_cidrs("10.0.0.0/16", 3)
    for tier in ("public", "private", "isolated"):
        assert three[tier][:2] == two[tier]
    assert three["private"][2] == "10.0.32.0/20"


def test_subnets_never_overlap() -> None:
    import ipaddress

    plan = subnet_cidrs("10.20.0.0/18", 6)
    nets = [ipaddress.ip_network(c) for tier in plan.values() for c in tier]
    for i, a in enumerate(nets):
        assert a.subnet_of(ipaddress.ip_network("10.20.0.0/18"))
        for b in nets[i + 1:]:
            assert not a.overlaps(b)


def test_default_network_has_no_nat_and_gateway_endpoints(tmp_path: Path) -> None:
    build = _build(tmp_path, "network: { vpc: { zones: 2 } }\n")
    assert not build.diagnostics.errors
    res = build.nested["network"]["Resources"]
    types = [r["Type"] for r in res.values()]
    assert "AWS::EC2::NatGateway" not in types
    assert types.count("AWS::EC2::Subnet") == 6
    assert res["NetworkS3Endpoint"]["Properties"]["VpcEndpointType"] == "Gateway"
    assert len(res["NetworkDynamodbEndpoint"]["Properties"]["RouteTableIds"]) == 4
    assert res["NetworkPublicSubnet1"]["Properties"]["AvailabilityZone"] == {
        "Fn::Select": [0, {"Fn::GetAZs": ""}]}
    routes = [k for k, r in res.items() if r["Type"] == "AWS::EC2::Route"]
    assert routes == ["NetworkPublicDefaultRoute"]  # private subnets stay offline


def test_single_nat_warns_and_routes_every_private_table(tmp_path: Path) -> None:
    build = _build(tmp_path, "network:\n  vpc: { zones: 3, nat: single }\n")
    res = build.nested["network"]["Resources"]
    assert "W1002" in _codes(build)
    warn = next(d for d in build.diagnostics.sorted() if d.code == "W1002")
    assert warn.origin is not None and warn.origin.line == 3
    assert [k for k in res if k.startswith("NetworkNatGateway")] == ["NetworkNatGateway1"]
    for z in (1, 2, 3):
        assert res[f"NetworkPrivateRoute{z}"]["Properties"]["NatGatewayId"] == {
            "Ref": "NetworkNatGateway1"}


def test_per_zone_nat(tmp_path: Path) -> None:
    build = _build(tmp_path, "network:\n  vpc: { zones: 2, nat: per-zone }\n")
    res = build.nested["network"]["Resources"]
    assert res["NetworkPrivateRoute2"]["Properties"]["NatGatewayId"] == {
        "Ref": "NetworkNatGateway2"}


def test_flow_logs_role_is_scoped(tmp_path: Path) -> None:
    build = _build(tmp_path, "network: { flow_logs: true }\n")
    res = build.nested["network"]["Resources"]
    policy = res["NetworkFlowLogsRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    for st in policy["Statement"]:
        assert "*" not in st["Resource"]
    assert res["NetworkFlowLog"]["Properties"]["ResourceType"] == "VPC"


def test_bad_cidr_is_a_diagnostic(tmp_path: Path) -> None:
    build = _build(tmp_path, "network:\n  vpc: { cidr: 10.0.0.1/16 }\n")
    assert "E2005" in _codes(build)
    build = _build(tmp_path, "network:\n  vpc: { cidr: 10.0.0.0/26 }\n")
    assert "E2005" in _codes(build)


def test_require_vpc_creates_the_default_once_with_a_note(tmp_path: Path) -> None:
    build = _build(tmp_path, "servers:\n  a: {}\n  b: {}\n", env="staging")
    assert not build.diagnostics.errors
    notes = [d for d in build.diagnostics.sorted()
             if d.code == "I1001" and "default VPC" in d.message]
    assert len(notes) == 1 and notes[0].path == ("servers", "a")
    assert build.nested["network"]["Resources"]["NetworkVpc"]["Properties"]["CidrBlock"] == \
        "10.0.0.0/16"
