"""Generate a county's year of course-resource submissions: its FTP share, and a station that imported it.

Seven campaigns, one per shipped profile (课后服务, 信息化交流, the three 精品课 profiles, 继续教育 video and
audio), each with works that pass every check and works with the mistakes counties really receive. Media
have real lengths (15-30 min 课后服务, 10-20 min 精品课) made cheaply by stream-copying short encoded units
(`sample_data/sample_media.py`); the forms are the notices' own forms as a teacher fills them in. RAR packages come
from `../shared/fixtures/rar` (not part of the project): without it the build says so and skips them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import py7zr
from docx import Document
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sample_media as media  # noqa: E402  (sample_data/sample_media.py, beside this script; tests/ has a media.py)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ASSETS = HERE / "assets"
RAR_FIXTURES = ROOT.parent / "shared" / "fixtures" / "rar"
YEAR = 2024
MINUTE = 60

DOC_TEXT = {
    "教学设计": [
        "一、教学目标",
        "理解“{0}”的基本内容，能用自己的话说一说。",
        "二、教学重难点",
        "重点：掌握“{0}”的核心概念。难点：联系生活实际灵活运用。",
        "三、教学过程",
        "（一）情境导入（二）新知探究（三）巩固练习（四）课堂小结",
    ],
    "实验教学设计": [
        "一、实验目标",
        "通过“{0}”的探究实验，学会控制变量、记录与分析数据。",
        "二、实验器材",
        "弹簧测力计、烧杯、水、盐水、金属块、细线。",
        "三、实验过程",
        "（一）提出问题（二）猜想与假设（三）设计并进行实验（四）分析论证（五）交流评估",
    ],
    "学习任务单": [
        "课前：观看微课“{0}”，完成预习问题。",
        "课中：小组合作完成探究任务。",
        "课后：整理学习收获，写一写还有哪些疑问。",
    ],
    "导学案": [
        "学习目标：说出“{0}”的实验原理。",
        "自主学习：阅读教材，完成实验方案。",
        "合作探究：分组实验并记录数据。",
    ],
    "作业练习": ["基础练习：完成课本练习第1-3题。", "拓展练习：围绕“{0}”找一找生活中的例子。"],
    "说明文档": [
        "作品名称：{0}",
        "本作品面向学生课后服务活动设计，配套演示视频和活动材料。",
        "运行环境：Windows 10，Office 2016 及以上。",
    ],
    "案例介绍": [
        "一、案例背景",
        "“{0}”以信息技术与学科教学深度融合为目标。",
        "二、实施过程",
        "借助交互式课件和在线测评平台组织教学。",
        "三、效果与反思",
        "学生参与度明显提高。",
    ],
}


def _jpeg():
    return subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x240",
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-c:v",
            "mjpeg",
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout


def make_pptx(path, title, author):
    ct = "application/vnd.openxmlformats-"
    rel = "http://schemas.openxmlformats.org/"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{rel}package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{ct}package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/ppt/presentation.xml" '
        f'ContentType="{ct}officedocument.presentationml.presentation.main+xml"/>'
        f'<Override PartName="/docProps/core.xml" '
        f'ContentType="{ct}package.core-properties+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{rel}package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}officeDocument/2006/relationships/officeDocument" '
        'Target="ppt/presentation.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>',
        "ppt/presentation.xml": f'<p:presentation xmlns:p="{rel}presentationml/2006/main">'
        '<p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>',
        "docProps/core.xml": f'<cp:coreProperties xmlns:cp="{rel}package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>"
        "</cp:coreProperties>",
    }
    make_zip(
        path, {name: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml for name, xml in parts.items()}
    )


def make_docx(path, title, paragraphs, author):
    doc = Document()
    doc.core_properties.author = author
    doc.add_heading(title, level=1)
    for text in paragraphs:
        doc.add_paragraph(text.format(title))
    doc.save(path)


def make_pdf(path, lines):
    """A one-page PDF with Chinese text in the non-embedded STSong-Light font."""
    text = "".join(
        f"BT /F1 14 Tf 60 {780 - 28 * i} Td <{line.encode('utf-16-be').hex()}> Tj ET\n" for i, line in enumerate(lines)
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(text)} >>\nstream\n{text}endstream",
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    size = len(objects) + 1
    out += (
        f"xref\n0 {size}\n0000000000 65535 f \n{xref}trailer\n<< /Size {size} /Root 1 0 R >>\n"
        f"startxref\n{len(out)}\n%%EOF\n"
    ).encode("ascii")
    path.write_bytes(out)


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


class GbkZipInfo(zipfile.ZipInfo):
    """Entry names in GBK without the UTF-8 flag, as Chinese Windows writes them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


MEDIA_SUFFIXES = {".mp4", ".mov", ".flv", ".wmv", ".mp3", ".jpg"}


def zip_folder(folder, path, info_class=zipfile.ZipInfo):
    with zipfile.ZipFile(path, "w") as zf:
        for item in [folder, *sorted(folder.rglob("*"))]:
            info = info_class.from_file(item, item.relative_to(folder.parent).as_posix())
            data = item.read_bytes() if item.is_file() else b""
            # media are stored, as Windows' zip tools store what does not compress
            method = (
                zipfile.ZIP_DEFLATED if item.is_file() and item.suffix not in MEDIA_SUFFIXES else zipfile.ZIP_STORED
            )
            zf.writestr(info, data, compress_type=method)


def make_scan_pdf(path, jpeg):
    """A signed form scanned to PDF: one page that is only a picture (no text a program could read)."""
    stream = "q 515 728 0 0 40 57 cm /Im1 Do Q\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}endstream".encode("ascii"),
        f"<< /Type /XObject /Subtype /Image /Width 320 /Height 240 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        f"/Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode("ascii")
        + jpeg
        + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    size = len(objects) + 1
    out += (
        f"xref\n0 {size}\n0000000000 65535 f \n{xref}trailer\n<< /Size {size} /Root 1 0 R >>\n"
        f"startxref\n{len(out)}\n%%EOF\n"
    ).encode("ascii")
    path.write_bytes(out)


