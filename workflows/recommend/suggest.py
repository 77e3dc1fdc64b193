"""`station recommend --suggest`: a recommendation list ranked by aggregated score that keeps every rule.

Semantics are those of `quotas.evaluate`: caps (`quota.max`) and the share cap count works that
are not exceptions; one work per 课程节点编号 and per teacher (first author) counts every pick;
minimums count non-exceptions, coverage and the minimum total count every pick. Only works that
are scored, not vetoed and not decided 不推荐/需修改 are candidates. When the quota table has
entries, a work that matches none of them has no quota and is not suggested.

Order: exceptions (不占名额) first, then the needs (a key's minimum, a 学段 to cover), the one
with the fewest candidates first, then everything else by score (ties by id). Needs are met
before score, so a coverage pick can keep a higher-scored work with the same node out; its
reason says so. What cannot be met is listed with the works that were blocked and why.
Applying goes through `review.decide`, so rules and audit apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from workflows import campaigns
from workflows.errors import StationError
from workflows.quotas import rules as quotas
from workflows.review import decide as review
from workflows.scoring import scores as scoring
from workflows.station import Station

REASON_ZH = {"reject": "评审决定为“不推荐”", "fix": "评审决定为“需修改”，尚未改好"}


@dataclass
class Candidate:
    work: quotas.Work
    score: float | None
    stage: str | None
    keys: list[int]
    rank: int = 0  # in the whole campaign, by score
    why: str = ""  # why it was picked
    reason: str = ""  # why not
    rule: str = ""


@dataclass
class Plan:
    entries: list[dict]
    rule_set: dict
    counts: list[int] = field(default_factory=list)
    stage_used: dict = field(default_factory=dict)
    stage_total: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)
    teachers: dict = field(default_factory=dict)
    picked: list = field(default_factory=list)
    key_rank: list = field(default_factory=list)  # per quota key: id -> position among its candidates
    stage_rank: dict = field(default_factory=dict)  # stage -> id -> position

    def blocked(self, c: Candidate) -> tuple[str, str] | None:
        """The first rule that stops C joining the picks, as (rule, reason); None when it fits."""
        w, rules = c.work, self.rule_set
        if rules.get("one_per_node") and w.node_code and w.node_code in self.nodes:
            other = self.nodes[w.node_code]
            return "node.unique", f"课程节点编号 {w.node_code} 已建议推荐 {_ref(other)}"
        if rules.get("one_per_teacher") and w.teacher and w.teacher in self.teachers:
            other = self.teachers[w.teacher]
            return "teacher.unique", f"教师 {w.teacher}（第一作者）已建议推荐 {_ref(other)}"
        if w.exempt:
            return None
        if self.entries and not c.keys:
            return "quota.none", f"名额分配表中没有“{_describe(w)}”的名额"
        for k in c.keys:
            limit = self.entries[k]["max"]
            if limit is not None and self.counts[k] >= limit:
                return "quota.max", (
                    f"名额已满：{quotas.label(self.entries[k])} {self.counts[k]}/{limit}，"
                    f"排名第{self.key_rank[k][w.id]}"
                )
        cap = rules.get("share_cap")
        if cap and c.stage:
            total = self.stage_total.get(c.stage, 0)
            allowed = math.floor(total * cap + 1e-9)
            if self.stage_used.get(c.stage, 0) >= allowed:
                return "share.cap", (
                    f"推荐比例已满：{c.stage} 共 {total} 件，最多推荐 {cap:.0%} 即 {allowed} 件，"
                    f"排名第{self.stage_rank[c.stage][w.id]}"
                )
        return None

    def take(self, c: Candidate, why: str) -> None:
        w = c.work
        c.why = why
        self.picked.append(c)
        if w.node_code:
            self.nodes.setdefault(w.node_code, c)
        if w.teacher:
            self.teachers.setdefault(w.teacher, c)
        if not w.exempt:
            for k in c.keys:
                self.counts[k] += 1
            if c.stage:
                self.stage_used[c.stage] = self.stage_used.get(c.stage, 0) + 1


def _ref(c: Candidate) -> str:
    score = f"，{c.score:.2f} 分" if c.score is not None else ""
    return f"#{c.work.id}《{c.work.title}》（{c.why}{score}）"


def _describe(w: quotas.Work) -> str:
    return "·".join(v for v in (w.county, w.project, w.stage, w.subject) if v) or "未填学段、学科"


def _index(entries: list[dict]):
    """Quota keys by which fields they set, then by those fields' values (exactly `Work.matches`)."""
    index: dict[tuple, dict[tuple, list[int]]] = {}
    for n, e in enumerate(entries):
        fields = tuple(f for f in quotas.KEY_FIELDS if e.get(f))
        values = tuple(quotas.stage_key(e[f]) if f == "stage" else e[f] for f in fields)
        index.setdefault(fields, {}).setdefault(values, []).append(n)
    return index


