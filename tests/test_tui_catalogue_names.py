"""Every rule a reviewer can meet has a Chinese name on screen (the detail view and the overview show RULE_ZH)."""

from tui import strings as S
from workflows.rules.catalog import REGISTRY

# Findings the importer gives without a rule function in the catalogue.
INGEST_RULES = (
    "archive.corrupt", "archive.empty", "archive.encrypted", "archive.too_large", "archive.unsafe", "deadline.late",
    "dup.awarded", "dup.same_file", "eligibility.scope", "import.failed", "layout.concatenated",
    "layout.unrecognised", "meta.mismatch", "meta.unreadable", "name.portable", "source.link", "source.unreadable",
)  # fmt: skip


def test_every_rule_has_a_chinese_name():
    assert sorted((set(REGISTRY) | set(INGEST_RULES)) - set(S.RULE_ZH)) == []
