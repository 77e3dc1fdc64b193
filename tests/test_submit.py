"""`station submit`: what each notice asks the county to send upward, checked with real tools.

Stations are built from real files (a real MP4, real Word/Excel forms), recommended through `station decide`,
and submitted through the real command line; ZIPs are read back with lsar (unar), bsdtar and Python's zipfile,
forms and sheets are converted to PDF with LibreOffice and read with pdftotext.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import tree
from docx import Document
from sample_station import sample, sample_master  # noqa: F401  (the demo's station, built once per session)

from exporters import zipcn
from store import queries
from workflows import campaigns
from workflows.checks import run as check_run
from workflows.errors import StationError
from workflows.ingest import importer
from workflows.recommend import submit as submit_wf
from workflows.review import decide
from workflows.station import Station

ENV = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


PPTX = _zip_bytes({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})


def form_docx(rows: list[tuple[str, str]], text: str = "") -> bytes:
    doc = Document()
    if text:
        doc.add_paragraph(text)
    table = doc.add_table(rows=len(rows), cols=2)
    for i, (label, value) in enumerate(rows):
        table.rows[i].cells[0].text = label
        table.rows[i].cells[1].text = value
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def sheet_xlsx(pairs: list[tuple[str, str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for label, value in pairs:
        ws.append([label, value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="session")
def cover(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cover") / "封面.jpg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=blue:s=160x90:d=0.04", "-frames:v", "1", str(out)],
        check=True,
    )
    return out


def station_cmd(db: Path, *args) -> subprocess.CompletedProcess:
    """The real command line."""
    return subprocess.run(
        [sys.executable, "-m", "tui.cli.main", "--db", str(db), *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )


def prepare(tmp_path: Path, profile: str, share: dict, year: int | None = None, check: bool = False) -> Path:
    """A station with one campaign, the SHARE imported (media checks only with CHECK) and every work recommended
    (set up in-process for speed; `station submit` itself always runs as a real command)."""
    station = Station.open(tmp_path / "station" / "station.db")
    campaigns.add(station, "活动", profile, year)
    src = tree(tmp_path / "share", share)
    importer.run(station, [str(child) for child in sorted(src.iterdir())], "活动")
    if check:
        check_run.run(station, campaign="活动", jobs=1)
    ids = [r["id"] for r in station.db().query("SELECT id FROM submissions WHERE status = 'imported'")]
    decide.decide(station, ids, "recommend", reviewer="管理员")
    return station.db_path


def to_pdf_text(files: list[Path], tmp: Path) -> dict[str, str]:
    """Convert FILES with LibreOffice headless (one run); each PDF's text (pdftotext) without whitespace."""
    outdir = tmp / "pdf"
    outdir.mkdir(exist_ok=True)
    profile = tmp / "lo-profile"
    p = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=240,
    )
    assert p.returncode == 0, p.stderr
    out = {}
    for f in files:
        pdf = outdir / (f.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice did not convert {f.name}: {p.stdout} {p.stderr}"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        out[f.name] = "".join(text.split())  # pdftotext spaces CJK from digits: compare without whitespace
    return out


needs_tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("soffice", "pdftotext", "lsar", "bsdtar")),
    reason="needs LibreOffice, pdftotext, lsar and bsdtar (make test installs them)",
)


# --- the ZIP writer -----------------------------------------------------------------------------


