"""一稿多投: the same video or audio bytes in two current submissions fail both."""

from __future__ import annotations

import sqlite_utils

import store
from store import audit

RULE = "dup.same_file"


def refresh(db: sqlite_utils.Database) -> int:
    """Recompute every dup.same_file finding from the files table; returns how many there are."""
    rows = list(
        db.query("""
        SELECT f.id AS file_id, f.sha256, f.path, s.id AS sub_id, s.title, s.school, c.name AS campaign
        FROM files f JOIN submissions s ON s.id = f.submission_id JOIN campaigns c ON c.id = s.campaign_id
        WHERE s.status = 'imported' AND f.kind IN ('video', 'audio') AND f.sha256 IN (
            SELECT f2.sha256 FROM files f2 JOIN submissions s2 ON s2.id = f2.submission_id
            WHERE s2.status = 'imported' AND f2.kind IN ('video', 'audio')
            GROUP BY f2.sha256 HAVING COUNT(DISTINCT f2.submission_id) > 1)
        ORDER BY f.sha256, s.id""")
    )
    by_hash: dict[str, list[dict]] = {}
    for r in rows:
        by_hash.setdefault(r["sha256"], []).append(r)
    now = audit.now()
    with store.write(db):
        db.execute("DELETE FROM findings WHERE rule = ?", [RULE])
        for sha, group in by_hash.items():
            for r in group:
                others = [o for o in group if o["sub_id"] != r["sub_id"]]
                named = "；".join(
                    f"#{o['sub_id']}《{o['title']}》（{o['school'] or '未知单位'}，{o['campaign']}）" for o in others
                )
                db.execute(
                    "INSERT INTO findings (submission_id, file_id, rule, status, measured, expected, message, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [
                        r["sub_id"],
                        r["file_id"],
                        RULE,
                        "fail",
                        f"sha256 {sha[:12]}…，另见 {', '.join('#' + str(o['sub_id']) for o in others)}",
                        "每件作品的音视频文件互不相同",
                        f"“{r['path']}”与 {named} 的文件完全相同（一稿多投），按规定取消参评资格，请核实",
                        now,
                    ],
                )
    return len(rows)
