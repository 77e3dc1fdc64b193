"""Reading the 申报表/登记表 a teacher filled in (.xlsx and .docx).

Forms are label/value grids: a label cell, then its value in the next
non-empty cell of the same row. Checkbox answers (☑小学 □初中) give the
checked option.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
import openpyxl

from workflows.ingest import archives
from workflows.rules import stages

LABELS: dict[str, list[str]] = {
    "title": ["作品名称", "课程名称", "资源名称", "案例名称", "课题名称"],
    "first_author": ["申报人姓名", "申报人", "授课教师", "主讲教师", "第一作者", "作者姓名"],
    "school": ["单位", "所在单位", "工作单位", "学校", "学校名称"],
    "county": ["县区", "所属县区", "所在县区", "县（区）", "县(区)", "县（市、区）", "县(市、区)", "区县"],
    "project": ["项目", "参赛项目", "资源类别", "作品类别", "类别"],
    # 004 附件4's 案例类型 (区域/校本教师研修应用案例, 线上名师名校长工作室…) is a sub-type within the 项目
    # 国家中小学智慧教育平台教师研修应用案例, never the 项目 itself (the 项目 is the folder under 学段+学校+教师姓名).
    "case_type": ["案例类型"],
    "group": ["组别"],
    "form_type": ["作品形态"],
    "stage": ["学段"],
    "subject": ["学科"],
    "grade": ["年级", "适用年级"],
    "contact": ["联系电话", "手机", "手机号", "联系方式"],
    "rank": ["职称/职务", "职称", "职务"],
    "original": ["是否原创"],
    "original_unit": ["原创单位", "原创机构", "原创机构或单位"],
    "video_count": ["视频数量"],
    "declared_size": ["作品大小"],
    "intro": ["课程简介"],
    "design": ["教学设计"],
    "node_code": ["课程节点编号", "节点编号"],
    "team": ["团队成员", "其他作者", "作者"],
    "author_table": ["作者信息", "作者情况", "主要作者"],
    "教学指导": ["教学指导"],
    "技术指导": ["技术指导"],
}
# Free-text boxes of the Hebei forms (附件1/2/4/5), each “300字以内”: kept whole in Form.boxes.
BOXES = [
    "作品特点",
    "作品安装运行说明",
    "教学环境设施建设情况",
    "课程建设情况",
    "教学实施情况及教学效果",
    "教学成果推广情况",
    "教学成果、获奖情况、推广情况",
    "其他说明",
    "案例概述",
]
_BY_LABEL = {label: key for key, labels in LABELS.items() for label in labels} | {b: "box:" + b for b in BOXES}
CHECKED = "☑■√✓✔▣☒"
UNCHECKED = "☐□"
_BOX = CHECKED + UNCHECKED
NAME_SPLIT = re.compile(r"[、，,;；/\s]+")
# Column headers of an author table; a header cell is never a value.
HEADERS = {
    "姓名": "name",
    "作者姓名": "name",
    "所在单位": "unit",
    "工作单位": "unit",
    "单位": "unit",
    "职称/职务": "rank",
    "职称": "rank",
    "职务": "rank",
    "手机": "phone",
    "手机号": "phone",
    "联系电话": "phone",
    "角色": "role",
    "分工": "role",
}
# 学段 words a ticked box may carry outside a 学段 row (附件2 puts them in the 项目 block).
STAGE_WORDS = stages.WORDS


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    authors: list[tuple[str, str]] = field(default_factory=list)  # (name, role), first author first
    units: dict[str, str] = field(default_factory=dict)  # author name -> unit, from an author table
    boxes: dict[str, str] = field(default_factory=dict)  # free-text box label -> text (hint removed)


class FormError(Exception):
    pass


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"[（(][^)）]*[)）]", "", t)
    return re.sub(r"[\s:：*＊]", "", t)


def _label(text: str) -> str | None:
    return _BY_LABEL.get(_norm(text))


def _header(text: str) -> str | None:
    return HEADERS.get(_norm(text))


def _has_box(text: str) -> bool:
    return any(c in text for c in _BOX)


def ticks(value: str) -> list[str]:
    """The ticked options of a checkbox answer, in order.

    Two styles occur: the box before its label (“☑小学 □初中”, the 课后服务 申报表) and the box after
    it (“小学☑初中□高中□”, the Hebei 登记表). The style is the one the text starts with.
    """
    s = unicodedata.normalize("NFC", value).strip()
    if not _has_box(s):
        return []
    if s[0] in _BOX:
        found = re.findall(rf"[{CHECKED}]\s*([^{_BOX}\s]+)", s)
    else:
        found = re.findall(rf"([^{_BOX}\s]+)\s*[{CHECKED}]", s)
    return [re.sub(r"^[（(](.*)[)）]$", r"\1", f).strip() for f in found if f.strip()]


def checked(value: str) -> str:
    """'☑小学 □初中' or '小学☑初中□' -> '小学'; plain text is returned as it is."""
    if not _has_box(value):
        return value.strip()
    return "、".join(ticks(value))


def _plain_texts(cells: list[str]) -> list[str]:
    return [c for c in cells if c and not _has_box(c) and not _label(c) and not _header(c)]


def _strip_hint(text: str) -> str:
    """A box's printed hint “（包括作品简介、特色亮点等，300字以内）” is not the teacher's text."""
    t = text.strip()
    t = re.sub(r"^[（(][^)）]*(字以内|字|可附页|等)[^)）]*[)）]", "", t).strip()
    return t


def _from_rows(rows) -> Form:
    form = Form()
    table: dict[int, str | None] | None = None  # column index -> header key, while inside an author table
    block: str | None = None  # the label of the block continuation rows belong to
    block_text = ""
    group = ""
    picks: dict[str, list[tuple[str, str]]] = {}  # key -> [(ticked option, its group)]
    table_authors: list[dict] = []
    for row in rows:
        cells = [unicodedata.normalize("NFC", str(c)).strip() if c is not None else "" for c in row]
        if not any(cells):
            continue
        first = cells[0]
        labelled = any(c and c != block_text and _label(c) for c in cells)
        continuation = block is not None and not labelled and (not first or first == block_text)
        if not continuation:
            block, block_text, table, group = None, "", None, ""
        # An author table: a header row (姓名 | 工作单位 | …) after a label such as 作者信息（最多3人）.
        heads = {i: _header(c) for i, c in enumerate(cells) if c and _header(c)}
        if (
            "name" in heads.values()
            and len(heads) >= 2
            and (
                _label(first) in ("author_table", "team", "first_author") or (continuation and block == "author_table")
            )
        ):
            table, block, block_text = heads, "author_table", first
            continue
        if continuation and block == "author_table" and table:
            rec = {table[i]: cells[i] for i in table if i < len(cells) and cells[i] and not _header(cells[i])}
            if rec.get("name") and not _label(rec["name"]):
                table_authors.append(rec)
            continue
        if continuation:
            _collect(form, block, cells[1:], picks, group)
            for c in _plain_texts(cells[1:]):
                if c.endswith("组"):
                    group = c
            continue
        i = 0
        while i < len(cells):
            cell = cells[i]
            key = _label(cell) if cell else None
            if key is None:
                i += 1
                continue
            j = i + 1
            while j < len(cells) and not (cells[j] and _label(cells[j]) and cells[j] != cell):
                j += 1
            rest = [c for c in cells[i + 1 : j] if c and c != cell]
            if block is None:
                block, block_text = key, cell
            for c in _plain_texts(rest):
                if c.endswith("组"):
                    group = c
            if key.startswith("box:"):
                text = _strip_hint("\n".join(rest))
                form.boxes.setdefault(key[4:], text)
            elif any(_has_box(c) for c in rest):
                _collect(form, key, rest, picks, group)
            elif key not in form.fields and key != "author_table":
                value = next((c for c in rest if not _header(c)), "")
                if key in ("intro", "design"):
                    value = _strip_hint(value)
                if value:
                    form.fields[key] = value
            i = j
    _settle(form, picks, table_authors)
    return form


def _collect(form, key, cells, picks, default_group: str) -> None:
    """Ticked options of CELLS, filed under KEY (a 学段 word is always a 学段)."""
    text_group = ""
    if any(c.strip() and not c.strip().strip(_BOX) for c in cells):  # boxes in cells of their own
        cells = [" ".join(c for c in cells if c)]
    for c in cells:
        if not _has_box(c):
            if c.endswith("组"):
                text_group = c
            continue
        for option in ticks(c):
            target = "stage" if any(option == w or option.endswith(w) for w in STAGE_WORDS) else key
            own = re.fullmatch(r"(.{2,8}?组)(.+)", option) if target == "project" else None
            if own:  # “基础教育组精品课后服务资源☑”: the group and the option in one word
                picks.setdefault(target, []).append((own[2], own[1]))
                continue
            picks.setdefault(target, []).append((option, text_group or default_group))


def _settle(form, picks, table_authors) -> None:
    for key, found in picks.items():
        if not key or key.startswith("box:") or key == "author_table":
            continue
        options = list(dict.fromkeys(o for o, _ in found))
        if options and key not in form.fields:
            form.fields[key] = "、".join(options)
        if key == "project" and found and found[0][1] and "group" not in form.fields:
            form.fields["group"] = found[0][1]
    first = form.fields.get("first_author")
    names: set[str] = set()
    if first:
        form.authors.append((first, "第一作者"))
        names.add(first)
    for rec in table_authors:
        name = rec["name"]
        if name in names:
            continue
        names.add(name)
        form.authors.append((name, rec.get("role") or ("第一作者" if not form.authors else "作者")))
        if rec.get("unit"):
            form.units[name] = rec["unit"]
    if table_authors and "school" not in form.fields and table_authors[0].get("unit"):
        form.fields["school"] = table_authors[0]["unit"]
    for name in NAME_SPLIT.split(form.fields.get("team", "")):
        if name and name not in names:
            names.add(name)
            form.authors.append((name, "团队成员"))
    for role in ("教学指导", "技术指导"):
        if form.fields.get(role):
            form.authors.append((form.fields[role], role))


# Limits on a form, which is untrusted input (a zip of XML parts): a real 申报表 is a few hundred KB.
FORM_MAX_ENTRIES = 1_000
FORM_MAX_PART = 20 * 2**20  # one XML part, expanded
FORM_MAX_TOTAL = 64 * 2**20  # all parts, expanded
FORM_MAX_RATIO = 200  # expanded / compressed, per part over 1 MiB
FORM_MAX_ROWS = 5_000  # rows read per sheet, whatever its <dimension> claims
FORM_MAX_COLS = 200
FORM_SECONDS = 20.0
_DTD = [m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY", "<!doctype", "<!entity") for enc in ("utf-8", "utf-16-le")]


def check_package(path: Path) -> None:
    """Refuse an OOXML package before any XML parser sees it: too many or too large parts, overlapping
    entries, or any DTD (OOXML never has one; entity bombs and external entities need one)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > FORM_MAX_ENTRIES:
                raise FormError(f"表格文件包含 {len(infos)} 个部件，超过上限 {FORM_MAX_ENTRIES}")
            if sum(i.file_size for i in infos) > FORM_MAX_TOTAL:
                raise FormError("表格文件解压后过大，疑似压缩炸弹")
            if archives.zip_overlap(z, path):
                raise FormError("表格文件的部件互相重叠，疑似压缩炸弹")
            for info in infos:
                if info.file_size > FORM_MAX_PART or (
                    info.file_size > 2**20 and info.file_size > FORM_MAX_RATIO * max(info.compress_size, 1)
                ):
                    raise FormError(f"表格部件 {info.filename} 解压后过大，疑似压缩炸弹")
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with z.open(info) as f:
                    data = f.read(FORM_MAX_PART + 1)
                if len(data) > FORM_MAX_PART:
                    raise FormError(f"表格部件 {info.filename} 解压后过大，疑似压缩炸弹")
                if any(m in data for m in _DTD):
                    raise FormError(
                        f"表格部件 {info.filename} 含有 DTD/实体声明（可能是实体炸弹或外部实体），为安全起见不予读取"
                    )
    except FormError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError) as e:
        raise FormError(f"表格文件已损坏：{e}") from e
    except Exception as e:  # zlib.error, struct.error, ...: a damaged package, never a traceback
        raise FormError(f"表格文件已损坏：{type(e).__name__} {e}") from e


