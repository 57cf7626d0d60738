"""Container images for `cloudc deploy`: repositories first, then build, log in and push.

A service whose `image` is a Dockerfile names `<registry>/<repository>:<tag>` in its task
definition; the tag is a hash of the build context, computed by the build (like a function's
code hash), so `diff` and `build` see a changed context as a changed task definition. The
repositories live in a stack of their own, `<root>-registry` (the build's `registry.json`),
which deploy brings up to date before it pushes; it then builds each image whose tag ECR does
not hold yet with the container tool on PATH (docker, podman or finch; `CLOUDC_CONTAINER_TOOL`
chooses), pushes it, and only then executes the change set that rolls the services. Nothing
here runs before the user has confirmed the change set, except reading ECR; a missing tool
stops the deploy before anything changes. Once no service builds an image, the deploy deletes
the registry stack after it succeeds (cloudc/aws/registry.py, which `destroy`, `status` and
`rollback` use too).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import copy
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudc.aws.deploy import (
    INLINE_LIMIT,
    ensure_bucket,
    template_url,
    upload,
    wait_until_settled,
)
from cloudc.aws.diff import ResourceChange, Side, diff
from cloudc.aws.fetch import describe, parse_template
from cloudc.aws.registry import REGISTRY, delete_unused, registry_name
from cloudc.aws.session import Aws, AwsError, api_errors, error_code
from cloudc.diagnostics import Diagnostic

if TYPE_CHECKING:
    from cloudc.compile import Build

TOOLS = ("docker", "podman", "finch")
TOOL_ENV = "CLOUDC_CONTAINER_TOOL"
REPOSITORY = "AWS::ECR::Repository"
TAIL = 10  # lines of a failed tool run repeated in the error
Say = Callable[..., None]


class ImageError(AwsError):
    """A container tool failed (build, login, tag or push): a failed deployment."""


@dataclass(frozen=True)
class Image:
    """One image the build names: where its Dockerfile is and where it goes."""

    owner: str  # `services.api`
    repository: str
    tag: str
    dockerfile: str  # as the config writes it (`./api/Dockerfile`)
    context: str  # the Dockerfile's folder, relative to the config's folder
    platform: str  # linux/amd64 | linux/arm64

    @property
    def recipe(self) -> tuple[str, str, str, str]:
        """Return what makes two images the same build (one build, pushed to each)."""
        return (self.dockerfile, self.context, self.platform, self.tag)


def images_of(build: Build) -> list[Image]:
    """Return every image the build's task definitions name by tag, in owner order."""
    found: dict[str, Image] = {}
    for doc in build.nested.values():
        for body in (doc.get("Resources") or {}).values():
            meta = body.get("Metadata") or {}
            info = meta.get("cloudc:image")
            if body.get("Type") != "AWS::ECS::TaskDefinition" or not isinstance(info, dict):
                continue
            owner = str(meta.get("cloudc:owner", info["repository"]))
            found[owner] = Image(owner, str(info["repository"]), str(info["tag"]),
                                 str(info["dockerfile"]), str(info["context"]),
                                 str(info["platform"]))
    return [found[k] for k in sorted(found)]


def find_tool() -> tuple[str | None, str]:
    """Return the container tool's path (None: none found) and what was looked for."""
    chosen = os.environ.get(TOOL_ENV, "").strip()
    if chosen:
        return shutil.which(chosen), f"{TOOL_ENV}={chosen}"
    for name in TOOLS:
        path = shutil.which(name)
        if path:
            return path, name
    return None, ", ".join(TOOLS)


