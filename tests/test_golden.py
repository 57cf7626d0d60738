"""Golden tests: every tests/golden/<case>/cloud.yaml against its reviewed expected output.

Regenerate with `pytest tests/test_golden.py --update-golden` and review the diff.
cfn-lint runs over every expected template and must report no errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudc.compile import compile_config

GOLDEN = Path(__file__).parent / "golden"
DEFAULT_ENVS = ("production", "staging")


def _cases() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir()
                  if p.is_dir() and not p.name.startswith("error_")
                  and any(p.glob("cloud.*")))


def _config(case: Path) -> Path:
    for name in ("cloud.yaml", "cloud.toml", "cloud.json"):
        if (case / name).is_file():
            return case / name
    raise FileNotFoundError(case)


def _envs(case: Path) -> list[str]:
    expected = case / "expected"
    have = sorted(p.name for p in expected.iterdir() if p.is_dir()) if expected.is_dir() else []
    return have or list(DEFAULT_ENVS)


def _params() -> list[tuple[Path, str]]:
    return [(case, env) for case in _cases() for env in _envs(case)]


@pytest.mark.parametrize("case,env", _params(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_golden(case: Path, env: str, update_golden: bool, linter) -> None:
    build = compile_config(_config(case), env, check_ir=True)
    errors = [d.text() for d in build.diagnostics.errors]
    assert not errors, "\n".join(errors)
    files = {p: d for p, d in build.files().items() if not p.startswith("assets/")}
    expected = case / "expected" / env
    if update_golden:
        if expected.exists():
            shutil.rmtree(expected)
        for rel, data in files.items():
            (expected / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected / rel).write_bytes(data)
    have = sorted(str(p.relative_to(expected)) for p in expected.rglob("*") if p.is_file())
    assert have == sorted(files), f"{case.name}/{env}: files differ; run --update-golden"
    for rel, data in files.items():
        assert (expected / rel).read_bytes() == data, f"{case.name}/{env}/{rel} changed"
    for rel, data in files.items():
        if rel == "manifest.json":
            continue
        problems = linter.errors(data.decode(), f"{case.name}/{env}/{rel}")
        assert not problems, "\n".join(problems)


def _error_cases() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir() if p.is_dir() and p.name.startswith("error_"))


@pytest.mark.parametrize("case", _error_cases(), ids=lambda p: p.name)
def test_error_case(case: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input: the exact `FILE:LINE:COL: error[CODE]` lines, relative to the case folder."""
    monkeypatch.chdir(case)
    config = next(Path(".").glob("cloud.*"))
    build = compile_config(config, "development", check_ir=True)
    text = "\n".join(d.text() for d in build.diagnostics.sorted()) + "\n"
    expected = Path("expected.txt")
    if update_golden:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
    assert build.diagnostics.has_errors


