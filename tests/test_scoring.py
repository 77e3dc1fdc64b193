"""Scoring: the rubric as profile data, experts' scores (回避, veto, grades, audit), the three aggregations, z-scores."""

import pytest
from work_rows import add_works

from store import audit
from workflows import reviewers
from workflows.errors import StationError
from workflows.profiles import load as profiles
from workflows.review import decide as review
from workflows.scoring import scores as scoring

SHARES = {"目标内容": 0.2, "教学过程": 0.4, "教学资源": 0.2, "技术规范": 0.2}


def sheet(total: float) -> dict:
    """A complete sheet adding up to TOTAL, spread over the four 精品课 dimensions."""
    return {name: str(round(total * share, 4)) for name, share in SHARES.items()}


@pytest.fixture
def jpk(station, campaign):
    camp = campaign("jpk-subject", "精品课2024")
    ids = add_works(
        station,
        camp["id"],
        [
            dict(
                title="分数的初步认识", stage="小学", subject="数学", school="中牟县实验小学", authors=["杨帆", "李明"]
            ),
            dict(title="光合作用", stage="初中", subject="生物", school="中牟县第三初级中学", authors=["徐静"]),
            dict(
                title="春晓",
                stage="小学",
                subject="语文",
                school="中牟县东风路小学",
                authors=[("赵敏", "授课教师", "中牟县东风路小学"), ("钱芳", "教学指导", "中牟县实验小学")],
            ),
        ],
    )
    return camp, ids


@pytest.mark.req("001-15")
def test_seeded_rubric_has_the_jpk_dimensions_veto_and_grades(station, jpk):
    camp, _ = jpk
    rub = scoring.rubric(station, camp["id"])
    assert [i.dimension for i in rub.items] == ["目标内容", "教学过程", "教学资源", "技术规范"]
    assert rub.total == 100 and rub.grades["B"] == 0.8 and [v[0] for v in rub.veto] == ["导向错误", "侵权", "广告"]
    for pid in ("jpk-experiment", "jpk-special"):
        assert [
            d["name"] for d in scoring.parse_rubric(profiles.load(pid).data["rubric"]).as_dict()["dimensions"]
        ] == list(SHARES)


def test_three_aggregations_rounded_to_two_decimals(station, jpk):
    camp, (a, b, _) = jpk
    for expert, total in zip("甲乙丙丁戊", (60, 61, 70, 90, 99)):
        scoring.score(station, a, expert, sheet(total))
    for expert, total in zip("甲乙", (80, 85.5)):
        scoring.score(station, b, expert, sheet(total))
    got = {}
    for how in scoring.METHODS:
        scoring.set_method(station, camp["name"], how, actor="管理员")
        r = scoring.report(station, camp["name"])
        assert r["method"] == how
        got[how] = {w["id"]: w["score"] for w in r["works"]}
    assert got["mean"] == {a: 76.0, b: 82.75}
    assert got["trimmed"] == {a: 73.67, b: 82.75}  # (61+70+90)/3; two scores are not trimmed
    assert got["median"] == {a: 70.0, b: 82.75}
    assert [e["detail"]["new"] for e in audit.entries(station.db()) if e["action"] == "scoring.method"] == list(
        scoring.METHODS
    )
    assert scoring.combine([1.005, 1.005], "mean") == 1.01  # half up, not binary float noise


def test_an_incomplete_sheet_does_not_count_and_ranks_tie(station, jpk):
    camp, (a, b, c) = jpk
    scoring.score(station, a, "甲", sheet(90))
    scoring.score(station, b, "甲", sheet(90))
    scoring.score(station, c, "甲", {"目标内容": "20"})
    works = {w["id"]: w for w in scoring.report(station, camp["name"])["works"]}
    assert works[a]["rank"] == works[b]["rank"] == 1
    assert works[c]["score"] is None and works[c]["incomplete"] == ["甲"] and works[c]["rank"] is None


def test_grades_values_and_unknown_items_are_checked(station, jpk):
    _, (a, _, _) = jpk
    s = scoring.score(station, a, "甲", {"目标内容": "b", "教学过程": "36.5", "教学资源": "A", "技术规范": "E"})
    assert [(i["value"], i["grade"]) for i in s["items"]] == [(16.0, "B"), (36.5, None), (20.0, "A"), (4.0, "E")]
    assert s["total"] == 76.5
    for items, code in (
        ({"目标内容": "21"}, "score.value"),
        ({"目标内容": "-1"}, "score.value"),
        ({"目标内容": "F"}, "score.value"),
        ({"教学设计": "10"}, "score.item"),
    ):
        with pytest.raises(StationError) as e:
            scoring.score(station, a, "甲", items)
        assert e.value.code == code
    assert scoring.expert_sheet(station, a, "甲")["total"] == 76.5  # refused entries changed nothing


