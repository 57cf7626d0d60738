"""A function's code folder: empty is an error (Lambda rejects an empty zip); a handler whose
file is not in the folder is a warning (every invocation would fail to load it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudc.compile import compile_config


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # findings name cloud.yaml as the user typed it


def _app(tmp_path: Path, runtime: str, handler: str, files: dict[str, str]) -> Path:
    (tmp_path / "fn").mkdir()
    for rel, text in files.items():
        (tmp_path / "fn" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fn" / rel).write_text(text)
    config = Path("cloud.yaml")
    config.write_text("project: { name: demo }\nfunctions:\n  api:\n    code: ./fn\n"
                      f"    runtime: {runtime}\n    handler: {handler}\n")
    return config


@pytest.mark.parametrize("dry", [False, True], ids=["build", "validate"])
def test_an_empty_code_folder_is_an_error(tmp_path: Path, dry: bool) -> None:
    config = _app(tmp_path, "nodejs22.x", "index.handler", {})
    (tmp_path / "fn" / ".git").mkdir()  # what the zip leaves out does not count
    found = [d.text() for d in compile_config(config, "development", dry=dry).diagnostics.errors]
    assert found == ["cloud.yaml:4:11: error[E1015]: `functions.api.code`: the code folder is "
                     "empty (AWS Lambda rejects an empty zip: put the code in the folder, or "
                     "point the setting at the folder that holds it)"]


@pytest.mark.parametrize(("runtime", "handler", "files", "expected"), [
    ("nodejs22.x", "index.handler", {"index.ts": "x"}, "no index.js or index.mjs or index.cjs"),
    ("nodejs22.x", "src/app.handler", {"app.js": "x"}, "no src/app.js"),
    ("python3.12", "app.main.handler", {"app/other.py": "x"}, "no app/main.py or app/main/__init__.py"),
    ("ruby3.3", "function.handler", {"lambda.rb": "x"}, "no function.rb"),
])
def test_a_handler_without_its_file_is_a_warning(tmp_path: Path, runtime: str, handler: str,
                                                 files: dict[str, str], expected: str) -> None:
    build = compile_config(_app(tmp_path, runtime, handler, files), "development")
    assert not build.diagnostics.errors
    warned = [d.text() for d in build.diagnostics.sorted() if d.code == "W1004"]
    assert len(warned) == 1 and expected in warned[0], warned
    assert warned[0].startswith("cloud.yaml:6:14: warning[W1004]: `functions.api.handler`")


@pytest.mark.parametrize(("runtime", "handler", "files"), [
    ("nodejs22.x", "index.handler", {"index.mjs": "x"}),
    ("nodejs22.x", "dist/index.handler", {"dist/index.cjs": "x"}),
    ("python3.12", "app.main.handler", {"app/main.py": "x"}),
    ("python3.12", "pkg.handler", {"pkg/__init__.py": "x"}),
    ("ruby3.3", "function.Handler.process", {"function.rb": "x"}),
    ("java21", "com.example.Handler::handle", {"lib/app.jar": "x"}),
    ("provided.al2023", "bootstrap", {"bootstrap": "x"}),
])
def test_a_handler_with_its_file_is_quiet(tmp_path: Path, runtime: str, handler: str,
                                          files: dict[str, str]) -> None:
    build = compile_config(_app(tmp_path, runtime, handler, files), "development")
    assert not [d for d in build.diagnostics.sorted() if d.code in ("W1004", "E1015")]
