"""Decisions, undo, notes, 回避, read-only, optimistic concurrency, the queue queries and `station decide`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sample_station import copy_station, sample, sample_master  # noqa: F401

from store import audit, queries
from store import queue as q
from workflows import reviewers
from workflows.errors import StationError
from workflows.review import decide as review
from workflows.station import Station


def ids_by_title(station):
    return {s["title"]: s["id"] for s in queries.submissions(station.db())}


def decision_entries(station, action="decision."):
    return [e for e in audit.entries(station.db()) if e["action"].startswith(action)]


def test_decide_records_state_history_and_audit(sample):
    t = ids_by_title(sample)
    out = review.decide(sample, [t["春晓"]], "recommend", None, "张老师")
    assert [c.id for c in out.changes] == [t["春晓"]] and out.changes[0].old.decision is None
    assert review.current(sample.db(), [t["春晓"]])[t["春晓"]].decision == "recommend"
    out = review.decide(sample, [t["春晓"]], "fix", "片头需要补充课程名称", "李老师")
    entry = decision_entries(sample)[-1]
    assert entry["actor"] == "李老师" and entry["subject"] == f"submission:{t['春晓']}"
    assert entry["detail"]["old"] == "recommend" and entry["detail"]["new"] == "fix"
    assert entry["detail"]["reason"] == "片头需要补充课程名称" and entry["at"]
    listed = {s["id"]: s for s in queries.submissions(sample.db())}
    assert listed[t["春晓"]]["decision"] == "fix"  # `station list` sees it too
    assert audit.verify(sample.db()).ok


def test_fix_needs_a_reason_and_values_are_checked(sample):
    t = ids_by_title(sample)
    with pytest.raises(StationError) as e:
        review.decide(sample, [t["春晓"]], "fix", "  ", "张老师")
    assert e.value.code == "decision.reason_required"
    with pytest.raises(StationError) as e:
        review.decide(sample, [t["春晓"]], "approve", None, "张老师")
    assert e.value.code == "decision.value"
    with pytest.raises(StationError) as e:
        review.decide(sample, [99999], "reject", None, "张老师")
    assert e.value.code == "submission.unknown"
    assert decision_entries(sample) == []


def test_undo_restores_previous_state_and_is_audited(sample):
    t = ids_by_title(sample)
    first = review.decide(sample, [t["春晓"]], "recommend", None, "张老师")
    second = review.decide(sample, [t["春晓"], t["光合作用"]], "reject", None, "张老师")
    review.undo(sample, second, "张老师")
    now = review.current(sample.db(), [t["春晓"], t["光合作用"]])
    assert now[t["春晓"]].decision == "recommend" and now[t["光合作用"]].decision is None
    review.undo(sample, first, "张老师")
    assert review.current(sample.db(), [t["春晓"]])[t["春晓"]].decision is None
    listed = {s["id"]: s for s in queries.submissions(sample.db())}
    assert listed[t["春晓"]]["decision"] is None
    undone = decision_entries(sample, "decision.undone")
    assert [(e["detail"]["old"], e["detail"]["new"]) for e in undone] == [
        ("reject", None),
        ("reject", "recommend"),
        ("recommend", None),
    ]


def test_second_reviewer_is_told_not_overwritten(sample):
    t = ids_by_title(sample)
    seen = {t["春晓"]: review.current(sample.db(), [t["春晓"]])[t["春晓"]].rev}
    other = Station.open(sample.db_path)  # another session on the same file
    review.decide(other, [t["春晓"]], "recommend", None, "甲")
    with pytest.raises(review.Conflict) as e:
        review.decide(sample, [t["春晓"]], "reject", None, "乙", expected=seen)
    assert e.value.code == "decision.conflict" and "甲" in e.value.message
    assert e.value.current[t["春晓"]].decision == "recommend"
    assert review.current(sample.db(), [t["春晓"]])[t["春晓"]].decision == "recommend"


def test_undo_refuses_when_someone_changed_it_since(sample):
    t = ids_by_title(sample)
    mine = review.decide(sample, [t["春晓"]], "recommend", None, "甲")
    review.decide(sample, [t["春晓"]], "reject", None, "乙")
    with pytest.raises(review.Conflict):
        review.undo(sample, mine, "甲")
    assert review.current(sample.db(), [t["春晓"]])[t["春晓"]].decision == "reject"


def test_recusal_by_unit_and_read_only(sample):
    t = ids_by_title(sample)
    reviewers.add(sample, "王老师", unit="实验小学")
    with pytest.raises(StationError) as e:
        review.decide(sample, [t["春晓"]], "recommend", None, "王老师")  # 中牟县实验小学
    assert e.value.code == "decision.recused"
    review.decide(sample, [t["光合作用"]], "recommend", None, "王老师")
    visible = q.ids(sample.db(), q.Filter(recuse_unit="实验小学"))
    hidden = {t["春晓"], t["分数的初步认识"], t["巧手做风筝"]}
    assert hidden.isdisjoint(visible) and t["光合作用"] in visible
    reviewers.add(sample, "观察员", read_only=True)
    with pytest.raises(StationError) as e:
        review.set_note(sample, t["春晓"], "看过", "观察员")
    assert e.value.code == "reviewer.read_only"


def test_notes(sample):
    t = ids_by_title(sample)
    assert review.set_note(sample, t["春晓"], "片尾有杂音", "张老师") is None
    assert review.note(sample.db(), t["春晓"])["text"] == "片尾有杂音"
    assert review.set_note(sample, t["春晓"], "", "张老师") == "片尾有杂音"
    assert review.note(sample.db(), t["春晓"]) is None
    assert [e["detail"]["new"] for e in decision_entries(sample, "note.")] == ["片尾有杂音", None]


def test_queue_filters_compose_and_search(sample):
    db = sample.db()
    t = ids_by_title(sample)
    everything = q.count(db, q.Filter())
    assert everything == len(queries.submissions(db))
    assert q.ids(db, q.Filter(text="王芳")) == [t["物理实验的数字化探究"]]  # 2 chars: LIKE
    assert set(q.ids(db, q.Filter(text="科学小实验"))) == {
        s["id"] for s in queries.submissions(db) if s["title"] == "趣味科学小实验"
    }  # trigram
    hits = q.ids(db, q.Filter(text="实验小学 刘洋"))  # terms AND together
    assert len(hits) == 1 and queries.submissions(db, ids=hits)[0]["authors"][0] == "刘洋"
    assert q.ids(db, q.Filter(text='作品"[/b]')) == []
    failed = q.ids(db, q.Filter(quick=frozenset({"failed"})))
    assert failed == [s["id"] for s in queries.submissions(db) if any(f["status"] == "fail" for f in s["findings"])]
    passed = next(i for i in q.ids(db, q.Filter()) if i not in failed)
    assert t["光合作用"] in failed
    review.decide(sample, [t["光合作用"], passed], "fix", "补充材料", "张老师")
    assert q.ids(db, q.Filter(quick=frozenset({"fix", "failed"}))) == [t["光合作用"]]
    assert q.count(db, q.Filter(quick=frozenset({"undecided"}))) == everything - 2
    primary = q.Filter(stage="小学", sort="title")
    titles = [r["title"] for r in q.page(db, primary, 0, 100)]
    assert titles == sorted(titles) and len(titles) == q.count(db, primary)
    for i, sid in enumerate(q.ids(db, primary)):
        assert q.position(db, primary, sid) == i
    assert q.position(db, primary, t["光合作用"]) is None  # 初中
    assert dict(q.facet(db, q.Filter(), "stage"))["小学"] == q.count(db, q.Filter(stage="小学"))


def test_search_follows_title_changes(sample):
    db = sample.db()
    t = ids_by_title(sample)
    import store

    with store.write(db):
        db.execute("UPDATE submissions SET title = '光的折射现象' WHERE id = ?", [t["光合作用"]])
    assert q.ids(db, q.Filter(text="折射现象")) == [t["光合作用"]]
    assert q.ids(db, q.Filter(text="光合作用")) == []


def run_station(db, *args):
    env = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8")
    p = subprocess.run(
        [str(Path(sys.executable).parent / "station"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return p.returncode, p.stdout, p.stderr


def test_station_decide_cli(sample):
    t = ids_by_title(sample)
    code, out, err = run_station(
        sample.db_path, "decide", t["春晓"], t["光合作用"], "recommend", "--reviewer", "脚本", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert [c["id"] for c in data["changed"]] == [t["春晓"], t["光合作用"]]
    assert data["changed"][0]["new"]["reviewer"] == "脚本"
    code, out, err = run_station(sample.db_path, "decide", t["春晓"], "fix", "--reviewer", "脚本")
    assert code == 2 and "修改意见" in err and "decision.reason_required" in err
    code, out, _ = run_station(sample.db_path, "decide", t["春晓"], "fix", "--reason", "声音太小", "--reviewer", "脚本")
    assert code == 0 and "推荐 -> 需修改" in out
    run_station(sample.db_path, "reviewer", "add", "王老师", "--unit", "实验小学")
    code, out, _ = run_station(
        sample.db_path, "decide", t["分数的初步认识"], "reject", "--reviewer", "王老师", "--json"
    )
    assert code == 2 and json.loads(out)["error"]["code"] == "decision.recused"
    code, out, _ = run_station(sample.db_path, "audit", "--json")
    made = [e for e in json.loads(out) if e["action"] == "decision.made"]
    assert len(made) == 3 and made[-1]["detail"]["old"] == "recommend" and made[-1]["actor"] == "脚本"
