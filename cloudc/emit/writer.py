"""Serialise templates deterministically and write the output tree atomically."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

# check_circular=False: templates are trees (a cycle would be a compiler bug and still fails,
# with RecursionError); skipping the check makes encoding about a quarter faster.
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=False,
                            check_circular=False).encode
_key = json.encoder.encode_basestring  # a JSON string (what _compact writes for a str)

# Big sections get one entry per line: diffs stay readable, and json's C encoder stays in use
# (any `indent` switches CPython to its pure-Python encoder, ~5x slower).
_LINED = ("Parameters", "Resources", "Outputs", "templates", "assets", "placement")

# Between the entries of a big section, encoded in one call: a string that splits the text
# into one text per entry (when no entry holds it, which the count of it checks).
_CUT = "\x00cloudc:cut\x00"
_CUT_JSON = _key(_CUT)
_CUT_TEXT = "," + _CUT_JSON + ","


def _entries(values: list[Any]) -> list[str]:
    """Return the compact JSON of each of `values`, from one call of the C encoder.

    One call per entry cost about a third more (each call builds an encoder). A value that
    holds the cut string itself (never, in practice) falls back to one call per entry.
    """
    if len(values) < 2:
        return [_compact(v) for v in values]
    mixed: list[Any] = [_CUT] * (2 * len(values) - 1)
    mixed[::2] = values
    text = _compact(mixed)
    if text.count(_CUT_JSON) != len(values) - 1:  # an entry holds the cut: split elsewhere
        return [_compact(v) for v in values]
    return text[1:-1].split(_CUT_TEXT)


def to_json(doc: dict[str, Any]) -> str:
    """Serialise a template: top-level keys one a line, and one entry a line in big sections."""
    lines = ["{"]
    keys = list(doc)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = doc[key]
        if key in _LINED and isinstance(value, dict) and value:
            lines.append(f"{_key(key)}:{{")
            texts = _entries(list(value.values()))
            last = len(texts) - 1
            lines.extend(f"{_key(k)}:{t}," if j < last else f"{_key(k)}:{t}"
                         for j, (k, t) in enumerate(zip(value, texts, strict=True)))
            lines.append("}" + comma)
        elif key in _LINED and isinstance(value, list) and value:
            lines.append(f"{_key(key)}:[")
            texts = _entries(value)
            last = len(texts) - 1
            lines.extend(f"{t}," if j < last else t for j, t in enumerate(texts))
            lines.append("]" + comma)
        else:
            lines.append(f"{_key(key)}:{_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def to_yaml(doc: dict[str, Any]) -> str:
    """Serialise a template as YAML (long-form intrinsics, so any YAML parser reads it)."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def serialise(doc: dict[str, Any], fmt: str) -> str:
    """Serialise in the chosen format ("json" or "yaml")."""
    return to_yaml(doc) if fmt == "yaml" else to_json(doc)


def sha256(data: bytes) -> str:
    """Return the hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


class OutputError(Exception):
    """The output folder cannot be written (or must not be): a usage error, exit 2."""


def check_target(target: Path, protect: Iterable[Path] = ()) -> Path:
    """Return where `target` really is (its parent resolved, its own name kept); refuse it when
    it is, or contains, a protected path (the project folder), is a link or a file, or is a
    folder that is not a cloudc build (which the swap would delete).
    """
    try:
        parent = target.absolute().parent.resolve()
        real = parent / target.name
        for p in protect:
            p = p.resolve()
            if p == real or real in p.parents:
                raise OutputError(f"the output folder {real} would replace {p}, which holds "
                                  "the config and its sources; choose another --out")
        if os.path.islink(real):
            raise OutputError(f"the output folder {real} is a symbolic link; remove it or "
                              "choose another --out")
        if os.path.lexists(real) and not os.path.isdir(real):
            raise OutputError(f"the output folder {real} exists and is not a folder; choose "
                              "another --out")
        if os.path.isdir(real) and not _is_build(real):
            raise OutputError(f"{real} exists and is not a cloudc build (no manifest.json): "
                              "a build replaces the whole folder, so cloudc will not write "
                              "there; remove it or choose another --out")
    except (OSError, ValueError, RuntimeError) as exc:
        raise OutputError(f"cannot use the output folder {target}: {_reason(exc)}") from exc
    return real


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() + (f" ({exc.filename})" if exc.filename else "")
    return str(exc)


def _is_build(folder: Path) -> bool:
    """Say whether `folder` is empty or an earlier cloudc build (its manifest says so)."""
    names = os.listdir(folder)
    if not names:
        return True
    manifest_file = folder / "manifest.json"
    try:
        info = os.stat(manifest_file, follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            return False
        with open(manifest_file, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return re.match(rb'\s*\{\s*"cloudc"\s*:', head) is not None


def _umask() -> int:
    """Return the process umask without changing it where Linux can tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


