"""Load stage: read cloud.yaml, cloud.toml or cloud.json, keeping the position of every value."""

from __future__ import annotations

import copy
import json
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from cloudc.diagnostics import Diagnostics
from cloudc.source import Origin, Origins, Path, new_origin, origin_at

try:  # libyaml's composer is ~30x faster than ruamel's round-trip parser; see docs/design.md
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


@dataclass
class Document:
    """A parsed config file: plain data plus the origin of every key and value."""

    file: str
    data: dict[str, Any]
    origins: Origins


def load_file(path: FsPath, diags: Diagnostics, layer: str = "") -> Document | None:
    """Parse a config file; record problems in `diags` and return None on failure."""
    name = str(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        diags.add("E0005", f"cannot read `{name}`: use .yaml, .toml or .json",
                  origin=Origin(name, 1, 1))
        return None
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        diags.add("E0001", f"file not found: {name}", origin=Origin(name, 1, 1), hint=None if layer
                  else "start one with `cloudc init`, or give the config file's path")
        return None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        diags.add("E0001", f"cannot read {name}: {exc}", origin=Origin(name, 1, 1))
        return None
    return load_text(text, name, fmt, diags, layer)


def read_config_text(path: FsPath) -> str:
    """Read a config file as UTF-8; refuse anything but a regular file of sane size.

    A FIFO would block the read forever and /dev/zero never end: both are refused before
    they are opened (OSError), as is a file over MAX_CONFIG_BYTES.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"`{path}` is not a regular file")
    if info.st_size > MAX_CONFIG_BYTES:
        raise OSError(f"`{path}` is {info.st_size // (1024 * 1024)} MB; a config file is at "
                      f"most {MAX_CONFIG_BYTES // (1024 * 1024)} MB")
    with open(path, "rb") as fh:
        data = fh.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise OSError(f"`{path}` grew past {MAX_CONFIG_BYTES // (1024 * 1024)} MB while read")
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def load_text(text: str, file: str, fmt: str, diags: Diagnostics,
              layer: str = "") -> Document | None:
    """Parse config text of the given format ("yaml", "toml" or "json")."""
    if fmt == "toml":
        doc = _load_toml(text, file, diags, layer)
    elif fmt == "json":
        doc = _load_json(text, file, diags, layer)
    else:
        doc = _load_yaml(text, file, diags, layer)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        diags.add("E0003", "the config must be a map of sections", origin=Origin(file, 1, 1, layer))
        return None
    return doc


# --- YAML (and the positions of JSON, which the YAML parser reads too) ----------------------
#
# The document is built straight from libyaml's event stream with an explicit stack: no
# recursion, so no input can exhaust the Python or C stack. Nesting deeper than MAX_DEPTH and
# aliases that expand to more than ALIAS_BUDGET nodes in total (a "billion laughs" bomb) are
# located errors before any work is spent on them.

MAX_DEPTH = 100  # real configs nest ~15 deep; CloudFormation properties a few more
ALIAS_BUDGET = 50_000  # nodes copied by alias expansion, for the whole file
MAX_CONFIG_BYTES = 10 * 1024 * 1024  # a config (or preset) file bigger than this is refused

_BOOL_TRUE = {"true", "True", "TRUE"}
_BOOL_FALSE = {"false", "False", "FALSE"}
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_NO_KEY = object()
_MERGE_KEY = object()
# Entries of the origin log: (path, origin, is_key).
_Entry = tuple[Path, Origin, bool]


class _LimitError(Exception):
    """The document breaks a loader limit (depth, aliases): reported, never built further."""

    def __init__(self, message: str, mark: Any, hint: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.hint = hint


def _load_yaml(text: str, file: str, diags: Diagnostics, layer: str) -> Document | None:
    try:
        return _EventBuilder(text, file, layer, diags).run()
    except _LimitError as exc:
        line0, col0 = _clamp(text, exc.mark.line, exc.mark.column)
        diags.add("E0010", str(exc), origin=origin_at(file, line0, col0, layer), hint=exc.hint)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line0, col0 = _clamp(text, mark.line, mark.column) if mark else (0, 0)
        problem = exc.problem or "invalid YAML"
        hint = None
        if "${" in text and ("found '{'" in str(exc) or "flow" in str(exc)):
            hint = 'quote "${...}" inside { } flow maps'
        if "maximum nesting depth" in problem:  # libyaml's own limit, where it has one
            diags.add("E0010", f"the config nests deeper than {MAX_DEPTH} levels",
                      origin=origin_at(file, line0, col0, layer),
                      hint="flatten it; no cloudc setting nests that deep")
            return None
        diags.add("E0002", f"invalid YAML: {problem}", origin=origin_at(file, line0, col0, layer),
                  hint=hint)
        return None
    except yaml.YAMLError as exc:
        diags.add("E0002", f"invalid YAML: {exc}", origin=Origin(file, 1, 1, layer))
        return None


def _clamp(text: str, line0: int, col0: int) -> tuple[int, int]:
    """Keep a parser's 0-based position on a line that exists (an error at the end of a file
    without a final newline is reported at the end of its last line, not one line past it)."""
    last = text.count("\n")
    if text.endswith("\n") and last > 0:
        last -= 1
    if line0 <= last:
        return line0, col0
    tail = text.rstrip("\n").rsplit("\n", 1)[-1]
    return last, len(tail)


class _Frame:
    """One open collection while building: its value, path and where its origins go."""

    __slots__ = ("value", "path", "is_map", "key", "key_origin", "anchor", "start", "sink",
                 "merges", "explicit", "mark")

    def __init__(self, value: Any, path: Path, sink: list[_Entry], anchor: str | None,
                 mark: Any) -> None:
        self.value = value
        self.path = path
        self.is_map = isinstance(value, dict)
        self.key: Any = _NO_KEY
        self.key_origin: Origin | None = None
        self.anchor = anchor
        self.sink = sink
        self.start = len(sink)
        self.merges: list[tuple[Any, Path, list[_Entry]]] = []
        self.explicit: set[Any] = set()
        self.mark = mark


class _EventBuilder:
    """Turn libyaml's events into plain data, recording the origin of every key and value."""

    def __init__(self, text: str, file: str, layer: str, diags: Diagnostics) -> None:
        self.text = text
        self.file = file
        self.layer = layer
        self.diags = diags
        self.log: list[_Entry] = []
        # anchor -> (value, path, sink, start, end, size)
        self.anchors: dict[str, tuple[Any, Path, list[_Entry], int, int]] = {}
        self.open_anchors: set[str] = set()
        self.budget = ALIAS_BUDGET

    def origin(self, mark: Any) -> Origin:
        return new_origin(self.file, mark.line + 1, mark.column + 1, self.layer)

    def run_value(self) -> Any:
        """Build the document and return its root value, whatever its type."""
        parser = _Loader(self.text)
        try:
            root = self._events(parser)
        finally:
            parser.dispose()
        return None if root is _NO_KEY else root

    def run(self) -> Document | None:
        parser = _Loader(self.text)
        try:
            root = self._events(parser)
        finally:
            parser.dispose()
        origins = Origins()
        for path, origin, is_key in self.log:
            if is_key:
                origins.set_key(path, origin)
            else:
                origins.set(path, origin)
        return Document(self.file, {} if root is _NO_KEY else root, origins)

    def _events(self, parser: Any) -> Any:
        # The hot loop of every build: one iteration per YAML event, so the common cases
        # (a plain key, a plain scalar value) are handled inline, without a call per event.
        stack: list[_Frame] = []
        root: Any = _NO_KEY
        documents = 0
        get = parser.get_event
        file, layer = self.file, self.layer
        plain = _plain_scalar
        top: _Frame | None = None
        while True:
            ev = get()
            cls = ev.__class__
            if cls is ScalarEvent:
                mark = ev.start_mark
                if top is not None and top.is_map and top.key is _NO_KEY:
                    if ev.style or ev.tag is not None or ev.value == "<<":
                        self._key(top, ev)
                        continue
                    key = plain(ev.value)
                    if key.__class__ is not str:
                        key = str(key)
                    korigin = new_origin(file, mark.line + 1, mark.column + 1, layer)
                    explicit = top.explicit
                    if key in explicit:
                        self.diags.add("E0004", f"duplicate key `{key}`", origin=korigin,
                                       path=top.path + (key,))
                    explicit.add(key)
                    top.key = key
                    top.sink.append((top.path + (key,), korigin, True))
                    continue
                value = plain(ev.value) if not ev.style and ev.tag is None else _scalar(ev)
                origin = new_origin(file, mark.line + 1, mark.column + 1, layer)
                if top is None:
                    self.log.append(((), origin, False))
                    if ev.anchor is not None:
                        self.anchors[ev.anchor] = (value, (), self.log, len(self.log) - 1,
                                                   len(self.log))
                    root = value
                    continue
                if top.is_map:
                    k = top.key
                    if k is _MERGE_KEY:  # a merge's value: its origins go to the keys it supplies
                        sink: list[_Entry] = []
                        sink.append((top.path, origin, False))
                        if ev.anchor is not None:
                            self.anchors[ev.anchor] = (value, top.path, sink, 0, 1)
                        top.merges.append((value, top.path, sink))
                    else:
                        path = top.path + (k,)
                        sink = top.sink
                        sink.append((path, origin, False))
                        if ev.anchor is not None:
                            self.anchors[ev.anchor] = (value, path, sink, len(sink) - 1,
                                                       len(sink))
                        top.value[k] = value
                    top.key = _NO_KEY
                else:
                    path = top.path + (len(top.value),)
                    sink = top.sink
                    sink.append((path, origin, False))
                    if ev.anchor is not None:
                        self.anchors[ev.anchor] = (value, path, sink, len(sink) - 1, len(sink))
                    top.value.append(value)
            elif cls is AliasEvent:
                if top is not None and top.is_map and top.key is _NO_KEY:
                    self._key(top, ev)
                    continue
                path, sink = self._slot(stack)
                value = self._alias(ev, path, sink)
                root = self._place(stack, value, root, sink)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if top is not None and top.is_map and top.key is _NO_KEY:
                    raise yaml.MarkedYAMLError(problem="a key must be a plain value, not a "
                                               "list or map", problem_mark=ev.start_mark)
                if len(stack) >= MAX_DEPTH:
                    raise _LimitError(f"the config nests deeper than {MAX_DEPTH} levels",
                                      ev.start_mark,
                                      "flatten it; no cloudc setting nests that deep")
                path, sink = self._slot(stack)
                anchor = ev.anchor
                if anchor is not None:
                    self.open_anchors.add(anchor)
                mark = ev.start_mark
                top = _Frame({} if cls is MappingStartEvent else [], path, sink, anchor, mark)
                sink.append((path, new_origin(file, mark.line + 1, mark.column + 1, layer), False))
                stack.append(top)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1] if stack else None
                if frame.merges:
                    self._apply_merges(frame)
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = (frame.value, frame.path, frame.sink,
                                                  frame.start, len(frame.sink))
                root = self._place(stack, frame.value, root, frame.sink)
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.MarkedYAMLError(problem="expected a single document in the file",
                                               problem_mark=ev.start_mark)
            elif cls is StreamEndEvent:
                return root

    def _slot(self, stack: list[_Frame]) -> tuple[Path, list[_Entry]]:
        """Return the path and origin sink of the value about to be built."""
        if not stack:
            return (), self.log
        top = stack[-1]
        if top.is_map:
            if top.key is _MERGE_KEY:  # a merge's value: its origins go to the keys it supplies
                return top.path, []
            return top.path + (top.key,), top.sink
        return top.path + (len(top.value),), top.sink

    def _key(self, frame: _Frame, ev: Any) -> None:
        if ev.__class__ is AliasEvent:
            got = self.anchors.get(ev.anchor) if ev.anchor is not None else None
            key = got[0] if got is not None else None
            if got is None or isinstance(key, (dict, list)):
                raise yaml.MarkedYAMLError(problem=f"alias *{ev.anchor} cannot be used as a key",
                                           problem_mark=ev.start_mark)  # type: ignore[arg-type]
        else:
            tag = ev.tag
            if (tag is None or tag == "!") and ev.implicit[0] and ev.value == "<<":
                frame.key = _MERGE_KEY
                return
            key = _scalar(ev)
        if not isinstance(key, str):
            key = str(key)
        korigin = self.origin(ev.start_mark)
        if key in frame.explicit:
            self.diags.add("E0004", f"duplicate key `{key}`", origin=korigin,
                           path=frame.path + (key,))
        frame.explicit.add(key)
        frame.key = key
        frame.sink.append((frame.path + (key,), korigin, True))

    def _place(self, stack: list[_Frame], value: Any, root: Any, sink: list[_Entry]) -> Any:
        """Put a finished value into its parent; return the document root."""
        if not stack:
            return value
        top = stack[-1]
        if not top.is_map:
            top.value.append(value)
        elif top.key is _MERGE_KEY:
            top.merges.append((value, top.path, sink))
            top.key = _NO_KEY
        else:
            top.value[top.key] = value
            top.key = _NO_KEY
        return root

    def _alias(self, ev: Any, path: Path, sink: list[_Entry]) -> Any:
        name = ev.anchor
        got = self.anchors.get(name)
        if got is None:
            problem = (f"alias *{name} refers to its own anchor (a recursive alias)"
                       if name in self.open_anchors else f"unknown alias *{name}")
            raise yaml.MarkedYAMLError(problem=problem, problem_mark=ev.start_mark)
        value, apath, asink, start, end = got
        self.budget -= end - start
        if self.budget < 0:
            raise _LimitError(f"aliases expand to more than {ALIAS_BUDGET} values",
                              ev.start_mark, "repeat the values, or use a preset or "
                              "`environments` overlay instead of deeply nested aliases")
        n = len(apath)
        sink.extend((path + p[n:], o, k) for p, o, k in asink[start:end])
        return copy.deepcopy(value) if isinstance(value, (dict, list)) else value

    def _apply_merges(self, frame: _Frame) -> None:
        """Apply `<<: *defaults`: merged keys are defaults that explicit keys override."""
        out = frame.value
        n = len(frame.path)
        for value, _, sink in frame.merges:
            many = isinstance(value, list)
            parts = value if many else [value]
            taken: dict[tuple[int, Any], None] = {}
            for i, part in enumerate(parts):
                if not isinstance(part, dict):
                    continue
                for k, v in part.items():
                    if k not in out:
                        out[k] = v
                        taken[(i if many else 0, k)] = None
            depth = n + (1 if many else 0)
            for p, o, is_key in sink:
                if len(p) > depth and ((p[n] if many else 0), p[depth]) in taken:
                    frame.sink.append((frame.path + p[depth:], o, is_key))


