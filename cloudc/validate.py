"""Validate stage: the pydantic models (whose JSON Schema is committed), then semantic checks."""

from __future__ import annotations

import re
import types
import typing
from functools import lru_cache
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from cloudc.diagnostics import Diagnostics, did_you_mean
from cloudc.resolve import INTERP, Resolved
from cloudc.schema import config_model, map_sections, section_info, section_names
from cloudc.source import Path, value_at


def validate(res: Resolved, diags: Diagnostics) -> BaseModel | None:
    """Check the merged config against the models; return the typed config or None."""
    known = section_info()
    model = config_model(frozenset(k for k in res.data if k in known))
    try:
        config = model.model_validate(res.data)
    except ValidationError as exc:
        _report(exc, res, diags)
        config = None
    check_references(res, diags)
    check_mode(res, diags)
    return config


def _report(exc: ValidationError, res: Resolved, diags: Diagnostics) -> None:
    # A value that interpolation already reported is not reported again as the wrong type.
    seen: set[Path] = {d.path for d in diags.items if d.severity == "error"}
    errors = [(err, *_data_path(res.data, err["loc"])) for err in exc.errors(include_url=False)]
    # A union reports every member's error: for a map or list, the member whose shape matches
    # is the one that reports inside it; the others' "expected a string" is noise.
    inside = {path[:n] for _, path, _ in errors for n in range(len(path))}
    for err, path, is_key in errors:
        etype = err["type"]
        if _is_type_error(etype) and path in inside \
                and isinstance(value_at(res.data, path), (dict, list)):
            continue
        if etype == "extra_forbidden":
            key = path[-1] if path else ""
            hint = did_you_mean(str(key), _allowed_keys(path[:-1]))
            what = "section" if len(path) == 1 else "key"
            diags.add("E2001", f"unknown {what} `{key}`", origin=res.origins.key(path),
                      path=path[:-1], hint=hint)
            continue
        if path in seen:  # one finding per value: unions report once per member
            continue
        seen.add(path)
        value = value_at(res.data, path)
        if etype == "missing":
            field = str(err["loc"][-1])
            diags.add("E2002", f"missing required key `{field}`", origin=res.origins.key(path),
                      path=path)
        elif etype in ("literal_error", "enum"):
            expected = _expected(err)
            diags.add("E2004", f"`{value}` is not allowed here; expected one of: "
                      f"{', '.join(expected)}", origin=res.origins.get(path), path=path,
                      hint=did_you_mean(str(value), expected))
        elif is_key:
            diags.add("E2006", f"invalid name `{path[-1]}`: use lowercase letters, digits, `-` "
                      "and `_`, starting with a letter or digit", origin=res.origins.key(path),
                      path=path[:-1])
        elif _is_type_error(etype):
            diags.add("E2003", f"expected {_type_word(etype, err)}, got {_describe(value)}",
                      origin=res.origins.get(path), path=path)
        elif path == SLUG and res.origins.exact(SLUG) is None:
            _derived_slug(res, diags)
        elif etype in _BOUNDS or etype in ("string_pattern_mismatch", "string_too_long",
                                           "string_too_short"):
            msg, hint = _constraint(etype, err, path, value)
            diags.add("E2005", msg, origin=res.origins.get(path), path=path, hint=hint)
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            diags.add("E2005", msg, origin=res.origins.get(path), path=path)


def _is_type_error(etype: str) -> bool:
    """Say whether a pydantic error type means "the value has the wrong type"."""
    return etype.endswith("_type") or etype.endswith("_parsing") or etype == "union_tag_invalid"


_BOUNDS = {"less_than_equal": ("le", "above the maximum"),
           "less_than": ("lt", "not below the limit"),
           "greater_than_equal": ("ge", "below the minimum"),
           "greater_than": ("gt", "not above the limit")}
_PATTERN_WORDS = {"^arn:": "an ARN (`arn:...`)", "^https://": "an https:// URL",
                  "^/": "a path starting with `/`", "^db\\.": "an RDS instance class (`db.*`)",
                  "^cron\\(.+\\)$": "`cron(...)`",
                  "^(https://|\\$\\{)": "an https:// URL or a `${...}` reference"}


def _constraint(etype: str, err: Any, path: Path, value: Any) -> tuple[str, str | None]:
    """Say in cloudc's words which bound or form a value breaks: (message, hint)."""
    ctx = err.get("ctx", {})
    shown = _describe(value)
    if etype in _BOUNDS:
        key, words = _BOUNDS[etype]
        return f"{shown} is {words} {ctx.get(key)}", _range_hint(path)
    if etype == "string_too_long":
        return (f"{shown} is {len(str(value))} characters, more than {ctx.get('max_length')}",
                None)
    if etype == "string_too_short":
        return f"{shown} is shorter than {ctx.get('min_length')} characters", None
    if path == ("project", "region"):
        from cloudc.checks.regions import regions

        known = regions()
        text = str(value)
        alike = re.sub(r"(?<=-)[lI]$", "1", re.sub(r"(?<=-)[oO]$", "0", text))
        hint = f"did you mean `{alike}`?" if alike != text and alike in known else None
        return (f"{shown} is not an AWS region",
                hint or did_you_mean(text, known) or "e.g. us-east-1 or eu-west-1")
    if path == SLUG:
        return (f"{shown} is not a slug", f"lowercase letters, digits and `-`, starting with "
                f"a letter, at most {SLUG_MAX}")
    pattern = str(ctx.get("pattern", ""))
    form = _PATTERN_WORDS.get(pattern)
    if form is not None:
        return f"{shown} is not {form}", None
    return f"{shown} does not have the expected form", f"write a value matching `{pattern}`"


