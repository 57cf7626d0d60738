"""Built-in presets: partial config files that `extends` can name."""

from __future__ import annotations

from pathlib import Path

# `builtin` is a link to the repository's top-level presets/ folder; wheels carry a copy.
PRESET_DIR = Path(__file__).parent / "builtin"


def builtin_names() -> list[str]:
    """List the names of the built-in presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def builtin_path(name: str) -> Path | None:
    """Return the file of the built-in preset `name`, if there is one."""
    path = PRESET_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def describe(name: str) -> str:
    """Return the first comment line of a preset file: its one-line description."""
    path = builtin_path(name)
    if path is None:
        return ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and "yaml-language-server" not in line:
            return line[2:].strip()
    return ""


def variables(name: str) -> dict[str, str]:
    """Return the preset's `variables` (placeholders such as `domain: example.com`), as text."""
    import yaml

    path = builtin_path(name)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path is not None else None
    found = data.get("variables") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
