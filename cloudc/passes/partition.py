"""Place resources in nested stacks by what they are and who owns them, within every limit.

Each resource has a group (usually its section: `storage`, `functions`). An owner's resources
in one group form a unit that is never split. Units fill their group's stack in declaration
order; a unit that would break a limit goes to the group's next stack (`functions-2`, ...),
first fit. Adding an entry after the others therefore never moves or renames another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudc.context import Context
from cloudc.ir import IR, PLACEHOLDER, Expr, Resource, collect_targets
from cloudc.passes.dependencies import find_cycle

# CloudFormation's per-template limits, less headroom for what the emitter adds.
MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_BYTES = 900_000
MAX_DYNAMIC_REFS = 60
# The least a unit adds to a stack's size: "{}" properties, a one-letter ID, and the overhead.
MIN_UNIT_BYTES = 2 + 1 + 120


@dataclass
class Unit:
    """The resources one owner has in one group."""

    group: str
    owner: str
    resources: list[Resource] = field(default_factory=list)
    size: int = 0
    dynamic: int = 0
    params: set[tuple[str, str]] = field(default_factory=set)
    outputs: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Stack:
    """One nested stack being filled."""

    name: str
    resources: int = 0
    size: int = 0
    dynamic: int = 0
    params: set[tuple[str, str]] = field(default_factory=set)
    outputs: set[tuple[str, str]] = field(default_factory=set)

    def fits(self, u: Unit) -> bool:
        """Say whether `u` fits in this stack without breaking a limit."""
        # The union sizes are counted from the unit's side: O(unit), not O(stack).
        return (
            self.resources + len(u.resources) <= MAX_RESOURCES
            and self.size + u.size <= MAX_BYTES
            and self.dynamic + u.dynamic <= MAX_DYNAMIC_REFS
            and _union_size(self.params, u.params) <= MAX_PARAMETERS
            and _union_size(self.outputs, u.outputs) <= MAX_OUTPUTS
        )

    def full(self) -> bool:
        """Say whether no unit can fit any more (every unit has a resource and some bytes)."""
        return self.resources >= MAX_RESOURCES or self.size + MIN_UNIT_BYTES > MAX_BYTES

    def take(self, u: Unit) -> None:
        """Place `u` here."""
        self.resources += len(u.resources)
        self.size += u.size
        self.dynamic += u.dynamic
        self.params |= u.params
        self.outputs |= u.outputs


def partition(ir: IR, ctx: Context) -> IR:
    """Assign every resource to a nested stack in `ir.groups`; stacks in `ir.stack_order`."""
    units: dict[tuple[str, str], Unit] = {}
    unit_of: dict[str, Unit] = {}
    for r in ir.resources.values():
        u = units.get((r.group, r.owner))
        if u is None:
            u = units[(r.group, r.owner)] = Unit(r.group, r.owner)
        u.resources.append(r)
        unit_of[r.logical_id] = u
        size = ir.sizes.get(r.logical_id)  # from the dependencies pass
        if size is None:
            text = _measure(r.properties)
            size = (len(text), text.count("{{resolve:"))
        u.size += size[0] + len(r.logical_id) + 120
        u.dynamic += size[1]
    for r in ir.resources.values():
        u = unit_of[r.logical_id]
        targets = ir.targets.get(r.logical_id)
        for t in targets if targets is not None else collect_targets(r.properties):
            other = unit_of.get(t.target)
            if other is None or other is u or t.derived is not None:
                continue
            key = (t.target, getattr(t, "attr", ""))
            u.params.add(key)
            other.outputs.add(key)
    stacks: dict[str, list[Stack]] = {}
    closed: dict[str, int] = {}  # per group: how many leading stacks are full (skipped)
    for u in units.values():
        chain = stacks.setdefault(u.group, [])
        skip = closed.get(u.group, 0)
        while skip < len(chain) and chain[skip].full():
            skip += 1
        closed[u.group] = skip
        for s in chain[skip:] if skip else chain:
            if s.fits(u):
                break
        else:
            s = Stack(u.group if not chain else f"{u.group}-{len(chain) + 1}")
            if not s.fits(u):
                first = u.resources[0]
                ctx.diags.add("E4001", f"`{u.owner}` alone needs {len(u.resources)} resources, "
                              f"{len(u.params)} parameters, {u.size} bytes and {u.dynamic} "
                              "dynamic references in one template, over CloudFormation's limits",
                              origin=first.origin)
            chain.append(s)
        s.take(u)
        for r in u.resources:
            ir.groups[r.logical_id] = s.name
    _break_cycles(ir)
    groups = ir.groups
    ir.stack_order = list(dict.fromkeys(groups[lid] for lid in ir.resources))
    return ir


def _needs(ir: IR) -> dict[str, dict[str, list[str]]]:
    """Return, per stack, the other stacks it must follow and the resources that need each."""
    groups = ir.groups
    needs: dict[str, dict[str, list[str]]] = {s: {} for s in dict.fromkeys(groups.values())}
    for lid, r in ir.resources.items():
        home = groups[lid]
        targets = ir.targets.get(lid)
        names = [t.target for t in (targets if targets is not None
                                    else collect_targets(r.properties))]
        for other in dict.fromkeys(groups.get(n) for n in names + r.depends_on):
            if other is not None and other != home:
                needs[home].setdefault(other, []).append(lid)
    return needs


def _break_cycles(ir: IR) -> None:
    """Move connectors to their source's stack while the nested stacks form a cycle.

    Only an app whose stacks would otherwise depend on each other in a cycle (which CloudFormation
    cannot deploy) is changed, so placement stays stable for every other app. On each stack edge
    of the cycle, in order, the edge is cut when every resource that makes it is a connector
    (`movable_to`) whose source lives in the stack the edge points to. A cycle no move can cut
    is left for the emitter to report (E4002).
    """
    for _ in range(sum(1 for r in ir.resources.values() if r.movable_to)):
        needs = _needs(ir)
        cycle = find_cycle({s: sorted(d) for s, d in needs.items()})
        if cycle is None:
            return
        for a, b in zip(cycle, cycle[1:], strict=False):
            movers = needs[a][b]
            if all(_movable(ir, lid, b) for lid in movers):
                for lid in movers:
                    ir.groups[lid] = b
                break
        else:
            return


def _movable(ir: IR, lid: str, stack: str) -> bool:
    """Say whether resource `lid` is a connector whose source is placed in `stack`."""
    to = ir.resources[lid].movable_to
    return to is not None and ir.groups.get(to) == stack


def _union_size(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> int:
    """Return len(a | b) without building the union."""
    return len(a) + sum(1 for x in b if x not in a)


def _placeholder(value: Any) -> str:
    if isinstance(value, Expr):
        return PLACEHOLDER
    raise TypeError(type(value).__name__)


# One encoder for every resource (json.dumps would build one per call); a deploy-time value
# counts as PLACEHOLDER. Used when the dependencies pass has not measured a resource.
_measure = json.JSONEncoder(default=_placeholder, separators=(",", ":"),
                            check_circular=False).encode
