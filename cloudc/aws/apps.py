"""An environment as deployed: one root stack, or several past 2,500 resources (cloudc/roots.py).

`status`, `outputs`, `destroy` and `rollback` go through `deployed_roots`: the build's roots in
dependency order, then any `{base}-R<n>` stack still deployed that the build does not name (an
app that shrank, or a config with errors that could not be built).

A deploy of several roots records each root's deployment (cloudc/aws/history.py) and then one
record of the set, `roots/<base>/<id>.json`, naming each root's record: `cloudc rollback` of
such an app returns every root to the records of one set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cloudc import __version__
from cloudc.aws import history
from cloudc.aws.fetch import ABSENT, describe
from cloudc.aws.session import Aws, AwsError, api_errors
from cloudc.roots import RootStack, root_name, root_stacks, waves

if TYPE_CHECKING:
    from cloudc.compile import Build

PREFIX = "roots/"


def deployed_roots(aws: Aws, build: Build, base: str) -> list[RootStack]:
    """Return the roots of `build` (dependency order), then deployed roots it does not name.

    A root the build does not name needs root 1 (every later root reads root 1's values), so
    destroy deletes it first.
    """
    roots = root_stacks(build, base)
    n = max(r.number for r in roots) + 1
    while True:
        name = root_name(base, n)
        try:
            info = describe(aws, name)
        except AwsError as exc:  # often the first call: its failure (credentials, endpoint)
            reason = str(exc).split(": ", 1)[-1]  # is not about a stack the user never made
            raise AwsError(f"cannot look for the stacks of {base}: {reason}") from exc.__cause__
        if info is None or info["StackStatus"] in ABSENT:
            return roots
        roots.append(RootStack(n, name, "", {}, {}, (base,)))
        n += 1


def reverse_waves(roots: list[RootStack]) -> list[list[RootStack]]:
    """Return the waves in which `roots` are deleted: every root before the roots it needs."""
    names = {r.name for r in roots}
    trimmed = [RootStack(r.number, r.name, r.file, r.template, r.nested,
                         tuple(n for n in r.needs if n in names)) for r in roots]
    return list(reversed(waves(trimmed)))


# --- the record of a deploy of several roots -------------------------------------------------


@dataclass
class RootsDeployment:
    """One deployment of an app of several roots: each root's record, by root stack name."""

    id: str
    stack: str  # root 1's stack name
    environment: str
    time: str
    roots: dict[str, str] = field(default_factory=dict)  # root stack name -> record ID
    rollback_of: str | None = None
    cloudc: str = __version__

    @property
    def key(self) -> str:
        """Return the record's S3 key."""
        return f"{PREFIX}{self.stack}/{self.id}.json"


def _made(base: str, env: str, roots: dict[str, str], rollback_of: str | None = None,
          newest: str | None = None) -> RootsDeployment:
    sha = hashlib.sha256(json.dumps(roots, sort_keys=True).encode()).hexdigest()
    return RootsDeployment(history.after(history.new_id(sha), newest), base, env,
                           datetime.now(UTC).isoformat(timespec="seconds"), dict(roots),
                           rollback_of)


def _save(aws: Aws, bucket: str, made: RootsDeployment) -> None:
    data = json.dumps(asdict(made), indent=1, sort_keys=True).encode()
    with api_errors(f"record deployment {made.id} in s3://{bucket}/{made.key}"):
        aws.client("s3").put_object(Bucket=bucket, Key=made.key, Body=data,
                                    ContentType="application/json")


def current(aws: Aws, bucket: str, roots: list[RootStack]) -> dict[str, str] | None:
    """Return each root's latest record ID, or None when a root has none."""
    out = {}
    for root in roots:
        found = history.listing(aws, bucket, root.name)
        if not found:
            return None
        out[root.name] = found[0].id
    return out


def record(aws: Aws, bucket: str, base: str, env: str, roots: list[RootStack],
           say: Callable[..., None], rollback_of: str | None = None) -> RootsDeployment | None:
    """Record that `roots` now run their latest records; a failure is a warning."""
    try:
        now = current(aws, bucket, roots)
        if now is None:
            say("warning: a root stack has no recorded deployment, so `cloudc rollback` "
                "cannot return the app to this one", fg="yellow")
            return None
        before = listing(aws, bucket, base, 1)
        if before and before[0].roots == now and rollback_of is None:
            return before[0]  # nothing changed since the last record
        made = _made(base, env, now, rollback_of, before[0].id if before else None)
        _save(aws, bucket, made)
    except AwsError as exc:
        say(f"warning: the deployment of the root stacks was not recorded, so `cloudc "
            f"rollback` cannot return to it: {exc}", fg="yellow")
        return None
    say(f"recorded deployment {made.id} of {len(now)} root stacks")
    return made


def listing(aws: Aws, bucket: str, base: str, limit: int | None = None) -> list[RootsDeployment]:
    """Return the recorded deployments of the app whose root 1 is `base`, newest first (the
    `limit` newest when given)."""
    s3 = aws.client("s3")
    out = []
    known = set(RootsDeployment.__dataclass_fields__)
    for key in history.keys(aws, bucket, f"{PREFIX}{base}/")[:limit]:
        with api_errors(f"read s3://{bucket}/{key}"):
            data = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        out.append(RootsDeployment(**{k: v for k, v in data.items() if k in known}))
    return out

