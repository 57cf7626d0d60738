"""docs/sections: a page for every section, naming its keys, attributes and link grants.

Mapping rule: section `S` (the `SECTION` of a module in cloudc/schema/sections/) is documented
by `docs/sections/S.md`, or, when its variants read better apart, by `docs/sections/S-*.md`
(databases-dynamodb.md, databases-rds.md). Together a section's pages must mention:
- every top-level key of its entry model, as `key` (or `key:` in a YAML example);
- every `${S.NAME.attr}` attribute its lowering declares in any golden case, as `attr` (a name
  the user chose may be written as a placeholder: `keys.NAME.arn`);
- what a link to it grants in any golden case: each IAM action and each env-var suffix
  (`S_NAME_URL` is mentioned as `_URL`).
Attributes and grants are read from the golden cases' IR, so they follow the code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from cloudc.compile import compile_config
from cloudc.schema import section_modules

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "docs" / "sections"
GOLDEN = Path(__file__).parent / "golden"
SECTIONS = [m.SECTION for m in section_modules()]


def _pages(section: str) -> list[Path]:
    """Return the pages that document `section`, by the mapping rule above."""
    return sorted({*PAGES.glob(f"{section}.md"), *PAGES.glob(f"{section}-*.md")})


def _text(section: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in _pages(section))


@lru_cache(maxsize=1)
def _declared() -> dict[str, dict[str, set[str]]]:
    """Return, per section, the attributes, IAM actions and env suffixes of every golden case."""
    out: dict[str, dict[str, set[str]]] = {}
    for config in sorted(GOLDEN.glob("*/cloud.yaml")):
        if config.parent.name.startswith("error_"):
            continue
        build = compile_config(config, "production", check_ir=True, dry=True)
        assert build.ir is not None, config
        for comp in build.ir.components.values():
            seen = out.setdefault(comp.section, {"attrs": set(), "actions": set(), "env": set()})
            seen["attrs"].update(comp.attrs)
            seen["env"].update(comp.link_env)
            seen["env"].update(comp.link_secrets)
            for statements in comp.grants.values():
                for st in statements:
                    actions = st.get("Action", [])
                    seen["actions"].update([actions] if isinstance(actions, str) else actions)
    return out


def test_every_section_has_a_page() -> None:
    missing = [s for s in SECTIONS if not _pages(s)]
    assert not missing, f"write docs/sections/<section>.md for {missing}"


def test_every_page_is_a_section() -> None:
    """A page whose name matches no section is stale (renamed or removed section)."""
    stale = [p.name for p in PAGES.glob("*.md")
             if not any(p.stem == s or p.stem.startswith(f"{s}-") for s in SECTIONS)]
    assert not stale, stale


@pytest.mark.parametrize("section", SECTIONS)
def test_page_names_every_key(section: str) -> None:
    mod = next(m for m in section_modules() if m.SECTION == section)
    text = _text(section)
    keys = [f.alias or name for name, f in mod.Entry.model_fields.items()]
    missing = [k for k in keys
               if not re.search(rf"`{re.escape(k)}[`.\[]|(?<![\w-]){re.escape(k)}:", text)]
    assert not missing, f"docs/sections/{section}*.md does not mention keys {missing}"


@pytest.mark.parametrize("section", SECTIONS)
def test_page_names_every_attribute_and_grant(section: str) -> None:
    text = _text(section)
    seen = _declared().get(section, {"attrs": set(), "actions": set(), "env": set()})
    missing = [f"attribute {a}" for a in sorted(seen["attrs"]) if not _mentions_attr(text, a)]
    missing += [f"action {a}" for a in sorted(seen["actions"]) if a not in text]
    missing += [f"env var suffix _{e}" for e in sorted(seen["env"]) if not _mentions_env(text, e)]
    assert not missing, f"docs/sections/{section}*.md does not mention: {missing}"


def _mentions_attr(text: str, attr: str) -> bool:
    """Say whether `attr` appears as code; a segment after the first may be a placeholder."""
    first, *rest = attr.split(".")
    dotted = r"\.".join([_segment(first, bare=False), *(_segment(p) for p in rest)])
    return re.search(rf"[`.]{dotted}[`}}]", text) is not None


def _segment(part: str, bare: bool = True) -> str:
    """Match one segment: itself, a placeholder then a tail (`<ap>_access_point`), or (`bare`)
    a placeholder alone (`NAME`)."""
    words = part.split("_")
    tails = "|".join(re.escape("_".join(words[i:])) for i in range(1, len(words)))
    prefixed = rf"|(?:[A-Z][A-Z_]*|<[\w-]+>)_(?:{tails})" if tails else ""
    placeholder = "|[A-Z][A-Z_]*" if bare else ""
    return rf"(?:{re.escape(part)}{placeholder}{prefixed})"


def _mentions_env(text: str, suffix: str) -> bool:
    """Say whether `_SUFFIX` appears; a `_` part but the last may be a `<PLACEHOLDER>`."""
    *head, last = suffix.split("_")
    parts = "".join(rf"(?:{re.escape(p)}|<[A-Z_]+>)_" for p in head)
    return re.search(rf"_{parts}{re.escape(last)}\b", text) is not None


@pytest.mark.parametrize("text,suffix,found", [
    ("`QUEUES_<NAME>_URL`", "URL", True),
    ("`AUTH_<NAME>_CLIENT_<CLIENT>_ID`", "CLIENT_WEB_ID", True),
    ("`QUEUES_<NAME>_URLS`", "URL", False),
])
def test_env_mention_rule(text: str, suffix: str, found: bool) -> None:
    assert _mentions_env(text, suffix) is found


@pytest.mark.parametrize("text,attr,found", [
    ("Attributes: `arn`, `name`.", "arn", True),
    ("`${queues.NAME.dlq_arn}`", "dlq_arn", True),
    ("`keys.NAME.arn`", "keys.data.arn", True),
    ("the arn of the queue", "arn", False),
    ("`NAME`", "arn", False),
    ("`NAME.arn`", "keys.data.arn", False),
    ("`dlq_arn_x`", "dlq_arn", False),
    ("`<access_point>_access_point`", "wp_content_access_point", True),
    ("`<access_point>_access_point`", "wp_content_point", False),
])
def test_attribute_mention_rule(text: str, attr: str, found: bool) -> None:
    assert _mentions_attr(text, attr) is found
