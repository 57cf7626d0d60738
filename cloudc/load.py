"""Load stage: read cloud.yaml, cloud.toml or cloud.json, keeping the position of every value."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml

from cloudc.diagnostics import Diagnostics
from cloudc.source import Origin, Origins, Path, origin_at

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
        diags.add("E0005", f"cannot read `{name}`: use .yaml, .toml or .json", origin=Origin(name, 1, 1))
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        diags.add("E0001", f"file not found: {name}", origin=Origin(name, 1, 1))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        diags.add("E0001", f"cannot read {name}: {exc}", origin=Origin(name, 1, 1))
        return None
    return load_text(text, name, fmt, diags, layer)


def load_text(text: str, file: str, fmt: str, diags: Diagnostics, layer: str = "") -> Document | None:
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


# --- YAML (and JSON, which the YAML composer reads with positions) ---------------------------

_BOOL_TRUE = {"true", "True", "TRUE"}
_BOOL_FALSE = {"false", "False", "FALSE"}
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


def _load_yaml(text: str, file: str, diags: Diagnostics, layer: str) -> Document | None:
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line0, col0 = (mark.line, mark.column) if mark else (0, 0)
        problem = exc.problem or "invalid YAML"
        hint = None
        if "${" in text and ("found '{'" in str(exc) or "flow" in str(exc)):
            hint = 'quote "${...}" inside { } flow maps'
        diags.add("E0002", f"invalid YAML: {problem}", origin=origin_at(file, line0, col0, layer), hint=hint)
        return None
    except yaml.YAMLError as exc:
        diags.add("E0002", f"invalid YAML: {exc}", origin=Origin(file, 1, 1, layer))
        return None
    origins = Origins()
    if node is None:
        return Document(file, {}, origins)
    builder = _Builder(file, layer, origins, diags)
    data = builder.build(node, ())
    return Document(file, data, origins)


class _Builder:
    """Turn composed YAML nodes into plain data, recording origins on the way."""

    def __init__(self, file: str, layer: str, origins: Origins, diags: Diagnostics) -> None:
        self.file = file
        self.layer = layer
        self.origins = origins
        self.diags = diags

    def build(self, node: yaml.Node, path: Path) -> Any:
        # A hot path (one call per value): exact-type tests, and one origin per node.
        mark = node.start_mark
        self.origins.set(path, Origin(self.file, mark.line + 1, mark.column + 1, self.layer))
        kind = type(node)
        if kind is _ScalarNode:
            if node.tag == _STR and not node.style:
                return node.value
            return _scalar(node)
        if kind is _SequenceNode:
            build = self.build
            return [build(item, path + (i,)) for i, item in enumerate(node.value)]
        if kind is not _MappingNode:  # a subclass: the general case
            if isinstance(node, yaml.ScalarNode):
                return _scalar(node)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = self.build(value_node, path)
                for part in merged if isinstance(merged, list) else [merged]:
                    if isinstance(part, dict):
                        for k, v in part.items():
                            out.setdefault(k, v)
                continue
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            key = str(key) if not isinstance(key, str) else key
            kmark = key_node.start_mark
            korigin = Origin(self.file, kmark.line + 1, kmark.column + 1, self.layer)
            sub = path + (key,)
            if key in out:
                self.diags.add("E0004", f"duplicate key `{key}`", origin=korigin, path=sub)
            self.origins.set_key(sub, korigin)
            out[key] = self.build(value_node, sub)
        return out


_ScalarNode, _SequenceNode, _MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
_STR = "tag:yaml.org,2002:str"


def _scalar(node: yaml.ScalarNode) -> Any:
    value = node.value
    tag = node.tag
    if node.style:  # quoted: always a string
        return value
    if tag == _INT:
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag == _FLOAT:
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    if tag == _BOOL:  # YAML 1.2 booleans only: `on`, `yes` and `no` stay strings
        if value in _BOOL_TRUE:
            return True
        if value in _BOOL_FALSE:
            return False
        return value
    if tag == _NULL:
        return None
    return value


def _load_json(text: str, file: str, diags: Diagnostics, layer: str) -> Document | None:
    """Read JSON through the YAML composer (for positions), else json (positions unknown)."""
    quiet = Diagnostics()
    doc = _load_yaml(text, file, quiet, layer)
    if doc is not None and not quiet.has_errors:
        return doc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        diags.add("E0002", f"invalid JSON: {exc.msg}", origin=Origin(file, exc.lineno, exc.colno, layer))
        return None
    diags.extend(Diagnostics([d for d in quiet.items if d.code == "E0004"]))
    return Document(file, data, Origins())


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
        diags.add("E0002", f"invalid TOML: {str(exc).split(' (at')[0]}", origin=Origin(file, line, col, layer))
        return None
    return Document(file, data, _toml_origins(text, file, layer))


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
                origins.set(tuple(table), Origin(file, lineno, 1, layer))
                origins.set_key(tuple(table), Origin(file, lineno, 1, layer))
                continue
            m = _TOML_KEY.match(line)
            if m:
                path = tuple(table) + tuple(_split_toml_key(m.group(1)))
                col = len(line) - len(line.lstrip()) + 1
                origins.set_key(path, Origin(file, lineno, col, layer))
                origins.set(path, Origin(file, lineno, line.index("=") + 2, layer))
        depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
        if _TOML_HEADER.match(line):
            depth = 0
        depth = max(depth, 0)
    return origins


def dump_json(data: Any) -> str:
    """Serialise data as stable, indented JSON (for small files such as starters)."""
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
