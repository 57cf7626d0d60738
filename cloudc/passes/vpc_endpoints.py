"""Give compute in private subnets without NAT the VPC endpoints its calls need.

Runs once every consumer's grants and container secrets are final (after the links and the
sections' after-links work); the analysis is in `cloudc/lower/_endpoints.py`.
"""

from __future__ import annotations

from cloudc.context import Context
from cloudc.ir import IR
from cloudc.lower._endpoints import provide


def vpc_endpoints(ir: IR, ctx: Context) -> IR:
    """Add the interface and gateway endpoints private compute needs (with a cost note)."""
    provide(ir, ctx)
    return ir
