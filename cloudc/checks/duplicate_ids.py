"""Two entries of one section that would get the same logical ID (`a-b` and `a_b`).

Logical IDs are `Pascal(section) + Pascal(name) + suffix`, so names that differ only in `-`, `_`
or case collide; CloudFormation needs every logical ID once per template. Blocking: lowering
cannot build two resources with one ID.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import pascal
from cloudc.schema import map_sections

NEEDS = "config"
BLOCKING = True
CODES = (
    Code("E3100", "two entries get the same logical ID",
         "names of one section that differ only in `-`, `_` or case map to one logical ID"),
)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report the second of two names in a section that give the same logical ID."""
    for section in map_sections():
        entries = cx.data.get(section)
        if not isinstance(entries, dict):
            continue
        seen: dict[str, str] = {}
        for name in entries:
            stem = pascal(str(name))
            first = seen.setdefault(stem, str(name))
            if first != name:
                yield Finding("E3100", f"gives the same logical ID `{pascal(section)}{stem}` as "
                              f"`{section}.{first}`", (section, name),
                              "rename one of them: names may not differ only in `-`, `_` or case",
                              key=True)
