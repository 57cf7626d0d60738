"""`cloudc secrets`: the values of the declared `secrets:` entries, in Secrets Manager or SSM.

Only declared entries are touched. A value is never printed unless asked (`get --reveal`).
Entries with no source (`stripe_key: {}`) are empty secrets that CloudFormation creates and
never writes to: their value is the user's, set here. `ssm:` and `arn:` entries name values
that live outside the app; setting one writes there. `generate:` values belong to AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudc.aws.session import Aws, AwsError, api_errors, error_code
from cloudc.diagnostics import did_you_mean

if TYPE_CHECKING:
    from cloudc.compile import Build


class Refused(Exception):
    """A request about an entry that the config does not allow (exit 1); one line."""


@dataclass(frozen=True)
class Entry:
    """One declared secret: how its value comes to be and where it lives."""

    name: str
    kind: str  # "set" (no source: yours to set) | "generated" | "ssm" | "arn"
    where: str  # the secret's name or ARN, or the SSM parameter path
    env: str = "development"  # the environment, for the commands a message suggests

    @property
    def settable(self) -> bool:
        """Say whether `cloudc secrets set` may write the value."""
        return self.kind != "generated"


def entries(build: Build) -> list[Entry]:
    """Return the declared secrets, in config order."""
    assert build.ir is not None
    out = []
    for name, spec in (getattr(build.config, "secrets", None) or {}).items():
        if spec.ssm is not None:
            out.append(Entry(name, "ssm", spec.ssm, build.env))
        elif spec.arn is not None:
            out.append(Entry(name, "arn", spec.arn, build.env))
        else:
            comp = build.ir.components[f"secrets.{name}"]
            out.append(Entry(name, "generated" if spec.generate is not None else "set",
                             str(comp.physical), build.env))
    return out


def entry(build: Build, name: str) -> Entry:
    """Return the declared secret `name`, or refuse with the declared names."""
    found = {e.name: e for e in entries(build)}
    if name not in found:
        hint = did_you_mean(name, found)
        raise Refused(f"no secret `{name}` in `secrets:`" + (f" ({hint})" if hint else "")
                      + "; declared: " + (", ".join(found) or "none (add one: `name: {}` is a "
                                          "secret whose value you set)"))
    return found[name]


def describe(aws: Aws, e: Entry) -> dict[str, Any]:
    """Return what is known about an entry's value, never the value: is_set, changed, version."""
    if e.kind == "ssm":
        try:
            with api_errors(f"read the SSM parameter {e.where}"):
                p = aws.client("ssm").get_parameter(Name=e.where, WithDecryption=False)
        except AwsError as exc:
            if error_code(exc.__cause__) == "ParameterNotFound":
                return {"is_set": False}
            raise
        param = p["Parameter"]
        return {"is_set": True, "changed": _iso(param.get("LastModifiedDate")),
                "version": str(param.get("Version", ""))}
    try:
        with api_errors(f"describe the secret {e.where}"):
            d = aws.client("secretsmanager").describe_secret(SecretId=e.where)
    except AwsError as exc:
        if error_code(exc.__cause__) == "ResourceNotFoundException":
            return {"is_set": False, "missing": True}
        raise
    current = [v for v, stages in (d.get("VersionIdsToStages") or {}).items()
               if "AWSCURRENT" in stages]
    return {"is_set": bool(current), "changed": _iso(d.get("LastChangedDate")),
            "version": current[0] if current else ""}


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else \
        str(value or "")


def get(aws: Aws, e: Entry) -> str:
    """Return an entry's current value."""
    if e.kind == "ssm":
        with api_errors(f"read the SSM parameter {e.where}"):
            return str(aws.client("ssm").get_parameter(Name=e.where, WithDecryption=True)
                       ["Parameter"]["Value"])
    try:
        with api_errors(f"read the secret {e.where}"):
            v = aws.client("secretsmanager").get_secret_value(SecretId=e.where)
    except AwsError as exc:
        if error_code(exc.__cause__) == "ResourceNotFoundException":
            raise Refused(f"secret `{e.name}` has no value yet: set it with `cloudc secrets set "
                          f"--env {e.env} {e.name} -`") from exc
        raise
    if "SecretString" not in v:
        raise Refused(f"secret `{e.name}` holds a binary value, which cloudc does not print")
    return str(v["SecretString"])


def put(aws: Aws, e: Entry, value: str) -> str:
    """Store `value` as an entry's current value; return the new version."""
    if not e.settable:
        raise Refused(f"secret `{e.name}` is generated by AWS (`generate:`), so its value is "
                      f"not yours to set; declare it with no source (`{e.name}: {{}}`) to set "
                      "it yourself")
    if value == "":
        raise Refused("the value is empty; a secret's value is at least one character")
    if e.kind == "ssm":
        with api_errors(f"write the SSM parameter {e.where}"):
            r = aws.client("ssm").put_parameter(Name=e.where, Value=value, Type="SecureString",
                                                Overwrite=True)
        return str(r.get("Version", ""))
    try:
        with api_errors(f"write the secret {e.where}"):
            r = aws.client("secretsmanager").put_secret_value(SecretId=e.where,
                                                              SecretString=value)
    except AwsError as exc:
        if error_code(exc.__cause__) == "ResourceNotFoundException":
            raise AwsError(f"secret {e.where} does not exist yet: `cloudc deploy` creates it, "
                           "then set its value") from exc
        raise
    return str(r.get("VersionId", ""))
