"""EC2 takes at most 16 KB of user data (before base64): a bigger boot script fails every launch
(E3215). Deploy-time values (endpoints, ARNs, the stack name) are counted at 128 bytes each.
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import Base64, Join

NEEDS = "ir"
CODES = (Code("E3215", "a server's boot script is larger than the 16 KB EC2 takes as user data"),)
LIMIT = 16 * 1024
EXPRESSION_BYTES = 128  # what one deploy-time value may become, generously


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report servers whose user data cannot fit in 16 KB."""
    if cx.ir is None:
        return
    for r in cx.ir.resources.values():
        if r.type != "AWS::EC2::LaunchTemplate" or not r.owner.startswith("servers."):
            continue
        name = r.owner.split(".", 1)[1]
        size = user_data_size(r.properties["LaunchTemplateData"].get("UserData"))
        if size > LIMIT:
            yield Finding(
                "E3215", f"the boot script is about {size:,} bytes, and EC2 takes at most "
                f"{LIMIT:,} bytes of user data: no instance could launch", ("servers", name),
                key=True, hint="move setup into `build` or `user_data` scripts kept in the code "
                "folder, use fewer recipes, or bake a custom AMI (`image: ami-...`)")


def user_data_size(value: Any) -> int:
    """Return the size of user data in bytes, counting each expression as EXPRESSION_BYTES.

    >>> user_data_size(Base64(Join("", ("ab", Base64("x"), "c"))))
    131
    """
    if isinstance(value, Base64):
        value = value.value
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, Join):
        return sum(len(p.encode()) if isinstance(p, str) else EXPRESSION_BYTES
                   for p in value.parts)
    return 0