@needs_tools
@pytest.mark.req("004-20")
def test_zip_names_read_back_in_unar_bsdtar_and_python_with_gbk(tmp_path, video):
    root = tree(
        tmp_path / "小学+实验小学+王芳",
        {"精品课后服务资源/巧手做风筝/演示视频.mp4": video, "精品课后服务资源/巧手做风筝/说明文档.docx": b"doc"},
    )
    out = tmp_path / "小学+实验小学+王芳.zip"
    assert zipcn.write_tree(out, root) == 2
    want = "小学+实验小学+王芳/精品课后服务资源/巧手做风筝/演示视频.mp4"
    with zipfile.ZipFile(out) as z:
        info = next(i for i in z.infolist() if i.filename.endswith(".mp4"))
        assert not info.flag_bits & 0x800  # CP936, as Chinese Windows writes
        assert info.filename.encode("cp437").decode("cp936") == want
        assert b"\x75\x70" in info.extra  # the Unicode Path field is there
        assert info.compress_type == zipfile.ZIP_STORED  # a video is stored, not deflated again
    with zipfile.ZipFile(out, metadata_encoding="gbk") as z:
        assert want in z.namelist()
        assert z.read(want) == video.read_bytes()
    lsar = subprocess.run(["lsar", str(out)], capture_output=True, text=True, env=ENV, check=True).stdout
    assert want in lsar.splitlines()
    bsd = subprocess.run(["bsdtar", "-tf", str(out)], capture_output=True, text=True, env=ENV, check=True).stdout
    assert want in bsd.splitlines()


def test_zip_name_outside_cp936_is_stored_as_flagged_utf8(tmp_path):
    root = tree(tmp_path / "t", {"😀作品.txt": b"x"})
    out = tmp_path / "t.zip"
    zipcn.write_tree(out, root)
    with zipfile.ZipFile(out) as z:
        info = next(i for i in z.infolist() if not i.is_dir())
        assert info.flag_bits & 0x800
        assert info.filename == "t/😀作品.txt"


# --- 信息化交流 (004) ------------------------------------------------------------------------------


def _infotech_work(video, teacher_folder: str, title: str) -> dict:
    base = f"{teacher_folder}/精品课后服务资源/{title}"
    return {
        f"{base}/作品登记表.pdf": PDF,
        f"{base}/演示视频.mp4": video,
        f"{base}/说明文档.docx": form_docx([("作品名称", title)]),
        f"{base}/相关材料.zip": _zip_bytes({"a.txt": b"a"}),
        f"{base}/作品.pptx": PPTX,
    }


@needs_tools
@pytest.mark.req("004-04", "004-20", "004-43")
def test_infotech_one_zip_per_teacher_named_after_its_folder(tmp_path, video):
    share = _infotech_work(video, "小学+实验小学+王芳", "巧手做风筝") | _infotech_work(
        video, "初中+城关中学+李强", "趣味物理"
    )
    # two works may not share the same video bytes (一稿多投): give the second its own copy
    other = tmp_path / "other.mp4"
    other.write_bytes(video.read_bytes() + b"\0")
    share["初中+城关中学+李强/精品课后服务资源/趣味物理/演示视频.mp4"] = other
    db = prepare(tmp_path, "infotech-exchange", share, year=2026)
    out = tmp_path / "上报"
    p = station_cmd(db, "submit", "--campaign", "活动", "--out", out)
    assert p.returncode == 0, p.stdout + p.stderr
    zips = sorted(x.name for x in (out / "上传FTP").iterdir())
    assert zips == ["初中+城关中学+李强.zip", "小学+实验小学+王芳.zip"]
    names = subprocess.run(
        ["lsar", str(out / "上传FTP" / "小学+实验小学+王芳.zip")], capture_output=True, text=True, env=ENV
    ).stdout.splitlines()
    assert "小学+实验小学+王芳/精品课后服务资源/巧手做风筝/作品登记表.pdf" in names
    assert "小学+实验小学+王芳/精品课后服务资源/巧手做风筝/作品.pptx" in names  # the 作品 itself goes up too
    bsd = subprocess.run(
        ["bsdtar", "-tf", str(out / "上传FTP" / "初中+城关中学+李强.zip")], capture_output=True, text=True, env=ENV
    ).stdout.splitlines()
    assert "初中+城关中学+李强/精品课后服务资源/趣味物理/演示视频.mp4" in bsd
    with zipfile.ZipFile(out / "上传FTP" / "初中+城关中学+李强.zip", metadata_encoding="gbk") as z:
        info = z.getinfo("初中+城关中学+李强/精品课后服务资源/趣味物理/演示视频.mp4")
        assert info.compress_type == zipfile.ZIP_STORED and z.read(info) == other.read_bytes()
    todo = (out / "待办.txt").read_text("utf-8-sig")
    assert "城域网 FTP" in todo and "2026-05-20 至 2026-09-06" in todo
    text = to_pdf_text([out / "教师教育信息化交流活动汇总表.xlsx"], tmp_path)
    assert "巧手做风筝" in text["教师教育信息化交流活动汇总表.xlsx"]
    assert not [x for x in out.parent.iterdir() if x.name.startswith(".")]  # no partial or scratch left


