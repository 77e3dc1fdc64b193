"""Item 16: the county a work counts against, derived for every work, so a county's own quota rows fill.

End to end through the real `station` command: import, quota table, the station's county, decisions,
`quota status`, and the 汇总表's 名额使用 sheet all agree."""

from __future__ import annotations

import openpyxl
import pytest
import sqlite_utils
from conftest import tree
from test_verdicts_forms import PPTX, after_school_form, sheet

from store import schema
from workflows.ingest import county


def _table(path, rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _share(tmp_path, video):
    """Three schools: one says nothing about its county, one names it in the school, one fills 所属县区 on its form."""
    files = {}
    for school, title, form_over, extra in (
        ("城西小学", "快乐跳绳", {}, []),
        ("新郑市龙湖小学", "趣味科学", {}, []),
        ("东风路小学", "剪纸艺术", {}, [["所属县区", "新郑市", "", ""]]),
    ):
        folder = f"{school}课后服务课程资源"
        files[f"{folder}/{title}.mp4"] = video
        files[f"{folder}/{title}课件.pptx"] = PPTX
        rows = after_school_form(**{"课程名称": title, "单位": school, **form_over}) + extra
        files[f"{folder}/申报表.xlsx"] = sheet(tmp_path / f"{title}.xlsx", rows)
    return tree(tmp_path / "share", files)


def _works(cli):
    code, rows, err = cli("list", "--json", check_json=True)
    assert code == 0, err
    return {r["title"]: r for r in rows}


def test_county_rows_fill_end_to_end_through_the_cli(cli, tmp_path, video):
    assert cli("campaign", "add", "课后服务", "--profile", "after-school-2024", "--year", "2024")[0] == 0
    code, _, err = cli("import", _share(tmp_path, video))
    assert code == 0, err
    works = _works(cli)
    assert {t: (w["county"], w["county_source"]) for t, w in works.items()} == {
        "快乐跳绳": (None, None),
        "趣味科学": (None, None),  # no region known yet: 新郑市 is only a word in the school's name
        "剪纸艺术": ("新郑市", "form"),
    }
    # the city's table for every county, imported after the works: the school name now names its county
    city = _table(tmp_path / "q.xlsx", [["2024年课后服务推荐名额"], ["县区", "推荐名额"], ["中牟县", 2], ["新郑市", 1]])
    code, out, err = cli("quota", "import", city, "--json", check_json=True)
    assert code == 0 and out["counties_filled"] == 1, err
    assert _works(cli)["趣味科学"]["county"] == "新郑市"
    assert _works(cli)["快乐跳绳"]["county"] is None
    code, out, _ = cli("quota", "status")
    assert "1 件作品无法确定所属县区" in out and "station quota county" in out  # said, not silently uncounted
    # this station is 中牟县: its works that say nothing else are its own
    code, out, err = cli("quota", "county", "中牟县", "--json", check_json=True)
    assert code == 0 and out["changed"] == 1 and out["county"] == "中牟县", err
    works = _works(cli)
    assert (works["快乐跳绳"]["county"], works["快乐跳绳"]["county_source"]) == ("中牟县", "station")
    assert works["趣味科学"]["county_source"] == "school"

    ids = {t: w["id"] for t, w in works.items()}
    assert cli("decide", ids["快乐跳绳"], ids["趣味科学"], "recommend", "--reviewer", "张老师")[0] == 0
    code, _, err = cli("decide", ids["剪纸艺术"], "recommend", "--reviewer", "张老师")
    assert code == 1 and "名额已超" in err and "新郑市" in err  # the form's county counts against 新郑市's one place
    code, status, _ = cli("quota", "status", "--json", check_json=True)
    assert status["no_county"] == 0
    used = {e["label"]: (e["used"], e["max"]) for e in status["entries"]}
    assert used == {"中牟县": (1, 2), "新郑市": (1, 1)}

    out = tmp_path / "汇总表.xlsx"
    code, _, err = cli("summary", "--xlsx", out)
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    ws = next(wb[n] for n in wb.sheetnames if n.startswith("名额使用"))
    sheet_used = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] in used}
    assert sheet_used == {label: n for label, (n, _) in used.items()}


def test_a_one_region_table_makes_every_silent_work_that_county(cli, tmp_path, video):
    assert cli("campaign", "add", "课后服务", "--profile", "after-school-2024", "--year", "2024")[0] == 0
    city = _table(tmp_path / "q.xlsx", [["县区", "推荐名额"], ["中牟县", 2], ["新郑市", 1]])
    assert cli("quota", "import", city, "--region", "中牟县")[0] == 0
    assert cli("import", _share(tmp_path, video))[0] == 0  # the works come after the table
    works = _works(cli)
    assert {t: (w["county"], w["county_source"]) for t, w in works.items()} == {
        "快乐跳绳": ("中牟县", "quota"),
        "趣味科学": ("中牟县", "quota"),  # 新郑市 is not in this station's table: the school name matches nothing
        "剪纸艺术": ("新郑市", "form"),  # what the form says is never overridden
    }
    code, status, _ = cli("quota", "status", "--json", check_json=True)
    assert code == 0
    assert [(e["label"], e["used"]) for e in status["entries"]] == [("中牟县", 0)]
    code, out, _ = cli("quota", "county", "--json", check_json=True)
    assert out["county"] is None and {w["source"]: w["works"] for w in out["works"]} == {"form": 1, "quota": 2}


