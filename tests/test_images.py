"""Container images in `cloudc deploy`: registry stack first, then build and push, then roll.

Every test runs against moto's server on 127.0.0.1 (ECR, CloudFormation, S3). The container
tool is an external program: each test writes a *recording stand-in* named `docker` into
`tmp_path/bin` and puts that folder first on PATH. The stand-in is not Docker: it appends
every command line it gets (and what `login` reads on stdin) to a JSON-lines file, and on
`push` it stores a tiny manifest under the pushed tag in moto's ECR (what a real push leaves
behind), recording whether the main stack had been executed yet at that moment.

moto 5.2 cannot execute the app's own change set: its root passes nested-stack outputs on
(`Fn::GetAtt [StackNetwork, Outputs.X]`), which moto answers with HTTP 500 (FIELD.md), and a
service always needs the network stack's subnets. So every deploy here ends at
`execute_change_set` with exit 3 (`_deploy` checks that it is that and nothing else); what
happened before it (registry stack, login, build, push, the change set's templates) is real.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import Result
from conftest_aws import Cli, cloudc, dedent, edit, moto, moto_server, offline_aws  # noqa: F401

NAME = "pics-development"
MOTO_LIMIT = f"cannot execute the change set on {NAME}: the endpoint's reply is not an AWS API"
REGISTRY = f"{NAME}-registry"

APP = """\
project: { name: Pics, region: us-east-1 }
network: { vpc: { zones: 2, nat: none } }
services:
  api:
    image: ./api/Dockerfile
    load_balancer: false
    command: [node, worker.js]
