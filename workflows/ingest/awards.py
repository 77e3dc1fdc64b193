"""Previously awarded works (往年获奖作品): imported from a list, matched by title and first author."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import openpyxl
import sqlite_utils

import store
from store import audit
from workflows.errors import StationError, regular_file
from workflows.ingest import forms
from workflows.profiles import load as profiles
from workflows.station import Station, actor

RULE = "dup.awarded"
# A province lists a few thousand awards a year; a list beyond these is not a list of awards.
AWARDS_MAX_ROWS = 200_000
AWARDS_MAX_SHEETS = 50
AWARDS_MAX_BYTES = 256 * 2**20
AWARDS_SECONDS = 120.0
COLUMNS = {
    "title": ["作品名称", "课程名称", "资源名称", "案例名称", "名称"],
    "first_author": ["第一作者", "作者", "主讲教师", "授课教师", "申报人", "教师"],
    "unit": ["单位", "学校", "所在单位", "工作单位"],
    "year": ["年度", "年份", "获奖年度", "获奖年份", "获奖时间", "年"],
    "level": ["获奖等级", "等级", "级别", "奖项", "获奖级别", "奖励等级", "获奖情况"],
    "activity": [
        "活动名称",
        "活动",
        "赛事名称",
        "比赛名称",
        "竞赛名称",
        "大赛名称",
        "评选活动",
        "获奖活动",
        "评选项目",
    ],
}
# Level classes of an award, from the words of 获奖等级 (or of 活动名称 when the level column says only 一等奖).
LEVELS = (
    ("国家级", ("国家级", "全国", "部级", "教育部")),
    ("省级", ("省级", "省一", "省二", "省三", "省优", "全省", "省教育厅")),
    ("市级", ("市级", "市一", "市二", "市三", "全市", "地市")),
    ("县级", ("县级", "区级", "县区", "全县", "全区")),
    ("校级", ("校级",)),
)
SILENT = "通知未规定，仅作提示"


def title_key(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return "".join(c for c in text if c.isalnum())


def _header(row) -> dict[str, int] | None:
    cells = [re.sub(r"\s", "", str(c)) if c is not None else "" for c in row]
    found: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, cell in enumerate(cells):
            if cell in names and key not in found and i not in found.values():
                found[key] = i
    return found if "title" in found else None


def read(path: Path) -> list[dict]:
    """The award rows of an xlsx list, read with the forms' defences (package limits, no DTD, the used range
    only, a row cap and a time limit): a province's list is not the county's file and may be hostile too."""
    regular_file(path, "awards.unreadable", "获奖名单", AWARDS_MAX_BYTES)
    try:
        forms.check_package(path)
        with open(path, "rb") as f:
            wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
            try:
                return _rows(path, wb)
            finally:
                wb.close()
    except forms.FormError as e:
        raise StationError("awards.unreadable", f"无法读取获奖名单 {path.name}：{e}") from e
    except StationError:
        raise
    except Exception as e:  # openpyxl raises many kinds for a bad file
        raise StationError("awards.unreadable", f"无法读取获奖名单 {path.name}：{type(e).__name__} {e}") from e


def _rows(path: Path, wb) -> list[dict]:
    out = []
    for ws in wb.worksheets[:AWARDS_MAX_SHEETS]:
        columns = None
        for row in forms.limited_sheet_rows(ws, "获奖名单", AWARDS_MAX_ROWS, AWARDS_SECONDS):
            if columns is None:
                columns = _header(row)
                continue
            value = {k: row[i] if i < len(row) else None for k, i in columns.items()}
            title = str(value["title"] or "").strip()
            if not title or title in ("合计", "小计", "总计"):
                continue
            year = value.get("year")
            out.append(
                {
                    "title": title,
                    "first_author": str(value.get("first_author") or "").strip() or None,
                    "unit": str(value.get("unit") or "").strip() or None,
                    "year": int(re.sub(r"\D", "", str(year))[:4]) if year and re.search(r"\d{4}", str(year)) else None,
                    "level": str(value.get("level") or "").strip() or None,
                    "activity": str(value.get("activity") or "").strip() or None,
                }
            )
    if not out:
        raise StationError("awards.no_header", f"获奖名单 {path} 中找不到表头（需要“作品名称”列）或没有数据行")
    return out


def import_file(station: Station, path: Path) -> dict:
    rows = read(path)
    db = station.db()
    with store.write(db):
        db.execute("DELETE FROM awards WHERE source = ?", [path.name])
        for r in rows:
            db.execute(
                "INSERT INTO awards (title, title_key, first_author, unit, year, level, activity, source) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [
                    r["title"],
                    title_key(r["title"]),
                    r["first_author"],
                    r["unit"],
                    r["year"],
                    r["level"],
                    r["activity"],
                    path.name,
                ],
            )
        audit.append(db, actor(), "awards.imported", f"awards:{path.name}", rows=len(rows))
    matched = refresh(db, station.config_dir)
    return {"awards": len(rows), "matched": matched}


def level_class(level: str | None, activity: str | None = None) -> str | None:
    """'省级一等奖' -> '省级', '河南省一等奖' -> '省级'; from 获奖等级, else from the activity's name; None when unknown."""
    for text in (level or "", activity or ""):
        for name, words in LEVELS:
            if any(w in text for w in words):
                return name
        for name, mark in (("国家级", "国家"), ("省级", "省"), ("市级", "市"), ("县级", "县"), ("县级", "区")):
            if mark in text:
                return name
    return None


