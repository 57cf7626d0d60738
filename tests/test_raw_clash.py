"""A raw `resources:` logical ID that a pass later gives a generated resource (a VPC endpoint,
a security-group ingress rule for a link) is E3235 at the raw entry's key, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cloudc.cli import cli
from cloudc.compile import compile_config

ENDPOINT_APP = """\
project: { name: Vpc Shop, region: us-east-1 }
mode: serverless
network: { vpc: { cidr: 10.0.0.0/16, zones: 2, nat: none } }
queues:
  jobs: {}
functions:
  worker:
    runtime: nodejs22.x
    handler: index.handler
    code: ./fn
    vpc: true
    link: [queues.jobs]
"""
INGRESS_APP = """\
project: { name: Ing Shop, region: us-east-1 }
mode: serverless
network: { vpc: { cidr: 10.0.0.0/16, zones: 2, nat: single } }
caches:
  sessions: { engine: valkey }
functions:
  worker:
    runtime: nodejs22.x
    handler: index.handler
    code: ./fn
    vpc: true
    link: [caches.sessions]
"""
RAW = """\
resources:
  Extra:
    Type: AWS::SNS::Topic
  {lid}:
    Type: AWS::SNS::Topic
    Properties: {{}}
"""
CASES = [  # (app, the ID a pass adds, its type, its owner)
    (ENDPOINT_APP, "NetworkSqsEndpoint", "AWS::EC2::VPCEndpoint", "network"),
    (INGRESS_APP, "CachesSessionsIngressFromFunctionsWorker", "AWS::EC2::SecurityGroupIngress",
     "caches.sessions"),
]


def _write(folder: Path, text: str) -> Path:
    (folder / "fn").mkdir(exist_ok=True)
    (folder / "fn" / "index.js").write_text("exports.handler = async () => 1\n")
    (folder / "cloud.yaml").write_text(text, encoding="utf-8")
    return folder / "cloud.yaml"


@pytest.mark.parametrize(("app", "lid", "kind", "owner"), CASES, ids=["endpoint", "ingress"])
def test_a_pass_added_id_is_the_generated_resource_without_raw(
        tmp_path: Path, app: str, lid: str, kind: str, owner: str) -> None:
    """The ID is really one a pass adds: without the raw entry, the build has it."""
    build = compile_config(_write(tmp_path, app), "development", check_ir=True)
    assert not build.diagnostics.has_errors
    assert build.ir is not None and build.ir.resources[lid].type == kind
    assert build.ir.resources[lid].owner == owner


@pytest.mark.parametrize(("app", "lid", "kind", "owner"), CASES, ids=["endpoint", "ingress"])
def test_a_raw_resource_with_a_pass_added_id_is_e3235_at_its_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: str, lid: str, kind: str,
        owner: str) -> None:
    path = _write(tmp_path, app + RAW.format(lid=lid))
    build = compile_config(path, "development", check_ir=True)
    found = [d for d in build.diagnostics.items if d.severity == "error"]
    assert [d.code for d in found] == ["E3235"], [d.text() for d in found]
    line = app.count("\n") + 4  # the raw entry's key
    assert (found[0].origin.line, found[0].origin.col) == (line, 3)
    assert f"logical ID `{lid}` is already `{owner}`'s {kind}" in found[0].message
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--no-color", "build", "cloud.yaml"])
    assert result.exit_code == 1, result.output
    assert f"cloud.yaml:{line}:3: error[E3235]" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
