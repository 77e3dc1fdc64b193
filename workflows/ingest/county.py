"""Which county (县区) a work belongs to: the value a quota row's region is matched against.

Precedence (the first that gives a value; `submissions.county_source` says which one did):

1. `form`: the 申报表's own 县区 field (所属县区、县（区）…): the school's statement about this work;
2. `folder`: a layout level with a `(?P<county>…)` group (a share organised by county folders);
3. `school`: the 单位/学校 (form, folder or first author's unit) contains a region name the station knows:
   a region of the campaign's quota table or the station's county (中牟县实验小学 → 中牟县); the longest
   wins, between equals the later (郑州市金水区实验小学 → 金水区);
4. `station`: the station's own county (`station quota county 中牟县`): a county station's works are all its own;
5. `quota`: the campaign's quota table holds one region only (imported with `--region`): that region.

1 and 2 are stored when the work is imported (or carried by a bundle, which keeps the sender's value with
no source); 3-5 are derived and recomputed by `refresh` whenever what they depend on changes (an import,
a quota table, the station setting), so a table imported after the works still fills.
"""

from __future__ import annotations

import store
from store import audit
from workflows.errors import StationError

EXPLICIT = ("form", "folder")
DERIVED = ("school", "station", "quota")
SETTING = "county"
SOURCE_ZH = {
    "form": "申报表所填县区",
    "folder": "文件夹",
    "school": "单位名称",
    "station": "本站所属县区",
    "quota": "名额表中唯一的地区",
    "bundle": "数据包所附",
}


def explicit(form: dict, folder: dict) -> tuple[str | None, str | None]:
    """(county, source) from what the work itself says: its form first, then its folders."""
    for source, values in (("form", form), ("folder", folder)):
        value = (values.get("county") or "").strip()
        if value:
            return value, source
    return None, None


def derive(school: str | None, regions: list[str], station_county: str | None) -> tuple[str | None, str | None]:
    """(county, source) for a work that does not say its county (rules 3-5 of the module docstring)."""
    named = [r for r in {*regions, station_county or ""} if r and school and r in school]
    if named:  # the longest name; between equals the later one, the narrower (郑州市金水区… -> 金水区)
        return max(named, key=lambda r: (len(r), school.rfind(r) if school else 0)), "school"
    if station_county:
        return station_county, "station"
    distinct = sorted(set(r for r in regions if r))
    if len(distinct) == 1:
        return distinct[0], "quota"
    return None, None


def station_county(db) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
    return row[0] if row and row[0] else None


def regions(db, campaign_id: int) -> list[str]:
    rows = db.execute(
        "SELECT DISTINCT region FROM quotas WHERE campaign_id = ? AND region IS NOT NULL AND region != ''",
        [campaign_id],
    ).fetchall()
    return sorted(r[0] for r in rows)


def refresh(db, campaign_id: int | None = None) -> int:
    """Recompute the derived county of every current work (of CAMPAIGN_ID, or all); returns how many changed.

    Must run inside the caller's write transaction."""
    if not db.conn.in_transaction:
        raise RuntimeError("county.refresh must run inside a write transaction")
    own = station_county(db)
    where = "s.status != 'superseded' AND (s.county_source IN ('school', 'station', 'quota') OR "
    where += "(s.county_source IS NULL AND (s.county IS NULL OR s.county = '')))"
    args: list = []
    if campaign_id is not None:
        where += " AND s.campaign_id = ?"
        args.append(campaign_id)
    rows = db.execute(
        "SELECT s.id, s.campaign_id, s.school, s.county, s.county_source, "
        "(SELECT unit FROM authors a WHERE a.submission_id = s.id ORDER BY ord LIMIT 1) AS unit "
        f"FROM submissions s WHERE {where}",
        args,
    ).fetchall()
    by_campaign: dict[int, list[str]] = {}
    changed = 0
    for sid, cid, school, county, source, unit in rows:
        if cid not in by_campaign:
            by_campaign[cid] = regions(db, cid)
        value, how = derive(" ".join(x for x in (school, unit) if x), by_campaign[cid], own)
        if (value, how) != (county or None, source):
            db.execute("UPDATE submissions SET county = ?, county_source = ? WHERE id = ?", [value, how, sid])
            changed += 1
    return changed


def set_station_county(station, name: str | None, actor: str) -> dict:
    """Set (or clear, with NAME None/empty) the station's own county, and recompute every derived county."""
    value = " ".join((name or "").split()) or None
    if value and len(value) > 40:
        raise StationError("county.invalid", f"县区名称“{value[:40]}…”过长（最多 40 个字）")
    db = station.db()
    with store.write(db):
        old = station_county(db)
        if value:
            db.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [SETTING, value, audit.now()],
            )
        else:
            db.execute("DELETE FROM settings WHERE key = ?", [SETTING])
        changed = refresh(db)
        audit.append(db, actor, "station.county", "station", old=old, new=value, works=changed)
    return {"county": value, "previous": old, "changed": changed}


def counts(db) -> list[dict]:
    """How many current works have a county, by source (for `station quota county`)."""
    rows = db.execute(
        "SELECT county_source, COUNT(*) FROM submissions WHERE status != 'superseded' "
        "AND county IS NOT NULL AND county != '' GROUP BY county_source ORDER BY county_source"
    ).fetchall()
    unknown = db.execute(
        "SELECT COUNT(*) FROM submissions WHERE status != 'superseded' AND (county IS NULL OR county = '')"
    ).fetchone()[0]
    out = [{"source": r[0] or "bundle", "works": r[1]} for r in rows]
    return out + ([{"source": None, "works": unknown}] if unknown else [])
