"""The Deploying guide (docs/deploying.md) runs: every `yaml` config in it builds without
errors in every environment, and what the guide says about the build holds (output names, log
group names, no SSH port, the SSM policy that `cloudc exec` needs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cloudc.compile import Build, compile_config

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "deploying.md"
ENVS = ("development", "staging", "production")
SCHEDULE = re.compile(r"\nschedules:[^\n]*\n(?:  [^\n]*\n)+")


def _configs() -> dict[str, str]:
    """Return each `yaml` block of the guide, by the `## ` heading it is under."""
    out: dict[str, str] = {}
    heading = ""
    for part in re.split(r"(^## [^\n]*$|```yaml\n.*?```)", GUIDE.read_text(encoding="utf-8"),
                         flags=re.M | re.S):
        if part.startswith("## "):
            heading = part[3:].strip()
        elif part.startswith("```yaml"):
            out[f"{heading} #{sum(k.startswith(heading) for k in out) + 1}"] = part[8:-3]
    return out


CONFIGS = _configs()
VAPOR = next(k for k in CONFIGS if "Vapor" in k)
FORGE = next(k for k in CONFIGS if "Forge" in k)


def _app(folder: Path, text: str) -> Path:
    """Write the config and the code folders, Dockerfile and files it names."""
    for found in re.findall(r"code: (\./[^\s,}]*)", text):
        where = folder / found
        where.mkdir(parents=True, exist_ok=True)
        (where / "index.js").write_text("exports.handler = async () => 1\n")
        (where / "composer.json").write_text("{}\n")
    for found in re.findall(r"image: (\./[^\s,}]*)", text):
        (folder / found).write_text("FROM node:22-slim\nCOPY . .\nCMD [\"node\", \"server.js\"]\n")
    (folder / "cloud.yaml").write_text(text, encoding="utf-8")
    return folder / "cloud.yaml"


def _build(folder: Path, text: str, env: str) -> Build:
    build = compile_config(_app(folder, text), env, dry=True)
    errors = [d.text() for d in build.diagnostics.items if d.severity == "error"]
    assert errors == [], "\n".join(errors)
    return build


def _resources(build: Build, kind: str) -> dict[str, dict[str, Any]]:
    return {lid: body for doc in build.nested.values()
            for lid, body in doc["Resources"].items() if body["Type"] == kind}


def test_the_guide_has_a_vapor_and_a_forge_config() -> None:
    assert len(CONFIGS) == 2, list(CONFIGS)


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("name", [k for k in CONFIGS if k != VAPOR])
def test_every_config_of_the_guide_builds(tmp_path: Path, name: str, env: str) -> None:
    _build(tmp_path, CONFIGS[name], env)


@pytest.mark.parametrize("env", ENVS)
def test_the_vapor_config_builds(tmp_path: Path, env: str) -> None:
    _build(tmp_path, CONFIGS[VAPOR], env)


@pytest.mark.parametrize("env", ENVS)
def test_the_vapor_config_builds_but_for_its_scheduled_task(tmp_path: Path, env: str) -> None:
    """All of the Vapor config but the `schedules:` entry (a service target with a `command`,
    which the `images` work adds) builds; so the case above fails for that reason only."""
    text = CONFIGS[VAPOR]
    assert "target: services.web, command:" in text
    build = _build(tmp_path, SCHEDULE.sub("\n", text, count=1), env)
    assert "WebUrl" in build.root["Outputs"]  # `cloudc outputs` prints it as the guide shows
    groups = {b["Properties"].get("LogGroupName")
              for b in _resources(build, "AWS::Logs::LogGroup").values()}
    assert {f"/aws/lambda/acme-shop-{env}-thumbnail", f"/ecs/acme-shop-{env}-web"} <= groups


def test_the_forge_config_opens_no_ssh_port_and_lets_ssm_in(tmp_path: Path) -> None:
    build = _build(tmp_path, CONFIGS[FORGE], "production")
    ports = [(r.get("FromPort"), r.get("ToPort"))
             for body in _resources(build, "AWS::EC2::SecurityGroup").values()
             for r in body["Properties"].get("SecurityGroupIngress") or []]
    ports += [(b["Properties"].get("FromPort"), b["Properties"].get("ToPort"))
              for b in _resources(build, "AWS::EC2::SecurityGroupIngress").values()]
    assert ports and not any(lo is not None and lo <= 22 <= hi for lo, hi in ports), ports
    managed = [str(arn) for body in _resources(build, "AWS::IAM::Role").values()
               for arn in body["Properties"].get("ManagedPolicyArns") or []]
    assert any("AmazonSSMManagedInstanceCore" in m for m in managed), managed
    assert any(d.code == "W3213" for d in build.diagnostics.items)  # the guide says so


OFFLINE = {"init", "validate", "build", "explain", "graph", "schema", "presets"}


def test_commands_the_guide_runs_without_credentials_need_none() -> None:
    """`diff` reads the deployed stacks (exit 3 without credentials): a block the guide says
    needs no credentials must hold only commands that never call AWS."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"needs? AWS credentials:\n\n```sh\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        used = {line.split()[1] for line in block.splitlines() if line.startswith("cloudc ")}
        assert used <= OFFLINE, used - OFFLINE
