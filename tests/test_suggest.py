"""`station recommend --suggest`: ranked by score within each quota key, every rule kept, a reason for every other work."""

import openpyxl
import pytest
from work_rows import add_works

from store import audit
from workflows.errors import StationError
from workflows.quotas import rules as quotas
from workflows.recommend import suggest
from workflows.review import decide as review
from workflows.scoring import scores as scoring

SHARES = {"目标内容": 0.2, "教学过程": 0.4, "教学资源": 0.2, "技术规范": 0.2}


def score_all(station, sid, *totals):
    for expert, total in zip("甲乙丙", totals):
        scoring.score(station, sid, expert, {k: str(round(total * v, 4)) for k, v in SHARES.items()})


def quota_book(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年精品课推荐名额（中牟县）"])
    ws.append(["学段", "学科", "推荐名额", "最少推荐"])
    for row in rows:
        ws.append(row)
    ws.append(["合计", None, sum(r[2] for r in rows), None])
    ws.merge_cells("A1:D1")
    wb.save(path)
    return path


@pytest.fixture
def conflict(station, campaign, tmp_path):
    """Two works on one node (the only 高中 work among them), a full cap, a minimum, one teacher twice."""
    camp = campaign("jpk-subject-jiangsu", "精品课2024")  # coverage is Jiangsu 002 五2
    spec = {
        "A": ("小学", "数学", "N1", "杨帆", 95),
        "B": ("小学", "数学", "N2", "李明", 90),
        "C": ("小学", "数学", "N3", "张三", 85),
        "E": ("小学", "数学", "N4", "赵六", 80),
        "I": ("小学", "数学", "N7", "周八", 75),
        "D": ("高中", "物理", "N1", "王芳", 70),
        "F": ("初中", "生物", "N5", "李明", 88),
        "G": ("初中", "生物", "N6", "孙七", 60),
        "H": ("初中", "生物", "N8", "吴九", None),
        "V": ("小学", "数学", "N9", "郑十", 99),
        "R": ("小学", "数学", "N10", "冯一", 97),
    }
    ids = dict(
        zip(
            spec,
            add_works(
                station,
                camp["id"],
                [
                    dict(title=f"课例{k}", stage=s, subject=sub, node_code=node, authors=[t], school="中牟县某校")
                    for k, (s, sub, node, t, _) in spec.items()
                ],
            ),
        )
    )
    for k, (*_, total) in spec.items():
        if total is not None:
            score_all(station, ids[k], total, total + 1, total - 1)
    scoring.score(station, ids["V"], "甲", {}, veto=["导向错误"])
    review.decide(station, [ids["R"]], "reject", None, "管理员")
    quotas.import_table(
        station,
        quota_book(tmp_path / "q.xlsx", [["小学", "数学", 2, None], ["初中", "生物", 1, 1], ["高中", "物理", 1, None]]),
        camp["name"],
    )
    quotas.set_rule(station, camp["name"], "min_total", "5", actor="管理员")
    return camp, ids


def test_conflicting_rules_are_resolved_and_explained(station, conflict):
    camp, ids = conflict
    name = {v: k for k, v in ids.items()}
    r = suggest.suggest(station, camp["name"])
    got = {name[s["id"]]: s["why"] for s in r["suggested"]}
    assert got == {
        "D": "满足学段覆盖：高中",
        "F": "满足最少名额：初中·生物",
        "C": "满足学段覆盖：小学",
        "E": "按得分排名",
    }
    why = {name[s["id"]]: s["reason"] for s in r["not_suggested"]}
    assert why["A"].startswith(f"课程节点编号 N1 已建议推荐 #{ids['D']}《课例D》（满足学段覆盖：高中，70.00 分）")
    assert why["B"].startswith(f"教师 李明（第一作者）已建议推荐 #{ids['F']}")
    assert why["I"] == "名额已满：小学·数学 2/2，排名第5"
    assert why["G"] == "名额已满：初中·生物 1/1，排名第2"
    assert why["H"] == "尚未评分" and why["R"] == "评审决定为“不推荐”" and why["V"] == "否决项：导向错误（专家 甲）"
    assert set(why) | set(got) == set(ids)  # every work is either suggested or has a reason
    assert [u["rule"] for u in r["unmet"]] == ["min_total"] and "只能建议 4 件" in r["unmet"][0]["message"]
    # the same semantics as quotas.evaluate: no hard violation, and the soft ones are what the suggestion reports
    chosen = {s["id"] for s in r["suggested"]}
    found = quotas.evaluate(station.db(), camp["id"], quotas.rules(station, camp["id"]), recommended=chosen)
    assert [v.rule for v in found if v.hard] == [] and {v.rule for v in found} == {u["rule"] for u in r["unmet"]}
    assert {e["label"]: (e["used"], e["max"]) for e in r["entries"]} == {
        "小学·数学": (2, 2),
        "初中·生物": (1, 1),
        "高中·物理": (1, 1),
    }


def test_a_need_that_cannot_be_met_names_the_blocked_works(station, conflict):
    camp, ids = conflict
    scoring.score(station, ids["D"], "乙", {}, veto=["侵权"])  # the only 高中 work is out
    r = suggest.suggest(station, camp["name"])
    coverage = next(u for u in r["unmet"] if u["rule"] == "coverage")
    assert coverage["key"] == {"stage": "高中"} and coverage["blocked"] == [
        {"id": ids["D"], "title": "课例D", "reason": "否决项：侵权（专家 乙）"}
    ]
    assert ids["A"] in {s["id"] for s in r["suggested"]}  # node N1 is free again


def test_exception_does_not_consume_quota(station, conflict):
    camp, ids = conflict
    quotas.exempt(station, ids["I"], "省级示范课例，市局同意不占名额", actor="管理员")
    r = suggest.suggest(station, camp["name"])
    got = {s["id"]: s for s in r["suggested"]}
    assert got[ids["I"]]["why"] == "不占名额的例外" and got[ids["I"]]["exempt"]
    assert ids["C"] in got and ids["E"] in got  # 小学·数学 still has its two places
    assert [u["rule"] for u in r["unmet"]] == []  # five now


def test_share_cap_and_works_without_quota(station, campaign, tmp_path):
    camp = campaign("jpk-subject", "比例")
    ids = add_works(
        station,
        camp["id"],
        [dict(title=f"小学{n}", stage="小学", subject="数学", authors=[f"师{n}"]) for n in range(5)]
        + [dict(title="初中语文", stage="初中", subject="语文", authors=["师9"])],
    )
    for n, sid in enumerate(ids):
        score_all(station, sid, 90 - n, 90 - n, 90 - n)
    quotas.set_rule(station, camp["name"], "share_cap", "40%")
    quotas.set_rule(station, camp["name"], "coverage", "")
    r = suggest.suggest(station, camp["name"])
    assert [s["id"] for s in r["suggested"]] == [ids[0], ids[1]]
    reasons = {s["id"]: s["reason"] for s in r["not_suggested"]}
    assert reasons[ids[2]] == "推荐比例已满：小学 共 5 件，最多推荐 40% 即 2 件，排名第3"
    assert reasons[ids[5]] == "推荐比例已满：初中 共 1 件，最多推荐 40% 即 0 件，排名第1"
    quotas.import_table(station, quota_book(tmp_path / "q.xlsx", [["小学", "数学", 1, None]]), camp["name"])
    r = suggest.suggest(station, camp["name"])
    assert next(s for s in r["not_suggested"] if s["id"] == ids[5])["reason"] == "名额分配表中没有“初中·语文”的名额"


def test_apply_goes_through_decide_and_the_audit_log(station, conflict):
    camp, ids = conflict
    review.decide(station, [ids["A"]], "recommend", None, "管理员")
    r = suggest.apply(station, camp["name"], "管理员")
    assert r["applied"]["withdrawn"] == [ids["A"]]
    assert sorted(r["applied"]["recommended"]) == sorted(ids[k] for k in "CDEF")
    states = review.current(station.db(), ids.values())
    assert {k for k, i in ids.items() if states[i].decision == "recommend"} == set("CDEF")
    assert states[ids["A"]].decision == "pending" and states[ids["A"]].reason == "采纳推荐建议：未列入建议名单"
    made = [e for e in audit.entries(station.db()) if e["action"] == "decision.made"]
    assert [e["detail"]["reason"] for e in made[-5:]].count("采纳推荐建议") == 4
    assert suggest.suggest(station, camp["name"])["changes"] == {"recommend": [], "withdraw": []}


def test_no_rubric_no_suggestion(station, campaign):
    campaign("after-school-2024")
    with pytest.raises(StationError) as e:
        suggest.suggest(station)
    assert e.value.code == "rubric.none"


def test_cli_recommend_suggest(station, conflict, cli):
    camp, ids = conflict
    code, out, _ = cli("recommend", "--suggest", "--json", check_json=True)
    assert code == 1  # a rule (the minimum total) cannot be met
    assert set(out) >= {"campaign", "method", "rules", "suggested", "not_suggested", "unmet", "entries", "changes"}
    assert {s["id"] for s in out["suggested"]} == {ids[k] for k in "CDEF"}
    code, _, err = cli("recommend", "--suggest", "--apply")
    assert code == 2 and "confirm.required" in err and "--yes" in err
    assert review.current(station.db(), [ids["C"]])[ids["C"]].decision is None
    code, out, _ = cli("--reviewer", "管理员", "recommend", "--suggest", "--apply", "--yes")
    assert code == 1 and "已采纳：改为推荐 4 件" in out and "名额已满：小学·数学 2/2，排名第5" in out
    assert review.current(station.db(), [ids["C"]])[ids["C"]].decision == "recommend"
    code, _, err = cli("recommend")
    assert code == 2 and "recommend.usage" in err
