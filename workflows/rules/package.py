"""Rules on the whole work: components, formats, naming, metadata sheet, title, authors."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree

from workflows.rules import stages
from workflows.rules.base import Result, rule

WORK: dict[str, Any] = dict(scope="work", needs=())
SILENT = "通知未规定，仅作提示"


def _meta(w) -> dict:
    """What the importer kept of the 申报表 and the folder names (submissions.meta)."""
    try:
        meta = json.loads(w.submission["meta"] or "{}")
    except (KeyError, IndexError, TypeError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _form(w) -> dict:
    return _meta(w).get("form") or {}


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
    """Each file of a role in an allowed format. A role met by one allowed file (the signed PDF) may carry
    further copies in other formats (the Word copy of the same 登记表): those are noted, not failed."""
    wanted = p.get("formats", {})
    judged = []
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
        judged.append((f, allowed, ok, shown))
    met = {f.role for f, _, ok, _ in judged if ok}
    results = []
    for f, allowed, ok, shown in judged:
        if ok:
            status, detail = "pass", f"{f.role}“{f.path}”的格式为 {shown}，符合要求"
        elif f.role in met:
            status = "pass"
            detail = f"{f.role}“{f.path}”为 {shown} 副本，已另有 {'或'.join(allowed)} 格式的{f.role}，副本不影响评审"
        else:
            status, detail = "fail", f"{f.role}“{f.path}”的格式为 {shown}，要求 {'或'.join(allowed)}"
        results.append(Result(status, f"{f.path}：{shown}", f"{f.role}：{'/'.join(allowed)}", detail, file_id=f.id))
    return results


@rule("package.size", params={"max_bytes": int}, **WORK)
def package_size(w, p):
    """The work's files together within MAX_BYTES."""
    limit = p.get("max_bytes")
    if not limit:
        return None
    total = sum(f.size for f in w.files)
    shown = f"{total / 2**20:.1f} MB（{total} 字节）"
    return Result(
        "pass" if total <= limit else "fail",
        shown,
        f"≤ {limit / 2**20:g} MB",
        f"作品文件合计 {shown}，" + ("符合" if total <= limit else "超过") + f" {limit / 2**20:g} MB",
    )


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


