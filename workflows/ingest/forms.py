"""Reading the 申报表/登记表 a teacher filled in (.xlsx and .docx).

Forms are label/value grids: a label cell, then its value in the next
non-empty cell of the same row. Checkbox answers (☑小学 □初中) give the
checked option.
"""

from __future__ import annotations

import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
import openpyxl

from workflows.ingest import archives

LABELS: dict[str, list[str]] = {
    "title": ["作品名称", "课程名称", "资源名称", "案例名称", "课题名称"],
    "first_author": ["申报人姓名", "申报人", "授课教师", "主讲教师", "第一作者", "作者姓名"],
    "school": ["单位", "所在单位", "工作单位", "学校", "学校名称"],
    "project": ["项目", "参赛项目", "资源类别", "作品类别", "类别"],
    "stage": ["学段"],
    "subject": ["学科"],
    "grade": ["年级", "适用年级"],
    "contact": ["联系电话", "手机", "联系方式"],
    "original": ["是否原创"],
    "node_code": ["课程节点编号", "节点编号"],
    "team": ["团队成员", "其他作者", "作者"],
    "教学指导": ["教学指导"],
    "技术指导": ["技术指导"],
}
_BY_LABEL = {label: key for key, labels in LABELS.items() for label in labels}
CHECKED = "☑■√✓✔▣"
UNCHECKED = "☐□"
NAME_SPLIT = re.compile(r"[、，,;；/\s]+")


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    authors: list[tuple[str, str]] = field(default_factory=list)  # (name, role), first author first


class FormError(Exception):
    pass


def _label(text: str) -> str | None:
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"[（(].*?[)）]", "", t)
    t = re.sub(r"[\s:：*＊]", "", t)
    return _BY_LABEL.get(t)


def checked(value: str) -> str:
    """'☑小学 □初中' -> '小学'; plain text is returned as it is."""
    if not any(c in value for c in CHECKED + UNCHECKED):
        return value.strip()
    picks = re.findall(rf"[{CHECKED}]\s*([^{CHECKED}{UNCHECKED}\s]+)", value)
    return "、".join(picks)


def _from_rows(rows) -> Form:
    form = Form()
    for row in rows:
        cells = [unicodedata.normalize("NFC", str(c)).strip() if c is not None else "" for c in row]
        for i, cell in enumerate(cells):
            key = _label(cell) if cell else None
            if key is None or key in form.fields:
                continue
            value = next((c for c in cells[i + 1 :] if c and c != cell), "")
            if _label(value):
                continue
            value = checked(value)
            if value:
                form.fields[key] = value
    first = form.fields.get("first_author")
    if first:
        form.authors.append((first, "第一作者"))
    for name in NAME_SPLIT.split(form.fields.get("team", "")):
        if name and name not in {a for a, _ in form.authors}:
            form.authors.append((name, "团队成员"))
    for role in ("教学指导", "技术指导"):
        if form.fields.get(role):
            form.authors.append((form.fields[role], role))
    return form


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


def _limited(rows, what: str):
    """At most FORM_MAX_ROWS rows of at most FORM_MAX_COLS cells, within FORM_SECONDS; parser errors
    (truncated or malformed XML) become FormError."""
    deadline = time.monotonic() + FORM_SECONDS
    try:
        for n, row in enumerate(rows):
            if n >= FORM_MAX_ROWS:
                return
            if time.monotonic() > deadline:
                raise FormError(f"读取{what}超时（超过 {FORM_SECONDS:g} 秒）")
            yield row[:FORM_MAX_COLS]
    except FormError:
        raise
    except Exception as e:  # ParseError, XMLSyntaxError, DefusedXmlException, KeyError, ...
        raise FormError(f"{what}内容已损坏：{type(e).__name__} {e}") from e


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


def read(path: Path, kind: str) -> Form:
    """Read a form stored at PATH (a content-store object) of detected KIND."""
    try:
        if kind == "xlsx":
            return _from_rows(_xlsx_rows(path))
        if kind == "docx":
            return _from_rows(_docx_rows(path))
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