"""

STAND_IN = '''#!{python}
\"\"\"Recording stand-in for the `docker` CLI, written by tests/test_images.py: NOT Docker.

It appends {{"argv": [...], "stdin": ...}} to $RECORDER_LOG for every call, and on `push REF`
stores a small manifest under REF's tag in the ECR of $RECORDER_ENDPOINT (moto), with the
main stack's status at that moment, so the test can check what happened before the push.
A `build` fails when $RECORDER_FAIL_BUILD is set. It calls moto's ECR and CloudFormation APIs
with urllib (moto does not check signatures): starting boto3 would cost 0.5 s a call.
\"\"\"
import json, os, sys
import urllib.parse, urllib.request
import xml.etree.ElementTree as ET


def call(service, body, headers):
    \"\"\"POST one API call to moto; an error reply raises (as a boto3 client would).\"\"\"
    auth = (f"AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{{service}}/aws4_request, "
            "SignedHeaders=host, Signature=0")
    req = urllib.request.Request(os.environ["RECORDER_ENDPOINT"] + "/", data=body,
                                 headers={{**headers, "Authorization": auth}}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as reply:
        return reply.read()


argv = sys.argv[1:]
entry = {{"tool": os.path.basename(sys.argv[0]), "argv": argv}}
if argv[:1] == ["login"]:
    entry["stdin"] = sys.stdin.read()
if argv[:1] == ["build"] and os.environ.get("RECORDER_FAIL_BUILD"):
    print("step 1/2: FROM node:22", flush=True)
    print("error: the build failed (stand-in)", flush=True)
    sys.exit(7)
if argv[:1] == ["push"]:
    ref = argv[1]
    repo, tag = ref.split("/", 1)[1].rsplit(":", 1)
    call("ecr", json.dumps({{
        "repositoryName": repo, "imageTag": tag,
        "imageManifest": json.dumps({{
            "schemaVersion": 2, "tag": tag,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}})}}).encode(),
         {{"X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.PutImage",
          "Content-Type": "application/x-amz-json-1.1"}})
    listed = ET.fromstring(call(
        "cloudformation", b"Action=ListStacks&Version=2010-05-15",
        {{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}}))
    stacks = {{}}
    for member in listed.iter():
        if member.tag.endswith("}}member") or member.tag == "member":
            fields = {{c.tag.rsplit("}}", 1)[-1]: c.text for c in member}}
            if "StackName" in fields:
                stacks[fields["StackName"]] = fields["StackStatus"]
    entry["main_stack"] = stacks.get(os.environ["RECORDER_MAIN"], "absent")
    print(f"pushed {{ref}}", flush=True)
with open(os.environ["RECORDER_LOG"], "a") as f:
    f.write(json.dumps(entry) + "\\n")
'''


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> Path:
    """Write the app, its Dockerfile, and the recording stand-in first on PATH."""
    (tmp_path / "cloud.yaml").write_text(APP, encoding="utf-8")
    api = tmp_path / "api"
    api.mkdir()
    (api / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/node:22-alpine\n"
                                    "COPY . .\nCMD [\"node\", \"worker.js\"]\n")
    (api / "worker.js").write_text("setInterval(() => {}, 1000)\n")
    (api / ".dockerignore").write_text("notes.txt\n")
    _stand_in(tmp_path / "bin" / "docker")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("RECORDER_LOG", str(tmp_path / "recorded.jsonl"))
    monkeypatch.setenv("RECORDER_ENDPOINT", moto)
    monkeypatch.setenv("RECORDER_MAIN", NAME)
    monkeypatch.delenv("CLOUDC_CONTAINER_TOOL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _stand_in(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STAND_IN.format(python=sys.executable), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _recorded(folder: Path) -> list[dict[str, Any]]:
    log = folder / "recorded.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def _verbs(folder: Path) -> list[str]:
    return [e["argv"][0] for e in _recorded(folder)]


def _client(moto: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto, region_name="us-east-1")


def _stacks(moto: str) -> dict[str, str]:
    summaries = _client(moto, "cloudformation").list_stacks()["StackSummaries"]
    return {s["StackName"]: s["StackStatus"] for s in summaries
            if s["StackStatus"] != "DELETE_COMPLETE"}


def _tags(moto: str, repo: str) -> list[str]:
    images = _client(moto, "ecr").describe_images(repositoryName=repo)["imageDetails"]
    return sorted(t for i in images for t in i.get("imageTags", []))


def _deploy(cloudc: Cli) -> Result:
    """Deploy with --yes; it must get as far as executing the change set (see the top)."""
    result = cloudc("deploy", "--env", "development", "--yes")
    assert result.exit_code == 3 and MOTO_LIMIT in result.output, result.output
    return result


def _task_images(moto: str) -> list[str]:
    """Return the images the uploaded services templates (what change sets use) name."""
    s3 = _client(moto, "s3")
    bucket = "cloudc-artifacts-123456789012-us-east-1"
    found = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="templates/").get("Contents", []):
        doc = json.loads(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        task = (doc.get("Resources") or {}).get("ServicesApiTaskDefinition")
        if task is not None:
            found.append(str(task["Properties"]["ContainerDefinitions"][0]["Image"]["Fn::Sub"]))
    return found


# --- first deploy, ordering -----------------------------------------------------------------


@pytest.mark.aws
def test_first_deploy_creates_the_registry_then_pushes_then_rolls(
        cloudc: Cli, shop: Path, moto: str) -> None:
    out = _deploy(cloudc).output
    # the registry stack, the login, the build, the push: all before the change set runs
    assert out.index(f"creating stack {REGISTRY}") < out.index("logging in to") \
        < out.index("building services.api") < out.index("pushing") \
        < out.index(MOTO_LIMIT)
    calls = _recorded(shop)
    assert [c["argv"][0] for c in calls] == ["login", "build", "push"]
    login, build, push = calls
    assert login["argv"][1:4] == ["--username", "AWS", "--password-stdin"]
    assert login["argv"][4].startswith("https://") and login["stdin"]  # the ECR token
    assert "--platform" in build["argv"] and "linux/amd64" in build["argv"]
    assert build["argv"][-1] == str(shop / "api")  # the context is the Dockerfile's folder
    # at the push the repository existed (put_image succeeded) and the main stack had not
    # been executed: its CREATE change set was waiting (REVIEW_IN_PROGRESS)
    assert push["main_stack"] == "REVIEW_IN_PROGRESS"
    assert _stacks(moto)[REGISTRY] == "CREATE_COMPLETE"
    (tag,) = _tags(moto, "pics-development-api")
    assert push["argv"][1].endswith(f"/pics-development-api:{tag}")
    # the change set executed after the push rolls the service to exactly that image
    (image,) = _task_images(moto)
    assert image.endswith(f"/pics-development-api:{tag}")


@pytest.mark.aws
def test_unchanged_context_pushes_nothing_and_a_change_pushes_a_new_tag(
        cloudc: Cli, shop: Path, moto: str) -> None:
    _deploy(cloudc)
    first = _tags(moto, "pics-development-api")
    (shop / "recorded.jsonl").unlink()
    (shop / "api" / "notes.txt").write_text("ignored by .dockerignore")
    again = _deploy(cloudc)
    assert _recorded(shop) == []  # no login, no build, no push
    assert "images: all 1 already in ECR, nothing to push" in again.output
    edit(shop / "api" / "worker.js", "1000", "2000")
    _deploy(cloudc)
    assert _verbs(shop) == ["login", "build", "push"]
    second = _tags(moto, "pics-development-api")
    assert len(second) == 2 and set(first) < set(second)
    (new,) = set(second) - set(first)
    assert any(i.endswith(f":{new}") for i in _task_images(moto))  # rolls to the new tag


@pytest.mark.aws
def test_a_tag_missing_from_ecr_is_pushed_again(
        cloudc: Cli, shop: Path, moto: str) -> None:
    _deploy(cloudc)
    (tag,) = _tags(moto, "pics-development-api")
    _client(moto, "ecr").batch_delete_image(repositoryName="pics-development-api",
                                            imageIds=[{"imageTag": tag}])
    (shop / "recorded.jsonl").unlink()
    _deploy(cloudc)
    assert _verbs(shop) == ["login", "build", "push"]
    assert _tags(moto, "pics-development-api") == [tag]


# --- no tool --------------------------------------------------------------------------------


@pytest.mark.aws
def test_without_a_container_tool_the_deploy_changes_nothing(
        cloudc: Cli, shop: Path, moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (shop / "bin" / "docker").unlink()
    empty = shop / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = cloudc("deploy", "--env", "development", "--yes")
    assert result.exit_code == 1, result.output
    assert "cloud.yaml:5:12: error[E3200]: `services.api.image`: deploy must build this " \
           "image from ./api/Dockerfile (ECR has no `pics-development-api:src-" in result.output
    assert "none of docker, podman, finch is on PATH" in result.output
    assert "set `image:` to a pushed image URI" in result.output
    assert "nothing was changed" in result.output
    # not the artifacts bucket, not the registry, not the app
    assert _stacks(moto) == {}
    assert _client(moto, "ecr").describe_repositories()["repositories"] == []


@pytest.mark.aws
def test_container_tool_variable_chooses_the_tool(
        cloudc: Cli, shop: Path, moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDC_CONTAINER_TOOL", "podman")
    missing = cloudc("deploy", "--env", "development", "--yes")
    assert missing.exit_code == 1
    assert "CLOUDC_CONTAINER_TOOL=podman is not on PATH" in missing.output
    _stand_in(shop / "bin" / "podman")
    _deploy(cloudc)
    assert {c["tool"] for c in _recorded(shop)} == {"podman"}


@pytest.mark.aws
def test_pushed_images_need_no_tool(cloudc: Cli, shop: Path, moto: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A redeploy from a machine without Docker works when ECR holds every tag."""
    _deploy(cloudc)
    monkeypatch.setenv("PATH", str(shop / "api"))  # no tool anywhere
    result = _deploy(cloudc)
    assert "E3200" not in result.output
    assert "images: all 1 already in ECR, nothing to push" in result.output


