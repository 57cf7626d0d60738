"""E3235 for a raw `resources:` logical ID that a pass gives a generated resource later.

Lowering reports a raw logical ID that a section already generated (cloudc/lower/resources.py);
the passes run after the raw resources are added and may generate more (VPC endpoints for
private compute, security-group ingress rules for links). Such a resource takes its logical ID
(other generated resources refer to it), and the raw entry is reported here, at its key.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html
(a logical ID is unique within a template).
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.checks.raw_resources import CODES as RAW_CODES

CODES = tuple(c for c in RAW_CODES if c.code == "E3235")


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each raw resource a generated one displaced."""
    if cx.ir is None:
        return
    for lid, raw in cx.ir.displaced.items():
        other = cx.ir.resources.get(lid)
        if other is None:
            continue
        yield Finding("E3235", f"logical ID `{lid}` is already `{other.owner}`'s {other.type}, "
                               "which cloudc adds for the app",
                      ("resources", raw.owner.partition(".")[2]), key=True,
                      hint=f"give the raw resource another logical ID, or patch `{lid}` with "
                           "`overrides:`")
