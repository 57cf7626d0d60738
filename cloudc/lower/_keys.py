"""Customer managed KMS keys from `security.keys`, as other sections refer to them.

Each key `security.keys.NAME` is its own component (name `keys.NAME`, logical IDs
`SecurityKeys<Name>...`), so `link: [security.keys.NAME]` works; an index component
`security.keys` carries `NAME.arn` / `NAME.id` / `NAME.alias` attributes so that
`${security.keys.NAME.arn}` resolves with the ordinary `section.name.attr` reference rule.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import GetAtt, pascal
from cloudc.source import Path

USE = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
       "kms:ReEncryptFrom", "kms:ReEncryptTo"]


def key_logical(name: str) -> str:
    """Return the logical ID of the key `security.keys.NAME`."""
    return f"SecurityKeys{pascal(name)}Key"


def key_arn(ctx: Context, ref: str, path: Path) -> Any:
    """Return the ARN of `security.keys.NAME` (a GetAtt), or None after reporting an error."""
    name = ref.split(".", 2)[2] if ref.count(".") >= 2 else ""
    security = getattr(ctx.config, "security", None)
    names = list(security.keys) if security is not None else []
    if name not in names:
        ctx.diags.add("E3001", f"`{ref}` is not declared", origin=ctx.origin(path), path=path,
                      hint=did_you_mean(name, names)
                      or ("declare it under `security: { keys: { NAME: {} } }`" if not names
                          else f"declared keys: {', '.join(sorted(names))}"))
        return None
    return GetAtt(key_logical(name), "Arn")
