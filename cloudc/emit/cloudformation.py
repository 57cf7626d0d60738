"""Turn the partitioned IR into a root template and nested-stack templates (as dicts)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path as FsPath
from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import Diagnostics
from cloudc.ir import (
    IR,
    SEPARATE_GROUPS,
    Base64,
    Expr,
    GetAtt,
    GetAZs,
    Join,
    Pseudo,
    Ref,
    Select,
    Sub,
    pascal,
)
from cloudc.passes.dependencies import find_cycle

VERSION = "2010-09-09"
# List-valued attributes cross a stack boundary as one comma-joined string.
LIST_ATTRIBUTES = frozenset({"NameServers"})
# Exact types that render as themselves.
_LEAVES = frozenset({str, int, float, bool, type(None)})


@dataclass
class Template:
    """One template being written: its resources, and the values it takes and gives."""

    name: str
    resources: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)  # param -> (stack, output)
    outputs: dict[str, Any] = field(default_factory=dict)
    depends: set[str] = field(default_factory=set)  # other stacks this one must follow
    why: dict[str, str] = field(default_factory=dict)  # other stack -> a resource that needs it


@lru_cache(maxsize=256)
def _basename(file: str) -> str:
    return FsPath(file).name


def stack_id(name: str) -> str:
    """Return the root's logical ID for a nested stack: `functions-2` -> `StackFunctions2`."""
    return "Stack" + pascal(name)


