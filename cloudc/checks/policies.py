"""`policies:` statements that grant a `*` action or resource (E3230, W3230).

An extra IAM statement on a function, service or server is the user's to write, but `*` as an
action (or `service:*`) or as a resource grants far more than any app needs: least privilege is
the point of links. It is an error unless the statement says `allow_wildcard: true`; then it
warns, so the grant stays visible in every build. A `Deny` may use `*` freely (it narrows).
https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("E3230", "a `policies:` statement grants `*` without `allow_wildcard: true`"),
    Code("W3230", "a `policies:` statement grants `*` (allowed by `allow_wildcard: true`)"),
)
SECTIONS = ("functions", "services", "servers")


def wildcard_action(action: str) -> bool:
    """Say whether an action grants every action (of everything, or of one service).

    >>> wildcard_action("*"), wildcard_action("s3:*"), wildcard_action("s3:Get*")
    (True, True, False)
    """
    return action == "*" or action.endswith(":*")


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each `*` action or resource in an Allow statement, at its line."""
    for section in SECTIONS:
        for name, spec in cx.section(section).items():
            for i, policy in enumerate(getattr(spec, "policies", None) or []):
                if policy.effect != "Allow":
                    continue
                base = (section, name, "policies", i)
                yield from _wildcards(base, "actions", policy.actions, wildcard_action,
                                      policy.allow_wildcard)
                yield from _wildcards(base, "resources", policy.resources,
                                      lambda r: r.strip() == "*", policy.allow_wildcard)


def _wildcards(base: tuple[Any, ...], field: str, values: list[str], wild: Any,
               allowed: bool) -> Iterator[Finding]:
    what = "action" if field == "actions" else "resource"
    for j, value in enumerate(values):
        if not wild(value):
            continue
        if allowed:
            yield Finding("W3230", f"`{value}` grants every {what}: the role may do more than "
                          "the app needs", base + (field, j),
                          hint="name the actions and ARNs the code uses, if you can")
        else:
            yield Finding("E3230", f"`{value}` grants every {what}, which needs "
                          "`allow_wildcard: true` on this statement", base + (field, j),
                          hint="name the actions and ARNs the code uses (least privilege), or "
                               "add `allow_wildcard: true` to the statement to accept it")
