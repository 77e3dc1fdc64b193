"""Counts for the overview: decisions per campaign and findings per rule (current works only), and the works
behind one of its rows (a rule's findings), which 总览 opens in the queue."""

from __future__ import annotations

from pathlib import Path

from workflows.errors import StationError
from workflows.profiles import load as profiles


def profile_name(profile_id: str, config_dir: Path | None = None) -> str:
    """The profile's own (Chinese) name; its id when it cannot be read."""
    try:
        return profiles.load(profile_id, config_dir).name
    except StationError:
        return profile_id


def campaign_counts(db, config_dir: Path | None = None) -> list[dict]:
    rows = db.query("""SELECT c.id, c.name, c.profile, COUNT(s.id) AS total,
        SUM(r.decision IS NOT NULL) AS decided, SUM(r.decision = 'recommend') AS recommend,
        SUM(r.decision = 'reject') AS reject, SUM(r.decision = 'fix') AS fix, SUM(r.decision = 'pending') AS pending
        FROM campaigns c LEFT JOIN submissions s ON s.campaign_id = c.id AND s.status != 'superseded'
        LEFT JOIN reviews r ON r.submission_id = s.id GROUP BY c.id ORDER BY c.id""")
    out = []
    names: dict[str, str] = {}
    for r in rows:
        counts = {k: r[k] or 0 for k in ("decided", "recommend", "reject", "fix", "pending")}
        if r["profile"] not in names:
            names[r["profile"]] = profile_name(r["profile"], config_dir)
        out.append(
            dict(
                counts,
                id=r["id"],
                name=r["name"],
                profile=r["profile"],
                profile_name=names[r["profile"]],
                total=r["total"],
                undecided=r["total"] - counts["decided"],
            )
        )
    return out


def finding_counts(db) -> list[dict]:
    rows = db.query("""SELECT f.rule, SUM(f.status = 'fail') AS fail, SUM(f.status = 'warn') AS warn,
        SUM(f.status = 'pass') AS pass_ FROM findings f JOIN submissions s ON s.id = f.submission_id
        WHERE s.status != 'superseded' GROUP BY f.rule ORDER BY fail DESC, warn DESC, f.rule""")
    return [{"rule": r["rule"], "fail": r["fail"] or 0, "warn": r["warn"] or 0, "pass_": r["pass_"] or 0} for r in rows]


def campaign_works(db, campaign_id: int) -> list[int]:
    """The current works of a campaign (the ones its counts are about)."""
    rows = db.execute(
        "SELECT id FROM submissions WHERE campaign_id = ? AND status != 'superseded' ORDER BY id", [campaign_id]
    )
    return [r[0] for r in rows]


def rule_works(db, rule: str) -> list[int]:
    """The current works a rule found a problem with (fail or warn); those it passed when it found none."""
    rows = db.execute(
        "SELECT s.id, MAX(f.status IN ('fail', 'warn')) FROM findings f JOIN submissions s ON s.id = f.submission_id "
        "WHERE s.status != 'superseded' AND f.rule = ? GROUP BY s.id ORDER BY s.id",
        [rule],
    ).fetchall()
    problems = [r[0] for r in rows if r[1]]
    return problems or [r[0] for r in rows]
