"""The deployments of an environment, kept in the artifacts bucket.

Each successful `cloudc deploy` (and `cloudc rollback`) writes one record,
`deployments/<root stack>/<id>.json`, that names everything the deployment used: the packaged
root template (uploaded under its content hash, like the nested ones), the nested templates,
code assets and container images those templates name, the hash of the merged config and the
stack tags. The uploads are content-addressed and never expire, so `cloudc rollback` redeploys
a record's root template exactly as it was, without compiling or building anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cloudc import __version__
from cloudc.aws.deploy import BOOTSTRAP_STACK
from cloudc.aws.fetch import describe
from cloudc.aws.session import Aws, AwsError, api_errors, error_code

if TYPE_CHECKING:
    from cloudc.aws.deploy import Package
    from cloudc.compile import Build

PREFIX = "deployments/"
_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
_KEY = re.compile(r"/((?:templates|assets)/[^/?#]+)$")


class NoSuchDeployment(AwsError):
    """A rollback target that is not recorded: the user's input, not an AWS failure (exit 1)."""


class _Record(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_Record)


def pick(records: list[R], ident: str | None, same: Callable[[R, R], bool],
         what: str = "for this stack") -> R:
    """Return the record to go back to: `ident`, else the newest one not `same` as the latest
    (records newest first). Raise NoSuchDeployment when there is none."""
    if not records:
        raise NoSuchDeployment(
            f"no deployment is recorded {what} (cloudc deploy records each one; "
            "deployments made before that cannot be rolled back to)")
    if ident is not None:
        for r in records:
            if r.id == ident:
                return r
        raise NoSuchDeployment(f"no deployment {ident}; recorded: "
                               + ", ".join(r.id for r in records[:10])
                               + (" ..." if len(records) > 10 else ""))
    latest = records[0]
    for r in records[1:]:
        if not same(r, latest):
            return r
    raise NoSuchDeployment(f"only one deployment ({latest.id}) is recorded: there is nothing "
                           "earlier to roll back to")


@dataclass
class Deployment:
    """One recorded deployment of a root stack."""

    id: str
    stack: str
    environment: str
    time: str  # ISO 8601, UTC
    root_key: str  # templates/<sha256>.json: the packaged root template
    stacks: dict[str, str] = field(default_factory=dict)  # root logical ID -> template key
    assets: list[str] = field(default_factory=list)  # assets/<sha256>.zip
    images: list[str] = field(default_factory=list)  # container images, as the templates say
    config_sha256: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    rollback_of: str | None = None
    cloudc: str = __version__

    @property
    def key(self) -> str:
        """Return the record's S3 key."""
        return f"{PREFIX}{self.stack}/{self.id}.json"

    def objects(self) -> list[str]:
        """Return every S3 key a redeploy needs."""
        return [self.root_key, *self.stacks.values(), *self.assets]


def bucket_of(aws: Aws) -> str | None:
    """Return the artifacts bucket, or None when no deploy ever made it here."""
    info = describe(aws, BOOTSTRAP_STACK)
    outputs = {o["OutputKey"]: o.get("OutputValue") for o in (info or {}).get("Outputs") or []}
    return str(outputs["BucketName"]) if outputs.get("BucketName") else None


def new_id(root_sha: str, now: datetime | None = None) -> str:
    """Return a deployment ID: UTC time, then the root template's hash (sortable, readable).

    >>> new_id("ab" * 32, datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC))
    '20261130T120005Z-abababab'
    """
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{root_sha[:8]}"


