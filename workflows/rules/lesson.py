"""Rules on a 精品课 lesson's registration: its 课程节点编号 and its people by role."""

from __future__ import annotations

from workflows.rules.base import Result, rule

TEACHER_ROLES = ("授课教师", "主讲教师", "第一作者", "申报人")


@rule("lesson.node_code", scope="work", needs=())
def node_code(w, p):
    """A 精品课 without 课程节点编号 cannot be matched by "同一课程节点编号只推荐1节": say so (W12)."""
    code = (w.submission["node_code"] or "").strip()
    if code:
        return Result("pass", code, "已填写课程节点编号", f"课程节点编号 {code}")
    return Result(
        "warn",
        "未填写",
        "课程节点编号",
        "登记表中没有课程节点编号，推荐时无法按“同一课程节点编号只推荐 1 节”核对，请补充",
    )


@rule("lesson.roles", scope="work", needs=(), params={"teachers": int, "guides": int, "technicians": int})
def roles(w, p):
    """Jiangsu 002 五2: each lesson reports 1 授课教师, 1 教学指导 and 1 技术指导 (W12, 002-07).

    County reading: exactly one 授课教师 (none or two fail); at most one of each guide (a second
    fails, a missing one warns: the notice asks for the information, the county asks the school);
    any other person (团队成员) has no place in the report and fails.
    """
    want = {"授课教师": p.get("teachers", 1), "教学指导": p.get("guides", 1), "技术指导": p.get("technicians", 1)}
    got: dict[str, list[str]] = {k: [] for k in (*want, "其他")}
    for i, a in enumerate(w.authors):
        role = a["role"] or ""
        if role in ("教学指导", "技术指导"):
            got[role].append(a["name"])
        elif role in TEACHER_ROLES or (i == 0 and not role):
            got["授课教师"].append(a["name"])
        else:
            got["其他"].append(a["name"])
    shown = "；".join(f"{k} {len(v)} 人" + (f"（{'、'.join(v)}）" if v else "") for k, v in got.items() if v) or "无"
    expected = "、".join(f"{n} 名{k}" for k, n in want.items())
    problems, missing = [], []
    if len(got["授课教师"]) != want["授课教师"]:
        problems.append(f"授课教师 {len(got['授课教师'])} 人")
    for k in ("教学指导", "技术指导"):
        if len(got[k]) > want[k]:
            problems.append(f"{k} {len(got[k])} 人")
        elif len(got[k]) < want[k]:
            missing.append(k)
    if got["其他"]:
        problems.append(f"另有 {len(got['其他'])} 人不属于这三类（{'、'.join(got['其他'])}）")
    if problems:
        return Result("fail", shown, expected, f"人员为 {shown}：{'；'.join(problems)}，要求报送 {expected}")
    if missing:
        return Result(
            "warn", shown, expected, f"人员为 {shown}，未填写{'、'.join(missing)}，要求报送 {expected}，请学校补充"
        )
    return Result("pass", shown, expected, f"人员为 {shown}，符合 {expected}")