@rule("authors.limit", params={"max": int, "by_project": dict, "count_roles": list}, **WORK)
def authors_limit(w, p):
    """At most MAX authors (BY_PROJECT per 项目). With COUNT_ROLES only those roles count: the 课后服务
    申报表 has a 申报人 plus “团队成员（最多5人）”, so the 申报人 is not one of the five."""
    limit = p.get("by_project", {}).get(w.submission["project"] or "", p.get("max"))
    if limit is None:
        return None
    if not w.authors:
        return Result(
            "warn",
            "0 人",
            f"≤ {limit} 人",
            "未能从申报表或文件夹名称读取到任何作者，无法核对作者人数，请人工核对申报表",
        )
    roles = p.get("count_roles")
    counted = [a for a in w.authors if not roles or a["role"] in roles]
    others = [a for a in w.authors if roles and a["role"] not in roles]
    n = len(counted)
    names = "、".join(a["name"] for a in counted) or "无"
    who = "、".join(roles) if roles else "作者"
    lead = (
        f"；另有{'、'.join(sorted({a['role'] for a in others}))} {'、'.join(a['name'] for a in others)}，不计入"
        if others
        else ""
    )
    source = "" if _meta(w).get("form_file") else "（作者取自文件夹名称，申报表未能读取或为扫描件，请人工核对）"
    return Result(
        "pass" if n <= limit else "fail",
        f"{n} 人（{names}）",
        f"≤ {limit} 人",
        f"{who} {n} 人（{names}）{lead}，要求不超过 {limit} 人{source}",
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
    if kind == "order":
        return None if re.fullmatch(r"\d{2,}", value) else "应为两位以上数字，如 01"
    if kind == "integer":
        return None if re.fullmatch(r"\d+", value.replace(",", "")) else "应为整数，如 36500"
    if kind == "xml":
        try:
            ElementTree.fromstring(value)
        except ElementTree.ParseError as e:
            return f"应为 XML 格式字符串（{e}）"
        return None
    if kind == "url":
        return None if re.fullmatch(r"https?://[^\s/]+\.[^\s]+", value) else "应为以 http:// 或 https:// 开头的链接地址"
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


# --- eligibility (资格) ---------------------------------------------------------------------------
# dup.awarded, dup.same_file and eligibility.scope are decided when works are imported (and when an
# awards list is imported): workflows.ingest.awards, .duplicates and .importer read these tables of the
# profile. They are catalogued here so a profile's parameters and clause are validated like any rule's;
# their functions add nothing at check time.


@rule("dup.awarded", params={"levels": list, "years_back": int, "activity": list}, **WORK)
def awarded(w, p):
    return None


@rule("dup.same_file", **WORK)
def same_file(w, p):
    return None


@rule("eligibility.scope", params={"out_of_scope": list}, **WORK)
def out_of_scope(w, p):
    return None


@rule("project.group", params={"groups": dict, "stages": dict}, **WORK)
def project_group(w, p):
    """The 项目 belongs to the 组别 of the first author's 学段 (and of the group ticked on the 登记表)."""
    project = w.submission["project"] or ""
    groups = p.get("groups", {})
    own = [g for g, projects in groups.items() if project in projects]
    if not own:
        return None
    stage = w.submission["stage"] or ""
    found = set(stages.keys(stage))  # 幼儿园, 学前, 学前教育 are one 学段
    stage_groups = [
        g
        for g, words in p.get("stages", {}).items()
        if any(x in stage for x in words) or found & {stages.key(x) for x in words}
    ]
    problems = []
    if stage_groups and not set(stage_groups) & set(own):
        allowed = "、".join(dict.fromkeys(x for g in stage_groups for x in groups.get(g, [])))
        problems.append(f"学段“{stage}”属{'、'.join(stage_groups)}（可报：{allowed}），而“{project}”属{'、'.join(own)}")
    ticked = _form(w).get("group")
    if not stage_groups and not ticked:
        return None  # neither the 学段 nor the ticked 组别 is known: nothing to compare
    if ticked and ticked not in own:
        problems.append(f"登记表勾选的组别为“{ticked}”，而“{project}”属{'、'.join(own)}")
    if problems:
        return Result("fail", f"{stage or '学段未知'}：{project}", f"{'、'.join(own)}的学段", "；".join(problems))
    return Result(
        "pass",
        f"{stage or '学段未知'}：{project}",
        f"{'、'.join(own)}的学段",
        f"“{project}”属{'、'.join(own)}，与学段相符",
    )


# --- what the 申报表 says ---------------------------------------------------------------------------


@rule("form.category", params={"options": list, "other": str}, **WORK)
def form_category(w, p):
    """资源类别 is one of the notice's list; “其他” and free text are for a person to judge."""
    if not _meta(w).get("form_file"):
        return None
    value = _form(w).get("project", "")
    options = p.get("options", [])
    if not value:
        return Result("warn", "未勾选", "、".join(options), "申报表未勾选资源类别，请人工核对")
    picked = [v for v in re.split(r"[、，,]", value) if v]
    other = p.get("other", "其他")
    unknown = [v for v in picked if v not in options]
    if not unknown:
        return Result("pass", value, "、".join(options), f"资源类别“{value}”在通知所列范围内")
    if all(v.startswith(other) for v in unknown):
        return Result(
            "warn",
            value,
            "、".join(options),
            f"资源类别选择“{value}”，不在通知所列类别中，请人工核对是否属非学科类课后服务内容",
        )
    return Result("warn", value, "、".join(options), f"资源类别“{value}”不在通知所列类别中，请人工核对")


@rule("form.original", params={"need_unit": bool}, **WORK)
def form_original(w, p):
    """是否原创 = 否: with NEED_UNIT the 原创单位 must be named; otherwise the declaration itself is flagged."""
    form = _form(w)
    value = form.get("original", "")
    if not value:
        return None
    if "否" not in value:
        return Result("pass", f"是否原创：{value}", "原创", "申报表声明为原创")
    unit = form.get("original_unit", "")
    if p.get("need_unit"):
        if unit:
            return Result("pass", f"非原创，原创单位：{unit}", "注明原创单位", f"非原创资源，已注明原创单位“{unit}”")
        return Result("fail", "非原创，未填原创单位", "注明原创单位", "申报表“是否原创”为否，但未填写原创单位")
    return Result("fail", "是否原创：否", "原创", "申报表“是否原创”填写为否，作品须为本人原创，请人工核实")


@rule("form.filled", params={"fields": dict}, **WORK)
def form_filled(w, p):
    """Fields the notice says are written in the form itself (e.g. 课程简介, 教学设计)."""
    if not _meta(w).get("form_file"):
        return None
    form = _form(w)
    wanted = p.get("fields", {})
    empty = [label for label, key in wanted.items() if not form.get(key)]
    if empty:
        return Result("fail", f"未填写：{'、'.join(empty)}", "、".join(wanted), f"申报表中“{'、'.join(empty)}”未填写")
    return Result("pass", "已填写", "、".join(wanted), f"申报表已填写{'、'.join(wanted)}")


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@rule("form.video_count", **WORK)
def form_video_count(w, p):
    declared = _form(w).get("video_count", "")
    m = re.search(r"\d+", declared) or re.search(f"[{''.join(_CN_DIGITS)}]", declared)
    if not m:
        return None
    n = int(m[0]) if m[0].isdigit() else _CN_DIGITS[m[0]]
    found = len([f for f in w.media if f.media_class == "video"])
    if found < n:
        return Result(
            "fail",
            f"申报 {n} 个，提交 {found} 个",
            f"{n} 个视频",
            f"申报表填写视频数量 {n}，资源包中只有 {found} 个视频",
        )
    if found > n:
        return Result(
            "warn",
            f"申报 {n} 个，提交 {found} 个",
            f"{n} 个视频",
            f"申报表填写视频数量 {n}，资源包中有 {found} 个视频，请核对",
        )
    return Result("pass", f"{found} 个", f"{n} 个视频", f"视频数量 {found} 个，与申报表一致")


def _grades(text: str) -> list[int] | None:
    """School years 1-12 a 适用年级 text names; [] when it names only 学段 words; None when unreadable."""
    t = unicodedata.normalize("NFKC", text)
    out: list[int] = []
    for a, b in re.findall(r"(\d{1,2})\s*[-~至到—]\s*(\d{1,2})\s*年级", t):
        out += list(range(int(a), int(b) + 1))
    t2 = re.sub(r"(\d{1,2})\s*[-~至到—]\s*(\d{1,2})\s*年级", "", t)
    out += [int(x) for x in re.findall(r"(\d{1,2})\s*年级", t2)]
    cn = "".join(_CN_DIGITS)
    for a, b in re.findall(f"([{cn}])\\s*[-~至到—]\\s*([{cn}])\\s*年级", t2):
        out += list(range(_CN_DIGITS[a], _CN_DIGITS[b] + 1))
    t2 = re.sub(f"([{cn}])\\s*[-~至到—]\\s*([{cn}])\\s*年级", "", t2)
    for c in re.findall(f"([{cn}])年级", t2):
        out.append(_CN_DIGITS[c])
    for c in re.findall("初([一二三])", t):
        out.append(6 + _CN_DIGITS[c])
    for c in re.findall("高([一二三])", t):
        out.append(9 + _CN_DIGITS[c])
    if re.search("高中|中职|幼儿|学前|大班|中班|小班", t):
        out.append(0 if re.search("幼儿|学前|班", t) else 10)
    if out:
        return out
    if re.search("小学|初中|义务教育|全学段|各年级|中小学", t):
        return []
    return None


@rule("form.grade", params={"min": int, "max": int}, **WORK)
def form_grade(w, p):
    """适用年级 within the notice's school years (义务教育阶段: 1-9)."""
    if not _meta(w).get("form_file"):
        return None
    lo, hi = p.get("min", 1), p.get("max", 9)
    value = _form(w).get("grade", "")
    if not value:
        return Result("warn", "未填写", f"{lo}-{hi} 年级", "申报表未填写适用年级，请人工核对")
    years = _grades(value)
    if years is None:
        return Result("warn", value, f"{lo}-{hi} 年级", f"无法识别适用年级“{value}”，请人工核对")
    outside = sorted({y for y in years if not lo <= y <= hi})
    if outside:
        return Result("fail", value, f"{lo}-{hi} 年级", f"适用年级“{value}”超出义务教育阶段（{lo}-{hi} 年级）")
    return Result("pass", value, f"{lo}-{hi} 年级", f"适用年级“{value}”在义务教育阶段内")


@rule("form.length", params={"max_chars": int}, **WORK)
def form_length(w, p):
    """Free-text boxes of a readable (Word) copy of the 登记表 within MAX_CHARS characters."""
    limit = p.get("max_chars", 300)
    boxes = _meta(w).get("boxes") or {}
    if not boxes:
        return None
    long = {k: len(re.sub(r"\s", "", v)) for k, v in boxes.items() if len(re.sub(r"\s", "", v)) > limit}
    if long:
        shown = "、".join(f"{k} {n} 字" for k, n in long.items())
        return Result("warn", shown, f"≤ {limit} 字", f"登记表{shown}，要求 {limit} 字以内")
    return Result("pass", f"{len(boxes)} 栏", f"≤ {limit} 字", f"登记表各栏均在 {limit} 字以内")


@rule("form.size", params={"tolerance": float}, **WORK)
def form_size(w, p):
    """作品大小（MB） declared on the 登记表 against the files submitted."""
    declared = _form(w).get("declared_size", "")
    m = re.search(r"(\d+(?:\.\d+)?)", declared)
    if not m:
        return None
    mb = float(m[1])
    actual = sum(f.size for f in w.files) / 2**20
    tol = p.get("tolerance", 0.1)
    if abs(actual - mb) > max(tol * max(mb, actual), 1.0):
        return Result(
            "warn",
            f"申报 {mb:g} MB，实际 {actual:.1f} MB",
            f"{mb:g} MB",
            f"登记表填写作品大小 {mb:g} MB，提交文件合计 {actual:.1f} MB，请核对",
        )
    return Result("pass", f"{actual:.1f} MB", f"{mb:g} MB", f"作品大小 {actual:.1f} MB，与登记表相符")
