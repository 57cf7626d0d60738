"""Where a project's config is and which environments are built in (cheap to import)."""

from __future__ import annotations

from pathlib import Path

BUILTIN_ENVIRONMENTS = ("production", "staging", "development")
CONFIG_NAMES = ("cloud.yaml", "cloud.yml", "cloud.toml", "cloud.json")


def find_config(explicit: str | None) -> Path:
    """Return the config file: the one given, else cloud.yaml, cloud.toml or cloud.json here."""
    if explicit:
        return Path(explicit)
    for name in CONFIG_NAMES:
        if Path(name).is_file():
            return Path(name)
    return Path("cloud.yaml")