def _range_hint(path: Path) -> str | None:
    """Return "use a value from LOW to HIGH" from the field's bounds, when it has both."""
    lows: list[Any] = []
    highs: list[Any] = []
    for m in getattr(_field_info(path), "metadata", ()):  # PosInt's ge=1 and the field's own
        if getattr(m, "ge", None) is not None:
            lows.append(m.ge)
        if getattr(m, "le", None) is not None:
            highs.append(m.le)
    low, high = max(lows, default=None), min(highs, default=None)
    if low is not None and high is not None:
        return f"use a value from {low} to {high}"
    return None


def _field_info(path: Path) -> Any:
    """Return the pydantic FieldInfo of the model field at `path`, or None."""
    ann: Any = config_model(frozenset(path[:1]))
    info = None
    for part in path:
        info = None
        for m in _members(ann):
            if isinstance(m, type) and issubclass(m, BaseModel) and isinstance(part, str):
                for n, f in m.model_fields.items():
                    if part in (n, f.alias):
                        info = f
        nxt = _step(ann, part)
        if nxt is None:
            return None
        ann = nxt
    return info


SLUG: Path = ("project", "slug")
SLUG_MAX = 31  # the schema's slug pattern: a letter, then at most 30 of [a-z0-9-]


def _derived_slug(res: Resolved, diags: Diagnostics) -> None:
    """Report a slug derived from `project.name` (the user wrote no slug) at the name."""
    name = str(res.data["project"].get("name", ""))
    slug = str(res.data["project"].get("slug", ""))
    shown = name if len(name) <= 60 else name[:57] + "..."
    if len(slug) > SLUG_MAX:
        why = f"is {len(slug)} characters (at most {SLUG_MAX})"
    else:
        why = f"(`{slug}`) does not start with a letter"
    short = slug if slug[:1].isalpha() else "app-" + slug
    if len(short) > SLUG_MAX:  # cut at a word boundary when there is one
        cut = short[:SLUG_MAX + 1]
        short = cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_MAX]
    path = ("project", "name")
    diags.add("E2005", f"the slug derived from the name `{shown}` {why}; set `project.slug`",
              origin=res.origins.get(path), path=path,
              hint=f"add `slug: {short}` under `project`: lowercase letters, digits and `-`, "
                   f"starting with a letter, at most {SLUG_MAX}; physical names start with it")


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Path, bool]:
    """Keep only the parts of a pydantic `loc` that index into the data (drop union tags)."""
    path: list[str | int] = []
    cur = data
    is_key = False
    for part in loc:
        if part == "[key]":
            is_key = True
            break
        if isinstance(cur, dict) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and part.isidentifier() \
                and not part[:1].isupper() and "[" not in part:
            path.append(part)  # a missing or extra key
            cur = None
    return tuple(path), is_key


def _expected(err: Any) -> list[str]:
    exp = str(err.get("ctx", {}).get("expected", ""))
    return re.findall(r"'([^']*)'", exp) or [exp]


def _type_word(etype: str, err: Any) -> str:
    words = {"int": "an integer", "float": "a number", "bool": "true or false",
             "string": "a string", "dict": "a map", "list": "a list", "model": "a map"}
    stem = etype.replace("_parsing", "").replace("_type", "")
    if stem == "model_attributes":
        stem = "model"
    return words.get(stem, stem.replace("_", " "))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value is None:
        return "nothing"
    return f"`{value}`"


def _allowed_keys(path: Path) -> list[str]:
    """Return the keys allowed at `path`, by walking the models."""
    if not path:
        return section_names()
    ann: Any = config_model(frozenset(path[:1]))
    for part in path:
        ann = _step(ann, part)
        if ann is None:
            return []
    models = [m for m in _members(ann) if isinstance(m, type) and issubclass(m, BaseModel)]
    keys: list[str] = []
    for m in models:
        keys.extend(f.alias or n for n, f in m.model_fields.items())
    return keys


def _members(ann: Any) -> list[Any]:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _members(typing.get_args(ann)[0])
    if origin in (Union, types.UnionType):
        out = []
        for a in typing.get_args(ann):
            out.extend(_members(a))
        return out
    return [ann]


def _step(ann: Any, part: str | int) -> Any:
    for m in _members(ann):
        if isinstance(m, type) and issubclass(m, BaseModel):
            if isinstance(part, str):
                for n, f in m.model_fields.items():
                    if part in (n, f.alias):
                        return f.annotation
            continue
        origin = typing.get_origin(m)
        if origin is dict:
            return typing.get_args(m)[1]
        if origin is list and isinstance(part, int):
            return typing.get_args(m)[0]
    return None