_LEFTOVER = re.compile(r"^\.(?P<env>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)?")


def clean_leftovers(parent: Path, name: str) -> None:
    """Remove `.NAME.tmp-*` / `.NAME.old-*` folders left by builds that were killed.

    Folders of builds still running (their process id is alive) are left alone. If a kill
    fell between the two renames of the fallback swap, `NAME` is missing and the newest
    `.NAME.old-*` is the previous build: it is put back first.
    """
    try:
        names = os.listdir(parent)
    except OSError:
        return
    stale = []
    for n in names:
        m = _LEFTOVER.match(n)
        if not m or m.group("env") != name:
            continue
        pid = m.group("pid")
        if pid is not None and _alive(int(pid)):
            continue
        stale.append((m.group("kind"), parent / n))
    target = parent / name
    olds = sorted((p for kind, p in stale if kind == "old"), key=lambda p: p.stat().st_mtime)
    if olds and not os.path.lexists(target):
        try:
            os.rename(olds[-1], target)
            stale = [(k, p) for k, p in stale if p != olds[-1]]
        except OSError:
            pass
    for _, path in stale:
        if os.path.islink(path) or not os.path.isdir(path):
            with contextlib.suppress(OSError):
                os.unlink(path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # the file system (or kernel) has no exchange
    raise OSError(err, os.strerror(err), str(b))


def write_tree(target: Path, files: dict[str, bytes], protect: Iterable[Path] = ()) -> None:
    """Write `files` (relative path -> bytes) as the directory `target`, all or nothing.

    Everything is written to a sibling temporary directory first. If `target` exists, the two
    are swapped in one atomic step where the platform can (Linux renameat2 RENAME_EXCHANGE), so
    `target` is never missing; elsewhere the old folder is renamed aside and the new one into
    place (a kill between the two leaves `.NAME.old-PID`, which the next build puts back or
    removes). A failure or kill before the swap leaves the previous build untouched; leftovers
    of killed builds are removed by the next one. Folders follow the umask.
    Raises OutputError when `target` cannot or must not be written (see `check_target`).
    """
    real = check_target(target, protect)
    parent = real.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(parent, real.name)
        real = check_target(real, protect)  # a leftover may have been put back
        tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}.tmp-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write the output folder {real}: {_reason(exc)}") from exc
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it 0700
        for rel, data in sorted(files.items()):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if os.path.isdir(real) and exchange(tmp, real):
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous build
            return
        old = None
        if os.path.isdir(real):
            old = parent / f".{real.name}.old-{os.getpid()}"
            if os.path.lexists(old):
                shutil.rmtree(old)
            os.rename(real, old)
        try:
            os.rename(tmp, real)
        except BaseException:
            if old is not None:
                os.rename(old, real)  # put the previous build back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write the output folder {real}: {_reason(exc)}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest(env: str, templates: dict[str, bytes], counts: dict[str, int],
             assets: dict[str, bytes], placement: dict[str, list[str]]) -> dict[str, Any]:
    """Describe a build: every template (its UTF-8 text) with its sha256, resource count and
    size."""
    return {
        "cloudc": 1,
        "environment": env,
        "templates": [
            {"path": path, "sha256": sha256(data), "resources": counts[path],
             "bytes": len(data)}
            for path, data in templates.items()
        ],
        "assets": [{"path": f"assets/{name}", "sha256": sha256(data), "bytes": len(data)}
                   for name, data in sorted(assets.items())],
        "placement": placement,
    }
