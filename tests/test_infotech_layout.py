"""信息化交流 (004): the three-level folders, what each project must contain, and the title rule, on a real import."""

import io
import zipfile

import docx
import pytest
from conftest import tree

from store import queries
from workflows import campaigns
from workflows.checks import run as checks
from workflows.ingest import importer as ingest

PDF = b"%PDF-1.4\n%%EOF\n"


def _docx(text: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("教学素材/说明.txt", "素材")
    return buf.getvalue()


@pytest.fixture(scope="module")
def infotech(tmp_path_factory, video_module):
    from workflows.station import Station

    root = tmp_path_factory.mktemp("infotech")
    station = Station.open(root / "station" / "station.db")
    campaigns.add(station, "信息化", "infotech-exchange", year=2024)
    case = {"登记表.pdf": PDF, "案例介绍.docx": _docx("案例介绍"), "相关材料.zip": _zip()}
    share = tree(
        root / "share",
        {
            **{f"小学+城关小学+陈静/融合创新应用教学案例/认识图形/{k}": v for k, v in case.items()},
            "小学+城关小学+陈静/融合创新应用教学案例/认识图形/教学活动录像.mp4": video_module,
            "中职+县职业教育中心+刘伟/信息化教学课程案例/数控编程/登记表.pdf": PDF,
            "中职+县职业教育中心+刘伟/信息化教学课程案例/数控编程/案例介绍.docx": _docx("案例介绍"),
            "中职+县职业教育中心+刘伟/信息化教学课程案例/数控编程/教学活动录像.mp4": video_module,
            **{f"高中+第一高级中学+王芳/教师研修案例/《研修路上》/{k}": v for k, v in case.items()},
        },
    )
    ingest.run(station, [str(share)], "信息化")
    checks.run(station, campaign="信息化")
    return {r["title"]: r for r in queries.submissions(station.db())}


@pytest.fixture(scope="module")
def video_module(tmp_path_factory):
    import subprocess

    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=320x180:r=25:d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(out),
        ],
        check=True,
    )
    return out.read_bytes()


def _rule(work, rule):
    return [(f["status"], f["message"]) for f in work["findings"] if f["rule"] == rule]


@pytest.mark.req("004-01", "004-02", "004-19")
def test_three_levels_give_stage_school_teacher_project_and_title(infotech):
    w = infotech["认识图形"]
    assert (w["stage"], w["school"], w["project"]) == ("小学", "城关小学", "融合创新应用教学案例")
    assert w["authors"][:1] == ["陈静"]
    v = infotech["数控编程"]
    assert (v["stage"], v["school"], v["project"]) == ("中职", "县职业教育中心", "信息化教学课程案例")


@pytest.mark.req("004-06")
def test_integration_case_with_every_part_passes_components(infotech):
    assert [s for s, _ in _rule(infotech["认识图形"], "package.components")] == ["pass"]


@pytest.mark.req("004-08")
def test_course_case_without_related_materials_fails_naming_them(infotech):
    ((status, message),) = _rule(infotech["数控编程"], "package.components")
    assert status == "fail" and "相关材料" in message


@pytest.mark.req("004-09", "004-14")
def test_research_case_parts_and_a_title_in_book_brackets(infotech):
    w = infotech["《研修路上》"]
    assert [s for s, _ in _rule(w, "package.components")] == ["pass"]
    ((status, message),) = _rule(w, "title.brackets")
    assert status == "fail" and "《" in message
