"""Errors the user sees: a stable code for scripts and a Chinese message for people."""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_REJECTED = 1  # some inputs were rejected (and reported)
EXIT_USAGE = 2  # usage or environment error


class StationError(Exception):
    """A usage or environment problem that stops the command (exit 2)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


# Quota rules that refuse a recommendation (the others are reported, not enforced).
HARD_RULES = ("quota.max", "node.unique", "teacher.unique", "share.cap")


@dataclass
class Violation:
    """One broken recommendation rule: which rule, why, and the works involved."""

    rule: str
    message: str
    ids: list[int] = field(default_factory=list)
    key: dict | None = None

    @property
    def hard(self) -> bool:
        return self.rule in HARD_RULES

    def as_dict(self) -> dict:
        return {"rule": self.rule, "hard": self.hard, "message": self.message, "ids": self.ids, "key": self.key}


class RuleViolation(StationError):
    """A decision refused by a recommendation rule (exit 1); an administrator may override hard quota rules."""

    def __init__(self, violations: list[Violation], message: str, code: str = "rule.violation"):
        super().__init__(code, message)
        self.violations = violations


class Vetoed(RuleViolation):
    """A recommendation of a vetoed work: refused like a rule violation (exit 1), and no override passes it."""

    def __init__(self, violations: list[Violation], message: str):
        super().__init__(violations, message, "score.vetoed")
