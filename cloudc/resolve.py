"""Resolve stage: presets, environment overlays, --set, and interpolation, keeping provenance."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from cloudc import paths, presets
from cloudc.diagnostics import Diagnostics, did_you_mean
from cloudc.load import Document, load_file, parse_value
from cloudc.project import BUILTIN_ENVIRONMENTS, find_config  # noqa: F401 - re-exported
from cloudc.source import Origin, Origins, Path

ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")  # SPEC 1.1
PRESET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# A key that usually holds a secret (SPEC 1.3): DB_PASSWORD, apiKey, stripe-secret, TOKEN.
SECRET_WORDS = {"password", "passwd", "pwd", "secret", "secrets", "token", "tokens", "key",
                "keys", "apikey", "credential", "credentials", "passphrase"}
INTERP = re.compile(r"\$\{([^{}]*)\}")
# Tokens kept for the lowering stage: they become Ref/GetAtt/Sub or dynamic references.
DEPLOY_TIME = ("secret:", "ssm:")
RAW_TOKEN = re.compile(r"![^{}]*|[A-Za-z][A-Za-z0-9]*(::[A-Za-z0-9]+)*")  # Fn::Sub forms
PSEUDO = {"region": "AWS::Region", "account": "AWS::AccountId", "partition": "AWS::Partition",
          "stack": "AWS::StackName", "url_suffix": "AWS::URLSuffix"}


@dataclass
class Resolved:
    """The merged config for one environment, with every value's origin."""

    data: dict[str, Any]
    origins: Origins
    environment: str
    file: str
    config_dir: FsPath
    environments: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    interp: _Interp | None = None

    def interpolate_text(self, text: str, path: Path) -> Any:
        """Resolve build-time `${...}` tokens in text read from a file the config points at."""
        if self.interp is None or "${" not in text:
            return text
        return self.interp.string(text, path)


def slugify(name: str) -> str:
    """Derive a project slug: lowercase, dashes.

    >>> slugify("Acme Shop!")
    'acme-shop'
    """
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "app"


def resolve(path: FsPath, env: str, sets: list[str], diags: Diagnostics) -> Resolved | None:
    """Load `path` and everything it extends, apply the overlays for `env`, and interpolate."""
    diags.default_file = str(path)
    if not ENV_NAME.fullmatch(env):
        shown = env if len(env) <= 40 else env[:37] + "..."
        diags.add("E1010", f"invalid environment name `{shown}`".replace("\0", "\\0"),
                  origin=Origin(str(path), 1, 1), hint=ENV_HINT)
        return None
    base = load_file(path, diags)
    if base is None:
        return None
    layers: list[str] = []
    merged = _with_presets(base, path, diags, layers, chain=[str(path)])
    if merged is None:
        return None
    data, origins = merged
    layers.append(str(path))
    envs_section = data.get("environments") or {}
    declared = list(envs_section) if isinstance(envs_section, dict) else []
    for name in declared:
        if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
            diags.add("E1010", f"invalid environment name `{str(name)[:40]}`",
                      origin=origins.key(("environments", name)), path=("environments",),
                      hint=ENV_HINT)
    if isinstance(envs_section, dict) and isinstance(envs_section.get(env), dict):
        overlay = envs_section[env]
        ov_origins = origins.rebase(("environments", env), ())
        ov_origins = _relayer(ov_origins, f"environments.{env}")
        data, origins = merge(data, origins, overlay, ov_origins)
        layers.append(f"environments.{env}")
    side = path.with_name(f"{path.stem}.{env}{path.suffix}")
    if _side_file(path, side, diags):
        doc = load_file(side, diags, layer=side.name)
        if doc is not None:
            data, origins = merge(data, origins, doc.data, doc.origins)
            layers.append(side.name)
    for expr in sets:
        parsed = _parse_set(expr, diags)
        if parsed is not None:
            data, origins = merge(data, origins, parsed.data, parsed.origins)
            layers.append(f"--set {expr}")
    data.pop("extends", None)
    data.pop("environments", None)
    if origins.exact(()) is None:  # a missing top-level key is reported at the file's start
        origins.set((), Origin(str(path), 1, 1))
    resolved = Resolved(data, origins, env, str(path), path.parent, declared, layers)
    interpolate(resolved, diags)
    return resolved


