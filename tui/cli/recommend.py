"""`station recommend --suggest` and `station summary`: the proposed list, and the 汇总表 for the city."""

from __future__ import annotations

from pathlib import Path

import click

from tui.cli.kit import command, echo
from tui.cli.text import table
from workflows.errors import EXIT_OK, EXIT_REJECTED, StationError
from workflows.quotas import rules as quotas
from workflows.recommend import suggest
from workflows.station import actor


@command(
    None,
    "recommend",
    examples=["station recommend --suggest", "station recommend --suggest --apply --yes"],
)
@click.option("--suggest", "do_suggest", is_flag=True, help="按得分排序，给出满足全部规则的推荐名单。")
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option("--apply", "do_apply", is_flag=True, help="把推荐结论改成建议名单（须加 --yes）。")
@click.option("--yes", is_flag=True, help="确认 --apply。")
def recommend(run, do_suggest, campaign, do_apply, yes):
    """推荐建议：在每个名额内按汇总得分排序填满（退出码 1：有规则无法满足）。"""
    if not do_suggest:
        raise StationError("recommend.usage", "用法：station recommend --suggest [--campaign 活动] [--apply --yes]")
    station = run.station
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
        who = run.reviewer or actor()
        result = suggest.apply(station, campaign, who)
    else:
        result = suggest.suggest(station, campaign)
    run.emit(result, _human)
    return EXIT_REJECTED if result["unmet"] else EXIT_OK


def _human(r: dict) -> None:
    echo(f"{r['campaign']}：建议推荐 {len(r['suggested'])} 件，不建议 {len(r['not_suggested'])} 件")
    if r["suggested"]:
        echo(
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
        echo("不建议推荐：")
        for s in r["not_suggested"]:
            echo(f"  #{s['id']}《{s['title']}》：{s['reason']}")
    for e in r["entries"]:
        limit = e["max"] if e["max"] is not None else "不限"
        echo(f"  名额 {e['label']}：{e['used']}/{limit}" + (f"，最少 {e['min']}" if e["min"] else ""))
    for u in r["unmet"]:
        echo(f"无法满足（{quotas.RULE_ZH.get(u['rule'], u['rule'])}）：{u['message']}")
        for b in u["blocked"]:
            echo(f"    #{b['id']}：{b['reason']}")
    ch = r["changes"]
    if "applied" in r:
        echo(f"已采纳：改为推荐 {len(r['applied']['recommended'])} 件，改为待定 {len(r['applied']['withdrawn'])} 件")
    elif ch["recommend"] or ch["withdraw"]:
        echo(
            f"采纳建议将新推荐 {len(ch['recommend'])} 件、撤回 {len(ch['withdraw'])} 件：station recommend --suggest --apply --yes"
        )


@command(
    None,
    "summary",
    examples=[
        "station summary --xlsx 推荐作品汇总表.xlsx",
        "station summary --xlsx 汇总.xlsx --title 某县推荐作品汇总表",
    ],
)
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option("--xlsx", "xlsx", required=True, type=click.Path(dir_okay=False), help="汇总表写入的 xlsx 文件。")
@click.option("--title", help="标题行（默认：征集活动名称加“推荐作品汇总表”）。")
def summary(run, campaign, xlsx, title):
    """汇总表：每件推荐作品一行，多个项目时每个项目一张工作表，并列出名额使用情况。"""
    from workflows.recommend import summary as summary_wf

    result = summary_wf.write(run.station, campaign, Path(xlsx), title)
    run.emit(
        result,
        lambda r: echo(f"已写入汇总表 {r['path']}：推荐作品 {r['works']} 件（工作表：{'、'.join(r['sheets'])}）"),
    )


COMMANDS = [recommend, summary]
