"""Quotas and recommendation rules: what the city allows, and whether the county's picks obey it.

Hard rules (a cap, a second work for one 课程节点编号 or one teacher, a share cap) refuse a
decision unless an admin overrides it with a reason. Soft rules (minimums, coverage of 学段,
the campaign's minimum total) are reported as what is still missing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import store
from store import audit
from store.decisions import RECOMMENDED
from workflows import campaigns
from workflows.errors import HARD_RULES, RuleViolation, StationError, Violation
from workflows.ingest import county
from workflows.profiles import load as profiles
from workflows.profiles.schema import RULE_KEYS
from workflows.quotas import table as quota_table
from workflows.rules import stages
from workflows.station import Station
from workflows.station import actor as os_user

HARD = HARD_RULES
RULE_ZH = {
    "quota.max": "名额上限",
    "quota.min": "最少名额",
    "node.unique": "每个课程节点编号限推荐 1 件",
    "teacher.unique": "每位教师（第一作者）限推荐 1 件",
    "share.cap": "推荐比例上限",
    "coverage": "学段覆盖",
    "min_total": "推荐总数下限",
}
KEY_FIELDS = ("region", "project", "stage", "subject")


def import_table(
    station: Station, path: Path, campaign: str | None = None, region: str | None = None, actor: str | None = None
) -> dict:
    camp = campaigns.get(station, campaign)
    table = quota_table.read(path)
    entries = table.entries
    regions = sorted({e.region for e in entries if e.region})
    if region:
        if region not in regions:
            raise StationError("quota.region", f"名额分配表中没有“{region}”；表中的地区：{'、'.join(regions) or '无'}")
        entries = [e for e in entries if e.region == region]
    db = station.db()
    with store.write(db):
        db.execute("DELETE FROM quotas WHERE campaign_id = ?", [camp["id"]])
        for e in entries:
            db.execute(
                "INSERT INTO quotas (campaign_id, region, project, stage, subject, max, min, source, cell) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [camp["id"], e.region, e.project, e.stage, e.subject, e.max, e.min, path.name, e.cell],
            )
        filled = county.refresh(db, camp["id"])  # a region in the table can name the works' county
        audit.append(
            db,
            actor or os_user(),
            "quota.imported",
            f"campaign:{camp['id']}",
            file=path.name,
            entries=len(entries),
            region=region,
            layout=table.layout,
            counties=filled,
        )
    return {
        "campaign": camp["name"],
        "layout": table.layout,
        "dimensions": table.dimensions,
        "region": region,
        "regions": regions,
        "skipped": table.skipped,
        "counties_filled": filled,
        "entries": [{k: getattr(e, k) for k in (*KEY_FIELDS, "max", "min", "cell")} for e in entries],
    }


def entries(db, campaign_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM quotas WHERE campaign_id = ? ORDER BY id", [campaign_id]))


def label(key: dict) -> str:
    return "·".join(str(key[k]) for k in KEY_FIELDS if key.get(k)) or "全部"


# --- campaign rules -------------------------------------------------------------------------


def rules(station: Station, campaign_id: int) -> dict:
    """The campaign's rules: the profile's [recommend] table, overlaid with the admin's edits."""
    db = station.db()
    camp = db.execute("SELECT profile FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    base = dict(profiles.load(camp[0], station.config_dir).data.get("recommend", {}))
    row = db.execute("SELECT data FROM campaign_rules WHERE campaign_id = ?", [campaign_id]).fetchone()
    if row:
        base.update(json.loads(row[0]))
    return {k: v for k, v in base.items() if v is not None}


def set_rule(station: Station, campaign: str | None, key: str, value, actor: str | None = None) -> dict:
    camp = campaigns.get(station, campaign)
    if key not in RULE_KEYS:
        raise StationError("rules.unknown", f"没有名为“{key}”的推荐规则；可用：{'、'.join(RULE_KEYS)}")
    value = _coerce(key, value)
    db = station.db()
    with store.write(db):
        row = db.execute("SELECT data FROM campaign_rules WHERE campaign_id = ?", [camp["id"]]).fetchone()
        data = json.loads(row[0]) if row else {}
        old = data.get(key)
        data[key] = value
        db.execute(
            "INSERT INTO campaign_rules (campaign_id, data, updated_at) VALUES (?,?,?) ON CONFLICT(campaign_id) "
            "DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            [camp["id"], json.dumps(data, ensure_ascii=False), audit.now()],
        )
        audit.append(db, actor or os_user(), "rules.set", f"campaign:{camp['id']}", key=key, old=old, new=value)
    return rules(station, camp["id"])


def _coerce(key: str, value):
    if value is None or value in ("", "none", "无"):
        return None
    want = RULE_KEYS[key]
    try:
        if want is bool:
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "是")
        if want is list:
            return value if isinstance(value, list) else [v for v in str(value).replace("，", ",").split(",") if v]
        if want is float:
            number = float(str(value).rstrip("%")) / (100 if str(value).endswith("%") else 1)
            if not 0 < number <= 1:
                raise ValueError(value)
            return number
        return int(value)
    except ValueError as e:
        raise StationError("rules.value", f"推荐规则“{key}”的值“{value}”无效") from e


