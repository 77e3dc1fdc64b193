"""One-sheet xlsx tables in a notice's own columns (汇总表, 资源列表), with a title and a 盖章/日期 footer.

Every text cell is written as a string (`data_type = "s"`), so a teacher's `=HYPERLINK(...)` stays text
and never becomes a formula.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exporters.xlsx import cells as cell_len
from exporters.xlsx import save

MIN_WIDTH, MAX_WIDTH = 6, 50


def put(ws, row: int, column: int, value):
    """Write VALUE into a cell; text always as text (never a formula)."""
    cell = ws.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def write(
    path: Path,
    title: str,
    header: list[str],
    body: list[list],
    footer: tuple[str, ...] | list[str] = (),
    sheet: str = "汇总表",
):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    put(ws, 1, 1, title).font = Font(bold=True, size=14)
    if len(header) > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for j, name in enumerate(header, 1):
        c = put(ws, 2, j, name)
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, row in enumerate(body, 3):
        for j, value in enumerate(row, 1):
            put(ws, i, j, value).alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A3"
    r = len(body) + 4
    for line in footer:
        put(ws, r, 1, line)
        if len(header) > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
        r += 1
    for j, name in enumerate(header):
        width = max([cell_len(name)] + [cell_len("" if row[j] is None else str(row[j])) for row in body])
        ws.column_dimensions[get_column_letter(j + 1)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    save(wb, Path(path))
