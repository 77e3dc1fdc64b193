"""Rules on the whole work: components, formats, naming, metadata sheet, title, authors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

from workflows.rules.base import Result, rule

WORK = dict(scope="work", needs=())


@rule("package.components", **WORK)
def components(w, p):
    required = w.required_components()
    present = {f.role for f in w.files}
    missing = [r for r in required if r not in present]
    if not required:
        return None
    if missing:
        return Result(
            "fail",
            f"缺少：{'、'.join(missing)}",
            "、".join(required),
            f"缺少{'、'.join(missing)}，要求提交{'、'.join(required)}",
        )
    return Result("pass", "齐全", "、".join(required), f"材料齐全：{'、'.join(required)}")


@rule("package.formats", params={"formats": dict}, **WORK)
def formats(w, p):
    wanted = p.get("formats", {})
    results = []
    for f in w.files:
        allowed = wanted.get(f.role)
        if not allowed:
            continue
        suffix = PurePosixPath(f.path).suffix.lower().lstrip(".")
        ok = suffix in allowed and (
            f.kind == suffix
            or f.kind not in ("pdf", "jpg", "png", "docx", "pptx", "xlsx", "doc", "ppt", "xls")
            or {f.kind, suffix} <= {"jpg", "jpeg"}
        )
        shown = suffix + ("" if f.kind in (suffix, "other") else f"（内容为 {f.kind}）")
        results.append(
            Result(
                "pass" if ok else "fail",
                f"{f.path}：{shown}",
                f"{f.role}：{'/'.join(allowed)}",
                f"{f.role}“{f.path}”的格式为 {shown}，要求 {'或'.join(allowed)}",
                file_id=f.id,
            )
        )
    return results


@rule("package.naming", **WORK)
def naming(w, p):
    if w.submission["layout"]:
        return Result("pass", w.submission["layout"], "符合命名规则", f"文件夹命名符合“{w.submission['layout']}”")
    names = "、".join(f"“{layout.name}”" for layout in w.profile.layouts)
    return Result("fail", "未匹配任何命名规则", names, f"文件夹命名不符合要求，应为{names}之一")


@rule("title.brackets", **WORK)
def brackets(w, p):
    title = w.submission["title"] or ""
    found = [c for c in "《》" if c in title]
    if found:
        return Result(
            "fail", title, "不含书名号", f"作品名称“{title}”使用了书名号{''.join(found)}，要求不使用书名号《》"
        )
    return Result("pass", title, "不含书名号", "作品名称未使用书名号")


@rule("authors.limit", params={"max": int, "by_project": dict}, **WORK)
def authors_limit(w, p):
    limit = p.get("by_project", {}).get(w.submission["project"] or "", p.get("max"))
    if limit is None:
        return None
    n = len(w.authors)
    names = "、".join(a["name"] for a in w.authors) or "无"
    return Result(
        "pass" if n <= limit else "fail",
        f"{n} 人（{names}）",
        f"≤ {limit} 人",
        f"作者 {n} 人（{names}），要求不超过 {limit} 人",
    )


# --- the metadata sheet (继续教育 元数据标准) -------------------------------------------------


def _check_format(kind: str, value: str, field: dict, w) -> str | None:
    """None when VALUE has format KIND, else what is wrong."""
    if kind == "hhmmss":
        m = re.fullmatch(r"(\d{2}):([0-5]\d):([0-5]\d)", value)
        if not m:
            return "应为 hh:mm:ss，如 02:45:32"
        declared = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
        measured = w.total_duration()
        if field.get("matches_duration") and measured and abs(declared - measured) > 1:
            return f"填写 {value}，实测时长 {_hms(measured)}，相差超过 1 秒"
        return None
    if kind == "date":
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                dt.date.fromisoformat(value)
                return None
        except ValueError:
            pass
        return "应为真实日期 yyyy-mm-dd，如 2022-03-23"
    if kind == "list":
        if re.search(r"[；，、,]", value):
            return "多项之间应使用英文分号“;”分隔"
        return None
    if kind == "category":
        if not re.fullmatch(r"[^-\s]+(-[^-\s]+)+", value):
            return "应为“大类-中类-小类”，如 科学文化-航空知识-航空发动机"
        return None
    if kind == "code":
        if value not in field.get("codes", []):
            return f"应为 {'、'.join(field.get('codes', []))} 之一"
        return None
    return None


def _hms(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@rule("meta.required", **WORK)
def meta_required(w, p):
    fields = w.profile.data.get("metadata", {}).get("fields", [])
    if not fields:
        return None
    sheet = w.metadata_sheet()
    if sheet is None:
        return Result("fail", "未找到元数据表", "元数据表", "未找到元数据表（文件名含“元数据”的 Excel 或 Word 文件）")
    missing = [f["label"] for f in fields if f.get("required") and not sheet.get(f["label"])]
    if missing:
        return Result("fail", f"未填写：{'、'.join(missing)}", "必填项齐全", f"元数据缺少必填项：{'、'.join(missing)}")
    return Result("pass", "必填项齐全", "必填项齐全", "元数据必填项齐全")


@rule("meta.format", **WORK)
def meta_format(w, p):
    fields = [f for f in w.profile.data.get("metadata", {}).get("fields", []) if f.get("format")]
    sheet = w.metadata_sheet()
    if not fields or sheet is None:
        return None
    results = []
    for field in fields:
        value = sheet.get(field["label"], "")
        if not value:
            continue
        problem = _check_format(field["format"], value, field, w)
        results.append(
            Result(
                "fail" if problem else "pass",
                f"{field['label']}：{value}",
                field["format"],
                f"元数据“{field['label']}”{problem}" if problem else f"元数据“{field['label']}”格式正确",
            )
        )
    return results
