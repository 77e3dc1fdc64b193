"""`station decide` and `station reviewer`: reviewing from scripts, under the same rules as the TUI."""

from __future__ import annotations

import json
import sys

import click

from tui.cli.kit import emit, errors, json_option, station
from workflows import reviewers
from workflows.errors import EXIT_REJECTED, RuleViolation, StationError
from workflows.review import decide as review
from workflows.station import actor


@click.command("decide")
@click.argument("args", nargs=-1, required=True, metavar="ID... recommend|reject|fix|pending")
@click.option("--reason", help="Reason (required for fix: 修改意见; required with --override).")
@click.option("--reviewer", help="Reviewer name (default: --reviewer of station, then the OS user).")
@click.option(
    "--override", is_flag=True, help="Admin: recommend despite a quota or eligibility rule; --reason says why."
)
@json_option
@click.pass_context
@errors
def decide(ctx, args, reason, reviewer, override, as_json):
    """Record a review decision (推荐/不推荐/需修改/待定) for one or more submissions."""
    *ids, value = args
    bad = [i for i in ids if not i.isdigit()]
    if not ids or bad:
        raise StationError(
            "decision.usage",
            "用法：station decide 编号... recommend|reject|fix|pending"
            + (f"（“{bad[0]}”不是作品编号）" if bad else ""),
        )
    who = reviewer or (ctx.obj or {}).get("reviewer") or actor()
    if override and not (reason or "").strip():
        raise StationError("decision.override_reason", "特批推荐（--override）必须用 --reason 写明理由")
    try:
        outcome = review.decide(
            station(ctx), [int(i) for i in ids], value, reason, who, override=reason if override else None
        )
    except RuleViolation as e:
        if as_json:
            click.echo(
                json.dumps(
                    {"error": e.as_dict(), "violations": [v.as_dict() for v in e.violations]}, ensure_ascii=False
                )
            )
        else:
            click.echo(f"错误：{e.message}（{e.code}）", err=True)
        sys.exit(EXIT_REJECTED)

    def human(d):
        for c in d["changed"]:
            click.echo(
                f"作品 {c['id']}：{review.DECISION_ZH[c['old']['decision']]} -> {review.DECISION_ZH[c['new']['decision']]}"
                f"（评审人 {who}）"
            )
        for i in d["unchanged"]:
            click.echo(f"作品 {i}：已是“{review.DECISION_ZH[value]}”，未变化")

    for i, failed in sorted(outcome.technical.items()):
        rules = "、".join(dict.fromkeys(f["rule"] for f in failed))
        click.echo(
            f"警告：作品 {i} 有 {len(failed)} 项技术检查不通过（{rules}），仍按评审决定推荐；此情况已记入审计日志",
            err=True,
        )
    emit(outcome.as_dict(), as_json, human)


@click.group("reviewer")
def reviewer_group() -> None:
    """评审人 reviewers (unit for 回避, read-only, anonymous)."""


@reviewer_group.command("add")
@click.argument("name")
@click.option("--unit", help="The reviewer's own unit: its works are hidden from them (回避).")
@click.option("--read-only", is_flag=True, help="May look but not change anything.")
@click.option("--anonymous", is_flag=True, help="Teacher and school are hidden from them.")
@json_option
@click.pass_context
@errors
def reviewer_add(ctx, name, unit, read_only, anonymous, as_json):
    r = reviewers.add(station(ctx), name, unit, read_only, anonymous, actor=actor())
    data = {"name": r.name, "unit": r.unit, "read_only": r.read_only, "anonymous": r.anonymous}
    emit(
        data,
        as_json,
        lambda d: click.echo(
            f"评审人“{d['name']}”：单位 {d['unit'] or '无'}"
            + ("，只读" if d["read_only"] else "")
            + ("，匿名评审" if d["anonymous"] else "")
        ),
    )


@reviewer_group.command("list")
@json_option
@click.pass_context
@errors
def reviewer_list(ctx, as_json):
    rows = reviewers.all_reviewers(station(ctx))
    emit(
        rows,
        as_json,
        lambda rs: [
            click.echo(
                f"{r['name']}  {r['unit'] or '-'}"
                + ("  只读" if r["read_only"] else "")
                + ("  匿名" if r["anonymous"] else "")
            )
            for r in rs
        ],
    )


COMMANDS = [decide, reviewer_group]
