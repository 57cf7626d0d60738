"""The CLI as a user runs it: exit codes, stdout/stderr discipline, init, explain, graph.

Each command runs as a process of its own, forked from a helper that has cloudc imported
(tests/forkcli.py); the first test and the last start `python -m cloudc` itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import forkcli
import pytest
from click.testing import CliRunner

from cloudc.cli import cli

ROOT = Path(__file__).resolve().parents[1]
BASIC = ROOT / "tests" / "golden" / "basic"


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(BASIC, tmp_path / "app", ignore=shutil.ignore_patterns("expected"))
    monkeypatch.chdir(tmp_path / "app")
    return tmp_path / "app"


def run(*args: str, python_m: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `cloudc --no-color ARGS` here: forked, or started as `python -m cloudc`."""
    if python_m:
        return subprocess.run([sys.executable, "-m", "cloudc", "--no-color", *args],
                              capture_output=True, text=True)
    return forkcli.run(["--no-color", *args])


def test_build_writes_tree_and_nothing_on_stdout(app: Path) -> None:
    res = run("build", "--env", "staging", python_m=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert "built staging" in res.stderr
    out = app / "build" / "staging"
    manifest = json.loads((out / "manifest.json").read_text())
    assert {t["path"] for t in manifest["templates"]} >= {"template.json", "stacks/functions.json"}
    root = json.loads((out / "template.json").read_text())
    assert root["Resources"]["StackFunctions"]["Properties"]["TemplateURL"] == "stacks/functions.json"


def test_failed_build_keeps_previous_output(app: Path) -> None:
    assert run("build", "--env", "dev").returncode == 0
    before = (app / "build" / "dev" / "template.json").read_bytes()
    (app / "cloud.yaml").write_text((app / "cloud.yaml").read_text().replace("uploads:", "Uploads:", 1))
    res = run("build", "--env", "dev")
    assert res.returncode == 1
    assert "error[" in res.stderr and "nothing written" in res.stderr
    assert (app / "build" / "dev" / "template.json").read_bytes() == before


def test_errors_are_located_and_all_reported(app: Path) -> None:
    text = (app / "cloud.yaml").read_text()
    text = text.replace("versioning: true", "versoning: true").replace("timeout: 10", "timeout: ten")
    (app / "cloud.yaml").write_text(text)
    res = run("validate", "--env", "production")
    assert res.returncode == 1
    lines = [line for line in res.stderr.splitlines() if "error[" in line]
    assert len(lines) == 2
    assert lines[0].startswith("cloud.yaml:6:14:") and "did you mean `versioning`?" in lines[0]
    assert "error[E2003]" in lines[1]
    assert "Traceback" not in res.stderr


def test_error_format_json(app: Path) -> None:
    (app / "cloud.yaml").write_text("project: { name: x }\nstorge: {}\n")
    res = run("--error-format", "json", "validate")
    assert res.returncode == 1
    found = json.loads(res.stderr.split("\n", 0)[0][: res.stderr.rindex("]") + 1])
    assert found[0]["code"] == "E2001" and found[0]["line"] == 2


def test_error_format_json_stderr_is_one_document(app: Path) -> None:
    res = run("--error-format", "json", "validate")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stderr) == []  # no `cloud.yaml: ok (...)` status line
    res = run("--error-format", "json", "build", "--env", "dev")
    assert res.returncode == 0 and json.loads(res.stderr) == []
    (app / "cloud.yaml").write_text("project: { name: x }\nstorge: {}\n")
    res = run("--error-format", "json", "build", "--env", "dev")
    assert res.returncode == 1
    found = json.loads(res.stderr)  # no "build failed" line mixed in
    assert [(d["file"], d["line"], d["column"], d["code"], d["message"]) for d in found] == [
        ("cloud.yaml", 2, 1, "E2001", "unknown section `storge`")]


def test_error_format_sarif_clean_run_is_empty_results(app: Path) -> None:
    res = run("--error-format", "sarif", "validate")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stderr)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"] == []


def test_validate_checks_every_environment(app: Path) -> None:
    res = run("validate")
    assert res.returncode == 0, res.stderr
    assert "production, staging, development" in res.stderr


def test_usage_error_is_exit_2() -> None:
    assert run("build", "--format", "xml").returncode == 2


def test_set_overrides_and_cloudc_env(app: Path) -> None:
    res = forkcli.run(["build", "--set", "queues.jobs.visibility_timeout=90"],
                      env={**__import__("os").environ, "CLOUDC_ENV": "qa"})
    assert res.returncode == 0, res.stderr
    queues = json.loads((app / "build" / "qa" / "stacks" / "queues.json").read_text())
    assert queues["Resources"]["QueuesJobsQueue"]["Properties"]["VisibilityTimeout"] == 90


def test_explain_names_origins(app: Path) -> None:
    (app / "cloud.production.yaml").write_text("queues:\n  jobs:\n    visibility_timeout: 300\n")
    res = run("explain", "--env", "production", "queues.jobs")
    assert res.returncode == 0, res.stderr
    assert "QueuesJobsQueue  AWS::SQS::Queue  in stacks/queues.json" in res.stdout
    assert "visibility_timeout = 300  from cloud.production.yaml, line 3" in res.stdout


