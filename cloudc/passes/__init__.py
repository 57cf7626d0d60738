"""The middle of the compiler: passes over the IR, in this order.

Each pass is one module with one public function named after it, `(ir, ctx) -> IR`.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudc.context import Context
from cloudc.ir import IR
from cloudc.passes.after_links import after_links
from cloudc.passes.dependencies import dependencies
from cloudc.passes.link_permissions import link_permissions
from cloudc.passes.naming import naming
from cloudc.passes.overrides import overrides
from cloudc.passes.partition import partition
from cloudc.passes.security_defaults import security_defaults
from cloudc.passes.tagging import tagging
from cloudc.passes.vpc_endpoints import vpc_endpoints

Pass = Callable[[IR, Context], IR]

PASSES: tuple[Pass, ...] = (
    link_permissions,   # links -> least-privilege IAM statements, env vars, SG ingress
    after_links,        # sections finish what needs final links (container env, user data)
    vpc_endpoints,      # private compute without NAT gets the VPC endpoints its calls need
    security_defaults,  # encryption, public-access blocks, retention of stateful data
    tagging,            # project, environment and user tags on every taggable resource
    naming,             # logical IDs are valid, unique and derived from section + name
    overrides,          # the user's `overrides:` patches, last word on generated resources
    dependencies,       # resource graph; cycles are errors that name the cycle
    partition,          # nested stacks by owner, within every CloudFormation limit
)


def run_passes(ir: IR, ctx: Context, *, check: bool = False) -> IR:
    """Run every pass in order; with `check`, assert the IR invariants after each."""
    for p in PASSES:
        ir = p(ir, ctx)
        if check:
            problems = ir.check()
            assert not problems, f"after {p.__name__}: {problems[:5]}"
    return ir
