"""The `station` command line: the root group, and every area's commands, listed explicitly and loaded lazily.

`AREAS` names each area module and the top-level commands it defines (its `COMMANDS`). The root group
imports an area module only when one of its commands runs (or when help lists them), so `station --version`,
`station list` or the TUI never pay for Textual, openpyxl, cryptography or the checks engine they do not use.
"""

from __future__ import annotations

import errno
import importlib
import sys

import click

from tui.cli import kit

# (area module, its top-level commands in the order of its COMMANDS list); tests check both agree.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tui.cli.core", ("campaign", "profiles", "import", "list", "show", "awards", "audit")),
    ("tui.cli.checks", ("check", "fix", "report")),
    ("tui.cli.doctor", ("doctor",)),
    ("tui.cli.review", ("decide", "reviewer")),
    ("tui.cli.bundles", ("keys", "export", "verify", "receive")),
    ("tui.cli.quotas", ("quota", "rules")),
    ("tui.cli.scoring", ("score", "scores", "assign", "rubric")),
    ("tui.cli.recommend", ("recommend", "summary")),
    ("tui.cli.submit", ("submit",)),
)


class LazyGroup(kit.Group):
    """The root group: a command's area module is imported when the command is looked up, not before."""

    def __init__(self, *args, areas: tuple[tuple[str, tuple[str, ...]], ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {name: module for module, names in areas for name in names}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.areas) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.areas:
            module = importlib.import_module(self.areas[name])
            for command in module.COMMANDS:
                self.add_command(command)
        return self.commands.get(name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        """click's main with Chinese messages for usage errors and ctrl+c (exit 130), then sys.exit."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.Abort as e:
            if isinstance(e.__cause__, EOFError):
                kit.echo("错误：输入已结束，操作已取消", err=True)
                sys.exit(1)
            kit.echo("已中断（Ctrl+C），操作已取消", err=True)
            sys.exit(kit.EXIT_INTERRUPTED)
        except KeyboardInterrupt:
            kit.echo("\n已中断（Ctrl+C），操作已取消", err=True)
            sys.exit(kit.EXIT_INTERRUPTED)
        except click.ClickException as e:
            kit.show_click_error(e)
            sys.exit(e.exit_code)
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            sys.stderr.close()  # the reader went away (`station list | head`): nothing more to say
            sys.exit(1)
        sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


@click.group(
    cls=LazyGroup,
    areas=AREAS,
    invoke_without_command=True,
    examples=[
        "station                      打开评审界面",
        "station import /srv/ftp/课后服务 --campaign 课后服务2024",
        "station list --json",
        "station 命令 --help           查看某个命令的用法",
    ],
)
@click.option(
    "--db", type=click.Path(dir_okay=False), envvar="STATION_DB", help="工作站数据库（其所在文件夹即工作站）。"
)
@click.option("--reviewer", help="本次使用的评审人姓名（默认：操作系统用户名）。")
@click.version_option(package_name="review-station", help="显示版本号并退出。")
@click.pass_context
def station(ctx: click.Context, db: str | None, reviewer: str | None) -> None:
    """评审工作站：导入、检查、评审、推荐和报送课程资源。不带命令时打开评审界面。"""
    ctx.obj = {"db": db, "reviewer": reviewer}
    if ctx.invoked_subcommand is None:
        _open_tui(ctx)


def _open_tui(ctx: click.Context) -> None:
    from tui.graphics import Probe

    probe = Probe().start()  # the terminal answers while Python imports the app (tui.graphics)
    try:
        from tui.app import StationApp
        from workflows.station import Station
    finally:
        graphics = probe.finish()

    try:
        StationApp(Station.open(ctx.obj["db"]), reviewer=ctx.obj["reviewer"], graphics=graphics).run()
    except kit.StationError as e:
        kit.fail(e, False)


def build(eager: bool = False) -> click.Group:
    """The root group (EAGER: with every area's commands loaded now, as help and the tests want them)."""
    if eager:
        for name in station.list_commands(click.Context(station)):
            station.get_command(click.Context(station), name)
    return station


def main() -> None:
    """The `station` entry point. Process-wide set-up happens where it is needed (`workflows.configure`)."""
    build().main(prog_name="station")  # the same name whether run as the script or with `python -m`


if __name__ == "__main__":
    main()