ENV_HINT = ("an environment name is lowercase letters, digits and `-`, starts with a letter, "
            "at most 32 characters")


def _side_file(path: FsPath, side: FsPath, diags: Diagnostics) -> bool:
    """Say whether the overlay file `cloud.<env>.yaml` is there (and inside the folder)."""
    if not os.path.lexists(side):
        return False
    try:
        paths.locate(path.parent, side.name, "file", "environment file")
    except paths.PathProblem as problem:
        diags.add(problem.code, problem.message, origin=Origin(str(side), 1, 1),
                  hint=problem.hint)
        return False
    return True


def _relayer(origins: Origins, layer: str) -> Origins:
    return Origins(
        {k: Origin(v.file, v.line, v.col, layer) for k, v in origins._map.items()},
        {k: Origin(v.file, v.line, v.col, layer) for k, v in origins._keys.items()},
    )


def _with_presets(
    doc: Document, path: FsPath, diags: Diagnostics, layers: list[str], chain: list[str]
) -> tuple[dict[str, Any], Origins] | None:
    """Merge the presets `doc` extends (recursively, in order) under `doc` itself."""
    extends = doc.data.get("extends") or []
    if isinstance(extends, str):
        extends = [extends]
    if not isinstance(extends, list):
        diags.add("E2003", "`extends` must be a list of preset names or paths",
                  origin=doc.origins.get(("extends",)), path=("extends",))
        return dict(doc.data), doc.origins
    data: dict[str, Any] = {}
    origins = Origins()
    for i, name in enumerate(extends):
        where = doc.origins.get(("extends", i))
        if not isinstance(name, str):
            diags.add("E2003", "a preset is named by a string", origin=where, path=("extends", i))
            continue
        is_path = name.endswith((".yaml", ".yml", ".toml", ".json")) or "/" in name
        ppath: FsPath | None = None
        if is_path:
            try:  # a preset file lies inside the project, like every file the config names
                paths.locate(FsPath(chain[0]).parent, str(path.parent / name), "file", "preset")
                ppath = path.parent / name  # named as written, for messages
            except paths.PathProblem as problem:
                if problem.code != "E1007":
                    diags.add(problem.code, problem.message, origin=where, path=("extends", i),
                              hint=problem.hint)
                    continue
        elif PRESET_NAME.fullmatch(name):
            ppath = presets.builtin_path(name)
        if ppath is None:
            shown = paths.shown(name)
            hint = None if is_path else did_you_mean(shown, presets.builtin_names())
            diags.add("E1001", f"unknown preset `{shown}`", origin=where, path=("extends", i),
                      hint=hint or f"built-in presets: {', '.join(presets.builtin_names())}")
            continue
        key = str(ppath.resolve())
        if key in chain:
            names = [*chain, key]
            short = " -> ".join(FsPath(n).stem if n != chain[0] else n for n in names)
            diags.add("E1002", f"preset cycle: {short}", origin=where, path=("extends", i))
            continue
        layer = f"preset {name}"
        pdoc = load_file(ppath, diags, layer=layer)
        if pdoc is None:
            continue
        sub = _with_presets(pdoc, ppath, diags, layers, [*chain, key])
        if sub is None:
            continue
        data, origins = merge(data, origins, sub[0], sub[1])
        layers.append(layer)
    return merge(data, origins, doc.data, doc.origins)


