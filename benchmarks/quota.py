"""Recommendation suggestion on 20,000 scored submissions and 500 quota keys, against a plain sort.

    .venv/bin/python benchmarks/quota.py [--works 20000] [--keys 500] [--experts 3] [--repeat 3] [--json]

Set-up, not timed: a temporary station with a jpk-subject campaign (rubric of four items), WORKS
submissions spread over KEYS quota keys (学段 x 学科, each capped at about a quarter of its works,
every tenth with a minimum), first authors and 课程节点编号 that sometimes repeat, each work scored
by EXPERTS experts on every item (WORKS x EXPERTS x 4 score rows), and the rules one per node, one
per teacher, coverage of 小学/初中/高中, a 30% share cap and a minimum total.

Then, in the same run, best of REPEAT:

1. baseline: read the same rows from the station (the works with their quota fields, and every
   score row summed per work in SQL) and sort them by key and score with `sorted()`;
2. ours: `workflows.suggest.suggest` end to end (rules, rubric, aggregation of every score row in
   Python, the greedy fill with reasons for every work).

Prints seconds and the ratio ours / baseline, and ours / the in-memory sort alone. Never fails on them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import store  # noqa: E402
from store import audit  # noqa: E402
from workflows import campaigns
from workflows.quotas import rules as quotas
from workflows.recommend import suggest  # noqa: E402
from workflows.station import Station  # noqa: E402

STAGES = ["小学", "初中", "高中", "学前", "中职"]
ITEMS = {"目标内容": 20, "教学过程": 40, "教学资源": 20, "技术规范": 20}


def build(station: Station, works: int, keys: int, experts: int, seed: int = 7) -> int:
    rnd = random.Random(seed)
    camp = campaigns.add(station, "基准", "jpk-subject")
    subjects = [f"学科{n:03d}" for n in range(max(1, keys // len(STAGES)))]
    pairs = [(s, sub) for sub in subjects for s in STAGES][:keys]
    now = audit.now()
    db = station.db()
    with store.write(db):
        rows, authors, scores = [], [], []
        for i in range(1, works + 1):
            stage, subject = pairs[rnd.randrange(len(pairs))]
            rows.append(
                (
                    i,
                    camp["id"],
                    f"bench/{i}",
                    f"fp{i}",
                    f"作品{i}",
                    stage,
                    subject,
                    f"N{rnd.randrange(works * 3 // 4)}",
                    f"学校{rnd.randrange(400)}",
                    "bench",
                    now,
                    "imported",
                )
            )
            authors.append((i, 0, f"教师{rnd.randrange(works * 3 // 5)}", "授课教师"))
            quality = rnd.gauss(75, 10)
            for e in range(experts):
                for item, full in ITEMS.items():
                    value = min(full, max(0.0, round(full * (quality + rnd.gauss(0, 4)) / 100, 1)))
                    scores.append((i, f"专家{e}", item, value, now))
        db.conn.executemany(
            "INSERT INTO submissions (id, campaign_id, source_key, fingerprint, title, stage, subject, "
            "node_code, school, source, imported_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        db.conn.executemany("INSERT INTO authors (submission_id, ord, name, role) VALUES (?,?,?,?)", authors)
        db.conn.executemany("INSERT INTO scores (submission_id, expert, item, value, at) VALUES (?,?,?,?,?)", scores)
        per_key = {}
        for r in rows:
            per_key[(r[5], r[6])] = per_key.get((r[5], r[6]), 0) + 1
        db.conn.executemany(
            "INSERT INTO quotas (campaign_id, stage, subject, max, min, source) VALUES (?,?,?,?,?,?)",
            [
                (camp["id"], s, sub, max(1, per_key.get((s, sub), 0) // 4), 1 if n % 10 == 0 else None, "bench")
                for n, (s, sub) in enumerate(pairs)
            ],
        )
    quotas.set_rule(station, camp["name"], "share_cap", "30%", actor="bench")
    quotas.set_rule(station, camp["name"], "min_total", str(works // 10), actor="bench")
    return camp["id"]


def baseline(station: Station, campaign_id: int) -> tuple[float, float]:
    """Read the same rows (works, summed scores) and sort them by key and score; also the sort alone."""
    db = station.db()
    start = time.perf_counter()
    totals = dict(
        db.execute(
            "SELECT c.submission_id, SUM(c.value) FROM scores c JOIN submissions s ON s.id = c.submission_id "
            "WHERE s.campaign_id = ? GROUP BY c.submission_id",
            [campaign_id],
        ).fetchall()
    )
    rows = db.execute(
        "SELECT s.id, s.stage, s.subject, s.node_code, (SELECT name FROM authors a WHERE a.submission_id = s.id "
        "ORDER BY ord LIMIT 1) FROM submissions s WHERE s.campaign_id = ? AND s.status = 'imported'",
        [campaign_id],
    ).fetchall()
    keyed = [(r[1], r[2], -totals.get(r[0], 0), r[0]) for r in rows]
    t_sort = time.perf_counter()
    ordered = sorted(keyed)
    end = time.perf_counter()
    assert len(ordered) == len(rows)
    return end - start, end - t_sort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--experts", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-quota-") as tmp:
        station = Station.open(Path(tmp) / "station.db")
        t0 = time.perf_counter()
        cid = build(station, args.works, args.keys, args.experts)
        setup = time.perf_counter() - t0
        base, sort_only, ours, result = [], [], [], None
        for _ in range(args.repeat):
            b, s = baseline(station, cid)
            base.append(b)
            sort_only.append(s)
            t = time.perf_counter()
            result = suggest.suggest(station, str(cid))
            ours.append(time.perf_counter() - t)
        out = {
            "works": args.works,
            "keys": len(result["entries"]),
            "score_rows": args.works * args.experts * len(ITEMS),
            "setup_s": round(setup, 2),
            "baseline_s": round(min(base), 4),
            "sort_only_s": round(min(sort_only), 4),
            "suggest_s": round(min(ours), 4),
            "ratio": round(min(ours) / min(base), 2),
            "ratio_sort_only": round(min(ours) / min(sort_only), 1),
            "suggested": len(result["suggested"]),
            "not_suggested": len(result["not_suggested"]),
            "unmet": len(result["unmet"]),
        }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(f"{out['works']} works, {out['keys']} quota keys, {out['score_rows']} score rows (set-up {out['setup_s']} s)")
    print(
        f"baseline (read the rows + sorted()): {out['baseline_s']:.4f} s   of which sorted(): {out['sort_only_s']:.4f} s"
    )
    print(
        f"suggest:                            {out['suggest_s']:.4f} s   ({out['suggested']} suggested, "
        f"{out['not_suggested']} with a reason, {out['unmet']} unmet needs)"
    )
    print(f"ratio suggest / baseline: {out['ratio']}   (suggest / sorted() alone: {out['ratio_sort_only']})")


if __name__ == "__main__":
    main()
