"""A campaign's deadlines: its notice's dates from the profile's [deadlines] table, with the admin's edits.

Profile dates carry no year ("07-31", "09-18 18:00"): they fall in the campaign's year (`campaign add --year`);
a campaign without a year takes the next occurrence on or after the day it was created (a campaign created in
December for a July deadline is working towards next July, not late from the start). A date without a time means the end of that day ("7月31日前完成" is
read as "by the end of 31 July"). `submission = true` marks the county's own upward deadline: a work imported
after it gets a `deadline.late` warn.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime

import store
from store import audit
from workflows import campaigns
from workflows.errors import StationError
from workflows.profiles import load as profiles
from workflows.profiles.schema import parse_deadline as parse
from workflows.station import Station, actor

WARN_DAYS = 7
RULE = "deadline.late"


def now() -> datetime:
    """The station's clock for deadlines: local time, or `STATION_NOW` (ISO date or date-time) when set, so that a
    demo or a test of a past year's campaign runs as if on a chosen day."""
    fixed = os.environ.get("STATION_NOW")
    if fixed:
        try:
            return datetime.fromisoformat(fixed)
        except ValueError:
            pass
    return datetime.now()


def today() -> date:
    return now().date()


def _year(camp: dict) -> int:
    return int(camp.get("year") or _created(camp).year)


def _created(camp: dict) -> datetime:
    stamp = camp.get("created_at")
    return _local(stamp) if stamp else now()


def _place(spec: dict, camp: dict) -> tuple[datetime, datetime | None]:
    """The deadline's end (and start) as datetimes, in the campaign's year or the next occurrence after creation."""
    if camp.get("year"):
        at = parse(spec["at"], int(camp["year"]))
    else:
        created = _created(camp)
        at = parse(spec["at"], created.year)
        if at < created.replace(hour=0, minute=0, second=0, microsecond=0):
            at = parse(spec["at"], created.year + 1)  # a date with its own year is unchanged
    start = None
    if spec.get("start"):
        start = parse(spec["start"], at.year).replace(hour=0, minute=0)
        if start > at:
            start = parse(spec["start"], at.year - 1).replace(hour=0, minute=0)
    return at, start


def _edits(station: Station, campaign_id: int) -> dict:
    row = station.db().execute("SELECT data FROM campaign_deadlines WHERE campaign_id = ?", [campaign_id]).fetchone()
    return json.loads(row[0]) if row else {}


def for_campaign(station: Station, camp: dict, today: date | None = None) -> list[dict]:
    """The campaign's deadlines, earliest first: `name`, `at` (YYYY-MM-DD HH:MM), `start`, `days_left`,
    `passed` (the moment is over: 已截止, even on its last day), `submission`, `clause`, `source` (profile | admin)."""
    return resolve(station, camp, _edits(station, camp["id"]), today)


def resolve(station: Station, camp: dict, edits: dict, today: date | None = None) -> list[dict]:
    """The deadlines of CAMP (a campaigns row) from its profile and the admin's EDITS (no database access)."""
    clock = now()
    passed_before = clock if today is None or today == clock.date() else datetime.combine(today, datetime.min.time())
    today = today or clock.date()
    try:
        table = dict(profiles.load(camp["profile"], station.config_dir).data.get("deadlines", {}))
    except StationError:
        table = {}
    source = {name: "profile" for name in table}
    for name, spec in edits.items():
        if spec is None:
            table.pop(name, None)
        else:
            table[name] = spec
            source[name] = "admin"
    out = []
    for name, spec in table.items():
        at, start = _place(spec, camp)
        out.append(
            {
                "name": name,
                "at": at.strftime("%Y-%m-%d %H:%M"),
                "start": start.strftime("%Y-%m-%d") if start else None,
                "days_left": (at.date() - today).days,
                "passed": at < passed_before,
                "submission": bool(spec.get("submission")),
                "clause": spec.get("clause", ""),
                "source": source[name],
            }
        )
    return sorted(out, key=lambda d: d["at"])


def overview(station: Station, today: date | None = None) -> list[dict]:
    """For 总览: every campaign with its deadlines and days left (`campaign`, `deadlines`)."""
    return [
        {"campaign": c["name"], "deadlines": for_campaign(station, c, today)} for c in campaigns.all_campaigns(station)
    ]


def upcoming(station: Station, today: date | None = None, days: int = WARN_DAYS) -> list[dict]:
    """Deadlines not yet passed that fall within DAYS: each with its `campaign`."""
    return [
        dict(d, campaign=c["campaign"])
        for c in overview(station, today)
        for d in c["deadlines"]
        if 0 <= d["days_left"] <= days and not d["passed"]
    ]