def _broken_templates() -> list[str]:
    """Two golden templates and the same two with errors cfn-lint must find (types, enums, Refs,
    unknown properties, a bad sub-property, a bad Fn::GetAtt, a bad IAM statement), plus an RDS
    stack whose instances break E3062 (class not offered for the engine, plain and upper-case
    Engine, Engine behind a condition), a condition-guarded property, Fn::Sub, UpdatePolicy."""
    base = GOLDEN / "spec_example" / "expected" / "production" / "stacks"
    texts = [(base / "functions.json").read_text(), (base / "monitoring.json").read_text()]
    doc = json.loads(texts[0])
    res = doc["Resources"]
    fn = res["FunctionsWorkerFunction"]["Properties"]
    fn.update(MemorySize="lots", Runtime="cobol9", Timeout=99999, Colour="blue")
    fn["Role"] = {"Ref": "NoSuchRole"}
    res["FunctionsWorkerLogs"]["Properties"]["RetentionInDays"] = 4
    res["FunctionsWorkerSecurityGroup"]["Properties"]["SecurityGroupEgress"] = [{"IpProtocol": 6}]
    res["FunctionsItemsFunction"]["Properties"]["Handler"] = {"Fn::GetAtt": ["Nope", "Arn"]}
    policy = res["FunctionsWorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    policy["Statement"].append({"Effect": "Maybe", "Action": "s3:Get*", "Resource": 7})
    mon = json.loads(texts[1])
    for r in list(mon["Resources"].values())[:3]:
        r.setdefault("Properties", {})["Bogus"] = [1, {"Ref": "AWS::NoSuchPseudo"}]
    db = json.loads((base / "databases.json").read_text())
    db["Conditions"] = {"InEast": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}}
    instances = [r for r in db["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance"]
    first = instances[0]
    first["Properties"].update(DBInstanceClass="db.t2.micro", EngineVersion="16.10",
                               DBName={"Fn::Sub": "${Nope}db"})
    first["UpdatePolicy"] = {"AutoScalingRollingUpdate": {"MaxBatchSize": "many"}}
    for name, engine, version, klass in (
            ("Upper", "MySQL", "8.0.35", "db.x9.mega"),
            ("Guarded", {"Fn::If": ["InEast", "postgres", "mysql"]}, "16.3", "db.m1.small"),
            ("Fine", "postgres", "16.3", {"Fn::If": ["InEast", "db.t3.micro", "db.z1d.large"]})):
        copy = json.loads(json.dumps(first))
        copy.pop("UpdatePolicy")
        copy["Properties"].update(Engine=engine, EngineVersion=version, DBInstanceClass=klass,
                                  DBName="main")
        db["Resources"][f"Broken{name}Instance"] = copy
    # a whole resource behind Fn::If: cfn-lint checks each branch (E3016 in the first)
    db["Resources"]["BrokenWrappedGroup"] = {"Fn::If": ["InEast", {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {"MinSize": "1", "MaxSize": "2"},
        "UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": "many"}, "Bogus": 1},
    }, {"Ref": "AWS::NoValue"}]}
    return [*texts, json.dumps(doc, indent=2), json.dumps(mon, indent=2),
            json.dumps(db, indent=2)]


@pytest.mark.slow  # a fresh cfn-lint in a subprocess: about 5 s
def test_fast_cfnlint_finds_what_cfn_lint_finds(linter, tmp_path: Path) -> None:
    """tests/fast_cfnlint.py changes how fast cfn-lint runs, never what it finds: the same
    findings as an unmodified cfn-lint in a fresh process, on clean and broken templates."""
    import fast_cfnlint

    assert fast_cfnlint.apply(), "fast_cfnlint no longer fits the installed cfn-lint"
    texts = _broken_templates()
    for i, text in enumerate(texts):
        (tmp_path / f"t{i}.json").write_text(text, encoding="utf-8")
    code = (
        "import json, sys\n"
        "from cfnlint.config import ConfigMixIn\n"
        "from cfnlint.decode.decode import decode_str\n"
        "from cfnlint.runner import Runner\n"
        "runner = Runner(ConfigMixIn(regions=['us-east-1']))\n"
        "out = []\n"
        "for name in sys.argv[1:]:\n"
        "    template, matches = decode_str(open(name).read())\n"
        "    if template is not None and not matches:\n"
        "        matches = list(runner.validate_template(template))\n"
        "    out.append(sorted([str(m.rule.id), str(m.message), int(m.linenumber)]"
        " for m in matches))\n"
        "print(json.dumps(out))\n")
    names = [str(tmp_path / f"t{i}.json") for i in range(len(texts))]
    proc = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True,
                          timeout=300, check=True)
    plain = json.loads(proc.stdout)
    fast = [sorted([r, m, n] for r, m, n in linter.findings(t)) for t in texts]
    assert fast == plain
    assert not [f for f in fast[0] + fast[1] if f[0].startswith("E")]
    broken = {f[0] for f in fast[2] + fast[3] + fast[4]}
    assert {"E3012", "E3030", "E3002", "E3034", "E3062", "E3016"} <= broken, broken
