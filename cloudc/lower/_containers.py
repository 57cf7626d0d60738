"""Container helpers for `services`: images (ECR or given), ECS secrets and EFS mounts.

A Dockerfile image gets an ECR repository and a tag that is a hash of its build context; ECS
secrets are `ValueFrom` references (Secrets Manager or SSM), and the execution role reads
exactly those; EFS mounts are task volumes with TLS and IAM authorisation.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from pathlib import Path as FsPath
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Sub, arn, pascal, statement
from cloudc.paths import MAX_CONTEXT_BYTES, PathProblem, is_dockerfile, scan
from cloudc.schema.sections.services import Service
from cloudc.source import Path

REGISTRY = "registry"  # the separate stack of ECR repositories (cloudc.ir.SEPARATE_GROUPS)
_SECRET = re.compile(r"^\$\{\s*secret:([A-Za-z0-9_/+=.@-]+?)(?:\.([A-Za-z0-9_-]+))?\s*\}$")
_SECRET_REF = re.compile(r"^secrets\.([a-z0-9][a-z0-9_-]*)(?:\.([A-Za-z0-9_-]+))?$")
_SSM = re.compile(r"^\$\{\s*ssm:(/[^}\s]+)\s*\}$")
_PRIVATE_ECR = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)")
MAX_CONTEXT_FILES = 1_000_000  # hashed, not zipped: a context may hold a big node_modules
_SKIP = {".git", ".hg", ".svn"}  # VCS metadata: a commit alone must not change an image


def context_hash(folder: FsPath, root: FsPath | None = None, *,
                 dockerfile: FsPath | None = None, platform: str = "") -> str:
    """Return a stable hash of what `docker build` would use: the context, Dockerfile, platform.

    The context is every file of `folder` that `.dockerignore` (or `<Dockerfile>.dockerignore`
    beside the Dockerfile, which BuildKit prefers) does not leave out, with Docker's rules: the
    last matching pattern wins, `!` re-includes, `**` spans folders, and a pattern that matches a
    folder matches everything in it. The Dockerfile always counts (Docker reads it even when it
    is ignored), and so does the target platform (an arm64 image is another image). Only VCS
    folders and the config folder's `build/` (cloudc's own output, which holds the tag) are
    skipped. Files are listed by `cloudc.paths.scan`: links must stay inside `root` (the
    config's folder), special files are refused (PathProblem).
    """
    digest = hashlib.sha256(f"platform={platform}\0".encode())
    base = root or folder
    ignore = _dockerignore(folder, dockerfile)
    output = (base / "build").resolve()
    try:
        entries = scan(folder, base, "build context", limit=MAX_CONTEXT_BYTES,
                       max_files=MAX_CONTEXT_FILES, skip=frozenset(_SKIP))
    except PathProblem as exc:
        if exc.code == "E1013":  # too big: Docker would send all of it, too
            exc.hint = ("leave out what the image does not need (node_modules, .venv, "
                        "test data) in a .dockerignore beside the Dockerfile")
        raise
    for entry in sorted(entries, key=lambda e: e.rel.split("/")):  # path order, as always
        if _ignored(entry.rel, ignore) or entry.path.resolve().is_relative_to(output):
            continue
        digest.update(entry.rel.encode() + b"\0")
        digest.update(hashlib.sha256(entry.path.read_bytes()).digest())
    if dockerfile is not None:
        digest.update(b"dockerfile\0" + hashlib.sha256(dockerfile.read_bytes()).digest())
    return digest.hexdigest()[:16]


Rules = list[tuple[bool, "re.Pattern[str]"]]


def _dockerignore(folder: FsPath, dockerfile: FsPath | None = None) -> Rules:
    """Return the ignore rules as (re-include?, pattern), in file order."""
    path = folder / ".dockerignore"
    own = dockerfile.parent / f"{dockerfile.name}.dockerignore" if dockerfile else None
    if own is not None and own.is_file():
        path = own
    if not path.is_file():
        return []
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        text = line[1:].strip() if negate else line
        text = posixpath.normpath(text.strip("/")) if text.strip("/") else ""
        if text and text != ".":
            rules.append((negate, re.compile(_glob(text))))
    return rules


def _glob(pattern: str) -> str:
    """Translate a .dockerignore pattern (Go filepath.Match with `**`) to a regular expression.

    >>> [bool(re.fullmatch(_glob(p), "a/b/c.log")) for p in ("**/*.log", "*.log", "a/?/*")]
    [True, False, True]
    """
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif c == "*":
            out, i = out + "[^/]*", i + 1
        elif c == "?":
            out, i = out + "[^/]", i + 1
        elif c == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end]
            out, i = out + "[" + body.replace("\\", "\\\\") + "]", end + 1
        elif c == "\\" and i + 1 < len(pattern):
            out, i = out + re.escape(pattern[i + 1]), i + 2
        else:
            out, i = out + re.escape(c), i + 1
    return out


def _ignored(rel: str, rules: Rules) -> bool:
    """Say whether Docker leaves `rel` out: the last rule matching it or a parent folder wins."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    out = False
    for negate, rx in rules:
        if any(rx.fullmatch(p) for p in prefixes):
            out = not negate
    return out


def image(comp: Component, spec: Service, ctx: Context) -> tuple[Any, dict[str, Any]]:
    """Return the container image and what pulling it needs (repository ARN, metadata)."""
    path = comp.path + ("image",)
    image = spec.image.strip()
    if not is_dockerfile(image):
        m = _PRIVATE_ECR.match(image)
        if m:
            account, region, repo = m.groups()
            repo_arn = Sub(f"arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repo}")
            return image, {"repository": repo_arn}
        return ctx.value(image, path), {}
    found = ctx.locate(image, path, "file", "Dockerfile")
    dockerfile = found or (ctx.res.config_dir / image)
    if found is None:
        tag = "missing"
    else:
        try:
            tag = spec.tag or "src-" + context_hash(
                found.parent, ctx.res.config_dir, dockerfile=found, platform=_platform(spec))
        except (OSError, PathProblem) as exc:
            ctx.diags.add(getattr(exc, "code", "E1007"), f"cannot read the build context of "
                          f"`{image}`: {getattr(exc, 'message', exc)}", origin=ctx.origin(path),
                          path=path, hint=getattr(exc, "hint", None))
            tag = "unreadable"
    repo_name = ctx.physical(comp.name, 256)
    repo_props: dict[str, Any] = {
        "RepositoryName": repo_name,
        "ImageScanningConfiguration": {"ScanOnPush": True},
        "ImageTagMutability": "IMMUTABLE",
        "EncryptionConfiguration": {"EncryptionType": "AES256"},
        "LifecyclePolicy": {"LifecyclePolicyText": json.dumps({"rules": [
            {"rulePriority": 1, "description": "drop untagged images after a day",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                           "countUnit": "days", "countNumber": 1},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "keep the 30 newest images",
             "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                           "countNumber": 30},
             "action": {"type": "expire"}},
        ]}, separators=(",", ":"))},
    }
    if not ctx.production:
        repo_props["EmptyOnDelete"] = True
    context_dir = dockerfile.parent
    try:
        rel_context = context_dir.relative_to(ctx.res.config_dir.resolve()).as_posix() or "."
    except ValueError:
        rel_context = context_dir.as_posix()
    metadata = {"repository": repo_name, "tag": tag, "dockerfile": image,
                "context": rel_context,
                "platform": _platform(spec)}
    # The repository lives in the `registry` stack, which deploy updates before it pushes
    # and before the root stack whose task definitions name the image (docs/design.md).
    repo = ctx.add(comp, "Repository", "AWS::ECR::Repository", repo_props, path=path,
                   stateful=True, group=REGISTRY)
    # No tag here: the registry stack changes only when repositories do. What deploy builds
    # is in the task definition's `cloudc:image` metadata (its image changes with the tag).
    uri = Sub(f"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/"
              f"{repo_name}:{tag}")
    comp.attrs["repository_uri"] = Sub(
        f"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repo_name}")
    comp.attrs["image"] = uri
    return uri, {"repository": arn("ecr", f"repository/{repo_name}"), "metadata": metadata}


