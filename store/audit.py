"""The append-only, hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so
removing, reordering or editing any entry breaks the chain from there on.
Triggers refuse UPDATE and DELETE; `verify` finds what slipped past them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

GENESIS = "0" * 64


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _digest(prev_hash: str, at: str, actor: str, action: str, subject: str | None, detail: str) -> str:
    payload = json.dumps([prev_hash, at, actor, action, subject, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(db: sqlite_utils.Database, actor: str, action: str, subject: str | None = None, **detail) -> str:
    """Append one entry. Call inside the write transaction of the change it records."""
    if not db.conn.in_transaction:
        raise RuntimeError("audit.append must run inside a write transaction")
    row = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    at = now()
    body = json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = _digest(prev, at, actor, action, subject, body)
    db.execute(
        "INSERT INTO audit (at, actor, action, subject, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
        [at, actor, action, subject, body, prev, digest],
    )
    return digest


@dataclass
class Verdict:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str | None = None


def verify(db: sqlite_utils.Database) -> Verdict:
    prev = GENESIS
    count = 0
    for row in db.execute("SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY id"):
        entry_id, at, actor, action, subject, detail, prev_hash, digest = row
        count += 1
        if prev_hash != prev:
            return Verdict(False, count, entry_id, "prev_hash does not match the previous entry")
        if _digest(prev_hash, at, actor, action, subject, detail) != digest:
            return Verdict(False, count, entry_id, "entry was altered")
        prev = digest
    return Verdict(True, count)


def entries(db: sqlite_utils.Database, subject: str | None = None) -> list[dict]:
    where, params = ("WHERE subject = ?", [subject]) if subject else ("", [])
    rows = db.query(f"SELECT id, at, actor, action, subject, detail FROM audit {where} ORDER BY id", params)
    return [dict(r, detail=json.loads(r["detail"])) for r in rows]
