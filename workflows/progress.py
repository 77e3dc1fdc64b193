"""One progress report for every long job (import, checks, export, receive, verify, fix, FTP download).

A use case takes `progress: ProgressFn | None` and calls it with a `Progress`; the CLI's bars and the TUI's jobs
screen read the same fields, whatever the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    job: str  # "import", "check", "export", "receive", "verify", "fix", "ftp"
    done: float = 0  # in UNIT: works or packages, files, or estimated seconds of work
    total: float = 0
    unit: str = "件"
    bytes_done: int = 0
    bytes_total: int = 0
    item: str = ""  # the package, work or file being handled now
    speed: float = 0.0  # times real time, for media decoding
    step: str = ""  # the step of the job the item is in (a check tier: M, P, T, A, V)
    item_fraction: float | None = None  # how far that step is with the item, 0..1

    @property
    def fraction(self) -> float | None:
        """How far, 0..1 (bytes when known, else DONE/TOTAL); None when the total is not known yet."""
        if self.bytes_total:
            return min(1.0, max(0.0, self.bytes_done / self.bytes_total))
        if self.total:
            return min(1.0, max(0.0, self.done / self.total))
        return None


ProgressFn = Callable[[Progress], None]


def files_progress(job: str, progress: ProgressFn | None) -> Callable[[int, int, int, int], None] | None:
    """The bundle exporters' raw callback (bytes done, bytes total, files done, files total) as PROGRESS reports."""
    if progress is None:
        return None

    def report(bytes_done: int, bytes_total: int, files_done: int, files_total: int) -> None:
        progress(Progress(job, files_done, files_total, "个文件", bytes_done, bytes_total))

    return report


def bytes_progress(job: str, progress: ProgressFn | None) -> Callable[[int], None] | None:
    """A raw callback that counts bytes read (N at a time) as PROGRESS reports."""
    if progress is None:
        return None
    seen = [0]

    def report(n: int) -> None:
        seen[0] += n
        progress(Progress(job, bytes_done=seen[0]))

    return report
