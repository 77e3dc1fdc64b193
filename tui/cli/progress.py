"""The import progress bar on a terminal (counts and bytes)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from tui.cli.kit import safe


class ImportBar:
    def __init__(self):
        self.bar = Progress(
            TextColumn("{task.fields[count]}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[name]}", markup=False),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = None

    def __enter__(self):
        self.bar.__enter__()
        self.task = self.bar.add_task("import", total=None, count="", name="")
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def update(self, p) -> None:
        """Show a workflows.progress.Progress: the import's packages and bytes, then the quick checks' file."""
        if p.job == "check":
            self.bar.update(self.task, name=safe(f"快速检查 {p.item}"))
            return
        self.bar.update(
            self.task,
            total=p.bytes_total or None,
            completed=p.bytes_done,
            count=f"{int(p.done)}/{int(p.total)}" if p.total else "",
            name=safe(p.item),
        )
