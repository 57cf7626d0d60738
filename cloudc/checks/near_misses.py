"""Names that are probably typos: an overlay entry next to a base entry, an environment name.

An environment overlay (`environments.<env>.<section>.<name>` or `cloud.<env>.yaml`) that
names an entry the base does not have adds a new entry; when the name is one edit away from a
base entry (`databses.main` -> `databases.mian`), the user almost always meant to change that
entry, and the build would quietly deploy a second database. An environment declared as
`prodution` gets none of production's safeguards (deletion protection, snapshots, retention),
and so does `cloudc build --env prodction` when no environment of that name is declared.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, Diagnostics
from cloudc.project import BUILTIN_ENVIRONMENTS
from cloudc.schema import map_sections

NEEDS = "config"
CODES = (
    Code("W3120", "an overlay adds an entry whose name is close to a base entry",
         "an environment overlay that adds `section.name` one typo away from a base entry "
         "probably meant to change that entry"),
    Code("W3121", "an environment name close to a built-in one",
         "`prodution` is not `production`: it gets none of production's safeguards"),
    Code("W3195", "the environment built is undeclared and close to a known one",
         "`--env prodction` builds an environment nothing declares, with none of "
         "production's safeguards or overlays"),
)


def _close(word: str, candidates: list[str], cutoff: float) -> str | None:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
    return match[0] if match else None


def check(cx: CheckContext) -> Iterator[Finding]:
    """Warn about overlay entries and environment names that look like typos."""
    for env in cx.res.environments:
        near = _close(env, list(BUILTIN_ENVIRONMENTS), 0.8)
        if env not in BUILTIN_ENVIRONMENTS and near is not None:
            yield Finding("W3121", f"environment `{env}` is not the built-in `{near}`: it gets "
                          "none of its defaults", ("environments", env),
                          f"did you mean `{near}`?", key=True)
    yield from _undeclared_env(cx)
    overlays = _overlays(cx)
    if not overlays:
        return
    base = _base_names(cx)
    for section, names in overlays.items():
        have = sorted(base.get(section, set()))
        for name in names:
            if name in base.get(section, set()) or name not in (cx.data.get(section) or {}):
                continue
            near = _close(name, have, 0.75)
            if near is not None:
                yield Finding("W3120", f"the `{cx.env}` overlay adds `{section}.{name}`, which "
                              f"the base config does not declare, next to `{section}.{near}`",
                              (section, name), f"did you mean `{near}`? as written, `{cx.env}` "
                              "gets both", key=True)


def _undeclared_env(cx: CheckContext) -> Iterator[Finding]:
    """Warn when the environment being built is declared nowhere (not built in, not under
    `environments`, no `cloud.<env>` file) and is one typo away from one that is."""
    env = cx.env
    known = list(dict.fromkeys([*BUILTIN_ENVIRONMENTS, *map(str, cx.res.environments)]))
    if env in known or any(ly.endswith(f".{env}{_suffix(cx)}") for ly in cx.res.layers):
        return
    near = _close(env, known, 0.8)
    if near is None:
        return
    declared = cx.res.origins.exact(("environments",)) is not None
    yield Finding("W3195", f"environment `{env}` is declared nowhere, and is not `{near}`: "
                  f"it is built with none of `{near}`'s settings",
                  ("environments",) if declared else (),
                  f"did you mean `{near}`? build with `--env {near}`, or declare `{env}` "
                  "under `environments`", key=True)


def _overlays(cx: CheckContext) -> dict[str, list[str]]:
    """Return the entry names each overlay layer of this environment writes, by section."""
    layers = [ly for ly in cx.res.layers
              if ly == f"environments.{cx.env}" or ly.endswith(f".{cx.env}{_suffix(cx)}")]
    if not layers:
        return {}
    out: dict[str, list[str]] = {}
    for data in _overlay_data(cx, layers):
        for section in map_sections():
            entries = data.get(section)
            if isinstance(entries, dict):
                out.setdefault(section, []).extend(str(n) for n in entries)
    return out


def _suffix(cx: CheckContext) -> str:
    return FsPath(cx.res.file).suffix


def _overlay_data(cx: CheckContext, layers: list[str]) -> Iterator[dict[str, Any]]:
    from cloudc.load import load_file

    base = FsPath(cx.res.file)
    for layer in layers:
        if layer.startswith("environments."):
            doc = load_file(base, Diagnostics())
            envs = doc.data.get("environments") if doc is not None else None
            overlay = envs.get(cx.env) if isinstance(envs, dict) else None
        else:
            doc = load_file(base.with_name(layer), Diagnostics())
            overlay = doc.data if doc is not None else None
        if isinstance(overlay, dict):
            yield overlay


def _base_names(cx: CheckContext) -> dict[str, set[str]]:
    """Return the entry names the base file and its presets declare, by section."""
    from cloudc.load import load_file

    doc = load_file(FsPath(cx.res.file), Diagnostics())
    out: dict[str, set[str]] = {}
    for section in map_sections():
        names = set()
        if doc is not None and isinstance(doc.data.get(section), dict):
            names |= {str(n) for n in doc.data[section]}
        for name in cx.data.get(section) or {}:
            o = cx.res.origins.key((section, name))
            if o is not None and o.layer.startswith("preset "):
                names.add(str(name))
        out[section] = names
    return out
