"""Compare a fresh build with the last one on disk: replacements and data loss, offline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cloudc.aws.diff import Plan, ResourceChange, Side, diff
from cloudc.aws.fetch import _CfnLoader
from cloudc.aws.images import registry_changes
from cloudc.aws.registry import REGISTRY
from cloudc.compile import Build
from cloudc.diagnostics import Diagnostic
from cloudc.source import Origin


def load_build(folder: Path) -> Side | None:
    """Read `folder/template.json` (or .yaml) and the nested templates it names; None if absent."""
    for ext in ("json", "yaml"):
        root_file = folder / f"template.{ext}"
        if root_file.is_file():
            break
    else:
        return None
    root = _read(root_file)
    nested: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}
    # An app past 2,500 resources has more roots (template-2.json, ...): their nested stacks
    # are compared too, so the comparison covers the whole app either way.
    more = sorted(folder.glob(f"template-*.{ext}"), key=lambda f: f.name)
    bodies = [(lid, body) for f in [root_file, *more]
              for lid, body in ((root if f == root_file else _read(f)).get("Resources")
                                or {}).items()]
    for lid, body in bodies:
        url = (body.get("Properties") or {}).get("TemplateURL")
        if body.get("Type") == "AWS::CloudFormation::Stack" and isinstance(url, str):
            file = folder / url
            if file.is_file():
                nested[lid] = _read(file)
                labels[lid] = file.stem
    return Side(folder.name, root, nested, labels)


def load_registry(folder: Path) -> dict[str, Any] | None:
    """Read the last build's registry template (`registry.json` or .yaml); None if absent."""
    for ext in ("json", "yaml"):
        file = folder / f"{REGISTRY}.{ext}"
        if file.is_file():
            return _read(file)
    return None


def _read(file: Path) -> dict[str, Any]:
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".json":
        doc = json.loads(text)
    else:
        doc = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader
    return doc if isinstance(doc, dict) else {}


def against_last_build(build: Build, folder: Path,
                       config: Path) -> tuple[Plan, list[Diagnostic]] | None:
    """Diff `build` with the build in `folder`; return the plan and W5001/W5002 findings."""
    last = load_build(folder)
    if last is None:
        return None
    plan = diff(last, Side.from_build(folder.name, build.root, build.nested))
    # The ECR repositories are a stack of their own (registry.json), deployed before the root.
    plan.resources += registry_changes(folder.name, load_registry(folder),
                                       build.separate.get(REGISTRY))
    found = []
    for r in plan.resources:
        origin = _origin(build, r, config)
        if r.data_loss:
            verb = "deletes" if r.action == "remove" else "replaces"
            maybe = "may destroy" if r.data_loss == "maybe" else "destroys"
            found.append(Diagnostic(
                "W5002", f"{r.logical_id} ({r.type}) in stack {r.stack}: this change {verb} it "
                f"and {maybe} {r.lost}", origin, file=str(config), hint=_why(r)))
        elif r.replacement:
            maybe = "may replace" if r.replacement == "maybe" else "replaces"
            found.append(Diagnostic(
                "W5001", f"{r.logical_id} ({r.type}) in stack {r.stack}: this change {maybe} "
                "it (a new physical resource)", origin, file=str(config), hint=_why(r)))
    return plan, found


def _why(r: ResourceChange) -> str | None:
    reasons = [c.path for c in r.props if c.replacement] + r.reasons
    if r.action == "remove":
        return "it is no longer in the config"
    return "because of " + "; ".join(reasons) if reasons else None


def _origin(build: Build, r: ResourceChange, config: Path) -> Origin | None:
    if build.ir is not None and r.logical_id in build.ir.resources:
        return build.ir.resources[r.logical_id].origin
    file, _, line = r.origin.rpartition(":")
    if file and line.isdigit():  # a removed resource: where it was in the last build
        return Origin(str(config.parent / file) if config.parent != Path(".") else file,
                      int(line), 1)
    return None


@dataclass
class Comparison:
    """A fresh build of one environment against the last build on disk."""

    config: Path
    env: str
    folder: Path
    plan: Plan | None = None  # None: there is no last build in `folder`
    findings: list[Diagnostic] = field(default_factory=list)

    @property
    def data_loss(self) -> bool:
        """Say whether a change deletes or replaces a resource that holds data."""
        return self.plan is not None and bool(self.plan.summary()["data_loss"])

    def summary(self) -> str:
        """Return the one-line summary the command prints."""
        if self.plan is None:
            return f"{self.config} ({self.env}): no last build in {self.folder}/ to compare with"
        n = self.plan.summary()
        return (f"{self.config} ({self.env}) against {self.folder}/: {n['add']} to add, "
                f"{n['modify']} to change, {n['remove']} to remove, {n['replace']} replaced, "
                f"{n['data_loss']} with data loss")


def compare(path: Path, env: str, sets: list[str], out: Path) -> Comparison | None:
    """Compile `env` and compare it with `out/env/`; None if the build has errors."""
    from cloudc.compile import compile_config

    build = compile_config(path, env, sets)
    if build.diagnostics.has_errors:
        return None  # the dry run already reported them
    folder = out / env
    result = against_last_build(build, folder, path)
    if result is None:
        return Comparison(path, env, folder)
    plan, found = result
    return Comparison(path, env, folder, plan, found)
