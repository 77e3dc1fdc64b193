"""`station quota …` and `station rules …`: the city's quota table and the campaign's recommendation rules."""

from __future__ import annotations

from pathlib import Path

import click

from tui.cli.kit import command, echo, group
from workflows import campaigns
from workflows.errors import EXIT_OK, EXIT_REJECTED, StationError
from workflows.ingest import county
from workflows.quotas import rules as quotas
from workflows.station import actor

quota = group(
    None,
    "quota",
    help="推荐名额：市里下达的名额分配表。",
    examples=[
        "station quota import 名额分配表.xlsx --region 中牟县",
        "station quota status",
        "station quota county 中牟县",
    ],
)


@command(quota, "import", examples=["station quota import 名额分配表.xlsx --region 中牟县"])
@click.argument("xlsx", type=click.Path(exists=True, dir_okay=False), metavar="XLSX文件")
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option("--region", help="只保留这个地区的行（本县的名额）。")
def quota_import(run, xlsx, campaign, region):
    """读取推荐名额分配表，并显示读懂的内容。"""
    result = quotas.import_table(run.station, Path(xlsx), campaign, region)

    def human(r):
        echo(
            f"已读取名额分配表（{'每行一个名额' if r['layout'] == 'long' else '交叉表'}，"
            f"维度：{'、'.join(r['dimensions'])}），共 {len(r['entries'])} 项："
        )
        for e in r["entries"]:
            limits = "，".join(
                x
                for x in (
                    f"最多 {e['max']}" if e["max"] is not None else "",
                    f"最少 {e['min']}" if e["min"] is not None else "",
                )
                if x
            )
            echo(f"  {quotas.label(e)}：{limits}（{e['cell']}）")
        for s in r["skipped"]:
            echo(f"  已跳过合计：{s}")
        if r["counties_filled"]:
            echo(f"已据名额表更新 {r['counties_filled']} 件作品的所属县区")

    run.emit(result, human)


@command(quota, "status", examples=["station quota status", "station quota status --campaign 课后服务2024 --json"])
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def quota_status(run, campaign):
    """各名额的已用、最多、最少，以及还缺什么（退出码 1：有未解决的硬性规则）。"""
    result = quotas.status(run.station, campaign)

    def human(r):
        echo(f"{r['campaign']}：已推荐 {r['recommended']} 件（其中不占名额 {r['exempt']} 件）")
        if r["no_county"]:
            echo(
                f"  注意：{r['no_county']} 件作品无法确定所属县区，不计入按县区分配的名额"
                "（申报表填写县区，或设置本站所属县区：station quota county 县区名称）"
            )
        for e in r["entries"]:
            state = "超出" if e["over"] else "还差 %d" % e["missing"] if e["missing"] else "正常"
            echo(
                f"  {e['label']}：{e['used']}/{e['max'] if e['max'] is not None else '不限'}"
                + (f"，最少 {e['min']}" if e["min"] is not None else "")
                + f"  {state}"
            )
        _print_violations(r["violations"])

    run.emit(result, human)
    return EXIT_REJECTED if any(v["hard"] and not v["overridden"] for v in result["violations"]) else EXIT_OK


@command(
    quota, "exempt", examples=["station quota exempt 12 --reason 市级指定作品", "station quota exempt 12 --remove"]
)
@click.argument("submission_id", type=int, metavar="编号")
@click.option("--reason", default="", help="该作品不占名额的理由。")
@click.option("--remove", is_flag=True, help="取消例外。")
def quota_exempt(run, submission_id, reason, remove):
    """管理员：把一件作品标为不占名额的例外。"""
    station = run.station
    quotas.exempt(station, submission_id, reason, run.reviewer or actor(), remove)
    run.emit(
        {"id": submission_id, "exempt": not remove, "reason": reason},
        lambda r: echo(f"作品 #{submission_id} " + ("已取消例外" if remove else f"不占名额：{reason}")),
    )


@command(
    quota,
    "county",
    examples=["station quota county", "station quota county 中牟县", "station quota county --clear"],
)
@click.argument("name", required=False, metavar="县区名称")
@click.option("--clear", is_flag=True, help="清除本站所属县区。")
def quota_county(run, name, clear):
    """本站所属县区：未写明县区的作品计入该县区的名额（不带参数：显示当前设置）。

    作品所属县区依次取自：申报表所填县区、文件夹层级、单位名称中含有的县区名、本站所属县区、
    只含一个地区的名额表。"""
    station = run.station
    if name or clear:
        if name and clear:
            raise StationError("county.invalid", "不能同时给出县区名称和 --clear")
        result = county.set_station_county(station, None if clear else name, run.reviewer or actor())
        result["works"] = county.counts(station.db())
    else:
        own = county.station_county(station.db())
        result = {"county": own, "previous": own, "changed": 0, "works": county.counts(station.db())}

    def human(r):
        if name or clear:
            echo(
                f"本站所属县区：{r['county'] or '（未设置）'}（原为 {r['previous'] or '未设置'}），更新了 {r['changed']} 件作品"
            )
        else:
            echo(f"本站所属县区：{r['county'] or '（未设置）'}")
        for w in r["works"]:
            how = county.SOURCE_ZH.get(w["source"], "") if w["source"] else "无法确定县区"
            echo(f"  {how}：{w['works']} 件")

    run.emit(result, human)


def _print_violations(violations) -> None:
    for v in violations:
        kind = "必须解决" if v["hard"] and not v["overridden"] else "已特批" if v["overridden"] else "尚缺"
        echo(f"  [{kind}] {quotas.RULE_ZH[v['rule']]}：{v['message']}")


rules_group = group(
    None,
    "rules",
    help="推荐规则：征集活动的推荐名额规则。",
    examples=["station rules show", "station rules set share_cap 30%", "station rules check"],
)


@command(rules_group, "check", examples=["station rules check", "station rules check --json"])
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def rules_check(run, campaign):
    """列出违反名额分配表和推荐规则之处（退出码 1：仍有硬性规则未解决）。"""
    result = quotas.status(run.station, campaign)
    violations = result["violations"]
    run.emit(violations, lambda vs: _print_violations(vs) if vs else echo("没有违反规则的推荐"))
    return EXIT_REJECTED if any(v["hard"] and not v["overridden"] for v in violations) else EXIT_OK


@command(rules_group, "show", examples=["station rules show", "station rules show --campaign 课后服务2024 --json"])
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def rules_show(run, campaign):
    """显示征集活动的推荐规则。"""
    station = run.station
    camp = campaigns.get(station, campaign)
    data = quotas.rules(station, camp["id"])
    run.emit(data, lambda d: [echo(f"{k} = {v}") for k, v in d.items()] or echo("（无）"))


@command(
    rules_group,
    "set",
    examples=[
        "station rules set min_total 100",
        "station rules set share_cap 30%",
        "station rules set coverage 小学,初中,高中",
    ],
)
@click.argument("key", type=click.Choice(sorted(quotas.RULE_KEYS)))
@click.argument("value", metavar="值")
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
def rules_set(run, key, value, campaign):
    """设置一条推荐规则。"""
    station = run.station
    data = quotas.set_rule(station, campaign, key, value, run.reviewer)
    run.emit(data, lambda d: echo(f"已设置 {key} = {d.get(key)}"))


COMMANDS = [quota, rules_group]
