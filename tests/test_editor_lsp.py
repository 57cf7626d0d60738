"""The real editor clients against the generated schema: yaml-language-server over LSP, Taplo.

One yaml-language-server process serves the whole module. It is installed pinned from
tools/editor/package-lock.json by scripts/setup.sh (`npm ci`). Without node the module is
skipped with that reason, except in CI (which has node), where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lsp_client import LspClient

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "editor" / "node_modules"
SERVER = TOOLS / "yaml-language-server" / "bin" / "yaml-language-server"
TAPLO = TOOLS / ".bin" / "taplo"
MAIN = (ROOT / "schemas" / "cloud.schema.json").as_uri()
pytestmark = pytest.mark.xdist_group("editor")  # one server process, on one worker
LAYER = (ROOT / "schemas" / "cloud.layer.schema.json").as_uri()


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed; CI must run the editor tests")
        pytest.skip("node is not installed: the editor tests need Node 20 and npm")
    if not SERVER.exists():
        pytest.fail("yaml-language-server is not installed: run scripts/setup.sh (npm ci)")
    return node


@pytest.fixture(scope="module")
def lsp() -> Iterator[LspClient]:
    client = LspClient([_node(), str(SERVER), "--stdio"], ROOT)
    try:
        client.initialize(ROOT)
        client.configure({"yaml": {
            "schemas": {MAIN: ["cloud.yaml", "cloud.yml"], LAYER: ["cloud.*.yaml", "presets/*.yaml"]},
            "validate": True, "completion": True, "hover": True, "yamlVersion": "1.2"}})
        yield client
    finally:
        client.close()


def _modeline(text: str, schema: str) -> str:
    """Point a document at a schema the way `cloudc init` does (first line wins)."""
    lines = [ln for ln in text.splitlines() if "yaml-language-server:" not in ln]
    return "\n".join([f"# yaml-language-server: $schema={schema}", *lines]) + "\n"


def _diagnose(lsp: LspClient, path: Path, text: str) -> list[dict[str, Any]]:
    return lsp.wait_diagnostics(lsp.open(path, text, "yaml"))


def _shown(diags: list[dict[str, Any]]) -> str:
    return "\n".join(f"{d['range']['start']['line'] + 1}: {d['message']}" for d in diags)


def _valid_files() -> list[Path]:
    files = sorted((ROOT / "tests" / "golden").glob("[!e]*/cloud.yaml"))
    files += sorted((ROOT / "examples").glob("*/cloud.yaml"))
    return files + sorted((ROOT / "presets").glob("*.yaml"))


def test_no_false_errors_on_examples_presets_and_goldens(lsp: LspClient) -> None:
    uris = {}
    for path in _valid_files():  # open them all, then collect: the server works meanwhile
        schema = LAYER if path.parent.name == "presets" else MAIN
        uris[path] = lsp.open(path, _modeline(path.read_text(encoding="utf-8"), schema), "yaml")
    bad = []
    for path, uri in uris.items():
        diags = lsp.wait_diagnostics(uri)
        if diags:
            bad.append(f"{path.relative_to(ROOT)}:\n{_shown(diags)}")
    assert not bad, "\n".join(bad)


GOOD = {
    "interpolation in constrained fields": """project: { name: x, region: "${var:region}" }
mode: ${var:mode}
functions:
  api: { code: ./api, runtime: "${var:runtime}", memory: "${var:memory}", tracing: "${var:t}" }
databases:
  db: { engine: "${var:engine}", instance: "db.${var:size}", min_capacity: "${var:acu}" }
services:
  web: { image: nginx, cpu: "${var:cpu}" }
servers:
  box: { instance: "${var:instance}" }
""",
    "null deletes under extends": """extends: [api-only]
storage:
  tmp: null
functions:
  api: { timeout: null }
""",
    "null deletes in an environment": """project: { name: x }
storage: { tmp: {} }
environments:
  production:
    storage: { tmp: null }
""",
    "unquoted file mode": """project: { name: x }
file_systems:
  shared:
    access_points:
      app: { path: /app, permissions: 0755 }
