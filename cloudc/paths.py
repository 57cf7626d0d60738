"""Files and folders the config points at: inside the config's folder, real, and bounded.

Every path the config names (function code, site sources, workflow definitions, e-mail
templates, Dockerfiles, file presets) goes through `locate`: it is resolved with symbolic links
followed and must lie inside the config's folder (SPEC 1.3). Folders are read through `scan`,
which refuses special files (FIFOs, devices, sockets), symbolic links that leave the config's
folder, are broken or loop, and stops at a size ceiling, so nothing outside the project reaches
the output, no read blocks, and `code: /` cannot walk the file system.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudc.diagnostics import Diagnostics
from cloudc.lock import LOCK_FILE
from cloudc.source import Origin
from cloudc.source import Path as ConfigPath

MB = 1024 * 1024
# Lambda takes at most 250 MB unzipped (function code plus layers); a code folder over that
# could never deploy. https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_CODE_BYTES = 250 * MB
MAX_CODE_FILES = 100_000
# A file read into a template (ASL, OpenAPI, e-mail template) lands in a template of at most
# 1 MB (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_READ_BYTES = 1 * MB
# A Docker build context is only hashed (docker reads it at deploy), so it may be bigger.
MAX_CONTEXT_BYTES = 2048 * MB
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__"})


class PathProblem(Exception):
    """A path the config names cannot be used; `code` and `hint` say why and what to do."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def shown(rel: str) -> str:
    """Return a path as messages show it: cut to 80 characters, control bytes escaped."""
    text = rel if len(rel) <= 80 else rel[:77] + "..."
    return text.replace("\0", "\\0")


_LOCATED: dict[tuple[str, str, str, str], Path | PathProblem] = {}


def forget() -> None:
    """Forget the paths located so far: each build starts afresh (files may have changed)."""
    _LOCATED.clear()


def locate(root: Path, rel: str, kind: str, what: str) -> Path:
    """Resolve `rel` against `root` once a build (a build checks a path, then uses it).

    See `_locate`; raises PathProblem the same way.
    """
    key = (str(root), rel, kind, what)
    got = _LOCATED.get(key)
    if got is None:
        try:
            got = _locate(root, rel, kind, what)
        except PathProblem as problem:
            got = problem
        _LOCATED[key] = got
    if isinstance(got, PathProblem):
        raise got
    return got


def _locate(root: Path, rel: str, kind: str, what: str) -> Path:
    """Resolve `rel` against the config's folder `root`; return the real path.

    `kind` is "file" or "folder"; `what` names the thing for messages ("code folder").
    Raises PathProblem when the path is malformed, outside `root`, missing, of the wrong
    kind, or a special file.
    """
    name = shown(rel)
    if "\0" in rel:
        raise PathProblem("E1011", f"{what} `{name}` contains a null byte",
                          "remove the control character from the path")
    base = root.resolve()
    try:
        real = (base / rel).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise PathProblem("E1014", f"{what} `{name}` cannot be resolved: "
                          f"{_reason(exc)}", "fix or remove the symbolic link") from exc
    if real != base and base not in real.parents:
        raise PathProblem("E1011", f"{what} `{name}` is outside the config's folder",
                          f"files the config points at must lie inside {base} (symbolic links "
                          "are followed); move or copy it into the project")
    try:
        info = os.stat(real)
    except FileNotFoundError as exc:
        broken = os.path.islink(base / rel)
        raise PathProblem("E1007", f"{what} `{name}` not found"
                          + (" (a broken symbolic link)" if broken else ""),
                          f"looked for {real}" + _hint_for(kind, what)) from exc
    except OSError as exc:
        raise PathProblem("E1007", f"cannot read {what} `{name}`: {_reason(exc)}") from exc
    if kind == "folder" and not stat.S_ISDIR(info.st_mode):
        if stat.S_ISREG(info.st_mode):
            raise PathProblem("E1012", f"{what} `{name}` is a file, not a folder",
                              "point it at the folder that holds the file")
        raise PathProblem("E1012", f"{what} `{name}` is a special file, not a folder")
    if kind == "file" and not stat.S_ISREG(info.st_mode):
        word = ("a folder" if stat.S_ISDIR(info.st_mode)
                else "a special file (FIFO, device or socket)")
        raise PathProblem("E1012", f"{what} `{name}` is {word}, not a regular file")
    return real


def _hint_for(kind: str, what: str) -> str:
    if what.startswith("site"):
        return "; build the site first (e.g. `npm run build`), or point `source` at its output"
    return f"; create the {what}, or fix the path"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError):
        return "a symbolic link loop"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