def grid_docx(path, heading, rows, note=None):
    """A Word form as the notices print them: a title, then one table (a list per row, "" = empty cell)."""
    doc = Document()
    doc.add_heading(heading, level=1)
    table = doc.add_table(rows=0, cols=max(len(r) for r in rows))
    table.style = "Table Grid"
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    if note:
        doc.add_paragraph(note)
    doc.save(path)


def sheet_xlsx(path, title, rows, widths=(16, 40)):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    for row in rows:
        ws.append(list(row))
    for column, width in zip("ABCDEFGH", widths):
        ws.column_dimensions[column].width = width
    wb.save(path)


def boxes(options, ticked, after=False):
    """A checkbox answer: '☑体育锻炼 □其他' (000) or '小学☑初中□' (Hebei, box after its label)."""
    mark = {True: "☑", False: "□"}
    if after:
        return "".join(f"{o}{mark[o in ticked]}" for o in options)
    return " ".join(f"{mark[o in ticked]}{o}" for o in options)


# --- 000 课后服务: the notice's 附件 课后服务优秀课程资源申报表 -------------------------------------------------

AS_FORM = "课后服务优秀课程资源申报表"
AS_CATEGORIES = (
    "科学教育",
    "文化艺术",
    "体育锻炼",
    "其他",
    "健康安全",
    "经典阅读",
    "影视教育",
    "劳动实践",
    "家庭教育",
    "心理健康教育",
)


def after_school_rows(c):
    original = c.get("original_unit", "")
    return [
        ["课程名称", c["title"], "", ""],
        ["申报人姓名", c["teacher"], "单 位", c["school"]],
        ["职称/职务", c.get("rank", "一级教师"), "联系电话", c["phone"]],
        ["团队成员（最多 5人）", "、".join(c["team"]), "", ""],
        ["是否原创", boxes(("是", "否"), ("否",) if original else ("是",)), "原创单位", original],
        ["资源类别", boxes(AS_CATEGORIES, (c["category"],)), "", ""],
        ["适用年级", c["grade"], "视频数量", str(c.get("videos", 1))],
        ["课程简介 （课程设计背景、课程内容等。可附页）", c["intro"], "", ""],
        [
            "教学设计（教学目的、教学要求、教学重难点、授课时间安排以及配套教辅说明等。可附页）",
            c["design"],
            "",
            "",
        ],
        ["申报人单位推荐意见", f"同意推荐。\n（公章）\n{YEAR}年6月10日", "", ""],
    ]


# --- 004 信息化交流 (Hebei): 附件1 普通类项目作品登记表, 附件2 案例类, 附件4 案例信息表 ----------------------------

STAGES_004 = ("学前教育", "特殊教育", "小学", "初中", "高中")