# The YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): what editors
# (yaml-language-server) read too. `yes`/`on` are text; `0755` and `007` are decimal integers;
# `0o17` is octal, `0x1F` hex; `1_000` and `1:30` are text.
_CORE = (
    (re.compile(r"null|Null|NULL|~|"), _NULL),
    (re.compile(r"true|True|TRUE|false|False|FALSE"), _BOOL),
    (re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"), _INT),
    (re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"), _FLOAT),
    (re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"), _FLOAT),
)


def core_tag(text: str) -> str:
    """Return the YAML 1.2 core schema tag of a plain scalar.

    >>> [core_tag(t).rsplit(":", 1)[1] for t in ("yes", "007", "0o17", "1e3", "~", "1_000")]
    ['str', 'int', 'int', 'float', 'null', 'str']
    """
    word = _WORD_TAGS.get(text)
    if word is not None:
        return word
    if text[:1] not in _NUMBER_START:  # every other core tag but str starts so
        return "tag:yaml.org,2002:str"
    for pattern, tag in _CORE:
        if pattern.fullmatch(text):
            return tag
    return "tag:yaml.org,2002:str"


# The core schema's words (null, booleans) and the first characters of its numbers: any other
# plain scalar is text, without trying the patterns (most of a config's scalars).
_WORD_TAGS = {w: _NULL for w in ("null", "Null", "NULL", "~", "")} | {
    w: _BOOL for w in ("true", "True", "TRUE", "false", "False", "FALSE")}
_NUMBER_START = frozenset("0123456789+-.")
_MISSING = object()


def _plain_scalar(text: str) -> Any:
    """Return the value of a plain, untagged scalar (what `_scalar` returns for it, faster).

    >>> [_plain_scalar(t) for t in ("yes", "007", "~", "true", "1.5", "a-1")]
    ['yes', 7, None, True, 1.5, 'a-1']
    """
    if text[:1] not in _NUMBER_START:
        word = _WORD_VALUES.get(text, _MISSING)
        return text if word is _MISSING else word
    return _typed(text, core_tag(text))


_WORD_VALUES: dict[str, Any] = {w: None for w in ("null", "Null", "NULL", "~", "")} | {
    w: w in _BOOL_TRUE for w in ("true", "True", "TRUE", "false", "False", "FALSE")}


def _core_int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def parse_value(text: str) -> Any:
    """Read a value the way a config file's value is read (`--set path=value`).

    >>> parse_value("007"), parse_value("yes"), parse_value("[a, 1]"), parse_value("null")
    (7, 'yes', ['a', 1], None)
    """
    diags = Diagnostics()
    builder = _EventBuilder(text, "--set", "--set", diags)
    try:
        root = builder.run_value()
    except (yaml.YAMLError, _LimitError):
        return text
    return text if diags.has_errors else root


def _scalar(ev: Any) -> Any:
    value = ev.value
    if ev.style:  # quoted or block: always a string
        return value
    tag = ev.tag
    if tag is None or tag == "!":
        return _plain_scalar(value)
    return _typed(value, tag)


def _typed(value: str, tag: str) -> Any:
    """Return the value of plain scalar text `value` of (resolved or explicit) `tag`."""
    if tag == _INT:
        try:
            number = _core_int(value)
        except ValueError:
            return value
        # Keep numbers no AWS setting could take as text, so they fail validation with a
        # position instead of failing later when turned into (over 4,300) decimal digits.
        return number if -(2**63) <= number < 2**64 else value
    if tag == _FLOAT:
        try:
            number_f = float(value.lower().replace(".inf", "inf").replace(".nan", "nan"))
        except ValueError:
            return value
        return number_f if math.isfinite(number_f) else value
    if tag == _BOOL:  # YAML 1.2 booleans only (an explicit !!bool too): `yes`, `on` stay text
        if value in _BOOL_TRUE:
            return True
        if value in _BOOL_FALSE:
            return False
        return value
    if tag == _NULL:
        return None
    return value


class _Constant:
    """A `NaN` or `Infinity` in JSON text: Python's json accepts them, JSON does not."""

    def __init__(self, name: str) -> None:
        self.name = name


def _load_json(text: str, file: str, diags: Diagnostics, layer: str) -> Document | None:
    """Read strict JSON (json module: an error is located at its line and column); positions
    come from reading the same text with the YAML parser, of which JSON is a subset."""
    try:
        data = json.loads(text, parse_constant=_Constant)
    except json.JSONDecodeError as exc:
        line0, col0 = _clamp(text, exc.lineno - 1, exc.colno - 1)
        diags.add("E0002", f"invalid JSON: {exc.msg}", origin=origin_at(file, line0, col0, layer))
        return None
    except RecursionError:
        diags.add("E0010", f"the config nests deeper than {MAX_DEPTH} levels",
                  origin=Origin(file, 1, 1, layer), hint="flatten it")
        return None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        diags.add("E0002", f"invalid JSON: {exc}", origin=Origin(file, 1, 1, layer))
        return None
    if not _shallow(data):
        diags.add("E0010", f"the config nests deeper than {MAX_DEPTH} levels",
                  origin=Origin(file, 1, 1, layer), hint="flatten it")
        return None
    quiet = Diagnostics()
    doc = _load_yaml(text, file, quiet, layer)
    origins = doc.origins if doc is not None and not quiet.has_errors else Origins()
    found = _find_constant(data)
    if found is not None:
        path, const = found
        diags.add("E0002", f"invalid JSON: `{const.name}` is not a JSON value",
                  origin=origins.get(path) or Origin(file, 1, 1, layer),
                  hint="write a number, or the text in quotes")
        return None
    diags.extend(Diagnostics([d for d in quiet.items if d.code == "E0004"]))
    return Document(file, _tame_numbers(data), origins)


def _find_constant(data: Any) -> tuple[Path, _Constant] | None:
    """Return the path of the first `NaN`/`Infinity` in parsed JSON (without recursion)."""
    todo: list[tuple[Path, Any]] = [((), data)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, _Constant):
            return path, value
        if isinstance(value, dict):
            todo.extend((path + (k,), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            todo.extend((path + (i,), v) for i, v in reversed(list(enumerate(value))))
    return None


def _shallow(data: Any) -> bool:
    """Say whether `data` nests at most MAX_DEPTH levels (checked without recursion)."""
    todo: list[tuple[Any, int]] = [(data, 0)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, dict):
            todo.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            todo.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return True


# --- TOML -------------------------------------------------------------------------------------

_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _split_toml_key(key: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', key)
    return [a or b or c for a, b, c in parts]


def _load_toml(text: str, file: str, diags: Diagnostics, layer: str) -> Document | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        if "end of document" in str(exc):
            line, col = len(text) + 1, 1  # clamped to the end of the last line below
        line0, col0 = _clamp(text, line - 1, col - 1)
        diags.add("E0002", f"invalid TOML: {str(exc).split(' (at')[0]}",
                  origin=origin_at(file, line0, col0, layer))
        return None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        data = None
    if data is None or not _shallow(data):
        diags.add("E0010", f"the config nests deeper than {MAX_DEPTH} levels",
                  origin=Origin(file, 1, 1, layer), hint="flatten it")
        return None
    data = _tame_numbers(data)
    return Document(file, data, _toml_origins(text, file, layer))


def _tame_numbers(data: Any) -> Any:
    """Turn numbers no setting can take (huge, infinite, NaN) into text, as the YAML loader does."""
    if isinstance(data, dict):
        return {k: _tame_numbers(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_tame_numbers(v) for v in data]
    if isinstance(data, bool):
        return data
    if isinstance(data, int) and not -(2**63) <= data < 2**64:
        return hex(data)
    if isinstance(data, float) and not math.isfinite(data):
        return str(data)
    return data


def _toml_origins(text: str, file: str, layer: str) -> Origins:
    """Approximate key positions in TOML by scanning table headers and `key =` lines."""
    origins = Origins()
    table: list[str | int] = []
    counts: dict[tuple[str | int, ...], int] = {}
    depth = 0  # inside a multi-line array or inline table: not a key line
    for lineno, line in enumerate(text.splitlines(), start=1):
        if depth == 0:
            m = _TOML_HEADER.match(line)
            if m:
                parts: list[str | int] = list(_split_toml_key(m.group(2)))
                if m.group(1) == "[[":
                    key = tuple(parts)
                    counts[key] = counts.get(key, -1) + 1
                    parts.append(counts[key])
                table = parts
                _toml_prefixes(origins, (), tuple(table), line, 0, file, lineno, layer)
                origins.set(tuple(table), Origin(file, lineno, 1, layer))
                origins.set_key(tuple(table), Origin(file, lineno, 1, layer))
                continue
            m = _TOML_KEY.match(line)
            if m:
                path = tuple(table) + tuple(_split_toml_key(m.group(1)))
                col = len(line) - len(line.lstrip()) + 1
                _toml_prefixes(origins, tuple(table), path, line, col - 1, file, lineno, layer)
                origins.set_key(path, Origin(file, lineno, col, layer))
                origins.set(path, Origin(file, lineno, line.index("=") + 2, layer))
        depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
        if _TOML_HEADER.match(line):
            depth = 0
        depth = max(depth, 0)
    return origins


def _toml_prefixes(origins: Origins, table: Path, path: Path, line: str, start: int, file: str,
                   lineno: int, layer: str) -> None:
    """Record where the tables that a dotted header or dotted key creates were first written
    (`[storag.uploads]` creates `storag`): at their part of that line, unless already known."""
    pos = start
    for n in range(len(table) + 1, len(path)):
        part = str(path[n - 1])
        found = line.find(part, pos)
        col = found + 1 if found >= 0 else start + 1
        pos = found + len(part) if found >= 0 else pos
        if origins.exact(path[:n]) is None:
            origins.set(path[:n], Origin(file, lineno, col, layer))
            origins.set_key(path[:n], Origin(file, lineno, col, layer))


def dump_json(data: Any) -> str:
    """Serialise data as stable, indented JSON (for small files such as starters)."""
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
