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
from cloudc.lock import EnvLock
from cloudc.passes.dependencies import find_cycle

# CloudFormation's per-template limits, less headroom for what the emitter adds.
MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_BYTES = 900_000
MAX_DYNAMIC_REFS = 60
# One operation on a nested-stack tree may touch 2,500 resources (nested stacks included); the
# headroom is for the values that cross roots (one SSM parameter each in the producing root).
MAX_TREE = 2_300
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
    root: int = 1
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
    lock = ctx.lock
    if lock is None or ctx.rebalance:
        placed = _fill(units, ctx)
    else:
        placed = _fill_locked(units, lock, ctx)
    for u, name in placed:
        ir.units[(u.owner, u.group)] = (name, len(u.resources))
        for r in u.resources:
            ir.groups[r.logical_id] = name
    _break_cycles(ir)
    groups = ir.groups
    ir.stack_order = list(dict.fromkeys(groups[lid] for lid in ir.resources))
    ir.roots = assign_roots(ir, lock)
    if lock is not None:
        _report_moves(units, lock, ir, ctx)
    return ir


def _fill(units: dict[tuple[str, str], Unit], ctx: Context) -> list[tuple[Unit, str]]:
    """Place units afresh: each group's stacks filled in declaration order, first fit."""
    placed: list[tuple[Unit, str]] = []
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
                _too_big(u, ctx)
            chain.append(s)
        s.take(u)
        placed.append((u, s.name))
    return placed


def _too_big(u: Unit, ctx: Context) -> None:
    first = u.resources[0]
    ctx.diags.add("E4001", f"`{u.owner}` alone needs {len(u.resources)} resources, "
                  f"{len(u.params)} parameters, {u.size} bytes and {u.dynamic} "
                  "dynamic references in one template, over CloudFormation's limits",
                  origin=first.origin)


def stack_index(group: str, name: str) -> int:
    """Return a stack's place in its group: `functions` -> 1, `functions-3` -> 3 (0: not the
    group's)."""
    if name == group:
        return 1
    head, _, tail = name.rpartition("-")
    return int(tail) if head == group and tail.isdigit() and int(tail) > 1 else 0


def _fill_locked(units: dict[tuple[str, str], Unit], lock: EnvLock,
                 ctx: Context) -> list[tuple[Unit, str]]:
    """Place units where the lock says; new units, and units evicted from a stack they no
    longer fit, go to the first stack of their group with room (root included), else a new
    stack. A stack that overflows evicts the owners that grew most first, then the last
    declared, so the owners around a growing one stay where they are."""
    chains: dict[str, dict[int, Stack]] = {}
    members: dict[str, list[Unit]] = {}
    fresh: list[Unit] = []
    for u in units.values():
        where = lock.units.get((u.owner, u.group))
        if where is None or stack_index(u.group, where[0]) == 0:
            fresh.append(u)
            continue
        members.setdefault(where[0], []).append(u)
        chain = chains.setdefault(u.group, {})
        index = stack_index(u.group, where[0])
        chain.setdefault(index, Stack(where[0], root=lock.roots.get(where[0], 1)))
    tree: dict[int, int] = {}  # root -> resources of its tree (nested stacks included)
    for chain in chains.values():
        for st in chain.values():
            tree[st.root] = tree.get(st.root, 0) + 1
    placed: list[tuple[Unit, str]] = []
    evicted: list[Unit] = []
    order = {id(u): i for i, u in enumerate(units.values())}
    for name, group_units in members.items():
        st = chains[group_units[0].group][stack_index(group_units[0].group, name)]
        keep = list(group_units)
        growth = {id(u): len(u.resources) - lock.units[(u.owner, u.group)][1] for u in keep}
        out = sorted(keep, key=lambda u: (-growth[id(u)], -order[id(u)]))
        while keep and not _fits_all(keep):
            gone = out.pop(0)
            keep.remove(gone)
            evicted.append(gone)
        for u in keep:
            st.take(u)
            tree[st.root] = tree.get(st.root, 0) + len(u.resources)
            placed.append((u, name))
    rest = sorted(evicted + fresh, key=lambda u: order[id(u)])
    for u in rest:
        chain = chains.setdefault(u.group, {})
        for index in sorted(chain):
            st = chain[index]
            if st.fits(u) and tree.get(st.root, 0) + len(u.resources) <= MAX_TREE:
                break
        else:
            index = next(i for i in range(1, len(chain) + 2) if i not in chain)
            st = Stack(u.group if index == 1 else f"{u.group}-{index}",
                       root=_root_with_room(tree, 1 + len(u.resources)))
            if not st.fits(u):
                _too_big(u, ctx)
            chain[index] = st
            tree[st.root] = tree.get(st.root, 0) + 1
        st.take(u)
        tree[st.root] = tree.get(st.root, 0) + len(u.resources)
        placed.append((u, st.name))
    placed.sort(key=lambda p: order[id(p[0])])
    return placed


