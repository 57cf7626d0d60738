"""Split the root template into several roots when the app is bigger than one operation.

One CloudFormation operation on a nested-stack tree may touch at most 2,500 resources. The
partition pass gives each nested stack a root (`IR.roots`); this module turns the one root the
emitter wrote into one root template per root, and carries every value that crosses roots
through an SSM parameter: the producing root writes it (`AWS::SSM::Parameter`, named
`/cloudc/<slug>/<env>/<StackLogicalId>/<Output>`), the consuming root reads it as a template
parameter of type `AWS::SSM::Parameter::Value<String>`. Unlike an Export, nothing locks the
producer: it can change or remove the value while a consumer still reads it, and the consumer
picks up the new value on its next update. docs/design.md says why this and not Exports or
`{{resolve:ssm:...}}`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cloudc.emit.cloudformation import stack_id
from cloudc.passes.dependencies import find_cycle

# Limits a root template must keep (the per-template ones; the tree limit is the partition's).
ROOT_RESOURCES = 500
ROOT_PARAMETERS = 200
TREE_RESOURCES = 2_500


@dataclass
class Roots:
    """The root templates of a build, by root number (1 is `template.json`)."""

    templates: dict[int, dict[str, Any]] = field(default_factory=dict)
    needs: dict[int, set[int]] = field(default_factory=dict)  # root -> roots deployed first
    stacks: dict[int, list[str]] = field(default_factory=dict)  # root -> nested stack groups
    problems: list[str] = field(default_factory=list)  # limits broken, a cycle of roots


def split(root: dict[str, Any], nested: dict[str, dict[str, Any]], roots: dict[str, int],
          slug: str, env: str) -> Roots:
    """Return one root template per root; `roots` gives each nested stack's root."""
    home = {stack_id(g): i for g, i in roots.items()}
    numbers = sorted(set(roots.values()))
    out = Roots()
    for i in numbers:
        t: dict[str, Any] = {"AWSTemplateFormatVersion": root["AWSTemplateFormatVersion"],
                             "Description": f"{root['Description']} (root {i} of "
                                            f"{len(numbers)})"}
        out.templates[i] = t
        out.needs[i] = set()
        out.stacks[i] = [g for g, r in roots.items() if r == i]
    params: dict[int, dict[str, Any]] = {i: {} for i in numbers}
    resources: dict[int, dict[str, Any]] = {i: {} for i in numbers}
    shared: dict[int, dict[str, Any]] = {i: {} for i in numbers}

    def take(i: int, producer: str, output: str) -> dict[str, Any]:
        j = home[producer]
        out.needs[i].add(j)
        name = f"/cloudc/{slug}/{env}/{producer}/{output}"
        key = f"{producer}{output}"
        shared[j][f"Shared{key}"] = {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": name, "Type": "String",
                           "Description": f"{producer}.Outputs.{output}, for other roots",
                           "Value": {"Fn::GetAtt": [producer, f"Outputs.{output}"]}},
        }
        params[i][key] = {"Type": "AWS::SSM::Parameter::Value<String>", "Default": name}
        return {"Ref": key}

    def rewrite(value: Any, i: int) -> Any:
        if isinstance(value, dict):
            att = value.get("Fn::GetAtt")
            if (len(value) == 1 and isinstance(att, list) and len(att) == 2
                    and att[0] in home and home[att[0]] != i
                    and str(att[1]).startswith("Outputs.")):
                return take(i, att[0], str(att[1])[len("Outputs."):])
            return {k: rewrite(v, i) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v, i) for v in value]
        return value

    for sid, body in root["Resources"].items():
        i = home[sid]
        body = copy.deepcopy(body)
        deps = body.pop("DependsOn", [])
        for d in deps:
            if home.get(d, i) != i:
                out.needs[i].add(home[d])
        kept = [d for d in deps if home.get(d, i) == i]
        if kept:
            body = {"Type": body["Type"], "DependsOn": kept,
                    **{k: v for k, v in body.items() if k != "Type"}}
        body["Properties"] = rewrite(body["Properties"], i)
        resources[i][sid] = body
    outputs: dict[int, dict[str, Any]] = {i: {} for i in numbers}
    for name, o in (root.get("Outputs") or {}).items():
        used = [home[s] for s in _stacks_in(o, home)]
        i = max(used, default=numbers[0])
        outputs[i][name] = rewrite(o, i)
    for i in numbers:
        t = out.templates[i]
        if params[i]:
            t["Parameters"] = {k: params[i][k] for k in sorted(params[i])}
        t["Resources"] = {**resources[i], **{k: shared[i][k] for k in sorted(shared[i])}}
        if outputs[i]:
            t["Outputs"] = outputs[i]
        out.needs[i].discard(i)
        _check(out, i, nested, roots)
    cycle = _cycle(out.needs)
    if cycle:
        out.problems.append("root stacks would wait for each other in a cycle: "
                            + " -> ".join(f"root {i}" for i in cycle))
    return out


def _stacks_in(value: Any, home: dict[str, int]) -> list[str]:
    """Return the nested stacks whose outputs `value` reads."""
    if isinstance(value, dict):
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att and att[0] in home:
            return [att[0]]
        return [s for v in value.values() for s in _stacks_in(v, home)]
    if isinstance(value, list):
        return [s for v in value for s in _stacks_in(v, home)]
    return []


def _check(out: Roots, i: int, nested: dict[str, dict[str, Any]], roots: dict[str, int]) -> None:
    """Record every limit root `i` breaks."""
    t = out.templates[i]
    own = len(t["Resources"])
    tree = own + sum(len(nested[g]["Resources"]) for g, r in roots.items() if r == i)
    if own > ROOT_RESOURCES:
        out.problems.append(f"root {i} needs {own} resources (nested stacks and shared "
                            f"values), over {ROOT_RESOURCES}")
    if len(t.get("Parameters") or {}) > ROOT_PARAMETERS:
        out.problems.append(f"root {i} reads {len(t['Parameters'])} values of other roots, "
                            f"over {ROOT_PARAMETERS} parameters")
    if tree > TREE_RESOURCES:
        out.problems.append(f"root {i}'s tree has {tree} resources, over the {TREE_RESOURCES} "
                            "one operation may touch")


def _cycle(needs: dict[int, set[int]]) -> list[int] | None:
    """Return a cycle among the roots' dependencies, or None."""
    cycle = find_cycle({str(i): [str(j) for j in sorted(d)] for i, d in needs.items()})
    return [int(i) for i in cycle] if cycle else None
