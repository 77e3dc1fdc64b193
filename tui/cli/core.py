"""Station-wide commands: campaigns, profiles, import, list, show, awards, audit."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from store.labels import FINDING_ZH
from tui.cli import kit
from tui.cli.kit import command, echo, group
from workflows import campaigns as campaigns_wf
from workflows import deadlines, submissions
from workflows.errors import EXIT_OK, EXIT_REJECTED
from workflows.profiles import load as profiles

# --- campaigns ---------------------------------------------------------------------------

campaign = group(
    None,
    "campaign",
    help="征集活动：新建和列出。",
    examples=["station campaign add 课后服务2024 --profile after-school-2024 --year 2024", "station campaign list"],
)


@command(campaign, "add", examples=["station campaign add 课后服务2024 --profile after-school-2024 --year 2024"])
@click.argument("name", metavar="名称")
@click.option("--profile", "profile_id", required=True, help="项目配置编号（见 station profiles list）。")
@click.option("--year", type=int, help="年度。")
def campaign_add(run, name, profile_id, year):
    """新建征集活动。"""
    row = campaigns_wf.add(run.station, name, profile_id, year)
    run.emit(row, lambda r: echo(f"已创建征集活动 #{r['id']}“{r['name']}”（{r['profile']}）"))


@command(campaign, "list", examples=["station campaign list", "station campaign list --json"])
def campaign_list(run):
    """列出本站的征集活动（含下一个时间节点和剩余天数；--json 列出全部时间节点）。"""
    rows = [dict(r, deadlines=deadlines.for_campaign(run.station, r)) for r in campaigns_wf.all_campaigns(run.station)]
    run.emit(rows, lambda rs: [echo(_campaign_line(r)) for r in rs])


def _campaign_line(r: dict) -> str:
    line = f"#{r['id']}  {r['name']}  {r['profile']} {r['profile_version']}"
    upcoming = next((d for d in r["deadlines"] if not d["passed"]), None)
    if upcoming:
        soon = "，即将截止" if upcoming["days_left"] <= deadlines.WARN_DAYS else ""
        line += (
            f"  下一时间节点：{upcoming['name']} {upcoming['at']}（{deadlines.days_text(upcoming['days_left'])}{soon}）"
        )
    elif r["deadlines"]:
        line += "  各时间节点均已截止"
    return line


@command(
    campaign,
    "dates",
    examples=[
        "station campaign dates 课后服务2024",
        "station campaign dates 课后服务2024 --set 县级推荐截止 --at 2024-07-31",
        "station campaign dates 信息化2024 --remove 报名",
    ],
)
@click.argument("name", required=False, metavar="活动")
@click.option("--set", "set_name", help="要设置的时间节点名称（新名称即新增一个）。")
@click.option("--at", help="日期：YYYY-MM-DD[ HH:MM] 或 MM-DD[ HH:MM]（活动所在年度）。")
@click.option("--start", help="起始日，用于时间段（如报名 5月20日至9月6日）。")
@click.option("--submission/--no-submission", default=None, help="是否为县级上报截止时间。")
@click.option("--clause", help="日期出自通知的哪一条。")
@click.option("--remove", "remove_name", help="删除一个时间节点。")
def campaign_dates(run, name, set_name, at, start, submission, clause, remove_name):
    """时间节点：显示活动的各时间节点和剩余天数，或设置一个（--set 名称 --at 日期）。"""
    station = run.station
    if set_name or remove_name:
        rows = deadlines.set_date(
            station, name, set_name or remove_name, at, start, submission, clause, remove=bool(remove_name)
        )
    else:
        rows = deadlines.for_campaign(station, campaigns_wf.get(station, name))
    run.emit(rows, _dates_human)


def _dates_human(rows: list[dict]) -> None:
    if not rows:
        echo("没有时间节点")
    for d in rows:
        when = f"{d['start']} 至 {d['at']}" if d["start"] else d["at"]
        mark = "【上报截止】" if d["submission"] else ""
        soon = "，即将截止" if not d["passed"] and d["days_left"] <= deadlines.WARN_DAYS else ""
        echo(f"{when}  {d['name']}{mark}  {deadlines.days_text(d['days_left'], d['passed'])}{soon}")


# --- profiles ----------------------------------------------------------------------------

profiles_group = group(
    None,
    "profiles",
    help="项目配置：各类征集活动的技术要求和材料要求。",
    examples=["station profiles list", "station profiles show jpk-subject"],
)


@command(profiles_group, "list", examples=["station profiles list"])
def profiles_list(run):
    """列出可用的项目配置（内置的，以及工作站 config/profiles 下修改过的副本）。"""
    config = run.station.config_dir
    rows = [
        {"id": p.id, "name": p.name, "version": p.version, "path": p.path}
        for p in (profiles.load(i, config) for i in profiles.available(config))
    ]
    run.emit(rows, lambda rs: [echo(f"{r['id']:<20} {r['version']:<8} {r['name']}") for r in rs])


@command(
    profiles_group, "show", examples=["station profiles show jpk-subject", "station profiles show ce-video --json"]
)
@click.argument("profile_id", metavar="配置编号")
def profiles_show(run, profile_id):
    """显示一个项目配置的全文。"""
    p = profiles.load(profile_id, run.station.config_dir)
    run.emit(p.data, lambda d: echo(Path(p.path).read_text("utf-8")))


# --- import ------------------------------------------------------------------------------


@command(
    None,
    "import",
    examples=[
        "station import /srv/ftp/课后服务 --campaign 课后服务2024",
        "station import 实验小学.zip 第二小学.rar",
        "station import ftp://user:口令@192.168.1.10:21/课程资源",
    ],
)
@click.argument("sources", nargs=-1, required=True, metavar="来源...")
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option("--force", is_flag=True, help="来源看起来没有变化也重新读取。")
@click.option("--no-check", is_flag=True, help="导入后不做快速检查（元数据、材料、片头）。")
def import_(run, sources, campaign, force, no_check):
    """导入作品：文件夹、压缩包或 ftp://用户:口令@主机:端口/路径。"""
    from workflows import intake  # the import and checks engines load only for this command

    station = run.station
    show_bar = not run.json and sys.stderr.isatty()
    if show_bar:
        from tui.cli.progress import ImportBar

        with ImportBar() as bar:
            result = intake.run(station, list(sources), campaign, force=force, check=not no_check, progress=bar.update)
    else:
        result = intake.run(station, list(sources), campaign, force=force, check=not no_check)
    summary = result.summary
    data = result.as_dict()

    def human(d):
        echo(
            f"导入完成：新作品 {d['submissions']} 件（其中新版本 {d['versions']} 件），文件 {d['files']} 个，"
            f"{d['bytes'] / 2**20:.1f} MB；拒收压缩包 {d['rejected']} 个；发现问题 {d['findings']} 条；未变化 {d['unchanged']} 项"
        )
        for path in d["ignored"]:
            echo(f"  已忽略系统文件：{path}")
        if "checks" in d:
            c = d["checks"]
            echo(
                f"快速检查：不通过 {c.get('fail', 0)} 项，警告 {c.get('warn', 0)} 项（station check --deep 做完整检查）"
            )

    run.emit(data, human)
    return EXIT_REJECTED if summary.rejected else EXIT_OK


