"""Diagnostics: stable codes, collected errors, and the one place they become text."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from cloudc.source import Origin, Path

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True, slots=True)
class Code:
    """A stable diagnostic code: E = error, W = warning, I = note; the digits give the area."""

    code: str
    title: str
    explain: str = ""  # one line for docs/diagnostics.md: what the rule looks at and why

    @property
    def severity(self) -> Severity:
        """Return the severity the code's letter stands for."""
        return {"E": "error", "W": "warning", "I": "note"}[self.code[0]]  # type: ignore[return-value]


# Areas: 0xxx loading, 1xxx resolving (presets, overlays, interpolation), 2xxx schema,
# 3xxx semantics (references, links, modes), 4xxx compilation limits, 5xxx deploy-time facts.
CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code("E0001", "file not found"),
        Code("E0002", "syntax error in the config file"),
        Code("E0003", "the top level of the config is not a map"),
        Code("E0004", "duplicate key"),
        Code("E0005", "unsupported file type"),
        Code("E0010", "the config nests too deep or its aliases expand too far"),
        Code("E1001", "unknown preset"),
        Code("E1002", "preset cycle"),
        Code("E1003", "unknown variable"),
        Code("E1004", "environment variable not set and no default given"),
        Code("E1005", "malformed interpolation"),
        Code("E1006", "bad --set expression"),
        Code("E1007", "file referenced by the config not found"),
        Code("E1010", "invalid environment name"),
        Code("E1011", "a path outside the config's folder"),
        Code("E1012", "not a regular file or folder"),
        Code("E1013", "a file or folder over the size limit"),
        Code("E1014", "a broken, looping or escaping symbolic link"),
        Code("E1015", "an empty code folder"),
        Code("E2001", "unknown key"),
        Code("E2002", "missing required key"),
        Code("E2003", "wrong type"),
        Code("E2004", "value not allowed"),
        Code("E2005", "invalid value"),
        Code("E2006", "invalid name"),
        Code("E3001", "reference to an undeclared resource"),
        Code("E3002", "link to a resource of the wrong kind"),
        Code("E3003", "section not allowed in this mode"),
        Code("E3004", "unknown attribute in a reference"),
        Code("E3005", "invalid combination of settings"),
        Code("E3006", "dependency cycle"),
        Code("E3007", "unknown recipe"),
        Code("E3280", "cloud.lock.json cannot be read", "the placement lock is not valid JSON "
             "or not in cloudc's shape"),
        Code("E3281", "a root stack breaks a CloudFormation limit", "an app split into several "
             "roots still needs a root over 500 resources, 200 parameters or 2,500 in its tree"),
        Code("W3280", "a resource moves to another nested stack", "placement differs from "
             "cloud.lock.json: an owner outgrew its stack, or --rebalance; deploy refactors"),
        Code("E4001", "a single owner exceeds a CloudFormation template limit"),
        Code("E4002", "nested stacks depend on each other in a cycle"),
        Code("E3200", "an image to build and no container tool"),
        Code("E3201", "a value of a separately deployed stack used by value"),
        Code("W1001", "a secure default was turned off"),
        Code("W1002", "resource with a running cost"),
        Code("W1003", "deprecated or discouraged setting"),
        Code("W1004", "a function's handler file is not in its code folder"),
        Code("W1010", "a build-time value where a secret belongs"),
        Code("E5001", "a resource failed to deploy"),
        Code("W5001", "a change replaces a resource"),
        Code("W5002", "a change deletes or replaces stateful data"),
        Code("I1001", "information about the build"),
    )
}


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return a hint naming the closest candidate to `word`, if any is close.

    >>> did_you_mean("storge", ["storage", "queues"])
    'did you mean `storage`?'
    """
    match = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


def dotted(path: Path) -> str:
    """Render a config path the way a user writes it: `storage.uploads.lifecycle[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, tied to a config path and, where known, to a source position."""

    code: str
    message: str
    origin: Origin | None = None
    path: Path = ()
    hint: str | None = None
    file: str = ""
    envs: tuple[str, ...] = ()  # set by `validate` when the finding holds in some environments

    @property
    def severity(self) -> Severity:
        """Return this finding's severity."""
        return CODES[self.code].severity

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file, line, column, then code and message."""
        o = self.origin
        if o is None:
            return (self.file, 0, 0, self.code, self.message)
        return (o.file, o.line, o.col, self.code, self.message)

    def location(self) -> str:
        """Return `FILE:LINE:COL`, falling back to the file alone at 1:1."""
        if self.origin is not None:
            return str(self.origin)
        return f"{self.file or '<config>'}:1:1"

    def text(self) -> str:
        """Format as `FILE:LINE:COL: error[CODE]: message (hint)`."""
        where = f"`{dotted(self.path)}`: " if self.path else ""
        line = f"{self.location()}: {self.severity}[{self.code}]: {where}{self.message}"
        if self.hint:
            line += f" ({self.hint})"
        if self.origin is not None and self.origin.layer:
            line += f" [{self.origin.layer}]"
        if self.envs:
            line += f" [{', '.join(self.envs)}]"
        return line

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict."""
        o = self.origin
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "path": dotted(self.path),
            "file": o.file if o else self.file,
            "line": o.line if o else 1,
            "column": o.col if o else 1,
            "layer": o.layer if o else "",
            "environments": list(self.envs),
        }


@dataclass
class Diagnostics:
    """Collect findings from every stage; fail once, with all of them."""

    items: list[Diagnostic] = field(default_factory=list)
    default_file: str = ""

    def add(
        self,
        code: str,
        message: str,
        *,
        origin: Origin | None = None,
        path: Path = (),
        hint: str | None = None,
    ) -> None:
        """Record a finding."""
        assert code in CODES, code
        self.items.append(Diagnostic(code, message, origin, tuple(path), hint, self.default_file))

    @property
    def errors(self) -> list[Diagnostic]:
        """Return the errors, sorted and without duplicates."""
        return [d for d in self.sorted() if d.severity == "error"]

    @property
    def has_errors(self) -> bool:
        """Say whether any error was recorded."""
        return any(d.severity == "error" for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        """Return every finding, sorted by location and without duplicates."""
        seen: set[tuple[object, ...]] = set()
        out = []
        for d in sorted(self.items, key=Diagnostic.sort_key):
            key = (d.sort_key(), d.path, d.hint)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return out

    def extend(self, other: Diagnostics) -> None:
        """Take every finding of `other`."""
        self.items.extend(other.items)

    def raise_if_errors(self) -> None:
        """Stop the compilation if any error was recorded."""
        if self.has_errors:
            raise CompileError(self)


class CompileError(Exception):
    """The user's input has errors; carries every finding."""

    def __init__(self, diagnostics: Diagnostics) -> None:
        super().__init__(f"{len(diagnostics.errors)} error(s)")
        self.diagnostics = diagnostics


def render(diags: list[Diagnostic], fmt: str = "text") -> str:
    """Render findings as text, json or sarif."""
    if fmt == "json":
        return json.dumps([d.as_dict() for d in diags], indent=2)
    if fmt == "sarif":
        return json.dumps(_sarif(diags), indent=2)
    return "\n".join(d.text() for d in diags)


def _sarif(diags: list[Diagnostic]) -> dict[str, object]:
    level = {"error": "error", "warning": "warning", "note": "note"}
    used = sorted({d.code for d in diags})
    return {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cloudc",
                        "rules": [
                            {"id": c, "shortDescription": {"text": CODES[c].title}} for c in used
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": d.code,
                        "level": level[d.severity],
                        "message": {"text": d.text().split(": ", 2)[-1]},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": d.as_dict()["file"]},
                                    "region": {
                                        "startLine": d.as_dict()["line"],
                                        "startColumn": d.as_dict()["column"],
                                    },
                                }
                            }
                        ],
                    }
                    for d in diags
                ],
            }
        ],
    }
