"""The lowering context: what every section's lowering needs, in one typed object."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel

from cloudc import paths
from cloudc.assets import Assets
from cloudc.diagnostics import Diagnostics, did_you_mean
from cloudc.ir import IR, Component, Expr, GetAtt, Pseudo, Ref, Resource, Sub, pascal
from cloudc.lock import EnvLock
from cloudc.resolve import INTERP, PSEUDO, Resolved
from cloudc.source import Origin, Path


@dataclass
class Context:
    """Everything a lowering module may use: config, origins, IR, diagnostics and helpers."""

    config: Any
    res: Resolved
    ir: IR
    diags: Diagnostics
    assets: Assets
    warnings: list[str] = field(default_factory=list)
    # The environment's placement from cloud.lock.json (None: place afresh); `rebalance` places
    # afresh even with a lock and reports every move against it (cloudc build --rebalance).
    lock: EnvLock | None = None
    rebalance: bool = False

    @property
    def env(self) -> str:
        """Return the environment being built."""
        return self.res.environment

    @property
    def production(self) -> bool:
        """Say whether this is the production environment."""
        return self.res.environment in ("production", "prod")

    @property
    def slug(self) -> str:
        """Return the project slug."""
        return str(self.config.project.slug)

    @property
    def region(self) -> str:
        """Return the project's home region."""
        return str(self.config.project.region)

    def origin(self, path: Path) -> Origin | None:
        """Return where the value at `path` came from."""
        return self.res.origins.get(path)

    # --- naming ---------------------------------------------------------------------------

    def logical(self, comp: Component, suffix: str = "") -> str:
        """Return the logical ID of one of `comp`'s resources: section + name + suffix."""
        return f"{pascal(comp.section)}{pascal(comp.name)}{suffix}"

    def physical(self, name: str, max_len: int = 63, *, lower: bool = True, sep: str = "-") -> str:
        """Return `{slug}-{env}-{name}`, cut to `max_len` with a stable hash suffix when cut.

        Characters AWS rejects in names are replaced with `sep`.
        """
        full = f"{self.slug}{sep}{self.env}{sep}{name}"
        full = re.sub(r"[^A-Za-z0-9-]+" if sep == "-" else r"[^A-Za-z0-9_-]+", sep, full)
        if lower:
            full = full.lower()
        if len(full) <= max_len:
            return full
        digest = hashlib.sha256(full.encode()).hexdigest()[:8]
        return f"{full[: max_len - 9].rstrip(sep)}{sep}{digest}"

    # --- resources ------------------------------------------------------------------------

    def add(
        self,
        comp: Component,
        suffix: str,
        type_: str,
        properties: dict[str, Any],
        *,
        path: Path | None = None,
        group: str | None = None,
        **extra: Any,
    ) -> Resource:
        """Add one resource owned by `comp`; its logical ID is section + name + suffix."""
        origin = self.origin(path) if path is not None else comp.origin
        res = Resource(
            logical_id=self.logical(comp, suffix),
            type=type_,
            properties=properties,
            owner=comp.key,
            group=group or comp.section,
            origin=origin,
            **extra,
        )
        return self.ir.add(res)

    def component(self, key: str) -> Component | None:
        """Return the component declared as `section.name`."""
        return self.ir.components.get(key)

    # --- values ---------------------------------------------------------------------------

    def value(self, text: Any, path: Path, *, weak: bool = False) -> Any:
        """Turn a config string with deploy-time `${...}` tokens into an IR expression.

        With `weak`, references to resources whose value is known by name (bucket names, queue
        URLs, ARNs) become plain Subs with no dependency: right for environment variables and
        policies, which need the name and not the resource's existence. A `${secret:...}`
        dynamic reference keeps its dependency (CloudFormation reads the secret at deploy).
        """
        if not isinstance(text, str) or "${" not in text:
            return text
        if weak:
            return _weaken(self.value(text, path))
        whole = INTERP.fullmatch(text)
        if whole:
            got = self._token(whole.group(1).strip(), path)
            return got if not isinstance(got, str) else got
        parts: list[str] = []
        variables: list[tuple[str, Any]] = []
        pos = 0
        for m in INTERP.finditer(text):
            parts.append(_escape(text[pos : m.start()]))
            got = self._token(m.group(1).strip(), path)
            if isinstance(got, str):
                parts.append(_escape(got))
            elif isinstance(got, Pseudo):
                parts.append(f"${{{got.name}}}")
            elif isinstance(got, Sub) and not got.vars:
                parts.append(got.template)
            else:
                var = f"v{len(variables)}"
                variables.append((var, got))
                parts.append(f"${{{var}}}")
            pos = m.end()
        parts.append(_escape(text[pos:]))
        return Sub("".join(parts), tuple(variables))

    def _token(self, tok: str, path: Path) -> Any:
        if tok in PSEUDO:
            return Pseudo(PSEUDO[tok])
        if tok.startswith("secret:"):
            return self.secret_reference(tok[7:].strip(), path)
        if tok.startswith("ssm:"):
            return f"{{{{resolve:ssm:{tok[4:].strip()}}}}}"
        parts = tok.split(".")
        if len(parts) < 2:
            return "${" + tok + "}"
        split = 2
        if parts[0] == "email":  # keyed by domain, which has dots: the longest declared match
            split = next((n for n in range(len(parts), 2, -1)
                          if ".".join(parts[:n]) in self.ir.components), 2)
            if ".".join(parts[:split]) not in self.ir.components:
                self.diags.add("E3001", f"no `email` domain is declared for `{tok}`",
                               origin=self.origin(path), path=path)
                return ""
        key = ".".join(parts[:split])
        comp = self.component(key)
        attr = ".".join(parts[split:])
        if comp is None:
            # A single-map section (`network.vpc_id`, `security.keys.data.arn`) is one
            # component keyed by the section; the rest of the token is its attribute.
            comp = self.component(parts[0])
            if comp is None or comp.name:  # an undeclared name is reported by validate
                return ""
            attr = ".".join(parts[1:])
            key = parts[0]
        if not attr:
            attr = "id"
        if attr not in comp.attrs:
            self.diags.add("E3004", f"`{key}` has no attribute `{attr}`", origin=self.origin(path),
                           path=path, hint=did_you_mean(attr, comp.attrs)
                           or f"attributes: {', '.join(sorted(comp.attrs))}")
            return ""
        return comp.attrs[attr]

    def secret_reference(self, spec: str, path: Path) -> Any:
        """Return the dynamic reference for `${secret:name}` or `${secret:name.key}`."""
        name, _, key = spec.partition(".")
        comp = self.component(f"secrets.{name}")
        suffix = f":SecretString:{key}::" if key else ""
        if comp is None:
            return f"{{{{resolve:secretsmanager:{name}{suffix}}}}}"
        ref = comp.secret
        if ref is None:
            return ""
        if ref.ssm:
            if suffix:
                self.diags.add("E3005", f"secret `{comp.name}` is an SSM parameter, which has "
                               "no JSON keys", origin=comp.origin, path=comp.path,
                               hint=f"use `${{secret:{comp.name}}}`")
            return f"{{{{resolve:ssm-secure:{ref.value}}}}}"
        head, tail = "{{resolve:secretsmanager:", suffix + "}}"
        if isinstance(ref.value, str):
            return head + ref.value + tail
        if isinstance(ref.value, Sub):
            return Sub(head + ref.value.template + tail, ref.value.vars)
        return Sub(head + "${" + ref.var + "}" + tail, ((ref.var, ref.value),))

    def code_asset(self, code: str, path: Path, what: str = "code folder") -> str:
        """Zip a code folder deterministically and return its path relative to stacks/.

        The folder must lie inside the config's folder (links resolved) and pass
        `cloudc.paths.scan`; otherwise a located error.
        """
        try:
            folder = paths.locate(self.res.config_dir, code, "folder", what)
            return f"../assets/{self.assets.add_folder(folder, self.res.config_dir, what)}"
        except paths.PathProblem as problem:
            paths.report(self.diags, problem, self.origin(path), path)
            return "../assets/missing.zip"

    def locate(self, rel: str, path: Path, kind: str = "file", what: str = "file") -> FsPath | None:
        """Return the real path of a file or folder the config names, inside the config's
        folder; else record a located error and return None."""
        try:
            return paths.locate(self.res.config_dir, rel, kind, what)
        except paths.PathProblem as problem:
            paths.report(self.diags, problem, self.origin(path), path)
            return None

    def read_file(self, rel: str, path: Path, what: str = "file") -> str | None:
        """Read a file the config points at (ASL, OpenAPI, templates), relative to the config.

        It must lie inside the config's folder (links resolved), be a regular UTF-8 file and
        at most 1 MB; otherwise a located error and None.
        """
        try:
            return paths.read_text(self.res.config_dir, rel, what)
        except paths.PathProblem as problem:
            paths.report(self.diags, problem, self.origin(path), path)
            return None

    def warn(self, code: str, message: str, path: Path, hint: str | None = None) -> None:
        """Record a warning that names the line it comes from."""
        self.diags.add(code, message, origin=self.origin(path), path=path, hint=hint)

    def tags_for(self, spec: BaseModel | None) -> dict[str, str]:
        """Return an entry's own tags."""
        return dict(getattr(spec, "tags", {}) or {})


def _weaken(value: Any) -> Any:
    """Drop the dependency of references known by name, except inside a dynamic reference.

    CloudFormation resolves `{{resolve:secretsmanager:NAME...}}` when it creates or updates
    the resource, so the secret must exist first: the reference keeps its stack dependency.
    """
    if isinstance(value, Sub) and "{{resolve:" in value.template:
        return value
    if isinstance(value, (Ref, GetAtt)) and value.derived is not None:
        return value.derived
    if isinstance(value, Sub) and value.vars:
        return Sub(value.template, tuple((k, _weaken(v)) for k, v in value.vars))
    return value


def _escape(text: str) -> str:
    """Escape literal `${` for Fn::Sub."""
    return text.replace("${", "${!")


def is_expr(value: Any) -> bool:
    """Say whether a value is computed at deploy time."""
    return isinstance(value, Expr)


__all__ = ["Context", "is_expr", "Ref", "GetAtt", "FsPath"]