def set_date(
    station: Station,
    campaign: str | None,
    name: str,
    at: str | None,
    start: str | None = None,
    submission: bool | None = None,
    clause: str | None = None,
    remove: bool = False,
) -> list[dict]:
    """The admin sets (or with REMOVE drops) one deadline of a campaign; audited. Returns the new list."""
    camp = campaigns.get(station, campaign)
    year = _year(camp)
    current = {d["name"]: d for d in for_campaign(station, camp)}
    if remove:
        if name not in current:
            raise StationError("deadline.unknown", f"征集活动“{camp['name']}”没有名为“{name}”的时间节点")
        spec = None
    else:
        old = current.get(name) or {}
        if at is None and not old:
            raise StationError("deadline.usage", f"新的时间节点“{name}”须给出日期 --at")
        spec = {"at": at or old["at"]}
        if start or old.get("start"):
            spec["start"] = start or old["start"]
        spec["submission"] = submission if submission is not None else bool(old.get("submission"))
        spec["clause"] = clause if clause is not None else old.get("clause", "管理员设定")
        for key in ("at", "start"):
            if spec.get(key):
                try:
                    parse(spec[key], year)
                except ValueError as e:
                    raise StationError("deadline.invalid", str(e)) from None
    db = station.db()
    with store.write(db):
        edits = _edits(station, camp["id"])
        edits[name] = spec
        db.execute(
            "INSERT INTO campaign_deadlines (campaign_id, data, updated_at) VALUES (?,?,?) "
            "ON CONFLICT(campaign_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            [camp["id"], json.dumps(edits, ensure_ascii=False), audit.now()],
        )
        audit.append(db, actor(), "campaign.deadline", f"campaign:{camp['id']}", name=name, spec=spec)
    return for_campaign(station, camp)


def mark_late(station: Station, ids: list[int]) -> int:
    """Give each of IDS imported after its campaign's submission deadline a `deadline.late` warn. Returns how many."""
    if not ids:
        return 0
    db = station.db()
    marks = ",".join("?" * len(ids))
    rows = list(
        db.query(
            f"SELECT s.id, s.imported_at, s.campaign_id FROM submissions s WHERE s.id IN ({marks}) "
            f"AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.submission_id = s.id AND f.rule = '{RULE}')",
            ids,
        )
    )
    by_campaign: dict[int, list[dict]] = {}
    cache: dict[int, list[dict]] = {}
    for r in rows:
        if r["campaign_id"] not in cache:
            camp = next(db.query("SELECT * FROM campaigns WHERE id = ?", [r["campaign_id"]]))
            cache[r["campaign_id"]] = [d for d in for_campaign(station, camp) if d["submission"]]
        by_campaign.setdefault(r["campaign_id"], []).append(r)
    late = []
    for campaign_id, subs in by_campaign.items():
        for r in subs:
            imported = now()  # the import is happening now (STATION_NOW in tests and demos)
            for d in cache[campaign_id]:
                if imported > datetime.strptime(d["at"], "%Y-%m-%d %H:%M"):
                    late.append((r["id"], d, imported))
                    break
    if late:
        with store.write(db):
            for sid, d, imported in late:
                db.execute(
                    "INSERT INTO findings (submission_id, rule, status, measured, expected, message, created_at, clause) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [
                        sid,
                        RULE,
                        "warn",
                        f"导入于 {imported:%Y-%m-%d %H:%M}",
                        f"{d['at']} 前（{d['name']}）",
                        f"作品在“{d['name']}”截止（{d['at']}）之后才导入，请核实能否按期上报（{d['clause']}）",
                        audit.now(),
                        d["clause"],
                    ],
                )
    return len(late)


def _local(stamp: str) -> datetime:
    """An ISO timestamp (UTC in the database) as a naive local time, comparable with the notice's dates."""
    t = datetime.fromisoformat(stamp)
    return t.astimezone().replace(tzinfo=None) if t.tzinfo else t


def days_text(days_left: int, passed: bool | None = None) -> str:
    """还剩 N 天, or 已截止 (with how long ago) once the moment is over (PASSED; default: before today)."""
    if passed is None:
        passed = days_left < 0
    if not passed:
        return f"还剩 {days_left} 天"
    return "已截止（今天）" if days_left >= 0 else f"已截止（已过 {-days_left} 天）"
