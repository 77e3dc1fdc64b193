"""Counts for the overview: decisions per campaign and findings per rule (current works only)."""

from __future__ import annotations


def campaign_counts(db) -> list[dict]:
    rows = db.query("""SELECT c.id, c.name, c.profile, COUNT(s.id) AS total,
        SUM(r.decision IS NOT NULL) AS decided, SUM(r.decision = 'recommend') AS recommend,
        SUM(r.decision = 'reject') AS reject, SUM(r.decision = 'fix') AS fix, SUM(r.decision = 'pending') AS pending
        FROM campaigns c LEFT JOIN submissions s ON s.campaign_id = c.id AND s.status != 'superseded'
        LEFT JOIN reviews r ON r.submission_id = s.id GROUP BY c.id ORDER BY c.id""")
    out = []
    for r in rows:
        counts = {k: r[k] or 0 for k in ("decided", "recommend", "reject", "fix", "pending")}
        out.append(
            dict(
                counts, name=r["name"], profile=r["profile"], total=r["total"], undecided=r["total"] - counts["decided"]
            )
        )
    return out


def finding_counts(db) -> list[dict]:
    rows = db.query("""SELECT f.rule, SUM(f.status = 'fail') AS fail, SUM(f.status = 'warn') AS warn,
        SUM(f.status = 'pass') AS pass_ FROM findings f JOIN submissions s ON s.id = f.submission_id
        WHERE s.status != 'superseded' GROUP BY f.rule ORDER BY fail DESC, warn DESC, f.rule""")
    return [{"rule": r["rule"], "fail": r["fail"] or 0, "warn": r["warn"] or 0, "pass_": r["pass_"] or 0} for r in rows]
