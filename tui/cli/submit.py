"""`station submit`: write what the campaign's notice asks the county to send upward."""

from __future__ import annotations

import click

from tui.cli.kit import command, echo
from workflows.errors import EXIT_OK, EXIT_REJECTED


@command(
    None,
    "submit",
    examples=[
        "station submit --campaign 信息化2024 --out /media/u盘/上报",
        "station submit --campaign 课后服务2024 --out 上报材料 --unit 某某县教育局",
    ],
)
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="新建的输出文件夹。")
@click.option("--unit", help="表格上的报送单位名称（默认：本站密钥登记的单位名称）。")
def submit(run, campaign, out, unit):
    """上报材料：按通知要求写出推荐作品、汇总表、表格和待办.txt；重新导入复核发现目录、命名或缺项问题时退出码为 1。"""
    from workflows.recommend import submit as submit_wf

    result = submit_wf.run(run.station, campaign, out, unit)
    run.emit(result, _human)
    return EXIT_REJECTED if result["problems"] else EXIT_OK


def _human(r: dict) -> None:
    echo(f"{r['campaign']}：{r['works']} 件推荐作品的上报材料已写入 {r['out']}")
    for f in r["files"]:
        echo(f"  {f}")
    echo(f"待办事项 {len(r['todo'])} 项，见 待办.txt")
    if r["problems"]:
        echo("复核（重新导入）发现问题：", err=True)
        for p in r["problems"]:
            echo(f"  {p}", err=True)
    elif r["verified"]:
        echo("复核：重新导入无目录、命名或材料缺项问题")


COMMANDS = [submit]
