"""The review queue as paged SQL: filters compose, the order is stable, pages are cheap at 50,000 rows.

Every function takes a plain sqlite3 connection (what the TUI reads through up to its first frame, before
sqlite_utils is imported) or a sqlite_utils.Database: both have `execute`, and nothing else is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils

    DB = Union[sqlite_utils.Database, sqlite3.Connection]

QUICK = ("undecided", "failed", "fix", "marked")
SORTS = {
    "id": "s.id",
    "title": "s.title, s.id",
    "school": "s.school, s.id",
    "decision": "COALESCE(r.decision, ''), s.id",
}
FACETS = ("stage", "subject", "school", "project", "campaign_id")

FROM = "submissions s LEFT JOIN reviews r ON r.submission_id = s.id"
FROM_PLAIN = "submissions s"
COLUMNS = """s.id, s.title, s.stage, s.subject, s.school, s.project, s.status, s.campaign_id,
    (SELECT name FROM authors a WHERE a.submission_id = s.id ORDER BY a.ord LIMIT 1) AS teacher,
    r.decision, r.reason, r.reviewer, COALESCE(r.rev, 0) AS rev,
    (SELECT COUNT(*) FROM findings f WHERE f.submission_id = s.id AND f.status = 'fail') AS fails,
    (SELECT COUNT(*) FROM findings f WHERE f.submission_id = s.id AND f.status = 'warn') AS warns,
    (SELECT COUNT(*) FROM findings f WHERE f.submission_id = s.id) AS checked,
    EXISTS (SELECT 1 FROM notes n WHERE n.submission_id = s.id) AS noted,
    (SELECT n.text FROM notes n WHERE n.submission_id = s.id) AS note,
    (SELECT COUNT(DISTINCT sc.expert) FROM scores sc WHERE sc.submission_id = s.id) AS scorers"""


@dataclass(frozen=True)
class Filter:
    text: str = ""
    quick: frozenset[str] = frozenset()  # of QUICK
    stage: str | None = None
    subject: str | None = None
    school: str | None = None
    project: str | None = None
    campaign_id: int | None = None
    recuse_unit: str | None = None  # hide works of this unit (回避)
    marked: frozenset[int] = frozenset()  # ids, used with quick "marked"
    sort: str = "id"
    only: frozenset[int] | None = None  # just these ids: the works behind a row of 总览 (a rule, a quota)
    scope: str = ""  # what ONLY is, for the status line

    def with_quick(self, name: str) -> "Filter":
        return replace(self, quick=self.quick ^ {name})

    def cleared(self) -> "Filter":
        return Filter(recuse_unit=self.recuse_unit, sort=self.sort)

    @property
    def active(self) -> bool:
        return self != self.cleared()


def where(f: Filter) -> tuple[str, list]:
    clauses, params = ["s.status != 'superseded'"], []
    for term in f.text.split():
        if len(term) >= 3:
            clauses.append("s.id IN (SELECT rowid FROM search WHERE search MATCH ?)")
            params.append('"' + term.replace('"', '""') + '"')
        else:
            like = "%" + re.sub(r"([%_\\])", r"\\\1", term) + "%"
            clauses.append(
                "(s.title LIKE ? ESCAPE '\\' OR s.school LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM "
                "authors a WHERE a.submission_id = s.id AND a.name LIKE ? ESCAPE '\\'))"
            )
            params += [like] * 3
    if "undecided" in f.quick:
        clauses.append("r.decision IS NULL")
    if "fix" in f.quick:
        clauses.append("r.decision = 'fix'")
    if "failed" in f.quick:
        clauses.append("EXISTS (SELECT 1 FROM findings f WHERE f.submission_id = s.id AND f.status = 'fail')")
    if "marked" in f.quick:
        clauses.append(f"s.id IN ({','.join(str(int(i)) for i in f.marked) or 'NULL'})")
    if f.only is not None:
        clauses.append(f"s.id IN ({','.join(str(int(i)) for i in f.only) or 'NULL'})")
    for column in FACETS:
        value = getattr(f, column)
        if value is not None:
            clauses.append(f"COALESCE(s.{column}, '') = ?")
            params.append(value)
    if f.recuse_unit:
        clauses.append(
            "NOT (instr(COALESCE(s.school, ''), ?) > 0 OR (COALESCE(s.school, '') != '' AND instr(?, s.school) > 0)"
            " OR EXISTS (SELECT 1 FROM authors a WHERE a.submission_id = s.id AND a.unit != '' AND"
            " (instr(a.unit, ?) > 0 OR instr(?, a.unit) > 0)))"
        )
        params += [f.recuse_unit] * 4
    return " AND ".join(clauses), params


def order(f: Filter) -> str:
    return SORTS.get(f.sort, SORTS["id"])


def depends_on_decision(f: Filter) -> bool:
    """True when a decision can move a submission in or out of the list, or within it."""
    return bool(f.quick & {"undecided", "fix"}) or f.sort == "decision"


def _from(f: Filter) -> str:
    return FROM if depends_on_decision(f) else FROM_PLAIN


def count(db: DB, f: Filter) -> int:
    sql, params = where(f)
    return db.execute(f"SELECT COUNT(*) FROM {_from(f)} WHERE {sql}", params).fetchone()[0]


def page(db: DB, f: Filter, offset: int, limit: int) -> list[dict]:
    sql, params = where(f)
    # Pick the page's ids first: with OFFSET, SQLite would compute every column of every skipped row.
    cursor = db.execute(
        f"SELECT {COLUMNS} FROM {FROM} WHERE s.id IN (SELECT s.id FROM {_from(f)} WHERE {sql} "
        f"ORDER BY {order(f)} LIMIT ? OFFSET ?) ORDER BY {order(f)}",
        [*params, limit, offset],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def ids(db: DB, f: Filter) -> list[int]:
    sql, params = where(f)
    return [r[0] for r in db.execute(f"SELECT s.id FROM {_from(f)} WHERE {sql} ORDER BY {order(f)}", params)]


def position(db: DB, f: Filter, submission_id: int) -> int | None:
    """Row index of SUBMISSION_ID in the filtered, sorted queue, or None when it is not there."""
    sql, params = where(f)
    if f.sort == "id":
        if not db.execute(f"SELECT 1 FROM {_from(f)} WHERE {sql} AND s.id = ?", [*params, submission_id]).fetchone():
            return None
        return db.execute(
            f"SELECT COUNT(*) FROM {_from(f)} WHERE {sql} AND s.id < ?", [*params, submission_id]
        ).fetchone()[0]
    row = db.execute(
        f"SELECT n FROM (SELECT s.id, ROW_NUMBER() OVER (ORDER BY {order(f)}) - 1 AS n FROM {FROM} "
        f"WHERE {sql}) WHERE id = ?",
        [*params, submission_id],
    ).fetchone()
    return row[0] if row else None


def facet(db: DB, f: Filter, column: str) -> list[tuple[str, int]]:
    """Values of COLUMN in the queue as filtered by everything else, with counts."""
    if column not in FACETS:
        raise ValueError(column)
    sql, params = where(replace(f, **{column: None}))  # type: ignore[arg-type]  # clears one facet
    return [
        (r[0], r[1])
        for r in db.execute(
            f"SELECT COALESCE(s.{column}, ''), COUNT(*) FROM {FROM} WHERE {sql} GROUP BY 1 ORDER BY 2 DESC, 1", params
        )
    ]
