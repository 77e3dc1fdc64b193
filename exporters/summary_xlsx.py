"""汇总表: one row per recommended work, as the city expects it from a county (openpyxl, write-only)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

COLUMNS = [("序号", 6), ("作品编号", 10), ("作品名称", 40), ("作者", 20), ("学校/单位", 30), ("学段", 8),
           ("学科", 10), ("年级", 8), ("项目", 16), ("县级意见", 10), ("推荐理由", 30), ("审核人", 12),
           ("审核时间", 20), ("文件数", 8), ("大小（MB）", 12)]
DECISION_ZH = {"recommend": "推荐", "reject": "不推荐", "fix": "需修改", "pending": "待定"}


def write(path: Path, title: str, rows: list[dict]) -> None:
    """ROWS: submissions as `store.queries.submissions` returns them, plus `decision_row` (the latest decision)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("汇总表")
    for i, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.append([_bold(ws, title)])
    ws.append([_bold(ws, name) for name, _ in COLUMNS])
    for n, s in enumerate(rows, 1):
        d = s.get("decision_row") or {}
        ws.append([n, s["id"], s["title"], "、".join(s["authors"]), s["school"] or "", s["stage"] or "",
                   s["subject"] or "", s["grade"] or "", s["project"] or "", DECISION_ZH.get(d.get("value"), d.get("value")),
                   d.get("reason") or "", d.get("reviewer") or "", (d.get("decided_at") or "")[:19],
                   len(s["files"]), round(sum(f["size"] for f in s["files"]) / 2**20, 1)])
    wb.save(path)


def _bold(ws, text: str):
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    return cell