@needs_tools
@pytest.mark.req("004-04", "004-43")
def test_infotech_zip_keeps_the_teachers_folder_name_not_the_forms_school(tmp_path, video):
    """Issue 15: one archive per teacher “named after the folder”. The 登记表's 单位 (正定县实验小学) is longer than
    the folder's 实验小学; the folder the teacher used is kept. A folder without separators is rebuilt with “+”."""
    share = _infotech_work(video, "小学+实验小学+王芳", "巧手做风筝") | _infotech_work(
        video, "初中城关中学李强", "趣味物理"
    )
    share["小学+实验小学+王芳/精品课后服务资源/巧手做风筝/作品登记表.docx"] = form_docx(
        [("作品名称", "巧手做风筝"), ("申报人", "王芳"), ("单位", "正定县实验小学")]
    )
    other = tmp_path / "other.mp4"
    other.write_bytes(video.read_bytes() + b"\0")
    share["初中城关中学李强/精品课后服务资源/趣味物理/演示视频.mp4"] = other
    db = prepare(tmp_path, "infotech-exchange", share, year=2026)
    out = tmp_path / "上报"
    p = station_cmd(db, "submit", "--campaign", "活动", "--out", out)
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(x.name for x in (out / "上传FTP").iterdir()) == ["初中+城关中学+李强.zip", "小学+实验小学+王芳.zip"]
    with zipfile.ZipFile(out / "上传FTP" / "小学+实验小学+王芳.zip", metadata_encoding="gbk") as z:
        assert "小学+实验小学+王芳/精品课后服务资源/巧手做风筝/作品登记表.docx" in z.namelist()


# --- 课后服务 (000) ---------------------------------------------------------------------------------


def _after_school_form(title: str, school: str, teacher: str) -> bytes:
    return form_docx(
        [
            ("课程名称", title),
            ("申报人姓名", teacher),
            ("单位", school),
            ("职称/职务", "一级教师"),
            ("联系电话", "13800000000"),
            ("团队成员", "张三、李四"),
            ("是否原创", "是"),
            ("资源类别", "劳动实践"),
            ("适用年级", "三年级"),
        ]
    )


@needs_tools
@pytest.mark.req("000-29", "000-33", "000-37", "000-38")
def test_after_school_one_package_per_school_and_a_sealable_summary(tmp_path, video):
    other = tmp_path / "other.mp4"
    other.write_bytes(video.read_bytes() + b"\0")
    share = {
        "城关小学课后服务课程资源/趣味折纸/趣味折纸.mp4": video,
        "城关小学课后服务课程资源/趣味折纸/课件.pptx": PPTX,
        "城关小学课后服务课程资源/趣味折纸/申报表.docx": _after_school_form("趣味折纸", "城关小学", "李明"),
        "城关小学课后服务课程资源/趣味折纸/拍摄花絮.txt": b"not listed by the notice",
        "实验小学课后服务课程资源/=HYPERLINK(1)/视频.mp4": other,
        "实验小学课后服务课程资源/=HYPERLINK(1)/课件.pptx": PPTX,
        "实验小学课后服务课程资源/=HYPERLINK(1)/申报表.docx": _after_school_form("=HYPERLINK(1)", "实验小学", "王芳"),
    }
    db = prepare(tmp_path, "after-school-2024", share, year=2026)
    out = tmp_path / "上报"
    p = station_cmd(db, "submit", "--out", out, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    packages = sorted(x.name for x in (out / "资源包").iterdir())
    assert packages == ["城关小学课后服务课程资源", "实验小学课后服务课程资源"]
    kept = sorted(x.name for x in (out / "资源包" / "城关小学课后服务课程资源" / "趣味折纸").iterdir())
    assert kept == ["申报表.docx", "课件.pptx", "趣味折纸.mp4"]  # 视频, 课件, 申报表 and nothing else
    todo = (out / "待办.txt").read_text("utf-8-sig")
    assert "拍摄花絮.txt" in todo and "加盖公章" in todo and "www.hner.cn" in todo
    assert "2026-07-31" in todo
    wb = openpyxl.load_workbook(out / "课后服务优秀课程资源汇总表.xlsx")
    ws = wb.active
    header = [c.value for c in ws[2]]
    assert header[:4] == ["序号", "课程名称", "申报人姓名", "单位"] and "视频数量" in header
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value}
    assert cells["=HYPERLINK(1)"].data_type == "s"  # teacher text stays text
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[1] == "趣味折纸")
    assert row[2] == "李明" and row[4] == "一级教师" and row[6] == "张三、李四" and row[11] == 1
    text = to_pdf_text([out / "课后服务优秀课程资源汇总表.xlsx"], tmp_path)["课后服务优秀课程资源汇总表.xlsx"]
    assert "盖章" in text and "趣味折纸" in text