def _keys_of(index, w: quotas.Work, stage: str | None) -> list[int]:
    values = {"region": w.county, "project": w.project, "stage": stage, "subject": w.subject}
    out: list[int] = []
    for fields, by_value in index.items():
        out += by_value.get(tuple(values[f] or "" for f in fields), ())
    return out


def suggest(station: Station, campaign: str | None = None) -> dict:
    camp = campaigns.get(station, campaign)
    db = station.db()
    rule_set = quotas.rules(station, camp["id"])
    rub = scoring.rubric(station, camp["id"])
    how = scoring.method(station, camp["id"], rub)
    results = scoring.aggregate(db, camp["id"], rub, how)
    all_works, recommended = quotas.works(db, camp["id"])
    decisions = dict(
        db.execute(
            "SELECT r.submission_id, r.decision FROM reviews r JOIN submissions s ON s.id = r.submission_id "
            "WHERE s.campaign_id = ? AND s.status = 'imported'",
            [camp["id"]],
        ).fetchall()
    )
    entries = quotas.entries(db, camp["id"])
    index = _index(entries)
    plan = Plan(entries, rule_set, counts=[0] * len(entries), key_rank=[{} for _ in entries])

    candidates: list = []
    refused: list = []
    for w in all_works:
        stage = quotas.stage_key(w.stage)
        if stage:
            plan.stage_total[stage] = plan.stage_total.get(stage, 0) + 1
        r = results.get(w.id)
        c = Candidate(w, r.score if r else None, stage, _keys_of(index, w, stage), r.rank if r and r.rank else 0)
        if decisions.get(w.id) in REASON_ZH:
            c.rule, c.reason = "decision", REASON_ZH[decisions[w.id]]
        elif r and r.vetoed:
            c.rule, c.reason = "veto", "否决项：" + "、".join(f"{v}（专家 {e}）" for e, v in r.vetoes)
        elif c.score is None:
            c.rule, c.reason = (
                "unscored",
                "尚未评分" + (f"（{'、'.join(r.incomplete)} 未评完）" if r and r.incomplete else ""),
            )
        (refused if c.reason else candidates).append(c)
    candidates.sort(key=lambda c: (-c.score, c.work.id))
    by_key: list[list[Candidate]] = [[] for _ in entries]
    by_stage: dict[str | None, list[Candidate]] = {}
    for c in candidates:
        for k in c.keys:
            by_key[k].append(c)
            plan.key_rank[k][c.work.id] = len(by_key[k])
        if c.stage:
            by_stage.setdefault(c.stage, []).append(c)
            plan.stage_rank.setdefault(c.stage, {})[c.work.id] = len(by_stage[c.stage])

    picked_ids: set[int] = set()

    def pick(c: Candidate, why: str) -> bool:
        if c.work.id in picked_ids or plan.blocked(c):
            return False
        plan.take(c, why)
        picked_ids.add(c.work.id)
        return True

    for c in candidates:
        if c.work.exempt:
            pick(c, "不占名额的例外")
    # needs, scarcest first: a key's minimum, a 学段 to cover
    unmet = []
    needs: list[tuple[int, int, Any]] = [(len(by_key[k]), 0, k) for k, e in enumerate(entries) if e["min"]]
    needs += [(len(by_stage.get(quotas.stage_key(s), [])), 1, s) for s in rule_set.get("coverage", [])]
    for _, kind, need in sorted(needs, key=lambda n: (n[0], n[1])):
        if kind == 0:
            k, e = need, entries[need]
            for c in by_key[k]:
                if plan.counts[k] >= e["min"]:
                    break
                pick(c, f"满足最少名额：{quotas.label(e)}")
            if plan.counts[k] < e["min"]:
                unmet.append(
                    _unmet(
                        "quota.min",
                        f"{quotas.label(e)} 至少推荐 {e['min']} 件，只能建议 {plan.counts[k]} 件",
                        quotas.key_fields(e),
                        by_key[k],
                        plan,
                        picked_ids,
                        [c for c in refused if k in c.keys],
                    )
                )
            continue
        want = quotas.stage_key(need)
        if any(c.stage == want for c in plan.picked):
            continue
        if not any(pick(c, f"满足学段覆盖：{want}") for c in by_stage.get(want, [])):
            unmet.append(
                _unmet(
                    "coverage",
                    f"{need} 学段没有可建议推荐的作品（须覆盖 {'、'.join(rule_set['coverage'])}）",
                    {"stage": need},
                    by_stage.get(want, []),
                    plan,
                    picked_ids,
                    [c for c in refused if c.stage == want],
                )
            )
    for c in candidates:
        if c.work.id in picked_ids:
            continue
        stop = plan.blocked(c)
        if stop:
            c.rule, c.reason = stop
        else:
            pick(c, "按得分排名")
    minimum = rule_set.get("min_total")
    if minimum and len(plan.picked) < minimum:
        unmet.append(
            {
                "rule": "min_total",
                "message": f"本活动至少推荐 {minimum} 件，按规则只能建议 {len(plan.picked)} 件",
                "key": None,
                "blocked": [
                    {"id": c.work.id, "title": c.work.title, "reason": c.reason}
                    for c in candidates
                    if c.work.id not in picked_ids
                ][:20],
            }
        )

    suggested = sorted(plan.picked, key=lambda c: (-(c.score or 0), c.work.id))
    left = sorted(
        [c for c in candidates if c.work.id not in picked_ids] + refused,
        key=lambda c: (c.score is None, -(c.score or 0), c.work.id),
    )
    chosen = {c.work.id for c in suggested}
    return {
        "campaign": camp["name"],
        "method": how,
        "rules": rule_set,
        "suggested": [_row(c) | {"why": c.why} for c in suggested],
        "not_suggested": [_row(c) | {"rule": c.rule, "reason": c.reason} for c in left],
        "unmet": unmet,
        "entries": [
            {**quotas.key_fields(e), "label": quotas.label(e), "max": e["max"], "min": e["min"], "used": plan.counts[k]}
            for k, e in enumerate(entries)
        ],
        "changes": {"recommend": sorted(chosen - recommended), "withdraw": sorted(recommended - chosen)},
    }


