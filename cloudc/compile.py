"""The pipeline: load -> resolve -> validate -> lower -> passes -> emit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudc.assets import Assets
from cloudc.checks import CheckContext, run_checks
from cloudc.context import Context
from cloudc.diagnostics import Diagnostics
from cloudc.emit.cloudformation import Emitter
from cloudc.emit.writer import manifest, serialise
from cloudc.gc_pause import gc_paused
from cloudc.ir import IR
from cloudc.lower import lower
from cloudc.passes import run_passes
from cloudc.paths import check_paths, forget
from cloudc.resolve import Resolved, resolve
from cloudc.validate import validate


@dataclass
class Build:
    """The result of compiling one environment."""

    env: str
    resolved: Resolved | None = None
    config: Any = None
    ir: IR | None = None
    root: dict[str, Any] = field(default_factory=dict)
    nested: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Templates deployed on their own before the root (`registry`: the ECR repositories).
    separate: dict[str, dict[str, Any]] = field(default_factory=dict)
    assets: Assets = field(default_factory=Assets)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @gc_paused
    def files(self, fmt: str = "json") -> dict[str, bytes]:
        """Return every output file, by path relative to the environment's folder."""
        ext = "yaml" if fmt == "yaml" else "json"
        texts: dict[str, str] = {}
        counts: dict[str, int] = {}
        root = self.root
        if ext == "yaml":
            root = _retarget(root)
        texts[f"template.{ext}"] = serialise(root, fmt)
        counts[f"template.{ext}"] = len(root["Resources"])
        for name, doc in self.nested.items():
            path = f"stacks/{name}.{ext}"
            texts[path] = serialise(doc, fmt)
            counts[path] = len(doc["Resources"])
        for name, doc in self.separate.items():
            texts[f"{name}.{ext}"] = serialise(doc, fmt)
            counts[f"{name}.{ext}"] = len(doc["Resources"])
        out = {p: t.encode() for p, t in texts.items()}
        for name, data in self.assets.files.items():
            out[f"assets/{name}"] = data
        placement: dict[str, list[str]] = {}
        if self.ir is not None:
            for lid, r in self.ir.resources.items():
                placement.setdefault(r.owner, [])
                stack = self.ir.groups[lid]
                if stack not in placement[r.owner]:
                    placement[r.owner].append(stack)
        man = manifest(self.env, texts, counts, self.assets.files, placement)
        out["manifest.json"] = serialise(man, "json").encode()
        return out


def _retarget(root: dict[str, Any]) -> dict[str, Any]:
    """Point the root's TemplateURLs at .yaml files."""
    out = dict(root)
    out["Resources"] = {
        k: {**v, "Properties": {**v["Properties"],
                                "TemplateURL": v["Properties"]["TemplateURL"][:-5] + ".yaml"}}
        for k, v in root["Resources"].items()
    }
    return out


LOWERABLE = frozenset({"E3001"})


def _error_count(diags: Diagnostics) -> int:
    """Count the errors that leave the IR incomplete (an unknown reference does not)."""
    return sum(1 for d in diags.items if d.severity == "error" and d.code not in LOWERABLE)


@gc_paused
def compile_config(path: Path, env: str, sets: list[str] | None = None,
                   *, check_ir: bool = False, dry: bool = False) -> Build:
    """Compile `path` for `env`; findings are in `build.diagnostics` (never raises on bad input)."""
    forget()  # paths located by an earlier build may have changed since
    build = Build(env, assets=Assets(dry=dry))
    diags = build.diagnostics
    res = resolve(path, env, sets or [], diags)
    build.resolved = res
    if res is not None:  # every file and folder the config names, all reported at once
        check_paths(res, diags)
    if res is None or diags.has_errors:
        if res is not None:
            config = validate(res, diags)
            if config is not None:
                run_checks(CheckContext(res, config, None), diags, "config")
        return build
    config = validate(res, diags)
    build.config = config
    if config is None:
        return build
    # Unknown references (E3001) do not stop lowering, which skips what they name, so the
    # IR rules still report (`memory: 64` next to a typo in a link); other errors do.
    invalid = any(d.severity == "error" and d.code not in LOWERABLE for d in diags.items)
    blocked = run_checks(CheckContext(res, config, None), diags, "config")
    if invalid or blocked:
        return build
    # A config rule's errors do not stop lowering, so the IR rules report too; errors raised
    # by lowering or the passes do (the IR would be incomplete).
    before = _error_count(diags)
    ir = IR()
    ctx = Context(config, res, ir, diags, build.assets)
    lower(ctx)
    for name, text in (getattr(config, "outputs", None) or {}).items():
        ir.outputs[name] = (ctx.value(text, ("outputs", name)), None, ctx.origin(("outputs", name)))
    if _error_count(diags) > before:
        return build
    ir = run_passes(ir, ctx, check=check_ir)
    build.ir = ir
    if _error_count(diags) > before:
        return build
    run_checks(CheckContext(res, config, ir), diags, "ir")
    if diags.has_errors:
        return build
    emitter = Emitter(ir, ctx)
    build.root, build.nested = emitter.run()
    build.separate = emitter.separate
    return build
