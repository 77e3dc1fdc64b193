"""Generate a small, realistic county FTP share of course-resource submissions."""

import argparse
import json
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import py7zr
from docx import Document
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

TITLE_SECONDS = 5
TITLE_COLOR = "0x0d2a5c"
WIDE_LABELS = {"课程名称", "作品名称", "资源类别", "项目", "课程节点编号", "单位", "团队成员"}

AS_FORM = "课后服务优秀课程资源申报表"
AS_LABELS = (
    "课程名称",
    "资源类别",
    "申报人姓名",
    "联系电话",
    "单位",
    "学段",
    "学科",
    "年级",
    "是否原创",
    "团队成员",
    "教学指导",
    "技术指导",
)
AFTER_SCHOOL = {
    "实验": (
        "趣味科学小实验",
        "科技活动",
        "刘洋",
        "13837125468",
        "中牟县实验小学",
        "小学",
        "科学",
        "三年级",
        "是",
        "李明、王丽",
        "周建国",
        "韩雪",
    ),
    "城关": (
        "剪纸艺术",
        "艺术素养",
        "陈静",
        "15938764203",
        "中牟县城关镇第一小学",
        "小学",
        "美术",
        "四年级",
        "是",
        "刘芳",
        "高志强",
        "宋涛",
    ),
    "篮球": (
        "篮球基础",
        "体育健康",
        "马超",
        "13598016732",
        "中牟县东风路小学",
        "小学",
        "体育",
        "五年级",
        "是",
        "何磊、郭婷",
        "马红梅",
        "谢文",
    ),
    "诵读": (
        "经典诵读",
        "阅读写作",
        "黄晓燕",
        "18638529074",
        "中牟县东风路小学",
        "小学",
        "语文",
        "四年级",
        "是",
        "罗佳、蔡文静",
        "马红梅",
        "谢文",
    ),
    "新华": (
        "趣味科学小实验",
        "科技活动",
        "孙丽",
        "13783640519",
        "中牟县新华路小学",
        "小学",
        "科学",
        "三年级",
        "是",
        "朱敏、胡杰",
        "田丰",
        "曹阳",
    ),
}

IE_FORM = "教师教育教学信息化交流活动作品登记表"
IE_LABELS = (
    "作品名称",
    "项目",
    "第一作者",
    "联系电话",
    "单位",
    "学段",
    "学科",
    "年级",
    "是否原创",
    "团队成员",
    "教学指导",
    "技术指导",
)
INFO_EXCHANGE = {
    "风筝": (
        "巧手做风筝",
        "精品课后服务资源",
        "张三",
        "13525560318",
        "中牟县实验小学",
        "小学",
        "劳动",
        "三年级",
        "是",
        "白雪、许亮",
        "周建国",
        "韩雪",
    ),
    "函数": (
        "《函数的图像》教学案例",
        "融合创新应用教学案例",
        "李华",
        "13603710862",
        "中牟县第二中学",
        "初中",
        "数学",
        "八年级",
        "是",
        "吕洁、唐亮",
        "邓海燕",
        "冯超",
    ),
    "物理": (
        "物理实验的数字化探究",
        "信息化教学课程案例",
        "王芳",
        "15093357821",
        "中牟县第一高级中学",
        "高中",
        "物理",
        "高一",
        "是",
        "蒋伟、袁晓东",
        "彭立新",
        "苏杭",
    ),
}

JP_FORM = "精品课登记表"
JP_LABELS = (
    "课程名称",
    "课程节点编号",
    "授课教师",
    "联系电话",
    "单位",
    "学段",
    "学科",
    "年级",
    "是否原创",
    "团队成员",
    "教学指导",
    "技术指导",
)
QUALITY_LESSONS = {
    "分数": (
        "分数的初步认识",
        "RJ-SX-3A-08",
        "杨帆",
        "13938247615",
        "中牟县实验小学",
        "小学",
        "数学",
        "三年级",
        "是",
        "李明、王丽",
        "王秀英",
        "张磊",
    ),
    "光合": (
        "光合作用",
        "RJ-SW-7A-15",
        "徐静",
        "18237160954",
        "中牟县第三初级中学",
        "初中",
        "生物",
        "七年级",
        "否",
        "梁红、董斌",
        "潘志刚",
        "杜鹏",
    ),
    "春晓": (
        "春晓",
        "TB-YW-1B-03",
        "赵敏",
        "13673390826",
        "中牟县实验小学",
        "小学",
        "语文",
        "一年级",
        "是",
        "钱芳",
        "林慧",
        "郑浩",
    ),
}