def test_every_score_is_audit_logged(station, jpk):
    _, (a, _, _) = jpk
    scoring.score(station, a, "甲", {"目标内容": "18"})
    scoring.score(station, a, "甲", {"目标内容": "19", "教学过程": "30"}, comment="导入环节可再精简")
    entries = [e for e in audit.entries(station.db()) if e["action"] == "score.set"]
    assert [e["subject"] for e in entries] == [f"submission:{a}"] * 2
    assert entries[1]["detail"]["expert"] == "甲" and entries[1]["detail"]["items"]["目标内容"] == {
        "value": 19.0,
        "grade": None,
        "old": 18.0,
    }
    assert entries[1]["detail"]["comment"] == "导入环节可再精简"
    assert scoring.expert_sheet(station, a, "甲")["comment"] == "导入环节可再精简"
    assert audit.verify(station.db()).ok


def test_veto_makes_a_work_not_recommendable(station, jpk):
    camp, (a, _, _) = jpk
    scoring.score(station, a, "甲", sheet(95), veto=["侵权"])
    scoring.score(station, a, "乙", sheet(90))
    w = next(w for w in scoring.report(station, camp["name"])["works"] if w["id"] == a)
    assert w["vetoed"] and w["vetoes"] == [{"expert": "甲", "item": "侵权"}]
    with pytest.raises(StationError) as e:
        review.decide(station, [a], "recommend", None, "管理员")
    assert e.value.code == "score.vetoed" and "侵权" in e.value.message
    assert review.current(station.db(), [a])[a].decision is None
    with pytest.raises(StationError) as e:
        review.decide(station, [a], "recommend", "确需推荐", "管理员", override="确需推荐")
    assert e.value.code == "score.vetoed"  # an override does not pass a veto
    review.decide(station, [a], "reject", "非原创", "管理员")  # other decisions are not blocked
    scoring.score(station, a, "甲", {}, clear_veto=["2"])
    review.decide(station, [a], "recommend", None, "管理员")
    assert review.current(station.db(), [a])[a].decision == "recommend"


def test_recused_expert_cannot_score_nor_is_assigned(station, jpk):
    camp, (a, b, c) = jpk
    reviewers.add(station, "王专家", unit="实验小学", actor="管理员")
    for sid in (a, c):  # a: the school; c: a team member's unit (县 prefix left out)
        with pytest.raises(StationError) as e:
            scoring.score(station, sid, "王专家", sheet(90))
        assert e.value.code == "score.recused" and "回避" in e.value.message
    scoring.score(station, b, "王专家", sheet(90))
    result = scoring.assign(station, camp["name"], ["王专家", "甲", "乙"], per_work=2, actor="管理员")
    assert scoring.assignments(station, "王专家", camp["name"]) == [b]
    assert scoring.assignments(station, "甲", camp["name"]) == [a, c]  # least loaded first
    assert scoring.assignments(station, "乙", camp["name"]) == [a, b, c]
    assert result["short"] == [] and result["added"] == 6
    result = scoring.assign(station, camp["name"], ["王专家", "甲", "乙"], per_work=3)
    assert result["short"] == [a, c] and result["added"] == 1  # only b can have all three


def test_z_score_flags_the_expert_far_from_the_panel(station, campaign):
    camp = campaign("jpk-subject", "评分偏离")
    ids = add_works(station, camp["id"], [dict(title=f"课例{n}", stage="小学", authors=[f"教师{n}"]) for n in range(6)])
    base = [62, 70, 75, 81, 86, 90]
    noise = {"甲": [1, -1, 0, 2, -2, 1], "乙": [0, 1, -1, -1, 1, 0], "丙": [-1, 0, 1, -1, 0, -1]}
    for n, sid in enumerate(ids):
        for expert, offsets in noise.items():
            scoring.score(station, sid, expert, sheet(base[n] + offsets[n]))
        scoring.score(station, sid, "丁", sheet(min(100, base[n] + 12)))
    experts = {e["expert"]: e for e in scoring.report(station, camp["name"])["experts"]}
    assert experts["丁"]["flagged"] and experts["丁"]["z"] > scoring.Z_FLAG and experts["丁"]["works"] == 6
    assert experts["丁"]["mean_diff"] > 9 and {o["id"] for o in experts["丁"]["outliers"]} <= set(ids)
    assert [e for e in experts if experts[e]["flagged"]] == ["丁"]
    assert all(abs(experts[e]["z"]) < 1.5 for e in "甲乙丙")


