"""Reading submissions for people and scripts."""

from __future__ import annotations

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