def merge(
    base: dict[str, Any], base_origins: Origins, over: dict[str, Any], over_origins: Origins
) -> tuple[dict[str, Any], Origins]:
    """Merge `over` onto `base`: maps key by key, scalars and lists replace, null deletes."""
    drop: set[Path] = set()  # values replaced or deleted: their old origins go
    take: set[Path] = set()  # values replaced or added: their origins come from `over`
    maps: list[Path] = []  # maps merged key by key
    out = _merge_into(dict(base), over, (), drop, take, maps)
    origins = base_origins.overlaid(over_origins, drop, take)
    for p in maps:  # a merged map keeps its first position
        k = over_origins.exact(p)
        if k is not None and origins.exact(p) is None:
            origins.set(p, k)
    return out, origins


def _merge_into(
    base: dict[str, Any], over: dict[str, Any], path: Path, drop: set[Path], take: set[Path],
    maps: list[Path],
) -> dict[str, Any]:
    for key, value in over.items():
        p = path + (key,)
        if value is None:
            if p[:1] == ("overrides",) and len(p) > 2:  # a patch's null deletes a generated key
                base[key] = None
                take.add(p)
            elif key in base:
                del base[key]
                drop.add(p)
            continue
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            base[key] = _merge_into(dict(old), value, p, drop, take, maps)
            maps.append(p)
        else:
            if key in base:
                drop.add(p)
            base[key] = value
            take.add(p)
    return base


def _parse_set(expr: str, diags: Diagnostics) -> Document | None:
    """Parse `--set a.b.c=value` into a one-value overlay document."""
    origin = Origin("--set", 1, 1, "--set")
    if "=" not in expr:
        diags.add("E1006", f"`--set {expr}` must look like path=value", origin=origin)
        return None
    key, raw = expr.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        diags.add("E1006", f"`--set {expr}` names no path", origin=origin)
        return None
    value = parse_value(raw) if raw.strip() else ""
    data: dict[str, Any] = {}
    cur = data
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value
    origins = Origins()
    for i in range(len(parts)):
        origins.set(tuple(parts[: i + 1]), origin)
    return Document("--set", data, origins)


# --- interpolation ----------------------------------------------------------------------------


def interpolate(res: Resolved, diags: Diagnostics) -> None:
    """Replace build-time `${...}` tokens in place; leave deploy-time ones for lowering."""
    data = res.data
    project: dict[str, Any] = data["project"] if isinstance(data.get("project"), dict) else {}
    slug = project.get("slug") or slugify(project.get("name", "app"))
    if isinstance(data.get("project"), dict):
        data["project"].setdefault("slug", slug)
    variables: dict[str, Any] = (data["variables"] if isinstance(data.get("variables"), dict)
                                 else {})
    builtins = {
        "project.slug": slug,
        "project.name": project.get("name", slug),
        "environment": res.environment,
        "env": res.environment,
    }
    ctx = _Interp(res, variables, builtins, diags)
    res.interp = ctx
    if "variables" in data:
        data["variables"] = ctx.walk(data["variables"], ("variables",))
    for key in list(data):
        if key != "variables":
            data[key] = ctx.walk(data[key], (key,))


