"""Verdicts on forms: the notices' own 申报表/登记表 layouts read as a teacher fills them in, and the
work-level rules that depend on them (notice-review.md W1, W3, W6-W10, W17 and §2 B)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import openpyxl
import pytest
from conftest import tree

from store import queries
from workflows.checks import run as checks
from workflows.ingest import forms
from workflows.ingest import importer as ingest

PDF = b"%PDF-1.4\n% signed scan\n"
PPTX = b"PK\x03\x04pptx"
HEBEI = "infotech-exchange"


def grid(path: Path, rows: list[list[str]]) -> bytes:
    """A Word form: one table, a row per list (empty strings are empty cells)."""
    d = docx.Document()
    d.add_paragraph("登记表")
    table = d.add_table(rows=0, cols=max(len(r) for r in rows))
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    d.save(path)
    return path.read_bytes()


def sheet(path: Path, rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path.read_bytes()


def after_school_form(team: str = "李明、王丽、周建国、韩雪、赵强", **over) -> list[list[str]]:
    """The rows of 000's 附件 课后服务优秀课程资源申报表, filled in."""
    values = {
        "课程名称": "快乐跳绳",
        "申报人": "刘洋",
        "单位": "城西小学",
        "是否原创": "☑是 □否",
        "原创单位": "",
        "资源类别": "□科学教育 □文化艺术 ☑体育锻炼 □其他",
        "适用年级": "三至五年级",
        "视频数量": "1",
        "课程简介": "跳绳是一项……",
        "教学设计": "教学目的：……",
    } | over
    return [
        ["课程名称", values["课程名称"], "", ""],
        ["申报人姓名", values["申报人"], "单 位", values["单位"]],
        ["职称/职务", "一级教师", "联系电话", "13900000000"],
        ["团队成员（最多 5人）", team, "", ""],
        ["是否原创", values["是否原创"], "原创单位", values["原创单位"]],
        ["资源类别", values["资源类别"], "", ""],
        ["适用年级", values["适用年级"], "视频数量", values["视频数量"]],
        ["课程简介 （课程设计背景、课程内容等。可附页）", values["课程简介"], "", ""],
        [
            "教学设计（教学目的、教学要求、教学重难点、授课时间安排以及配套教辅说明等。可附页）",
            values["教学设计"],
            "",
            "",
        ],
    ]


