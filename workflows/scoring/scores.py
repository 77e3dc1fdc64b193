"""Scoring: experts score works against the programme's rubric; scores are aggregated per campaign.

The rubric is data (the profile's [rubric] table): dimensions, each scored as a whole or through
its items, every item with a maximum (points) or a weight (points on `scale`, times the weight);
optional veto items (否决项: a work any expert vetoes is not recommendable) and optional A-E grade
coefficients (a grade counts as that share of the item's maximum). Experts are `reviewers`: one
registered with a unit never scores (nor is assigned) that unit's works (回避).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import store
from store import audit
from workflows import campaigns, reviewers
from workflows.errors import StationError, Vetoed, Violation
from workflows.profiles import load as profiles
from workflows.profiles.schema import METHODS
from workflows.station import Station
from workflows.station import actor as os_user

METHOD_ZH = {"mean": "平均分", "trimmed": "去掉一个最高分和一个最低分后的平均分", "median": "中位数"}
VETO_PREFIX = "veto:"
Z_FLAG = 2.0  # an expert whose mean z-score reaches this is flagged
Z_OUTLIER = 3.0  # a single score this far from the rest of the panel is listed
SPREAD_FLOOR = 0.02  # the panel's spread is taken as at least 2% of the rubric's total
CURRENT = "SELECT id FROM submissions WHERE campaign_id = ? AND status = 'imported'"


# --- the rubric -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    name: str
    dimension: str
    max: float | None = None  # points, entered as 0..max
    weight: float | None = None  # entered as 0..scale, counted times the weight
    scale: float = 100

    @property
    def entry_max(self) -> float:
        return self.max if self.max is not None else self.scale

    @property
    def full(self) -> float:
        return self.max if self.max is not None else self.scale * (self.weight or 0.0)

    def counted(self, value: float) -> float:
        return value if self.max is not None else value * (self.weight or 0.0)


@dataclass(frozen=True)
class Rubric:
    items: tuple[Item, ...]
    veto: tuple[tuple[str, str], ...] = ()  # (name, description)
    grades: dict = field(default_factory=dict)  # letter -> coefficient
    aggregation: str = "trimmed"

    @property
    def total(self) -> float:
        return sum(i.full for i in self.items)

    def item(self, name: str) -> Item:
        found = next((i for i in self.items if i.name == name), None)
        if found is None:
            raise StationError(
                "score.item", f"评分细则中没有“{name}”；可评的项目：{'、'.join(i.name for i in self.items)}"
            )
        return found

    def veto_name(self, name: str) -> str:
        names = [v[0] for v in self.veto]
        if name in names:
            return name
        if name.isdigit() and 1 <= int(name) <= len(names):
            return names[int(name) - 1]
        raise StationError("score.veto", f"评分细则中没有否决项“{name}”；否决项：{'、'.join(names) or '无'}")

    def as_dict(self) -> dict:
        dims: dict[str, list] = {}
        for i in self.items:
            dims.setdefault(i.dimension, []).append(
                {
                    "name": i.name,
                    "max": i.max,
                    "weight": i.weight,
                    "scale": i.scale if i.weight is not None else None,
                    "full": i.full,
                }
            )
        return {
            "total": self.total,
            "aggregation": self.aggregation,
            "grades": self.grades,
            "dimensions": [
                {"name": d, "full": sum(x["full"] for x in items), "items": items} for d, items in dims.items()
            ],
            "veto": [{"name": n, "description": d} for n, d in self.veto],
        }


def rubric(station: Station, campaign_id: int) -> Rubric:
    camp = station.db().execute("SELECT profile, name FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    profile = profiles.load(camp[0], station.config_dir)
    data = profile.data.get("rubric")
    if not data:
        raise StationError(
            "rubric.none",
            f"征集活动“{camp[1]}”的项目配置（{profile.id}）没有评分细则 [rubric]，不能评分；"
            "可把项目配置复制到工作站的 config/profiles/ 并加上 [rubric]",
        )
    return parse_rubric(data)


def parse_rubric(data: dict) -> Rubric:
    items = []
    for dim in data["dimensions"]:
        for item in dim.get("items") or [dim]:
            items.append(
                Item(
                    item["name"],
                    dim["name"],
                    item.get("max"),
                    item.get("weight"),
                    item.get("scale", dim.get("scale", data.get("scale", 100))),
                )
            )
    veto = tuple((v, "") if isinstance(v, str) else (v["name"], v.get("description", "")) for v in data.get("veto", []))
    return Rubric(tuple(items), veto, dict(data.get("grades", {})), data.get("aggregation", "trimmed"))


def method(station: Station, campaign_id: int, rub: Rubric | None = None) -> str:
    row = (
        station.db().execute("SELECT aggregation FROM scoring_settings WHERE campaign_id = ?", [campaign_id]).fetchone()
    )
    if row:
        return row[0]
    return (rub or rubric(station, campaign_id)).aggregation


def set_method(station: Station, campaign: str | None, value: str, actor: str | None = None) -> dict:
    if value not in METHODS:
        raise StationError(
            "score.method",
            f"汇总方法只能是 mean（平均）、trimmed（去掉最高最低后平均）或 median（中位数），而不是“{value}”",
        )
    camp = campaigns.get(station, campaign)
    old = method(station, camp["id"])
    db = station.db()
    with store.write(db):
        db.execute(
            "INSERT INTO scoring_settings (campaign_id, aggregation, updated_at) VALUES (?,?,?) ON CONFLICT(campaign_id) "
            "DO UPDATE SET aggregation = excluded.aggregation, updated_at = excluded.updated_at",
            [camp["id"], value, audit.now()],
        )
        audit.append(db, actor or os_user(), "scoring.method", f"campaign:{camp['id']}", old=old, new=value)
    return {"campaign": camp["name"], "method": value}


# --- scoring ----------------------------------------------------------------------------------


def _work(db, submission_id: int) -> dict:
    row = next(
        db.query("SELECT id, campaign_id, title, school, status FROM submissions WHERE id = ?", [submission_id]), None
    )
    if row is None:
        raise StationError("submission.unknown", f"没有编号为 {submission_id} 的作品")
    if row["status"] != "imported":
        raise StationError(
            "score.status", f"作品 {submission_id} 的状态是“{row['status']}”（已拒收或已被新版本替换），不能评分"
        )
    row["units"] = [r[0] for r in db.execute("SELECT unit FROM authors WHERE submission_id = ?", [submission_id])]
    return row


def _expert(db, name: str) -> reviewers.Reviewer:
    if not (name or "").strip():
        raise StationError("score.expert", "没有指定评分专家（--expert）")
    who = reviewers.get(db, name.strip())
    if who.read_only:
        raise StationError("reviewer.read_only", f"“{who.name}”为只读账号，不能评分")
    return who


def _refuse_recused(who: reviewers.Reviewer, work: dict) -> None:
    if who.recused(work["school"], work["units"]):
        raise StationError(
            "score.recused", f"专家“{who.name}”与作品 {work['id']}《{work['title']}》同属“{who.unit}”，须回避，不能评分"
        )


def parse_value(rub: Rubric, item: Item, text: str) -> tuple[float, str | None]:
    """A typed score: points (0..item maximum) or, when the rubric has grades, a letter A-E."""
    text = str(text).strip()
    letter = text.upper()
    if rub.grades and letter in rub.grades:
        return item.entry_max * rub.grades[letter], letter
    try:
        value = float(text)
    except ValueError:
        hint = f"或等级 {'、'.join(rub.grades)}" if rub.grades else ""
        raise StationError(
            "score.value", f"“{item.name}”的分数“{text}”无效：应为 0 到 {fmt(item.entry_max)} 的数{hint}"
        ) from None
    if not math.isfinite(value) or not 0 <= value <= item.entry_max:
        raise StationError("score.value", f"“{item.name}”的分数 {text} 超出范围：应在 0 到 {fmt(item.entry_max)} 之间")
    return value, None


def score(
    station: Station,
    submission_id: int,
    expert: str,
    items: dict[str, str],
    veto: Sequence[str] = (),
    clear_veto: Sequence[str] = (),
    comment: str | None = None,
    actor: str | None = None,
) -> dict:
    """Record EXPERT's scores for ITEMS (name -> typed value) and veto marks, in one audited transaction."""
    if not items and not veto and not clear_veto and not comment:
        raise StationError("score.empty", "没有给出任何分数：用 --item 项目=分数（或 --veto 否决项）")
    db = station.db()
    with store.write(db):
        work = _work(db, submission_id)
        who = _expert(db, expert)
        _refuse_recused(who, work)
        rub = rubric(station, work["campaign_id"])
        rows = []
        for name, text in items.items():
            entry = rub.item(name)
            value, grade = parse_value(rub, entry, text)
            rows.append((entry.name, value, grade))
        rows += [(VETO_PREFIX + rub.veto_name(v), 1.0, None) for v in veto]
        cleared = [VETO_PREFIX + rub.veto_name(v) for v in clear_veto]
        comment = (comment or "").strip() or None
        old = {
            r[0]: r[1]
            for r in db.execute(
                "SELECT item, value FROM scores WHERE submission_id = ? AND expert = ?", [submission_id, who.name]
            )
        }
        at = audit.now()
        for item, value, grade in rows:
            db.execute(
                """INSERT INTO scores (submission_id, expert, item, value, grade, comment, at) VALUES (?,?,?,?,?,?,?)
                          ON CONFLICT(submission_id, expert, item) DO UPDATE SET value = excluded.value,
                          grade = excluded.grade, comment = COALESCE(excluded.comment, scores.comment), at = excluded.at""",
                [submission_id, who.name, item, value, grade, comment, at],
            )
        for item in cleared:
            db.execute(
                "DELETE FROM scores WHERE submission_id = ? AND expert = ? AND item = ?",
                [submission_id, who.name, item],
            )
        if comment and not rows:
            db.execute(
                "UPDATE scores SET comment = ? WHERE submission_id = ? AND expert = ?",
                [comment, submission_id, who.name],
            )
        audit.append(
            db,
            actor or who.name,
            "score.set",
            f"submission:{submission_id}",
            expert=who.name,
            items={i: {"value": v, "grade": g, "old": old.get(i)} for i, v, g in rows},
            cleared=[c[len(VETO_PREFIX) :] for c in cleared if c in old],
            comment=comment,
        )
    return expert_sheet(station, submission_id, who.name, rub)


