"""退回修改通知: one sheet per work listing what to fix, in plain language, for the school."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from exporters.xlsx import append, save, sheet_name
from store.labels import FINDING_ZH as STATUS_ZH

HEADER = ["序号", "问题", "涉及文件", "实测", "要求", "依据", "修改方法"]
WIDTHS = [6, 60, 24, 22, 22, 30, 60]


def write(rows: list[dict], path: Path) -> dict:
    """One sheet per work of ROWS (`store.queries.submissions` rows with their findings) into PATH."""
    wb = Workbook()
    wb.remove(wb.active)
    problems = 0
    used: set[str] = set()
    for r in rows:
        ws = wb.create_sheet(sheet_name(f"{r['id']} {r['title']}", used))
        bad = [f for f in r["findings"] if f["status"] in ("fail", "warn")]
        problems += len(bad)
        append(ws, [f"退回修改通知：{r['title']}"])
        ws["A1"].font = Font(bold=True, size=14)
        append(
            ws,
            [
                f"编号 #{r['id']}　学校：{r['school'] or '未填写'}　教师：{'、'.join(r['authors']) or '未填写'}"
                f"　征集活动：{r['campaign']}"
            ],
        )
        append(
            ws,
            [
                "以下问题须修改后重新报送；“警告”项请核实。原始文件未作任何改动。"
                if bad
                else "技术检查全部通过，无需修改。"
            ],
        )
        append(ws, HEADER)
        for cell in ws[4]:
            cell.font = Font(bold=True)
        for n, f in enumerate(sorted(bad, key=lambda f: f["status"] != "fail"), 1):
            append(
                ws,
                [
                    n,
                    f"【{STATUS_ZH[f['status']]}】{f['message']}",
                    f["file"] or "",
                    f["measured"] or "",
                    f["expected"] or "",
                    f.get("clause") or "",
                    _how(f),
                ],
            )
        for col, width in zip("ABCDEFG", WIDTHS):
            ws.column_dimensions[col].width = width
        for row in ws.iter_rows(min_row=5):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    save(wb, path)
    return {"path": str(path), "works": len(rows), "problems": problems}


def _how(f: dict) -> str:
    if f.get("fix"):
        return f"可用以下命令生成合规副本（不改动原文件）：\n{f['fix']}"
    return "请按要求修改后重新报送"
