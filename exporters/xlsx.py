"""What every xlsx the station writes shares: sheet names, display widths, rows of text that never
become formulas, atomic saving."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from exporters.files import write_atomic

SHEET_MAX = 31
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name from TEXT (Excel: at most 31 characters, none of []:*?/\\)."""
    name = _SHEET_BAD.sub("_", text or "未分类")[:SHEET_MAX] or "未分类"
    base, n = name, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[: SHEET_MAX - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def cells(text: str) -> int:
    """Display width in terminal cells / spreadsheet character widths: CJK wide and full-width count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def append(ws, values) -> None:
    """Append VALUES as the next row of WS, every string written as a string: teacher text such as
    `=HYPERLINK("http://…","点击")` must never become a live formula (openpyxl turns any str starting
    with '=' into one). Every writer of the station appends its rows through here."""
    ws.append(values)
    for cell in ws[ws._current_row] if values else ():
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def save(wb, path: Path) -> None:
    """Save workbook WB to PATH atomically (a killed process leaves no half-written xlsx)."""
    write_atomic(Path(path), lambda tmp: wb.save(tmp))