def after(ident: str, newest: str | None) -> str:
    """Return `ident`, moved to one second after `newest` when it would not sort after it.

    IDs count seconds: two deploys (or a deploy and a rollback) within one second would
    otherwise sort by their hashes, and "the latest deployment" would be a coin toss.

    >>> after("20261130T120005Z-abababab", "20261130T120005Z-cdcdcdcd")
    '20261130T120006Z-abababab'
    >>> after("20261130T120007Z-abababab", "20261130T120005Z-cdcdcdcd")
    '20261130T120007Z-abababab'
    """
    if newest is None or ident[:16] > newest[:16]:
        return ident
    then = datetime.strptime(newest[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return new_id(ident[17:], then + timedelta(seconds=1))


def from_package(pkg: Package, build: Build, name: str, tags: dict[str, str],
                 newest: str | None = None) -> tuple[Deployment, bytes]:
    """Describe what `pkg` deploys; return the record (its ID after `newest`, the newest
    recorded one) and the root template's bytes."""
    body = pkg.root_body.encode()
    sha = hashlib.sha256(body).hexdigest()
    stacks = {}
    for lid, res in (pkg.root.get("Resources") or {}).items():
        url = (res.get("Properties") or {}).get("TemplateURL")
        if res.get("Type") == "AWS::CloudFormation::Stack" and isinstance(url, str):
            m = _KEY.search(url)
            if m:
                stacks[lid] = m.group(1)
    images: list[str] = []
    for key, data in sorted(pkg.uploads.items()):
        if key.startswith("templates/"):
            images.extend(i for i in _images(json.loads(data)) if i not in images)
    config = build.resolved.data if build.resolved is not None else {}
    config_sha = hashlib.sha256(json.dumps(config, sort_keys=True, default=str)
                                .encode()).hexdigest()
    record = Deployment(
        id=after(new_id(sha), newest), stack=name, environment=build.env,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        root_key=f"templates/{sha}.json", stacks=stacks,
        assets=sorted(k for k in pkg.uploads if k.startswith("assets/")),
        images=images, config_sha256=config_sha, tags=dict(tags))
    return record, body


def _images(doc: Any) -> Iterator[str]:
    """Yield the container images a template names (each container definition's Image)."""
    for res in (doc.get("Resources") or {}).values():
        for container in (res.get("Properties") or {}).get("ContainerDefinitions") or []:
            image = container.get("Image")
            if image is not None:
                yield image if isinstance(image, str) else json.dumps(image, sort_keys=True)


def save(aws: Aws, bucket: str, record: Deployment, root_body: bytes | None = None) -> None:
    """Write the record (and the root template it names, when given and not there yet)."""
    s3 = aws.client("s3")
    if root_body is not None and not exists(aws, bucket, record.root_key):
        with api_errors(f"upload s3://{bucket}/{record.root_key}"):
            s3.put_object(Bucket=bucket, Key=record.root_key, Body=root_body)
    data = json.dumps(asdict(record), indent=1, sort_keys=True).encode()
    with api_errors(f"record deployment {record.id} in s3://{bucket}/{record.key}"):
        s3.put_object(Bucket=bucket, Key=record.key, Body=data,
                      ContentType="application/json")


def record(aws: Aws, bucket: str, pkg: Package, build: Build, name: str,
           tags: dict[str, str], say: Callable[..., None]) -> Deployment | None:
    """Record a successful deploy; a failure is a warning (the deploy itself succeeded)."""
    try:
        made, body = from_package(pkg, build, name, tags, newest(aws, bucket, name))
        save(aws, bucket, made, body)
    except AwsError as exc:
        say(f"warning: the deployment was not recorded, so `cloudc rollback` cannot return "
            f"to it: {exc}", fg="yellow")
        return None
    say(f"recorded deployment {made.id}")
    return made


def exists(aws: Aws, bucket: str, key: str) -> bool:
    """Say whether the bucket holds `key`."""
    try:
        with api_errors(f"check s3://{bucket}/{key}"):
            aws.client("s3").head_object(Bucket=bucket, Key=key)
        return True
    except AwsError as exc:
        if error_code(exc.__cause__) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def keys(aws: Aws, bucket: str, prefix: str) -> list[str]:
    """Return the keys of the JSON records under `prefix`, newest first (IDs sort by time)."""
    s3 = aws.client("s3")
    out: list[str] = []
    with api_errors(f"list the deployments in s3://{bucket}/{prefix}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents") or [] if o["Key"].endswith(".json"))
    return sorted(out, reverse=True)


def _ids(aws: Aws, bucket: str, name: str) -> list[str]:
    """Return the IDs of the recorded deployments of the root stack `name`, newest first."""
    ids = (k.rsplit("/", 1)[1][:-len(".json")] for k in keys(aws, bucket, f"{PREFIX}{name}/"))
    return [i for i in ids if _ID.match(i)]


def newest(aws: Aws, bucket: str, name: str) -> str | None:
    """Return the ID of the newest recorded deployment of `name`, if any."""
    return next(iter(_ids(aws, bucket, name)), None)


def listing(aws: Aws, bucket: str, name: str) -> list[Deployment]:
    """Return the recorded deployments of the root stack `name`, newest first."""
    return [load(aws, bucket, name, i) for i in _ids(aws, bucket, name)]


def load(aws: Aws, bucket: str, name: str, ident: str) -> Deployment:
    """Read one record."""
    key = f"{PREFIX}{name}/{ident}.json"
    with api_errors(f"read s3://{bucket}/{key}"):
        data = json.loads(aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    known = set(Deployment.__dataclass_fields__)
    return Deployment(**{k: v for k, v in data.items() if k in known})


def read_template(aws: Aws, bucket: str, key: str) -> dict[str, Any]:
    """Return an uploaded template."""
    with api_errors(f"read s3://{bucket}/{key}"):
        body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise AwsError(f"s3://{bucket}/{key} is not a template")
    return doc