def campaign_year(campaign: dict, profile) -> int | None:
    """The year of the campaign: as set, else the profile's version year (2024.1), else its creation year."""
    if campaign.get("year"):
        return int(campaign["year"])
    for text in (getattr(profile, "version", ""), campaign.get("created_at") or ""):
        m = re.match(r"(\d{4})", str(text))
        if m:
            return int(m[1])
    return None


def judge(award: dict, spec: dict | None, year: int | None) -> tuple[str, str]:
    """(status, reason) of a work that matches AWARD under the profile's dup.awarded SPEC (None: no clause)."""
    what = "，".join(
        str(x)
        for x in (
            f"{award['year']} 年" if award.get("year") else None,
            award.get("activity"),
            award.get("level"),
        )
        if x
    )
    if spec is None:
        return "warn", f"曾获奖（{what or '年度、等级不明'}）；{SILENT}"
    cls = level_class(award.get("level"), award.get("activity"))
    levels = spec.get("levels", [])
    names = spec.get("activity", [])
    same_activity = bool(names and award.get("activity") and any(n in award["activity"] for n in names))
    back = spec.get("years_back")
    if back:
        if award.get("year") is None or year is None:
            return "warn", f"曾获奖（{what}），获奖年度不明，无法判断是否属于上 {back} 年，请人工核实"
        if not 0 < year - award["year"] <= back:
            return "pass", f"曾获奖（{what}），不在通知排除的年度内（{year - back}-{year - 1} 年），不影响参评"
    if same_activity:
        return "fail", f"已在本活动往届获奖（{what}），取消参加资格"
    if cls is None:
        return "warn", f"曾获奖（{what or '等级不明'}），获奖等级不明，请人工核实是否为{'或'.join(levels)}奖项"
    if cls in levels:
        return "fail", f"已获{cls}奖项（{what}），不再纳入征集范围"
    rank = [name for name, _ in LEVELS]
    if levels and all(rank.index(cls) < rank.index(x) for x in levels if x in rank):
        return (
            "warn",
            f"曾获{cls}奖项（{what}），高于通知所指的{'、'.join(levels)}，请人工核实是否同时获得过{'、'.join(levels)}奖项",
        )
    if names and not award.get("activity"):
        return "warn", f"曾获{cls}奖项（{what}），获奖名单未注明活动名称，无法确认是否为本活动往届获奖，请人工核实"
    return "pass", f"曾获{cls}奖项（{what}），按通知不影响参评"


def refresh(db: sqlite_utils.Database, config_dir=None) -> int:
    """Recompute every dup.awarded finding, scoped as each campaign's profile scopes it; returns how many."""
    awards: dict[str, list] = {}
    for a in db.query("SELECT * FROM awards ORDER BY id"):
        awards.setdefault(a["title_key"], []).append(a)
    now = audit.now()
    count = 0
    loaded: dict[str, profiles.Profile | None] = {}
    with store.write(db):
        db.execute("DELETE FROM findings WHERE rule = ?", [RULE])
        if not awards:
            return 0
        for s in (
            db.query("""SELECT s.id, s.title, c.profile, c.year, c.created_at,
                             (SELECT name FROM authors a WHERE a.submission_id = s.id ORDER BY ord LIMIT 1) AS first_author
                             FROM submissions s JOIN campaigns c ON c.id = s.campaign_id WHERE s.status = 'imported'""")
        ):
            matches = awards.get(title_key(s["title"]), [])
            if not matches:
                continue
            if s["profile"] not in loaded:
                try:
                    loaded[s["profile"]] = profiles.load(s["profile"], config_dir)
                except StationError:
                    loaded[s["profile"]] = None
            profile = loaded[s["profile"]]
            rules = profile.data.get("rules", {}) if profile else {}
            spec = rules.get(RULE)
            if spec is not None and spec.get("enabled") is False:
                continue
            year = campaign_year(s, profile)
            where = (profile.name if profile else "") + (f"，{spec['clause']}" if spec and spec.get("clause") else "")
            order = {"fail": 0, "warn": 1, "pass": 2}
            best = None
            for a in matches:
                if a["first_author"] and s["first_author"] and a["first_author"] != s["first_author"]:
                    continue
                status, reason = judge(a, spec, year)
                if not (a["first_author"] and s["first_author"]) and status == "fail":
                    status, reason = "warn", reason + "；名单或作品缺少作者信息，无法确认为同一作品，请人工核实"
                if best is None or order[status] < order[best[0]]:
                    best = (status, reason, a)
            if best is None:
                continue
            status, reason, a = best
            detail = "，".join(str(x) for x in (a["first_author"], a["unit"]) if x)
            db.execute(
                "INSERT INTO findings (submission_id, rule, status, measured, expected, message, clause, created_at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [
                    s["id"],
                    RULE,
                    status,
                    f"《{a['title']}》（{detail}）" if detail else f"《{a['title']}》",
                    "未按通知规定获过奖的作品",
                    f"与获奖作品《{a['title']}》" + (f"（{detail}）" if detail else "") + f"相同：{reason}（{where}）",
                    spec.get("clause") if spec else SILENT,
                    now,
                ],
            )
            count += 1
    return count