class _Interp:
    def __init__(self, res: Resolved, variables: dict[str, Any], builtins: dict[str, str],
                 diags: Diagnostics) -> None:
        # The origins, not `res`: `res.interp` is this object, and a cycle would keep the
        # whole resolved config alive until the garbage collector's next full pass.
        self.origins = res.origins
        self.variables = variables
        self.builtins = builtins
        self.diags = diags
        self.stack: list[str] = []
        self.env_vars: dict[str, Path] = {}  # variable -> path of the `${env:...}` it holds

    def walk(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            return self.string(value, path) if "${" in value else value
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (str, dict, list)):
                    value[k] = self.walk(v, path + (k,))
            return value
        if isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, (str, dict, list)):
                    value[i] = self.walk(v, path + (i,))
            return value
        return value

    def string(self, text: str, path: Path) -> Any:
        whole = INTERP.fullmatch(text)
        if whole:
            got = self.token(whole.group(1).strip(), path)
            return text if got is _KEEP else got
        if text.count("${") != len(INTERP.findall(text)):
            self.diags.add("E1005", f"unclosed or nested `${{` in `{text}`",
                           origin=self.origins.get(path), path=path)
            return text

        def sub(m: re.Match[str]) -> str:
            got = self.token(m.group(1).strip(), path)
            return m.group(0) if got is _KEEP else _to_str(got)

        return INTERP.sub(sub, text)

    def token(self, tok: str, path: Path) -> Any:
        origin = self.origins.get(path)
        if tok.startswith("var:"):
            name = tok[4:].strip()
            if name not in self.variables:
                self.diags.add("E1003", f"unknown variable `{name}`", origin=origin, path=path,
                               hint=did_you_mean(name, self.variables))
                return ""
            if name in self.stack:
                self.diags.add("E1005", f"variable cycle: {' -> '.join([*self.stack, name])}",
                               origin=origin, path=path)
                return ""
            self.stack.append(name)
            try:
                value = self.walk(self.variables[name], ("variables", name))
            finally:
                self.stack.pop()
            if name in self.env_vars:
                if len(path) >= 2 and path[0] == "variables" and isinstance(path[1], str):
                    self.env_vars.setdefault(path[1], self.env_vars[name])
                self._secret_warning(self.env_vars[name], path)
            return value
        if tok.startswith("env:"):
            name, _, default = tok[4:].partition(",")
            name = name.strip()
            if len(path) >= 2 and path[0] == "variables" and isinstance(path[1], str):
                self.env_vars.setdefault(path[1], path)
            self._secret_warning(path, path)
            if name in os.environ:
                return os.environ[name]
            if _:
                return default.strip().strip("\"'")
            self.diags.add("E1004", f"environment variable `{name}` is not set", origin=origin,
                           path=path, hint=f"set it, or give a default: ${{env:{name}, value}}")
            return ""
        if tok in self.builtins:
            return self.builtins[tok]
        if tok in PSEUDO or tok.startswith(DEPLOY_TIME) or "." in tok:
            return _KEEP  # resolved by lowering (Ref / GetAtt / dynamic reference)
        if path[:1] == ("resources",) and RAW_TOKEN.fullmatch(tok):
            return _KEEP  # raw CloudFormation's own `${AWS::Region}`, `${Logical}` (Fn::Sub)
        if not tok:
            self.diags.add("E1005", "empty `${}`", origin=origin, path=path)
            return ""
        hint = did_you_mean(tok, [*self.builtins, *PSEUDO, *(f"var:{v}" for v in self.variables)])
        self.diags.add("E1005", f"unknown interpolation `${{{tok}}}`", origin=origin, path=path,
                       hint=hint or "use ${var:NAME}, ${env:NAME}, ${environment}, ${region} or a "
                                    "resource reference like ${storage.uploads.arn}")
        return ""


    def _secret_warning(self, where: Path, lands: Path) -> None:
        """Warn when a build-time `${env:...}` (written at `where`) lands in a secret's key."""
        key = next((p for p in reversed(lands) if isinstance(p, str)), None)
        if key is None or not looks_secret(key):
            return
        self.diags.add("W1010", f"`{key}` looks like a secret but gets a build-time "
                       "`${env:...}` value: the template will hold it in plain text",
                       origin=self.origins.get(where),
                       path=lands, hint="keep it in `secrets:` and write `${secret:NAME}`, or "
                       "use `${ssm:/path}`; both are resolved by AWS at deploy time")


def looks_secret(key: str) -> bool:
    """Say whether a key is named like one that holds a secret (PASSWORD, SECRET, TOKEN, KEY).

    >>> looks_secret("DB_PASSWORD"), looks_secret("apiKey"), looks_secret("LOG_LEVEL")
    (True, True, False)
    """
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()
    return any(w in SECRET_WORDS for w in re.split(r"[^a-z0-9]+", words))


_KEEP = object()


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
