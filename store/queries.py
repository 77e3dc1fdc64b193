"""Reading submissions back as plain dicts (the shape `station list --json` prints)."""

from __future__ import annotations

import json

import sqlite_utils

LATEST_DECISION = "(SELECT value FROM decisions d WHERE d.submission_id = s.id ORDER BY d.id DESC LIMIT 1)"


def submissions(
    db: sqlite_utils.Database,
    campaign_id: int | None = None,
    ids: list[int] | None = None,
    include_superseded: bool = False,
) -> list[dict]:
    where, params = [], []
    if campaign_id is not None:
        where.append("s.campaign_id = ?")
        params.append(campaign_id)
    if ids:
        where.append(f"s.id IN ({','.join('?' * len(ids))})")
        params += ids
    if not include_superseded and not ids:
        where.append("s.status != 'superseded'")
    sql = f"""SELECT s.*, c.name AS campaign, {LATEST_DECISION} AS decision
              FROM submissions s JOIN campaigns c ON c.id = s.campaign_id
              {"WHERE " + " AND ".join(where) if where else ""} ORDER BY s.id"""
    rows = list(db.query(sql, params))
    if not rows:
        return []
    marks = ",".join("?" * len(rows))
    sub_ids = [r["id"] for r in rows]
    authors: dict[int, list] = {}
    files: dict[int, list] = {}
    findings: dict[int, list] = {}
    for a in db.query(f"SELECT * FROM authors WHERE submission_id IN ({marks}) ORDER BY submission_id, ord", sub_ids):
        authors.setdefault(a["submission_id"], []).append(a)
    file_paths = {}
    for f in db.query(f"SELECT * FROM files WHERE submission_id IN ({marks}) ORDER BY submission_id, path", sub_ids):
        file_paths[f["id"]] = f["path"]
        files.setdefault(f["submission_id"], []).append(
            {
                "path": f["path"],
                "size": f["size"],
                "sha256": f["sha256"],
                "kind": f["kind"],
                "role": f["role"],
                **({"listing": json.loads(f["listing"])} if f["listing"] else {}),
            }
        )
    for x in db.query(f"SELECT * FROM findings WHERE submission_id IN ({marks}) ORDER BY submission_id, id", sub_ids):
        findings.setdefault(x["submission_id"], []).append(
            {
                "rule": x["rule"],
                "status": x["status"],
                "message": x["message"],
                "measured": x["measured"],
                "expected": x["expected"],
                "file": file_paths.get(x["file_id"]),
                "clause": x.get("clause"),
                "fix": x.get("fix"),
            }
        )
    return [
        {
            "id": r["id"],
            "campaign": r["campaign"],
            "title": r["title"],
            "authors": [a["name"] for a in authors.get(r["id"], [])],
            "author_roles": [
                {"name": a["name"], "role": a["role"], "unit": a["unit"]} for a in authors.get(r["id"], [])
            ],
            "school": r["school"],
            "stage": r["stage"],
            "subject": r["subject"],
            "grade": r["grade"],
            "project": r["project"],
            "county": r["county"],
            "county_source": r["county_source"],
            "contact": r["contact"],
            "node_code": r["node_code"],
            "original": r["original"],
            "layout": r["layout"],
            "source": r["source"],
            "version": r["version"],
            "imported_at": r["imported_at"],
            "status": r["status"],
            "decision": r["decision"],
            "meta": json.loads(r["meta"]),
            "files": files.get(r["id"], []),
            "findings": findings.get(r["id"], []),
        }
        for r in rows
    ]