@dataclass
class Images:
    """What one deploy does about container images; `prepare` only reads."""

    stack: str
    template: dict[str, Any] | None
    tags: dict[str, str]
    config_dir: Path
    images: list[Image] = field(default_factory=list)
    missing: list[Image] = field(default_factory=list)
    tool: str | None = None
    looked_for: str = ""
    deployed: dict[str, Any] | None = None  # the registry stack's deployed template
    changes: list[ResourceChange] = field(default_factory=list)

    @classmethod
    def prepare(cls, aws: Aws, build: Build, root: str, tags: dict[str, str],
                config: Path) -> Images:
        """Read what is deployed and pushed; find the tool if anything must be built."""
        out = cls(registry_name(root), build.separate.get(REGISTRY), tags,
                  config.resolve().parent)
        out.deployed = _deployed_template(aws, out.stack)
        out.changes = registry_changes(out.stack, out.deployed, out.template)
        if out.template is None:
            return out  # no Dockerfile images: at most a registry stack to delete (`finish`)
        out.images = images_of(build)
        out.missing = [i for i in out.images if not _pushed(aws, i)]
        if out.missing:
            out.tool, out.looked_for = find_tool()
        return out

    def problems(self, build: Build, config: Path) -> list[Diagnostic]:
        """Return an E3200 per image that must be built when no container tool is found."""
        if not self.missing or self.tool is not None:
            return []
        found = []
        origins = build.resolved.origins if build.resolved is not None else None
        for image in self.missing:
            section, _, name = image.owner.partition(".")
            path = (section, name, "image")
            looked = (f"{self.looked_for} is not on PATH" if self.looked_for.startswith(TOOL_ENV)
                      else f"none of {self.looked_for} is on PATH")
            found.append(Diagnostic(
                "E3200", f"deploy must build this image from {image.dockerfile} (ECR has no "
                f"`{image.repository}:{image.tag}` yet), but {looked}",
                origins.get(path) if origins is not None else None, path,
                hint="install Docker (https://docs.docker.com/get-docker/), Podman or Finch, or "
                     f"set {TOOL_ENV} to one; or set `image:` to a pushed image URI",
                file=str(config)))
        return found

    def publish(self, aws: Aws, say: Say) -> None:
        """Bring the registry up (keeping repositories still in use), then build and push."""
        if self.template is None:
            return
        keep = _with_removed(self.template, self.deployed)
        apply_stack(aws, self.stack, keep, self.tags, say)
        self.deployed = keep
        if not self.missing:
            say(f"images: all {len(self.images)} already in ECR, nothing to push")
            return
        assert self.tool is not None, "problems() stops a deploy without a tool"
        host = _login(aws, self.tool, say)
        built: dict[tuple[str, str, str, str], str] = {}
        for image in self.missing:
            ref = f"{host}/{image.repository}:{image.tag}"
            first = built.get(image.recipe)
            if first is None:
                say(f"images: building {image.owner} from {image.dockerfile} "
                    f"({image.platform}) as {image.repository}:{image.tag}")
                _run([self.tool, "build", "--platform", image.platform,
                      "--file", str(self.config_dir / image.dockerfile), "--tag", ref,
                      str(self.config_dir / image.context)], say, f"build {image.owner}")
                built[image.recipe] = ref
            else:  # the same Dockerfile, context and platform: one build, another name
                _run([self.tool, "tag", first, ref], say, f"tag {image.owner}")
            say(f"images: pushing {image.repository}:{image.tag}")
            try:
                _run([self.tool, "push", ref], say, f"push {image.owner}")
            except ImageError:
                if not _pushed(aws, image):  # tags are immutable: another deploy's push
                    raise                    # of the same tag (same context) is as good
                say(f"images: {image.repository}:{image.tag} is in ECR already")
        say(f"images: pushed {len(self.missing)} of {len(self.images)} "
            f"({len(self.images) - len(self.missing)} already in ECR)")

    def finish(self, aws: Aws, say: Say) -> None:
        """After a successful deploy, drop the repositories no service uses any more (the
        whole registry stack once no service builds an image)."""
        if self.template is None and self.deployed is not None:
            delete_unused(aws, self.stack, say)
            self.deployed = None
            return
        if self.template is None or self.deployed == self.template:
            return
        apply_stack(aws, self.stack, self.template, self.tags, say)


def deployed_registry_changes(aws: Aws, build: Build, root: str) -> list[ResourceChange]:
    """Compare the build's registry template with the deployed registry stack (for `diff`)."""
    stack = registry_name(root)
    return registry_changes(stack, _deployed_template(aws, stack), build.separate.get(REGISTRY))


def registry_changes(stack: str, deployed: dict[str, Any] | None,
                     template: dict[str, Any] | None) -> list[ResourceChange]:
    """Return the registry stack's resource changes, labelled `registry`, for a plan (no
    template: the repositories of a deployed registry stack are removed)."""
    if template is None and deployed is None:
        return []
    plan = diff(Side(stack, deployed), Side(stack, template or {"Resources": {}}))
    for rc in plan.resources:
        rc.stack = REGISTRY
    return plan.resources


def _deployed_template(aws: Aws, stack: str) -> dict[str, Any] | None:
    """Return the registry stack's template, or None when it holds nothing."""
    info = describe(aws, stack)
    if info is None or info["StackStatus"] in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE",
                                               "DELETE_COMPLETE"):
        return None
    with api_errors(f"read the template of stack {stack}"):
        body = aws.client("cloudformation").get_template(
            StackName=info["StackId"], TemplateStage="Original")["TemplateBody"]
    return parse_template(body)


def _with_removed(template: dict[str, Any], deployed: dict[str, Any] | None) -> dict[str, Any]:
    """Return `template` plus deployed repositories it drops (services may still pull them)."""
    old = (deployed or {}).get("Resources") or {}
    gone = {k: v for k, v in old.items()
            if k not in template["Resources"] and v.get("Type") == REPOSITORY}
    if not gone:
        return template
    out = copy.deepcopy(template)
    out["Resources"].update(gone)
    return out


