"""Reading a city's 推荐名额分配表 as it really comes: title rows, merged headers, totals rows,
regions down and 学段/项目 across or the other way round, or one row per quota.

The result is a list of entries {region, project, stage, subject, max, min, cell}; anything
that cannot be understood is refused naming the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from workflows.errors import StationError, regular_file
from workflows.rules import stages

STAGES = stages.SYNONYMS  # 学段 synonyms (幼儿园/学前教育 -> 学前, 普通高中 -> 高中 …), one table for the station
DIMENSION_WORDS = {
    "region": ("县区", "县（区）", "县(市、区)", "地区", "区县", "县市区", "地市", "市", "单位", "县"),
    "stage": ("学段",),
    "subject": ("学科",),
    "project": ("项目", "类别", "类型", "资源类别", "组别", "参赛项目"),
}
MAX_WORDS = ("推荐名额", "名额", "最多", "上限", "限额", "指标", "数量", "推荐数")
MIN_WORDS = ("最少", "至少", "不少于", "下限", "最低")
TOTAL = re.compile(r"合\s*计|小\s*计|总\s*计|总\s*数")
SKIP_HEADERS = ("序号", "编号", "备注")
NUMBER = re.compile(r"^\s*(\d+)\s*(名|个|件|项)?\s*$")
QUOTA_MAX_BYTES = 64 * 2**20
MAX_QUOTA = 100_000  # more works than any county submits: beyond it a cell is a typo or hostile
MAX_ROWS, MAX_COLS = 5_000, 500  # the used range read, whatever the sheet's <dimension> claims


@dataclass
class Entry:
    region: str | None = None
    project: str | None = None
    stage: str | None = None
    subject: str | None = None
    max: int | None = None
    min: int | None = None
    cell: str = ""

    def key(self) -> tuple:
        return (self.region, self.project, self.stage, self.subject)


@dataclass
class Table:
    entries: list[Entry]
    layout: str  # "wide" (keys across) or "long" (one row per quota)
    dimensions: list[str]
    skipped: list[str] = field(default_factory=list)  # totals rows and columns, by cell


def _refuse(message: str) -> StationError:
    return StationError("quota.unreadable", f"名额分配表无法识别：{message}")


def _used(ws) -> tuple[int, int]:
    """The last row and column holding a value (not what <dimension> or empty styled cells claim)."""
    rows = cols = 0
    for (r, c), cell in ws._cells.items():
        if cell.value is not None:
            rows, cols = max(rows, r), max(cols, c)
    return rows, cols


def _grid(ws) -> list[list]:
    max_row, max_col = _used(ws)
    if max_row > MAX_ROWS or max_col > MAX_COLS:
        raise _refuse(f"单元格 {_cell(max_row - 1, max_col - 1)} 超出可读范围（最多 {MAX_ROWS} 行、{MAX_COLS} 列）")
    rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=max_row, max_col=max_col, values_only=True)]
    for rng in ws.merged_cells.ranges:
        if rng.min_row > max_row or rng.min_col > max_col:
            continue
        value = rows[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row - 1, min(rng.max_row, max_row)):
            for c in range(rng.min_col - 1, min(rng.max_col, max_col)):
                rows[r][c] = value
    width = max((len(r) for r in rows), default=0)
    return [[_clean(v) for v in r] + [None] * (width - len(r)) for r in rows]


def _clean(v):
    if isinstance(v, str):
        v = re.sub(r"\s+", "", v)
        return v or None
    return v


def _number(v) -> int | None:
    """An integer from a cell; huge values come back as they are (refused by _value, naming the cell)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():  # inf and nan are not integers
        return int(v)
    if isinstance(v, str):
        m = NUMBER.match(v)
        return int(m[1]) if m else None
    return None


