"""network: the VPC plan, NAT, endpoints, flow logs and the default VPC of require_vpc."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from helpers import build

from cloudc.lower.network import subnet_cidrs

_build = partial(build, name="Net", files={}, dry=False)


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


# --- network paths: VPC endpoints for compute in private subnets without NAT ---------------


def _app(tmp_path: Path, body: str, env: str = "production") -> Any:
    """Build a config whose functions use ./fn as code."""
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "index.js").write_text("exports.handler = async () => ({});\n")
    return _build(tmp_path, body, env)


def _resources(build: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for doc in build.nested.values():
        out.update(doc["Resources"])
    return out


def _endpoints(build: Any) -> dict[str, Any]:
    """Return the interface endpoints, by service name suffix."""
    out = {}
    for r in _resources(build).values():
        if r["Type"] == "AWS::EC2::VPCEndpoint" and \
                r["Properties"]["VpcEndpointType"] == "Interface":
            out[r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[-1]
                if "ecr" not in r["Properties"]["ServiceName"]["Fn::Sub"]
                else r["Properties"]["ServiceName"]["Fn::Sub"].split("}.", 1)[1]] = r
    return out


def _one(build: Any, code: str) -> Any:
    found = [d for d in build.diagnostics.sorted() if d.code == code]
    assert len(found) == 1, [d.text() for d in build.diagnostics.sorted()]
    return found[0]


NO_NAT = "network:\n  vpc: { zones: 2, nat: none }\n"


def test_vpc_function_linked_to_a_secret_gets_its_endpoint(tmp_path: Path) -> None:
    build = _app(tmp_path, NO_NAT + (
        "secrets:\n  token: { generate: { length: 32 } }\n"
        "functions:\n  api: { code: ./fn, vpc: true, link: [secrets.token] }\n"))
    assert not build.diagnostics.errors
    ep = _endpoints(build)["secretsmanager"]["Properties"]
    assert ep["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.secretsmanager"}
    assert ep["PrivateDnsEnabled"] is True
    assert ep["SubnetIds"] == [{"Ref": "NetworkPrivateSubnet1"}, {"Ref": "NetworkPrivateSubnet2"}]
    sg = build.nested["network"]["Resources"]["NetworkEndpointsSecurityGroup"]["Properties"]
    assert sg["SecurityGroupIngress"] == [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                           "CidrIp": "10.0.0.0/16",
                                           "Description": "HTTPS from the VPC"}]
    assert ep["SecurityGroupIds"] == [{"Fn::GetAtt": ["NetworkEndpointsSecurityGroup",
                                                      "GroupId"]}]
    vpc = build.nested["network"]["Resources"]["NetworkVpc"]["Properties"]
    assert vpc["EnableDnsSupport"] is True and vpc["EnableDnsHostnames"] is True
    warn = _one(build, "W3150")
    assert warn.path == ("network", "vpc", "nat") and warn.origin.line == 3
    assert "$14.60 a month" in warn.message and "network.endpoints: [secretsmanager]" in warn.hint


def test_vpc_function_linked_to_a_queue_gets_sqs_but_an_event_source_alone_does_not(
        tmp_path: Path) -> None:
    build = _app(tmp_path, NO_NAT + (
        "queues:\n  jobs: {}\n  work: { visibility_timeout: 60 }\n"
        "functions:\n"
        "  api: { code: ./fn, vpc: true, link: [{ to: queues.jobs, access: write }] }\n"
        "  worker: { code: ./fn, vpc: true, events: [{ queue: work }] }\n"))
    assert not build.diagnostics.errors
    assert sorted(_endpoints(build)) == ["sqs"]  # the worker's queue is polled by Lambda
    assert "`functions.api` calls sqs" in _one(build, "W3150").message


def test_function_linked_to_a_database_can_fetch_its_credentials(tmp_path: Path) -> None:
    build = _app(tmp_path, NO_NAT + (
        "databases:\n  main: { engine: postgres }\n"
        "functions:\n  api: { code: ./fn, link: [databases.main] }\n"))
    assert not build.diagnostics.errors
    assert sorted(_endpoints(build)) == ["secretsmanager"]
    res = _resources(build)
    role = res["FunctionsApiRole"]["Properties"]
    assert {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                       "AWSLambdaVPCAccessExecutionRole"} in role["ManagedPolicyArns"]
    from cloudc.ir import GetAtt

    ir_role = build.ir.resources["FunctionsApiRole"].properties
    grants = ir_role["Policies"][0]["PolicyDocument"]["Statement"]
    secret = GetAtt("DatabasesMainInstance", "MasterUserSecret.SecretArn")
    assert any("secretsmanager:GetSecretValue" in st["Action"] and secret in st["Resource"]
               for st in grants)
    # The RDS-managed secret uses the AWS managed key: no kms:Decrypt is needed.
    assert "KmsKeyId" not in res["DatabasesMainInstance"]["Properties"].get(
        "MasterUserSecret", {})
    egress = res["FunctionsApiSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert egress[0]["IpProtocol"] == "-1" and egress[0]["CidrIp"] == "0.0.0.0/0"


def test_nat_gateway_needs_no_interface_endpoints(tmp_path: Path) -> None:
    build = _app(tmp_path, "network:\n  vpc: { nat: single }\n" + (
        "queues:\n  jobs: {}\n"
        "functions:\n  api: { code: ./fn, vpc: true, link: [queues.jobs] }\n"))
    assert not build.diagnostics.errors
    assert _endpoints(build) == {}
    assert "W3150" not in _codes(build)


def test_listed_endpoints_are_created_without_a_warning_and_missing_ones_are_errors(
        tmp_path: Path) -> None:
    build = _app(tmp_path, (
        "network:\n"
        "  vpc: { nat: none }\n"
        "  endpoints: [secretsmanager]\n"
        "queues:\n  jobs: {}\n"
        "secrets:\n  token: { generate: { length: 32 } }\n"
        "functions:\n"
        "  api:\n"
        "    code: ./fn\n"
        "    vpc: true\n"
        "    link: [secrets.token, queues.jobs]\n"))
    err = _one(build, "E3150")
    where = (Path(err.origin.file).name, err.origin.line, err.origin.col)
    assert where == ("cloud.yaml", 13, 27)
    assert err.path == ("functions", "api", "link", 1)
    assert "`sqs`" in err.message and "add `sqs` to `network.endpoints`" in err.hint
    assert "W3150" not in _codes(build)
    build = _app(tmp_path, (
        "network:\n  vpc: { nat: none }\n  endpoints: [secretsmanager, sqs]\n"
        "queues:\n  jobs: {}\n"
        "secrets:\n  token: { generate: { length: 32 } }\n"
        "functions:\n  api: { code: ./fn, vpc: true, link: [secrets.token, queues.jobs] }\n"))
    assert not build.diagnostics.errors
    assert sorted(_endpoints(build)) == ["secretsmanager", "sqs"]
    assert "W3150" not in _codes(build)


def test_listed_endpoints_are_created_with_nat_too(tmp_path: Path) -> None:
    build = _build(tmp_path, "network:\n  vpc: { nat: single }\n  endpoints: [ecr.api, ecr.dkr]\n")
    assert sorted(_endpoints(build)) == ["ecr.api", "ecr.dkr"]
    res = build.nested["network"]["Resources"]
    assert "NetworkEcrApiEndpoint" in res and "NetworkEcrDkrEndpoint" in res
    assert "NetworkS3Endpoint" in res  # the free gateway endpoints stay


def test_no_endpoints_at_all_is_an_error_for_a_bucket_link(tmp_path: Path) -> None:
    build = _app(tmp_path, (
        "network:\n  vpc: { nat: none }\n  endpoints: false\n"
        "storage:\n  files: {}\n"
        "functions:\n  api: { code: ./fn, vpc: true, link: [storage.files] }\n"))
    err = _one(build, "E3150")
    assert err.origin.line == 8 and "`network.endpoints: true`" in err.hint
    assert "NetworkS3Endpoint" not in build.nested.get("network", {}).get("Resources", {})


def test_an_api_no_endpoint_serves_needs_nat(tmp_path: Path) -> None:
    build = _app(tmp_path, NO_NAT + (
        "email:\n  acme.com: {}\n"
        "functions:\n  mailer: { code: ./fn, vpc: true, link: [email.acme.com] }\n"))
    err = _one(build, "E3151")
    assert err.path == ("functions", "mailer", "link", 0) and err.origin.line == 7
    assert "SES" in err.message and "nat: single" in err.hint


def test_default_vpc_warns_at_the_link(tmp_path: Path) -> None:
    build = _app(tmp_path, (
        "caches:\n  cache: { engine: redis, auth: true }\n"
        "functions:\n  api: { code: ./fn, link: [caches.cache] }\n"))
    assert not build.diagnostics.errors
    assert sorted(_endpoints(build)) == ["secretsmanager"]
    assert _one(build, "W3150").path == ("functions", "api", "link", 0)


def test_many_endpoints_point_at_nat_as_cheaper(tmp_path: Path) -> None:
    build = _app(tmp_path, NO_NAT + (
        "queues:\n  jobs: {}\ntopics:\n  events: {}\n"
        "secrets:\n  token: { generate: { length: 32 } }\n"
        "functions:\n"
        "  api: { code: ./fn, vpc: true, link: [queues.jobs, topics.events, secrets.token] }\n"))
    warn = _one(build, "W3150")
    assert "$43.80 a month" in warn.message and "costs less" in warn.hint


def test_fargate_in_private_subnets_without_nat_needs_registry_logs_and_secrets(
        tmp_path: Path) -> None:
    """Services run in public subnets when there is no NAT; were they placed in private ones,
    the analysis would ask for what pulling the image, logging and secrets need."""
    from cloudc.lower._endpoints import analyse

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    build = _build(tmp_path, "network:\n  vpc: { nat: single }\n" + (
        "databases:\n  main: { engine: postgres }\n"
        "services:\n  api: { image: ./Dockerfile, link: [databases.main] }\n"))
    assert not build.diagnostics.errors
    ir = build.ir
    assert analyse(ir, build.config, "us-east-1") == []  # NAT: nothing to add
    ir.components["network"].vpc.nat = "none"  # type: ignore[union-attr]
    needs = {n.service: n for n in analyse(ir, build.config, "us-east-1")}
    assert sorted(needs) == ["ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager"]
    assert needs["ecr.dkr"].path == ("services", "api", "image")
    assert needs["secretsmanager"].path == ("services", "api", "link", 0)


def test_fargate_without_nat_runs_in_public_subnets_and_needs_nothing(tmp_path: Path) -> None:
    build = _build(tmp_path, NO_NAT + "services:\n  web: { image: nginx:1.27 }\n")
    assert not build.diagnostics.errors
    svc = _resources(build)["ServicesWebService"]["Properties"]["NetworkConfiguration"]
    assert svc["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    assert _endpoints(build) == {} and "E3151" not in _codes(build)


def _check(build: Any) -> list[str]:
    from cloudc.checks import CheckContext
    from cloudc.checks.network_paths import check

    return sorted(f.code for f in check(CheckContext(build.resolved, build.config, build.ir)))


def test_check_catches_broken_dns_security_groups_and_roles(tmp_path: Path) -> None:
    build = _app(tmp_path, NO_NAT + (
        "databases:\n  main: { engine: postgres }\n"
        "functions:\n  api: { code: ./fn, link: [databases.main] }\n"))
    assert not build.diagnostics.errors and _check(build) == ["W3150"]
    res = build.ir.resources
    res["NetworkVpc"].properties["EnableDnsHostnames"] = False
    assert "E3152" in _check(build)
    res["NetworkVpc"].properties["EnableDnsHostnames"] = True
    res["NetworkSecretsmanagerEndpoint"].properties["PrivateDnsEnabled"] = False
    assert "E3152" in _check(build)
    res["NetworkSecretsmanagerEndpoint"].properties["PrivateDnsEnabled"] = True
    ingress = res["NetworkEndpointsSecurityGroup"].properties.pop("SecurityGroupIngress")
    assert "E3155" in _check(build)
    res["NetworkEndpointsSecurityGroup"].properties["SecurityGroupIngress"] = ingress
    egress = res["FunctionsApiSecurityGroup"].properties["SecurityGroupEgress"]
    res["FunctionsApiSecurityGroup"].properties["SecurityGroupEgress"] = [
        {"IpProtocol": "-1", "CidrIp": "127.0.0.1/32"}]
    assert _check(build).count("E3153") == 2  # HTTPS to the endpoint, 5432 to the database
    res["FunctionsApiSecurityGroup"].properties["SecurityGroupEgress"] = egress
    managed = res["FunctionsApiRole"].properties.pop("ManagedPolicyArns")
    assert "E3154" in _check(build)
    res["FunctionsApiRole"].properties["ManagedPolicyArns"] = managed
    res["DatabasesMainInstance"].properties["MasterUserSecret"] = {"KmsKeyId": "alias/db"}
    assert "E3156" in _check(build)
    del res["DatabasesMainInstance"].properties["MasterUserSecret"]
    res.pop("NetworkSecretsmanagerEndpoint")
    assert "E3150" in _check(build)


def test_express_workflow_link_needs_the_sync_endpoint_too(tmp_path: Path) -> None:
    (tmp_path / "flow.asl.json").write_text(
        '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}')
    build = _app(tmp_path, NO_NAT + (
        "workflows:\n  quick: { definition: ./flow.asl.json, type: express }\n"
        "functions:\n"
        "  api: { code: ./fn, vpc: true, link: [{ to: workflows.quick, access: write }] }\n"))
    assert not build.diagnostics.errors, [d.text() for d in build.diagnostics.errors]
    assert sorted(_endpoints(build)) == ["states", "sync-states"]


def test_servers_in_private_subnets_without_nat_would_need_the_internet(tmp_path: Path) -> None:
    """Servers run in public subnets without NAT; placed in private ones, the check says
    that no endpoint reaches package mirrors."""
    from cloudc.checks import CheckContext
    from cloudc.checks.network_paths import check

    build = _build(tmp_path, "network:\n  vpc: { nat: single }\nservers:\n  app: {}\n")
    assert not build.diagnostics.errors
    build.ir.components["network"].vpc.nat = "none"  # type: ignore[union-attr]
    found = [f for f in check(CheckContext(build.resolved, build.config, build.ir))
             if f.code == "E3151"]
    assert len(found) == 1 and found[0].path == ("servers", "app")
    assert "packages" in found[0].message


def test_scheduled_task_in_private_subnets_needs_what_its_container_needs(
        tmp_path: Path) -> None:
    from cloudc.ir import Component, Ref, Resource
    from cloudc.lower._endpoints import analyse

    build = _build(tmp_path, "network:\n  vpc: { nat: single }\n"
                   "services:\n  api: { image: nginx:1.27, load_balancer: false }\n")
    assert not build.diagnostics.errors, [d.text() for d in build.diagnostics.errors]
    ir = build.ir
    ir.components["network"].vpc.nat = "none"  # type: ignore[union-attr]
    ir.components["schedules.nightly"] = Component("schedules", "nightly", "schedule",
                                                   ("schedules", "nightly"), None)
    ir.add(Resource("SchedulesNightlySchedule", "AWS::Scheduler::Schedule", {"Target": {
        "EcsParameters": {"TaskDefinitionArn": Ref("ServicesApiTaskDefinition"),
                          "NetworkConfiguration": {"AwsvpcConfiguration": {
                              "Subnets": [Ref("NetworkPrivateSubnet1")]}}}}},
        owner="schedules.nightly", group="schedules"))
    needs = [n for n in analyse(ir, build.config, "us-east-1") if n.consumer == "schedules.nightly"]
    assert [n.service for n in needs] == ["", "logs"]  # Docker Hub needs the internet
    assert needs[0].path == ("services", "api", "image")
