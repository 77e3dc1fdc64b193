"""The city's quota table in real-world shapes, and the recommendation rules that use it."""

import openpyxl
import pytest

from store import audit, write
from workflows.errors import StationError
from workflows.quotas import rules as quotas
from workflows.quotas import table as quota_table
from workflows.review import decide as review


def _book(path, rows, merges=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def _wide(path):
    """Regions down, 学段 across under a merged 学段 header, a title row, a 合计 column and row."""
    return _book(
        path,
        [
            ["2024年基础教育精品课推荐名额分配表"],
            ["县（区）", "学段", None, None, "合计"],
            [None, "小学", "初中", "普通高中", None],
            ["中牟县", 2, 1, 1, 4],
            ["新郑市", 3, 2, "-", 5],
            ["合计", 5, 3, 1, 9],
        ],
        merges=["A1:E1", "B2:D2", "A2:A3", "E2:E3"],
    )


def _transposed(path):
    """项目 down, regions across, 小计 row, a note row under the title."""
    return _book(
        path,
        [
            ["课后服务优秀课程资源推荐名额"],
            ["（各县区按名额择优推荐）"],
            ["类别", "中牟县", "新郑市", "小计"],
            ["艺术素养", 3, 2, 5],
            ["体育健康", 2, "2名", 4],
            ["小计", 5, 4, 9],
        ],
        merges=["A1:D1", "A2:D2"],
    )


def _long(path):
    """One row per quota with maximum and minimum columns and a 序号 column."""
    return _book(
        path,
        [
            ["信息化交流活动推荐名额（中牟县）"],
            ["序号", "项目", "学段", "推荐名额（最多）", "最少推荐"],
            [1, "融合创新应用教学案例", "小学", 3, 1],
            [2, "融合创新应用教学案例", "初中", 2, None],
            [3, "信息化教学课程案例", "高中", 1, 1],
            ["合计", None, None, 6, 2],
        ],
        merges=["A1:E1"],
    )


def test_wide_table_with_merged_headers_and_totals(tmp_path):
    t = quota_table.read(_wide(tmp_path / "w.xlsx"))
    got = {(e.region, e.stage): e.max for e in t.entries}
    assert got == {
        ("中牟县", "小学"): 2,
        ("中牟县", "初中"): 1,
        ("中牟县", "高中"): 1,
        ("新郑市", "小学"): 3,
        ("新郑市", "初中"): 2,
    }
    assert t.layout == "wide" and t.dimensions == ["region", "stage"]
    assert any("合计" in s for s in t.skipped)
    assert next(e for e in t.entries if e.region == "新郑市" and e.stage == "初中").cell == "C5"


def test_transposed_table(tmp_path):
    t = quota_table.read(_transposed(tmp_path / "t.xlsx"))
    got = {(e.project, e.region): e.max for e in t.entries}
    assert got == {
        ("艺术素养", "中牟县"): 3,
        ("艺术素养", "新郑市"): 2,
        ("体育健康", "中牟县"): 2,
        ("体育健康", "新郑市"): 2,
    }


def test_long_table_with_max_and_min(tmp_path):
    t = quota_table.read(_long(tmp_path / "l.xlsx"))
    got = {(e.project, e.stage): (e.max, e.min) for e in t.entries}
    assert got == {
        ("融合创新应用教学案例", "小学"): (3, 1),
        ("融合创新应用教学案例", "初中"): (2, None),
        ("信息化教学课程案例", "高中"): (1, 1),
    }
    assert t.layout == "long"


def test_malformed_table_is_refused_naming_the_cell(tmp_path):
    path = _book(
        tmp_path / "bad.xlsx",
        [
            ["县（区）", "小学", "初中"],
            ["中牟县", 2, "若干"],
        ],
    )
    with pytest.raises(StationError) as e:
        quota_table.read(path)
    assert e.value.code == "quota.unreadable" and "C2" in e.value.message and "若干" in e.value.message
    with pytest.raises(StationError) as e:
        quota_table.read(_book(tmp_path / "empty.xlsx", [["推荐名额分配表"], ["县区", "名额"]]))
    assert "没有任何数字" in e.value.message


def test_import_keeps_the_county_rows_and_cli_shows_them(station, campaign, cli, tmp_path):
    campaign("jpk-subject", "精品课")
    code, out, _ = cli("quota", "import", _wide(tmp_path / "w.xlsx"), "--region", "中牟县", "--json", check_json=True)
    assert code == 0 and out["layout"] == "wide" and out["regions"] == ["中牟县", "新郑市"]
    assert {(e["stage"], e["max"]) for e in out["entries"]} == {("小学", 2), ("初中", 1), ("高中", 1)}
    code, out, err = cli("quota", "import", _wide(tmp_path / "w.xlsx"), "--region", "管城区")
    assert code == 2 and "管城区" in err and "quota.region" in err
    code, status, _ = cli("quota", "status", "--json", check_json=True)
    assert code == 0
    assert [(e["label"], e["used"], e["max"], e["missing"]) for e in status["entries"]][0] == ("中牟县·小学", 0, 2, 0)


# --- rules on a real station ----------------------------------------------------------------


def _works(station, campaign_id, specs):
    """Insert works directly: (title, stage, node, teacher)."""
    db = station.db()
    ids = []
    with write(db):
        for n, (title, stage, node, teacher) in enumerate(specs):
            sid = db.execute(
                "INSERT INTO submissions (campaign_id, source_key, fingerprint, title, stage, node_code, "
                "county, source, imported_at, status) VALUES (?,?,?,?,?,?,?,?,?, 'imported')",
                [campaign_id, f"k{n}", f"f{n}", title, stage, node, "中牟县", "test", audit.now()],
            ).lastrowid
            db.execute(
                "INSERT INTO authors (submission_id, ord, name, role) VALUES (?, 0, ?, '第一作者')", [sid, teacher]
            )
            ids.append(sid)
    return ids


@pytest.fixture
def jpk(station, campaign, tmp_path):
    camp = campaign("jpk-subject-jiangsu", "精品课")  # coverage of 小学/初中/普通高中 is Jiangsu's (002 五2)
    quotas.import_table(station, _wide(tmp_path / "w.xlsx"), "精品课", "中牟县")
    ids = _works(
        station,
        camp["id"],
        [
            ("春晓", "小学", "N1", "赵敏"),
            ("静夜思", "小学", "N2", "钱芳"),
            ("咏鹅", "小学", "N3", "孙丽"),
            ("光合作用", "初中", "N4", "李雷"),
            ("细胞", "初中", "N4", "韩梅"),
            ("函数", "普通高中", "N5", "李雷"),
        ],
    )
    return camp, dict(zip(["春晓", "静夜思", "咏鹅", "光合作用", "细胞", "函数"], ids))


@pytest.mark.req("001-14", "002-05")
def test_cap_refuses_the_next_recommendation_naming_rule_and_works(station, jpk):
    _, t = jpk
    review.decide(station, [t["春晓"], t["静夜思"]], "recommend", reviewer="张老师")
    with pytest.raises(StationError) as e:
        review.decide(station, [t["咏鹅"]], "recommend", reviewer="张老师")
    assert e.value.code == "rule.violation"
    assert "名额已超" in e.value.message and "中牟县·小学" in e.value.message and "3/2" in e.value.message
    assert "春晓" in e.value.message and "静夜思" in e.value.message
    assert review.current(station.db(), [t["咏鹅"]])[t["咏鹅"]].decision is None  # nothing written


@pytest.mark.req("001-13", "002-04")
def test_node_and_teacher_rules(station, jpk):
    _, t = jpk
    review.decide(station, [t["光合作用"]], "recommend", reviewer="张老师")
    with pytest.raises(StationError) as e:
        review.decide(station, [t["细胞"]], "recommend", reviewer="张老师")
    assert "课程节点编号 N4" in e.value.message
    with pytest.raises(StationError) as e:
        review.decide(station, [t["函数"]], "recommend", reviewer="张老师")
    assert "教师 李雷" in e.value.message


def test_override_is_recorded_audited_and_lifts_the_refusal(station, jpk):
    _, t = jpk
    review.decide(station, [t["春晓"], t["静夜思"]], "recommend", reviewer="张老师")
    review.decide(station, [t["咏鹅"]], "recommend", reviewer="管理员", override="市局特批：民族文化专题")
    overrides = quotas.overrides(station.db(), jpk[0]["id"])
    assert [(o["submission_id"], o["rule"], o["reason"]) for o in overrides] == [
        (t["咏鹅"], "quota.max", "市局特批：民族文化专题")
    ]
    entry = [e for e in audit.entries(station.db()) if e["action"] == "rule.override"][-1]
    assert entry["actor"] == "管理员" and entry["detail"]["reason"] == "市局特批：民族文化专题"
    assert entry["detail"]["rule"] == "quota.max"
    assert quotas.hard_violations(station, jpk[0]["id"]) == []


def test_exception_does_not_consume_quota(station, jpk):
    _, t = jpk
    quotas.exempt(station, t["春晓"], "省级示范课，另行推荐", "管理员")
    review.decide(station, [t["春晓"], t["静夜思"], t["咏鹅"]], "recommend", reviewer="张老师")
    status = quotas.status(station, "精品课")
    primary = next(e for e in status["entries"] if e["stage"] == "小学")
    assert primary["used"] == 2 and status["exempt"] == 1
    with pytest.raises(StationError):
        quotas.exempt(station, t["静夜思"], "", "管理员")


def test_minimums_coverage_share_cap_and_min_total(station, jpk, cli):
    camp, t = jpk
    quotas.set_rule(station, "精品课", "share_cap", "34%")  # of 3 小学 works: 1
    quotas.set_rule(station, "精品课", "min_total", "4")
    review.decide(station, [t["春晓"]], "recommend", reviewer="张老师")
    violations = quotas.status(station, "精品课")["violations"]
    rules = {v["rule"]: v for v in violations}
    covered = quotas.rules(station, camp["id"])["coverage"]
    missing = sorted(v["key"]["stage"] for v in violations if v["rule"] == "coverage")
    assert missing == sorted(s for s in covered if s != "小学") and missing  # 春晓 covers 小学 only
    assert all("学段还没有推荐作品" in v["message"] for v in violations if v["rule"] == "coverage")
    assert "还差 3 件" in rules["min_total"]["message"]
    with pytest.raises(StationError) as e:  # the table allows 2, the share cap only 1
        review.decide(station, [t["静夜思"]], "recommend", reviewer="张老师")
    assert "推荐比例上限" in e.value.message and "名额已超" not in e.value.message
    code, violations, _ = cli("rules", "check", "--json", check_json=True)
    assert code == 0 and {v["rule"] for v in violations} == {"coverage", "min_total"}
    assert all(not v["hard"] for v in violations)


def test_cli_decide_refuses_and_override_needs_a_reason(station, jpk, cli):
    _, t = jpk
    cli("decide", t["光合作用"], "recommend", "--reviewer", "张老师")
    code, _, err = cli("decide", t["细胞"], "recommend", "--reviewer", "张老师")
    assert code == 1 and "课程节点编号 N4" in err and "rule.violation" in err
    code, _, err = cli("decide", t["细胞"], "recommend", "--reviewer", "管理员", "--override")
    assert code == 2 and "理由" in err
    code, out, err = cli(
        "decide",
        t["细胞"],
        "recommend",
        "--reviewer",
        "管理员",
        "--override",
        "--reason",
        "两节连堂课",
        "--json",
        check_json=True,
    )
    assert code == 0, err
    code, violations, _ = cli("rules", "check", "--json", check_json=True)
    node = next(v for v in violations if v["rule"] == "node.unique")
    assert node["overridden"] and code == 0


def test_export_refuses_while_a_hard_violation_is_open(station, jpk, tmp_path):
    from test_bundle import COUNTY_PASS, new_station

    from workflows import keys
    from workflows.bundles import export

    camp, t = jpk
    keys.init(station, "某某县教育局", "410122", COUNTY_PASS)
    new_station(tmp_path, "city", "某某市教育局", "4101", b"city-pass-123")
    keys.trust(station, tmp_path / "city.pub", "recipient")
    review.decide(station, [t["春晓"], t["静夜思"]], "recommend", reviewer="张老师")
    # the admin lowers the cap after the fact: the list now breaks the table
    with write(station.db()):
        station.db().execute("UPDATE quotas SET max = 1 WHERE stage = '小学'")
    with pytest.raises(StationError) as e:
        export.export(station, "精品课", "4101", tmp_path / "out", COUNTY_PASS)
    assert e.value.code == "export.rules" and "名额已超" in e.value.message and "1" in e.value.message
    assert list((tmp_path / "out").glob("*.bundle")) == []  # refused before anything is written


@pytest.mark.req("004-38")
def test_infotech_one_work_per_teacher_counted_by_first_author(station, campaign):
    """004 四（二）：“每位教师（以第一作者为准）限报1件作品” — the shipped infotech profile enforces it."""
    camp = campaign("infotech-exchange", "信息化交流")
    assert quotas.rules(station, camp["id"])["one_per_teacher"] is True
    a, b, c = _works(
        station,
        camp["id"],
        [("案例一", "小学", None, "陈静"), ("案例二", "小学", None, "陈静"), ("案例三", "初中", None, "王强")],
    )
    review.decide(station, [a, c], "recommend", reviewer="张老师")
    with pytest.raises(StationError) as e:
        review.decide(station, [b], "recommend", reviewer="张老师")
    assert e.value.code == "rule.violation" and "教师 陈静" in e.value.message
    assert review.current(station.db(), [b])[b].decision is None