def _fits_all(us: list[Unit]) -> bool:
    """Say whether the units fit in one empty stack together."""
    st = Stack("")
    for u in us:
        if not st.fits(u):
            return False
        st.take(u)
    return True


def _root_with_room(tree: dict[int, int], need: int) -> int:
    """Return the last root with room for `need` more resources, else a new one."""
    for root in sorted(tree, reverse=True):
        if tree[root] + need <= MAX_TREE:
            return root
    return max(tree, default=0) + 1


def _report_moves(units: dict[tuple[str, str], Unit], lock: EnvLock, ir: IR,
                  ctx: Context) -> None:
    """Warn (W3280) at each owner whose resources leave the nested stack the lock records."""
    for u in units.values():
        was = lock.units.get((u.owner, u.group))
        now = ir.units[(u.owner, u.group)][0]
        if was is None or was[0] == now:
            continue
        why = ("--rebalance places every owner afresh" if ctx.rebalance else
               f"it no longer fits there ({len(u.resources)} resources, {was[1]} when locked)")
        ids = [r.logical_id for r in u.resources]
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        at = ctx.res.origins.key(tuple(u.owner.split(".", 1))) or u.resources[0].origin
        hint = ("`cloudc deploy` moves them with a CloudFormation stack refactor (nothing is "
                "deleted); `cloudc diff` shows the moves")
        if lock.roots.get(was[0], 1) != ir.roots.get(now, 1):
            hint = (f"{now} is in another root stack: no refactor carries a move between roots, "
                    "so the update replaces them; `cloudc diff` shows what is lost")
        ctx.diags.add("W3280", f"`{u.owner}` moves from nested stack {was[0]} to {now}: {why}; "
                      f"moving: {shown}", origin=at, hint=hint)


def assign_roots(ir: IR, lock: EnvLock | None) -> dict[str, int]:
    """Return each nested stack's root: all root 1 while the tree fits one operation.

    Past MAX_TREE resources, stacks the lock places keep their root and the others fill roots
    in dependency order (what a stack needs comes first), so roots depend on earlier roots only.
    """
    count: dict[str, int] = {}
    for lid in ir.resources:
        g = ir.groups[lid]
        count[g] = count.get(g, 1) + 1
    locked = lock.roots if lock is not None else {}
    if sum(count.values()) <= MAX_TREE and not any(r != 1 for r in locked.values()):
        return dict.fromkeys(ir.stack_order, 1)
    needs = _needs(ir)
    position = {s: i for i, s in enumerate(ir.stack_order)}
    done: list[str] = []
    waiting = {s: set(d) - {s} for s, d in needs.items()}
    ready = sorted((s for s, d in waiting.items() if not d), key=position.__getitem__)
    while ready:
        s = ready.pop(0)
        done.append(s)
        for other, d in waiting.items():
            if s in d:
                d.discard(s)
                if not d and other not in done and other not in ready:
                    ready.append(other)
                    ready.sort(key=position.__getitem__)
    done += [s for s in ir.stack_order if s not in done]  # a cycle: E4002 reports it
    kept = {where[0] for where in lock.units.values()} if lock is not None else set()
    roots: dict[str, int] = {}
    tree: dict[int, int] = {}
    for s in done:
        if s in kept or s in locked:
            roots[s] = locked.get(s, 1)
            tree[roots[s]] = tree.get(roots[s], 0) + count[s]
    current = max(tree, default=1)
    for s in done:
        if s in roots:
            continue
        if tree.get(current, 0) + count[s] > MAX_TREE:
            current = max(tree) + 1
        roots[s] = current
        tree[current] = tree.get(current, 0) + count[s]
    return {s: roots[s] for s in ir.stack_order}


def _needs(ir: IR) -> dict[str, dict[str, list[str]]]:
    """Return, per stack, the other stacks it must follow and the resources that need each."""
    groups = ir.groups
    needs: dict[str, dict[str, list[str]]] = {s: {} for s in dict.fromkeys(groups.values())}
    edges = ir.edges
    for lid, r in ir.resources.items():
        home = groups[lid]
        # Most resources need only their own stack: the dependencies pass's edges (the
        # resources this one needs) say so without a pass over its references.
        near = edges.get(lid)
        if near is not None and all(groups.get(n) == home for n in near):
            continue
        targets = ir.targets.get(lid)
        names = [t.target for t in (targets if targets is not None
                                    else collect_targets(r.properties))]
        names += r.depends_on
        for other in dict.fromkeys(groups.get(n) for n in names):
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