@pytest.mark.req("000-29")
def test_a_package_missing_a_part_is_reported_and_exits_1(tmp_path, video):
    share = {
        "城关小学课后服务课程资源/趣味折纸/趣味折纸.mp4": video,
        "城关小学课后服务课程资源/趣味折纸/申报表.docx": _after_school_form("趣味折纸", "城关小学", "李明"),
    }
    db = prepare(tmp_path, "after-school-2024", share)
    out = tmp_path / "上报"
    p = station_cmd(db, "submit", "--out", out)
    assert p.returncode == 1
    assert "package.components" in p.stderr and "课件" in p.stderr
    assert "复核发现的问题" in (out / "待办.txt").read_text("utf-8-sig")


def test_refuses_a_non_empty_folder_and_an_empty_campaign(tmp_path, video):
    db = prepare(tmp_path, "after-school-2024", {"城关小学课后服务课程资源/趣味折纸/趣味折纸.mp4": video})
    out = tmp_path / "上报"
    out.mkdir()
    (out / "旧文件.txt").write_text("x")
    p = station_cmd(db, "submit", "--out", out)
    assert p.returncode == 2 and "submit.exists" in p.stderr
    campaigns.add(Station.open(db), "空", "ce-video")
    p = station_cmd(db, "submit", "--campaign", "空", "--out", tmp_path / "新")
    assert p.returncode == 2 and "submit.empty" in p.stderr
    assert not (tmp_path / "新").exists()


def test_a_failure_midway_leaves_nothing_behind(tmp_path, video, monkeypatch):
    db = prepare(tmp_path, "after-school-2024", {"城关小学课后服务课程资源/趣味折纸/趣味折纸.mp4": video})
    station = Station.open(db)

    def broken(ctx):
        (ctx.root / "半成品.txt").write_text("x")
        raise StationError("test.broken", "中途失败")

    monkeypatch.setitem(submit_wf.BUILDERS, "after-school-2024", broken)
    with pytest.raises(StationError):
        submit_wf.run(station, "活动", tmp_path / "上报")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["share", "station"]


# --- 精品课 (001/002) -------------------------------------------------------------------------------


def _jpk_work(video, title: str, teacher: str, node: str) -> dict:
    return {
        f"{title}/实验教学视频.mp4": video,
        f"{title}/实验教学设计.docx": form_docx([("课题名称", title)]),
        f"{title}/导学案.docx": form_docx([("课题名称", title)]),
        f"{title}/课件.pptx": PPTX,
        f"{title}/登记表.docx": form_docx(
            [
                ("课程名称", title),
                ("授课教师", teacher),
                ("教学指导", "赵老师"),
                ("技术指导", "钱老师"),
                ("单位", "城关中学"),
                ("学段", "初中"),
                ("学科", "物理"),
                ("课程节点编号", node),
            ]
        ),
    }


