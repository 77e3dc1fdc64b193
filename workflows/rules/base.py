"""The rule catalogue: each rule is a function of measurements and profile parameters.

A rule is registered with the tiers it needs, its parameter names and types, and whether
it looks at one media file or at the whole work. Profiles name rules under [rules."id"];
`validate` refuses unknown rules and parameters with the file, line and key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from store.labels import FINDING_ZH as STATUS_ZH  # noqa: F401  (the finding statuses)

COMMON_PARAMS = {"clause": str, "severity": str, "projects": list, "enabled": bool}


@dataclass
class Finding:
    rule: str
    status: str
    measured: str | None
    expected: str | None
    message: str
    file_id: int | None = None
    fix: str | None = None
    clause: str = ""


@dataclass
class Rule:
    id: str
    scope: str  # "file" (each media file) or "work"
    needs: tuple[str, ...]  # measurement tiers; the rule is evaluated only when all are present
    params: dict[str, type]
    fn: Callable
    media: tuple[str, ...] = ("video", "audio")
    mechanical: bool = False  # a re-encode or remux makes a compliant copy


def rule(
    rule_id: str,
    *,
    scope: str = "file",
    needs=("M",),
    params: dict | None = None,
    media=("video", "audio"),
    mechanical: bool = False,
):
    """Describe a rule function; the catalogue (`workflows.rules.catalog`) lists the rule modules explicitly."""

    def describe(fn):
        fn.rule = Rule(rule_id, scope, tuple(needs), dict(params or {}), fn, tuple(media), mechanical)
        return fn

    return describe


@dataclass
class Result:
    """What a rule function returns: status and values; the engine adds the message frame."""

    status: str
    measured: str | None = None
    expected: str | None = None
    detail: str = ""  # the sentence: what was measured and what is required
    file_id: int | None = None
    extra: dict = field(default_factory=dict)


def base_id(key: str) -> str:
    """A profile may apply one rule twice with different parameters: "media.duration#vocational"."""
    return key.split("#", 1)[0]