def hebei_form1(stage_row: str = "学前教育□特殊教育□ 小学☑初中□高中□", authors=(("吴敏", "城北小学"),), **over):
    """附件1 普通类项目作品登记表 (精品课后服务资源): boxes after their labels, three author rows."""
    rows = [
        ["作品名称", over.get("title", "扎染"), "学科", "美术", "年级", "四年级", "作品大小", over.get("size", "")],
        ["项目", "基础教育组", over.get("project", "精品课后服务资源☑"), "学段", stage_row, "", "", ""],
        ["", "", "", "作品形态", "课件□短视频☑动画□", "", "", ""],
        ["", "高等教育组", "微课□", "", "", "", "", ""],
        ["作者信息", "姓名", "所在单位（按单位公章填写）", "", "", "", "", ""],
    ]
    rows += [["", name, unit, "", "", "", "", ""] for name, unit in authors]
    rows += [["", "", "", "", "", "", "", ""]] * max(0, 3 - len(authors))
    rows += [
        ["联系人信息", "姓名", authors[0][0], "手机", "13800000000", "", "", ""],
        [
            "作品特点",
            over.get("features", "（包括作品简介、特色亮点等，300字以内）扎染是传统工艺……"),
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    return rows


def subs(station) -> dict[str, dict]:
    return {s["title"]: s for s in queries.submissions(station.db())}


def found(sub) -> dict[tuple[str, str], dict]:
    return {(f["rule"], f["status"]): f for f in sub["findings"]}


def statuses(sub, rule) -> list[str]:
    return [f["status"] for f in sub["findings"] if f["rule"] == rule]


def run(station, share: Path, pattern: str | None = None) -> dict[str, dict]:
    ingest.run(station, [str(share)])
    checks.run(station, rule=pattern)
    return subs(station)


# --- reading checkboxes ------------------------------------------------------------------------


@pytest.mark.req("004-13", "004-18")
@pytest.mark.parametrize(
    "text, ticked",
    [
        ("☑小学 □初中", ["小学"]),  # box before its label (课后服务 申报表)
        ("□小学 ☑初中 □高中", ["初中"]),
        ("小学☑初中□高中□", ["小学"]),  # box after its label (Hebei 登记表)
        ("学前教育□特殊教育□ 小学□初中□高中☑", ["高中"]),
        ("学前教育□特殊教育☑\n小学□初中□高中□", ["特殊教育"]),
        ("精品课后服务资源☑", ["精品课后服务资源"]),
        ("□科学教育 □文化艺术 ☑其他（数学思维）", ["其他（数学思维）"]),
        ("科学教育□ 其他（数学思维）☑", ["其他（数学思维）"]),
        ("小学□初中□高中□", []),
    ],
)
def test_ticked_options_in_either_box_style(text, ticked):
    assert forms.ticks(text) == ticked


# --- W1: 申报人 + at most 5 团队成员 -------------------------------------------------------------


@pytest.mark.req("000-32", "000-33")
@pytest.mark.parametrize(
    "team, status", [("李明、王丽、周建国、韩雪、赵强", "pass"), ("李明、王丽、周建国、韩雪、赵强、钱多", "fail")]
)
def test_after_school_counts_team_members_not_the_applicant(station, campaign, tmp_path, video, team, status):
    campaign()
    share = tree(
        tmp_path / "share",
        {
            "城西小学课后服务课程资源/快乐跳绳.mp4": video,
            "城西小学课后服务课程资源/快乐跳绳课件.pptx": PPTX,
            "城西小学课后服务课程资源/申报表.docx": grid(tmp_path / "f.docx", after_school_form(team)),
        },
    )
    sub = run(station, share, "authors.*")["快乐跳绳"]
    assert sub["authors"][0] == "刘洋" and len(sub["authors"]) == 1 + len(team.split("、"))
    f = found(sub)[("authors.limit", status)]
    n = len(team.split("、"))
    assert f["measured"].startswith(f"{n} 人") and "刘洋，不计入" in f["message"]


# --- W6: Hebei grids, boxes after labels, the 项目 row -------------------------------------------


@pytest.mark.req("004-13", "004-18", "004-04")
def test_hebei_form_reads_the_ticked_stage_and_project(station, campaign, tmp_path, video):
    campaign(HEBEI)
    work = "小学+城北小学+吴敏/精品课后服务资源/扎染"
    share = tree(
        tmp_path / "share",
        {
            f"{work}/作品登记表.pdf": PDF,
            f"{work}/作品登记表.docx": grid(tmp_path / "f.docx", hebei_form1()),
            f"{work}/演示视频.mp4": video,
            f"{work}/作品说明.docx": grid(tmp_path / "d.docx", [["说明", "x"]]),
            f"{work}/相关材料.zip": b"PK\x05\x06" + b"\x00" * 18,
        },
    )
    sub = run(station, share)["扎染"]
    assert (sub["stage"], sub["project"]) == ("小学", "精品课后服务资源")
    assert sub["meta"]["form"]["group"] == "基础教育组"
    assert not [f for f in sub["findings"] if f["rule"] == "meta.mismatch"]
    # the project's component list applies (not the bare 申报表 list of an unknown project)
    assert statuses(sub, "package.components") == ["pass"]
    assert "演示视频" in found(sub)[("package.components", "pass")]["message"]


@pytest.mark.req("004-01", "004-18")
@pytest.mark.parametrize(
    "folder, ticked, mismatch",
    [
        ("幼儿园+城关镇中心幼儿园+孙丽", "学前教育☑特殊教育□ 小学□初中□高中□", False),  # one 学段, two names
        ("学前+城关镇中心幼儿园+孙丽", "学前教育☑特殊教育□ 小学□初中□高中□", False),
        ("小学+城北小学+孙丽", "学前教育□特殊教育□ 小学□初中☑高中□", True),  # a real disagreement stays
    ],
)
def test_stage_synonyms_are_one_stage(station, campaign, tmp_path, video, folder, ticked, mismatch):
    """004 一：基础教育（含学前、特殊教育）: a 幼儿园 folder with 学前教育 ticked is the same 学段, not a 学段不一致."""
    campaign(HEBEI)
    work = f"{folder}/精品课后服务资源/扎染"
    share = tree(
        tmp_path / "share",
        {
            f"{work}/作品登记表.pdf": PDF,
            f"{work}/作品登记表.docx": grid(tmp_path / "f.docx", hebei_form1(ticked, (("孙丽", "城北小学"),))),
            f"{work}/演示视频.mp4": video,
        },
    )
    sub = run(station, share, "project.group")["扎染"]
    stage_warns = [f for f in sub["findings"] if f["rule"] == "meta.mismatch" and "学段" in f["message"]]
    assert bool(stage_warns) is mismatch, stage_warns
    assert statuses(sub, "project.group") == ["pass"]


def test_stage_synonyms_have_one_key():
    from workflows.rules import stages

    assert {stages.key(s) for s in ("幼儿园", "学前", "学前教育")} == {"学前"}
    assert (stages.key("中等职业教育"), stages.key("中职"), stages.key("普通高中")) == ("中职", "中职", "高中")
    assert stages.keys("小学、初中") == ["小学", "初中"] and stages.key("九年一贯") == "九年一贯"
    assert stages.same("特教", "特殊教育") is True and stages.same("小学", "初中") is False
    assert stages.same("美术", "小学") is None


@pytest.mark.req("004-13", "004-18", "004-03")
def test_hebei_form2_stage_ticked_inside_the_project_block(tmp_path):
    rows = [
        ["作品名称", "函数的图像", "学科", "数学"],
        ["项目", "基础教育组", "融合创新应用教学案例☑", "学前教育□"],
        ["", "", "", "特殊教育□"],
        ["", "", "", "小学□"],
        ["", "", "", "初中☑"],
        ["", "", "", "高中□"],
        ["", "中等职业教育组", "信息化教学课程案例□", ""],
        ["作者信息", "姓名", "所在单位（按单位公章填写）", ""],
        ["", "李华", "第二中学", ""],
    ]
    grid(tmp_path / "f.docx", rows)
    form = forms.read(tmp_path / "f.docx", "docx")
    assert form.fields["stage"] == "初中"
    assert (form.fields["project"], form.fields["group"]) == ("融合创新应用教学案例", "基础教育组")
    assert form.authors == [("李华", "第一作者")] and form.units == {"李华": "第二中学"}


# --- W7: multi-row author tables -----------------------------------------------------------------


@pytest.mark.req("004-12", "004-13")
def test_case_sheet_author_table_reads_every_row_and_limits_to_three(station, campaign, tmp_path, video):
    campaign(HEBEI)
    rows = [
        ["案例名称", "校本研修应用案例", "", "", ""],
        ["作者信息 (最多3人)", "姓名", "工作单位", "职称/职务", "手机"],
        ["", "孙丽", "第三中学", "一级教师", "13800000001"],
        ["", "周强", "第三中学", "教研组长", "13800000002"],
        ["", "陈红", "第一小学", "高级教师", "13800000003"],
        ["", "冯亮", "第一小学", "教师", "13800000004"],
        ["案例类型", "校本教师研修应用案例", "", "", ""],
    ]
    work = "初中+第三中学+孙丽/教师研修案例/校本研修应用案例"
    share = tree(
        tmp_path / "share",
        {
            f"{work}/案例信息表.pdf": PDF,
            f"{work}/案例信息表.docx": grid(tmp_path / "f.docx", rows),
            f"{work}/案例介绍.docx": grid(tmp_path / "d.docx", [["案例", "x"]]),
            f"{work}/相关材料.zip": b"PK\x05\x06" + b"\x00" * 18,
        },
    )
    sub = run(station, share)["校本研修应用案例"]
    assert sub["school"] == "第三中学"  # never the header cell “职称/职务”
    assert [(a["name"], a["unit"]) for a in sub["author_roles"]] == [
        ("孙丽", "第三中学"),
        ("周强", "第三中学"),
        ("陈红", "第一小学"),
        ("冯亮", "第一小学"),
    ]
    limit = found(sub)[("authors.limit", "fail")]
    assert limit["measured"].startswith("4 人") and "不超过 3 人" in limit["message"]
    # W8: the Word copy beside the signed PDF is not a format failure
    assert "fail" not in statuses(sub, "package.formats")


@pytest.mark.req("004-12", "004-13")
def test_case_type_box_of_form4_is_not_the_project(station, campaign, tmp_path):
    """附件4's 案例类型 (区域/校本教师研修应用案例…) is a sub-type of the 项目 国家中小学智慧教育平台教师研修应用案例:
    read as the 项目 it gave a 项目不一致 warn and `station submit` wrote it as the 项目 folder."""
    campaign(HEBEI)
    types = "区域教师研修应用案例□校本教师研修应用案例☑线上名师名校长工作室建设与应用案例□"
    rows = [
        ["案例名称", "基于智慧平台的校本研修", "", "", ""],
        ["作者信息 (最多3人)", "姓名", "工作单位", "职称/职务", "手机"],
        ["", "赵强", "正定县第三中学", "一级教师", "13800000001"],
        ["案例类型", types, "", "", ""],
        ["案例概述", "（300字以内）依托平台开展校本研修。", "", "", ""],
    ]
    grid(tmp_path / "f4.docx", rows)
    form = forms.read(tmp_path / "f4.docx", "docx")
    assert "project" not in form.fields and form.fields["case_type"] == "校本教师研修应用案例"
    work = "初中+第三中学+赵强/国家中小学智慧教育平台教师研修应用案例/基于智慧平台的校本研修"
    share = tree(
        tmp_path / "share",
        {
            f"{work}/案例信息表.pdf": PDF,
            f"{work}/案例信息表.docx": grid(tmp_path / "f.docx", rows),
            f"{work}/案例介绍.docx": grid(tmp_path / "d.docx", [["案例", "x"]]),
            f"{work}/相关材料.zip": b"PK\x05\x06" + b"\x00" * 18,
        },
    )
    sub = run(station, share)["基于智慧平台的校本研修"]
    assert sub["project"] == "国家中小学智慧教育平台教师研修应用案例"
    assert sub["meta"]["form"]["case_type"] == "校本教师研修应用案例"
    assert not [f for f in sub["findings"] if f["rule"] == "meta.mismatch"]


@pytest.mark.req("004-13")
def test_three_author_rows_of_form1_pass(tmp_path):
    rows = hebei_form1(authors=(("吴敏", "城北小学"), ("张丽", "城北小学"), ("赵刚", "实验小学")))
    grid(tmp_path / "f.docx", rows)
    form = forms.read(tmp_path / "f.docx", "docx")
    assert form.authors == [("吴敏", "第一作者"), ("张丽", "作者"), ("赵刚", "作者")]
    assert form.units["赵刚"] == "实验小学" and form.fields["school"] == "城北小学"
    assert form.fields["form_type"] == "短视频" and form.fields["project"] == "精品课后服务资源"


# --- W8: the registration form in Word only is still a failure -----------------------------------


@pytest.mark.req("004-42", "004-04")
def test_word_only_registration_form_fails_pdf_requirement(station, campaign, tmp_path, video):
    campaign(HEBEI)
    work = "小学+城北小学+吴敏/精品课后服务资源/扎染"
    share = tree(
        tmp_path / "share",
        {
            f"{work}/作品登记表.docx": grid(tmp_path / "f.docx", hebei_form1()),
            f"{work}/演示视频.mp4": video,
        },
    )
    sub = run(station, share, "package.formats")["扎染"]
    bad = found(sub)[("package.formats", "fail")]
    assert "要求 pdf" in bad["message"]


# --- W3: a PDF 课件 in 课后服务 -------------------------------------------------------------------


@pytest.mark.req("000-31", "000-30")
def test_after_school_pdf_courseware_is_not_failed(station, campaign, tmp_path, video):
    campaign()
    share = tree(
        tmp_path / "share",
        {
            "城西小学课后服务课程资源/快乐跳绳.mp4": video,
            "城西小学课后服务课程资源/快乐跳绳课件.pdf": PDF,
            "城西小学课后服务课程资源/申报表.docx": grid(tmp_path / "f.docx", after_school_form()),
        },
    )
    sub = run(station, share, "package.*")["快乐跳绳"]
    assert "fail" not in statuses(sub, "package.formats")
    assert statuses(sub, "package.components") == ["pass"]


# --- W17: .doc / .wps forms ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def doc_form(tmp_path_factory) -> Path:
    """A real Word 97-2003 .doc of the 课后服务 申报表, written by LibreOffice (docx -> odt -> doc)."""
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice Writer is installed by make setup (libreoffice-writer-nogui)")
    out = tmp_path_factory.mktemp("doc")
    grid(out / "申报表.docx", after_school_form("李明、王丽"))
    profile = f"-env:UserInstallation=file://{out}/profile"
    for src, target in (("申报表.docx", "odt"), ("申报表.odt", "doc")):
        subprocess.run(
            [soffice, profile, "--headless", "--convert-to", target, "--outdir", str(out), str(out / src)],
            check=True,
            capture_output=True,
            timeout=180,
        )
    assert (out / "申报表.doc").read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    return out / "申报表.doc"


@pytest.mark.req("000-33")
@pytest.mark.parametrize("name", ["申报表.doc", "申报表.wps"])
def test_doc_and_wps_forms_are_read(station, campaign, tmp_path, video, doc_form, name):
    campaign()
    share = tree(
        tmp_path / "share",
        {
            "城西小学课后服务课程资源/快乐跳绳.mp4": video,
            "城西小学课后服务课程资源/快乐跳绳课件.pptx": PPTX,
            f"城西小学课后服务课程资源/{name}": doc_form,
        },
    )
    sub = run(station, share, "authors.*")["快乐跳绳"]
    assert sub["authors"] == ["刘洋", "李明", "王丽"] and sub["school"] == "城西小学"
    assert statuses(sub, "authors.limit") == ["pass"]
    assert not [f for f in sub["findings"] if f["rule"] == "meta.unreadable"]


@pytest.mark.req("000-33", "000-32")
def test_unreadable_doc_form_is_reported_and_zero_authors_never_pass(station, campaign, tmp_path, video):
    campaign()
    share = tree(
        tmp_path / "share",
        {
            "城西小学课后服务课程资源/快乐跳绳.mp4": video,
            "城西小学课后服务课程资源/快乐跳绳课件.pptx": PPTX,
            "城西小学课后服务课程资源/申报表.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        },
    )
    sub = run(station, share, "authors.*")["快乐跳绳"]
    unreadable = found(sub)[("meta.unreadable", "warn")]
    assert "申报表.doc" in unreadable["message"]
    assert sub["authors"] == []
    assert statuses(sub, "authors.limit") == ["warn"]
    assert "未能" in found(sub)[("authors.limit", "warn")]["message"]


# --- W9: 学段学校教师姓名 without separators -----------------------------------------------------


@pytest.mark.req("004-18")
@pytest.mark.parametrize(
    "folder, stage, school, teacher",
    [
        ("小学城关小学陈静", "小学", "城关小学", "陈静"),
        ("初中实验中学欧阳明", "初中", "实验中学", "欧阳明"),
        ("普通高中第一高级中学刘伟", "普通高中", "第一高级中学", "刘伟"),
        ("小学城关镇陈静", "小学", "城关镇", "陈静"),  # no known ending: the last two characters, with the warning
    ],
)
def test_concatenated_teacher_folder_is_split_with_a_warning(
    station, campaign, tmp_path, video, folder, stage, school, teacher
):
    campaign(HEBEI)
    work = f"{folder}/精品课后服务资源/剪纸"
    share = tree(
        tmp_path / "share",
        {f"{work}/作品登记表.pdf": PDF, f"{work}/演示视频.mp4": video, f"{work}/说明文档.docx": PPTX},
    )
    sub = run(station, share, "package.naming")["剪纸"]
    assert (sub["stage"], sub["school"], sub["project"], sub["authors"]) == (
        stage,
        school,
        "精品课后服务资源",
        [teacher],
    )
    warn = found(sub)[("layout.concatenated", "warn")]
    assert f"学校“{school}”" in warn["message"] and "四（一）2" in warn["message"]
    assert not [f for f in sub["findings"] if f["rule"] == "layout.unrecognised"]


# --- W10: 项目 <-> 组别 ---------------------------------------------------------------------------


@pytest.mark.req("004-03")
@pytest.mark.parametrize(
    "teacher, project, status",
    [
        ("高中+第一高级中学+刘伟", "信息化教学课程案例", "fail"),
        ("中职+职业学校+王强", "信息化教学课程案例", "pass"),
        ("初中+第二中学+李华", "融合创新应用教学案例", "pass"),
        ("中职+职业学校+赵敏", "融合创新应用教学案例", "fail"),
    ],
)
def test_project_belongs_to_the_stage_group(station, campaign, tmp_path, video, teacher, project, status):
    campaign(HEBEI)
    work = f"{teacher}/{project}/物理实验数字化"
    share = tree(tmp_path / "share", {f"{work}/作品登记表.pdf": PDF, f"{work}/课堂实录.mp4": video})
    sub = run(station, share, "project.group")["物理实验数字化"]
    assert statuses(sub, "project.group") == [status]
    if status == "fail":
        assert "二（一）1" in found(sub)[("project.group", "fail")]["message"]


# --- §2 B: what the 课后服务 申报表 says ------------------------------------------------------------


def _after_school(station, campaign, tmp_path, video, videos=1, **over):
    campaign()
    files = {f"城西小学课后服务课程资源/快乐跳绳{i or ''}.mp4": video for i in range(videos)}
    files["城西小学课后服务课程资源/快乐跳绳课件.pptx"] = PPTX
    files["城西小学课后服务课程资源/申报表.xlsx"] = sheet(tmp_path / "f.xlsx", after_school_form(**over))
    share = tree(tmp_path / "share", files)
    return run(station, share, "form.*")


@pytest.mark.req("000-01")
@pytest.mark.parametrize(
    "ticked, status",
    [("□科学教育 ☑体育锻炼", "pass"), ("☑心理健康教育", "pass"), ("□科学教育 ☑其他（数学思维）", "warn")],
)
def test_resource_category_from_the_notice_list(station, campaign, tmp_path, video, ticked, status):
    sub = _after_school(station, campaign, tmp_path, video, 资源类别=ticked)["快乐跳绳"]
    assert statuses(sub, "form.category") == [status]


@pytest.mark.req("000-02")
@pytest.mark.parametrize(
    "original, unit, status", [("☑是 □否", "", "pass"), ("□是 ☑否", "", "fail"), ("□是 ☑否", "省少年宫", "pass")]
)
def test_not_original_needs_the_original_unit(station, campaign, tmp_path, video, original, unit, status):
    sub = _after_school(station, campaign, tmp_path, video, 是否原创=original, 原创单位=unit)["快乐跳绳"]
    assert statuses(sub, "form.original") == [status]


@pytest.mark.req("000-06")
def test_intro_and_design_are_filled_in_the_form(station, campaign, tmp_path, video):
    sub = _after_school(station, campaign, tmp_path, video, 课程简介="")["快乐跳绳"]
    bad = found(sub)[("form.filled", "fail")]
    assert "课程简介" in bad["message"] and "教学设计" not in bad["measured"]


@pytest.mark.req("000-34")
@pytest.mark.parametrize("declared, videos, status", [("2", 1, "fail"), ("2", 2, "pass"), ("1", 2, "warn")])
def test_declared_video_count_against_the_files(station, campaign, tmp_path, video, declared, videos, status):
    sub = _after_school(station, campaign, tmp_path, video, videos=videos, 视频数量=declared)["快乐跳绳"]
    assert statuses(sub, "form.video_count") == [status]


@pytest.mark.req("000-35")
@pytest.mark.parametrize(
    "grade, status",
    [
        ("三至五年级", "pass"),
        ("7-9年级", "pass"),
        ("初二", "pass"),
        ("一至九年级", "pass"),
        ("高一", "fail"),
        ("八至十年级", "fail"),
        ("幼儿园大班", "fail"),
        ("面向全体学生", "warn"),
    ],
)
def test_grade_within_compulsory_education(station, campaign, tmp_path, video, grade, status):
    sub = _after_school(station, campaign, tmp_path, video, 适用年级=grade)["快乐跳绳"]
    assert statuses(sub, "form.grade") == [status]


@pytest.mark.req("004-41", "004-40")
def test_hebei_boxes_within_300_characters_and_declared_size(station, campaign, tmp_path, video):
    campaign(HEBEI)
    work = "小学+城北小学+吴敏/精品课后服务资源/扎染"
    form = hebei_form1(features="扎" * 301, size="50")
    share = tree(
        tmp_path / "share",
        {
            f"{work}/作品登记表.pdf": PDF,
            f"{work}/作品登记表.docx": grid(tmp_path / "f.docx", form),
            f"{work}/演示视频.mp4": video,
        },
    )
    sub = run(station, share, "form.*")["扎染"]
    assert "作品特点 301 字" in found(sub)[("form.length", "warn")]["message"]
    assert statuses(sub, "form.size") == ["warn"]


# --- 继续教育 optional metadata formats (附件4 表1) ---------------------------------------------------


CE_METADATA = {
    "资源名称": "走近航空发动机",
    "资源类型": "A01",
    "资源简介": "介绍航空发动机的基本原理",
    "资源时长": "00:00:01",
    "版权方": "某某职业学院",
    "主讲人": "朱新;张建华",
}


@pytest.mark.req("003-24", "003-25", "003-26", "003-27")
@pytest.mark.parametrize(
    "label, value, status",
    [
        ("所属顺序", "01", "pass"),
        ("所属顺序", "第一", "fail"),
        ("点击量", "36500", "pass"),
        ("学习人数", "约两万", "fail"),
        ("资源目录", "<目录><章>第一章</章></目录>", "pass"),
        ("资源目录", "第一章；第二章", "fail"),
        ("资源链接", "https://www.icourse163.org/course/1", "pass"),
        ("资源链接", "www.icourse163.org", "fail"),
    ],
)
def test_ce_optional_metadata_formats(station, campaign, tmp_path, video, label, value, status):
    campaign("ce-video")
    meta = CE_METADATA | {label: value}
    share = tree(
        tmp_path / "share",
        {
            "走近航空发动机/走近航空发动机.mp4": video,
            "走近航空发动机/元数据.xlsx": sheet(tmp_path / "m.xlsx", [list(meta), list(meta.values())]),
        },
    )
    sub = run(station, share, "meta.format")["走近航空发动机"]
    mine = [f for f in sub["findings"] if f["rule"] == "meta.format" and f["measured"].startswith(label)]
    assert [f["status"] for f in mine] == [status]


# --- 精品课: 是否原创 = 否 and a lesson with no 登记表 --------------------------------------------------


@pytest.mark.req("001-11", "002-03", "002-07")
def test_jpk_not_original_is_flagged_and_no_form_is_not_a_pass(station, campaign, tmp_path, video):
    campaign("jpk-subject")
    form = sheet(tmp_path / "f.xlsx", [["课程名称", "光合作用"], ["授课教师", "李华"], ["是否原创", "□是 ☑否"]])
    share = tree(
        tmp_path / "share",
        {
            "光合作用/微课视频.mp4": video,
            "光合作用/登记表.xlsx": form,
            "春晓/微课视频.mp4": video.read_bytes() + b"2",
        },
    )
    found_ = run(station, share, "*")
    flagged = found(found_["光合作用"])[("form.original", "warn")]
    assert "二（五）" in flagged["message"]
    # W12: no 登记表, no teacher in the folder name: 0 authors is a warning, not “0 人（无）” passing
    assert statuses(found_["春晓"], "authors.limit") == ["warn"]


@pytest.mark.req("004-12", "004-13")
def test_signed_pdf_only_counts_the_folder_teacher_and_says_so(station, campaign, tmp_path, video):
    campaign(HEBEI)
    work = "小学+城北小学+吴敏/精品课后服务资源/扎染"
    share = tree(tmp_path / "share", {f"{work}/作品登记表.pdf": PDF, f"{work}/演示视频.mp4": video})
    sub = run(station, share, "authors.*")["扎染"]
    ok = found(sub)[("authors.limit", "pass")]
    assert ok["measured"] == "1 人（吴敏）" and "请人工核对" in ok["message"]


@pytest.mark.req("004-10")
@pytest.mark.parametrize("extra, status", [(100 * 2**20 - 4096, "pass"), (100 * 2**20 + 1, "warn")])
def test_research_case_total_size_advisory(station, campaign, tmp_path, video, extra, status):
    campaign(HEBEI)
    work = "初中+第三中学+孙丽/教师研修案例/校本研修应用案例"
    share = tree(
        tmp_path / "share",
        {f"{work}/案例信息表.pdf": PDF, f"{work}/相关材料.zip": b"PK\x05\x06" + b"\x00" * 18},
    )
    with open(share / work / "案例介绍.docx", "wb") as f:
        f.truncate(extra)  # sparse: no 100 MB written to disk
    sub = run(station, share, "package.size")["校本研修应用案例"]
    assert statuses(sub, "package.size") == [status]
    if status == "warn":
        assert "建议" in found(sub)[("package.size", "warn")]["message"]
