"""Text for the screen: user data never parsed as markup, and no ambiguous-width punctuation in messages."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

# East-Asian ambiguous-width characters that show up in messages, and 1-cell or fullwidth stand-ins.
_UNAMBIGUOUS = str.maketrans({"“": "「", "”": "」", "‘": "'", "’": "'", "—": "-", "…": "...", "·": ".", "×": "x"})


def message(text: str) -> str:
    return str(text).translate(_UNAMBIGUOUS)


def plain(text, style: str = "") -> Text:
    """User data as literal text (a title like 作品[/b] shows as typed)."""
    return Text("" if text is None else str(text), style=style)


def fit(text: str, width: int, right: bool = False) -> str:
    """TEXT cropped or padded to exactly WIDTH display cells."""
    if width <= 0:
        return ""
    text = "" if text is None else str(text).replace("\n", " ").replace("\t", " ")
    if right and cell_len(text) < width:
        return " " * (width - cell_len(text)) + text
    return set_cell_size(text, width)
