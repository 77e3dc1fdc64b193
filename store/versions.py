"""One place that saves a version of a work: ingest (a package read from a share) and receive (a work
carried by a bundle) both call `save_version` inside their write transaction. A work is identified by
(campaign, source_key); a fingerprint equal to the current version's means nothing changed; otherwise the
current version is superseded and the new one gets the next version number, with its authors, files and
findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Sequence

import sqlite_utils

COLUMNS = (
    "title",
    "project",
    "stage",
    "subject",
    "grade",
    "school",
    "county",
    "county_source",
    "contact",
    "node_code",
    "original",
    "layout",
)


@dataclass
class Saved:
    id: int
    version: int
    supersedes: int | None
    file_ids: dict[str, int] = field(default_factory=dict)  # path -> files.id


def current(db: sqlite_utils.Database, campaign_id: int, source_key: str) -> tuple[int, str, int] | None:
    """(id, fingerprint, version) of the work's current version."""
    return db.execute(
        "SELECT id, fingerprint, version FROM submissions WHERE campaign_id = ? AND source_key = ? "
        "AND status != 'superseded' ORDER BY version DESC LIMIT 1",
        [campaign_id, source_key],
    ).fetchone()


def save_version(
    db: sqlite_utils.Database,
    campaign_id: int,
    source_key: str,
    fingerprint: str,
    values: dict,
    *,
    meta: dict,
    source: str,
    at: str,
    status: str = "imported",
    authors: Sequence[tuple[str, str | None, str | None]] = (),
    files: Sequence[dict] = (),
    findings: Sequence[dict] = (),
) -> Saved | None:
    """Save a new version, or return None when the current one has the same FINGERPRINT.

    VALUES: the submission columns of COLUMNS; AUTHORS: (name, role, unit); FILES: dicts with path, size, sha256,
    kind, role and listing (JSON text or None); FINDINGS: dicts with rule, status, measured, expected, message and
    file (a path of FILES or None). Must run inside the caller's write transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("save_version must run inside a write transaction")
    cur = current(db, campaign_id, source_key)
    if cur and cur[1] == fingerprint:
        return None
    if cur:
        db.execute("UPDATE submissions SET status = 'superseded' WHERE id = ?", [cur[0]])
    version = cur[2] + 1 if cur else 1
    sub_id = _rowid(
        db,
        f"INSERT INTO submissions (campaign_id, source_key, version, fingerprint, {', '.join(COLUMNS)}, meta, source, "
        f"imported_at, status) VALUES ({','.join('?' * (len(COLUMNS) + 8))})",
        [
            campaign_id,
            source_key,
            version,
            fingerprint,
            *[values.get(c) for c in COLUMNS],
            json.dumps(meta, ensure_ascii=False),
            source,
            at,
            status,
        ],
    )
    for ord_, (name, role, unit) in enumerate(authors):
        db.execute(
            "INSERT INTO authors (submission_id, ord, name, role, unit) VALUES (?,?,?,?,?)",
            [sub_id, ord_, name, role, unit],
        )
    saved = Saved(sub_id, version, cur[0] if cur else None)
    for f in files:
        saved.file_ids[f["path"]] = _rowid(
            db,
            "INSERT INTO files (submission_id, path, size, sha256, kind, role, listing) VALUES (?,?,?,?,?,?,?)",
            [sub_id, f["path"], f["size"], f["sha256"], f["kind"], f.get("role"), f.get("listing")],
        )
    for x in findings:
        db.execute(
            "INSERT INTO findings (submission_id, file_id, rule, status, measured, expected, message, created_at) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [
                sub_id,
                saved.file_ids.get(x.get("file") or ""),
                x["rule"],
                x["status"],
                x.get("measured"),
                x.get("expected"),
                x["message"],
                at,
            ],
        )
    return saved


def _rowid(db: sqlite_utils.Database, sql: str, params: list) -> int:
    rowid = db.execute(sql, params).lastrowid
    assert rowid is not None  # an INSERT
    return rowid