def _platform(spec: Service) -> str:
    """Return the `--platform` a service's image is built for."""
    return "linux/arm64" if spec.architecture == "arm64" else "linux/amd64"


# --- secrets -----------------------------------------------------------------------------------


def user_secrets(comp: Component, spec: Service, ctx: Context) -> dict[str, Any]:
    """Turn `secrets:` entries into ECS ValueFrom expressions."""
    out: dict[str, Any] = {}
    for env_name, text in spec.secrets.items():
        path = comp.path + ("secrets", env_name)
        text = text.strip()
        value = _value_from(text, path, ctx)
        if value is not None:
            out[env_name] = value
    return out


def _value_from(text: str, path: Path, ctx: Context) -> Any | None:
    m = _SECRET.match(text) or _SECRET_REF.match(text)
    if m:
        name, key = m.group(1), m.group(2)
        target = ctx.component(f"secrets.{name}")
        if target is None:
            if text.startswith("secrets."):
                ctx.diags.add("E3001", f"`secrets.{name}` is not declared",
                              origin=ctx.origin(path), path=path)
                return None
            base: Any = arn("secretsmanager", f"secret:{name}")
        else:
            base = target.attrs["arn"]
            if _kind(base) == "ssm":
                if key:
                    ctx.diags.add("E3005", f"secret `{name}` is an SSM parameter, which has no "
                                  "JSON keys", origin=ctx.origin(path), path=path)
                return base
        if key:
            return Sub(f"${{arn}}:{key}::", (("arn", base),))
        return base
    m = _SSM.match(text)
    if m:
        return arn("ssm", f"parameter{m.group(1)}")
    if text.startswith("arn:") and (":secretsmanager:" in text or ":ssm:" in text):
        return Sub(text.replace("${", "${!"))
    ctx.diags.add("E2005", f"`{text}` is not a secret reference", origin=ctx.origin(path),
                  path=path, hint="use `${secret:NAME}`, `${secret:NAME.KEY}`, `secrets.NAME`, "
                                  "`${ssm:/path}` or a secret or parameter ARN")
    return None