def read_text(root: Path, rel: str, what: str, limit: int = MAX_READ_BYTES) -> str:
    """Read a UTF-8 file the config points at, inside `root` and at most `limit` bytes."""
    real = locate(root, rel, "file", what)
    try:
        with open(real, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise PathProblem("E1007", f"cannot read {what} `{shown(rel)}`: {_reason(exc)}") from exc
    if len(data) > limit:
        raise PathProblem("E1013", f"{what} `{shown(rel)}` is over {limit // MB} MB",
                          "a file embedded in a template must fit CloudFormation's 1 MB "
                          "template limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PathProblem("E1012", f"{what} `{shown(rel)}` is not UTF-8 text") from exc


@dataclass(frozen=True, slots=True)
class Entry:
    """One regular file found in a folder: its path relative to the folder, and where it is."""

    rel: str
    path: Path
    size: int
    executable: bool


def scan(folder: Path, root: Path, what: str, *, limit: int | None = MAX_CODE_BYTES,
         max_files: int = MAX_CODE_FILES, skip: frozenset[str] = SKIP_DIRS) -> list[Entry]:
    """List the regular files under `folder`, sorted; refuse what must not be read.

    Symbolic links are followed when their target lies inside `root` (the config's folder),
    and refused when they point outside it, are broken, or loop back into a folder being
    listed. FIFOs, sockets and devices are refused. The walk stops as soon as the files
    exceed `limit` bytes or `max_files` files. Raises PathProblem.
    """
    base = root.resolve()
    out: list[Entry] = []
    total = 0
    for entry in _walk(folder.resolve(), base, what, skip):
        total += entry.size
        out.append(entry)
        if limit is not None and total > limit:
            raise PathProblem("E1013", f"{what} holds more than {limit // MB} MB",
                              "AWS Lambda takes at most 250 MB unzipped; leave build "
                              "caches, tests and data out of the folder, or use a layer "
                              "or a container image" if limit == MAX_CODE_BYTES else
                              "make the folder smaller")
        if len(out) > max_files:
            raise PathProblem("E1013", f"{what} holds more than {max_files} files",
                              "point it at the folder that holds only what the code needs")
    out.sort(key=lambda e: e.rel)
    return out


_MANIFEST_HEAD = re.compile(rb'\s*\{\s*"cloudc"\s*:')


def _is_build_output(folder: Path) -> bool:
    """Say whether `folder` is a cloudc build (`build/<env>/`): never zipped into code.

    `code: ./` with the default `--out build` would otherwise ship the previous build (and
    every build after it would grow by the one before).
    """
    try:
        with open(folder / "manifest.json", "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    if _MANIFEST_HEAD.match(head) is None:
        return False
    return (folder / "template.json").exists() or (folder / "template.yaml").exists()


_LOCK_HEAD = re.compile(rb'\s*\{\s*"cloudc-lock"\s*:')


def _is_lock(file: Path) -> bool:
    """Say whether `file` is cloudc's placement lock (never zipped into code)."""
    try:
        with open(file, "rb") as fh:
            return _LOCK_HEAD.match(fh.read(64)) is not None
    except OSError:
        return False


def _walk(top: Path, base: Path, what: str, skip: frozenset[str]) -> Iterator[Entry]:
    """Yield the files under the real folder `top`, without recursion and without loops."""
    todo: list[tuple[Path, str, tuple[Path, ...]]] = [(top, "", (top,))]
    while todo:
        real, prefix, ancestors = todo.pop()
        try:
            with os.scandir(real) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise PathProblem("E1007", f"cannot list {what} folder `{prefix or '.'}`: "
                              f"{_reason(exc)}") from exc
        for e in entries:
            rel = f"{prefix}{e.name}"
            target, info = _follow(e, rel, base, what)
            mode = info.st_mode
            if stat.S_ISDIR(mode):
                if e.name in skip or _is_build_output(target):
                    continue
                if target in ancestors:
                    raise PathProblem("E1014", f"{what}: symbolic link `{shown(rel)}` loops "
                                      "back into a folder that contains it", "remove the link")
                todo.append((target, rel + "/", ancestors + (target,)))
            elif stat.S_ISREG(mode):
                if e.name == LOCK_FILE and _is_lock(target):
                    continue  # placement is not code: a new lock must not change a code hash
                yield Entry(rel, target, info.st_size, bool(mode & 0o111))
            else:
                raise PathProblem("E1012", f"{what}: `{shown(rel)}` is a special file (FIFO, "
                                  "socket or device)", "remove it from the folder")


def _follow(e: os.DirEntry[str], rel: str, base: Path, what: str) -> tuple[Path, Any]:
    """Return where a folder entry really is and its stat; links must stay inside `base`."""
    try:
        info: Any = e.stat(follow_symlinks=False)
        target = Path(e.path)
        if not stat.S_ISLNK(info.st_mode):
            return target, info
        try:
            target = target.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise PathProblem("E1014", f"{what}: symbolic link `{shown(rel)}` is broken "
                              "or loops", "fix or remove the link") from exc
        if target != base and base not in target.parents:
            raise PathProblem("E1014", f"{what}: symbolic link `{shown(rel)}` points "
                              f"outside the config's folder, at {target}",
                              "copy the file into the project instead of linking it")
        return target, os.stat(target)
    except OSError as exc:
        raise PathProblem("E1007", f"{what}: cannot read `{shown(rel)}`: "
                          f"{_reason(exc)}") from exc


def report(diags: Diagnostics, problem: PathProblem, origin: Origin | None,
           path: ConfigPath) -> None:
    """Record a PathProblem as a located diagnostic."""
    diags.add(problem.code, problem.message, origin=origin, path=path, hint=problem.hint)


# --- the paths a config names -------------------------------------------------------------------

# (section, field, kind, what): every file or folder a section's entries point at.
def is_dockerfile(image: str) -> bool:
    """Say whether `image` names a Dockerfile to build rather than an image to pull.

    >>> is_dockerfile("./Dockerfile"), is_dockerfile("api/Dockerfile.prod")
    (True, True)
    >>> is_dockerfile("nginx:1.27")
    False
    """
    base = image.rsplit("/", 1)[-1]
    return image.startswith(("./", "../", "/")) or base.startswith("Dockerfile") \
        or base.endswith(".Dockerfile") or base.endswith(".dockerfile")


def named_paths(data: dict[str, Any]) -> Iterator[tuple[ConfigPath, str, str, str]]:
    """Yield (config path, value, kind, what) for every file or folder the config names
    (each section lists its fields in `PATHS`)."""
    from cloudc.schema import section_info, section_module

    for section in section_info():  # import only the sections the config has
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        mod = section_module(section)
        for field in getattr(mod, "PATHS", ()):
            for name, spec in entries.items():
                for at, value in _values(spec, field.at, ()):
                    if not isinstance(value, str):
                        continue
                    if field.only == "relative":  # other values are not file names
                        if not value.startswith(("./", "../")):
                            continue
                    elif "${" in value:
                        continue
                    if field.only == "dockerfile":
                        if not is_dockerfile(value.strip()):
                            continue
                        value = value.strip()
                    yield (mod.SECTION, name, *at), value, field.kind, field.what


def _values(value: Any, pattern: tuple[str, ...], at: tuple[Any, ...]
            ) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Yield (path, value) for each place below `value` that `pattern` matches."""
    if not pattern:
        yield at, value
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(value, list) and head == "*":  # every item of a list (`layers`)
        for i, item in enumerate(value):
            yield from _values(item, rest, at + (i,))
        return
    if not isinstance(value, dict):
        return
    keys = list(value) if head == "*" else [head] if head in value else []
    for key in keys:
        yield from _values(value[key], rest, at + (key,))


def check_paths(res: Any, diags: Diagnostics, *, scan_folders: bool = True) -> None:
    """Check every file and folder the resolved config names, all at once (before lowering).

    Each must lie inside the config's folder, exist and be of the right kind; folders are
    scanned (special files, escaping links, size) unless `scan_folders` is false.
    """
    root: Path = res.config_dir
    scanned: set[Path] = set()
    for cpath, value, kind, what in named_paths(res.data):
        origin = res.origins.get(cpath)
        try:
            real = locate(root, value, kind, what)
            if kind == "folder" and scan_folders and real not in scanned:
                scanned.add(real)
                limit = None if what.startswith("site") else MAX_CODE_BYTES
                scan(real, root, f"{what} `{shown(value)}`", limit=limit,
                     max_files=MAX_CODE_FILES if limit else 10 * MAX_CODE_FILES)
            elif kind == "file" and what != "Dockerfile" and os.stat(real).st_size > MAX_READ_BYTES:
                raise PathProblem("E1013", f"{what} `{shown(value)}` is over "
                                  f"{MAX_READ_BYTES // MB} MB", "a file embedded in a template "
                                  "must fit CloudFormation's 1 MB template limit")
        except PathProblem as problem:
            report(diags, problem, origin, cpath)
