"""The `station` group and its station-wide commands (campaigns, import, submissions, audit)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from store import audit as audit_log
from store.labels import FINDING_ZH
from tui.cli.kit import emit as _emit
from tui.cli.kit import errors as _errors
from tui.cli.kit import json_option
from tui.cli.kit import station as _station
from workflows import campaigns as campaigns_wf
from workflows import deadlines, submissions
from workflows.errors import EXIT_OK, EXIT_REJECTED
from workflows.ingest import awards as awards_wf
from workflows.ingest import importer as ingest
from workflows.profiles import load as profiles


@click.group(invoke_without_command=True)
@click.option(
    "--db", type=click.Path(dir_okay=False), envvar="STATION_DB", help="Station database (its folder is the station)."
)
@click.option("--reviewer", help="Reviewer name for this session (default: the OS user).")
@click.version_option(package_name="review-station")
@click.pass_context
def main(ctx: click.Context, db: str | None, reviewer: str | None) -> None:
    """评审工作站 Review Station."""
    ctx.obj = {"db": db, "reviewer": reviewer}
    if ctx.invoked_subcommand is None:
        _open_tui(ctx)


@_errors
def _open_tui(ctx: click.Context) -> None:
    from tui.app import StationApp

    StationApp(_station(ctx), reviewer=ctx.obj["reviewer"]).run()  # no name: the app asks, the OS user filled in


# --- campaigns ---------------------------------------------------------------------------


@main.group()
def campaign() -> None:
    """征集活动 campaigns."""


@campaign.command("add")
@click.argument("name")
@click.option("--profile", "profile_id", required=True, help="Programme profile id (see `station profiles list`).")
@click.option("--year", type=int)
@json_option
@click.pass_context
@_errors
def campaign_add(ctx, name, profile_id, year, as_json):
    row = campaigns_wf.add(_station(ctx), name, profile_id, year)
    _emit(row, as_json, lambda r: click.echo(f"已创建征集活动 #{r['id']}“{r['name']}”（{r['profile']}）"))


@campaign.command("list")
@json_option
@click.pass_context
@_errors
def campaign_list(ctx, as_json):
    station = _station(ctx)
    rows = [dict(r, deadlines=deadlines.for_campaign(station, r)) for r in campaigns_wf.all_campaigns(station)]
    _emit(rows, as_json, lambda rs: [click.echo(_campaign_line(r)) for r in rs])


def _campaign_line(r: dict) -> str:
    line = f"#{r['id']}  {r['name']}  {r['profile']} {r['profile_version']}"
    upcoming = next((d for d in r["deadlines"] if d["days_left"] >= 0), None)
    if upcoming:
        line += f"  下一时间节点：{upcoming['name']} {upcoming['at']}（{deadlines.days_text(upcoming['days_left'])}）"
    return line


@campaign.command("dates")
@click.argument("name", required=False)
@click.option("--set", "set_name", help="The deadline to set (its name; a new name adds one).")
@click.option("--at", help="Date: YYYY-MM-DD[ HH:MM] or MM-DD[ HH:MM] (the campaign's year).")
@click.option("--start", help="First day, for a period (报名 5月20日至9月6日).")
@click.option("--submission/--no-submission", default=None, help="Whether it is the county's upward deadline.")
@click.option("--clause", help="Where the date comes from.")
@click.option("--remove", "remove_name", help="Drop a deadline.")
@json_option
@click.pass_context
@_errors
def campaign_dates(ctx, name, set_name, at, start, submission, clause, remove_name, as_json):
    """时间节点: show a campaign's deadlines with days left, or set one (--set NAME --at DATE)."""
    station = _station(ctx)
    if set_name or remove_name:
        rows = deadlines.set_date(
            station, name, set_name or remove_name, at, start, submission, clause, remove=bool(remove_name)
        )
    else:
        rows = deadlines.for_campaign(station, campaigns_wf.get(station, name))
    _emit(rows, as_json, _dates_human)


def _dates_human(rows: list[dict]) -> None:
    if not rows:
        click.echo("没有时间节点")
    for d in rows:
        when = f"{d['start']} 至 {d['at']}" if d["start"] else d["at"]
        mark = "【上报截止】" if d["submission"] else ""
        click.echo(f"{when}  {d['name']}{mark}  {deadlines.days_text(d['days_left'])}")


# --- profiles ----------------------------------------------------------------------------


@main.group("profiles")
def profiles_group() -> None:
    """Programme profiles (项目配置)."""


@profiles_group.command("list")
@json_option
@click.pass_context
@_errors
def profiles_list(ctx, as_json):
    config = _station(ctx).config_dir
    rows = [
        {"id": p.id, "name": p.name, "version": p.version, "path": p.path}
        for p in (profiles.load(i, config) for i in profiles.available(config))
    ]
    _emit(rows, as_json, lambda rs: [click.echo(f"{r['id']:<20} {r['version']:<8} {r['name']}") for r in rs])


@profiles_group.command("show")
@click.argument("profile_id")
@json_option
@click.pass_context
@_errors
def profiles_show(ctx, profile_id, as_json):
    p = profiles.load(profile_id, _station(ctx).config_dir)
    _emit(p.data, as_json, lambda d: click.echo(Path(p.path).read_text("utf-8")))


# --- import ------------------------------------------------------------------------------


