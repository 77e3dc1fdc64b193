"""The Chinese names of the values the store holds (decisions, finding and submission statuses), and sizes.

One home for every screen, command and file that shows them.
"""

from __future__ import annotations

import re

DECISION_ZH = {"recommend": "推荐", "reject": "不推荐", "fix": "需修改", "pending": "待定", None: "未审"}
FINDING_ZH = {"pass": "通过", "warn": "警告", "fail": "不通过", "skip": "不适用"}
SUBMISSION_ZH = {"imported": "已导入", "rejected": "已拒收", "superseded": "已替换"}


def size_text(n: float) -> str:
    """1536 -> '1.5 KB' (binary units, as file managers on Chinese Windows show them)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


# --- text from teachers, made safe to show in a terminal --------------------------------------------------

# C0 and C1 controls (ESC, CSI, OSC's BEL, CR, BS, …), DEL and the bidirectional overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match) -> str:
    c = m.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def safe(text: object, keep_newlines: bool = False) -> str:
    """TEXT with every control character written out visibly (`\\x1b`, `\\r`, …); newlines kept if asked."""
    return (_UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE).sub(_escape_char, str(text))