def expert_sheet(station: Station, submission_id: int, expert: str, rub: Rubric | None = None) -> dict:
    """One expert's scores of one work: items, total (when complete), vetoes, comment."""
    db = station.db()
    work = _work(db, submission_id)
    rub = rub or rubric(station, work["campaign_id"])
    rows = {
        r["item"]: r
        for r in db.query(
            "SELECT item, value, grade, comment FROM scores WHERE submission_id = ? AND expert = ?",
            [submission_id, expert],
        )
    }
    items: list[dict] = [
        {
            "name": i.name,
            "dimension": i.dimension,
            "value": rows[i.name]["value"] if i.name in rows else None,
            "grade": rows[i.name]["grade"] if i.name in rows else None,
            "full": i.full,
            "counted": round2(i.counted(rows[i.name]["value"])) if i.name in rows else None,
        }
        for i in rub.items
    ]
    complete = all(x["value"] is not None for x in items)
    comment = next((r["comment"] for r in rows.values() if r["comment"]), None)
    return {
        "id": submission_id,
        "title": work["title"],
        "expert": expert,
        "items": items,
        "total": round2(sum(x["counted"] for x in items)) if complete else None,
        "complete": complete,
        "veto": [k[len(VETO_PREFIX) :] for k in rows if k.startswith(VETO_PREFIX)],
        "comment": comment,
    }