# --- exceptions and overrides ---------------------------------------------------------------


def exempt(station: Station, submission_id: int, reason: str, actor: str | None = None, remove: bool = False) -> None:
    """Flag a work as not consuming quota (an admin's exception, with a reason)."""
    if not remove and not (reason or "").strip():
        raise StationError("quota.reason_required", "不占名额的例外必须写明理由（--reason）")
    db = station.db()
    with store.write(db):
        if not db.execute("SELECT 1 FROM submissions WHERE id = ?", [submission_id]).fetchone():
            raise StationError("submission.unknown", f"没有编号为 {submission_id} 的作品")
        if remove:
            db.execute("DELETE FROM quota_exceptions WHERE submission_id = ?", [submission_id])
        else:
            db.execute(
                "INSERT OR REPLACE INTO quota_exceptions (submission_id, reason, actor, at) VALUES (?,?,?,?)",
                [submission_id, reason.strip(), actor or os_user(), audit.now()],
            )
        audit.append(
            db,
            actor or os_user(),
            "quota.exception_removed" if remove else "quota.exception",
            f"submission:{submission_id}",
            reason=reason,
        )


def overrides(db, campaign_id: int) -> list[dict]:
    return list(
        db.query(
            "SELECT o.* FROM rule_overrides o JOIN submissions s ON s.id = o.submission_id "
            "WHERE s.campaign_id = ? ORDER BY o.id",
            [campaign_id],
        )
    )


# --- evaluating -----------------------------------------------------------------------------


@dataclass
class Work:
    id: int
    stage: str | None
    project: str | None
    subject: str | None
    county: str | None
    node_code: str | None
    teacher: str | None
    title: str
    exempt: bool = False

    def matches(self, key: dict) -> bool:
        values = {
            "region": self.county,
            "project": self.project,
            "stage": stage_key(self.stage),
            "subject": self.subject,
        }
        return all(
            not key.get(k) or (values[k] or "") == (stage_key(key[k]) if k == "stage" else key[k]) for k in KEY_FIELDS
        )


def stage_key(value: str | None) -> str | None:
    if not value:
        return value
    return stages.key(value)


def works(db, campaign_id: int) -> tuple[list[Work], set[int]]:
    """All current works of the campaign, and the ids now recommended."""
    rows = db.query(
        f"""
        SELECT s.id, s.stage, s.project, s.subject, s.county, s.node_code, s.title,
               (SELECT name FROM authors a WHERE a.submission_id = s.id ORDER BY ord LIMIT 1) AS teacher,
               EXISTS (SELECT 1 FROM quota_exceptions e WHERE e.submission_id = s.id) AS exempt,
               {RECOMMENDED} AS recommended
        FROM submissions s WHERE s.campaign_id = ? AND s.status = 'imported' ORDER BY s.id""",
        [campaign_id],
    )
    all_works, recommended = [], set()
    for r in rows:
        all_works.append(
            Work(
                r["id"],
                r["stage"],
                r["project"],
                r["subject"],
                r["county"],
                r["node_code"],
                r["teacher"],
                r["title"],
                bool(r["exempt"]),
            )
        )
        if r["recommended"]:
            recommended.add(r["id"])
    return all_works, recommended