def test_graph_dot_and_mermaid(app: Path) -> None:
    dot = run("graph", "--env", "staging")
    assert dot.returncode == 0 and dot.stdout.startswith("digraph")
    assert '"functions.worker" -> "queues.jobs"' in dot.stdout
    mer = run("graph", "--env", "staging", "--format", "mermaid")
    assert mer.stdout.startswith("graph LR")


def test_init_writes_schema_line_and_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--name", "demo"]).exit_code == 0
    text = Path("cloud.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=./schemas/cloud.schema.json")
    assert Path("schemas/cloud.schema.json").exists()
    assert "build/" in Path(".gitignore").read_text()
    assert run("build").returncode == 0


def test_init_toml_has_taplo_directive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init", "--format", "toml", "--name", "demo"]).exit_code == 0
    assert Path("cloud.toml").read_text().startswith("#:schema ./schemas/cloud.schema.json")
    res = run("build", "cloud.toml")
    assert res.returncode == 0, res.stderr


def test_init_says_every_file_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["init", "--format", "toml", "--vscode", "--name", "demo"])
    assert res.exit_code == 0
    assert ("wrote cloud.toml, schemas/cloud.schema.json, .vscode/settings.json, .gitignore"
            in res.output)
    assert "\n\n\n" not in Path("cloud.toml").read_text()  # one blank line between blocks
    built = run("build", "cloud.toml")
    assert "in 1 nested stack ->" in built.stderr, built.stderr  # not "1 nested stacks"


def test_no_config_here_says_how_to_start_one(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = run("validate")
    assert res.returncode == 1
    assert res.stderr.startswith("cloud.yaml:1:1: error[E0001]: file not found: cloud.yaml "
                                 "(start one with `cloudc init`"), res.stderr


def test_init_refuses_a_second_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With cloud.toml and cloud.yaml side by side every command reads cloud.yaml: the user's
    # cloud.toml would be silently ignored.
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init", "--format", "toml"]).exit_code == 0
    res = CliRunner().invoke(cli, ["init"])
    assert res.exit_code == 1
    assert "cloud.toml exists; cloudc reads one config a folder" in res.output
    assert not Path("cloud.yaml").exists()
    assert CliRunner().invoke(cli, ["init", "--force"]).exit_code == 0
    assert Path("cloud.yaml").exists()


def test_environment_overlays_merge(app: Path) -> None:
    text = (app / "cloud.yaml").read_text() + (
        "environments:\n  production:\n    queues: { jobs: { visibility_timeout: 600 } }\n"
        "    storage: { uploads: { lifecycle: null } }\n")
    (app / "cloud.yaml").write_text(text)
    assert run("build", "--env", "production").returncode == 0
    q = json.loads((app / "build/production/stacks/queues.json").read_text())
    assert q["Resources"]["QueuesJobsQueue"]["Properties"]["VisibilityTimeout"] == 600
    s = json.loads((app / "build/production/stacks/storage.json").read_text())
    rules = s["Resources"]["StorageUploadsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    # The bucket is versioned: expired delete markers are cleaned up too.
    assert [r["Id"] for r in rules] == ["abort-incomplete-uploads", "expired-delete-markers"]
    assert run("build", "--env", "staging").returncode == 0
    q = json.loads((app / "build/staging/stacks/queues.json").read_text())
    assert q["Resources"]["QueuesJobsQueue"]["Properties"]["VisibilityTimeout"] == 60


def test_iam_has_no_wildcards(app: Path) -> None:
    assert run("build", "--env", "production").returncode == 0
    for path in (app / "build" / "production").rglob("*.json"):
        doc = json.loads(path.read_text())
        for body in doc.get("Resources", {}).values():
            text = json.dumps(body.get("Properties", {}))
            if body["Type"] in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                assert '"Resource": "*"' not in text and '"Action": "*"' not in text
                assert '"*"' not in text


def test_a_missing_code_folder_says_what_to_do(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cloud.yaml").write_text("project: { name: demo, region: us-east-1 }\n"
                                  "functions:\n  api: { code: ./functions/api }\n")
    res = run("validate")
    assert res.returncode == 1
    assert "cloud.yaml:3:16: error[E1007]: `functions.api.code`: code folder `./functions/api` " \
           "not found (looked for " in res.stderr, res.stderr
    assert "; create the code folder, or fix the path)" in res.stderr


def test_a_forked_command_is_what_python_m_cloudc_does(app: Path) -> None:
    """tests/forkcli.py, which most tests here use, gives what `python -m cloudc` gives."""
    (app / "cloud.yaml").write_text((app / "cloud.yaml").read_text() + "storge: {}\n")
    for args in (["--error-format", "json", "validate"], ["graph", "--env", "staging"]):
        forked, real = run(*args), run(*args, python_m=True)
        assert (forked.returncode, forked.stdout, forked.stderr) \
            == (real.returncode, real.stdout, real.stderr), args
        assert real.stdout or real.stderr
    assert run("validate").returncode == 1  # the broken config: the comparison saw a failure