def assign(
    station: Station, campaign: str | None, experts: list[str], per_work: int = 3, actor: str | None = None
) -> dict:
    """Give each work PER_WORK experts (least loaded first), never one from the work's own unit (回避)."""
    if per_work < 1:
        raise StationError("score.assign", "每件作品的评分专家数至少为 1")
    camp = campaigns.get(station, campaign)
    db = station.db()
    panel = [_expert(db, e) for e in dict.fromkeys(e.strip() for e in experts if e.strip())]
    if not panel:
        raise StationError("score.expert", "没有指定评分专家")
    load = {e.name: 0 for e in panel}
    for r in db.execute(
        "SELECT expert, COUNT(*) FROM score_assignments a JOIN submissions s ON s.id = a.submission_id "
        "WHERE s.campaign_id = ? GROUP BY expert",
        [camp["id"]],
    ):
        if r[0] in load:
            load[r[0]] = r[1]
    units: dict[int, list] = {}
    for r in db.execute(
        "SELECT a.submission_id, a.unit FROM authors a JOIN submissions s ON s.id = a.submission_id "
        "WHERE s.campaign_id = ? AND s.status = 'imported'",
        [camp["id"]],
    ):
        units.setdefault(r[0], []).append(r[1])
    short, added = [], 0
    with store.write(db):
        have: dict[int, set] = {}
        for r in db.execute(
            "SELECT a.submission_id, a.expert FROM score_assignments a JOIN submissions s "
            "ON s.id = a.submission_id WHERE s.campaign_id = ?",
            [camp["id"]],
        ):
            have.setdefault(r[0], set()).add(r[1])
        at = audit.now()
        for sid, school in db.execute(
            "SELECT id, school FROM submissions WHERE campaign_id = ? AND status = 'imported' ORDER BY id", [camp["id"]]
        ).fetchall():
            already = have.get(sid, set())
            free = [e for e in panel if e.name not in already and not e.recused(school, units.get(sid, []))]
            free.sort(key=lambda e: (load[e.name], e.name))
            need = max(0, per_work - len(already))
            for e in free[:need]:
                db.execute(
                    "INSERT INTO score_assignments (submission_id, expert, at) VALUES (?,?,?)", [sid, e.name, at]
                )
                load[e.name] += 1
                added += 1
            if len(free) < need:
                short.append(sid)
        audit.append(
            db,
            actor or os_user(),
            "score.assigned",
            f"campaign:{camp['id']}",
            experts=[e.name for e in panel],
            per_work=per_work,
            added=added,
            short=short,
        )
    return {"campaign": camp["name"], "per_work": per_work, "added": added, "load": load, "short": short}


