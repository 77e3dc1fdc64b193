"""`station recommend --suggest` and `station summary`: the proposed list, and the 汇总表 for the city."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tui.cli.kit import emit, errors, json_option
from tui.cli.kit import station as open_station
from tui.cli.text import table
from workflows.errors import EXIT_OK, EXIT_REJECTED, StationError
from workflows.quotas import rules as quotas
from workflows.recommend import suggest
from workflows.recommend import summary as summary_wf
from workflows.station import actor


@click.command("recommend")
@click.option("--suggest", "do_suggest", is_flag=True, help="Propose a list ranked by score that keeps every rule.")
@click.option("--campaign")
@click.option("--apply", "do_apply", is_flag=True, help="Make the recommendations the suggestion (needs --yes).")
@click.option("--yes", is_flag=True, help="Confirm --apply.")
@json_option
@click.pass_context
@errors
def recommend(ctx, do_suggest, campaign, do_apply, yes, as_json):
    """推荐建议: rank by aggregated score within each quota and fill it; exit 1 when a rule cannot be met."""
    if not do_suggest:
        raise StationError("recommend.usage", "用法：station recommend --suggest [--campaign 活动] [--apply --yes]")
    station = open_station(ctx)
    if do_apply and not yes:
        plan = suggest.suggest(station, campaign)
        ch = plan["changes"]
        raise StationError(
            "confirm.required",
            f"采纳建议将把 {len(ch['recommend'])} 件作品改为“推荐”，"
            f"把 {len(ch['withdraw'])} 件已推荐但未列入建议的作品改为“待定”，"
            "并记入审计日志；确认请加 --yes",
        )
    if do_apply:
        who = (ctx.obj or {}).get("reviewer") or actor()
        result = suggest.apply(station, campaign, who)
    else:
        result = suggest.suggest(station, campaign)
    emit(result, as_json, _human)
    sys.exit(EXIT_REJECTED if result["unmet"] else EXIT_OK)


def _human(r: dict) -> None:
    click.echo(f"{r['campaign']}：建议推荐 {len(r['suggested'])} 件，不建议 {len(r['not_suggested'])} 件")
    if r["suggested"]:
        click.echo(
            table(
                ["编号", "作品名称", "学段", "得分", "依据"],
                [
                    [
                        str(s["id"]),
                        s["title"],
                        s["stage"] or "",
                        "-" if s["score"] is None else f"{s['score']:.2f}",
                        s["why"],
                    ]
                    for s in r["suggested"]
                ],
            )
        )
    if r["not_suggested"]:
        click.echo("不建议推荐：")
        for s in r["not_suggested"]:
            click.echo(f"  #{s['id']}《{s['title']}》：{s['reason']}")
    for e in r["entries"]:
        limit = e["max"] if e["max"] is not None else "不限"
        click.echo(f"  名额 {e['label']}：{e['used']}/{limit}" + (f"，最少 {e['min']}" if e["min"] else ""))
    for u in r["unmet"]:
        click.echo(f"无法满足（{quotas.RULE_ZH.get(u['rule'], u['rule'])}）：{u['message']}")
        for b in u["blocked"]:
            click.echo(f"    #{b['id']}：{b['reason']}")
    ch = r["changes"]
    if "applied" in r:
        click.echo(
            f"已采纳：改为推荐 {len(r['applied']['recommended'])} 件，改为待定 {len(r['applied']['withdrawn'])} 件"
        )
    elif ch["recommend"] or ch["withdraw"]:
        click.echo(
            f"采纳建议将新推荐 {len(ch['recommend'])} 件、撤回 {len(ch['withdraw'])} 件：station recommend --suggest --apply --yes"
        )


@click.command("summary")
@click.option("--campaign")
@click.option("--xlsx", "xlsx", required=True, type=click.Path(dir_okay=False), help="Where to write the 汇总表.")
@click.option("--title", help="Title row (default: the campaign's name and 推荐作品汇总表).")
@json_option
@click.pass_context
@errors
def summary(ctx, campaign, xlsx, title, as_json):
    """汇总表: one row per recommended work, a sheet per 项目 when mixed, and the quota use."""
    result = summary_wf.write(open_station(ctx), campaign, Path(xlsx), title)
    emit(
        result,
        as_json,
        lambda r: click.echo(f"已写入汇总表 {r['path']}：推荐作品 {r['works']} 件（工作表：{'、'.join(r['sheets'])}）"),
    )


COMMANDS = [recommend, summary]