class Emitter:
    """Render every Expr for the stack it appears in; cross stacks by Parameters and Outputs."""

    def __init__(self, ir: IR, ctx: Context) -> None:
        self.ir = ir
        self.ctx = ctx
        self.templates: dict[str, Template] = {n: Template(n) for n in ir.stack_order}
        # Templates deployed on their own before the root (SEPARATE_GROUPS), by group name.
        self.separate: dict[str, dict[str, Any]] = {}

    def run(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Return the root template and each nested template, by stack name."""
        ir = self.ir
        for lid, r in ir.resources.items():
            t = self.templates[ir.groups[lid]]
            body: dict[str, Any] = {"Type": r.type}
            deps = []
            for d in r.depends_on:
                other = ir.groups.get(d)
                if other == t.name:
                    deps.append(d)
                elif other in SEPARATE_GROUPS or t.name in SEPARATE_GROUPS:
                    continue  # a separate stack is deployed before the root: no DependsOn
                elif other is not None:
                    t.depends.add(other)
                    t.why.setdefault(other, lid)
            if deps:
                body["DependsOn"] = sorted(set(deps))
            if r.deletion_policy:
                body["DeletionPolicy"] = r.deletion_policy
            if r.update_replace_policy:
                body["UpdateReplacePolicy"] = r.update_replace_policy
            if r.creation_policy:
                body["CreationPolicy"] = self.render(r.creation_policy, t, lid)
            if r.update_policy:
                body["UpdatePolicy"] = self.render(r.update_policy, t, lid)
            meta = dict(r.metadata)
            if r.origin is not None:
                meta["cloudc:origin"] = f"{_basename(r.origin.file)}:{r.origin.line}"
                meta["cloudc:owner"] = r.owner
            if meta:
                body["Metadata"] = meta
            body["Properties"] = self.render(r.properties, t, lid)
            t.resources[lid] = body
        root_outputs = {}
        root_t = Template("")
        for name, (value, description, _origin) in ir.outputs.items():
            out: dict[str, Any] = {"Value": self.render(value, root_t, f"output {name}")}
            if description:
                out["Description"] = description
            root_outputs[pascal(name)] = out
        self._check_stack_cycle()
        nested = {n: self._template(t) for n, t in self.templates.items()
                  if n not in SEPARATE_GROUPS}
        self.separate = {n: self._template(t) for n, t in self.templates.items()
                         if n in SEPARATE_GROUPS}
        return self._root(root_outputs, root_t), nested

    # --- values ---------------------------------------------------------------------------

    def render(self, value: Any, t: Template, where: str) -> Any:
        """Render a JSON-shaped value with Exprs as CloudFormation intrinsics."""
        # A hot path: leaves (most values) are returned without a call per value.
        tp = type(value)
        if tp is dict:
            for v in value.values():
                if type(v) not in _LEAVES:
                    break
            else:  # leaves only (tags, most nested settings): one C-level copy
                return value.copy()
            render = self.render
            return {k: v if type(v) in _LEAVES else render(v, t, where)
                    for k, v in value.items()}
        if tp is list:
            for v in value:
                if type(v) not in _LEAVES:
                    break
            else:
                return value.copy()
            render = self.render
            return [v if type(v) in _LEAVES else render(v, t, where) for v in value]
        if tp in _LEAVES:
            return value
        if isinstance(value, dict):
            return {k: self.render(v, t, where) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, t, where) for v in value]
        if isinstance(value, Expr):
            return self._expr(value, t, where)
        return value

    def _expr(self, e: Expr, t: Template, where: str) -> Any:
        if isinstance(e, (Ref, GetAtt)):
            return self._reference(e, t, where)
        if isinstance(e, Sub):
            if not e.vars:
                if "${" in e.template:
                    return {"Fn::Sub": e.template}
                return e.template.replace("${!", "${")
            return {"Fn::Sub": [e.template, {k: self.render(v, t, where) for k, v in e.vars}]}
        if isinstance(e, Pseudo):
            return {"Ref": e.name}
        if isinstance(e, Join):
            return {"Fn::Join": [e.sep, [self.render(p, t, where) for p in e.parts]]}
        if isinstance(e, Select):
            return {"Fn::Select": [e.index, self.render(e.value, t, where)]}
        if isinstance(e, GetAZs):
            return {"Fn::GetAZs": ""}
        if isinstance(e, Base64):
            return {"Fn::Base64": self.render(e.value, t, where)}
        raise TypeError(f"cannot emit {type(e).__name__}")

    def _reference(self, e: Ref | GetAtt, t: Template, where: str) -> Any:
        target = e.target
        home = self.ir.groups.get(target)
        if home is None:
            raise KeyError(f"{where} references unknown resource {target}")
        if home == t.name:
            return {"Ref": target} if isinstance(e, Ref) else {"Fn::GetAtt": [target, e.attr]}
        if home in SEPARATE_GROUPS or t.name in SEPARATE_GROUPS:
            # A separate stack shares no parameters with the root: only names cross.
            if e.derived is None:
                self.ctx.diags.add("E3201", f"{where} needs a value of {target} in the "
                                   f"`{home}` stack, which is deployed on its own and can "
                                   "pass values only by name",
                                   hint="refer to it by name, or report a cloudc bug")
                return {"Ref": target}
            return self._expr(e.derived, t, where)
        if e.derived is not None:  # the value is known by name: no parameter needed
            if t.name:
                t.depends.add(home)
                t.why.setdefault(home, where)
            return self._expr(e.derived, t, where)
        key = target + (re.sub(r"[^A-Za-z0-9]", "", e.attr) if isinstance(e, GetAtt) else "")
        source = self.templates[home]
        if key not in source.outputs:
            value: dict[str, Any] = ({"Ref": target} if isinstance(e, Ref)
                                     else {"Fn::GetAtt": [target, e.attr]})
            if isinstance(e, GetAtt) and e.attr in LIST_ATTRIBUTES:
                value = {"Fn::Join": [",", value]}  # outputs are strings
            source.outputs[key] = {"Value": value}
        if not t.name:  # the root reads nested outputs directly
            return {"Fn::GetAtt": [stack_id(home), f"Outputs.{key}"]}
        t.parameters[key] = home
        return {"Ref": key}

    # --- templates ------------------------------------------------------------------------

    def _template(self, t: Template) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AWSTemplateFormatVersion": VERSION,
            "Description": f"{self.ctx.slug} {self.ctx.env}: {t.name} (generated by cloudc)",
        }
        if t.parameters:
            out["Parameters"] = {k: {"Type": "String"} for k in sorted(t.parameters)}
        out["Resources"] = t.resources
        if t.outputs:
            out["Outputs"] = {k: t.outputs[k] for k in sorted(t.outputs)}
        return out

    def _root(self, outputs: dict[str, Any], root_t: Template) -> dict[str, Any]:
        project = self.ctx.config.project
        resources: dict[str, Any] = {}
        for name, t in self.templates.items():
            if name in SEPARATE_GROUPS:
                continue
            body: dict[str, Any] = {"Type": "AWS::CloudFormation::Stack"}
            deps = {stack_id(d) for d in t.depends | set(t.parameters.values()) if d != name}
            explicit = sorted(stack_id(d) for d in t.depends if d != name)
            if explicit:
                body["DependsOn"] = explicit
            props: dict[str, Any] = {"TemplateURL": f"stacks/{name}.json"}
            if t.parameters:
                props["Parameters"] = {
                    k: {"Fn::GetAtt": [stack_id(home), f"Outputs.{k}"]}
                    for k, home in sorted(t.parameters.items())
                }
            body["Properties"] = props
            del deps
            resources[stack_id(name)] = body
        root: dict[str, Any] = {
            "AWSTemplateFormatVersion": VERSION,
            "Description": project.description or f"{project.name} ({self.ctx.env}), by cloudc",
            "Resources": resources,
        }
        if outputs:
            root["Outputs"] = outputs
        return root

    def _check_stack_cycle(self) -> None:
        edges = {n: sorted(t.depends | set(t.parameters.values()))
                 for n, t in self.templates.items() if n not in SEPARATE_GROUPS}
        for n in edges:
            edges[n] = [d for d in edges[n] if d != n]
        cycle = find_cycle(edges)
        if cycle:
            why = [f"{a} needs {b} (for {self.templates[a].why.get(b, 'a value')})"
                   for a, b in zip(cycle, cycle[1:], strict=False)]
            diags: Diagnostics = self.ctx.diags
            diags.add("E4002", "nested stacks depend on each other in a cycle: "
                      + " -> ".join(cycle) + "; " + "; ".join(why),
                      hint="this is a cloudc bug if your config has no cycle; please report it")
