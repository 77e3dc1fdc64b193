"""The Textual app. For now: the imported submissions of the station."""
from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header

from workflows import submissions
from workflows.station import Station

STATUS_ZH = {"imported": "已导入", "rejected": "已拒收", "superseded": "已替换"}


class StationApp(App):
    TITLE = "评审工作站"
    BINDINGS = [Binding("ctrl+q", "quit", "退出", id="quit")]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, station: Station, reviewer: str):
        super().__init__()
        self.station = station
        self.reviewer = reviewer
        self.sub_title = f"评审人：{reviewer}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("编号", "作品名称", "学段", "学校", "教师", "状态", "问题")
        for r in submissions.listing(self.station):
            problems = sum(1 for f in r["findings"] if f["status"] in ("fail", "warn"))
            table.add_row(str(r["id"]), Text(r["title"]), Text(r["stage"] or ""), Text(r["school"] or ""),
                          Text("、".join(r["authors"][:1])), STATUS_ZH.get(r["status"], r["status"]),
                          Text(f"{problems} 项" if problems else "无", style="red" if problems else "green"))
