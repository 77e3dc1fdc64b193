"""`station score`, `station scores`, `station assign`, `station rubric …`: experts' scores against the rubric."""

from __future__ import annotations

import click

from tui.cli.kit import command, echo, group
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


@command(
    None,
    "score",
    examples=[
        "station score 12 --expert 王老师 --item 目标内容=18 --item 教学设计=B",
        "station score 12 --expert 王老师 --veto 1",
    ],
)
@click.argument("submission_id", type=int, metavar="编号")
@click.option("--expert", required=True, help="评分专家（已登记的评审人；回避其所在单位）。")
@click.option("--item", "items", multiple=True, metavar="项目=分数", help="评分细则中的一项及其分数或等级 A-E。")
@click.option("--veto", multiple=True, metavar="否决项", help="标记否决项（名称或序号）。")
@click.option("--clear-veto", multiple=True, metavar="否决项", help="撤销否决项标记。")
@click.option("--comment", help="专家对作品的评语。")
def score(run, submission_id, expert, items, veto, clear_veto, comment):
    """记录一位专家对一件作品的评分。"""
    sheet = scoring.score(
        run.station,
        submission_id,
        expert,
        _pairs(items),
        list(veto),
        list(clear_veto),
        comment,
        actor=run.reviewer or expert,
    )

    def human(s):
        echo(f"专家 {s['expert']} 对作品 #{s['id']}《{s['title']}》的评分：")
        for i in s["items"]:
            value = (
                "未评"
                if i["value"] is None
                else f"{scoring.fmt(i['counted'])}/{scoring.fmt(i['full'])}"
                + (f"（{i['grade']}）" if i["grade"] else "")
            )
            echo(f"  {i['name']}：{value}")
        echo(f"  合计：{scoring.fmt(s['total'])}" if s["complete"] else "  合计：尚有未评项目")
        for v in s["veto"]:
            echo(f"  否决项：{v}")

    run.emit(sheet, human)


@command(None, "scores", examples=["station scores", "station scores --z 2.5 --json"])
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option(
    "--z",
    "flag",
    type=float,
    default=scoring.Z_FLAG,
    show_default=True,
    help="专家与其他专家的平均 z 值达到此值时标为需复核。",
)
def scores(run, campaign, flag):
    """每件作品的汇总得分（从高到低），以及评分明显偏离的专家。"""
    result = scoring.report(run.station, campaign, flag)

    def human(r):
        echo(
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
            echo(table(["排名", "编号", "作品名称", "得分", "专家数", "备注"], rows))
        if r["experts"]:
            echo("专家评分偏离（与其他专家平均分之差，z 值）：")
            for e in r["experts"]:
                mark = "  需复核" if e["flagged"] else ""
                echo(f"  {e['expert']}：{e['works']} 件，平均差 {e['mean_diff']:+.2f} 分，z = {e['z']:+.2f}{mark}")
                for o in e["outliers"]:
                    echo(
                        f"    作品 #{o['id']}：{o['total']:.2f} 分，其他专家平均 {o['others']:.2f} 分（z = {o['z']:+.2f}）"
                    )

    run.emit(result, human)


@command(None, "assign", examples=["station assign 王老师 李老师 赵老师 --per-work 3"])
@click.argument("experts", nargs=-1, required=True, metavar="专家...")
@click.option("--per-work", type=int, default=3, show_default=True, help="每件作品的专家人数。")
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def assign(run, experts, per_work, campaign):
    """给作品分配评分专家：任务最少的专家优先，不分到本单位的作品。"""
    result = scoring.assign(run.station, campaign, list(experts), per_work, run.reviewer)

    def human(r):
        echo(
            f"已分配 {r['added']} 份评分任务（每件 {r['per_work']} 位专家）："
            + "，".join(f"{k} {v} 件" for k, v in r["load"].items())
        )
        if r["short"]:
            echo(
                f"因回避或专家不足，{len(r['short'])} 件作品不足 {r['per_work']} 位专家："
                + "、".join(map(str, r["short"][:20]))
            )

    run.emit(result, human)


rubric_group = group(
    None,
    "rubric",
    help="评分细则：征集活动的评分项目和汇总方法。",
    examples=["station rubric show", "station rubric method trimmed"],
)


@command(rubric_group, "show", examples=["station rubric show", "station rubric show --campaign 课后服务2024 --json"])
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def rubric_show(run, campaign):
    """显示评分细则：各维度、各项分值、等级系数和否决项。"""
    station = run.station
    camp = campaigns.get(station, campaign)
    rub = scoring.rubric(station, camp["id"])
    data = dict(rub.as_dict(), campaign=camp["name"], method=scoring.method(station, camp["id"], rub))

    def human(d):
        echo(f"{d['campaign']} 评分细则（满分 {scoring.fmt(d['total'])}，汇总方法：{scoring.METHOD_ZH[d['method']]}）")
        for dim in d["dimensions"]:
            echo(f"  {dim['name']}（{scoring.fmt(dim['full'])} 分）")
            for i in dim["items"]:
                if len(dim["items"]) > 1 or i["name"] != dim["name"]:
                    how = (
                        f"满分 {scoring.fmt(i['max'])}"
                        if i["max"] is not None
                        else f"0-{scoring.fmt(i['scale'])} 分 × 权重 {scoring.fmt(i['weight'])}"
                    )
                    echo(f"    {i['name']}：{how}")
        if d["grades"]:
            echo("  等级系数：" + "，".join(f"{g} {scoring.fmt(c)}" for g, c in d["grades"].items()))
        for n, v in enumerate(d["veto"], 1):
            echo(f"  否决项 {n}：{v['name']}" + (f"（{v['description']}）" if v["description"] else ""))

    run.emit(data, human)


@command(
    rubric_group,
    "method",
    examples=["station rubric method trimmed", "station rubric method median --campaign 课后服务2024"],
)
@click.argument("value", type=click.Choice(scoring.METHODS))
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def rubric_method(run, value, campaign):
    """设置汇总方法：mean 平均分，trimmed 去掉最高最低（3 位及以上专家），median 中位数。"""
    data = scoring.set_method(run.station, campaign, value, run.reviewer)
    run.emit(data, lambda d: echo(f"{d['campaign']} 的汇总方法：{scoring.METHOD_ZH[d['method']]}"))


COMMANDS = [score, scores, assign, rubric_group]