def _limited(rows, what: str, max_rows: int = FORM_MAX_ROWS, seconds: float = FORM_SECONDS):
    """At most MAX_ROWS rows of at most FORM_MAX_COLS cells, within SECONDS; parser errors
    (truncated or malformed XML) become FormError."""
    deadline = time.monotonic() + seconds
    try:
        for n, row in enumerate(rows):
            if n >= max_rows:
                return
            if time.monotonic() > deadline:
                raise FormError(f"读取{what}超时（超过 {seconds:g} 秒）")
            yield row[:FORM_MAX_COLS]
    except FormError:
        raise
    except Exception as e:  # ParseError, XMLSyntaxError, DefusedXmlException, KeyError, ...
        raise FormError(f"{what}内容已损坏：{type(e).__name__} {e}") from e


def limited_sheet_rows(ws, what: str, max_rows: int, seconds: float):
    """The rows of an openpyxl read-only sheet with the forms' limits: the cells that exist, not the range its
    <dimension> claims; at most MAX_ROWS rows within SECONDS; parser errors become FormError."""
    ws.reset_dimensions()
    return _limited(ws.iter_rows(values_only=True), what, max_rows, seconds)


def _xlsx_rows(path: Path):
    check_package(path)
    with open(path, "rb") as f:  # objects have no .xlsx suffix, which openpyxl wants from a path
        try:  # openpyxl parses with defusedxml (a dependency): no entity expansion, no external entities
            wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
        except Exception as e:
            raise FormError(f"表格内容已损坏：{type(e).__name__} {e}") from e
        try:
            for ws in wb.worksheets[:20]:
                ws.reset_dimensions()  # read the cells that exist, not the range <dimension> claims
                yield from _limited(ws.iter_rows(values_only=True), "表格")
        finally:
            wb.close()