def evaluate(
    db, campaign_id: int, rule_set: dict, recommended: set[int] | None = None, all_works: list[Work] | None = None
) -> list[Violation]:
    """Every violation of the quota table and the campaign rules by RECOMMENDED (default: the current set)."""
    if all_works is None or recommended is None:
        found, current = works(db, campaign_id)
        all_works = all_works if all_works is not None else found
        recommended = recommended if recommended is not None else current
    by_id = {w.id: w for w in all_works}
    picked = [by_id[i] for i in sorted(recommended) if i in by_id]
    counted = [w for w in picked if not w.exempt]
    out: list[Violation] = []
    for key in entries(db, campaign_id):
        inside = [w.id for w in counted if w.matches(key)]
        if key["max"] is not None and len(inside) > key["max"]:
            out.append(
                Violation(
                    "quota.max",
                    f"名额已超：{label(key)} 已推荐 {len(inside)}/{key['max']}（{_names(by_id, inside)}）",
                    inside,
                    key_fields(key),
                )
            )
        if key["min"] is not None and len(inside) < key["min"]:
            out.append(
                Violation(
                    "quota.min",
                    f"{label(key)} 至少推荐 {key['min']} 件，还差 {key['min'] - len(inside)} 件",
                    inside,
                    key_fields(key),
                )
            )
    if rule_set.get("one_per_node"):
        out += _groups(picked, lambda w: w.node_code, "node.unique", "课程节点编号 {k} 推荐了 {n} 件", by_id)
    if rule_set.get("one_per_teacher"):
        out += _groups(picked, lambda w: w.teacher, "teacher.unique", "教师 {k}（第一作者）推荐了 {n} 件", by_id)
    cap = rule_set.get("share_cap")
    if cap:
        for stage in sorted({stage_key(w.stage) or "" for w in all_works if w.stage}):
            total = sum(1 for w in all_works if stage_key(w.stage) == stage)
            inside = [w.id for w in counted if stage_key(w.stage) == stage]
            allowed = math.floor(total * cap + 1e-9)
            if len(inside) > allowed:
                out.append(
                    Violation(
                        "share.cap",
                        f"{stage} 共 {total} 件作品，推荐不超过 {cap:.0%} 即 {allowed} 件，"
                        f"已推荐 {len(inside)} 件（{_names(by_id, inside)}）",
                        inside,
                        {"stage": stage},
                    )
                )
    for stage in rule_set.get("coverage", []):
        if not any(stage_key(w.stage) == stage_key(stage) for w in picked):
            out.append(
                Violation(
                    "coverage",
                    f"{stage} 学段还没有推荐作品（须覆盖 {'、'.join(rule_set['coverage'])}）",
                    [],
                    {"stage": stage},
                )
            )
    minimum = rule_set.get("min_total")
    if minimum and len(picked) < minimum:
        out.append(
            Violation(
                "min_total", f"共推荐 {len(picked)} 件，本活动至少推荐 {minimum} 件，还差 {minimum - len(picked)} 件"
            )
        )
    return out


def key_fields(row: dict) -> dict:
    return {k: row[k] for k in KEY_FIELDS if row.get(k)}


def _names(by_id, ids) -> str:
    shown = [f"#{i}《{by_id[i].title}》" for i in ids[:5]]
    return "、".join(shown) + (f" 等 {len(ids)} 件" if len(ids) > 5 else "")


