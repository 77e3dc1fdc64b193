"""Review decisions: the single entry point that records, checks and undoes them.

Every change bumps `reviews.rev` for its submission. A caller that passes `expected`
(submission id -> the rev it showed the user) gets `Conflict` instead of silently
overwriting what someone else decided in the meantime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import sqlite_utils

import store
from store import audit
from store.labels import DECISION_ZH  # noqa: F401  (re-exported for callers of review)
from workflows import reviewers
from workflows.errors import StationError
from workflows.review import eligibility
from workflows.review.guards import GUARDS
from workflows.station import Station

DECISIONS = ("recommend", "reject", "fix", "pending")


@dataclass
class State:
    decision: str | None = None
    reason: str | None = None
    reviewer: str | None = None
    decided_at: str | None = None
    rev: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def same(self, other: "State") -> bool:
        return (self.decision, self.reason, self.reviewer, self.decided_at) == (
            other.decision,
            other.reason,
            other.reviewer,
            other.decided_at,
        )


@dataclass
class Change:
    id: int
    old: State
    new: State

    def as_dict(self) -> dict:
        return {"id": self.id, "old": self.old.as_dict(), "new": self.new.as_dict()}


@dataclass
class Outcome:
    """What one call changed; hand it back to `undo` to take it back."""

    changes: list[Change] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    # submission id -> its technical 不通过 findings, for a recommendation made despite them (warned and audited)
    technical: dict[int, list[dict]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "changed": [c.as_dict() for c in self.changes],
            "unchanged": self.unchanged,
            "technical_failures": {str(i): f for i, f in self.technical.items()},
        }


class Conflict(StationError):
    """Someone else changed these submissions since the caller last looked."""

    def __init__(self, current: dict[int, State]):
        first_id, first = next(iter(current.items()))
        who = f"{first.reviewer} 已改为“{DECISION_ZH[first.decision]}”" if first.reviewer else "已被撤销"
        more = f"等 {len(current)} 件作品" if len(current) > 1 else ""
        super().__init__("decision.conflict", f"作品 {first_id}{more}刚刚{who}，本次操作未执行；请查看当前状态后再决定")
        self.current = current


def current(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, State]:
    ids = list(ids)
    found = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for r in db.execute(
            f"SELECT submission_id, decision, reason, reviewer, decided_at, rev FROM reviews "
            f"WHERE submission_id IN ({marks})",
            chunk,
        ):
            found[r[0]] = State(*r[1:])
    return {i: found.get(i, State()) for i in ids}


def decide(
    station: Station,
    ids: Iterable[int],
    value: str,
    reason: str | None = None,
    reviewer: str = "",
    expected: dict[int, int] | None = None,
    override: str | None = None,
) -> Outcome:
    """Record VALUE for every submission in IDS, all or nothing.

    A recommendation that breaks a hard quota rule raises `errors.RuleViolation`, and one of an ineligible
    work `eligibility.Ineligible`, unless OVERRIDE gives the admin's reason (recorded and audit-logged); a
    refused submission raises `eligibility.Refused`. Technical 不通过 findings do not block: they are in
    `Outcome.technical` and in the decision's audit entry.
    """
    if value not in DECISIONS:
        raise StationError("decision.value", f"无效的评审决定“{value}”：应为 recommend、reject、fix 或 pending")
    reason = (reason or "").strip() or None
    if value == "fix" and not reason:
        raise StationError("decision.reason_required", "“需修改”必须写明修改意见（--reason）")
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise StationError("decision.no_items", "没有指定作品")
    db = station.db()
    with store.write(db):
        who = _reviewer(db, reviewer)
        rows = _rows(db, ids, who)
        states = {i: rows[i]["state"] for i in ids}
        _check_expected(states, expected)
        for guard in GUARDS:
            guard(station, db, who, rows, value, override)
        outcome = Outcome()
        if value == "recommend":
            outcome.technical = eligibility.technical_failures(db, ids)
        at = audit.now()
        for i in ids:
            old = states[i]
            if old.decision == value and old.reason == reason:
                outcome.unchanged.append(i)
                continue
            new = State(value, reason, who.name, at, old.rev + 1)
            _write_state(db, i, new)
            db.execute(
                "INSERT INTO decisions (submission_id, value, reason, reviewer, decided_at) VALUES (?,?,?,?,?)",
                [i, value, reason, who.name, at],
            )
            audit.append(
                db,
                who.name,
                "decision.made",
                f"submission:{i}",
                old=old.decision,
                new=value,
                reason=reason,
                old_reviewer=old.reviewer,
                rev=new.rev,
                **({"technical_failures": [f["rule"] for f in outcome.technical[i]]} if i in outcome.technical else {}),
            )
            outcome.changes.append(Change(i, old, new))
    return outcome


def undo(station: Station, outcome: Outcome, reviewer: str) -> Outcome:
    """Take back OUTCOME's changes, unless someone changed those submissions since."""
    if not outcome.changes:
        return Outcome()
    db = station.db()
    with store.write(db):
        who = _reviewer(db, reviewer)
        states = current(db, [c.id for c in outcome.changes])
        # Compare content, not rev: undoing a later change restores this one with a newer rev.
        changed = {c.id: states[c.id] for c in outcome.changes if not states[c.id].same(c.new)}
        if changed:
            raise Conflict(changed)
        undone = Outcome()
        for c in reversed(outcome.changes):
            restored = State(c.old.decision, c.old.reason, c.old.reviewer, c.old.decided_at, states[c.id].rev + 1)
            _write_state(db, c.id, restored)
            last = db.execute(
                "SELECT id FROM decisions WHERE submission_id = ? ORDER BY id DESC LIMIT 1", [c.id]
            ).fetchone()
            if last:
                db.execute("DELETE FROM decisions WHERE id = ?", [last[0]])
            audit.append(
                db,
                who.name,
                "decision.undone",
                f"submission:{c.id}",
                old=c.new.decision,
                new=c.old.decision,
                reason=c.old.reason,
                rev=restored.rev,
            )
            undone.changes.append(Change(c.id, states[c.id], restored))
    return undone


