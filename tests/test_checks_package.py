"""Work-level rules: components, formats, naming, the metadata sheet, title brackets, author limits."""

import io

import openpyxl
import pytest
from conftest import tree

from sample_data.build import _jpeg
from store import queries
from workflows.checks import run as checks
from workflows.ingest import importer as ingest


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


METADATA = {
    "资源名称": "走近航空发动机",
    "资源类型": "A01",
    "资源简介": "介绍航空发动机的基本原理",
    "资源时长": "00:00:01",
    "创建时间": "2024-03-23",
    "版权方": "某某职业学院",
    "主讲人": "朱新;张建华",
    "关键词": "新媒体;人工智能",
    "所属分类": "科学文化-航空知识-航空发动机",
}


def _findings(station, title):
    row = next(r for r in queries.submissions(station.db()) if r["title"] == title)
    return {(f["rule"], f["status"]): f for f in row["findings"]}


@pytest.fixture
def ce_station(station, campaign, video):
    campaign("ce-video")
    good = dict(METADATA)
    bad = dict(
        METADATA,
        资源类型="视频",
        资源时长="1:00",
        创建时间="2024-02-30",
        主讲人="朱新，张建华",
        关键词="新媒体，人工智能",
        所属分类="航空知识",
        版权方="",
    )
    share = tree(
        station.root.parent / "share",
        {
            "走近航空发动机/走近航空发动机.mp4": video,
            "走近航空发动机/元数据.xlsx": _xlsx([list(good), list(good.values())]),
            "走近航空发动机/封面.jpg": _jpeg(),
            "格式不对/格式不对.mp4": video,
            "格式不对/元数据.xlsx": _xlsx([[k, v] for k, v in bad.items()]),  # label/value rows also work
            "格式不对/封面.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
            "没有元数据/没有元数据.mp4": video,
        },
    )
    ingest.run(station, [str(share)])
    checks.run(station)
    return station


@pytest.mark.req("003-13", "003-14", "003-16", "003-19", "003-21", "003-22")
def test_complete_metadata_sheet_passes(ce_station):
    found = _findings(ce_station, "走近航空发动机")
    assert ("meta.required", "pass") in found
    assert not [k for k in found if k[0] == "meta.format" and k[1] != "pass"]
    assert ("package.components", "pass") in found
    assert ("package.formats", "pass") in found


@pytest.mark.req("003-15", "003-17", "003-18", "003-19", "003-20", "003-21", "003-22", "003-23")
def test_each_metadata_format_problem_is_named(ce_station):
    found = _findings(ce_station, "格式不对")
    fails = [f["message"] for (rule, status), f in found.items() if rule == "meta.format" and status == "fail"]
    messages = "\n".join(
        f["message"]
        for f in ce_station_findings(ce_station, "格式不对")
        if f["rule"] == "meta.format" and f["status"] == "fail"
    )
    assert fails
    for label in ("资源类型", "资源时长", "创建时间", "主讲人", "关键词", "所属分类"):
        assert f"“{label}”" in messages, label
    assert "A01、A02、A03" in messages and "yyyy-mm-dd" in messages and "hh:mm:ss" in messages
    assert found[("meta.required", "fail")]["measured"] == "未填写：版权方"
    # the cover is a PNG and JPG is required; the component itself is present
    assert found[("package.formats", "fail")]["file"] == "封面.png"


@pytest.mark.req("003-17")
def test_declared_duration_is_compared_with_the_measured_one(ce_station, station):
    rows = ce_station_findings(ce_station, "走近航空发动机")
    duration = next(f for f in rows if f["rule"] == "meta.format" and "资源时长" in f["measured"])
    assert duration["status"] == "pass"  # the 1 s clip, declared as 00:00:01


@pytest.mark.req("003-13", "003-14", "003-16", "003-21")
def test_missing_sheet_and_cover_fail(ce_station):
    found = _findings(ce_station, "没有元数据")
    assert found[("meta.required", "fail")]["measured"] == "未找到元数据表"
    assert "封面" in found[("package.components", "fail")]["message"]


def ce_station_findings(station, title):
    return next(r for r in queries.submissions(station.db()) if r["title"] == title)["findings"]


@pytest.mark.req("004-21", "004-22")
def test_vocational_case_goes_to_the_province_and_is_not_checked_here(station, campaign, video):
    campaign("infotech-exchange")
    form = _xlsx([["作品名称", "数控车床编程"], ["第一作者", "王强"], ["其他作者", "李娜、赵磊、孙悦"]])
    share = tree(
        station.root.parent / "share",
        {
            "中职+某某职业学校+王强/职业教育实践性教学案例/数控车床编程/作品登记表.xlsx": form,
            "中职+某某职业学校+王强/职业教育实践性教学案例/数控车床编程/数控车床编程.mp4": video,
            "中职+某某职业学校+王强/融合创新应用教学案例/《智慧课堂》/课堂实录.mp4": video,
        },
    )
    ingest.run(station, [str(share)])
    checks.run(station)
    vocational = _findings(station, "数控车床编程")
    # W11: 四（二）“职业教育专项直接参加省级活动，不参与区级评选”: said once, nothing checked as a county work
    assert list(vocational) == [("eligibility.scope", "fail")]
    assert "四（二）" in vocational[("eligibility.scope", "fail")]["message"]
    sub = next(r for r in queries.submissions(station.db()) if r["title"] == "数控车床编程")
    assert sub["status"] == "rejected"
    other = _findings(station, "《智慧课堂》")
    assert ("title.brackets", "fail") in other
    assert not [k for k in other if k[0] == "video.resolution"]  # the vocational spec applies to its project only
    assert ("media.duration", "pass") in other  # total ≤ 50 minutes
