"""The log of long jobs (import, checks, export) started from the TUI, kept in the station database with
their dates, and small per-station settings (the campaign last chosen on each jobs screen)."""

from __future__ import annotations

import store
from store import audit
from workflows.station import Station

# A job still 'running' in the log after its process died is shown as such; at most this many are listed.
RECENT = 10


def start(station: Station, kind: str, campaign: str | None, reviewer: str) -> int:
    db = station.db()
    with store.write(db):
        cursor = db.execute(
            "INSERT INTO job_log (kind, campaign, reviewer, state, started_at) VALUES (?, ?, ?, 'running', ?)",
            [kind, campaign, reviewer, audit.now()],
        )
        return int(cursor.lastrowid or 0)


def finish(station: Station, job_id: int, state: str, summary: str = "") -> None:
    db = station.db()
    with store.write(db):
        db.execute(
            "UPDATE job_log SET state = ?, summary = ?, finished_at = ? WHERE id = ?",
            [state, summary, audit.now(), job_id],
        )


def recent(station: Station, limit: int = RECENT) -> list[dict]:
    """The newest LIMIT jobs, newest first."""
    rows = station.db().execute(
        "SELECT id, kind, campaign, reviewer, state, summary, started_at, finished_at FROM job_log"
        " ORDER BY id DESC LIMIT ?",
        [limit],
    )
    names = ["id", "kind", "campaign", "reviewer", "state", "summary", "started_at", "finished_at"]
    return [dict(zip(names, row)) for row in rows.fetchall()]


def setting(station: Station, key: str) -> str | None:
    row = station.conn().execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_setting(station: Station, key: str, value: str) -> None:
    db = station.db()
    with store.write(db):
        db.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [key, value, audit.now()],
        )