@needs_tools
@pytest.mark.req("001-18", "002-07", "001-17")
def test_jpk_experiment_summary_with_roles_and_print_ready_forms(tmp_path, video):
    db = prepare(tmp_path, "jpk-experiment", _jpk_work(video, "浮力的大小", "孙丽", "WL-08-10-02"), year=2023)
    out = tmp_path / "上报"
    p = station_cmd(db, "submit", "--out", out, "--unit", "中牟县教育局")
    assert p.returncode == 0, p.stdout + p.stderr
    ws = openpyxl.load_workbook(out / "实验教学精品课汇总表.xlsx").active
    header = [c.value for c in ws[2]]
    row = dict(zip(header, next(ws.iter_rows(min_row=3, max_row=3, values_only=True))))
    assert row["课程节点编号"] == "WL-08-10-02"
    assert (row["授课教师"], row["教学指导"], row["技术指导"]) == ("孙丽", "赵老师", "钱老师")
    paper = out / "纸质材料"
    folder = paper / "01_孙丽_浮力的大小"
    forms = sorted(folder.iterdir())
    assert [f.name for f in forms] == [
        "附件11_评选承诺书（一式1份）.docx",
        "附件12_上报材料（贴档案袋正面）.docx",
        "附件9_教师评选登记表（一式3份）.docx",
    ]
    summary = paper / "附件10_实验教学精品课汇总表（一式2份）.docx"
    text = to_pdf_text(forms + [summary], tmp_path)
    assert (
        "教师评选登记表" in text[forms[2].name] and "钱老师" in text[forms[2].name] and "一式3份" in text[forms[2].name]
    )
    assert "承诺人" in text[forms[0].name] and "浮力的大小" in text[forms[0].name]
    assert "档案袋" in text[forms[1].name] and "孙丽" in text[forms[1].name]
    assert "中牟县教育局" in text[summary.name] and "钱老师" in text[summary.name]
    assert "WL-08-10-02" in text[forms[2].name]
    todo = (out / "待办.txt").read_text("utf-8-sig")
    assert "一式3份" in todo and "2023-09-06 18:00" in todo


def test_jpk_missing_role_is_a_todo(tmp_path, video):
    work = _jpk_work(video, "浮力的大小", "孙丽", "WL-08-10-02")
    work["浮力的大小/登记表.docx"] = form_docx([("课程名称", "浮力的大小"), ("授课教师", "孙丽"), ("学段", "初中")])
    db = prepare(tmp_path, "jpk-subject", {k.replace("实验教学", "微课"): v for k, v in work.items()})
    out = tmp_path / "上报"
    station_cmd(db, "submit", "--out", out)
    todo = (out / "待办.txt").read_text("utf-8-sig")
    assert "技术指导为 0 人" in todo and "教学指导为 0 人" in todo
    assert not (out / "纸质材料").exists()  # 001 asks paper only for 实验教学


# --- 继续教育 (003) ---------------------------------------------------------------------------------


@needs_tools
@pytest.mark.req("003-28", "003-14")
def test_ce_resource_list_in_the_metadata_fields_and_the_two_sealed_forms(tmp_path, video, cover):
    meta = [
        ("资源名称", "走近航空发动机"),
        ("资源类型", "A01"),
        ("资源简介", "介绍航空发动机"),
        ("版权方", "某某学院"),
        ("主讲人", "朱新;张建华"),
        ("关键词", "航空;发动机"),
        ("所属分类", "科学文化-航空知识-航空发动机"),
    ]
    share = {
        "走近航空发动机/走近航空发动机.mp4": video,
        "走近航空发动机/封面.jpg": cover,
        "走近航空发动机/元数据.xlsx": sheet_xlsx(meta),
    }
    db = prepare(tmp_path, "ce-video", share, year=2024, check=True)  # 资源时长 comes from the measurement
    out = tmp_path / "上报"
    p = station_cmd(db, "submit", "--out", out, "--unit", "某某学院")
    assert p.returncode == 0, p.stdout + p.stderr
    ws = openpyxl.load_workbook(out / "资源列表.xlsx").active
    header = [c.value for c in ws[2]]
    assert header[1:10] == [
        "资源名称",
        "资源类型",
        "资源简介",
        "资源时长",
        "创建时间",
        "版权方",
        "主讲人",
        "关键词",
        "所属分类",
    ]
    row = dict(zip(header, next(ws.iter_rows(min_row=3, max_row=3, values_only=True))))
    assert row["主讲人"] == "朱新;张建华" and row["资源时长"] == "00:00:01" and row["资源封面"] == "封面.jpg"
    assert (out / "资源" / "走近航空发动机" / "封面.jpg").exists()
    f1 = out / "附件1_终身学习资源报送工作负责人信息登记表.docx"
    f2 = out / "附件2_数字化资源征集内容安全审核情况说明.docx"
    text = to_pdf_text([f1, f2], tmp_path)
    assert "负责人姓名" in text[f1.name] and "公章" in text[f1.name] and "某某学院" in text[f1.name]
    assert "我某某学院" in text[f2.name] and "盖单位章" in text[f2.name] and "走近航空发动机" in text[f2.name]
    todo = (out / "待办.txt").read_text("utf-8-sig")
    assert "caichong@jyt.henan.gov.cn" in todo and "2024-04-25" in todo and "2024-05-15" in todo


