"""The schemas of a profile's [recommend] and [rubric] tables, validated with the rest of the profile."""

from __future__ import annotations

import re
from datetime import datetime

RULE_KEYS = {"one_per_node": bool, "one_per_teacher": bool, "coverage": list, "share_cap": float, "min_total": int}
METHODS = ("mean", "trimmed", "median")
GRADES = ("A", "B", "C", "D", "E")
_DATE = re.compile(r"^(?:(\d{4})-)?(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?$")
DEADLINE_KEYS = {"at": str, "start": str, "submission": bool, "clause": str}


def check_rubric(data, fail) -> None:
    """Validate a profile's [rubric] table; FAIL(key, why, needles) builds the error to raise."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise fail("rubric", "应为一个表 [rubric]", ())
    for key in data:
        if key not in ("aggregation", "grades", "veto", "dimensions", "scale"):
            raise fail(f"rubric.{key}", "未知的键", (r"\s*\[rubric", r"\s*" + key + r"\s*="))
    if data.get("aggregation", "trimmed") not in METHODS:
        raise fail("rubric.aggregation", f"只能是 {'、'.join(METHODS)} 之一", (r"\s*aggregation\s*=",))
    grades = data.get("grades", {})
    if not isinstance(grades, dict) or any(
        g not in GRADES or not is_number(c) or not 0 <= c <= 1 for g, c in grades.items()
    ):
        raise fail(
            "rubric.grades", "应为 A-E 各等级的系数（0 到 1 之间），如 { A = 1.0, B = 0.8 }", (r"\s*grades\s*=",)
        )
    for n, v in enumerate(data.get("veto", [])):
        if not (isinstance(v, str) and v.strip()) and not (
            isinstance(v, dict) and isinstance(v.get("name"), str) and set(v) <= {"name", "description"}
        ):
            raise fail(f"rubric.veto[{n}]", '否决项应为名称，或 { name = "…", description = "…" }', (r"\s*veto\s*=",))
    dims = data.get("dimensions")
    if not isinstance(dims, list) or not dims:
        raise fail("rubric.dimensions", "至少需要一个评价维度 [[rubric.dimensions]]", (r"\s*\[rubric",))
    seen = set()
    for d, dim in enumerate(dims):
        where = f"rubric.dimensions[{d}]"
        name = dim.get("name") if isinstance(dim, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise fail(f"{where}.name", "缺少维度名称", (r"\s*\[\[rubric\.dimensions",))
        needle = (r"\s*name\s*=\s*[\"']" + name,)
        for key in dim:
            if key not in ("name", "max", "weight", "scale", "items", "clause"):
                raise fail(f"{where}.{key}", "未知的键", needle + (r"\s*" + key + r"\b",))
        items = dim.get("items") or [dim]
        if dim.get("items") and ("max" in dim or "weight" in dim):
            raise fail(f"{where}", "维度要么自身有 max/weight，要么列出 items，不能两者都有", needle)
        for i, item in enumerate(items):
            key = where if item is dim else f"{where}.items[{i}]"
            if item is not dim and (
                not isinstance(item, dict)
                or not set(item) <= {"name", "max", "weight", "scale"}
                or not isinstance(item.get("name"), str)
            ):
                raise fail(key, '评分项应为 { name = "…", max = 分值 } 或 { name = "…", weight = 权重 }', needle)
            has_max, has_weight = is_number(item.get("max")), is_number(item.get("weight"))
            if has_max == has_weight:
                raise fail(key, "每个评分项须有 max（满分）或 weight（权重）之一", needle)
            if (has_max and item["max"] <= 0) or (has_weight and item["weight"] <= 0):
                raise fail(key, "满分和权重必须大于 0", needle)
            if "scale" in item and not (is_number(item["scale"]) and item["scale"] > 0):
                raise fail(f"{key}.scale", "应为大于 0 的数", needle)
            if item["name"] in seen:
                raise fail(key, f"评分项名称“{item['name']}”重复", needle)
            seen.add(item["name"])


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_deadline(text: str, year: int) -> datetime:
    """'MM-DD', 'MM-DD HH:MM', 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' -> a local datetime (end of day when no time)."""
    m = _DATE.match(str(text).strip())
    if not m:
        raise ValueError(f"日期“{text}”格式应为 MM-DD、MM-DD HH:MM 或 YYYY-MM-DD HH:MM")
    y, mo, d, hh, mm = m.groups()
    try:
        if hh is None:
            return datetime(int(y or year), int(mo), int(d), 23, 59)
        return datetime(int(y or year), int(mo), int(d), int(hh), int(mm))
    except ValueError as e:
        raise ValueError(f"日期“{text}”无效：{e}") from None


def check_deadlines(data, fail) -> None:
    """Validate a profile's [deadlines] table; FAIL(key, why, needles) builds the error to raise."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise fail("deadlines", "应为一个表 [deadlines]", ())
    for name, spec in data.items():
        needle = (r"\s*\[deadlines", r"\s*[\"']?" + re.escape(name))
        if not isinstance(spec, dict) or "at" not in spec:
            raise fail(f"deadlines.{name}", '应为 { at = "MM-DD HH:MM", clause = "…" }', needle)
        for key, value in spec.items():
            if key not in DEADLINE_KEYS or not isinstance(value, DEADLINE_KEYS[key]):
                raise fail(f"deadlines.{name}.{key}", "未知的键" if key not in DEADLINE_KEYS else "类型有误", needle)
        for key in ("at", "start"):
            if key in spec:
                try:
                    parse_deadline(spec[key], 2000)
                except ValueError as e:
                    raise fail(f"deadlines.{name}.{key}", str(e), needle) from None
