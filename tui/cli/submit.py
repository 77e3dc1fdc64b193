"""`station submit`: write what the campaign's notice asks the county to send upward."""

from __future__ import annotations

import sys

import click

from tui.cli.kit import emit, errors, json_option
from tui.cli.kit import station as open_station
from workflows.errors import EXIT_OK, EXIT_REJECTED
from workflows.recommend import submit as submit_wf


@click.command("submit")
@click.option("--campaign", help="Campaign name or id (default: the only one).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="A new folder for the materials.")
@click.option("--unit", help="The reporting unit's name for the forms (default: the station's key org name).")
@json_option
@click.pass_context
@errors
def submit(ctx, campaign, out, unit, as_json):
    """上报材料: the recommended works in the notice's layout, its 汇总表 and forms, and 待办.txt; exit 1 when the
    re-import check finds a layout, naming or component problem."""
    result = submit_wf.run(open_station(ctx), campaign, out, unit)
    emit(result, as_json, _human)
    sys.exit(EXIT_REJECTED if result["problems"] else EXIT_OK)


def _human(r: dict) -> None:
    click.echo(f"{r['campaign']}：{r['works']} 件推荐作品的上报材料已写入 {r['out']}")
    for f in r["files"]:
        click.echo(f"  {f}")
    click.echo(f"待办事项 {len(r['todo'])} 项，见 待办.txt")
    if r["problems"]:
        click.echo("复核（重新导入）发现问题：", err=True)
        for p in r["problems"]:
            click.echo(f"  {p}", err=True)
    elif r["verified"]:
        click.echo("复核：重新导入无目录、命名或材料缺项问题")


COMMANDS = [submit]


if __name__ == "__main__":  # `python -m tui.cli.submit …` = `station …` with this module's commands registered
    from tui.cli import main as cli_main

    root = cli_main.build()
    for command in COMMANDS:
        root.add_command(command)
    from workflows import configure

    configure.process()
    root()