def set_note(station: Station, submission_id: int, text: str, reviewer: str) -> str | None:
    """Replace the submission's note (empty text removes it). Returns the old note."""
    text = text.strip()
    db = station.db()
    with store.write(db):
        who = _reviewer(db, reviewer)
        _rows(db, [submission_id], who, allow_superseded=True)
        row = db.execute("SELECT text FROM notes WHERE submission_id = ?", [submission_id]).fetchone()
        old = row[0] if row else None
        if old == (text or None):
            return old
        if text:
            db.execute(
                """INSERT INTO notes (submission_id, text, reviewer, updated_at) VALUES (?,?,?,?)
                          ON CONFLICT(submission_id) DO UPDATE SET text = excluded.text, reviewer = excluded.reviewer,
                          updated_at = excluded.updated_at""",
                [submission_id, text, who.name, audit.now()],
            )
        else:
            db.execute("DELETE FROM notes WHERE submission_id = ?", [submission_id])
        audit.append(db, who.name, "note.set", f"submission:{submission_id}", old=old, new=text or None)
    return old


def note(db: sqlite_utils.Database, submission_id: int) -> dict | None:
    return next(db.query("SELECT text, reviewer, updated_at FROM notes WHERE submission_id = ?", [submission_id]), None)


# --- internals -----------------------------------------------------------------------------


def _reviewer(db, name: str) -> reviewers.Reviewer:
    if not (name or "").strip():
        raise StationError("reviewer.missing", "没有指定评审人")
    who = reviewers.get(db, name.strip())
    if who.read_only:
        raise StationError("reviewer.read_only", f"评审人“{who.name}”为只读账号，不能修改评审数据")
    return who


def _rows(db, ids: list[int], who: reviewers.Reviewer, allow_superseded: bool = False) -> dict[int, dict]:
    rows: dict[int, dict] = {}
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for r in db.query(f"SELECT id, campaign_id, school, status FROM submissions WHERE id IN ({marks})", chunk):
            rows[r["id"]] = dict(r, units=[])
        for r in db.execute(f"SELECT submission_id, unit FROM authors WHERE submission_id IN ({marks})", chunk):
            rows[r[0]]["units"].append(r[1])
    missing = [i for i in ids if i not in rows]
    if missing:
        raise StationError("submission.unknown", f"没有编号为 {'、'.join(map(str, missing))} 的作品")
    old = [i for i in ids if rows[i]["status"] == "superseded"]
    if old and not allow_superseded:
        raise StationError("submission.superseded", f"作品 {'、'.join(map(str, old))} 已被新版本替换，请评审最新版本")
    recused = [i for i in ids if who.recused(rows[i]["school"], rows[i]["units"])]
    if recused:
        raise StationError(
            "decision.recused", f"评审人“{who.name}”与作品 {'、'.join(map(str, recused))} 同属“{who.unit}”，需回避"
        )
    for i, state in current(db, ids).items():
        rows[i]["state"] = state
    return rows


def _check_expected(states: dict[int, State], expected: dict[int, int] | None) -> None:
    if expected is None:
        return
    changed = {i: s for i, s in states.items() if i in expected and s.rev != expected[i]}
    if changed:
        raise Conflict(changed)


def _write_state(db, submission_id: int, s: State) -> None:
    db.execute(
        """INSERT INTO reviews (submission_id, decision, reason, reviewer, decided_at, rev) VALUES (?,?,?,?,?,?)
                  ON CONFLICT(submission_id) DO UPDATE SET decision = excluded.decision, reason = excluded.reason,
                  reviewer = excluded.reviewer, decided_at = excluded.decided_at, rev = excluded.rev""",
        [submission_id, s.decision, s.reason, s.reviewer, s.decided_at, s.rev],
    )


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