@main.command("import")
@click.argument("sources", nargs=-1, required=True)
@click.option("--campaign", help="Campaign name or id (default: the only one).")
@click.option("--force", is_flag=True, help="Read sources again even if they look unchanged.")
@click.option(
    "--no-check", is_flag=True, help="Do not run the quick checks (metadata, packets, title card) afterwards."
)
@json_option
@click.pass_context
@_errors
def import_(ctx, sources, campaign, force, no_check, as_json):
    """Import submission folders, archives or ftp://user:pass@host:port/path."""
    station = _station(ctx)
    show_bar = not as_json and sys.stderr.isatty()
    if show_bar:
        from tui.cli.progress import ImportBar

        with ImportBar() as bar:
            summary = ingest.run(station, list(sources), campaign, force=force, progress=bar.update)
    else:
        summary = ingest.run(station, list(sources), campaign, force=force)
    data = summary.as_dict()
    if summary.ids and not no_check:
        from workflows.checks import run as checks

        data["checks"] = checks.run(station, ids=summary.ids).findings

    def human(d):
        click.echo(
            f"导入完成：新作品 {d['submissions']} 件（其中新版本 {d['versions']} 件），文件 {d['files']} 个，"
            f"{d['bytes'] / 2**20:.1f} MB；拒收压缩包 {d['rejected']} 个；发现问题 {d['findings']} 条；未变化 {d['unchanged']} 项"
        )
        for path in d["ignored"]:
            click.echo(f"  已忽略系统文件：{path}")
        if "checks" in d:
            c = d["checks"]
            click.echo(
                f"快速检查：不通过 {c.get('fail', 0)} 项，警告 {c.get('warn', 0)} 项（station check --deep 做完整检查）"
            )

    _emit(data, as_json, human)
    sys.exit(EXIT_REJECTED if summary.rejected else EXIT_OK)


# --- list / show -------------------------------------------------------------------------


@main.command("list")
@click.option("--campaign")
@json_option
@click.pass_context
@_errors
def list_(ctx, campaign, as_json):
    rows = submissions.listing(_station(ctx), campaign)

    def human(rs):
        from tui.cli.text import table

        click.echo(
            table(
                ["编号", "作品名称", "学段", "学校", "教师", "状态", "问题"],
                [
                    [
                        str(r["id"]),
                        r["title"],
                        r["stage"] or "",
                        r["school"] or "",
                        "、".join(r["authors"][:1]),
                        {"imported": "已导入", "rejected": "已拒收"}.get(r["status"], r["status"]),
                        str(sum(1 for f in r["findings"] if f["status"] in ("fail", "warn"))),
                    ]
                    for r in rs
                ],
            )
        )

    _emit(rows, as_json, human)


@main.command("show")
@click.argument("submission_id", type=int)
@json_option
@click.pass_context
@_errors
def show(ctx, submission_id, as_json):
    item = submissions.show(_station(ctx), submission_id)

    def human(s):
        click.echo(f"#{s['id']} {s['title']}（{s['status']}，第 {s['version']} 版）")
        for label, key in (
            ("学段", "stage"),
            ("学科", "subject"),
            ("年级", "grade"),
            ("学校", "school"),
            ("项目", "project"),
            ("课程节点编号", "node_code"),
            ("来源", "source"),
        ):
            if s[key]:
                click.echo(f"  {label}：{s[key]}")
        for a in s["author_roles"]:
            click.echo(f"  作者：{a['name']}（{a['role']}）")
        for f in s["files"]:
            click.echo(f"  文件：{f['path']}  {f['size']} 字节  {f['role'] or f['kind']}")
        status_zh = FINDING_ZH
        for f in s["findings"]:
            click.echo(f"  [{status_zh[f['status']]}] {f['rule']}：{f['message']}")

    _emit(item, as_json, human)


# --- awards ------------------------------------------------------------------------------


@main.group()
def awards() -> None:
    """往年获奖作品 previously awarded works."""


@awards.command("import")
@click.argument("xlsx", type=click.Path(exists=True, dir_okay=False))
@json_option
@click.pass_context
@_errors
def awards_import(ctx, xlsx, as_json):
    result = awards_wf.import_file(_station(ctx), Path(xlsx))
    _emit(result, as_json, lambda r: click.echo(f"已导入获奖作品 {r['awards']} 条，与本站作品匹配 {r['matched']} 件"))


# --- audit -------------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@json_option
@click.pass_context
@_errors
def audit(ctx, as_json):
    """审计日志 the append-only audit log."""
    if ctx.invoked_subcommand is None:
        rows = audit_log.entries(_station(ctx).db())
        _emit(
            rows,
            as_json,
            lambda rs: [
                click.echo(f"{r['id']:>6} {r['at'][:19]} {r['actor']:<12} {r['action']:<22} {r['subject'] or ''}")
                for r in rs
            ],
        )


@audit.command("verify")
@json_option
@click.pass_context
@_errors
def audit_verify(ctx, as_json):
    verdict = audit_log.verify(_station(ctx).db())
    _emit(
        verdict.__dict__,
        as_json,
        lambda v: click.echo(
            f"审计日志完整：共 {v['entries']} 条"
            if v["ok"]
            else f"审计日志被篡改：第 {v['broken_at']} 条（{v['reason']}）"
        ),
    )
    sys.exit(EXIT_OK if verdict.ok else EXIT_REJECTED)