QUOTAS = [("金水区", 8, 5), ("二七区", 5, 3), ("中原区", 5, 3), ("管城回族区", 4, 2), ("中牟县", 6, 4)]
AWARDS = [
    ("春晓", "赵敏", "实验小学", 2023, "省级一等奖"),
    ("趣味数学游戏", "陈静", "城关镇第一小学", 2023, "市级二等奖"),
    ("校园足球入门", "孙强", "东风路小学", 2022, "省级三等奖"),
    ("《背影》朗读指导", "周婷", "第二中学", 2022, "市级一等奖"),
    ("化学实验安全", "吴刚", "第一高级中学", 2023, "市级三等奖"),
]

DOC_TEXT = {
    "教学设计": [
        "一、教学目标",
        "理解“{0}”的基本内容，能用自己的话说一说。",
        "二、教学重难点",
        "重点：掌握“{0}”的核心概念。难点：联系生活实际灵活运用。",
        "三、教学过程",
        "（一）情境导入（二）新知探究（三）巩固练习（四）课堂小结",
    ],
    "学习任务单": [
        "课前：观看微课“{0}”，完成预习问题。",
        "课中：小组合作完成探究任务。",
        "课后：整理学习收获，写一写还有哪些疑问。",
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


def make_video(
    path,
    *,
    width=1920,
    height=1080,
    fps=25,
    seconds=8,
    vbitrate="8M",
    abitrate="128k",
    arate=48000,
    title_card=True,
    interlaced=False,
    tone=440,
):
    """Encode a short H.264 High + AAC MP4; `tone` (Hz) makes otherwise equal videos differ."""
    size = f"s={width}x{height}:r={fps}"
    sources = [f"color=c={TITLE_COLOR}:{size}:d={TITLE_SECONDS}"] if title_card else []
    sources.append(f"testsrc2={size}:d={seconds - TITLE_SECONDS * title_card}")
    sources.append(f"sine=frequency={tone}:sample_rate={arate}:d={seconds}")
    n = len(sources) - 1
    graph = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0,format=yuv420p[v]"
    x264 = "8x8dct=1:nal-hrd=cbr" + (":tff=1" if interlaced else "")
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            *[arg for src in sources for arg in ("-f", "lavfi", "-i", src)],
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            f"{n}:a",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-profile:v",
            "high",
            "-x264-params",
            x264,
            "-threads",
            "1",
            *(["-flags", "+ildct+ilme"] if interlaced else []),
            "-b:v",
            vbitrate,
            "-maxrate",
            vbitrate,
            "-bufsize",
            str(_bits(vbitrate) // 2),
            "-c:a",
            "aac",
            "-b:a",
            abitrate,
            "-ac",
            "2",
            "-movflags",
            "+faststart",
            str(path),
        ],
        check=True,
    )


def _bits(rate):
    return int(float(rate[:-1]) * {"k": 1e3, "M": 1e6}[rate[-1]])


def _video_cache():
    made = {}

    def video(path, **params):
        key = tuple(sorted(params.items()))
        if key in made:
            shutil.copyfile(made[key], path)
        else:
            make_video(path, **params)
            made[key] = path

    return video


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


def zip_folder(folder, path, info_class=zipfile.ZipInfo):
    with zipfile.ZipFile(path, "w") as zf:
        for item in [folder, *sorted(folder.rglob("*"))]:
            info = info_class.from_file(item, item.relative_to(folder.parent).as_posix())
            data = item.read_bytes() if item.is_file() else b""
            method = zipfile.ZIP_DEFLATED if item.is_file() else zipfile.ZIP_STORED
            zf.writestr(info, data, compress_type=method)


def _form_rows(fields):
    rows, pair = [], []
    for label, value in fields.items():
        if label in WIDE_LABELS:
            rows.append([(label, value)])
        else:
            pair.append((label, value))
            if len(pair) == 2:
                rows.append(pair)
                pair = []
    return rows + [pair] * bool(pair)


def form_xlsx(path, title, fields):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws.merge_cells("A1:D1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    for pairs in _form_rows(fields):
        ws.append([cell for pair in pairs for cell in pair])
        if len(pairs) == 1:
            ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=4)
    for column, width in zip("ABCD", (14, 26, 14, 26)):
        ws.column_dimensions[column].width = width
    wb.save(path)


def form_docx(path, title, fields):
    doc = Document()
    doc.add_heading(title, level=1)
    rows = _form_rows(fields)
    table = doc.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    for row, pairs in zip(table.rows, rows):
        if len(pairs) == 1:
            row.cells[1].merge(row.cells[3])
        for i, (label, value) in enumerate(pairs):
            row.cells[2 * i].text = label
            row.cells[2 * i + 1].text = value
    doc.save(path)


def _after_school_course(folder, key, video, form_name=AS_FORM + ".xlsx", **video_params):
    fields = dict(zip(AS_LABELS, AFTER_SCHOOL[key]))
    title, teacher = fields["课程名称"], fields["申报人姓名"]
    folder.mkdir(parents=True, exist_ok=True)
    video(folder / f"{title}.mp4", **video_params)
    make_pptx(folder / f"{title}课件.pptx", title, teacher)
    (form_docx if form_name.endswith(".docx") else form_xlsx)(folder / form_name, AS_FORM, fields)


def _after_school(root, stage, video, photo):
    _after_school_course(root / "实验小学课后服务课程资源", "实验", video, tone=440)

    package = stage / "城关镇第一小学课后服务课程资源"
    _after_school_course(
        package,
        "城关",
        video,
        "申报表.docx",
        width=1280,
        height=720,
        fps=30,
        vbitrate="2M",
        abitrate="96k",
        title_card=False,
    )
    zip_folder(package, root / f"{package.name}.zip", GbkZipInfo)

    package = root / "东风路小学课后服务课程资源"
    _after_school_course(package / "篮球基础", "篮球", video, tone=494)
    _after_school_course(package / "经典诵读", "诵读", video, tone=523)
    _after_school_course(root / "新华路小学课后服务课程资源", "新华", video, tone=440)

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
    (stray / "照片.jpg").write_bytes(photo)


def _info_exchange_work(base, key, folder_name):
    fields = dict(zip(IE_LABELS, INFO_EXCHANGE[key]))
    school = fields["单位"].removeprefix("中牟县")
    work = base / f"{fields['学段']}+{school}+{fields['第一作者']}" / fields["项目"] / folder_name
    work.mkdir(parents=True)
    return work, fields


def _info_exchange(root, stage, video, photo):
    work, fields = _info_exchange_work(root, "风筝", "巧手做风筝")
    video(work / "作品演示视频.mp4", tone=587)
    make_pdf(work / "作品登记表.pdf", [IE_FORM] + [f"{k}：{v}" for k, v in fields.items()])
    make_docx(work / "说明文档.docx", "巧手做风筝", DOC_TEXT["说明文档"], "张三")
    make_zip(work / "相关材料.zip", {"活动照片.jpg": photo, "参考资料.txt": "风筝的历史与制作要点。\n"})

    title = "《函数的图像》教学案例"
    work, fields = _info_exchange_work(stage, "函数", title)
    video(work / "教学活动录像.mp4", tone=659)
    make_docx(work / "案例介绍.docx", title, DOC_TEXT["案例介绍"], "李华")
    form_xlsx(work / "作品登记表.xlsx", IE_FORM, fields)
    make_zip(work / "相关材料.zip", {"学生作品.jpg": photo, "教学反思.txt": "本课借助几何画板动态演示函数图像。\n"})
    author_folder = work.parent.parent
    with py7zr.SevenZipFile(root / f"{author_folder.name}.7z", "w") as archive:
        archive.writeall(author_folder, arcname=author_folder.name)

    work, fields = _info_exchange_work(root, "物理", "物理实验数字化探究")
    video(work / "教学活动录像.mp4", interlaced=True, tone=698)
    form_xlsx(work / "作品登记表.xlsx", IE_FORM, fields)
    make_docx(work / "案例介绍.docx", "物理实验的数字化探究", DOC_TEXT["案例介绍"], "王芳")


def _quality_lesson(root, key, video, docs=("教学设计", "学习任务单", "作业练习"), **video_params):
    fields = dict(zip(JP_LABELS, QUALITY_LESSONS[key]))
    title, teacher = fields["课程名称"], fields["授课教师"]
    work = root / title
    work.mkdir()
    video(work / "微课视频.mp4", **video_params)
    for doc in docs:
        make_docx(work / f"{doc}.docx", title, DOC_TEXT[doc], teacher)
    make_pptx(work / "课件.pptx", title, teacher)
    form_xlsx(work / "登记表.xlsx", JP_FORM, fields)


def _quality_lessons(root, _stage, video, _photo):
    _quality_lesson(root, "分数", video, tone=784)
    _quality_lesson(root, "光合", video, ("教学设计", "学习任务单"), fps="30000/1001", abitrate="96k", tone=880)
    _quality_lesson(root, "春晓", video, tone=988)


def _quota_table(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "名额分配"
    ws.append(["2024年课后服务优秀课程资源推荐名额分配表"])
    ws.append(["注：各县区推荐作品不得超过分配名额，小学、初中名额不可互相调剂。"])
    ws.append(["县区", "推荐名额"])
    ws.append([None, "小学", "初中", "合计"])
    for county, primary, junior in QUOTAS:
        ws.append([county, primary, junior, primary + junior])
    primary, junior = (sum(row[i] for row in QUOTAS) for i in (1, 2))
    ws.append(["合计", primary, junior, primary + junior])
    for cells in ("A1:D1", "A2:D2", "A3:A4", "B3:D3"):
        ws.merge_cells(cells)
    ws["A1"].font = Font(bold=True, size=16)
    for cell in ("A1", "A3", "B3"):
        ws[cell].alignment = Alignment(horizontal="center", vertical="center")
    ws.column_dimensions["A"].width = 16
    wb.save(path)


def _awards(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "获奖作品"
    ws.append(["作品名称", "第一作者", "单位", "年度", "获奖等级"])
    for row in AWARDS:
        ws.append(row)
    wb.save(path)


def build_share(dest: Path) -> dict:
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"目标目录非空：{dest}")
    campaigns = [
        ("课后服务2024", "课后服务 2024", _after_school, "after-school-2024"),
        ("信息化交流", "教师教育教学信息化交流活动", _info_exchange, "infotech-exchange"),
        ("精品课", "精品课 学科课程", _quality_lessons, "jpk-subject"),
    ]
    video, photo = _video_cache(), _jpeg()
    with tempfile.TemporaryDirectory() as tmp:
        for folder, _, build, _ in campaigns:
            (dest / folder).mkdir(parents=True)
            stage = Path(tmp, folder)
            stage.mkdir()
            build(dest / folder, stage, video, photo)
    _quota_table(dest / "推荐名额分配表.xlsx")
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
            for folder, programme, _, profile in campaigns
        ],
        "quota_table": str(dest / "推荐名额分配表.xlsx"),
        "awards": str(dest / "往年获奖作品.xlsx"),
        "duplicate_videos": [
            str(dest / "课后服务2024" / f"{school}课后服务课程资源/趣味科学小实验.mp4")
            for school in ("实验小学", "新华路小学")
        ],
        "unsafe_archives": [str(dest / "课后服务2024/城南小学课后服务课程资源.zip")],
        "gbk_archives": [str(dest / "课后服务2024/城关镇第一小学课后服务课程资源.zip")],
    }