# --- failures, sharing, diff ----------------------------------------------------------------


@pytest.mark.aws
def test_a_failed_build_leaves_the_app_stack_untouched(
        cloudc: Cli, shop: Path, moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECORDER_FAIL_BUILD", "1")
    result = cloudc("deploy", "--env", "development", "--yes")
    assert result.exit_code == 3, result.output
    assert "cannot build services.api: `docker build` exited with 7" in result.output
    assert "error: the build failed (stand-in)" in result.output
    stacks = _stacks(moto)
    assert NAME not in stacks  # the CREATE change set and its empty stack are gone
    assert stacks[REGISTRY] == "CREATE_COMPLETE"  # the repositories stay for the next try


@pytest.mark.aws
def test_one_dockerfile_for_two_services_is_built_once(
        cloudc: Cli, shop: Path, moto: str) -> None:
    edit(shop / "cloud.yaml", "    command: [node, worker.js]\n",
         "    command: [node, worker.js]\n  jobs:\n    image: ./api/Dockerfile\n"
         "    load_balancer: false\n")
    _deploy(cloudc)
    assert _verbs(shop) == ["login", "build", "push", "tag", "push"]
    assert _tags(moto, "pics-development-api") == _tags(moto, "pics-development-jobs")


@pytest.mark.aws
def test_diff_shows_the_registry_and_the_new_image(cloudc: Cli, shop: Path, moto: str) -> None:
    fresh = cloudc("diff", "--env", "development")
    assert fresh.exit_code == 1
    assert "registry" in fresh.output and "+ ServicesApiRepository" in fresh.output
    _deploy(cloudc)
    after = cloudc("diff", "--env", "development")  # the registry is deployed now
    assert "ServicesApiRepository" not in after.output, after.output
    assert "ServicesApiTaskDefinition" in after.output  # moto never ran the app's stack


def test_apps_without_dockerfile_images_have_no_registry(tmp_path: Path) -> None:
    from helpers import build

    b = build(tmp_path, dedent("""\
        network: { vpc: { zones: 2, nat: none } }
        services: { web: { image: "public.ecr.aws/nginx/nginx:1.27" } }
        """), files={})
    assert not [d.text() for d in b.diagnostics.errors]
    assert b.separate == {} and "registry.json" not in b.files()


def test_a_dropped_repository_stays_until_the_deploy_succeeds() -> None:
    """Before the change set runs, services may still pull from a repository the new build
    drops: the pre-push registry keeps it; `finish` (after success) applies the build's."""
    from cloudc.aws.images import _with_removed

    repo = {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "x"}}
    new = {"Resources": {"ServicesApiRepository": repo}}
    old = {"Resources": {"ServicesApiRepository": repo, "ServicesOldRepository": repo,
                         "Other": {"Type": "AWS::SNS::Topic"}}}
    kept = _with_removed(new, old)
    assert set(kept["Resources"]) == {"ServicesApiRepository", "ServicesOldRepository"}
    assert set(new["Resources"]) == {"ServicesApiRepository"}  # the build is not touched
    assert _with_removed(new, None) is new


