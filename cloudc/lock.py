"""The placement lock, `cloud.lock.json`: which nested stack (and root) each owner lives in.

A resource's nested stack is part of its identity in CloudFormation: moved to another stack,
it is deleted and created again. `cloudc build` records, per environment, the nested stack of
every owner's resources in each group, so later builds keep them there whatever is added,
removed, renamed or reordered around them (`passes/partition.py` reads it). The file is JSON
with sorted keys and one owner a line, so a change of placement is one line of a diff:

    {
    "cloudc-lock": 1,
    "environments": {
    "production": {
    "owners": {
    "functions.api": {"functions": ["functions", 4], "monitoring": ["monitoring", 2]},
    ...
    },
    "roots": {"functions-7": 2, ...}
    }
    }
    }

Each owner maps its groups to `[nested stack, resource count when locked]`; the count tells a
later build which owner grew when a stack overflows (that owner moves, not its neighbours).
`roots` (only for apps over one operation's 2,500 resources) gives each nested stack's root.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudc.source import Origin

LOCK_FILE = "cloud.lock.json"
VERSION = 1
_compact = json.JSONEncoder(separators=(", ", ": "), sort_keys=True, ensure_ascii=False).encode


class LockError(Exception):
    """The lock file exists but is not a cloudc lock (E3280)."""

    def __init__(self, message: str, origin: Origin) -> None:
        super().__init__(message)
        self.origin = origin


@dataclass
class EnvLock:
    """One environment's placement: (owner, group) -> (nested stack, resources); stack -> root."""

    units: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    roots: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return the environment's entry of the lock file."""
        owners: dict[str, dict[str, list[Any]]] = {}
        for (owner, group), (stack, count) in self.units.items():
            owners.setdefault(owner, {})[group] = [stack, count]
        out: dict[str, Any] = {"owners": {k: owners[k] for k in sorted(owners)}}
        if any(r != 1 for r in self.roots.values()):
            out["roots"] = {k: self.roots[k] for k in sorted(self.roots)}
        return out


def lock_path(config: Path) -> Path:
    """Return where the lock of the config at `config` lives (beside it)."""
    return config.parent / LOCK_FILE


def read_lock(config: Path) -> dict[str, EnvLock] | None:
    """Return every environment's placement from the lock beside `config`; None without one.

    Raises LockError (with the file's position) when the file is not a cloudc lock.
    """
    path = lock_path(config)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(f"cannot read {LOCK_FILE}: {exc}", Origin(str(path), 1, 1)) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(f"{LOCK_FILE} is not valid JSON: {exc.msg}",
                        Origin(str(path), exc.lineno, exc.colno)) from exc
    return _parse(doc, path, text)


def _parse(doc: Any, path: Path, text: str) -> dict[str, EnvLock]:
    """Check the shape of a parsed lock and return it per environment."""
    def bad(what: str, needle: str = "") -> LockError:
        line = text[:text.find(needle)].count("\n") + 1 if needle and needle in text else 1
        return LockError(f"{LOCK_FILE}: {what}", Origin(str(path), line, 1))

    if not isinstance(doc, dict) or doc.get("cloudc-lock") != VERSION:
        raise bad(f'not a cloudc lock (expected "cloudc-lock": {VERSION} at the top)')
    envs = doc.get("environments")
    if not isinstance(envs, dict):
        raise bad('"environments" must be a map of environment names')
    out: dict[str, EnvLock] = {}
    for env, entry in envs.items():
        owners = entry.get("owners") if isinstance(entry, dict) else None
        roots = entry.get("roots", {}) if isinstance(entry, dict) else None
        if not isinstance(owners, dict) or not isinstance(roots, dict):
            raise bad(f'environment `{env}` needs "owners" (and optionally "roots") maps',
                      f'"{env}"')
        lock = EnvLock()
        for owner, groups in owners.items():
            if not isinstance(groups, dict):
                raise bad(f"`{owner}` must map groups to [stack, count]", f'"{owner}"')
            for group, where in groups.items():
                if (not isinstance(where, list) or len(where) != 2
                        or not isinstance(where[0], str) or type(where[1]) is not int):
                    raise bad(f"`{owner}`.`{group}` must be [nested stack, resource count]",
                              f'"{owner}"')
                lock.units[(str(owner), str(group))] = (where[0], where[1])
        for stack, root in roots.items():
            if type(root) is not int or root < 1:
                raise bad(f"root of `{stack}` must be a number from 1", f'"{stack}"')
            lock.roots[str(stack)] = root
        out[str(env)] = lock
    return out


def render_lock(envs: dict[str, EnvLock]) -> str:
    """Serialise the lock: sorted keys, one owner (and one stack's root) a line."""
    lines = ["{", f'"cloudc-lock": {VERSION},', '"environments": {']
    names = sorted(envs)
    for i, env in enumerate(names):
        entry = envs[env].as_json()
        lines.append(f"{_compact(env)}: {{")
        parts = list(entry)
        for j, part in enumerate(parts):
            items = list(entry[part].items())
            lines.append(f'"{part}": {{' if items else f'"{part}": {{}}' + _comma(j, parts))
            for k, (key, value) in enumerate(items):
                lines.append(f"{_compact(key)}: {_compact(value)}" + _comma(k, items))
            if items:
                lines.append("}" + _comma(j, parts))
        lines.append("}" + _comma(i, names))
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def _comma(i: int, seq: list[Any]) -> str:
    return "," if i < len(seq) - 1 else ""


def write_lock(config: Path, env: str, lock: EnvLock) -> bool:
    """Record `env`'s placement in the lock beside `config`, keeping the other environments.

    The file is replaced atomically (a temporary file renamed over it). Returns whether the
    file changed. Raises LockError when the existing file is not a cloudc lock.
    """
    path = lock_path(config)
    envs = read_lock(config) or {}
    old = path.read_text(encoding="utf-8") if path.exists() else None
    envs[env] = lock
    text = render_lock(envs)
    if text == old:
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{LOCK_FILE}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        mode = os.stat(path).st_mode & 0o777 if old is not None else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
