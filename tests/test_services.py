"""services: Fargate sizes, images, secrets, ALB wiring, scaling and link ingress."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from helpers import JS, build
from helpers import all_resources as _resources
from helpers import error_lines as _errors

from cloudc.lower._containers import context_hash, is_dockerfile

_build = partial(build, files={"fn/index.js": JS,
                                "api/Dockerfile": "FROM node:22-alpine\n"})


def _wildcards(value: Any) -> bool:
    """Say whether any IAM statement has a `*` action or resource."""
    text = json.dumps(value)
    return '"*"' in text.replace('"Principal": "*"', "")


def test_fargate_api_behind_alb_with_scaling(tmp_path: Path) -> None:
    b = _build(tmp_path, """
network: { vpc: { zones: 2, nat: single } }
services:
  api:
    image: ./api/Dockerfile
    cpu: 512
    memory: 2048
    port: 3000
    health_check: /health
    scaling: { min: 2, max: 8, cpu_target: 50, requests_per_target: 800 }
""")
    assert not _errors(b)
    res = _resources(b)
    svc = res["ServicesApiService"]["Properties"]
    assert svc["LaunchType"] == "FARGATE"
    assert "DesiredCount" not in svc  # auto scaling owns the count
    assert svc["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True, "Rollback": True}
    assert svc["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert svc["LoadBalancers"][0]["ContainerPort"] == 3000
    assert res["ServicesApiService"]["DependsOn"] == ["ServicesApiHttpListener"]
    task = res["ServicesApiTaskDefinition"]["Properties"]
    assert (task["Cpu"], task["Memory"], task["NetworkMode"]) == ("512", "2048", "awsvpc")
    sg = res["ServicesApiSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert sg == [{"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
                   "SourceSecurityGroupId": {"Fn::GetAtt": ["ServicesApiAlbSecurityGroup",
                                                            "GroupId"]},
                   "Description": "from the load balancer"}]
    target = res["ServicesApiScalableTarget"]["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 8)
    assert "RoleARN" not in target
    assert {"ServicesApiScalingCpu", "ServicesApiScalingRequests"} <= set(res)
    repo = res["ServicesApiRepository"]["Properties"]
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    image = task["ContainerDefinitions"][0]["Image"]["Fn::Sub"]
    assert image.endswith(":src-" + context_hash(
        tmp_path / "api", tmp_path, dockerfile=tmp_path / "api" / "Dockerfile",
        platform="linux/amd64"))
    assert "ServicesApiRepository" in b.separate["registry"]["Resources"]
    assert "StackRegistry" not in b.root["Resources"]
    assert res["ServicesCluster"]["Type"] == "AWS::ECS::Cluster"
    for lid in ("ServicesApiExecutionRole", "ServicesApiTaskRole"):
        assert not _wildcards(res[lid]["Properties"].get("Policies", []))


def test_memory_not_allowed_for_cpu(tmp_path: Path) -> None:
    b = _build(tmp_path, "services: { api: { image: nginx:1.27, cpu: 256, memory: 4096 } }\n")
    (err,) = _errors(b)
    assert "E3005" in err and "services.api.memory" in err
    assert "512, 1024, 2048" in err


def test_secrets_are_value_from_never_plain(tmp_path: Path) -> None:
    b = _build(tmp_path, """
secrets: { stripe: { generate: { length: 32 } } }
databases: { main: { engine: postgres } }
services:
  api:
    image: nginx:1.27
    link: [databases.main]
    secrets: { STRIPE: "${secret:stripe}", KEY: "secrets.stripe", TOKEN: "${ssm:/demo/token}" }
""")
    assert not _errors(b)
    res = _resources(b)
    c = res["ServicesApiTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    names = {s["Name"] for s in c["Secrets"]}
    assert names == {"STRIPE", "KEY", "TOKEN", "DATABASES_MAIN_PASSWORD"}
    assert not any(e["Name"] in names for e in c.get("Environment", []))
    pw = next(s for s in c["Secrets"] if s["Name"] == "DATABASES_MAIN_PASSWORD")
    assert pw["ValueFrom"]["Fn::Sub"][0] == "${arn}:password::"
    policy = res["ServicesApiExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert {"secretsmanager:GetSecretValue", "ssm:GetParameters"} <= actions
    # A public image needs no ECR permissions at all.
    assert "ManagedPolicyArns" not in res["ServicesApiExecutionRole"]["Properties"]
    assert not any(a.startswith("ecr:") for a in actions)


def test_bad_secret_reference(tmp_path: Path) -> None:
    b = _build(tmp_path, "services: { api: { image: nginx:1.27, secrets: { X: hunter2 } } }\n")
    (err,) = _errors(b)
    assert "E2005" in err and "services.api.secrets.X" in err


def test_missing_dockerfile(tmp_path: Path) -> None:
    b = _build(tmp_path, "services: { api: { image: ./nope/Dockerfile } }\n")
    (err,) = _errors(b)
    assert "E1007" in err


def test_link_opens_target_to_service_only(tmp_path: Path) -> None:
    b = _build(tmp_path, """
