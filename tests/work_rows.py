"""Works written straight into a real station's database, for tests of scoring, suggestion and the 汇总表."""

from __future__ import annotations

import store
from store import audit

FIELDS = ("title", "project", "stage", "subject", "grade", "school", "county", "contact", "node_code")


def add_works(station, campaign_id: int, specs: list[dict]) -> list[int]:
    """SPECS: dicts of FIELDS plus `authors` ([name] or [(name, role, unit)]) and `fails` (failed findings)."""
    db = station.db()
    ids = []
    with store.write(db):
        for n, spec in enumerate(specs):
            values = [spec.get(f) for f in FIELDS]
            sid = db.execute(
                f"INSERT INTO submissions (campaign_id, source_key, fingerprint, {', '.join(FIELDS)}, source, imported_at, "
                f"status) VALUES (?,?,?,{','.join('?' * len(FIELDS))},?,?,?)",
                [
                    campaign_id,
                    f"test/{campaign_id}/{spec['title']}/{n}",
                    f"fp{n}",
                    *values,
                    "test",
                    audit.now(),
                    spec.get("status", "imported"),
                ],
            ).lastrowid
            for ord_, author in enumerate(spec.get("authors", [])):
                name, role, unit = (
                    (author, "授课教师" if ord_ == 0 else "团队成员", spec.get("school"))
                    if isinstance(author, str)
                    else author
                )
                db.execute(
                    "INSERT INTO authors (submission_id, ord, name, role, unit) VALUES (?,?,?,?,?)",
                    [sid, ord_, name, role, unit],
                )
            for rule in spec.get("fails", []):
                db.execute(
                    "INSERT INTO findings (submission_id, rule, status, message, created_at) VALUES (?,?,?,?,?)",
                    [sid, rule, "fail", f"{rule} 不通过", audit.now()],
                )
            for rule in spec.get("passes", []):
                db.execute(
                    "INSERT INTO findings (submission_id, rule, status, message, created_at) VALUES (?,?,?,?,?)",
                    [sid, rule, "pass", f"{rule} 通过", audit.now()],
                )
            ids.append(sid)
    return ids
