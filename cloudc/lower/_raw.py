"""Raw CloudFormation values (`resources:`, `overrides:`) -> IR values.

`${section.name.attr}` becomes the typed reference links and outputs use; `Ref` and
`Fn::GetAtt` name resources of the build by logical ID; `Fn::Sub` keeps CloudFormation's own
`${AWS::Region}` and `${Logical.Attr}`. Other intrinsics stay as written, their arguments
converted the same way.
"""

from __future__ import annotations

import re
from typing import Any

from cloudc import resource_specs
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import GetAtt, Pseudo, Ref, Sub
from cloudc.resolve import INTERP
from cloudc.source import Path


class Walker:
    """Turns raw CloudFormation values into IR values, reporting unknown targets (E3236)."""

    def __init__(self, ctx: Context, known: dict[str, str]) -> None:
        self.ctx = ctx
        self.known = known

    def walk(self, value: Any, path: Path) -> Any:
        """Return `value` with every reference an IR expression."""
        if isinstance(value, str):
            return self.ctx.value(value, path) if "${" in value else value
        if isinstance(value, list):
            return [self.walk(v, path + (i,)) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                if arg.startswith("AWS::"):
                    return Pseudo(arg)
                return Ref(arg) if self.target(arg, path + (key,)) else ""
            if key == "Fn::GetAtt":
                return self._getatt(arg, path + (key,))
            if key == "Fn::Sub" and isinstance(arg, (str, list)):
                return self._sub(arg, path + (key,))
        return {k: self.walk(v, path + (k,)) for k, v in value.items()}

    def target(self, lid: str, path: Path) -> bool:
        """Say whether `lid` names a resource of this build; report it when not."""
        if lid in self.known:
            return True
        self.ctx.diags.add("E3236", f"no resource has the logical ID `{lid}`",
                           origin=self.ctx.origin(path), path=path,
                           hint=did_you_mean(lid, self.known)
                           or "name a `resources:` entry or a generated logical ID "
                              "(`cloudc explain` lists them)")
        return False

    def _getatt(self, arg: Any, path: Path) -> Any:
        parts = arg.split(".", 1) if isinstance(arg, str) else arg
        if not (isinstance(parts, list) and len(parts) == 2
                and all(isinstance(p, str) for p in parts)):
            self.ctx.diags.add("E3236", "`Fn::GetAtt` takes [LogicalId, Attribute]",
                               origin=self.ctx.origin(path), path=path,
                               hint="e.g. `Fn::GetAtt: [PartnerQueue, Arn]`")
            return ""
        lid, attr = parts
        if not self.target(lid, path):
            return ""
        attrs = resource_specs.getatt_attributes(self.known[lid])
        plain = {a for a in attrs if re.fullmatch(r"[A-Za-z0-9.]+", a)}
        if attrs and attrs == plain and attr not in attrs:
            self.ctx.diags.add("E3236", f"`{lid}` ({self.known[lid]}) has no attribute `{attr}`",
                               origin=self.ctx.origin(path), path=path,
                               hint=did_you_mean(attr, attrs)
                               or f"attributes: {', '.join(sorted(attrs))}")
            return ""
        return GetAtt(lid, attr)

    def _sub(self, arg: str | list[Any], path: Path) -> Any:
        """Build a Sub: `${AWS::...}` and `${!...}` stay, `${Logical[.Attr]}` and cloudc's
        `${section.name.attr}` become variables."""
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1
                                                                 else {})
        if not isinstance(text, str) or not isinstance(local, dict):
            return self.walk(arg, path)
        variables: list[tuple[str, Any]] = [
            (k, self.walk(v, path + (1, k))) for k, v in local.items()]
        where = path if isinstance(arg, str) else path + (0,)

        def one(m: re.Match[str]) -> str:
            tok = m.group(1).strip()
            if tok.startswith(("AWS::", "!")) or tok in local:
                return m.group(0)
            head, _, attr = tok.partition(".")
            if head in self.known:
                got: Any = GetAtt(head, attr) if attr else Ref(head)
            else:
                got = self.ctx.value("${" + tok + "}", where)
            if isinstance(got, Pseudo):
                return "${" + got.name + "}"
            if isinstance(got, str):
                return got.replace("${", "${!")
            if isinstance(got, Sub) and not got.vars:
                return got.template
            var = f"v{len(variables)}"
            variables.append((var, got))
            return "${" + var + "}"

        template = INTERP.sub(one, text)
        return Sub(template, tuple(variables))