def _kind(value: Any) -> str:
    """Say whether a ValueFrom points at SSM Parameter Store or Secrets Manager."""
    text = value.template if isinstance(value, Sub) else value if isinstance(value, str) else ""
    return "ssm" if ":ssm:" in text else "secretsmanager"


def _grant_target(value: Any) -> Any:
    """Return the IAM resource that reading a ValueFrom needs (the secret, not its JSON key)."""
    if isinstance(value, Sub) and value.template.startswith("${arn}:") and value.vars:
        return dict(value.vars)["arn"]
    if isinstance(value, Sub) and ":secretsmanager:" in value.template \
            and ":secret:" in value.template and not value.vars:
        body = value.template
        parts = body.split(":")
        if len(parts) >= 7:  # arn:partition:secretsmanager:region:account:secret:name[...]
            name = parts[6]
            base = ":".join(parts[:7])
            return Sub(base if re.search(r"-[A-Za-z0-9]{6}$", name) else base + "-??????")
    return value


def finish_container(comp: Component, container: dict[str, Any],
                      user_secrets: dict[str, Any], exec_statements: list[Any]) -> None:
    """Write the container's environment and secrets lists and let the execution role read
    exactly the secrets it injects."""
    env = comp.environment or {}
    secrets = {**(comp.secrets or {}), **user_secrets}
    clash = sorted(set(env) & set(secrets))
    for name in clash:  # a secret always wins over a plain value of the same name
        env.pop(name)
    if env:
        container["Environment"] = [{"Name": k, "Value": v} for k, v in sorted(env.items())]
    if secrets:
        container["Secrets"] = [{"Name": k, "ValueFrom": v} for k, v in sorted(secrets.items())]
    sm: list[Any] = []
    ssm: list[Any] = []
    for value in (secrets[k] for k in sorted(secrets)):
        target = _grant_target(value)
        bucket = ssm if _kind(value) == "ssm" else sm
        if target not in bucket:
            bucket.append(target)
    if sm:
        exec_statements.append(statement(["secretsmanager:GetSecretValue"], sm))
    if ssm:
        exec_statements.append(statement(["ssm:GetParameters"], ssm))


# --- mounts ------------------------------------------------------------------------------------


def mounts(comp: Component, spec: Service, ctx: Context
            ) -> tuple[list[Any], list[Any], list[str]]:
    """Return task volumes, container mount points and the mount targets to wait for."""
    volumes: list[Any] = []
    points: list[Any] = []
    ready: list[str] = []
    for container_path, ref in spec.mounts.items():
        path = comp.path + ("mounts", container_path)
        parts = ref.split(".")
        key = ".".join(parts[:2])
        target = ctx.component(key)
        if parts[0] != "file_systems" or len(parts) not in (2, 3) or target is None:
            ctx.diags.add("E3002", f"`{ref}` is not a file system to mount",
                          origin=ctx.origin(path), path=path,
                          hint="use `file_systems.NAME` or `file_systems.NAME.ACCESS_POINT`")
            continue
        if not container_path.startswith("/"):
            ctx.diags.add("E2005", f"mount path `{container_path}` is not absolute",
                          origin=ctx.origin(path), path=path)
            continue
        access_points = target.mountable.access_points if target.mountable else {}
        auth: dict[str, Any] = {"IAM": "ENABLED"}
        if len(parts) == 3:
            if parts[2] not in access_points:
                ctx.diags.add("E3001", f"`{key}` has no access point `{parts[2]}`",
                              origin=ctx.origin(path), path=path,
                              hint=f"access points: {', '.join(access_points) or 'none'}")
                continue
            auth["AccessPointId"] = access_points[parts[2]]["id"]
        volume = f"{pascal(target.name)}{pascal(parts[2]) if len(parts) == 3 else ''}"
        if volume not in [v["Name"] for v in volumes]:
            volumes.append({"Name": volume, "EFSVolumeConfiguration": {
                "FilesystemId": target.attrs["id"], "TransitEncryption": "ENABLED",
                "AuthorizationConfig": auth}})
        points.append({"SourceVolume": volume, "ContainerPath": container_path,
                       "ReadOnly": False})
        from cloudc.lower._vpc import mount_ready

        ready.extend(d for d in mount_ready(target, ctx) if d not in ready)
    return volumes, points, ready
