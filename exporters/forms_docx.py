"""Print-ready Word forms (python-docx): a title, grids of label/value cells, tables, blanks for seals.

Only file-format code: the caller decides the content. Every text is set as plain runs (never fields), in
宋体 for East Asian text, A4 paper; LibreOffice and WPS open the result as is.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from exporters.files import write_atomic

FONT = "宋体"
BLANK = "　" * 8  # a full-width gap to write or stamp in


def document(landscape: bool = False):
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    section.top_margin = section.bottom_margin = Cm(2)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    return doc


def _run(paragraph, text: str, bold: bool = False, size: float | None = None):
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.name = FONT
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size:
        run.font.size = Pt(size)
    return run


def para(doc, text: str = "", bold: bool = False, size: float | None = None, align: str = "left", indent: bool = False):
    p = doc.add_paragraph()
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER}.get(
        align, WD_ALIGN_PARAGRAPH.RIGHT
    )
    if indent:
        p.paragraph_format.first_line_indent = Pt(22)
    if text:
        _run(p, text, bold=bold, size=size)
    return p


def title(doc, text: str, note: str | None = None) -> None:
    para(doc, text, bold=True, size=16, align="center")
    if note:
        para(doc, note, align="center", size=10)


def grid(doc, rows: list[list[str]], label_columns: tuple[int, ...] = (0,), heights: dict[int, float] | None = None):
    """A bordered table; cells in LABEL_COLUMNS are bold. A row shorter than the widest is merged to the right.
    HEIGHTS: row index -> minimum height in cm (for 推荐意见 or signature boxes)."""
    width = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, row in enumerate(rows):
        cells = table.rows[i].cells
        if len(row) < width:
            cells[len(row) - 1].merge(cells[width - 1])
        for j, text in enumerate(row):
            cell = table.rows[i].cells[j]
            cell.text = ""
            for n, line in enumerate(str(text).split("\n")):
                p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
                _run(p, line, bold=j in label_columns)
        if heights and i in heights:
            table.rows[i].height = Cm(heights[i])
    return table


def table(doc, header: list[str], body: list[list]) -> None:
    """A list table with a bold header row."""
    grid_rows = [header] + [["" if v is None else str(v) for v in row] for row in body]
    t = doc.add_table(rows=len(grid_rows), cols=len(header))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, row in enumerate(grid_rows):
        for j, text in enumerate(row):
            cell = t.rows[i].cells[j]
            cell.text = ""
            _run(cell.paragraphs[0], text, bold=i == 0, size=10)


def page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def save(doc, path: Path) -> None:
    """Save DOC at PATH atomically."""
    write_atomic(Path(path), lambda tmp: doc.save(str(tmp)))