@pytest.mark.aws
def test_a_large_registry_template_goes_through_the_artifacts_bucket(moto: str) -> None:
    """Over 51,200 bytes CloudFormation takes a template only from S3 (TemplateURL)."""
    from cloudc.aws.images import apply_stack
    from cloudc.aws.session import Aws

    repos = {f"ServicesS{i}Repository": {
        "Type": "AWS::ECR::Repository",
        "Properties": {"RepositoryName": f"big-development-s{i}",
                       "Tags": [{"Key": "note", "Value": "x" * 200}]}} for i in range(200)}
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": repos}
    assert len(json.dumps(template)) > 51_200
    said: list[str] = []
    aws = Aws("us-east-1", None, moto)
    apply_stack(aws, "big-development-registry", template, {"project": "big"},
                lambda m, **_: said.append(m))
    assert _stacks(moto)["big-development-registry"] == "CREATE_COMPLETE"
    assert len(_client(moto, "ecr").describe_repositories()["repositories"]) == 200
    assert any("artifacts bucket" in m for m in said)  # the template went through S3
    keys = _client(moto, "s3").list_objects_v2(
        Bucket="cloudc-artifacts-123456789012-us-east-1")["Contents"]
    assert [k["Key"] for k in keys if k["Key"].startswith("templates/")]
    apply_stack(aws, "big-development-registry", template, {"project": "big"},
                lambda m, **_: said.append(m))  # unchanged: left alone
    assert [m for m in said if "updating" in m] == []


def test_a_tool_that_exits_without_reading_stdin_is_reported_by_its_exit_code() -> None:
    # `docker login --password-stdin` that dies before reading the token: the write fails with
    # EPIPE, which click would turn into a silent exit 1; the tool's exit code must speak.
    from cloudc.aws.images import ImageError, _run
    lines: list[str] = []
    quits = [sys.executable, "-c", "import sys; print('no daemon'); sys.exit(5)"]
    with pytest.raises(ImageError, match=r"cannot log in to x: `.*` exited with 5"):
        _run([*quits, "login"], lines.append, "log in to x", stdin="t" * 1_000_000)
    assert "  no daemon" in lines
    _run([sys.executable, "-c", "pass", "login"], lines.append, "log in", stdin="t" * 1_000_000)