def test_rubric_shape_is_validated_with_file_and_line(station, tmp_path):
    folder = station.config_dir / "profiles"
    folder.mkdir(parents=True)
    text = (profiles.builtin_dir() / "jpk-subject.toml").read_text("utf-8")
    (folder / "jpk-subject.toml").write_text(
        text.replace('name = "教学资源"\nmax = 20', 'name = "教学资源"\nmaxx = 20'), "utf-8"
    )
    with pytest.raises(StationError) as e:
        profiles.load("jpk-subject", station.config_dir)
    assert (
        e.value.code == "profile.invalid" and "rubric.dimensions[2].maxx" in e.value.message and "行" in e.value.message
    )
    (folder / "jpk-subject.toml").write_text(text.replace('aggregation = "trimmed"', 'aggregation = "max"'), "utf-8")
    with pytest.raises(StationError) as e:
        profiles.load("jpk-subject", station.config_dir)
    assert "rubric.aggregation" in e.value.message
    weighted = (
        text.split("[rubric]")[0]
        + '[rubric]\n[[rubric.dimensions]]\nname = "总体"\nitems = [{ name = "内容", weight = 0.6 }, '
        '{ name = "效果", weight = 0.4, scale = 10 }]\n'
    )
    (folder / "jpk-subject.toml").write_text(weighted, "utf-8")
    rub = scoring.parse_rubric(profiles.load("jpk-subject", station.config_dir).data["rubric"])
    assert rub.total == 64 and rub.item("效果").counted(10) == 4 and rub.aggregation == "trimmed"


def test_a_profile_without_rubric_refuses_scoring(station, campaign):
    camp = campaign("after-school-2024")
    (sid,) = add_works(station, camp["id"], [dict(title="剪纸艺术", stage="小学", authors=["陈静"])])
    with pytest.raises(StationError) as e:
        scoring.score(station, sid, "甲", {"目标内容": "10"})
    assert e.value.code == "rubric.none"


@pytest.mark.req("002-09")
def test_cli_score_scores_and_rubric(station, jpk, cli):
    camp, (a, b, _) = jpk
    reviewers.add(station, "王专家", unit="实验小学", actor="管理员")
    code, out, _ = cli(
        "score",
        b,
        "--expert",
        "甲",
        "--item",
        "目标内容=18",
        "--item",
        "教学过程=B",
        "--item",
        "教学资源=15",
        "--item",
        "技术规范=20",
        "--comment",
        "结构清晰",
        "--json",
        check_json=True,
    )
    assert code == 0 and out["total"] == 85 and out["comment"] == "结构清晰"
    code, out, err = cli("score", a, "--expert", "王专家", "--item", "目标内容=18")
    assert code == 2 and "回避" in err and "score.recused" in err
    code, out, err = cli("score", a, "--expert", "甲", "--item", "目标内容")
    assert code == 2 and "score.usage" in err
    code, out, _ = cli("scores", "--json", check_json=True)
    assert code == 0 and out["method"] == "trimmed" and out["works"][0]["id"] == b and out["works"][0]["score"] == 85
    assert set(out) >= {"campaign", "method", "total", "scored", "unscored", "works", "experts"}
    code, out, _ = cli("rubric", "show", "--json", check_json=True)
    assert [d["name"] for d in out["dimensions"]] == list(SHARES) and out["total"] == 100
    scoring.score(station, b, "乙", {}, veto=["广告"])
    code, out, err = cli("decide", b, "recommend", "--json", check_json=True)
    assert code == 1 and out["error"]["code"] == "score.vetoed" and out["violations"][0]["ids"] == [b]
    code, out, _ = cli("rubric", "method", "median")
    assert code == 0 and "中位数" in out


def test_the_veto_holds_on_the_first_decision_of_a_process_that_imports_only_review(station, jpk):
    """Regression: the veto guard was appended to review.RULES when workflows.scoring was first imported, so the first
    decision in a process that had not imported scoring recommended a vetoed work."""
    import subprocess
    import sys
    import textwrap

    _, (a, _, _) = jpk
    scoring.score(station, a, "甲", sheet(95), veto=["侵权"])
    program = textwrap.dedent(
        f"""
        import sys
        from workflows.review import decide as review
        from workflows.station import Station
        try:
            review.decide(Station.open({str(station.db_path)!r}, create=False), [{a}], "recommend", reviewer="管理员")
        except Exception as e:
            print(type(e).__name__, getattr(e, "code", ""))
        else:
            print("recommended")
        """
    )
    p = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["Vetoed", "score.vetoed"]
    assert review.current(station.db(), [a])[a].decision is None