def assignments(station: Station, expert: str, campaign: str | None = None) -> list[int]:
    camp = campaigns.get(station, campaign)
    return [
        r[0]
        for r in station.db().execute(
            "SELECT a.submission_id FROM score_assignments a JOIN submissions s ON s.id = a.submission_id "
            "WHERE s.campaign_id = ? AND a.expert = ? ORDER BY a.submission_id",
            [camp["id"], expert],
        )
    ]


# --- aggregation ------------------------------------------------------------------------------


@dataclass
class Result:
    id: int
    score: float | None = None  # aggregated, 2 decimals; None before any complete sheet
    totals: dict = field(default_factory=dict)  # expert -> total of a complete sheet
    incomplete: list = field(default_factory=list)
    vetoes: list = field(default_factory=list)  # (expert, veto name)
    rank: int | None = None

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "score": self.score,
            "rank": self.rank,
            "n": len(self.totals),
            "experts": {k: round2(v) for k, v in sorted(self.totals.items())},
            "incomplete": self.incomplete,
            "vetoed": self.vetoed,
            "vetoes": [{"expert": e, "item": v} for e, v in self.vetoes],
        }


def round2(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def combine(values: list[float], how: str) -> float:
    """Aggregate experts' totals: mean, trimmed mean (drop one highest and one lowest from 3 up), median."""
    if how == "median":
        return round2(statistics.median(values))
    if how == "trimmed" and len(values) >= 3:
        values = sorted(values)[1:-1]
    elif how not in METHODS:
        raise StationError("score.method", f"未知的汇总方法“{how}”")
    return round2(math.fsum(values) / len(values))


def aggregate(db, campaign_id: int, rub: Rubric, how: str) -> dict[int, Result]:
    """Every scored current work of the campaign, with its aggregated score and rank (1 = best)."""
    # one row per (work, expert): the counted total of the rubric's items and how many were scored
    names = [i.name for i in rub.items]
    weights = [1 if i.max is not None else i.weight for i in rub.items]
    case = " ".join("WHEN ? THEN c.value * ?" for _ in names)
    params = [x for pair in zip(names, weights) for x in pair] + names + [campaign_id]
    results: dict[int, Result] = {}
    for sid, expert, total, count in db.execute(
        f"SELECT c.submission_id, c.expert, SUM(CASE c.item {case} ELSE 0 END), "
        f"SUM(c.item IN ({','.join('?' * len(names))})) FROM scores c WHERE c.submission_id IN ({CURRENT}) "
        "GROUP BY c.submission_id, c.expert",
        params,
    ):
        r = results.get(sid) or results.setdefault(sid, Result(sid))
        if count == len(names):
            r.totals[expert] = total
        elif count:
            r.incomplete.append(expert)
    for sid, expert, item in db.execute(
        f"SELECT c.submission_id, c.expert, c.item FROM scores c WHERE c.submission_id IN ({CURRENT}) "
        "AND c.item LIKE 'veto:%' ORDER BY 1, 2, 3",
        [campaign_id],
    ):
        (results.get(sid) or results.setdefault(sid, Result(sid))).vetoes.append((expert, item[len(VETO_PREFIX) :]))
    for r in results.values():
        if r.totals:
            r.score = combine(list(r.totals.values()), how)
    ranked = sorted((r for r in results.values() if r.score is not None), key=lambda r: -(r.score or 0.0))
    for n, r in enumerate(ranked):
        r.rank = n + 1 if n == 0 or r.score != ranked[n - 1].score else ranked[n - 1].rank
    return results


def deviations(results: dict[int, Result], total: float, flag: float = Z_FLAG) -> list[dict]:
    """How far each expert's totals sit from the rest of the panel, in units of the panel's own spread.

    For a work with at least 3 complete sheets, an expert's deviation is their total minus the mean of
    the others'. The spread is the pooled within-work standard deviation of the OTHER experts' totals
    (so a deviating expert does not hide behind the spread they cause), at least 2% of the rubric's
    total. z = deviation / (spread * sqrt(1 + 1/(others))): about standard normal for an expert who
    scores like the panel. An expert whose mean z reaches FLAG is flagged for re-review.
    """
    panels = [r for r in results.values() if len(r.totals) >= 3]
    experts = sorted({e for r in panels for e in r.totals})
    floor = max(total * SPREAD_FLOOR, 1e-9)
    out = []
    for e in experts:
        ss = dof = 0.0
        for r in panels:
            others = [v for k, v in r.totals.items() if k != e]
            if len(others) >= 2:
                m = math.fsum(others) / len(others)
                ss += math.fsum((v - m) ** 2 for v in others)
                dof += len(others) - 1
        spread = max(math.sqrt(ss / dof) if dof else 0.0, floor)
        zs, diffs, outliers = [], [], []
        for r in panels:
            if e not in r.totals:
                continue
            others = [v for k, v in r.totals.items() if k != e]
            diff = r.totals[e] - math.fsum(others) / len(others)
            z = diff / (spread * math.sqrt(1 + 1 / len(others)))
            zs.append(z)
            diffs.append(diff)
            if abs(z) >= Z_OUTLIER:
                outliers.append(
                    {
                        "id": r.id,
                        "total": round2(r.totals[e]),
                        "others": round2(math.fsum(others) / len(others)),
                        "z": round2(z),
                    }
                )
        mean_z = math.fsum(zs) / len(zs)
        out.append(
            {
                "expert": e,
                "works": len(zs),
                "mean_diff": round2(math.fsum(diffs) / len(diffs)),
                "spread": round2(spread),
                "z": round2(mean_z),
                "flagged": abs(mean_z) >= flag,
                "outliers": outliers,
            }
        )
    return out


def report(station: Station, campaign: str | None = None, flag: float = Z_FLAG) -> dict:
    """`station scores`: aggregated score per work (best first) and the experts' deviation report."""
    camp = campaigns.get(station, campaign)
    db = station.db()
    rub = rubric(station, camp["id"])
    how = method(station, camp["id"], rub)
    results = aggregate(db, camp["id"], rub, how)
    titles = {
        r[0]: r[1]
        for r in db.execute(
            "SELECT id, title FROM submissions WHERE campaign_id = ? AND status = 'imported'", [camp["id"]]
        )
    }
    works = sorted(results.values(), key=lambda r: (r.rank is None, r.rank or 0, r.id))
    return {
        "campaign": camp["name"],
        "method": how,
        "total": rub.total,
        "scored": sum(1 for r in works if r.score is not None),
        "unscored": len(titles) - sum(1 for r in works if r.score is not None),
        "works": [dict(r.as_dict(), title=titles.get(r.id)) for r in works],
        "experts": deviations(results, rub.total, flag),
    }


def vetoed(db, ids) -> dict[int, list]:
    ids = list(ids)
    out: dict[int, list] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for sid, expert, item in db.execute(
            f"SELECT submission_id, expert, item FROM scores WHERE item LIKE 'veto:%' "
            f"AND submission_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out.setdefault(sid, []).append((expert, item[len(VETO_PREFIX) :]))
    return out


def veto_rule(db, who, rows: dict[int, dict], value: str) -> None:
    """A decision rule (workflows.review.RULES): a work with a veto mark cannot be recommended."""
    if value != "recommend":
        return
    marks = vetoed(db, rows)
    if marks:
        text = "；".join(
            f"作品 {sid} 被{'、'.join(f'专家 {e} 标记“{v}”' for e, v in m)}" for sid, m in sorted(marks.items())
        )
        raise Vetoed([Violation("score.veto", f"{text}（否决项）", sorted(marks))], f"不能推荐：{text}（否决项）")


def fmt(x: float) -> str:
    return f"{x:g}"
