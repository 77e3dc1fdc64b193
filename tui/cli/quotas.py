"""`station quota …` and `station rules …`: the city's quota table and the campaign's recommendation rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tui.cli.kit import emit, errors, json_option
from tui.cli.kit import station as open_station
from workflows import campaigns
from workflows.errors import EXIT_OK, EXIT_REJECTED
from workflows.quotas import rules as quotas
from workflows.station import actor


@click.group("quota")
def quota() -> None:
    """推荐名额 the city's quota table."""


@quota.command("import")
@click.argument("xlsx", type=click.Path(exists=True, dir_okay=False))
@click.option("--campaign")
@click.option("--region", help="Keep only this region's rows (the county's own quota).")
@json_option
@click.pass_context
@errors
def quota_import(ctx, xlsx, campaign, region, as_json):
    """Read a 推荐名额分配表 and show what was understood."""
    result = quotas.import_table(open_station(ctx), Path(xlsx), campaign, region)

    def human(r):
        click.echo(
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
            click.echo(f"  {quotas.label(e)}：{limits}（{e['cell']}）")
        for s in r["skipped"]:
            click.echo(f"  已跳过合计：{s}")

    emit(result, as_json, human)


@quota.command("status")
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def quota_status(ctx, campaign, as_json):
    """Used / maximum / minimum per quota key, and what is still missing."""
    result = quotas.status(open_station(ctx), campaign)

    def human(r):
        click.echo(f"{r['campaign']}：已推荐 {r['recommended']} 件（其中不占名额 {r['exempt']} 件）")
        for e in r["entries"]:
            state = "超出" if e["over"] else "还差 %d" % e["missing"] if e["missing"] else "正常"
            click.echo(
                f"  {e['label']}：{e['used']}/{e['max'] if e['max'] is not None else '不限'}"
                + (f"，最少 {e['min']}" if e["min"] is not None else "")
                + f"  {state}"
            )
        _print_violations(r["violations"])

    emit(result, as_json, human)
    sys.exit(EXIT_REJECTED if any(v["hard"] and not v["overridden"] for v in result["violations"]) else EXIT_OK)


@quota.command("exempt")
@click.argument("submission_id", type=int)
@click.option("--reason", default="", help="Why this work does not consume quota.")
@click.option("--remove", is_flag=True, help="Take the exception back.")
@json_option
@click.pass_context
@errors
def quota_exempt(ctx, submission_id, reason, remove, as_json):
    """Flag a work as an exception that does not consume quota (admin)."""
    station = open_station(ctx)
    quotas.exempt(station, submission_id, reason, ctx.obj.get("reviewer") or actor(), remove)
    emit(
        {"id": submission_id, "exempt": not remove, "reason": reason},
        as_json,
        lambda r: click.echo(f"作品 #{submission_id} " + ("已取消例外" if remove else f"不占名额：{reason}")),
    )


def _print_violations(violations) -> None:
    for v in violations:
        kind = "必须解决" if v["hard"] and not v["overridden"] else "已特批" if v["overridden"] else "尚缺"
        click.echo(f"  [{kind}] {quotas.RULE_ZH[v['rule']]}：{v['message']}")


@click.group("rules")
def rules_group() -> None:
    """推荐规则 the campaign's recommendation rules."""


@rules_group.command("check")
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def rules_check(ctx, campaign, as_json):
    """List every violation of the quota table and the rules (exit 1 while a hard one is open)."""
    result = quotas.status(open_station(ctx), campaign)
    violations = result["violations"]
    emit(violations, as_json, lambda vs: _print_violations(vs) if vs else click.echo("没有违反规则的推荐"))
    sys.exit(EXIT_REJECTED if any(v["hard"] and not v["overridden"] for v in violations) else EXIT_OK)


@rules_group.command("show")
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def rules_show(ctx, campaign, as_json):
    station = open_station(ctx)
    camp = campaigns.get(station, campaign)
    data = quotas.rules(station, camp["id"])
    emit(data, as_json, lambda d: [click.echo(f"{k} = {v}") for k, v in d.items()] or click.echo("（无）"))


@rules_group.command("set")
@click.argument("key", type=click.Choice(sorted(quotas.RULE_KEYS)))
@click.argument("value")
@click.option("--campaign")
@json_option
@click.pass_context
@errors
def rules_set(ctx, key, value, campaign, as_json):
    """Set a rule, e.g. `rules set min_total 100`, `rules set share_cap 30%`, `rules set coverage 小学,初中,高中`."""
    station = open_station(ctx)
    data = quotas.set_rule(station, campaign, key, value, ctx.obj.get("reviewer"))
    emit(data, as_json, lambda d: click.echo(f"已设置 {key} = {d.get(key)}"))


COMMANDS = [quota, rules_group]