def test_precedence_of_the_derived_county():
    assert county.explicit({"county": "新郑市"}, {"county": "中牟县"}) == ("新郑市", "form")
    assert county.explicit({}, {"county": "中牟县"}) == ("中牟县", "folder")
    assert county.derive("新郑市龙湖小学", ["中牟县", "新郑市"], "中牟县") == ("新郑市", "school")
    assert county.derive("城西小学", ["中牟县", "新郑市"], "中牟县") == ("中牟县", "station")
    assert county.derive("城西小学", ["中牟县"], None) == ("中牟县", "quota")
    assert county.derive("城西小学", ["中牟县", "新郑市"], None) == (None, None)
    assert county.derive("郑州市金水区实验小学", ["郑州市", "金水区"], None) == ("金水区", "school")


def test_migration_backfills_existing_works(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    for number, script in enumerate(schema.MIGRATIONS[:8], 1):
        for statement in schema._statements(script):
            db.conn.execute(statement)
        db.conn.execute(f"PRAGMA user_version = {number}")
    db.conn.commit()
    db.conn.executescript("""
        INSERT INTO campaigns (id, name, profile, profile_version, created_at) VALUES (1, 'a', 'p', '1', 't'), (2, 'b', 'p', '1', 't');
        INSERT INTO quotas (campaign_id, region, max) VALUES (1, '中牟县', 2), (1, '新郑市', 1), (2, '中牟县', 3);
        INSERT INTO submissions (id, campaign_id, source_key, fingerprint, title, school, county, source, imported_at, status)
        VALUES (1, 1, 'k1', 'f', 't1', '新郑市龙湖小学', NULL, 's', 't', 'imported'),
               (2, 1, 'k2', 'f', 't2', '城西小学', NULL, 's', 't', 'imported'),
               (3, 2, 'k3', 'f', 't3', '城西小学', '', 's', 't', 'imported'),
               (4, 2, 'k4', 'f', 't4', '城西小学', '管城区', 's', 't', 'imported');
    """)
    schema.migrate(db)
    got = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, county, county_source FROM submissions")}
    assert got == {1: ("新郑市", "school"), 2: (None, None), 3: ("中牟县", "quota"), 4: ("管城区", None)}


def test_a_county_folder_level_gives_the_county(station, tmp_path, video):
    """A share organised by county (a profile whose layout has a (?P<county>…) level): the folder says it."""
    from workflows import campaigns
    from workflows.ingest import importer
    from workflows.profiles import load as profiles

    text = (profiles.builtin_dir() / "after-school-2024.toml").read_text("utf-8")
    text = text.replace('id = "after-school-2024"', 'id = "after-school-by-county"', 1)
    text = text.replace(
        "[[layouts]]",
        "[[layouts]]\nname = \"按县区分文件夹\"\nlevels = ['^(?P<county>.+?[县区市])$', "
        "'^(?P<school>.+?)课后服务课程资源$']\nrequires = [\"video\"]\n\n[[layouts]]",
        1,
    )
    (station.config_dir / "profiles").mkdir()
    (station.config_dir / "profiles" / "after-school-by-county.toml").write_text(text, "utf-8")
    campaigns.add(station, "课后服务", "after-school-by-county", 2024)
    share = tree(
        tmp_path / "share",
        {"新郑市/城西小学课后服务课程资源/快乐跳绳.mp4": video, "新郑市/城西小学课后服务课程资源/课件.pptx": PPTX},
    )
    importer.run(station, [str(share)], "课后服务")
    row = station.db().execute("SELECT county, county_source FROM submissions").fetchone()
    assert tuple(row) == ("新郑市", "folder")


@pytest.mark.req("001-14")
def test_jpk_county_table_of_the_city_fills_for_the_county_station(cli, tmp_path, video):
    """001 三（三）3: the county recommends by the city's 推荐名额分配表 (附件3); the table has every county's row."""
    assert cli("campaign", "add", "精品课", "--profile", "jpk-subject", "--year", "2024")[0] == 0
    files = {}
    for title, school, teacher in (
        ("光合作用", "中牟县第三初级中学", "王芳"),
        ("分数的意义", "城关镇第一小学", "李雷"),
        ("春晓", "东风路小学", "赵敏"),
    ):
        stage = "初中" if "中学" in school else "小学"
        files[f"{title}/{title}.mp4"] = video
        rows = [["课程名称", title], ["授课教师", teacher], ["单位", school], ["学段", stage], ["学科", "语文"]]
        files[f"{title}/申报表.xlsx"] = sheet(tmp_path / f"{title}.xlsx", rows)
    assert cli("import", tree(tmp_path / "share", files))[0] == 0
    city = _table(
        tmp_path / "q.xlsx",
        [["县（区）", "小学", "初中"], ["中牟县", 1, 1], ["新郑市", 2, 2]],
    )
    assert cli("quota", "import", city)[0] == 0
    assert cli("quota", "county", "中牟县")[0] == 0
    works = _works(cli)
    assert {t: w["county_source"] for t, w in works.items()} == {
        "光合作用": "school",
        "分数的意义": "station",
        "春晓": "station",
    }
    ids = {t: w["id"] for t, w in works.items()}
    code, _, err = cli("decide", ids["光合作用"], ids["分数的意义"], "recommend", "--reviewer", "张老师")
    assert code == 0, err
    code, _, err = cli("decide", ids["春晓"], "recommend", "--reviewer", "张老师")
    assert code == 1 and "中牟县·小学" in err and "2/1" in err
    code, status, _ = cli("quota", "status", "--json", check_json=True)
    used = {e["label"]: e["used"] for e in status["entries"]}
    assert used == {"中牟县·小学": 1, "中牟县·初中": 1, "新郑市·小学": 0, "新郑市·初中": 0}