def hebei_form1(w):
    """附件1 普通类项目作品登记表: boxes after their labels, three 姓名/所在单位 rows, the 300-character box."""
    rows = [
        ["作品名称", w["title"], "学科", w["subject"], "年级", w["grade"], "作品大小", w.get("size", "")],
        ["项目", "基础教育组", "精品课后服务资源☑", "学段", boxes(STAGES_004, (w["stage"],), after=True), "", "", ""],
        ["", "", "", "作品形态", boxes(("课件", "短视频", "动画"), ("短视频",), after=True), "", "", ""],
        ["", "高等教育组", "微课□", "", "", "", "", ""],
        ["作者信息", "姓名", "所在单位（按单位公章填写）", "", "", "", "", ""],
    ]
    authors = w["authors"]
    rows += [["", name, unit, "", "", "", "", ""] for name, unit in authors]
    rows += [["", "", "", "", "", "", "", ""]] * max(0, 3 - len(authors))
    rows += [
        ["联系人信息", "姓名", authors[0][0], "手机", w["phone"], "", "", ""],
        ["作品特点", "（包括作品简介、特色亮点等，300字以内）" + w["features"], "", "", "", "", "", ""],
        [
            "作品安装运行说明",
            "（300字以内）Windows 10 下直接播放 MP4 视频，课件用 WPS 或 Office 打开。",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    return rows


def hebei_form2(w):
    """附件2 (融合创新应用教学案例 / 信息化教学课程案例): the 学段 boxes inside the 项目 block."""
    projects = ("融合创新应用教学案例", "信息化教学课程案例")
    rows = [
        ["作品名称", w["title"], "学科", w["subject"]],
        ["项目", "基础教育组", boxes(projects[:1], (w["project"],), after=True), "学前教育□"],
    ]
    rows += [["", "", "", boxes((s,), (w["stage"],), after=True)] for s in STAGES_004[1:]]
    rows += [["", "中等职业教育组", boxes(projects[1:], (w["project"],), after=True), ""]]
    rows += [["作者信息", "姓名", "所在单位（按单位公章填写）", ""]]
    rows += [["", name, unit, ""] for name, unit in w["authors"]]
    rows += [
        ["联系人信息", w["authors"][0][0], "手机", w["phone"]],
        ["案例概述", "（300字以内）" + w["features"], "", ""],
    ]
    return rows


CASE_TYPES = ("区域教师研修应用案例", "校本教师研修应用案例", "线上名师名校长工作室建设与应用案例")


def hebei_form4(w):
    """附件4 国家中小学智慧教育平台教师研修应用案例信息表: an author table with 职称/职务 and 手机, 案例类型 boxes."""
    rows = [
        ["案例名称", w["title"], "", "", ""],
        ["作者信息 (最多3人)", "姓名", "工作单位", "职称/职务", "手机"],
    ]
    rows += [["", name, unit, "一级教师", w["phone"]] for name, unit in w["authors"]]
    rows += [
        ["案例类型", boxes(CASE_TYPES, ("校本教师研修应用案例",), after=True), "", "", ""],
        ["案例概述", "（300字以内）" + w["features"], "", "", ""],
    ]
    return rows


# --- 001 精品课: 登记表 with the three roles (授课教师, 教学指导, 技术指导) ---------------------------------------

JP_FORM = "基础教育精品课登记表"


def lesson_rows(w):
    return [
        ["课程名称", w["title"], "", ""],
        ["课程节点编号", w["node"], "", ""],
        ["学段", w["stage"], "学科", w["subject"]],
        ["年级", w["grade"], "教材版本", w.get("edition", "人教版")],
        ["授课教师", w["teacher"], "联系电话", w["phone"]],
        ["单位", w["school"], "", ""],
        ["教学指导", w["guide"], "技术指导", w["tech"]],
        ["是否原创", boxes(("是", "否"), (w.get("original", "是"),)), "", ""],
        [
            "授课教师签字",
            "" if w.get("unsigned") else w["teacher"],
            "学校（盖章）",
            "" if w.get("unsigned") else "已盖章",
        ],
    ]


# --- 003 继续教育: 元数据 sheet (附件4 表1) ----------------------------------------------------------------


def hhmmss(seconds):
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def metadata_rows(r, seconds):
    rows = [
        ("资源名称", r["title"]),
        ("资源类型", r["type"]),
        ("资源简介", r["intro"]),
        ("资源时长", hhmmss(seconds)),
        ("创建时间", f"{YEAR}-03-{r['day']:02d}"),
        ("版权方", r["owner"]),
        ("主讲人", r["speaker"]),
        ("关键词", r["keywords"]),
        ("所属分类", r["category"]),
    ]
    return [row for row in rows if row[0] not in r.get("missing", ())]


def probe_seconds(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())


class Share:
    """What a campaign builder needs: the campaign's folder, a staging folder for archives, media, assets."""

    def __init__(self, root, stage, media_, photo, notes, large):
        self.root, self.stage, self.media, self.photo, self.notes, self.large = root, stage, media_, photo, notes, large

    def video(self, path, kind, minutes):
        return self.media.long(path, kind, minutes * MINUTE)


# --- 课后服务 2024 (000): school packages “xx学校课后服务课程资源” ---------------------------------------------

AFTER_SCHOOL = {
    "趣味科学小实验": dict(
        title="趣味科学小实验",
        teacher="刘洋",
        school="中牟县实验小学",
        phone="13837125468",
        team=["李明", "王丽"],
        category="科学教育",
        grade="三至五年级",
        intro="课程围绕生活中的科学现象设计 12 个小实验，学生在动手中理解科学原理。",
        design="教学目的：激发科学兴趣；教学重难点：控制变量；授课时间安排：每周一次，每次 40 分钟。",
    ),
    "剪纸艺术": dict(
        title="剪纸艺术",
        teacher="陈静",
        school="中牟县城关镇第一小学",
        phone="15938764203",
        team=["刘芳"],
        category="文化艺术",
        grade="四年级",
        intro="传承民间剪纸技艺，学习对折剪、团花剪。",
        design="教学目的：了解剪纸文化；教学重难点：对称图案的设计。",
    ),
    "篮球基础": dict(
        title="篮球基础",
        teacher="马超",
        school="中牟县东风路小学",
        phone="13598016732",
        team=["何磊", "郭婷"],
        category="体育锻炼",
        grade="五年级",
        intro="运球、传球、投篮三项基本功，分层练习。",
        design="教学目的：掌握运球基本动作；授课时间安排：每周两次。",
    ),
    "经典诵读": dict(
        title="经典诵读",
        teacher="黄晓燕",
        school="中牟县东风路小学",
        phone="18638529074",
        team=["罗佳", "蔡文静"],
        category="经典阅读",
        grade="四年级",
        videos=2,
        intro="选取《论语》《三字经》名篇，分两个课时诵读与讲解。",
        design="教学目的：读准字音、读出节奏；授课时间安排：两个课时，每课时 20 分钟。",
    ),
    "快乐足球": dict(
        title="快乐足球",
        teacher="孙丽",
        school="中牟县新华路小学",
        phone="13783640519",
        team=["朱敏", "胡杰"],
        category="体育锻炼",
        grade="三年级",
        intro="足球游戏化教学：带球、传球、射门。",
        design="教学目的：培养团队合作；授课时间安排：每周一次。",
    ),
    "绘本里的情绪": dict(
        title="绘本里的情绪",
        teacher="王丹",
        school="中牟县城关镇中心幼儿园",
        phone="13526781234",
        team=["李娜"],
        category="心理健康教育",
        grade="大班",
        intro="通过绘本认识高兴、生气、难过等情绪。",
        design="教学目的：会说出自己的情绪；授课时间安排：每周一次，每次 20 分钟。",
    ),
    "茶艺入门": dict(
        title="茶艺入门",
        teacher="杜娟",
        school="中牟县第二实验小学",
        phone="13700371122",
        team=["赵强", "钱芳", "孙伟", "李楠", "周洁", "吴昊"],
        category="劳动实践",
        grade="六年级",
        original_unit="郑州市茶文化研究会",
        intro="认识六大茶类，学习泡茶的基本步骤。",
        design="教学目的：了解茶文化；授课时间安排：每周一次。",
    ),
}


def _as_course(folder, key, s, kind, minutes, form="申报表.docx", courseware="pptx", video_name=None):
    c = AFTER_SCHOOL[key]
    folder.mkdir(parents=True, exist_ok=True)
    s.video(folder / (video_name or f"{c['title']}.{media.KINDS[kind].ext}"), kind, minutes)
    if courseware == "pdf":
        make_pdf(folder / f"{c['title']}课件.pdf", [f"{c['title']}课件", c["school"], c["teacher"]])
    else:
        make_pptx(folder / f"{c['title']}课件.pptx", c["title"], c["teacher"])
    if form.endswith(".docx"):
        grid_docx(folder / form, AS_FORM, after_school_rows(c))
    return c


def _after_school(s):
    root = s.root
    # Passes everything: 15 min 10 s of the notice's own video (1080p25, 8 Mbps, AAC 128k), a PDF 课件
    # (000 fixes only the video's format), the notice's 申报表 filled in.
    _as_course(root / "实验小学课后服务课程资源", "趣味科学小实验", s, "standard", 15.1, courseware="pdf")

    # Chinese Windows' ZIP (GBK names): a 720p/30 fps/2 Mbps/96 kbps recording without a title card.
    package = s.stage / "城关镇第一小学课后服务课程资源"
    _as_course(package, "剪纸艺术", s, "720p30", 16)
    zip_folder(package, root / f"{package.name}.zip", GbkZipInfo)

    # One school, two courses: a phone video held upright (HEVC .mov, mono 44.1 kHz lavalier) and a course
    # split into two 课时 recorded with a screen recorder (VFR), its 申报表 a Word 97 .doc.
    package = root / "东风路小学课后服务课程资源"
    _as_course(package / "篮球基础", "篮球基础", s, "phone", 18)
    _as_course(
        package / "经典诵读", "经典诵读", s, "screen", 15.5, form="申报表.doc", video_name="经典诵读（第1课时）.mp4"
    )
    s.video(package / "经典诵读" / "经典诵读（第2课时）.mp4", "screen", 16)
    shutil.copyfile(ASSETS / "经典诵读-申报表.doc", package / "经典诵读" / "申报表.doc")

    # The same phone video sent by a second school (一稿多投 is only a hint under 000), form saved by WPS.
    package = root / "新华路小学课后服务课程资源"
    _as_course(package, "快乐足球", s, "720p", 15.5, form="申报表.wps")
    shutil.copyfile(ASSETS / "快乐足球-申报表.wps", package / "申报表.wps")
    shutil.copyfile(root / "东风路小学课后服务课程资源/篮球基础/篮球基础.mov", package / "篮球基础（校队训练）.mov")

    # A kindergarten (not 义务教育) and an introduced course with six team members (最多5人).
    _as_course(root / "城关镇中心幼儿园课后服务课程资源", "绘本里的情绪", s, "720p", 16)
    folder = root / "第二实验小学课后服务课程资源"
    if s.large:  # 31 minutes at 8 Mbps: over 1 GiB and over 30 min, the notice's own 1G / 8 Mbps conflict
        _as_course(folder, "茶艺入门", s, "standard", 31)
    else:
        _as_course(folder, "茶艺入门", s, "yuv444", 17)

    # A path-traversal archive and a stray folder of photos.
    make_zip(
        root / "城南小学课后服务课程资源.zip",
        {
            "城南小学课后服务课程资源/课程简介.txt": "课程名称：快乐足球\n申报人：石磊\n",
            "../../逃逸.txt": "escape",
        },
    )
    stray = root / "未命名资料"
    stray.mkdir()
    (stray / "说明.txt").write_bytes("上周教研活动的照片，先放这里。\r\n".encode("gbk"))
    (stray / "照片.jpg").write_bytes(s.photo)
    # A school's RAR package (RAR cannot be written with free tools: a real RAR sample is used when present).
    rar = RAR_FIXTURES / "libarchive" / "test_read_format_rar_unicode.rar"
    if rar.is_file():
        shutil.copyfile(rar, root / "城北小学课后服务课程资源.rar")
    else:
        s.notes.append(f"未找到 RAR 样例（{RAR_FIXTURES}），跳过“城北小学课后服务课程资源.rar”")


# --- 信息化交流 (004, Hebei): 学段+学校+教师姓名/项目/作品名称 -------------------------------------------------

INFO_EXCHANGE = {
    "巧手做风筝": dict(
        title="巧手做风筝",
        folder="小学+实验小学+张三",
        project="精品课后服务资源",
        stage="小学",
        subject="劳动",
        grade="三年级",
        phone="13525560318",
        authors=[("张三", "正定县实验小学"), ("白雪", "正定县实验小学"), ("许亮", "正定县常山路小学")],
        features="以风筝制作为主线，融合数学测量与美术设计，配有分步演示视频。",
    ),
    "《函数的图像》教学案例": dict(
        title="《函数的图像》教学案例",
        folder="初中+第二中学+李华",
        project="融合创新应用教学案例",
        stage="初中",
        subject="数学",
        grade="八年级",
        phone="13603710862",
        authors=[("李华", "正定县第二中学"), ("吕洁", "正定县第二中学")],
        features="借助几何画板动态演示函数图像的变化。",
    ),
    "物理实验的数字化探究": dict(
        title="物理实验的数字化探究",
        folder="高中+第一高级中学+王芳",
        project="信息化教学课程案例",
        stage="高中",
        subject="物理",
        grade="高一",
        phone="15093357821",
        authors=[("王芳", "正定县第一高级中学"), ("蒋伟", "正定县第一高级中学"), ("袁晓东", "正定县第一高级中学")],
        features="用传感器采集数据，数字化探究牛顿第二定律。",
    ),
    "剪纸里的年味": dict(
        title="剪纸里的年味",
        folder="小学城关小学陈静",
        project="精品课后服务资源",
        stage="小学",
        subject="美术",
        grade="四年级",
        phone="15938764203",
        authors=[("陈静", "正定县城关小学")],
        features="以春节窗花为题材的剪纸课后服务课程。",
    ),
    "智慧课堂中的分层作业": dict(
        title="智慧课堂中的分层作业",
        folder="初中+第三中学+赵强",
        project="融合创新应用教学案例",
        stage="初中",
        subject="英语",
        grade="七年级",
        phone="13700001234",
        authors=[("赵强", "正定县第三中学")],
        features="利用平台学情数据布置分层作业。",
    ),
    "基于智慧平台的校本研修": dict(
        title="基于智慧平台的校本研修",
        folder="初中+第三中学+赵强",
        project="国家中小学智慧教育平台教师研修应用案例",
        stage="初中",
        subject="英语",
        grade="七年级",
        phone="13700001234",
        authors=[("赵强", "正定县第三中学"), ("周红", "正定县第三中学")],
        features="以国家中小学智慧教育平台资源开展校本研修。",
    ),
    "小小建筑师": dict(
        title="小小建筑师",
        folder="幼儿园+城关镇中心幼儿园+孙丽",
        project="精品课后服务资源",
        stage="学前教育",
        subject="科学",
        grade="大班",
        phone="13612345678",
        authors=[("孙丽", "正定县城关镇中心幼儿园")],
        features="用积木搭建家乡的古建筑。",
    ),
}


def _ie_work(base, key, folder_title=None):
    w = INFO_EXCHANGE[key]
    work = base / w["folder"] / w["project"] / (folder_title or w["title"])
    work.mkdir(parents=True)
    return work, w


def _related(path, s, note):
    make_zip(path, {"活动照片.jpg": s.photo, "参考资料.txt": note + "\n"})


def _info_exchange(s):
    root = s.root
    # Passes: the signed 附件1 scanned to PDF, the Word copy beside it, a 5-minute demo video, 说明文档, 相关材料.
    work, w = _ie_work(root, "巧手做风筝")
    s.video(work / "作品演示视频.mp4", "lesson", 5)
    grid_docx(work / "作品登记表.docx", "附件1 普通类项目作品登记表", hebei_form1(w))
    make_scan_pdf(work / "作品登记表.pdf", s.photo)
    make_docx(work / "说明文档.docx", w["title"], DOC_TEXT["说明文档"], "张三")
    _related(work / "相关材料.zip", s, "风筝的历史与制作要点。")

    # A teacher folder sent as 7z; the title in 《》 (title.brackets).
    work, w = _ie_work(s.stage, "《函数的图像》教学案例")
    s.video(work / "教学活动录像.mp4", "720p", 12)
    make_docx(work / "案例介绍.docx", w["title"], DOC_TEXT["案例介绍"], "李华")
    grid_docx(work / "作品登记表.docx", "附件2 作品登记表", hebei_form2(w))
    make_scan_pdf(work / "作品登记表.pdf", s.photo)
    _related(work / "相关材料.zip", s, "本课借助几何画板动态演示函数图像。")
    author_folder = work.parent.parent
    # 7-Zip's "store" level: the video does not compress, and LZMA over it would cost the demo half a minute
    with py7zr.SevenZipFile(root / f"{author_folder.name}.7z", "w", filters=[{"id": py7zr.FILTER_COPY}]) as archive:
        archive.writeall(author_folder, arcname=author_folder.name)

    # 高中 in 信息化教学课程案例 (a 中等职业教育组 project), the 登记表 in Word only (no signed PDF), an
    # interlaced camcorder export, and a folder title that is not the form's.
    work, w = _ie_work(root, "物理实验的数字化探究", "物理实验数字化探究")
    s.video(work / "教学活动录像.mp4", "interlaced", 8)
    grid_docx(work / "作品登记表.docx", "附件2 作品登记表", hebei_form2(w))
    make_docx(work / "案例介绍.docx", w["title"], DOC_TEXT["案例介绍"], "王芳")
    _related(work / "相关材料.zip", s, "传感器数据。")

    # 学段学校教师姓名 without separators; an .flv from a screen recorder.
    work, w = _ie_work(root, "剪纸里的年味")
    s.video(work / "作品演示视频.flv", "flv", 6)
    grid_docx(work / "作品登记表.docx", "附件1 普通类项目作品登记表", hebei_form1(w))
    make_scan_pdf(work / "作品登记表.pdf", s.photo)
    make_docx(work / "说明文档.docx", w["title"], DOC_TEXT["说明文档"], "陈静")
    _related(work / "相关材料.zip", s, "窗花图样。")

    # One teacher folder, two 项目; the 研修应用案例 with its 附件4 案例信息表 (no video required).
    work, w = _ie_work(root, "智慧课堂中的分层作业")
    s.video(work / "教学活动录像.mp4", "720p", 14)
    grid_docx(work / "作品登记表.docx", "附件2 作品登记表", hebei_form2(w))
    make_scan_pdf(work / "作品登记表.pdf", s.photo)
    make_docx(work / "案例介绍.docx", w["title"], DOC_TEXT["案例介绍"], "赵强")
    _related(work / "相关材料.zip", s, "分层作业样例。")
    work, w = _ie_work(root, "基于智慧平台的校本研修")
    grid_docx(work / "案例信息表.docx", "附件4 案例信息表", hebei_form4(w))
    make_scan_pdf(work / "案例信息表.pdf", s.photo)
    make_docx(work / "案例介绍.docx", w["title"], DOC_TEXT["案例介绍"], "赵强")
    _related(work / "相关材料.zip", s, "研修活动记录。")

    # A teacher's package as RAR 5 (a real RAR sample: its content is not a work, so the import says so).
    rar = RAR_FIXTURES / "libarchive" / "test_read_format_rar5_win32.rar"
    if rar.is_file():
        shutil.copyfile(rar, root / "小学+城北小学+周敏.rar")
    else:
        s.notes.append(f"未找到 RAR 样例（{RAR_FIXTURES}），跳过“小学+城北小学+周敏.rar”")

    # 幼儿园 as 学段; an unsigned 登记表 (the Word form only, no scan).
    work, w = _ie_work(root, "小小建筑师")
    s.video(work / "作品演示视频.mp4", "720p", 7)
    grid_docx(work / "作品登记表.docx", "附件1 普通类项目作品登记表", hebei_form1(w))
    make_docx(work / "说明文档.docx", w["title"], DOC_TEXT["说明文档"], "孙丽")
    _related(work / "相关材料.zip", s, "搭建作品照片。")


# --- 精品课 (001, Zhengzhou): one folder per lesson ----------------------------------------------------------

LESSONS = {
    "分数的初步认识": dict(
        title="分数的初步认识",
        node="RJ-SX-3A-08",
        stage="小学",
        subject="数学",
        grade="三年级",
        teacher="杨帆",
        phone="13938247615",
        school="中牟县实验小学",
        guide="王秀英",
        tech="张磊",
    ),
    "光合作用": dict(
        title="光合作用",
        node="RJ-SW-7A-15",
        stage="初中",
        subject="生物",
        grade="七年级",
        teacher="徐静",
        phone="18237160954",
        school="中牟县第三初级中学",
        guide="潘志刚",
        tech="杜鹏",
        original="否",
    ),
    "春晓": dict(
        title="春晓",
        node="TB-YW-1B-03",
        stage="小学",
        subject="语文",
        grade="一年级",
        teacher="赵敏",
        phone="13673390826",
        school="中牟县实验小学",
        guide="林慧",
        tech="郑浩",
        edition="统编版",
    ),
    "探究影响浮力大小的因素": dict(
        title="探究影响浮力大小的因素",
        node="RJ-WL-8B-10",
        stage="初中",
        subject="物理",
        grade="八年级",
        teacher="冯军",
        phone="13803711234",
        school="中牟县第一初级中学",
        guide="韩梅",
        tech="曹阳",
    ),
    "观察植物细胞": dict(
        title="观察植物细胞",
        node="RJ-SW-7A-05",
        stage="初中",
        subject="生物",
        grade="七年级",
        teacher="梁红",
        phone="13903710001",
        school="中牟县第三初级中学",
        guide="潘志刚",
        tech="杜鹏",
        unsigned=True,
    ),
    "认识颜色": dict(
        title="认识颜色",
        node="PZ-SH-1A-02",
        stage="特殊教育",
        subject="生活语文",
        grade="一年级",
        teacher="宋洁",
        phone="13633880011",
        school="中牟县特殊教育学校",
        guide="田丰",
        tech="曹阳",
        edition="培智教材",
    ),
    "手语：我的家": dict(
        title="手语：我的家",
        node="LY-SY-2A-04",
        stage="特殊教育",
        subject="沟通与交往",
        grade="二年级",
        teacher="高峰",
        phone="13633880022",
        school="中牟县特殊教育学校",
        guide="田丰",
        tech="韩雪",
        edition="聋校教材",
    ),
}


def _lesson(root, key, s, kind, minutes, docs, courseware="pptx", form="docx", folder=None, videos=None):
    w = LESSONS[key]
    work = root / (folder or w["title"].replace("：", "-"))
    work.mkdir()
    for name, mins in videos or [(f"微课视频.{media.KINDS[kind].ext}", minutes)]:
        s.video(work / name, kind, mins)
    for doc in docs:
        make_docx(work / f"{doc}.docx", w["title"], DOC_TEXT[doc], w["teacher"])
    if courseware == "pdf":
        make_pdf(work / "课件.pdf", [f"{w['title']}课件", w["teacher"]])
    else:
        make_pptx(work / "课件.pptx", w["title"], w["teacher"])
    grid_docx(work / "登记表.docx", JP_FORM, lesson_rows(w))
    if form == "signed":
        make_scan_pdf(work / "登记表（签字盖章）.pdf", s.photo)
    return w


SUBJECT_DOCS = ("教学设计", "学习任务单", "作业练习")


def _lessons_subject(s):
    # Passes: 10.5 minutes of the notice's video, the five parts, the 登记表 in Word and signed.
    _lesson(s.root, "分数的初步认识", s, "lesson", 10.5, SUBJECT_DOCS, form="signed")
    # 是否原创=否, 作业练习 missing, a 29.97 fps export with 96 kbps audio.
    _lesson(s.root, "光合作用", s, "ntsc", 12, SUBJECT_DOCS[:2])
    # Awarded last year (省级一等奖, see the awards list); a High 10 export in two 课时 files.
    _lesson(
        s.root,
        "春晓",
        s,
        "high10",
        0,
        SUBJECT_DOCS,
        videos=[("春晓（第1课时）.mp4", 9), ("春晓（第2课时）.mp4", 8)],
    )


def _lessons_experiment(s):
    _lesson(s.root, "探究影响浮力大小的因素", s, "lesson", 12.5, ("实验教学设计", "导学案"), form="signed")
    # An unsigned 登记表 (Word only), a 4:4:4 export, the 导学案 missing.
    _lesson(s.root, "观察植物细胞", s, "yuv444", 11, ("实验教学设计",))


def _lessons_special(s):
    _lesson(s.root, "认识颜色", s, "lesson", 11, ("教学设计", "学习任务单", "作业练习"), form="signed")
    # A Windows Media file, a PDF 课件 (精品课 asks for PPT), 学习任务单 missing.
    _lesson(s.root, "手语：我的家", s, "wmv", 13, ("教学设计",), courseware="pdf", form="signed")


# --- 继续教育 (003): resources with 元数据 and 封面 ------------------------------------------------------------

CE_VIDEO = {
    "新课标背景下的大单元教学设计": dict(
        title="新课标背景下的大单元教学设计",
        type="A01",
        intro="解读义务教育课程标准，示范大单元教学设计的流程与工具。",
        owner="中牟县教师发展中心",
        speaker="周建国;李明",
        keywords="新课标;大单元;教学设计",
        category="教师教育-课程教学-教学设计",
        day=12,
    ),
    "班主任工作经验谈": dict(
        title="班主任工作经验谈",
        type="A01",
        intro="一线班主任分享班级管理与家校沟通经验。",
        owner="中牟县教师发展中心",
        speaker="马红梅",
        keywords="班主任;班级管理",
        category="教师教育-德育-班主任工作",
        day=18,
    ),
    "信息技术与课堂融合": dict(
        title="信息技术与课堂融合",
        type="A01",
        intro="交互式课件与在线测评在课堂中的应用。",
        owner="中牟县电化教育馆",
        speaker="韩雪、谢文",
        keywords="信息技术;课堂融合",
        category="信息技术",
        day=20,
    ),
}
CE_AUDIO = {
    "教师心理健康讲座": dict(
        title="教师心理健康讲座",
        type="A02",
        intro="教师职业压力的识别与调适。",
        owner="中牟县教师发展中心",
        speaker="何磊",
        keywords="心理健康;压力调适",
        category="教师教育-心理健康-压力管理",
        day=8,
    ),
    "家校沟通的艺术": dict(
        title="家校沟通的艺术",
        type="A02",
        intro="如何与家长有效沟通。",
        owner="中牟县教师发展中心",
        speaker="郭婷",
        keywords="家校沟通",
        category="教师教育-德育-家校共育",
        day=15,
        missing=("版权方",),
    ),
}


def _ce_resource(root, r, s, kind, minutes, cover=True):
    folder = root / r["title"]
    folder.mkdir()
    path = folder / f"{r['title']}.{media.KINDS[kind].ext}"
    s.video(path, kind, minutes)
    sheet_xlsx(folder / "元数据.xlsx", "数字化学习资源元数据", metadata_rows(r, probe_seconds(path)))
    if cover:
        (folder / "封面.jpg").write_bytes(s.photo)


def _ce_video(s):
    _ce_resource(s.root, CE_VIDEO["新课标背景下的大单元教学设计"], s, "ce", 8)
    _ce_resource(s.root, CE_VIDEO["班主任工作经验谈"], s, "wmv", 10)  # Windows Media, not H.264/AAC MP4
    # A High 10 export (browsers do not play 10-bit H.264), no 封面, 主讲人 separated by 、.
    _ce_resource(s.root, CE_VIDEO["信息技术与课堂融合"], s, "high10", 9.5, cover=False)


def _ce_audio(s):
    _ce_resource(s.root, CE_AUDIO["教师心理健康讲座"], s, "mp3", 25)
    _ce_resource(s.root, CE_AUDIO["家校沟通的艺术"], s, "mp3-mono", 20)  # a phone's mono 22.05 kHz, 版权方 empty


# --- the city's lists: 精品课 quota tables (001 附件3/4) and previous awards ---------------------------------

QUOTA_REGIONS = ("金水区", "二七区", "中原区", "管城回族区", "惠济区", "中牟县", "新郑市")
QUOTA_SUBJECT = {  # region: (小学, 初中, 高中, 特殊教育)
    "金水区": (8, 6, 4, 1),
    "二七区": (6, 5, 3, 1),
    "中原区": (6, 5, 3, 1),
    "管城回族区": (5, 4, 2, 1),
    "惠济区": (4, 3, 2, 1),
    "中牟县": (2, 2, 2, 1),
    "新郑市": (5, 4, 3, 1),
}
QUOTA_EXPERIMENT = {region: (2, 2, 1) for region in QUOTA_REGIONS} | {"中牟县": (1, 1, 1)}


def _quota_table(path, title, note, columns, table):
    wb = Workbook()
    ws = wb.active
    ws.title = "名额分配"
    width = len(columns) + 2
    ws.append([title])
    ws.append([note])
    ws.append(["县（市、区）", "推荐名额"])
    ws.append([None, *columns, "合计"])
    for region in QUOTA_REGIONS:
        ws.append([region, *table[region], sum(table[region])])
    totals = [sum(table[r][i] for r in QUOTA_REGIONS) for i in range(len(columns))]
    ws.append(["合计", *totals, sum(totals)])
    last = "ABCDEFGH"[width - 1]
    for cells in (f"A1:{last}1", f"A2:{last}2", "A3:A4", f"B3:{last}3"):
        ws.merge_cells(cells)
    ws["A1"].font = Font(bold=True, size=16)
    for cell in ("A1", "A3", "B3"):
        ws[cell].alignment = Alignment(horizontal="center", vertical="center")
    ws.column_dimensions["A"].width = 16
    wb.save(path)


AWARDS = [
    # title, first author, unit, year, level, activity: each row exercises one scoping rule
    ("春晓", "赵敏", "中牟县实验小学", 2023, "省级一等奖", "河南省基础教育精品课遴选"),
    ("趣味科学小实验", "刘洋", "中牟县实验小学", 2022, "省级优秀作品", "河南省课后服务优秀课程资源征集"),  # 2 years ago
    ("剪纸艺术", "陈静", "中牟县城关镇第一小学", 2023, "县级二等奖", "中牟县课后服务课程评选"),  # county level
    ("快乐足球", "孙丽", "中牟县新华路小学", 2023, "省级优秀作品", "河南省课后服务优秀课程资源征集"),  # last year, 省级
    ("巧手做风筝", "张三", "正定县实验小学", 2023, "市级一等奖", "石家庄市中小学创客大赛"),  # city, other activity
    ("物理实验的数字化探究", "王芳", "正定县第一高级中学", 2022, "省级三等奖", "河北省教师教育教学信息化交流活动"),
    ("《背影》朗读指导", "周婷", "中牟县第二中学", 2022, "市级一等奖", "郑州市优质课评选"),
]


def _awards(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "获奖作品"
    ws.append(["往年获奖作品名单"])
    ws.append(["作品名称", "第一作者", "单位", "年度", "获奖等级", "活动名称"])
    for row in AWARDS:
        ws.append(row)
    wb.save(path)


CAMPAIGNS = [
    # folder (= campaign name), programme, builder, profile
    ("课后服务2024", "课后服务 2024", _after_school, "after-school-2024"),
    ("信息化交流", "教师教育教学信息化交流活动", _info_exchange, "infotech-exchange"),
    ("精品课", "精品课 学科课程", _lessons_subject, "jpk-subject"),
    ("精品课实验教学", "精品课 实验教学", _lessons_experiment, "jpk-experiment"),
    ("精品课特殊教育", "精品课 特殊教育", _lessons_special, "jpk-special"),
    ("继续教育视频", "继续教育数字化资源（视频）", _ce_video, "ce-video"),
    ("继续教育音频", "继续教育数字化资源（音频）", _ce_audio, "ce-audio"),
]
QUOTA_FILES = {  # campaign -> the 精品课 quota table it takes (001 附件3 for 学科课程/特殊教育, 附件4 for 实验教学)
    "精品课": "附件3 基础教育精品课推荐名额分配表（学科课程、特殊教育）.xlsx",
    "精品课特殊教育": "附件3 基础教育精品课推荐名额分配表（学科课程、特殊教育）.xlsx",
    "精品课实验教学": "附件4 基础教育精品课推荐名额分配表（实验教学）.xlsx",
}
COUNTY = "中牟县"


def units_cache() -> Path:
    """Where the encoded units are kept across builds: keyed on sample_media.py and ffmpeg's version."""
    h = hashlib.sha256((HERE / "sample_media.py").read_bytes())
    try:
        h.update(subprocess.run(["ffmpeg", "-version"], capture_output=True, check=True).stdout.splitlines()[0])
    except (OSError, subprocess.CalledProcessError, IndexError):
        pass
    return ROOT / ".cache" / "sample-units" / h.hexdigest()[:16]


def build_share(dest: Path, large: bool = False, units: Path | None = None) -> dict:
    """The county's share in DEST (must be empty). LARGE adds a file over 1 GiB (31 min at 8 Mbps)."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"目标目录非空：{dest}")
    notes: list[str] = []
    photo = _jpeg()
    with tempfile.TemporaryDirectory() as tmp:
        maker = media.Media(Path(tmp, "media"), units)
        maker.prepare(media.KINDS)
        try:
            for folder, _, build, _ in CAMPAIGNS:
                (dest / folder).mkdir(parents=True)
                stage = Path(tmp, "stage", folder)
                stage.mkdir(parents=True)
                build(Share(dest / folder, stage, maker, photo, notes, large))
        finally:
            maker.close()
    _quota_table(
        dest / QUOTA_FILES["精品课"],
        "2023年郑州市“基础教育精品课”推荐名额分配表（学科课程、特殊教育）",
        "注：各县（市、区）推荐作品不得超过分配名额；同一课程节点、同一教师只推荐 1 件。",
        ("小学", "初中", "高中", "特殊教育"),
        QUOTA_SUBJECT,
    )
    _quota_table(
        dest / QUOTA_FILES["精品课实验教学"],
        "2023年郑州市“基础教育精品课”推荐名额分配表（实验教学）",
        "注：各县（市、区）推荐作品不得超过分配名额。",
        ("小学", "初中", "高中"),
        QUOTA_EXPERIMENT,
    )
    _awards(dest / "往年获奖作品.xlsx")
    return {
        "campaigns": [
            {
                "name": folder,
                "programme": programme,
                "profile": profile,
                "path": str(dest / folder),
                "entries": sorted(p.name for p in (dest / folder).iterdir()),
            }
            for folder, programme, _, profile in CAMPAIGNS
        ],
        "quota_tables": {name: str(dest / file) for name, file in QUOTA_FILES.items()},
        "awards": str(dest / "往年获奖作品.xlsx"),
        "duplicate_videos": [
            str(dest / "课后服务2024/东风路小学课后服务课程资源/篮球基础/篮球基础.mov"),
            str(dest / "课后服务2024/新华路小学课后服务课程资源/篮球基础（校队训练）.mov"),
        ],
        "unsafe_archives": [str(dest / "课后服务2024/城南小学课后服务课程资源.zip")],
        "gbk_archives": [str(dest / "课后服务2024/城关镇第一小学课后服务课程资源.zip")],
        "notes": notes,
    }


def build_station(station_dir: Path, large: bool = False) -> dict:
    """A fresh sample station in STATION_DIR: the share generated into STATION_DIR/share, then imported,
    the awards list and the 精品课 quota tables (this county's rows) loaded, and the quick checks run."""
    from workflows import campaigns
    from workflows.checks import run as checks
    from workflows.ingest import awards
    from workflows.ingest import importer as ingest
    from workflows.quotas import rules as quotas
    from workflows.station import Station

    station_dir = Path(station_dir)
    if station_dir.exists():
        shutil.rmtree(station_dir)
    share = build_share(station_dir / "share", large, units_cache())
    station = Station.open(station_dir / "station.db")
    summary = {}
    for c in share["campaigns"]:
        campaigns.add(station, c["name"], c["profile"], YEAR)
        summary[c["name"]] = ingest.run(station, [c["path"]], c["name"]).as_dict()
    summary["awards"] = awards.import_file(station, Path(share["awards"]))
    for name, path in share["quota_tables"].items():
        table = quotas.import_table(station, Path(path), name, region=COUNTY)
        summary.setdefault("quotas", {})[name] = len(table["entries"])
    summary["checks"] = checks.run(station).findings  # the M, P and T tiers, as after any import
    summary["notes"] = share["notes"]
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description="生成示例县级 FTP 共享目录和示例工作站")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--share", type=Path, metavar="DIR", help="在 DIR 生成示例共享目录")
    target.add_argument("--station", type=Path, metavar="DIR", help="在 DIR 重新建立示例工作站（共享目录在 DIR/share）")
    parser.add_argument(
        "--large",
        action="store_true",
        default=os.environ.get("SAMPLE_LARGE") == "1",
        help="加入一个超过 1 GiB 的视频（31 分钟、8 Mbps；约多占 2 GB 磁盘）",
    )
    args = parser.parse_args(argv)
    try:
        if args.share:
            print(json.dumps(build_share(args.share, args.large, units_cache()), ensure_ascii=False, indent=2))
        else:
            result = build_station(args.station, args.large)
            for note in result.pop("notes"):
                print(f"提示：{note}")
            for name, counts in result.items():
                print(
                    f"{name}：{json.dumps(counts, ensure_ascii=False)}"
                    if name in ("awards", "checks", "quotas")
                    else f"{name}：导入作品 {counts['submissions']} 件，拒收压缩包 {counts['rejected']} 个，问题 {counts['findings']} 条"
                )
    except FileExistsError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
