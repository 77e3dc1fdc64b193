"""Import, then quick-check: the one use case behind `station import` and the TUI's import job.

The quick checks run for every current work of the import's sources that has none yet, not only for the works
this run saved: a run killed between saving works and checking them (or while checking) leaves works that a
re-run finds unchanged, and the re-run must still check them. A work has been checked once it has findings of
source 'check' (every profile's rules give at least a pass or skip per work).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from workflows import campaigns
from workflows.checks import run as checks
from workflows.ingest import ftp
from workflows.ingest import importer as ingest
from workflows.progress import ProgressFn
from workflows.station import Station


@dataclass
class Intake:
    summary: ingest.Summary
    checks: dict | None = None  # finding status -> count, when the quick checks ran
    checked: list[int] = field(default_factory=list)  # works checked by this run

    def as_dict(self) -> dict:
        data = self.summary.as_dict()
        if self.checks is not None:
            data["checks"] = self.checks
        data["checked"] = list(self.checked)
        return data


def run(
    station: Station,
    sources: list[str],
    campaign: str | None = None,
    *,
    force: bool = False,
    check: bool = True,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Intake:
    station.objects.clean_tmp()  # what a killed import left half-written
    summary = ingest.run(station, list(sources), campaign, force=force, progress=progress, cancelled=cancelled)
    result = Intake(summary)
    if not check or (cancelled and cancelled()):
        return result
    ids = unchecked(station, sources, campaign, summary.ids)
    if ids:
        done = checks.run(station, ids=ids, progress=progress, cancelled=cancelled)
        result.checks, result.checked = done.findings, done.ids
    return result


def unchecked(station: Station, sources: list[str], campaign: str | None, new: list[int]) -> list[int]:
    """The works to quick-check: those this run saved, and current works from the same sources without checks."""
    camp = campaigns.get(station, campaign)
    labels = [ftp.redact(s) if s.startswith("ftp://") else str(Path(s).resolve()) for s in sources]
    marks = ",".join("?" * len(labels))
    db = station.db()
    rows = db.execute(
        f"SELECT s.id FROM submissions s WHERE s.campaign_id = ? AND s.status = 'imported' AND s.source IN ({marks}) "
        "AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.submission_id = s.id AND f.source = 'check') ORDER BY s.id",
        [camp["id"], *labels],
    ).fetchall()
    ids = sorted(set(new) | {r[0] for r in rows})
    if not ids and camp.get("checked_with") is None:  # killed after the last work's checks, before the campaign's mark
        last = db.execute(
            f"SELECT MAX(id) FROM submissions WHERE campaign_id = ? AND status = 'imported' AND source IN ({marks})",
            [camp["id"], *labels],
        ).fetchone()[0]
        ids = [last] if last else []
    return ids
