"""Reading submissions for people and scripts."""

from __future__ import annotations

from pathlib import Path

from store import audit, queries
from workflows import campaigns
from workflows.errors import StationError
from workflows.station import Station


def listing(station: Station, campaign: str | None = None) -> list[dict]:
    campaign_id = campaigns.get(station, campaign)["id"] if campaign else None
    return queries.submissions(station.db(), campaign_id=campaign_id)


def show(station: Station, submission_id: int) -> dict:
    found = queries.submissions(station.db(), ids=[submission_id])
    if not found:
        raise StationError("submission.unknown", f"没有编号为 {submission_id} 的作品")
    item = found[0]
    item["history"] = audit.entries(station.db(), subject=f"submission:{submission_id}")
    return item


def return_notice(station: Station, ids: list[int], path: Path) -> dict:
    """退回修改通知 for IDS: what each school must fix, one sheet per work, written to PATH (xlsx)."""
    rows = queries.submissions(station.db(), ids=ids)
    missing = sorted(set(ids) - {r["id"] for r in rows})
    if missing:
        raise StationError("submission.unknown", f"没有编号为 {'、'.join(map(str, missing))} 的作品")
    from exporters import report  # openpyxl: loaded only when a notice is written

    return report.write(rows, Path(path))


def findings(station: Station, submission_id: int) -> list[dict]:
    """The work's findings, failures first, each with the path of the file it concerns."""
    return list(
        station.db().query(
            "SELECT f.*, fl.path AS file_path FROM findings f LEFT JOIN files fl ON fl.id = f.file_id "
            "WHERE f.submission_id = ? ORDER BY CASE f.status WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 "
            "WHEN 'pass' THEN 2 ELSE 3 END, f.rule",
            [submission_id],
        )
    )


def personal_names(station: Station) -> list[str]:
    """Every school, teacher and unit name in the station, longest first: what an anonymous reviewer must not
    see in any text (a finding about another work names that work's school too)."""
    names: set[str] = set()
    db = station.db()
    for (school,) in db.execute("SELECT DISTINCT school FROM submissions WHERE COALESCE(school, '') != ''"):
        names.add(school)
    for name, unit in db.execute("SELECT DISTINCT name, unit FROM authors"):
        names.update(v for v in (name, unit) if v)
    return sorted((n for n in names if len(n) >= 2), key=len, reverse=True)
