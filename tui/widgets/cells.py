"""Text for the screen: user data never parsed as markup, and no ambiguous-width punctuation in messages."""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from tui.safe_text import safe

# East-Asian ambiguous-width characters that show up in messages, and 1-cell or fullwidth stand-ins.
_UNAMBIGUOUS = str.maketrans(
    {
        "“": "「",
        "”": "」",
        "‘": "'",
        "’": "'",
        "—": "-",
        "…": "...",
        "·": "・",  # a middle dot that is always 2 cells (中牟县・小学, 阿依古丽・买买提), never a full stop
        "×": "x",
        "≥": ">=",
        "≤": "<=",
        "±": "+/-",
        "•": "*",
        "▔": "-",
        "▁": "_",
        "→": "->",
        "①": "(1)",
        "②": "(2)",
        "③": "(3)",
    }
)


def message(text: str) -> str:
    """A message for the screen: control characters written out (never sent to the terminal), no ambiguous widths."""
    return safe(str(text), keep_newlines=True).translate(_UNAMBIGUOUS)


def plain(text, style: str = "") -> Text:
    """User data as literal text (a title like 作品[/b] shows as typed; an ESC or OSC shows as \\x1b)."""
    return Text("" if text is None else safe(str(text)), style=style)


# The end of a cut cell. Not "…": it is ambiguous-width (two cells on some SSH clients), and the message mapping
# above already turns it into "..." which would read as part of the text.
CUT = ">"


def fit(text: str, width: int, right: bool = False) -> str:
    """TEXT cropped or padded to exactly WIDTH display cells; a cropped text ends with CUT."""
    if width <= 0:
        return ""
    text = "" if text is None else safe(str(text).replace("\n", " ").replace("\t", " "))
    size = cell_len(text)
    if right and size < width:
        return " " * (width - size) + text
    if size > width:
        if width == 1:
            return CUT
        return set_cell_size(set_cell_size(text, width - 1).rstrip(" ") + CUT, width)
    return set_cell_size(text, width)


# Pieces a wrapped line must not split: a number with its unit (8.27 Mbps, 10-15 分钟, 00:00:08), an ASCII word.
_TOKEN = re.compile(
    r"[0-9][0-9.:x%+-]*(?:\s?(?:[A-Za-z/%]+|分钟|小时|秒|帧/秒|人|项|件|个|条|天|声道|字))?|[A-Za-z][A-Za-z0-9.+/_-]*|\s+|.",
    re.S,
)


# Punctuation a Chinese line never starts with: it takes the character before it to the next line.
_NO_LINE_START = set("，。、；：？！）」』】》〉,.;:?!)")


def wrap(text: str, width: int, indent: int = 0) -> list[str]:
    """TEXT in lines of at most WIDTH cells; continuation lines get INDENT spaces (a hanging indent)."""
    lines, line, used = [], "", 0
    limit = max(4, width)
    last = ""  # the last token on LINE
    for token in _TOKEN.findall(message(text).replace("\n", " ")):
        size = cell_len(token)
        if used + size > limit and line.strip():
            carry = ""
            if token in _NO_LINE_START and last and not last.isspace() and line[: -len(last)].strip():
                carry, line = last, line[: -len(last)]
            lines.append(line.rstrip())
            line, used = " " * indent + carry, indent + cell_len(carry)
            if token.isspace():
                continue
            limit = max(4, width)
        while size > limit - used:  # a piece longer than a whole line: cut it
            room = max(1, limit - used)
            head = set_cell_size(token, room).rstrip() or token[:1]
            lines.append(line + head)
            token = token[len(head) :]
            size = cell_len(token)
            line, used = " " * indent, indent
        line += token
        used += size
        last = token
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]
