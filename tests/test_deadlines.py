"""Campaign deadlines: the notices' dates from the profiles, the admin's edits, doctor's warning, late imports."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from conftest import tree

from workflows import campaigns, deadlines, doctor
from workflows.errors import StationError
from workflows.ingest import importer
from workflows.profiles import load as profiles
from workflows.profiles.schema import parse_deadline

NOTICE_DATES = {
    "after-school-2024": ["07-31"],
    "jpk-subject": ["08-15", "08-23 12:00", "09-18 18:00", "10-08"],
    "jpk-experiment": ["08-09", "08-15", "09-06 18:00", "09-07", "10-08"],
    "ce-video": ["04-25", "05-15"],
    "ce-audio": ["04-25", "05-15"],
    "infotech-exchange": ["09-06"],
}


@pytest.mark.req("000-38", "001-17", "002-08", "003-28", "004-43")
@pytest.mark.parametrize("profile_id", sorted(NOTICE_DATES))
def test_each_profile_carries_its_notice_dates(profile_id):
    table = profiles.load(profile_id).data["deadlines"]
    assert sorted(spec["at"] for spec in table.values()) == NOTICE_DATES[profile_id]
    assert all(spec["clause"] for spec in table.values())
    assert sum(1 for spec in table.values() if spec.get("submission")) == 1


def test_a_date_without_time_is_the_end_of_that_day():
    assert parse_deadline("07-31", 2024) == datetime(2024, 7, 31, 23, 59)
    assert parse_deadline("09-18 18:00", 2023) == datetime(2023, 9, 18, 18, 0)
    assert parse_deadline("2025-01-02", 2023) == datetime(2025, 1, 2, 23, 59)
    with pytest.raises(ValueError):
        parse_deadline("7月31日", 2024)
    with pytest.raises(ValueError):
        parse_deadline("02-30", 2024)


@pytest.mark.req("000-38")
def test_campaign_list_json_has_deadlines_with_days_left(cli):
    assert cli("campaign", "add", "课后", "--profile", "after-school-2024", "--year", "2024")[0] == 0
    assert cli("campaign", "add", "报名", "--profile", "infotech-exchange", "--year", "2024")[0] == 0
    code, rows, _ = cli("campaign", "list", "--json", check_json=True)
    assert code == 0
    after, infotech = rows
    (d,) = after["deadlines"]
    assert d["name"] == "县级完成申报材料提交上传和报送"
    assert d["at"] == "2024-07-31 23:59"
    assert d["days_left"] == (date(2024, 7, 31) - deadlines.today()).days
    assert d["submission"] is True and "7月31日" in d["clause"]
    (w,) = infotech["deadlines"]
    assert (w["start"], w["at"]) == ("2024-05-20", "2024-09-06 23:59")


def test_admin_sets_adds_and_removes_dates_audited(cli, tmp_path):
    cli("campaign", "add", "继教", "--profile", "ce-video", "--year", "2024")
    name = "平台提交资源及元数据"
    code, rows, err = cli(
        "campaign", "dates", "继教", "--set", name, "--at", "2024-05-20 17:00", "--json", check_json=True
    )
    assert code == 0, err
    d = next(r for r in rows if r["name"] == name)
    assert (d["at"], d["source"], d["submission"]) == ("2024-05-20 17:00", "admin", True)  # submission flag kept
    code, rows, _ = cli(
        "campaign", "dates", "继教", "--set", "县局内部截止", "--at", "05-10", "--json", check_json=True
    )
    assert [r["name"] for r in rows][:2] == ["负责人信息（附件1）和安全审核情况说明（附件2）盖章发送", "县局内部截止"]
    code, rows, _ = cli("campaign", "dates", "继教", "--remove", "县局内部截止", "--json", check_json=True)
    assert "县局内部截止" not in [r["name"] for r in rows]
    code, out, err = cli("campaign", "dates", "继教", "--set", name, "--at", "5月20日")
    assert code == 2 and "deadline.invalid" in err
    code, out, err = cli("campaign", "dates", "继教", "--set", "新节点")
    assert code == 2 and "deadline.usage" in err
    code, out, _ = cli("campaign", "dates", "继教")
    assert "2024-05-20 17:00" in out and "【上报截止】" in out
    code, log, _ = cli("audit", "--json", check_json=True)
    assert sum(1 for e in log if e["action"] == "campaign.deadline") == 3


def test_a_bad_deadlines_table_names_file_line_and_key(station):
    src = profiles.builtin_dir() / "ce-video.toml"
    (station.config_dir / "profiles").mkdir()
    bad = src.read_text("utf-8").replace('at = "05-15"', 'at = "5月15日"')
    (station.config_dir / "profiles" / "ce-video.toml").write_text(bad, "utf-8")
    with pytest.raises(StationError) as e:
        profiles.load("ce-video", station.config_dir)
    assert e.value.code == "profile.invalid"
    assert "deadlines.平台提交资源及元数据.at" in e.value.message and " 行" in e.value.message


def test_doctor_warns_within_seven_days(station):
    camp = campaigns.add(station, "课后", "after-school-2024")
    soon = (deadlines.today() + timedelta(days=3)).isoformat()
    deadlines.set_date(station, "课后", "县级完成申报材料提交上传和报送", soon)
    item = next(i for i in doctor.run(station) if i.id == "deadlines")
    assert item.level == "warn" and "还剩 3 天" in item.detail and "课后" in item.detail
    later = (deadlines.today() + timedelta(days=10)).isoformat()
    deadlines.set_date(station, "课后", "县级完成申报材料提交上传和报送", later)
    item = next(i for i in doctor.run(station) if i.id == "deadlines")
    assert item.level == "ok"
    # the 总览 function: every campaign with days left
    (row,) = deadlines.overview(station)
    assert row["campaign"] == camp["name"] and row["deadlines"][0]["days_left"] == 10


@pytest.mark.req("000-38")
def test_works_imported_after_the_submission_deadline_get_a_late_warn(station, video, tmp_path):
    past = campaigns.add(station, "往年", "after-school-2024", year=2020)
    future = campaigns.add(station, "明年", "after-school-2024", year=deadlines.today().year + 1)
    for camp, school in ((past, "城关小学"), (future, "实验小学")):
        src = tree(tmp_path / camp["name"], {f"{school}课后服务课程资源/折纸/视频.mp4": video})
        importer.run(station, [str(src / f"{school}课后服务课程资源")], camp["name"])
    rows = {
        r["name"]: json.loads(r["f"] or "null")
        for r in station.db().query(
            "SELECT c.name, (SELECT json_object('status', f.status, 'message', f.message) FROM findings f "
            "WHERE f.submission_id = s.id AND f.rule = 'deadline.late') AS f "
            "FROM submissions s JOIN campaigns c ON c.id = s.campaign_id"
        )
    }
    assert rows["明年"] is None
    assert rows["往年"]["status"] == "warn" and "2020-07-31 23:59" in rows["往年"]["message"]
    # importing again (a new version) does not stack a second warn on the same work
    assert deadlines.mark_late(station, [r["id"] for r in station.db().query("SELECT id FROM submissions")]) == 0


def test_a_campaign_without_year_works_towards_the_next_occurrence(station):
    camp = campaigns.add(station, "课后", "after-school-2024")
    (d,) = deadlines.for_campaign(station, camp)
    at = datetime.strptime(d["at"], "%Y-%m-%d %H:%M")
    assert (at.month, at.day) == (7, 31) and d["days_left"] >= 0
    assert at - datetime.now() < timedelta(days=366)
    window = campaigns.add(station, "报名", "infotech-exchange")
    (w,) = deadlines.for_campaign(station, window)
    assert w["start"][:4] == w["at"][:4] and w["start"][5:] == "05-20"
