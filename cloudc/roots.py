"""The root stacks of an environment: one, or several past 2,500 resources.

An app bigger than one CloudFormation operation (2,500 resources across a nested-stack tree)
is built as several root templates (`template.json`, `template-2.json`, ...; see
cloudc/emit/roots.py). Every command that talks to the deployed stacks goes through
`root_stacks`: deploy in `waves` (each wave's roots in parallel), destroy in reverse order,
diff and status root by root. An app under the limit has one root, named as before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudc.compile import Build


@dataclass(frozen=True)
class RootStack:
    """One root stack of an environment."""

    number: int  # 1 is `template.json`
    name: str  # the CloudFormation stack name
    file: str  # the template's path in the build folder
    template: dict[str, Any]
    nested: dict[str, dict[str, Any]]  # its nested templates, by group
    needs: tuple[str, ...]  # the names of the roots that must be deployed first


def root_name(base: str, number: int) -> str:
    """Return root `number`'s stack name: `base` for root 1, `base-R2`, ... after it.

    The suffix is upper case so that it never equals another environment's stack name
    (environment names are lower case): `app-prod-R2` is not environment `prod-r2`.
    """
    return base if number == 1 else f"{base}-R{number}"


def root_stacks(build: Build, base: str, ext: str = "json") -> list[RootStack]:
    """Return the roots of `build` in dependency order (every root after those it needs).

    `base` is root 1's stack name (`{slug}-{env}`, or --stack-name).
    """
    if not build.more_roots:
        return [RootStack(1, base, f"template.{ext}", build.root, dict(build.nested), ())]
    templates = {1: build.root, **build.more_roots}
    groups: dict[int, list[str]] = {i: [] for i in templates}
    if build.ir is not None:
        for group, i in build.ir.roots.items():
            groups[i].append(group)
    done: list[int] = []
    left = sorted(templates)
    while left:
        ready = [i for i in left if all(n in done for n in build.root_needs.get(i, []))]
        pick = ready[0] if ready else left[0]  # a cycle is E3281 at build time
        done.append(pick)
        left.remove(pick)
    return [RootStack(i, root_name(base, i), f"template.{ext}" if i == 1 else
                      f"template-{i}.{ext}", templates[i],
                      {g: build.nested[g] for g in groups[i] if g in build.nested},
                      tuple(root_name(base, n) for n in build.root_needs.get(i, [])))
            for i in done]


def waves(roots: list[RootStack]) -> list[list[RootStack]]:
    """Group roots into waves: each wave needs only earlier waves, so its roots may run in
    parallel. Destroy walks the waves in reverse."""
    out: list[list[RootStack]] = []
    placed: set[str] = set()
    left = list(roots)
    while left:
        wave = [r for r in left if all(n in placed for n in r.needs)] or [left[0]]
        out.append(wave)
        placed |= {r.name for r in wave}
        left = [r for r in left if r not in wave]
    return out


def part(build: Build, root: RootStack) -> Build:
    """Return a view of `build` holding one root and its nested stacks (for deploy and diff)."""
    # The separate stacks (the ECR registry) go with root 1 only: one registry per app.
    return dataclasses.replace(build, root=root.template, nested=root.nested, more_roots={},
                               root_needs={}, separate=build.separate if root.number == 1 else {})
