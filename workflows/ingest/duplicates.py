"""一稿多投: the same video or audio bytes in two current works of one campaign (the activity a notice means).

Scoped to a campaign: the same file in two unrelated campaigns (two programmes, or two years) is not
what any notice calls 一稿多投. The status and clause come from the profile's [rules."dup.same_file"];
a profile without it gets a warning that says the notice is silent.
"""

from __future__ import annotations

import sqlite_utils

import store
from store import audit
from workflows.errors import StationError
from workflows.profiles import load as profiles

RULE = "dup.same_file"
SILENT = "通知未规定，仅作提示"


def refresh(db: sqlite_utils.Database, config_dir=None) -> int:
    """Recompute every dup.same_file finding from the files table; returns how many there are."""
    rows = list(
        db.query("""
        SELECT f.id AS file_id, f.sha256, f.path, s.id AS sub_id, s.title, s.school, s.campaign_id,
               c.name AS campaign, c.profile
        FROM files f JOIN submissions s ON s.id = f.submission_id JOIN campaigns c ON c.id = s.campaign_id
        WHERE s.status = 'imported' AND f.kind IN ('video', 'audio') AND (s.campaign_id, f.sha256) IN (
            SELECT s2.campaign_id, f2.sha256 FROM files f2 JOIN submissions s2 ON s2.id = f2.submission_id
            WHERE s2.status = 'imported' AND f2.kind IN ('video', 'audio')
            GROUP BY s2.campaign_id, f2.sha256 HAVING COUNT(DISTINCT f2.submission_id) > 1)
        ORDER BY s.campaign_id, f.sha256, s.id""")
    )
    groups: dict[tuple[int, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["campaign_id"], r["sha256"]), []).append(r)
    loaded: dict[str, profiles.Profile | None] = {}
    now = audit.now()
    count = 0
    with store.write(db):
        db.execute("DELETE FROM findings WHERE rule = ?", [RULE])
        for (_, sha), group in groups.items():
            pid = group[0]["profile"]
            if pid not in loaded:
                try:
                    loaded[pid] = profiles.load(pid, config_dir)
                except StationError:
                    loaded[pid] = None
            profile = loaded[pid]
            spec = profile.data.get("rules", {}).get(RULE) if profile else None
            if spec is not None and spec.get("enabled") is False:
                continue
            if spec is None:
                status, clause = "warn", SILENT
                verdict = f"请核实是否为同一资源重复申报（{SILENT}）"
            else:
                status = "warn" if spec.get("severity") == "warn" else "fail"
                clause = spec.get("clause", "")
                name = profile.name if profile else ""
                verdict = (
                    ("一稿多投，按规定取消参评资格，请核实" if status == "fail" else "疑似重复申报，请人工核实")
                    + f"（{name}"
                    + (f"，{clause}" if clause else "")
                    + "）"
                )
            for r in group:
                others = [o for o in group if o["sub_id"] != r["sub_id"]]
                named = "；".join(f"#{o['sub_id']}《{o['title']}》（{o['school'] or '未知单位'}）" for o in others)
                db.execute(
                    "INSERT INTO findings (submission_id, file_id, rule, status, measured, expected, message, clause, "
                    "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        r["sub_id"],
                        r["file_id"],
                        RULE,
                        status,
                        f"sha256 {sha[:12]}…，另见 {', '.join('#' + str(o['sub_id']) for o in others)}",
                        "同一活动中每件作品的音视频文件互不相同",
                        f"“{r['path']}”与本活动（{r['campaign']}）{named} 的文件完全相同：{verdict}",
                        clause,
                        now,
                    ],
                )
                count += 1
    return count