def build_station(station_dir: Path) -> dict:
    """A fresh sample station in STATION_DIR: the share generated into STATION_DIR/share, then imported."""
    from workflows import campaigns
    from workflows.checks import run as checks
    from workflows.ingest import awards
    from workflows.ingest import importer as ingest
    from workflows.station import Station

    station_dir = Path(station_dir)
    if station_dir.exists():
        shutil.rmtree(station_dir)
    share = build_share(station_dir / "share")
    station = Station.open(station_dir / "station.db")
    summary = {}
    for c in share["campaigns"]:
        campaigns.add(station, c["name"], c["profile"], 2024)
        summary[c["name"]] = ingest.run(station, [c["path"]], c["name"]).as_dict()
    summary["awards"] = awards.import_file(station, Path(share["awards"]))
    summary["checks"] = checks.run(station).findings  # the M, P and T tiers, as after any import
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description="生成示例县级 FTP 共享目录和示例工作站")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--share", type=Path, metavar="DIR", help="在 DIR 生成示例共享目录")
    target.add_argument("--station", type=Path, metavar="DIR", help="在 DIR 重新建立示例工作站（共享目录在 DIR/share）")
    args = parser.parse_args(argv)
    try:
        if args.share:
            print(json.dumps(build_share(args.share), ensure_ascii=False, indent=2))
        else:
            result = build_station(args.station)
            for name, counts in result.items():
                print(
                    f"{name}：{json.dumps(counts, ensure_ascii=False)}"
                    if name in ("awards", "checks")
                    else f"{name}：导入作品 {counts['submissions']} 件，拒收压缩包 {counts['rejected']} 个，问题 {counts['findings']} 条"
                )
    except FileExistsError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
