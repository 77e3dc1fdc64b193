"""Text from teachers, made safe to show in a terminal: the one escaping the CLI and the TUI both use.

A light module on purpose: `station --version` imports it and nothing else of the project's storage.
"""

from __future__ import annotations

import re

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
