"""征集活动: a named campaign checked against one programme profile."""

from __future__ import annotations

import store
from store import audit
from workflows.errors import StationError
from workflows.profiles import load as profiles
from workflows.station import Station, actor


def name_of(station: Station, campaign_id: int) -> str:
    """The campaign's name (its id as text when it no longer exists)."""
    row = station.db().execute("SELECT name FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    return row[0] if row else str(campaign_id)


def add(station: Station, name: str, profile_id: str, year: int | None = None) -> dict:
    profile = profiles.load(profile_id, station.config_dir)
    db = station.db()
    if db.execute("SELECT 1 FROM campaigns WHERE name = ?", [name]).fetchone():
        raise StationError("campaign.exists", f"征集活动“{name}”已存在")
    with store.write(db):
        cur = db.execute(
            "INSERT INTO campaigns (name, profile, profile_version, year, created_at) VALUES (?,?,?,?,?)",
            [name, profile.id, profile.version, year, audit.now()],
        )
        audit.append(
            db,
            actor(),
            "campaign.added",
            f"campaign:{cur.lastrowid}",
            name=name,
            profile=profile.id,
            profile_version=profile.version,
            year=year,
        )
    return get(station, name)


def get(station: Station, ref: str | None) -> dict:
    """A campaign by name or id; with no REF, the only campaign there is."""
    db = station.db()
    if ref is None:
        rows = list(db.query("SELECT * FROM campaigns ORDER BY id"))
        if len(rows) == 1:
            return rows[0]
        if not rows:
            raise StationError("campaign.none", "还没有征集活动：请先运行 station campaign add 名称 --profile 项目配置")
        names = "、".join(r["name"] for r in rows)
        raise StationError("campaign.ambiguous", f"有多个征集活动（{names}），请用 --campaign 指定")
    row = next(db.query("SELECT * FROM campaigns WHERE name = ? OR CAST(id AS TEXT) = ?", [ref, ref]), None)
    if row is None:
        raise StationError("campaign.unknown", f"没有名为“{ref}”的征集活动")
    return row


def all_campaigns(station: Station) -> list[dict]:
    return list(station.db().query("SELECT * FROM campaigns ORDER BY id"))
