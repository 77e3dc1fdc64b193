"""Errors the user sees: a stable code for scripts and a Chinese message for people."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

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


def regular_file(path: str | os.PathLike, code: str, what: str, limit: int) -> Path:
    """PATH, when it names a regular file of at most LIMIT bytes; otherwise StationError(CODE) naming WHAT.
    A device, FIFO or socket given where a file is expected would hang its reader (/dev/zero never ends, a FIFO
    waits for a writer): it is opened without blocking and judged by fstat before any reader sees it."""
    name = os.fsdecode(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise StationError(code, f"无法读取{what}“{name}”：{e.strerror}") from None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        kind = "文件夹" if stat.S_ISDIR(st.st_mode) else "设备、管道或套接字"
        raise StationError(code, f"{what}“{name}”是{kind}，不是普通文件，不予读取")
    if st.st_size > limit:
        raise StationError(code, f"{what}“{name}”有 {st.st_size:,} 字节，超过上限 {limit:,} 字节，不予读取")
    return Path(path)


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