def _groups(picked, key_of, rule, template, by_id) -> list[Violation]:
    groups: dict[str, list[int]] = {}
    for w in picked:
        k = key_of(w)
        if k:
            groups.setdefault(k, []).append(w.id)
    return [
        Violation(rule, template.format(k=k, n=len(ids)) + f"（{_names(by_id, ids)}）", ids)
        for k, ids in sorted(groups.items())
        if len(ids) > 1
    ]


def overridden(db, v: Violation) -> bool:
    if not v.ids:
        return False
    marks = ",".join("?" * len(v.ids))
    return (
        db.execute(
            f"SELECT 1 FROM rule_overrides WHERE rule = ? AND submission_id IN ({marks}) LIMIT 1", [v.rule, *v.ids]
        ).fetchone()
        is not None
    )


def check_decision(
    db, campaign_id: int, rule_set: dict, ids: list[int], value: str, override_reason: str | None, actor: str
) -> list[Violation]:
    """Refuse a recommendation that would break a hard rule, unless overridden (recorded, audit-logged).

    Must run inside the caller's write transaction.
    """
    if value != "recommend":
        return []
    all_works, current = works(db, campaign_id)
    proposed = current | set(ids)
    new = [
        v
        for v in evaluate(db, campaign_id, rule_set, proposed, all_works)
        if v.hard and set(v.ids) & set(ids) and not overridden(db, v)
    ]
    if not new:
        return []
    if not (override_reason or "").strip():
        text = "；".join(f"{RULE_ZH[v.rule]}：{v.message}" for v in new)
        raise RuleViolation(new, f"不能推荐：{text}。如确需推荐，请管理员使用 --override --reason 说明理由")
    at = audit.now()
    reason = (override_reason or "").strip()
    for v in new:
        for i in set(v.ids) & set(ids):
            db.execute(
                "INSERT INTO rule_overrides (submission_id, rule, reason, actor, at) VALUES (?,?,?,?,?)",
                [i, v.rule, reason, actor, at],
            )
            audit.append(
                db,
                actor,
                "rule.override",
                f"submission:{i}",
                rule=v.rule,
                reason=reason,
                violation=v.message,
            )
    return new


def status(station: Station, campaign: str | None = None) -> dict:
    camp = campaigns.get(station, campaign)
    db = station.db()
    rule_set = rules(station, camp["id"])
    all_works, recommended = works(db, camp["id"])
    counted = [w for w in all_works if w.id in recommended and not w.exempt]
    keys = []
    for key in entries(db, camp["id"]):
        used = sum(1 for w in counted if w.matches(key))
        keys.append(
            {
                **{k: key[k] for k in KEY_FIELDS},
                "label": label(key),
                "used": used,
                "max": key["max"],
                "min": key["min"],
                "missing": max(0, (key["min"] or 0) - used),
                "over": max(0, used - key["max"]) if key["max"] is not None else 0,
            }
        )
    violations = [v for v in evaluate(db, camp["id"], rule_set, recommended, all_works)]
    by_region = any(k["region"] for k in keys)
    return {
        "campaign": camp["name"],
        "rules": rule_set,
        "recommended": len(recommended),
        "exempt": sum(1 for w in all_works if w.id in recommended and w.exempt),
        # works no county row can count (their county is unknown): `station quota county` or the 申报表 fixes it
        "no_county": sum(1 for w in all_works if not w.county) if by_region else 0,
        "entries": keys,
        "violations": [dict(v.as_dict(), overridden=overridden(db, v)) for v in violations],
    }


def key_works(station: Station, campaign: str | None, key: dict) -> list[int]:
    """The campaign's works a quota row counts (every current work that matches KEY, recommended or not)."""
    camp = campaigns.get(station, campaign)
    all_works, _ = works(station.db(), camp["id"])
    return [w.id for w in all_works if w.matches(key)]


def hard_violations(station: Station, campaign_id: int) -> list[Violation]:
    """What must be resolved (or overridden) before the campaign can be exported."""
    db = station.db()
    return [v for v in evaluate(db, campaign_id, rules(station, campaign_id)) if v.hard and not overridden(db, v)]