# --- semantic checks --------------------------------------------------------------------------



@lru_cache(maxsize=1)
def _ref_fields() -> frozenset[str]:
    """Return the fields whose values name other entries (each section's `REFS`)."""
    return frozenset(f for i in section_info().values() for f in i.refs)


def declared(data: dict[str, Any]) -> dict[str, set[str]]:
    """Return the declared names of every map section."""
    out: dict[str, set[str]] = {}
    for section in map_sections():
        value = data.get(section)
        out[section] = set(value) if isinstance(value, dict) else set()
    return out


def check_references(res: Resolved, diags: Diagnostics) -> None:
    """Report `${section.name...}` and `section.name` references to undeclared resources."""
    names = declared(res.data)
    sections = set(names)
    singles = _single_sections()
    for path, text in _strings(res.data, ()):
        if path and path[0] in ("variables", "outputs_doc"):
            continue
        for m in INTERP.finditer(text):
            tok = m.group(1).strip()
            head = tok.split(".", 1)[0]
            if ":" in tok or "." not in tok or head == "project":
                continue
            if path[:1] == ("resources",) and head not in sections and head not in singles:
                continue  # raw CloudFormation's `${Logical.Attr}`: checked when lowered
            if head in singles:
                _check_single(head, path, res, diags)
                continue
            _check_ref(tok, path, res, names, sections, diags)
        if _is_ref_position(path) and re.fullmatch(r"[a-z_]+\.[A-Za-z0-9_.-]+", text):
            head = text.split(".", 1)[0]
            if head in singles:
                _check_single(head, path, res, diags)
            elif head in sections:
                _check_ref(text, path, res, names, sections, diags)
            elif path[-1] != "domain" and not _looks_like_domain(text):
                diags.add("E3001", f"`{text}` does not name a section", path=path,
                          origin=res.origins.get(path), hint=did_you_mean(head, sections))


@lru_cache(maxsize=1)
def _dotted_sections() -> frozenset[str]:
    return frozenset(i.section for i in section_info().values() if i.dotted)


@lru_cache(maxsize=1)
def _single_sections() -> frozenset[str]:
    return frozenset(i.section for i in section_info().values() if i.single)


def _check_single(section: str, path: Path, res: Resolved, diags: Diagnostics) -> None:
    """A reference into a single-map section (`network.vpc_id`, `security.keys.data.arn`):
    the section must be present; its attributes are checked when lowering resolves them."""
    if res.data.get(section) is None:  # `network: {}` declares the defaults
        diags.add("E3001", f"`{section}` is not declared", origin=res.origins.get(path),
                  path=path, hint=f"add a `{section}:` section")


def _looks_like_domain(text: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}", text)) and \
        text.split(".", 1)[0] not in ("functions", "storage", "queues")


def _is_ref_position(path: Path) -> bool:
    for part in reversed(path):
        if isinstance(part, str):
            return part in _ref_fields() or (len(path) >= 3 and path[-2] == "routes")
    return False


def _check_ref(tok: str, path: Path, res: Resolved, names: dict[str, set[str]],
               sections: set[str], diags: Diagnostics) -> None:
    parts = tok.split(".")
    section, name = parts[0], parts[1] if len(parts) > 1 else ""
    origin = res.origins.get(path)
    if section not in sections:
        diags.add("E3001", f"unknown section `{section}` in reference `{tok}`", origin=origin,
                  path=path, hint=did_you_mean(section, sections))
        return
    if section in _dotted_sections():  # keyed by domain, which contains dots
        return
    if name not in names[section]:
        hint = did_you_mean(name, names[section])
        if hint is None and names[section]:
            hint = f"declared in {section}: {', '.join(sorted(names[section]))}"
        diags.add("E3001", f"`{section}.{name}` is not declared", origin=origin, path=path,
                  hint=hint)


def _strings(value: Any, path: Path) -> list[tuple[Path, str]]:
    """Return every string in `value` with its path, in document order."""
    out: list[tuple[Path, str]] = []
    _collect_strings(value, path, out)
    return out


def _collect_strings(value: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    # A list, not nested generators: every string of the config passes through here.
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str):
                out.append((path + (k,), v))
            elif isinstance(v, (dict, list)):
                _collect_strings(v, path + (k,), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str):
                out.append((path + (i,), v))
            elif isinstance(v, (dict, list)):
                _collect_strings(v, path + (i,), out)


def check_mode(res: Resolved, diags: Diagnostics) -> None:
    """Report sections that the chosen mode does not allow."""
    mode = res.data.get("mode", "hybrid")
    if not isinstance(mode, str):  # a wrong type is reported by the schema check
        return
    for section in [i.section for i in section_info().values() if mode in i.forbidden_in]:
        if res.data.get(section):
            diags.add("E3003", f"`{section}` is not allowed in {mode} mode",
                      origin=res.origins.key((section,)), path=(section,),
                      hint="use `mode: hybrid` to mix servers and serverless compute")