def _pushed(aws: Aws, image: Image) -> bool:
    """Say whether ECR holds the image's tag (a missing repository holds nothing)."""
    try:
        with api_errors(f"look up {image.repository}:{image.tag} in ECR"):
            aws.client("ecr").describe_images(repositoryName=image.repository,
                                              imageIds=[{"imageTag": image.tag}])
        return True
    except AwsError as exc:
        if error_code(exc.__cause__) in ("RepositoryNotFoundException",
                                         "ImageNotFoundException"):
            return False
        raise


def apply_stack(aws: Aws, stack: str, template: dict[str, Any], tags: dict[str, str],
                say: Say) -> None:
    """Create or update the registry stack and wait; leave it alone when it is unchanged."""
    cfn = aws.client("cloudformation")
    info = describe(aws, stack)
    if info is not None and info["StackStatus"].endswith("_IN_PROGRESS") \
            and info["StackStatus"] != "REVIEW_IN_PROGRESS":
        info = wait_until_settled(aws, stack)
    if info is not None and info["StackStatus"] in ("ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
        with api_errors(f"delete stack {stack}"):  # an empty failed create: start again
            cfn.delete_stack(StackName=info["StackId"])
        wait_until_settled(aws, info["StackId"])
        info = None
    body = json.dumps(template, sort_keys=True, separators=(",", ":"))
    args: dict[str, Any] = {"StackName": stack,
                            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    if len(body.encode()) > INLINE_LIMIT:  # many repositories: pass it through S3
        bucket = ensure_bucket(aws, say)
        key = f"templates/{hashlib.sha256(body.encode()).hexdigest()}.json"
        upload(aws, bucket, {key: body.encode()})
        args["TemplateURL"] = template_url(bucket, key, None if aws.endpoint_url else aws.region)
    else:
        args["TemplateBody"] = body
    if info is None or info["StackStatus"] == "DELETE_COMPLETE":
        say(f"images: creating stack {stack} (the ECR repositories)")
        with api_errors(f"create stack {stack}"):
            cfn.create_stack(**args)
    else:
        current = _deployed_template(aws, stack)
        old_tags = {t["Key"]: t["Value"] for t in info.get("Tags") or []}
        if current == template and old_tags == tags:
            return
        say(f"images: updating stack {stack} (the ECR repositories)")
        try:
            with api_errors(f"update stack {stack}"):
                cfn.update_stack(**args)
        except AwsError as exc:
            if "No updates are to be performed" in str(exc.__cause__ or exc):
                return  # CloudFormation says so only in prose (as for change sets)
            raise
    done = wait_until_settled(aws, stack)
    status = done["StackStatus"] if done else "DELETE_COMPLETE"
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise AwsError(f"stack {stack} (the ECR repositories) is {status}: "
                       f"{(done or {}).get('StackStatusReason', 'see its events')}; see `aws "
                       f"cloudformation describe-stack-events --stack-name {stack}`")


def _login(aws: Aws, tool: str, say: Say) -> str:
    """Log the tool in to the account's ECR registry; return the registry's host name."""
    with api_errors("get an ECR authorization token"):
        data = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    endpoint = str(data["proxyEndpoint"])
    host = endpoint.split("://", 1)[-1].rstrip("/")
    say(f"images: logging in to {host}")
    _run([tool, "login", "--username", user or "AWS", "--password-stdin", endpoint], say,
         f"log in to {host}", stdin=password)
    return host


def _run(argv: list[str], say: Say, doing: str, stdin: str | None = None) -> None:
    """Run the tool, its output as plain indented lines; raise ImageError when it fails."""
    env = {**os.environ, "BUILDKIT_PROGRESS": "plain", "DOCKER_CLI_HINTS": "false"}
    tail: collections.deque[str] = collections.deque(maxlen=TAIL)
    try:
        proc = subprocess.Popen(  # noqa: S603 - the user's container tool, no shell
            argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    except OSError as exc:
        raise ImageError(f"cannot {doing}: {argv[0]}: {exc.strerror or exc}") from exc
    if stdin is not None and proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError):  # it exited unread: its exit code says why
            proc.stdin.write(stdin)
            proc.stdin.close()
    for line in _lines(proc):
        tail.append(line)
        say(f"  {line}")
    code = proc.wait()
    if code != 0:
        name = Path(argv[0]).name
        raise ImageError(f"cannot {doing}: `{name} {argv[1]}` exited with {code}"
                         + ("; its last lines:\n  " + "\n  ".join(tail) if tail else ""))


def _lines(proc: subprocess.Popen[str]) -> Iterator[str]:
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            yield line
