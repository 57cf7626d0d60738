"""`cloudc validate --lint`: cfn-lint over the built templates, reported at the config lines.

cfn-lint (the optional `lint` extra) checks each resource against its provider schema and AWS's
own rules. Its findings name a template path (`Resources/FunctionsApiFunction/Properties/
MemorySize`); the IR knows which config entry made each resource, and `checks._locate` finds the
config value behind a property, so the user reads `cloud.yaml:12:13` and never the template.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import json
import re
from typing import TYPE_CHECKING, Any

from cloudc.checks._locate import locate
from cloudc.diagnostics import CODES, Code, Diagnostic, Diagnostics
from cloudc.ir import Expr

if TYPE_CHECKING:
    from cloudc.compile import Build

# Findings cfn-lint makes by design on cloudc's output: W3002, package-style local paths
# (`TemplateURL: stacks/x.json`), which `cloudc deploy` and `aws cloudformation package` replace.
IGNORED = frozenset({"W3002"})
LINT_CODES = (
    Code("E3106", "cfn-lint reports an error", "`validate --lint`: a cfn-lint error on the "
         "generated template, at the config value that produced it; the message names the "
         "cfn-lint rule"),
    Code("W3106", "cfn-lint reports a warning", "`validate --lint`: a cfn-lint warning, as E3106"),
)
HINT = "see https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md"

# cfn-lint checks an RDS instance's EngineVersion against full versions (E3691: "not one of",
# W3691: "deprecated"). RDS also takes a major version alone (MySQL/MariaDB `8.0`, PostgreSQL
# `16`, `9.6`) and creates the instance on that major's default minor version, so such a value
# is fine while cfn-lint's own data lists a minor of that major that is not deprecated. Any
# other value (`9.9.9`, a major with no current minor) is still reported.
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html
RDS_VERSION_RULES = frozenset({"E3691", "W3691"})
MAJOR_ALIAS = {
    "mysql": re.compile(r"\d+\.\d+"),
    "mariadb": re.compile(r"\d+\.\d+"),
    "postgres": re.compile(r"[1-9]\d+|9\.\d"),
}
for _code in LINT_CODES:
    CODES.setdefault(_code.code, _code)


def available() -> bool:
    """Say whether cfn-lint can be imported."""
    return importlib.util.find_spec("cfnlint") is not None


def lint_build(build: Build) -> list[Diagnostic]:
    """Run cfn-lint in-process over every template of `build`; return located findings."""
    from cfnlint.decode.decode import decode_str

    diags = Diagnostics(default_file=build.resolved.file if build.resolved else "")
    region = str(build.config.project.region) if build.config is not None else "us-east-1"
    for rel, data in sorted(build.files("json").items()):
        if rel.startswith("assets/") or rel == "manifest.json":
            continue
        template, matches = decode_str(data.decode())
        if template is not None and not matches:
            matches = list(_runner(region).validate_template(template))
        for m in matches:
            rule = str(m.rule.id)
            if rule in IGNORED or rule[:1] not in ("E", "W"):
                continue
            where = list(getattr(m, "path", []) or [])
            if rule in RDS_VERSION_RULES and _major_alias(build, where):
                continue
            _add(build, diags, rule, str(m.message), list(getattr(m, "path", []) or []), rel)
    return diags.sorted()


@functools.cache
def _runner(region: str) -> Any:
    """Return one cfn-lint Runner a region: building one imports every rule (about a second),
    which `cfnlint.api.lint` would do again for each template."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=[region]))


def _major_alias(build: Build, tpath: list[Any]) -> bool:
    """Say whether a finding's DB instance names a major version that has a current minor."""
    if build.ir is None or len(tpath) < 2 or tpath[0] != "Resources":
        return False
    r = build.ir.resources.get(str(tpath[1]))
    if r is None or r.type != "AWS::RDS::DBInstance":
        return False
    engine, version = r.properties.get("Engine"), r.properties.get("EngineVersion")
    if not isinstance(engine, str) or not isinstance(version, str):
        return False
    pattern = MAJOR_ALIAS.get(engine.lower())
    if pattern is None or not pattern.fullmatch(version):
        return False
    known, deprecated = _rds_versions(engine.lower())
    return any(v.startswith(version + ".") and v not in deprecated for v in known)


@functools.cache
def _rds_versions(engine: str) -> tuple[frozenset[str], frozenset[str]]:
    """Return cfn-lint's (known, deprecated) DB instance versions of `engine`.

    engine_version.json lists the known ones under `then`, engine_version_deprecated.json the
    deprecated ones under `if` (both per engine, in `allOf`).
    """
    base = importlib.resources.files("cfnlint.data.schemas.extensions.aws_rds_dbinstance")

    def versions(name: str, branch: str) -> frozenset[str]:
        found: set[str] = set()
        for case in json.loads((base / name).read_text(encoding="utf-8"))["allOf"]:
            if case.get("if", {}).get("properties", {}).get("Engine", {}).get("const") != engine:
                continue
            props = case.get(branch, {}).get("properties", {})
            found.update(str(v) for v in props.get("EngineVersion", {}).get("enum", ()))
        return frozenset(found)

    return (versions("engine_version.json", "then"),
            versions("engine_version_deprecated.json", "if"))


def _add(build: Build, diags: Diagnostics, rule: str, message: str, tpath: list[Any],
         rel: str) -> None:
    code = "E3106" if rule.startswith("E") else "W3106"
    text = f"cfn-lint {rule}: {message}"
    ir = build.ir
    lid = str(tpath[1]) if len(tpath) > 1 and tpath[0] == "Resources" else None
    r = ir.resources.get(lid) if ir is not None and lid is not None else None
    if r is None or build.resolved is None or ir is None:
        at = "/".join(str(p) for p in tpath)
        diags.add(code, f"{text} (in {rel} at {at})", hint="report this to cloudc: the "
                  "generated template itself is wrong")
        return
    prop = tuple(tpath[3:]) if len(tpath) > 3 and tpath[2] == "Properties" else ()
    res = build.resolved
    path = locate(res, ir, r.logical_id, prop, _at(r.properties, prop)) if prop else ()
    if not path:  # a finding about the whole resource: try the values its message quotes
        for quoted in re.findall(r"'([^']+)'", message):
            path = locate(res, ir, r.logical_id, prop, quoted)
            if path:
                break
    if path:
        diags.add(code, text, origin=res.origins.get(path), path=path, hint=HINT)
        return
    comp = ir.components.get(r.owner)
    where = comp.path if comp is not None else ()
    origin = r.origin
    if where and origin == res.origins.get(where):
        origin = res.origins.key(where)  # the entry's name rather than its first key
    what = ".".join([r.logical_id, *map(str, prop)])
    diags.add(code, f"{text} (on {what})", origin=origin, path=where, hint=HINT)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        if isinstance(value, dict) and p in value:
            value = value[p]
        elif isinstance(value, list) and isinstance(p, int) and 0 <= p < len(value):
            value = value[p]
        else:
            return None
    return None if isinstance(value, Expr) else value