# --- list / show -------------------------------------------------------------------------


@command(None, "list", examples=["station list", "station list --campaign 课后服务2024 --json"])
@click.option("--campaign", help="只列出这个征集活动（名称或编号）。")
def list_(run, campaign):
    """列出作品：编号、名称、学段、学校、教师、状态和问题数。"""
    rows = submissions.listing(run.station, campaign)

    def human(rs):
        from tui.cli.text import table

        echo(
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

    run.emit(rows, human)


@command(None, "show", examples=["station show 12", "station show 12 --json"])
@click.argument("submission_id", type=int, metavar="编号")
def show(run, submission_id):
    """显示一件作品：基本信息、作者、文件和检查结果（--json 另含审计记录）。"""
    item = submissions.show(run.station, submission_id)

    def human(s):
        echo(f"#{s['id']} {s['title']}（{s['status']}，第 {s['version']} 版）")
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
                echo(f"  {label}：{s[key]}")
        for a in s["author_roles"]:
            echo(f"  作者：{a['name']}（{a['role']}）")
        for f in s["files"]:
            echo(f"  文件：{f['path']}  {f['size']} 字节  {f['role'] or f['kind']}")
        status_zh = FINDING_ZH
        for f in s["findings"]:
            echo(f"  [{status_zh[f['status']]}] {f['rule']}：{f['message']}")

    run.emit(item, human)


# --- awards ------------------------------------------------------------------------------

awards = group(
    None,
    "awards",
    help="往年获奖作品：导入获奖名单，用于查重。",
    examples=["station awards import 2023年获奖名单.xlsx"],
)


@command(awards, "import", examples=["station awards import 2023年获奖名单.xlsx"])
@click.argument("xlsx", type=click.Path(exists=True, dir_okay=False), metavar="XLSX文件")
def awards_import(run, xlsx):
    """导入往年获奖作品名单（xlsx），并与本站作品匹配。"""
    from workflows.ingest import awards as awards_wf

    result = awards_wf.import_file(run.station, Path(xlsx))
    run.emit(result, lambda r: echo(f"已导入获奖作品 {r['awards']} 条，与本站作品匹配 {r['matched']} 件"))


# --- audit -------------------------------------------------------------------------------


@command(
    None,
    "audit",
    cls=kit.Group,
    invoke_without_command=True,
    examples=["station audit", "station audit --json", "station audit verify"],
)
def audit(run):
    """审计日志：列出只增不改的操作记录；audit verify 核对其完整性。"""
    from store import audit as audit_log

    if run.ctx.invoked_subcommand is None:
        rows = audit_log.entries(run.station.db())
        run.emit(
            rows,
            lambda rs: [
                echo(f"{r['id']:>6} {r['at'][:19]} {r['actor']:<12} {r['action']:<22} {r['subject'] or ''}") for r in rs
            ],
        )


@command(audit, "verify", examples=["station audit verify", "station audit verify --json"])
def audit_verify(run):
    """核对审计日志的哈希链（退出码 1：日志被篡改）。"""
    from store import audit as audit_log

    verdict = audit_log.verify(run.station.db())
    run.emit(
        verdict.__dict__,
        lambda v: echo(
            f"审计日志完整：共 {v['entries']} 条"
            if v["ok"]
            else f"审计日志被篡改：第 {v['broken_at']} 条（{v['reason']}）"
        ),
    )
    return EXIT_OK if verdict.ok else EXIT_REJECTED


COMMANDS = [campaign, profiles_group, import_, list_, show, awards, audit]
