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

    @property
    def fraction(self) -> float | None:
        """How far, 0..1 (bytes when known, else DONE/TOTAL); None when the total is not known yet."""
        if self.bytes_total:
            return min(1.0, max(0.0, self.bytes_done / self.bytes_total))
        if self.total:
            return min(1.0, max(0.0, self.done / self.total))
        return None


ProgressFn = Callable[[Progress], None]
