"""`station check`, `station fix`, `station report`."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from store import queries
from tui.cli.kit import EXIT_INTERRUPTED, command, echo, safe
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


@command(
    None,
    "check",
    examples=["station check", "station check 12 13 --deep", "station check --campaign 课后服务2024 --rule 'video.*'"],
)
@click.argument("ids", nargs=-1, type=int, metavar="[编号]...")
@click.option("--campaign", help="只检查这个征集活动（名称或编号）。")
@click.option("--deep", is_flag=True, help="另把每个文件完整解码一遍（黑屏、静帧、音量、逐帧扫描）。")
@click.option("--audio", "audio_only", is_flag=True, help="另做音频检查（响度、静音、削波）。")
@click.option("--jobs", type=click.IntRange(1, 64), help="同时测量的文件数（默认：CPU 核数）。")
@click.option("--rule", "pattern", help="只做编号匹配此模式的规则，如 'video.*'。")
def check(run, ids, campaign, deep, audio_only, jobs, pattern):
    """技术规范检查：按项目配置检查作品（不给编号时检查全部；退出码 1：有不通过项）。"""
    station = run.station
    as_json = run.json
    tiers = checks.DEEP_TIERS if deep else checks.DEFAULT_TIERS + (("A",) if audio_only else ())
    stop = threading.Event()
    kwargs = dict(ids=list(ids) or None, campaign=campaign, tiers=tiers, jobs=jobs, rule=pattern, cancelled=stop.is_set)
    try:
        if not as_json and sys.stderr.isatty():
            with _bar() as bar:
                task = bar.add_task("检查", total=1.0, speed="")

                def progress(p):  # a workflows.progress.Progress
                    bar.update(
                        task,
                        completed=p.done,
                        total=p.total or 1.0,
                        description=safe(Path(p.item).name[:30]),
                        speed=f"{p.speed:.1f}x" if p.speed else "",
                    )

                summary = checks.run(station, progress=progress, **kwargs)
        else:
            summary = checks.run(station, **kwargs)
    except KeyboardInterrupt:
        stop.set()
        echo("已取消检查", err=True)
        return EXIT_INTERRUPTED
    rows = queries.submissions(station.db(), ids=summary.ids) if summary.ids else []

    def human(rs):
        m = summary.measured
        echo(
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
            echo(f"#{r['id']} {r['title']}：{head}")
            for f in bad:
                echo(f"  [{STATUS_ZH[f['status']]}] {f['rule']}：{f['message']}")

    run.emit(rows, human)
    failed = any(f["status"] == "fail" for r in rows for f in r["findings"])
    return EXIT_REJECTED if failed or summary.cancelled else EXIT_OK


@command(None, "fix", examples=["station fix 12 --out 合规副本/"])
@click.argument("submission_id", type=int, metavar="编号")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="合规副本写入的文件夹。")
def fix(run, submission_id, out_dir):
    """生成合规副本：为作品中不合规的媒体文件生成修正后的副本（原文件不动）。"""
    made = fixes.run(run.station, submission_id, Path(out_dir))

    def human(items):
        if not items:
            echo("没有可以自动修正的问题")
        for item in items:
            echo(f"已生成：{item['output']}（修正 {'、'.join(item['rules'])}）")

    run.emit(made, human)


@command(None, "report", examples=["station report 12 15 --xlsx 退回修改通知.xlsx"])
@click.argument("ids", nargs=-1, type=int, required=True, metavar="编号...")
@click.option("--xlsx", "xlsx_path", required=True, type=click.Path(dir_okay=False), help="通知写入的 xlsx 文件。")
def report(run, ids, xlsx_path):
    """退回修改通知：逐件写明学校需要修改的问题（xlsx）。"""
    from workflows import submissions

    result = submissions.return_notice(run.station, list(ids), Path(xlsx_path))
    run.emit(result, lambda r: echo(f"已写入 {r['path']}：{r['works']} 件作品，{r['problems']} 个问题"))


COMMANDS = [check, fix, report]
