"""file_systems: EFS file systems shared by services, servers and functions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from cloudc.schema.base import Bool, Model, NonNegInt, Tagged

SECTION = "file_systems"
ORDER = 64

def _octal(value: object) -> object:
    """Read an unquoted `0755` (YAML 1.2 reads the integer 755) as the mode it spells."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:04d}"
    return value


# A file mode: `"0755"`, or written unquoted, the integer whose decimal digits spell it.
Octal = Annotated[str, Field(pattern=r"^0?[0-7]{3}$"), BeforeValidator(_octal), WithJsonSchema(
    {"anyOf": [{"type": "string", "pattern": r"^0?[0-7]{3}$"},
               {"type": "integer", "minimum": 0, "maximum": 777}]})]

IA_DAYS = (1, 7, 14, 30, 60, 90, 180, 270, 365)


class AccessPoint(Model):
    """An entry point that pins the POSIX user and the root directory."""

    path: str = Field(pattern=r"^/", description="Root directory, created on first use.")
    uid: NonNegInt = Field(1000, description="POSIX user id of every access.")
    gid: NonNegInt = Field(1000, description="POSIX group id of every access.")
    permissions: Octal = Field("0755", description="Mode of the root directory when created "
                               "(`0755` and `\"0755\"` are the same).")


class FileSystem(Tagged):
    """An encrypted EFS file system with a mount target in every private subnet."""

    lifecycle_ia_days: Literal[1, 7, 14, 30, 60, 90, 180, 270, 365] | None = Field(
        30, description="Move files not read for this many days to Infrequent Access (null: never)."
    )
    throughput: Literal["elastic", "bursting"] = Field(
        "elastic", description="elastic (pay per use) or bursting throughput mode.")
    performance: Literal["generalPurpose", "maxIO"] = Field(
        "generalPurpose", description="generalPurpose or maxIO performance mode.")
    backups: Bool = Field(True, description="Daily AWS Backup of the file system.")
    access_points: dict[str, AccessPoint] = Field(
        default_factory=dict, description="Access points by name.")
    retain: Bool | None = Field(None, description="Keep on stack delete (default: production).")


Entry = FileSystem