def _row(c: Candidate) -> dict:
    return {
        "id": c.work.id,
        "title": c.work.title,
        "score": c.score,
        "rank": c.rank or None,
        "stage": c.stage,
        "exempt": c.work.exempt,
    }


def _unmet(rule, message, key, pool, plan: Plan, picked_ids, refused=()) -> dict:
    """A need that cannot be met, with what stopped each candidate for it."""
    blocked = []
    for c in pool:
        if c.work.id not in picked_ids:
            stop = plan.blocked(c)
            if stop:
                blocked.append({"id": c.work.id, "title": c.work.title, "reason": stop[1]})
    blocked += [{"id": c.work.id, "title": c.work.title, "reason": c.reason} for c in refused]
    if not pool and not refused:
        message += "：没有这样的作品"
    return {"rule": rule, "message": message, "key": key, "blocked": blocked[:20]}


def apply(station: Station, campaign: str | None, reviewer: str) -> dict:
    """Make the campaign's recommendations the suggestion: withdraw the others (to 待定), then recommend."""
    result = suggest(station, campaign)
    withdraw, add = result["changes"]["withdraw"], result["changes"]["recommend"]
    withdrawn = (
        review.decide(station, withdraw, "pending", "采纳推荐建议：未列入建议名单", reviewer) if withdraw else None
    )
    try:
        added = review.decide(station, add, "recommend", "采纳推荐建议", reviewer) if add else None
    except StationError:
        if withdrawn:
            review.undo(station, withdrawn, reviewer)
        raise
    result["applied"] = {
        "recommended": [c.id for c in added.changes] if added else [],
        "withdrawn": [c.id for c in withdrawn.changes] if withdrawn else [],
    }
    return result
