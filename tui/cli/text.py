"""Plain-text tables measured in terminal cells, not characters."""

from __future__ import annotations

from rich.cells import cell_len


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(cell_len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(pad(str(c), w) for c, w in zip(r, widths)).rstrip() for r in [header] + rows]
    return "\n".join(lines)