def _docx_rows(path: Path):
    check_package(path)
    try:  # python-docx parses with lxml, resolve_entities=False; check_package refused any DTD already
        document = docx.Document(str(path))
    except Exception as e:
        raise FormError(f"文档内容已损坏：{type(e).__name__} {e}") from e

    def rows():
        for table in document.tables:
            for row in table.rows:
                cells, last = [], None
                for cell in row.cells:  # merged cells repeat: keep each once
                    if cell._tc is not last:
                        cells.append(cell.text)
                    last = cell._tc
                yield cells
        for paragraph in document.paragraphs:
            if "：" in paragraph.text or ":" in paragraph.text:
                yield re.split(r"[：:]", paragraph.text, maxsplit=1)

    yield from _limited(rows(), "文档")


# Word 97-2003 (.doc) and WPS (.wps) forms: converted by LibreOffice Writer (Debian libreoffice-writer-nogui),
# else read as text by antiword. Both are Debian packages `make setup` installs.
OLE_FORMS = ("doc", "wps")
CONVERT_TIMEOUT = 120


def _doc_rows(path: Path):
    """Rows of a .doc/.wps form: LibreOffice makes a .docx of it, read like any .docx; antiword is the fallback."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    problems = []
    if soffice:
        with tempfile.TemporaryDirectory(prefix="station-doc-") as tmp:
            src = Path(tmp) / "form.doc"
            shutil.copyfile(path, src)
            try:
                subprocess.run(
                    [
                        soffice,
                        f"-env:UserInstallation=file://{tmp}/profile",
                        "--headless",
                        "--norestore",
                        "--convert-to",
                        "docx:MS Word 2007 XML",
                        "--outdir",
                        tmp,
                        str(src),
                    ],
                    capture_output=True,
                    timeout=CONVERT_TIMEOUT,
                    check=False,
                    env={**os.environ, "HOME": tmp},
                )
            except (OSError, subprocess.TimeoutExpired) as e:
                problems.append(f"LibreOffice 转换失败：{e}")
            out = Path(tmp) / "form.docx"
            if out.exists() and out.stat().st_size > 0:
                return list(_docx_rows(out))
            problems.append("LibreOffice 未能转换该文件")
    antiword = shutil.which("antiword")
    if antiword:
        try:
            done = subprocess.run(
                [antiword, "-w", "0", "-m", "UTF-8.txt", str(path)], capture_output=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            problems.append(f"antiword 读取失败：{e}")
        else:
            if done.returncode == 0:
                rows = []
                for line in done.stdout.decode("utf-8", "replace").splitlines():
                    line = line.strip()
                    if line.startswith("|") and line.endswith("|"):
                        rows.append([c.strip() for c in line[1:-1].split("|")])
                    elif "：" in line or ":" in line:
                        rows.append(re.split(r"[：:]", line, maxsplit=1))
                return rows
            problems.append("antiword 无法识别该文件")
    if not problems:
        problems.append("本机未安装 LibreOffice 或 antiword，无法读取 .doc/.wps 表格")
    raise FormError("；".join(problems))


def read(path: Path, kind: str) -> Form:
    """Read a form stored at PATH (a content-store object) of detected KIND."""
    try:
        if kind == "xlsx":
            return _from_rows(_xlsx_rows(path))
        if kind == "docx":
            return _from_rows(_docx_rows(path))
        if kind in OLE_FORMS:
            return _from_rows(_doc_rows(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise FormError(str(e)) from e
    raise FormError(f"不支持读取 {kind} 格式的表格")


def pairs(path: Path, kind: str) -> dict[str, str]:
    """Every label/value pair of a sheet: a row of labels over a row of values, or label then value."""
    try:
        rows = [
            [unicodedata.normalize("NFC", str(c)).strip() if c is not None else "" for c in row]
            for row in (_xlsx_rows(path) if kind == "xlsx" else _docx_rows(path) if kind == "docx" else [])
        ]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise FormError(str(e)) from e
    out: dict[str, str] = {}
    if len(rows) >= 2 and sum(1 for c in rows[0] if c) >= 3:  # a header row over one record
        for label, value in zip(rows[0], rows[1]):
            if label:
                out[_plain(label)] = value
        return out
    for row in rows:
        cells = [c for c in row if c]
        if len(cells) >= 2:
            out.setdefault(_plain(cells[0]), cells[1])
        elif len(cells) == 1:
            out.setdefault(_plain(cells[0]), "")
    return out


def _plain(label: str) -> str:
    return re.sub(r"[\s:：*＊]", "", unicodedata.normalize("NFKC", label))