""",
}


@pytest.mark.parametrize("name", list(GOOD))
def test_valid_files_get_no_error(lsp: LspClient, tmp_path: Path, name: str) -> None:
    diags = _diagnose(lsp, tmp_path / "cloud.yaml", _modeline(GOOD[name], MAIN))
    assert not diags, _shown(diags)


# (file text after the modeline, 1-based line of the expected diagnostic, words in its message)
BAD = {
    "misspelt section": ("project: { name: x }\nstorge:\n  files: {}\n", 3, "storge"),
    "misspelt key": ("project: { name: x }\nstorage:\n  files:\n    versoning: true\n", 5,
                     "versoning"),
    "bad runtime": ("project: { name: x }\nfunctions:\n  api:\n    code: ./api\n"
                    "    runtime: nodejs99\n", 6, "nodejs22.x"),
    "text in a number": ("project: { name: x }\nfunctions:\n  api:\n    memory: lots\n", 5, "integer"),
    "yes is not a boolean": ("project: { name: x }\nqueues:\n  jobs:\n    fifo: yes\n", 5, "boolean"),
    "null without extends": ("project: { name: x }\nstorage:\n  tmp: null\n", 4, "Bucket"),
    "bad entry name": ("project: { name: x }\nstorage:\n  Uploads: {}\n", 4, "Uploads"),
    "no project": ("storage:\n  files: {}\n", 2, "project"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_errors_are_at_the_right_line(lsp: LspClient, tmp_path: Path, name: str) -> None:
    text, line, word = BAD[name]
    diags = _diagnose(lsp, tmp_path / "cloud.yaml", _modeline(text, MAIN))
    assert diags, f"no diagnostic for {name}"
    assert line in {d["range"]["start"]["line"] + 1 for d in diags}, _shown(diags)
    assert word in _shown(diags)


def test_settings_associate_files_without_a_modeline(lsp: LspClient, tmp_path: Path) -> None:
    """yaml.schemas (what `cloudc init --vscode` writes) maps cloud.yaml and cloud.<env>.yaml."""
    base = _diagnose(lsp, tmp_path / "cloud.yaml", "project: { name: x }\nstorge: {}\n")
    assert [d["range"]["start"]["line"] for d in base if "storge" in d["message"]] == [1]
    overlay = tmp_path / "cloud.production.yaml"
    assert not _diagnose(lsp, overlay, "storage:\n  tmp: null\n")  # a layer: no project, null
    bad = _diagnose(lsp, overlay, "storage:\n  tmp: { versoning: true }\n")
    assert any("versoning" in d["message"] for d in bad), _shown(bad)


def _labels(lsp: LspClient, path: Path, text: str, line: int, col: int) -> list[str]:
    uri = lsp.open(path, text, "yaml")
    lsp.wait_diagnostics(uri)
    got = lsp.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": line, "character": col}})
    items = got["items"] if isinstance(got, dict) else got
    return [str(i["label"]) for i in items]


def test_completion_suggests_runtimes_presets_environments_instances(
        lsp: LspClient, tmp_path: Path) -> None:
    path = tmp_path / "cloud.yaml"
    head = f"# yaml-language-server: $schema={MAIN}\n"
    runtimes = _labels(lsp, path, head + "project: { name: x }\nfunctions:\n  api:\n"
                       "    runtime: \n", 4, 13)
    assert "python3.13" in runtimes and "nodejs22.x" in runtimes
    presets = _labels(lsp, path, head + "extends:\n  - \n", 2, 4)
    assert "api-only" in presets
    envs = _labels(lsp, path, head + "project: { name: x }\nenvironments:\n  \n", 3, 2)
    assert {"production", "staging", "development"} <= set(envs)
    instances = _labels(lsp, path, head + "project: { name: x }\nservers:\n  box:\n"
                        "    instance: \n", 4, 14)
    assert "t4g.small" in instances and "m7g.large" in instances


def test_completion_inserts_skeletons_not_null(lsp: LspClient, tmp_path: Path) -> None:
    path = tmp_path / "cloud.yaml"
    text = f"# yaml-language-server: $schema={MAIN}\nproject: {{ name: x }}\nfunctions:\n  api:\n    \n"
    uri = lsp.open(path, text, "yaml")
    lsp.wait_diagnostics(uri)
    got = lsp.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                  "position": {"line": 4, "character": 4}})
    items = got["items"] if isinstance(got, dict) else got
    inserted = {str(i["label"]): str(i.get("insertText", (i.get("textEdit") or {}).get(
        "newText", ""))) for i in items}
    assert "url" in inserted and "null" not in inserted["url"], inserted.get("url")
    assert not [k for k, v in inserted.items() if v.rstrip().endswith("null")], inserted


def test_hover_shows_markdown_with_unit_default_and_link(lsp: LspClient,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "cloud.yaml"
    text = (f"# yaml-language-server: $schema={MAIN}\nproject: {{ name: x }}\nfunctions:\n"
            "  api:\n    code: ./api\n    memory: 1024\n")
    uri = lsp.open(path, text, "yaml")
    lsp.wait_diagnostics(uri)
    hover = lsp.request("textDocument/hover", {"textDocument": {"uri": uri},
                                               "position": {"line": 5, "character": 6}})
    value = hover["contents"]["value"] if isinstance(hover["contents"], dict) else str(hover)
    assert "Unit: MB" in value and "512" in value
    assert "docs/sections/functions.md" in value
    text = (f"# yaml-language-server: $schema={MAIN}\nproject: {{ name: x }}\nservers:\n"
            "  box:\n    instance: t3.small\n")
    uri = lsp.open(path, text, "yaml")
    lsp.wait_diagnostics(uri)
    hover = lsp.request("textDocument/hover", {"textDocument": {"uri": uri},
                                               "position": {"line": 4, "character": 6}})
    value = hover["contents"]["value"]
    assert "EC2 instance type" in value and len(value) < 2000  # not 1,400 instance types


def _taplo(*args: str) -> subprocess.CompletedProcess[str]:
    _node()
    if not TAPLO.exists():
        pytest.fail("taplo is not installed: run scripts/setup.sh (npm ci)")
    return subprocess.run([str(TAPLO), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)


def test_taplo_accepts_the_toml_starter_and_flags_a_misspelt_table(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cloudc init --format toml` writes `#:schema`, which Taplo follows."""
    from click.testing import CliRunner

    from cloudc.cli import cli

    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init", "--format", "toml", "--name", "demo"]).exit_code == 0
    here = tmp_path
    (here / "bad.toml").write_text("#:schema ./schemas/cloud.schema.json\n[project]\n"
                                   "name = \"x\"\n[storge.files]\n", encoding="utf-8")
    got = _taplo("lint", str(here / "cloud.toml"), str(here / "bad.toml"))  # one start
    errors = [ln for ln in got.stderr.splitlines() if "invalid file" in ln]
    assert got.returncode != 0 and len(errors) == 1 and "bad.toml" in errors[0], got.stderr
    assert "4 │ [storge.files]" in got.stderr and "'storge' was unexpected" in got.stderr


@pytest.mark.parametrize("preset", [None, "api-only"])
def test_init_output_works_in_the_editor_out_of_the_box(
        lsp: LspClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        preset: str | None) -> None:
    """The starter's own modeline (relative) finds the schema that init wrote beside it."""
    import json

    from click.testing import CliRunner

    from cloudc.cli import cli

    monkeypatch.chdir(tmp_path)
    args = ["init", "--vscode", "--name", "demo", *(["--preset", preset] if preset else [])]
    assert CliRunner().invoke(cli, args).exit_code == 0
    text = (tmp_path / "cloud.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=./schemas/cloud.schema.json\n")
    assert not (diags := _diagnose(lsp, tmp_path / "cloud.yaml", text)), _shown(diags)
    broken = text + "storge: {}\n"
    assert any("storge" in d["message"] for d in _diagnose(lsp, tmp_path / "cloud.yaml", broken))
    settings = json.loads((tmp_path / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert settings["yaml.schemas"]["./schemas/cloud.schema.json"] == ["cloud.yaml", "cloud.yml"]
    assert (tmp_path / "schemas" / "cloud.layer.schema.json").exists()