def _cell(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter  # openpyxl is loaded only when a table is read (start-up time)

    return f"{get_column_letter(c + 1)}{r + 1}"


def _dimension_of_header(text: str | None) -> str | None:
    if not text:
        return None
    for dim, words in DIMENSION_WORDS.items():
        if any(text == w or text.startswith(w) for w in words):
            return dim
    return None


def _dimension_of_values(values: list[str]) -> str:
    if values and all(v in STAGES for v in values):
        return "stage"
    if values and all(re.search(r"(区|县|市|旗)$", v) for v in values):
        return "region"
    return "project"


def read(path: Path) -> Table:
    import openpyxl  # only when a table is read: the TUI's overview imports this module at start-up

    from workflows.ingest import forms  # docx, openpyxl and the archive readers: only when a table is read

    regular_file(path, "quota.unreadable", "名额分配表", QUOTA_MAX_BYTES)  # never a device or a FIFO
    try:
        forms.check_package(path)  # sizes, bombs, DTDs refused before openpyxl (with defusedxml) parses
        wb = openpyxl.load_workbook(path, data_only=True)
    except forms.FormError as e:
        raise StationError("quota.unreadable", f"无法打开名额分配表 {path.name}：{e}") from e
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise StationError("quota.unreadable", f"无法打开名额分配表 {path.name}：{e}") from e
    grids = [_grid(ws) for ws in wb.worksheets]
    grid = next((g for g in grids if any(_number(v) is not None for r in g for v in r)), None)
    if grid is None:
        raise _refuse("表中没有任何数字")
    return parse(grid)


def parse(grid: list[list]) -> Table:
    width = len(grid[0]) if grid else 0
    text_cols_of = lambda row: [c for c, v in enumerate(row) if v is not None and _number(v) is None]  # noqa: E731
    # the first data row: a text label and at least one number (a 序号 column alone does not count)
    first = None
    for r, row in enumerate(grid):
        nums = [c for c, v in enumerate(row) if _number(v) is not None]
        if nums and text_cols_of(row) and len(nums) + len(text_cols_of(row)) >= 2:
            first = r
            break
    if first is None:
        raise _refuse("找不到数据行（应有名称和数字）")
    # header rows: the rows with two or more distinct cells just above the data (titles span the table)
    header_rows: list[int] = []
    for r in range(first - 1, -1, -1):
        distinct = {v for v in grid[r] if v is not None}
        if len(distinct) < 2 or len(header_rows) == 3:
            break
        header_rows.insert(0, r)
    if not header_rows:
        raise _refuse(f"第 {first + 1} 行上方没有表头")
    headers = []
    for c in range(width):
        parts = []
        for r in header_rows:
            v = grid[r][c]
            if v is not None and str(v) not in parts:
                parts.append(str(v))
        headers.append(parts)
    data = [r for r in range(first, len(grid)) if any(v is not None for v in grid[r])]
    skipped = []
    label_cols, value_cols = [], []
    body = [r for r in data if not _is_total_row(grid[r])]
    usable = [c for c in range(width) if not (headers[c] and any(headers[c][-1].startswith(w) for w in SKIP_HEADERS))]
    numeric_cols = [c for c in usable if any(_number(grid[r][c]) is not None for r in body)]
    first_value = min(numeric_cols, default=width)
    for c in usable:
        leaf = headers[c][-1] if headers[c] else None
        if headers[c] and any(TOTAL.search(h) for h in headers[c]):
            skipped.append(f"{_cell(header_rows[-1], c)}（{leaf}）")
            continue
        if not headers[c] and all(grid[r][c] is None for r in body):
            continue
        if c < first_value or (_dimension_of_header(leaf) and c not in numeric_cols):
            label_cols.append(c)
        else:
            value_cols.append(c)
    if not value_cols:
        raise _refuse("找不到名额数字所在的列")
    if not label_cols:
        raise _refuse(f"第 {first + 1} 行起没有名称列（县区、学段或项目）")
    rows = []
    for r in data:
        if _is_total_row(grid[r]):
            skipped.append(f"第 {r + 1} 行（{next(v for v in grid[r] if isinstance(v, str) and TOTAL.search(v))}）")
            continue
        rows.append(r)
    # what each label column holds
    label_dims = {}
    for c in label_cols:
        dim = _dimension_of_header(headers[c][-1] if headers[c] else None)
        if dim is None:
            dim = _dimension_of_values([str(grid[r][c]) for r in rows if grid[r][c] is not None])
        label_dims[c] = dim
    measures = {c: m for c in value_cols if (m := _measure(headers[c]))}
    entries: list[Entry] = []
    if measures:  # long: one quota per row, measures across
        layout = "long"
        for r in rows:
            e = Entry(cell=_cell(r, min(measures)))
            for c, dim in label_dims.items():
                if grid[r][c] is not None:
                    setattr(e, dim, _norm(dim, str(grid[r][c])))
            for c, m in measures.items():
                setattr(e, m, _value(grid, r, c))
            if e.max is not None and e.min is not None and e.min > e.max:
                lo = _cell(r, next(c for c, m in measures.items() if m == "min"))
                hi = _cell(r, next(c for c, m in measures.items() if m == "max"))
                raise _refuse(f"第 {r + 1} 行的最少名额 {e.min}（{lo}）大于最多名额 {e.max}（{hi}）")
            if e.max is not None or e.min is not None:
                entries.append(e)
        dims = sorted(set(label_dims.values()))
    else:  # wide: every number is a quota for (row labels, column header)
        layout = "wide"
        col_dims = {}
        leaves = [headers[c][-1] if headers[c] else "" for c in value_cols]
        parent = {c: (headers[c][0] if len(headers[c]) > 1 else None) for c in value_cols}
        for c in value_cols:
            dim = _dimension_of_header(parent[c])
            if dim is None:
                dim = _dimension_of_values(leaves)
            if not headers[c]:
                raise _refuse(f"{_cell(header_rows[-1], c)} 列没有表头，无法判断名额属于哪一类")
            col_dims[c] = dim
        for r in rows:
            for c in value_cols:
                value = _value(grid, r, c)
                if value is None:
                    continue
                e = Entry(max=value, cell=_cell(r, c))
                for lc, dim in label_dims.items():
                    if grid[r][lc] is not None:
                        setattr(e, dim, _norm(dim, str(grid[r][lc])))
                setattr(e, col_dims[c], _norm(col_dims[c], headers[c][-1]))
                entries.append(e)
        dims = sorted(set(label_dims.values()) | set(col_dims.values()))
    if not entries:
        raise _refuse("没有读到任何名额")
    seen: dict[tuple, str] = {}
    for e in entries:
        if e.key() in seen:
            raise _refuse(f"{e.cell} 与 {seen[e.key()]} 是同一类别的名额，重复了")
        seen[e.key()] = e.cell
    return Table(entries, layout, dims, skipped)


def _is_total_row(row) -> bool:
    return any(isinstance(v, str) and TOTAL.search(v) for v in row)


def _measure(parts: list[str]) -> str | None:
    text = "".join(parts)
    if any(w in text for w in MIN_WORDS):
        return "min"
    if any(w in text for w in MAX_WORDS) and not any(p in STAGES for p in parts):
        return "max"
    return None


def _value(grid, r, c) -> int | None:
    v = grid[r][c]
    if v is None or v == "-" or v == "—" or v == "/":
        return None
    n = _number(v)
    if n is None:
        raise _refuse(f"单元格 {_cell(r, c)} 的内容“{v}”不是名额数字")
    if n < 0:
        raise _refuse(f"单元格 {_cell(r, c)} 的名额 {n} 是负数")
    if n > MAX_QUOTA:
        raise _refuse(f"单元格 {_cell(r, c)} 的名额“{v}”过大（上限 {MAX_QUOTA}），请核对")
    return n


def _norm(dim: str, value: str) -> str:
    return (stages.key(value) or value) if dim == "stage" else value
