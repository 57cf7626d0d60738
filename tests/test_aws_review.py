"""docs/aws-review.md is the checklist every whole-app rule belongs to: no rule goes unlisted."""

from __future__ import annotations

from pathlib import Path

from cloudc.checks import rule_modules

DOC = Path(__file__).resolve().parents[1] / "docs" / "aws-review.md"


def test_every_check_code_is_on_the_review_checklist() -> None:
    text = DOC.read_text(encoding="utf-8")
    codes = sorted({c.code for mod in rule_modules() for c in getattr(mod, "CODES", ())})
    assert codes, "no rule module declares a code"
    missing = [c for c in codes if c not in text]
    assert not missing, f"add these rules to docs/aws-review.md: {missing}"


def test_every_review_rule_links_aws_documentation() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = [s for s in text.split("\n## ")[1:]]
    assert sections
    for section in sections:
        assert "https://docs.aws.amazon.com/" in section, section.splitlines()[0]
