"""`station decide` and `station reviewer`: reviewing from scripts, under the same rules as the TUI."""

from __future__ import annotations

import sys

import click

from tui.cli.kit import command, echo, echo_json, group
from workflows import reviewers
from workflows.errors import EXIT_REJECTED, RuleViolation, StationError
from workflows.review import decide as review
from workflows.station import actor


@command(
    None,
    "decide",
    examples=[
        "station decide 12 13 recommend",
        "station decide 14 fix --reason 片头缺少学校名称",
        "station decide 15 recommend --override --reason 市局特批",
    ],
)
@click.argument("args", nargs=-1, required=True, metavar="编号... recommend|reject|fix|pending")
@click.option("--reason", help="理由（fix 必填，写修改意见；--override 必填）。")
@click.option("--reviewer", help="评审人姓名（默认：station --reviewer，再默认操作系统用户名）。")
@click.option("--override", is_flag=True, help="管理员：不顾名额规则或资格限制特批推荐，用 --reason 写明理由。")
def decide(run, args, reason, reviewer, override):
    """记录评审结论：recommend 推荐、reject 不推荐、fix 需修改、pending 待定（可一次给多件作品）。"""
    *ids, value = args
    bad = [i for i in ids if not i.isdigit()]
    if not ids or bad:
        raise StationError(
            "decision.usage",
            "用法：station decide 编号... recommend|reject|fix|pending"
            + (f"（“{bad[0]}”不是作品编号）" if bad else ""),
        )
    who = reviewer or run.reviewer or actor()
    if override and not (reason or "").strip():
        raise StationError("decision.override_reason", "特批推荐（--override）必须用 --reason 写明理由")
    try:
        outcome = review.decide(
            run.station, [int(i) for i in ids], value, reason, who, override=reason if override else None
        )
    except RuleViolation as e:
        if run.json:
            echo_json({"error": e.as_dict(), "violations": [v.as_dict() for v in e.violations]}, indent=None)
        else:
            echo(f"错误：{e.message}（{e.code}）", err=True)
        sys.exit(EXIT_REJECTED)

    def human(d):
        for c in d["changed"]:
            echo(
                f"作品 {c['id']}：{review.DECISION_ZH[c['old']['decision']]} -> {review.DECISION_ZH[c['new']['decision']]}"
                f"（评审人 {who}）"
            )
        for i in d["unchanged"]:
            echo(f"作品 {i}：已是“{review.DECISION_ZH[value]}”，未变化")

    for i, failed in sorted(outcome.technical.items()):
        rules = "、".join(dict.fromkeys(f["rule"] for f in failed))
        echo(
            f"警告：作品 {i} 有 {len(failed)} 项技术检查不通过（{rules}），仍按评审决定推荐；此情况已记入审计日志",
            err=True,
        )
    run.emit(outcome.as_dict(), human)


reviewer_group = group(
    None,
    "reviewer",
    help="评审人：所在单位（回避）、只读、匿名评审。",
    examples=["station reviewer add 张老师 --unit 实验小学 --anonymous", "station reviewer list"],
)


@command(
    reviewer_group,
    "add",
    examples=["station reviewer add 张老师 --unit 实验小学", "station reviewer add 李老师 --read-only"],
)
@click.argument("name", metavar="姓名")
@click.option("--unit", help="评审人自己的单位：该单位的作品对其隐藏（回避）。")
@click.option("--read-only", is_flag=True, help="只能查看，不能改动。")
@click.option("--anonymous", is_flag=True, help="匿名评审：隐藏教师和学校。")
def reviewer_add(run, name, unit, read_only, anonymous):
    """登记评审人。"""
    r = reviewers.add(run.station, name, unit, read_only, anonymous, actor=actor())
    data = {"name": r.name, "unit": r.unit, "read_only": r.read_only, "anonymous": r.anonymous}
    run.emit(
        data,
        lambda d: echo(
            f"评审人“{d['name']}”：单位 {d['unit'] or '无'}"
            + ("，只读" if d["read_only"] else "")
            + ("，匿名评审" if d["anonymous"] else "")
        ),
    )


@command(reviewer_group, "list", examples=["station reviewer list", "station reviewer list --json"])
def reviewer_list(run):
    """列出评审人。"""
    rows = reviewers.all_reviewers(run.station)
    run.emit(
        rows,
        lambda rs: [
            echo(
                f"{r['name']}  {r['unit'] or '-'}"
                + ("  只读" if r["read_only"] else "")
                + ("  匿名" if r["anonymous"] else "")
            )
            for r in rs
        ],
    )


COMMANDS = [decide, reviewer_group]
