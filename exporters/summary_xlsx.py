"""汇总表: one row per recommended work, as the city expects it from a county (openpyxl).

One sheet per 项目/类别 when the works mix them (else one sheet 汇总表), a title row, a frozen
header, column widths fitted to CJK text in display cells, and a 名额使用 sheet when quota use is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exporters.xlsx import append, save, sheet_name  # noqa: F401
from exporters.xlsx import cells as cell_len
from store.labels import DECISION_ZH

MIN_WIDTH, MAX_WIDTH = 6, 60
QUOTA_COLUMNS = ["名额", "已推荐", "上限", "下限", "尚缺", "超出"]


def check_result(findings: list[dict]) -> str:
    """技术检查结论: 通过, n 项不通过, or 未检查 when no check ran."""
    if not findings:
        return "未检查"
    failed = sum(1 for f in findings if f["status"] == "fail")
    return f"{failed} 项不通过" if failed else "通过"


def columns(rows: list[dict]) -> list[tuple[str, Any]]:
    """The issue's column spec; 课程节点编号 and 得分/排名 only where some work has them."""
    cols = [
        ("序号", None),
        ("作品名称", lambda s: s["title"]),
        ("项目/类别", lambda s: s.get("project") or ""),
        ("学段", lambda s: s.get("stage") or ""),
        ("学科", lambda s: s.get("subject") or ""),
        ("年级", lambda s: s.get("grade") or ""),
        ("作者", lambda s: "、".join(s.get("authors") or [])),
        ("所在单位", lambda s: s.get("school") or ""),
        ("联系电话", lambda s: s.get("contact") or ""),
    ]
    if any(s.get("node_code") for s in rows):
        cols.append(("课程节点编号", lambda s: s.get("node_code") or ""))
    cols.append(("技术检查结论", lambda s: check_result(s.get("findings") or [])))
    if any(s.get("score") is not None for s in rows):
        cols += [("得分", lambda s: s.get("score")), ("排名", lambda s: s.get("rank"))]
    cols += [("推荐意见", _opinion), ("备注", lambda s: "；".join(s.get("remarks") or []))]
    return cols


def _opinion(s: dict) -> str:
    if s.get("opinion"):
        return s["opinion"]
    d = s.get("decision_row") or {}
    word = DECISION_ZH.get(d.get("value") or s.get("decision"), "推荐")
    return f"{word}：{d['reason']}" if d.get("reason") else word


def write(path: Path, title: str, rows: list[dict], quota: dict | None = None) -> list[str]:
    """ROWS: submissions as `store.queries.submissions` returns them, optionally with `decision_row`
    (the latest decision), `score`, `rank`, `opinion` and `remarks` (list of text). QUOTA: `quotas.status`.
    Returns the sheet names."""
    wb = Workbook()
    wb.remove(wb.active)
    projects = list(dict.fromkeys(s.get("project") or "" for s in rows))
    taken: set[str] = set()
    groups = (
        [(p, [s for s in rows if (s.get("project") or "") == p]) for p in projects]
        if len(projects) > 1
        else [("汇总表", rows)]
    )
    for name, group in groups:
        ws = wb.create_sheet(sheet_name(name if len(groups) == 1 else name or "未分类", taken))
        cols = columns(group)
        header = [c[0] for c in cols]
        body = [[n] + [fn(s) for _, fn in cols[1:]] for n, s in enumerate(group, 1)]
        _table(ws, f"{title}（{name}）" if len(groups) > 1 else title, header, body)
    if quota is not None:
        ws = wb.create_sheet(sheet_name("名额使用", taken))
        body = [
            [e["label"], e["used"], _blank(e["max"]), _blank(e["min"]), e["missing"], e["over"]]
            for e in quota.get("entries", [])
        ]
        _table(
            ws,
            f"{title} 名额使用（已推荐 {quota.get('recommended', 0)} 件，其中不占名额 {quota.get('exempt', 0)} 件）",
            QUOTA_COLUMNS,
            body,
        )
        problems = quota.get("violations", [])
        if problems:
            append(ws, [])
            append(ws, ["规则检查"])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
            for v in problems:
                state = "已特批" if v.get("overridden") else "必须解决" if v["hard"] else "尚缺"
                append(ws, [f"[{state}] {v['message']}"])
    if not wb.worksheets:
        wb.create_sheet("汇总表")
    save(wb, path)
    return [ws.title for ws in wb.worksheets]


def _blank(v):
    return "不限" if v is None else v


def _table(ws, title: str, header: list[str], body: list[list]) -> None:
    append(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    if len(header) > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    append(ws, header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in body:
        append(ws, row)
    ws.freeze_panes = "A3"
    for i, name in enumerate(header):
        width = max([cell_len(name)] + [cell_len(_text(r[i])) for r in body])
        ws.column_dimensions[get_column_letter(i + 1)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))


def _text(v) -> str:
    return "" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
