"""`station score`, `station scores`, `station assign`, `station rubric …`: experts' scores against the rubric."""

from __future__ import annotations

import click

from tui.cli.kit import emit, errors, json_option
from tui.cli.kit import station as open_station
from tui.cli.text import table
from workflows import campaigns
from workflows.errors import StationError
from workflows.scoring import scores as scoring


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, value = v.replace("＝", "=").partition("=")
        if not sep or not name.strip() or not value.strip():
            raise StationError("score.usage", f"“{v}”的写法不对：应为 --item 项目=分数，如 --item 目标内容=18")
        out[name.strip()] = value.strip()
    return out


@click.command("score")
@click.argument("submission_id", type=int)
@click.option("--expert", required=True, help="The scoring expert (a registered reviewer; their unit is recused).")
@click.option("--item", "items", multiple=True, metavar="ITEM=VALUE", help="A rubric item and its points or grade A-E.")
@click.option("--veto", multiple=True, metavar="NAME", help="Mark a veto item (否决项), by name or number.")
@click.option("--clear-veto", multiple=True, metavar="NAME", help="Take a veto mark back.")
@click.option("--comment", help="The expert's comment on the work.")
@json_option
@click.pass_context
@errors
def score(ctx, submission_id, expert, items, veto, clear_veto, comment, as_json):
    """Record an expert's scores for one work (评分)."""
    sheet = scoring.score(
        open_station(ctx),
        submission_id,
        expert,
        _pairs(items),
        list(veto),
        list(clear_veto),
        comment,
        actor=(ctx.obj or {}).get("reviewer") or expert,
    )

    def human(s):
        click.echo(f"专家 {s['expert']} 对作品 #{s['id']}《{s['title']}》的评分：")
        for i in s["items"]:
            value = (
                "未评"
                if i["value"] is None
                else f"{scoring.fmt(i['counted'])}/{scoring.fmt(i['full'])}"
                + (f"（{i['grade']}）" if i["grade"] else "")
            )
            click.echo(f"  {i['name']}：{value}")
        click.echo(f"  合计：{scoring.fmt(s['total'])}" if s["complete"] else "  合计：尚有未评项目")
        for v in s["veto"]:
            click.echo(f"  否决项：{v}")

    emit(sheet, as_json, human)


@click.command("scores")
@click.option("--campaign")
@click.option(
    "--z",
    "flag",
    type=float,
    default=scoring.Z_FLAG,
    show_default=True,
    help="Flag an expert whose mean z-score against the panel reaches this.",
)
@json_option
@click.pass_context
@errors
def scores(ctx, campaign, flag, as_json):
    """Aggregated score per work (best first) and experts who deviate from the panel."""
    result = scoring.report(open_station(ctx), campaign, flag)

    def human(r):
        click.echo(
            f"{r['campaign']}：已评分 {r['scored']} 件，未评分 {r['unscored']} 件；汇总方法：{scoring.METHOD_ZH[r['method']]}"
            f"（满分 {scoring.fmt(r['total'])}）"
        )
        rows = [
            [
                str(w["rank"] or "-"),
                str(w["id"]),
                w["title"] or "",
                "-" if w["score"] is None else f"{w['score']:.2f}",
                str(w["n"]),
                ("否决" if w["vetoed"] else "") + (f" 未评完：{'、'.join(w['incomplete'])}" if w["incomplete"] else ""),
            ]
            for w in r["works"]
        ]
        if rows:
            click.echo(table(["排名", "编号", "作品名称", "得分", "专家数", "备注"], rows))
        if r["experts"]:
            click.echo("专家评分偏离（与其他专家平均分之差，z 值）：")
            for e in r["experts"]:
                mark = "  需复核" if e["flagged"] else ""
                click.echo(
                    f"  {e['expert']}：{e['works']} 件，平均差 {e['mean_diff']:+.2f} 分，z = {e['z']:+.2f}{mark}"
                )
                for o in e["outliers"]:
                    click.echo(
                        f"    作品 #{o['id']}：{o['total']:.2f} 分，其他专家平均 {o['others']:.2f} 分（z = {o['z']:+.2f}）"
                    )

    emit(result, as_json, human)


@click.command("assign")
@click.argument("experts", nargs=-1, required=True)
@click.option("--per-work", type=int, default=3, show_default=True, help="Experts per work.")
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def assign(ctx, experts, per_work, campaign, as_json):
    """Assign experts to the campaign's works, least loaded first, never a work from their own unit."""
    result = scoring.assign(open_station(ctx), campaign, list(experts), per_work, (ctx.obj or {}).get("reviewer"))

    def human(r):
        click.echo(
            f"已分配 {r['added']} 份评分任务（每件 {r['per_work']} 位专家）："
            + "，".join(f"{k} {v} 件" for k, v in r["load"].items())
        )
        if r["short"]:
            click.echo(
                f"因回避或专家不足，{len(r['short'])} 件作品不足 {r['per_work']} 位专家："
                + "、".join(map(str, r["short"][:20]))
            )

    emit(result, as_json, human)


@click.group("rubric")
def rubric_group() -> None:
    """评分细则 the campaign's rubric."""


@rubric_group.command("show")
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def rubric_show(ctx, campaign, as_json):
    station = open_station(ctx)
    camp = campaigns.get(station, campaign)
    rub = scoring.rubric(station, camp["id"])
    data = dict(rub.as_dict(), campaign=camp["name"], method=scoring.method(station, camp["id"], rub))

    def human(d):
        click.echo(
            f"{d['campaign']} 评分细则（满分 {scoring.fmt(d['total'])}，汇总方法：{scoring.METHOD_ZH[d['method']]}）"
        )
        for dim in d["dimensions"]:
            click.echo(f"  {dim['name']}（{scoring.fmt(dim['full'])} 分）")
            for i in dim["items"]:
                if len(dim["items"]) > 1 or i["name"] != dim["name"]:
                    how = (
                        f"满分 {scoring.fmt(i['max'])}"
                        if i["max"] is not None
                        else f"0-{scoring.fmt(i['scale'])} 分 × 权重 {scoring.fmt(i['weight'])}"
                    )
                    click.echo(f"    {i['name']}：{how}")
        if d["grades"]:
            click.echo("  等级系数：" + "，".join(f"{g} {scoring.fmt(c)}" for g, c in d["grades"].items()))
        for n, v in enumerate(d["veto"], 1):
            click.echo(f"  否决项 {n}：{v['name']}" + (f"（{v['description']}）" if v["description"] else ""))

    emit(data, as_json, human)


@rubric_group.command("method")
@click.argument("value", type=click.Choice(scoring.METHODS))
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def rubric_method(ctx, value, campaign, as_json):
    """Set the campaign's aggregation: mean, trimmed (drop highest and lowest from 3 scores) or median."""
    data = scoring.set_method(open_station(ctx), campaign, value, (ctx.obj or {}).get("reviewer"))
    emit(data, as_json, lambda d: click.echo(f"{d['campaign']} 的汇总方法：{scoring.METHOD_ZH[d['method']]}"))


COMMANDS = [score, scores, assign, rubric_group]
