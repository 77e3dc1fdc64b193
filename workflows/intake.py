"""Import and quick checks as one use case: `station import` and the TUI's 导入 call this same function.

The quick checks (the default tiers of `workflows.checks.run`) run on the works the import created or
replaced, so a front end can never show 未检 for works it has just imported while saying 问题 0 条.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from workflows.checks import run as checks
from workflows.ingest import importer
from workflows.station import Station


@dataclass
class Result:
    imported: importer.Summary
    checks: checks.Summary | None = None  # None: not asked for, nothing new, or cancelled before

    def as_dict(self) -> dict:
        data = self.imported.as_dict()
        if self.checks is not None:
            data["checks"] = self.checks.findings
        return data


def run(
    station: Station,
    sources: list[str],
    campaign: str | None = None,
    *,
    force: bool = False,
    check: bool = True,
    progress: Callable[[importer.Progress], None] | None = None,
    check_progress: checks.ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Result:
    """Import SOURCES into CAMPAIGN, then run the quick checks on what came in (unless CHECK is False)."""
    summary = importer.run(station, sources, campaign, force=force, progress=progress, cancelled=cancelled)
    result = Result(summary)
    if check and summary.ids and not (cancelled and cancelled()):
        result.checks = checks.run(station, ids=summary.ids, progress=check_progress, cancelled=cancelled)
    return result
