"""DynamoDB capacity settings that cannot work, and a table that becomes a global table.

`autoscaling` moves provisioned capacity: an on-demand table has none (E3255), and a maximum
below the provisioned capacity would be a range Application Auto Scaling refuses (E3256).
`replica_regions` makes the table an `AWS::DynamoDB::GlobalTable`: a new resource, so adding it
to a table that already exists would create a second table of the same name, which fails while
the old one exists (W3251); AWS documents the migration (retain, remove, import).
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("E3255", "autoscaling on an on-demand table",
         "`autoscaling` needs `billing: provisioned` with read_capacity and write_capacity"),
    Code("E3256", "an autoscaling maximum below the provisioned capacity",
         "max_read and max_write are at least read_capacity and write_capacity"),
    Code("W3251", "a table with replica regions is a global table",
         "adding `replica_regions` to an existing table replaces it with an "
         "AWS::DynamoDB::GlobalTable of the same name, which fails while the old table exists"),
)
MIGRATE = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
           "aws-resource-dynamodb-globaltable.html")


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report autoscaling that cannot apply, and warn where a table turns global."""
    for name, spec in cx.section("databases").items():
        if spec.engine != "dynamodb":
            continue
        path = ("databases", name)
        auto = spec.autoscaling
        if auto is not None and spec.billing != "provisioned":
            yield Finding("E3255", "autoscaling moves provisioned capacity, and this table is "
                          "on-demand (it scales by itself)", path + ("autoscaling",),
                          hint="set `billing: provisioned` with read_capacity and "
                               "write_capacity, or remove `autoscaling`")
        elif auto is not None:
            for low_key, high_key in (("read_capacity", "max_read"),
                                      ("write_capacity", "max_write")):
                low, high = getattr(spec, low_key), getattr(auto, high_key)
                if isinstance(low, int) and isinstance(high, int) and high < low:
                    yield Finding("E3256", f"{high_key} ({high}) is below {low_key} ({low}), "
                                  "the least capacity autoscaling keeps",
                                  path + ("autoscaling", high_key),
                                  hint=f"raise {high_key} to {low} or more")
        if spec.replica_regions:
            yield Finding("W3251", "with replica_regions the table is an "
                          "AWS::DynamoDB::GlobalTable (a new resource): added to a table that "
                          "already exists, the deploy creates a second table of the same name "
                          "and fails", path + ("replica_regions",),
                          hint="set replica_regions when the table is created, or migrate the "
                               f"existing table as AWS documents ({MIGRATE})")