def test_unknown_profile_has_no_upward_format(tmp_path):
    station = Station.open(tmp_path / "s" / "station.db")
    (station.config_dir / "profiles").mkdir()
    src = Path(__file__).parent.parent / "workflows" / "profiles" / "builtin" / "ce-video.toml"
    (station.config_dir / "profiles" / "my-own.toml").write_text(
        src.read_text("utf-8").replace('id = "ce-video"', 'id = "my-own"'), "utf-8"
    )
    campaigns.add(station, "自定义", "my-own")
    with pytest.raises(StationError) as e:
        submit_wf.run(station, "自定义", tmp_path / "out")
    assert e.value.code == "submit.profile"


# --- the sample station: each programme's passing works go upward and re-import clean --------------------------

SAMPLE_SUBMITS = {
    # campaign of the sample -> what its notice's layout must hold (relative to the output folder)
    "课后服务2024": [
        "资源包/中牟县实验小学课后服务课程资源/趣味科学小实验/趣味科学小实验.mp4",
        "资源包/中牟县实验小学课后服务课程资源/趣味科学小实验/趣味科学小实验课件.pdf",
        "课后服务优秀课程资源汇总表.xlsx",
    ],
    "信息化交流": ["上传FTP/初中+第三中学+赵强.zip", "上传FTP/小学+实验小学+张三.zip"],
    "精品课": ["待办.txt"],
    "继续教育视频": ["资源列表.xlsx", "资源/新课标背景下的大单元教学设计/封面.jpg"],
}


@pytest.mark.parametrize("campaign", list(SAMPLE_SUBMITS))
def test_the_sample_stations_passing_works_submit_and_reimport_clean(sample, campaign, tmp_path):
    """The demo's full cycle for each of the four programmes: recommend the works that pass every check
    (`station decide`, one per teacher as 004 allows), then `station submit`, whose re-import under the same
    profile must find nothing."""
    teachers: set[str] = set()
    works = [
        s
        for s in queries.submissions(sample.db())
        if s["campaign"] == campaign
        and s["status"] == "imported"
        and not any(f["status"] == "fail" for f in s["findings"])
        and not (s["authors"][:1] and (s["authors"][0] in teachers or teachers.add(s["authors"][0])))
    ]
    assert works, campaign
    ids = [s["id"] for s in works]
    p = station_cmd(sample.db_path, "decide", *ids, "recommend", "--reviewer", "管理员")
    assert p.returncode == 0, p.stdout + p.stderr
    out = tmp_path / "上报"
    p = station_cmd(sample.db_path, "submit", "--campaign", campaign, "--out", out, "--unit", "中牟县教育局")
    assert p.returncode == 0, p.stdout + p.stderr
    written = {str(path.relative_to(out)) for path in out.rglob("*")}
    assert set(SAMPLE_SUBMITS[campaign]) <= written, sorted(written)
    assert "复核发现的问题" not in (out / "待办.txt").read_text("utf-8-sig")
