"""Issue 14 item 3: several processes deciding the same works at once never overwrite each other silently.

Each process does what a TUI session does: read the state it shows (the revision), wait a moment (the
reviewer's reaction), then decide with `expected=` that revision. Every decision that lands must have
been made on the state its process saw; the others must be refused with `decision.conflict`.
"""

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict

from sample_station import sample, sample_master  # noqa: F401

from store import audit

PROCESSES = 4
PER_PROCESS = 250  # 1,000 decisions
WORKS = 3  # few works: the processes collide all the time

WORKER = textwrap.dedent(
    """
    import json, random, sys, time
    from workflows.review import decide as review
    from workflows.station import Station

    db_path, name, ids, n = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
    station = Station.open(db_path)
    rnd = random.Random(name)
    out = []
    for k in range(n):
        sid = rnd.choice(ids)
        seen = review.current(station.db(), [sid])[sid].rev
        time.sleep(rnd.random() * 0.002)
        value = rnd.choice(["reject", "pending", "fix"])
        try:
            outcome = review.decide(station, [sid], value, "改" if value == "fix" else None, name, expected={sid: seen})
        except review.Conflict as e:
            out.append({"sid": sid, "seen": seen, "result": e.code})
        else:
            changes = outcome.changes
            out.append({"sid": sid, "seen": seen, "result": "ok", "old": changes[0].old.rev if changes else None,
                        "new": changes[0].new.rev if changes else None})
    print(json.dumps(out))
    """
)


def test_concurrent_processes_never_overwrite_silently(sample):
    ids = [r[0] for r in sample.db().execute("SELECT id FROM submissions WHERE status = 'imported' LIMIT ?", [WORKS])]
    env = dict(os.environ, LANG="C.UTF-8")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(sample.db_path), f"评审{n}", json.dumps(ids), str(PER_PROCESS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(PROCESSES)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        results += json.loads(out)
    assert len(results) == PROCESSES * PER_PROCESS == 1000

    outcomes = Counter(r["result"] for r in results)
    assert set(outcomes) <= {"ok", "decision.conflict"}
    assert outcomes["decision.conflict"] > 0  # they did collide
    written = [r for r in results if r["result"] == "ok" and r["new"] is not None]
    # every write was made on the revision its process saw, and moved it by one
    assert all(r["old"] == r["seen"] and r["new"] == r["seen"] + 1 for r in written)
    # no two writes started from the same revision of a work (that would be an overwrite)
    starts = Counter((r["sid"], r["seen"]) for r in written)
    assert max(starts.values()) == 1

    # the audit log agrees: one decision.made per write, revisions 1..n per work without gaps or repeats
    made = defaultdict(list)
    for e in audit.entries(sample.db()):
        if e["action"] == "decision.made":
            made[int(e["subject"].split(":")[1])].append(e["detail"]["rev"])
    assert sum(len(v) for v in made.values()) == len(written)
    for sid, revs in made.items():
        assert revs == list(range(1, len(revs) + 1)), sid
    assert audit.verify(sample.db()).ok
