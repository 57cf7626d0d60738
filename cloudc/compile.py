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
from cloudc.emit.roots import split
from cloudc.emit.writer import manifest, serialise
from cloudc.gc_pause import gc_paused
from cloudc.ir import IR
from cloudc.lock import EnvLock, LockError, read_lock
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
    # Past 2,500 resources: roots 2, 3, ... (`root` is root 1), and what each root needs first.
    more_roots: dict[int, dict[str, Any]] = field(default_factory=dict)
    root_needs: dict[int, list[int]] = field(default_factory=dict)

    def placement(self) -> EnvLock | None:
        """Return this build's placement, as cloud.lock.json records it (None: no IR)."""
        if self.ir is None:
            return None
        return EnvLock(dict(sorted(self.ir.units.items())), dict(sorted(self.ir.roots.items())))

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
        for i, more in self.more_roots.items():
            more = _retarget(more) if ext == "yaml" else more
            texts[f"template-{i}.{ext}"] = serialise(more, fmt)
            counts[f"template-{i}.{ext}"] = len(more["Resources"])
        for name, doc in self.nested.items():
            path = f"stacks/{name}.{ext}"
            texts[path] = serialise(doc, fmt)
            counts[path] = len(doc["Resources"])
        for name, doc in self.separate.items():
            texts[f"{name}.{ext}"] = serialise(doc, fmt)
            counts[f"{name}.{ext}"] = len(doc["Resources"])
        out = {p: t.encode() for p, t in texts.items()}
        man = manifest(self.env, out, counts, self.assets.files, self._placement_map())
        for name, data in self.assets.files.items():
            out[f"assets/{name}"] = data
        if self.more_roots:  # only past 2,500 resources: small apps' manifests are unchanged
            man["roots"] = [
                {"path": "template." + ext if i == 1 else f"template-{i}.{ext}", "root": i,
                 "needs": self.root_needs.get(i, []),
                 "stacks": sorted({g for g, r in self.ir.roots.items() if r == i}
                                  if self.ir is not None else ())}
                for i in [1, *self.more_roots]]
        out["manifest.json"] = serialise(man, "json").encode()
        return out

    def _placement_map(self) -> dict[str, list[str]]:
        """Return each owner's stacks, in the order its resources first name them."""
        placement: dict[str, list[str]] = {}
        if self.ir is not None:
            groups = self.ir.groups
            for lid, r in self.ir.resources.items():
                stacks = placement.get(r.owner)
                if stacks is None:
                    placement[r.owner] = [groups[lid]]
                elif groups[lid] not in stacks:
                    stacks.append(groups[lid])
        return placement


def _retarget(root: dict[str, Any]) -> dict[str, Any]:
    """Point the root's TemplateURLs at .yaml files."""
    out = dict(root)
    out["Resources"] = {
        k: {**v, "Properties": {**v["Properties"],
                                "TemplateURL": v["Properties"]["TemplateURL"][:-5] + ".yaml"}}
        if "TemplateURL" in v["Properties"] else v
        for k, v in root["Resources"].items()
    }
    return out


LOWERABLE = frozenset({"E3001", "E3237"})  # the IR is whole without what they name


def _error_count(diags: Diagnostics) -> int:
    """Count the errors that leave the IR incomplete (an unknown reference does not)."""
    return sum(1 for d in diags.items if d.severity == "error" and d.code not in LOWERABLE)


@gc_paused
def compile_config(path: Path, env: str, sets: list[str] | None = None,
                   *, check_ir: bool = False, dry: bool = False, lock: bool = True,
                   rebalance: bool = False) -> Build:
    """Compile `path` for `env`; findings are in `build.diagnostics` (never raises on bad input).

    With `lock` (the default) placement follows cloud.lock.json beside the config when it has
    this environment; `rebalance` places afresh and reports every move against the lock.
    """
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
    ctx = Context(config, res, ir, diags, build.assets, rebalance=rebalance)
    if lock:
        try:
            ctx.lock = (read_lock(path) or {}).get(env)
        except LockError as exc:
            diags.add("E3280", str(exc), origin=exc.origin,
                      hint="fix it, or delete it to place afresh (a fresh placement may move "
                      "resources between nested stacks); `cloudc build` writes it again")
            return build
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
    if any(r != 1 for r in ir.roots.values()) and not diags.has_errors:
        _split_roots(build, ctx)
    return build


def _split_roots(build: Build, ctx: Context) -> None:
    """Turn the one root into several (an app over one operation's 2,500 resources)."""
    assert build.ir is not None
    placed = {s: r for s, r in build.ir.roots.items() if s not in build.separate}
    roots = split(build.root, build.nested, placed, ctx.slug, ctx.env)
    for problem in roots.problems:
        ctx.diags.add("E3281", problem, origin=None,
                      hint="split the app into several cloud.yaml files, or report this: "
                      "cloudc should have kept every root within the limits")
    build.root = roots.templates[1]
    build.more_roots = {i: t for i, t in roots.templates.items() if i != 1}
    build.root_needs = {i: sorted(d) for i, d in roots.needs.items()}