caches: { cache: { engine: redis } }
services: { api: { image: nginx:1.27, link: [caches.cache] } }
""")
    assert not _errors(b)
    rule = _resources(b)["CachesCacheIngressFromServicesApi"]["Properties"]
    assert (rule["FromPort"], rule["ToPort"]) == (6379, 6379)
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["ServicesApiSecurityGroup",
                                                            "GroupId"]}


def test_worker_without_nat_runs_in_public_subnets(tmp_path: Path) -> None:
    b = _build(tmp_path, "services: { w: { image: busybox:1.37, load_balancer: false, "
                         "spot: true } }\n")
    assert not _errors(b)
    res = _resources(b)
    svc = res["ServicesWService"]["Properties"]
    assert svc["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"
    assert svc["CapacityProviderStrategy"][0]["CapacityProvider"] == "FARGATE_SPOT"
    assert "LoadBalancers" not in svc and "ServicesWAlb" not in res
    assert svc["DesiredCount"] == 1 and "ServicesWScalableTarget" not in res
    assert "SecurityGroupIngress" not in res["ServicesWSecurityGroup"]["Properties"]


def test_efs_mount(tmp_path: Path) -> None:
    b = _build(tmp_path, """
file_systems: { shared: { access_points: { app: { path: /app } } } }
services: { web: { image: nginx:1.27, mounts: { /data: file_systems.shared.app } } }
""")
    assert not _errors(b)
    res = _resources(b)
    task = res["ServicesWebTaskDefinition"]["Properties"]
    vol = task["Volumes"][0]["EFSVolumeConfiguration"]
    assert vol["TransitEncryption"] == "ENABLED" and vol["AuthorizationConfig"]["IAM"] == "ENABLED"
    assert task["ContainerDefinitions"][0]["MountPoints"][0]["ContainerPath"] == "/data"
    assert "FileSystemsSharedIngressFromServicesWeb" in res


def test_is_dockerfile() -> None:
    assert is_dockerfile("./Dockerfile") and is_dockerfile("api/Dockerfile")
    assert not is_dockerfile("nginx:1.27")
    assert not is_dockerfile("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1")


def test_context_hash_honours_dockerignore(tmp_path: Path) -> None:
    """Files the Docker build would not see (and cloudc's own output) do not change the tag."""
    from cloudc.lower._containers import context_hash

    (tmp_path / "Dockerfile").write_text("FROM node:22\n")
    (tmp_path / ".dockerignore").write_text("# comment\nlogs\n*.tmp\n!keep.tmp\n")
    first = context_hash(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.txt").write_text("x")
    (tmp_path / "scratch.tmp").write_text("x")
    (tmp_path / "build").mkdir()  # cloudc build's output folder beside cloud.yaml
    (tmp_path / "build" / "t.json").write_text("{}")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    assert context_hash(tmp_path) == first
    (tmp_path / "keep.tmp").write_text("x")  # `!keep.tmp` sends it again
    second = context_hash(tmp_path)
    assert second != first
    (tmp_path / "dist").mkdir()  # what docker sends (a prebuilt dist/ COPY'd in) counts
    (tmp_path / "dist" / "app.js").write_text("x")
    assert context_hash(tmp_path) != second


def test_context_hash_counts_dockerfile_and_platform(tmp_path: Path) -> None:
    """An ignored Dockerfile still builds the image, and an arm64 image is another image."""
    from cloudc.lower._containers import context_hash

    (tmp_path / "api").mkdir()
    dockerfile = tmp_path / "api" / "Dockerfile"
    dockerfile.write_text("FROM node:22\n")
    (tmp_path / "api" / ".dockerignore").write_text("Dockerfile\n**/*.md\n")
    amd = context_hash(tmp_path / "api", tmp_path, dockerfile=dockerfile, platform="linux/amd64")
    arm = context_hash(tmp_path / "api", tmp_path, dockerfile=dockerfile, platform="linux/arm64")
    assert amd != arm
    (tmp_path / "api" / "docs").mkdir()
    (tmp_path / "api" / "docs" / "x.md").write_text("ignored at any depth")
    assert context_hash(tmp_path / "api", tmp_path, dockerfile=dockerfile,
                        platform="linux/amd64") == amd
    dockerfile.write_text("FROM node:24\n")
    assert context_hash(tmp_path / "api", tmp_path, dockerfile=dockerfile,
                        platform="linux/amd64") != amd
