"""Reviewers: who may decide what. A reviewer registered with a unit is recused (回避) from its works."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import store
from store import audit
from workflows.errors import StationError
from workflows.station import Station

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils


@dataclass(frozen=True)
class Reviewer:
    name: str
    unit: str | None = None
    read_only: bool = False
    anonymous: bool = False
    registered: bool = False

    def recused(self, school: str | None, units: Sequence[str | None] = ()) -> bool:
        """True when the work comes from the reviewer's own unit."""
        return bool(self.unit) and any(related(self.unit, u) for u in [school, *units])


def normalise(text: str | None) -> str:
    return "".join((text or "").split())


def related(a: str | None, b: str | None) -> bool:
    """One unit name contains the other (县 prefixes are often left out)."""
    a, b = normalise(a), normalise(b)
    return bool(a) and bool(b) and (a in b or b in a)


def get(db: sqlite_utils.Database | sqlite3.Connection, name: str) -> Reviewer:
    row = db.execute("SELECT name, unit, read_only, anonymous FROM reviewers WHERE name = ?", [name]).fetchone()
    if row is None:
        return Reviewer(name)
    return Reviewer(row[0], row[1] or None, bool(row[2]), bool(row[3]), True)


def add(
    station: Station,
    name: str,
    unit: str | None = None,
    read_only: bool = False,
    anonymous: bool = False,
    actor: str = "",
) -> Reviewer:
    name = name.strip()
    if not name:
        raise StationError("reviewer.name", "评审人姓名不能为空")
    db = station.db()
    with store.write(db):
        old = get(db, name)
        db.execute(
            """INSERT INTO reviewers (name, unit, read_only, anonymous, created_at) VALUES (?,?,?,?,?)
                      ON CONFLICT(name) DO UPDATE SET unit = excluded.unit, read_only = excluded.read_only,
                      anonymous = excluded.anonymous""",
            [name, normalise(unit) or None, int(read_only), int(anonymous), audit.now()],
        )
        audit.append(
            db,
            actor or name,
            "reviewer.set",
            f"reviewer:{name}",
            old={"unit": old.unit, "read_only": old.read_only, "anonymous": old.anonymous} if old.registered else None,
            new={"unit": normalise(unit) or None, "read_only": read_only, "anonymous": anonymous},
        )
    return get(db, name)


def all_reviewers(station: Station) -> list[dict]:
    rows = station.db().query("SELECT name, unit, read_only, anonymous FROM reviewers ORDER BY name")
    return [dict(r, read_only=bool(r["read_only"]), anonymous=bool(r["anonymous"])) for r in rows]
