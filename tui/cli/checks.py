"""`station check`, `station fix`, `station report`."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from store import queries
from tui.cli.kit import emit, errors, json_option
from tui.cli.kit import station as open_station
from workflows.checks import fixes
from workflows.checks import run as checks
from workflows.errors import EXIT_OK, EXIT_REJECTED
from workflows.rules.base import STATUS_ZH


def _bar():
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[speed]}"),
        TimeRemainingColumn(),
        transient=True,
    )


@click.command("check")
@click.argument("ids", nargs=-1, type=int)
@click.option("--campaign", help="Only this campaign (name or id).")
@click.option("--deep", is_flag=True, help="Also decode every file once (black, frozen, audio levels, scan).")
@click.option("--audio", "audio_only", is_flag=True, help="Also run the audio pass (loudness, silence, clipping).")
@click.option("--jobs", type=click.IntRange(1, 64), help="Files measured at once (default: CPU count).")
@click.option("--rule", "pattern", help="Only rules matching this pattern, e.g. 'video.*'.")
@json_option
@click.pass_context
@errors
def check(ctx, ids, campaign, deep, audio_only, jobs, pattern, as_json):
    """技术规范检查 run the programme's technical checks."""
    station = open_station(ctx)
    tiers = checks.DEEP_TIERS if deep else checks.DEFAULT_TIERS + (("A",) if audio_only else ())
    stop = threading.Event()
    kwargs = dict(ids=list(ids) or None, campaign=campaign, tiers=tiers, jobs=jobs, rule=pattern, cancelled=stop.is_set)
    try:
        if not as_json and sys.stderr.isatty():
            with _bar() as bar:
                task = bar.add_task("检查", total=1.0, speed="")

                def progress(e):
                    name = Path(e["file"]).name
                    bar.update(
                        task,
                        completed=e["done"],
                        total=e["total"] or 1.0,
                        description=f"{e['tier']} {name[:30]}",
                        speed=f"{e['speed']:.1f}x" if e["speed"] else "",
                    )

                summary = checks.run(station, progress=progress, **kwargs)
        else:
            summary = checks.run(station, **kwargs)
    except KeyboardInterrupt:
        stop.set()
        click.echo("已取消检查", err=True)
        sys.exit(EXIT_REJECTED)
    rows = queries.submissions(station.db(), ids=summary.ids) if summary.ids else []

    def human(rs):
        m = summary.measured
        click.echo(
            f"检查作品 {summary.submissions} 件、媒体文件 {summary.files} 个（新测量："
            + "，".join(f"{t} {n}" for t, n in sorted(m.items()))
            + f"；使用缓存 {summary.cached}）"
        )
        for r in rs:
            bad = [f for f in r["findings"] if f["status"] in ("fail", "warn")]
            head = (
                "通过"
                if not bad
                else f"{sum(f['status'] == 'fail' for f in bad)} 项不通过，"
                f"{sum(f['status'] == 'warn' for f in bad)} 项警告"
            )
            click.echo(f"#{r['id']} {r['title']}：{head}")
            for f in bad:
                click.echo(f"  [{STATUS_ZH[f['status']]}] {f['rule']}：{f['message']}")

    emit(rows, as_json, human)
    failed = any(f["status"] == "fail" for r in rows for f in r["findings"])
    sys.exit(EXIT_REJECTED if failed or summary.cancelled else EXIT_OK)


@click.command("fix")
@click.argument("submission_id", type=int)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the compliant copies."
)
@json_option
@click.pass_context
@errors
def fix(ctx, submission_id, out_dir, as_json):
    """生成合规副本 write compliant copies of a work's failing media files (the original is never touched)."""
    made = fixes.run(open_station(ctx), submission_id, Path(out_dir))

    def human(items):
        if not items:
            click.echo("没有可以自动修正的问题")
        for item in items:
            click.echo(f"已生成：{item['output']}（修正 {'、'.join(item['rules'])}）")

    emit(made, as_json, human)


@click.command("report")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--xlsx", "xlsx_path", required=True, type=click.Path(dir_okay=False), help="Where to write the notice.")
@json_option
@click.pass_context
@errors
def report(ctx, ids, xlsx_path, as_json):
    """退回修改通知 write a per-work notice of what to fix, for the school."""
    from workflows import submissions

    result = submissions.return_notice(open_station(ctx), list(ids), Path(xlsx_path))
    emit(result, as_json, lambda r: click.echo(f"已写入 {r['path']}：{r['works']} 件作品，{r['problems']} 个问题"))


COMMANDS = [check, fix, report]
