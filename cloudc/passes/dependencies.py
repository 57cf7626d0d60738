"""Build the resource dependency graph; a cycle is an error that names it."""

from __future__ import annotations

from cloudc.context import Context
from cloudc.ir import IR, scanner


def dependencies(ir: IR, ctx: Context) -> IR:
    """Record each resource's dependencies in `ir.edges` and report any cycle.

    Also records the references (`ir.targets`) and the size (`ir.sizes`) of every resource's
    properties, which partition needs, from the same pass over them.
    """
    edges: dict[str, list[str]] = {}
    scan = scanner()
    resources, targets, sizes = ir.resources, ir.targets, ir.sizes
    for lid, r in resources.items():
        refs, text = scan(r.properties)
        targets[lid] = refs
        sizes[lid] = (len(text), text.count("{{resolve:"))
        if not refs and not r.depends_on:
            edges[lid] = []
            continue
        deps = {t.target for t in refs}
        deps.update(r.depends_on)
        deps.discard(lid)
        edges[lid] = sorted(d for d in deps if d in resources)
    ir.edges = edges
    cycle = find_cycle(edges)
    if cycle:
        r = ir.resources[cycle[0]]
        ctx.diags.add("E3006", "dependency cycle: " + " -> ".join(cycle), origin=r.origin,
                      hint="break it by removing a reference or a link")
    return ir


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """Return one cycle as a list of nodes (first node repeated at the end), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(edges, WHITE)
    for start in edges:
        if color[start] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        color[start] = GREY
        while stack:
            node, i = stack[-1]
            succ = edges.get(node, [])
            if i < len(succ):
                stack[-1] = (node, i + 1)
                nxt = succ[i]
                c = color.get(nxt, BLACK)
                if c == GREY:
                    return trail[trail.index(nxt):] + [nxt]
                if c == WHITE:
                    color[nxt] = GREY
                    stack.append((nxt, 0))
                    trail.append(nxt)
            else:
                color[node] = BLACK
                stack.pop()
                trail.pop()
    return None
