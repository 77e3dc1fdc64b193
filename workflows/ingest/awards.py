"""Previously awarded works (往年获奖作品): imported from a list, matched by title and first author."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import openpyxl
import sqlite_utils

import store
from store import audit
from workflows.errors import StationError
from workflows.station import Station, actor

RULE = "dup.awarded"
COLUMNS = {
    "title": ["作品名称", "课程名称", "资源名称", "案例名称", "名称"],
    "first_author": ["第一作者", "作者", "主讲教师", "授课教师", "申报人", "教师"],
    "unit": ["单位", "学校", "所在单位", "工作单位"],
    "year": ["年度", "年份", "获奖年度", "年"],
    "level": ["获奖等级", "等级", "级别", "奖项"],
}


def title_key(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return "".join(c for c in text if c.isalnum())


def _header(row) -> dict[str, int] | None:
    cells = [re.sub(r"\s", "", str(c)) if c is not None else "" for c in row]
    found = {}
    for key, names in COLUMNS.items():
        for i, cell in enumerate(cells):
            if cell in names and key not in found and i not in found.values():
                found[key] = i
    return found if "title" in found else None


def read(path: Path) -> list[dict]:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a bad file
        raise StationError("awards.unreadable", f"无法读取获奖名单 {path}：{e}") from e
    out = []
    try:
        for ws in wb.worksheets:
            columns = None
            for row in ws.iter_rows(values_only=True):
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
                        "year": int(re.sub(r"\D", "", str(year))[:4])
                        if year and re.search(r"\d{4}", str(year))
                        else None,
                        "level": str(value.get("level") or "").strip() or None,
                    }
                )
    finally:
        wb.close()
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
                "INSERT INTO awards (title, title_key, first_author, unit, year, level, source) VALUES (?,?,?,?,?,?,?)",
                [r["title"], title_key(r["title"]), r["first_author"], r["unit"], r["year"], r["level"], path.name],
            )
        audit.append(db, actor(), "awards.imported", f"awards:{path.name}", rows=len(rows))
    matched = refresh(db)
    return {"awards": len(rows), "matched": matched}


def refresh(db: sqlite_utils.Database) -> int:
    """Recompute every dup.awarded finding; returns how many there are."""
    awards = {}
    for a in db.query("SELECT * FROM awards ORDER BY id"):
        awards.setdefault(a["title_key"], []).append(a)
    now = audit.now()
    count = 0
    with store.write(db):
        db.execute("DELETE FROM findings WHERE rule = ?", [RULE])
        if not awards:
            return 0
        for s in db.query("""SELECT s.id, s.title, (SELECT name FROM authors a WHERE a.submission_id = s.id ORDER BY ord LIMIT 1)
                             AS first_author FROM submissions s WHERE s.status = 'imported'"""):
            for a in awards.get(title_key(s["title"]), []):
                if a["first_author"] and s["first_author"] and a["first_author"] != s["first_author"]:
                    continue
                detail = "，".join(
                    str(x)
                    for x in (a["first_author"], a["unit"], f"{a['year']} 年" if a["year"] else None, a["level"])
                    if x
                )
                sure = bool(a["first_author"] and s["first_author"])
                message = (
                    f"与往年获奖作品《{a['title']}》（{detail}）相同：已获奖作品不再纳入征集范围"
                    if sure
                    else f"作品名称与往年获奖作品《{a['title']}》（{detail}）相同，但缺少作者信息无法确认，请人工核实"
                )
                db.execute(
                    "INSERT INTO findings (submission_id, rule, status, measured, expected, message, created_at) VALUES (?,?,?,?,?,?,?)",
                    [
                        s["id"],
                        RULE,
                        "fail" if sure else "warn",
                        f"《{a['title']}》（{detail}）",
                        "未获过奖的作品",
                        message,
                        now,
                    ],
                )
                count += 1
                break
    return count
