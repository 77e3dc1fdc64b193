"""`station summary`: the 汇总表 of a campaign's recommended works, with scores, remarks and quota use."""

from __future__ import annotations

from pathlib import Path

from exporters import summary_xlsx
from store import queries
from workflows import campaigns
from workflows.errors import StationError
from workflows.quotas import rules as quotas
from workflows.scoring import scores as scoring
from workflows.station import Station


def enrich(station: Station, camp: dict, subs: list[dict]) -> list[dict]:
    """SUBS with `score` and `rank` (where scored), `opinion` and `remarks` (exceptions, overrides, vetoes)."""
    db = station.db()
    ids = [s["id"] for s in subs]
    results = {}
    try:
        rub = scoring.rubric(station, camp["id"])
        results = scoring.aggregate(db, camp["id"], rub, scoring.method(station, camp["id"], rub))
    except StationError as e:
        if e.code != "rubric.none":
            raise
    remarks: dict[int, list[str]] = {}
    opinions: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for sid, reason in db.execute(
            f"SELECT submission_id, reason FROM quota_exceptions WHERE submission_id IN ({marks})", chunk
        ):
            remarks.setdefault(sid, []).append(f"不占名额：{reason}")
        for sid, rule, reason, actor in db.execute(
            f"SELECT submission_id, rule, reason, actor FROM rule_overrides "
            f"WHERE submission_id IN ({marks}) ORDER BY id",
            chunk,
        ):
            remarks.setdefault(sid, []).append(f"特批（{quotas.RULE_ZH.get(rule, rule)}，{actor}）：{reason}")
        for sid, reason in db.execute(
            f"SELECT submission_id, reason FROM reviews WHERE submission_id IN ({marks})", chunk
        ):
            if reason:
                opinions[sid] = f"推荐：{reason}"
    out = []
    for s in subs:
        r = results.get(s["id"])
        extra = [f"否决项：{v}（专家 {e}）" for e, v in r.vetoes] if r else []
        out.append(
            dict(
                s,
                score=r.score if r else None,
                rank=r.rank if r else None,
                remarks=remarks.get(s["id"], []) + extra,
                **({"opinion": opinions[s["id"]]} if s["id"] in opinions else {}),
            )
        )
    return out


def write(station: Station, campaign: str | None, path: Path, title: str | None = None) -> dict:
    camp = campaigns.get(station, campaign)
    _, recommended = quotas.works(station.db(), camp["id"])
    subs = queries.submissions(station.db(), ids=sorted(recommended)) if recommended else []
    if not subs:
        raise StationError("summary.empty", f"征集活动“{camp['name']}”还没有推荐的作品，汇总表无内容")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise StationError("summary.path", f"汇总表应保存为 .xlsx 文件，而不是“{path.name}”")
    rows = enrich(station, camp, subs)
    status = quotas.status(station, camp["name"])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sheets = summary_xlsx.write(path, title or f"{camp['name']} 推荐作品汇总表", rows, quota=status)
    except OSError as e:
        raise StationError("summary.write", f"无法写入汇总表 {path}：{e.strerror or e}") from None
    return {
        "path": str(path),
        "campaign": camp["name"],
        "sheets": sheets,
        "works": len(rows),
        "scored": sum(1 for r in rows if r["score"] is not None),
        "quota_entries": len(status["entries"]),
    }
