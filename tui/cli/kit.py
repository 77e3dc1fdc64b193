"""Shared pieces of the `station` commands: the one command decorator, Chinese help, safe output, exit codes.

Every command is declared with `command(...)` (or `group(...)` for a group of commands). The decorator adds
`--json`, hands the command a `Run` (the station, opened on first use; the session's reviewer; JSON or human
output), turns a `StationError` into `错误：…（code）` on stderr (or a JSON error object) with exit 2, and makes
the command's returned integer its exit code. Human output goes through `echo`/`Run.emit`, which escape control
characters, so a file name or a teacher's text can never drive the terminal (escape sequences, CR, BS, BEL, OSC).

This module stays light: it is imported by the `station` entry point before any command runs.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import click

from tui.safe_text import safe  # one escaping for the CLI and the TUI
from workflows.errors import EXIT_USAGE, StationError

EXIT_INTERRUPTED = 130  # ctrl+c, as shells report a SIGINT death

# --- safe text ---------------------------------------------------------------------------------


def printable(data: Any) -> Any:
    """A copy of DATA (dicts, lists, tuples) whose strings are `safe`: what human output may show."""
    if isinstance(data, str):
        return safe(data)
    if isinstance(data, dict):
        return {printable(k): printable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [printable(v) for v in data]
    if isinstance(data, tuple):
        return tuple(printable(v) for v in data)
    return data


def echo(text: object = "", err: bool = False, nl: bool = True) -> None:
    """The one way the commands print for people: control characters escaped, the lines of TEXT kept."""
    click.echo(safe(text, keep_newlines=True), err=err, nl=nl)


def status(text: str) -> None:
    """A progress line on stderr that the next one overwrites (the one place a raw CR is written)."""
    click.echo("\r" + safe(text), nl=False, err=True)


def echo_json(data: Any, indent: int | None = 2) -> None:
    """Machine output: exact JSON (json escapes control characters itself)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


# --- help in Chinese ---------------------------------------------------------------------------

_HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_TERMS = [
    ("Show this message and exit.", "显示本帮助并退出。"),
    ("Show the version and exit.", "显示版本号并退出。"),
    ("[default: ", "[默认："),
    ("[required]", "[必填]"),
    ("[env var: ", "[环境变量："),
]
_METAVARS = [
    (" INTEGER RANGE", " 整数"),
    (" FLOAT RANGE", " 数值"),
    (" INTEGER", " 整数"),
    (" FLOAT", " 数值"),
    (" TEXT", " 文本"),
    (" FILE", " 文件"),
    (" DIRECTORY", " 文件夹"),
    (" PATH", " 路径"),
]


def _zh(text: str, table: Iterable[tuple[str, str]]) -> str:
    for en, zh in table:
        text = text.replace(en, zh)
    return text


def cells(text: str) -> int:
    """Terminal cells TEXT takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = set("，。；：、）」』！？")
_TOKENS = re.compile(r"[\x21-\x7e]+|\s+|.")


def wrap(text: str, width: int) -> list[str]:
    """TEXT in lines of at most WIDTH cells: words stay whole, CJK text breaks between any two characters."""
    lines, line, used = [], "", 0
    for token in _TOKENS.findall(text):
        if token.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        n = cells(token)
        if used + n > width and line.strip():
            carry = line[-1] if token in _NO_LINE_START and len(line.strip()) > 1 else ""  # no line starts with ，。
            lines.append(line[: len(line) - len(carry)].rstrip())
            line, used = carry, cells(carry)
        line, used = line + token, used + n
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


class HelpFormatter(click.HelpFormatter):
    """click's help layout, measured in terminal cells, with click's own English words in Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND", "命令").replace("[ARGS]", "[参数]")
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_HEADINGS.get(heading, heading))

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 20)
        paragraphs = []
        for para in re.split(r"\n[ \t]*\n", text.strip("\n")):
            if para.startswith("\b"):
                paragraphs.append("\n".join(indent + line for line in para[1:].strip("\n").splitlines()))
            else:
                paragraphs.append("\n".join(indent + line for line in wrap(" ".join(para.split()), width)))
        self.write("\n\n".join(paragraphs) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_zh(a, _METAVARS), _zh(b, _TERMS)) for a, b in rows]
        if not rows:
            return
        first = min(max(cells(a) for a, _ in rows), col_max) + col_spacing
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent - first, 20)
        for term, text in rows:
            self.write(indent + term)
            if not text:
                self.write("\n")
                continue
            if cells(term) <= first - col_spacing:
                self.write(" " * (first - cells(term)))
            else:
                self.write("\n" + indent + " " * first)
            lines = wrap(text, width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(indent + " " * first + line + "\n")


class Context(click.Context):
    formatter_class = HelpFormatter


class Command(click.Command):
    """A `station` command: Chinese help and a `示例:` section."""

    context_class = Context

    def __init__(self, *args, examples: Iterable[str] = (), **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        self.examples = list(examples)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        if self.examples:
            formatter.write_paragraph()
            formatter.write("示例:\n")
            for line in self.examples:
                formatter.write(f"  {line}\n")


class Group(Command, click.Group):
    """A group of `station` commands: Chinese help, examples, and subcommands of the same kind."""

    command_class = Command
    group_class = type

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0]
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing and not name.startswith("-"):
            raise click.UsageError(f"没有“{name}”这个命令", ctx)
        return super().resolve_command(ctx, args)


# --- the one decorator -------------------------------------------------------------------------


class Run:
    """What a command gets: the station (opened on first use), the session's reviewer, output in JSON or for people."""

    def __init__(self, ctx: click.Context, as_json: bool):
        self.ctx = ctx
        self.json = as_json
        self._station = None

    @property
    def options(self) -> dict:
        return self.ctx.obj or {}

    @property
    def db(self) -> str | None:
        """The --db / STATION_DB path as given (None: the default station)."""
        return self.options.get("db")

    @property
    def reviewer(self) -> str | None:
        """The session's --reviewer, if given."""
        return self.options.get("reviewer")

    @property
    def station(self):
        if self._station is None:
            from workflows.station import Station

            self._station = Station.open(self.db)
        return self._station

    def emit(self, data: Any, human: Callable[[Any], Any]) -> None:
        """DATA as JSON, or handed to HUMAN with every string made safe for the terminal."""
        if self.json:
            echo_json(data)
        else:
            human(printable(data))


def fail(error: StationError, as_json: bool) -> None:
    """A StationError as the user sees it, then exit 2."""
    if as_json:
        echo_json({"error": error.as_dict()}, indent=None)
    else:
        echo(f"错误：{error.message}（{error.code}）", err=True)
    sys.exit(EXIT_USAGE)


_JSON_HELP = "输出机器可读的 JSON。"


def command(parent: click.Group | None, name: str, *, examples: Iterable[str], cls: type = Command, **attrs):
    """Declare a `station` command NAME (under PARENT, or top-level when None).

    The decorated function takes a `Run` first, then its own options; it returns its exit code (None: 0).
    Adds `--json`; StationError -> Chinese message with its code, exit 2. EXAMPLES go to `--help` under 示例.
    """

    def decorate(fn: Callable[..., int | None]) -> click.Command:
        @functools.wraps(fn)
        def callback(as_json: bool, **kwargs: Any) -> int:
            ctx = click.get_current_context()
            try:
                code = fn(Run(ctx, as_json), **kwargs)
            except StationError as e:
                fail(e, as_json)
            if code:
                ctx.exit(code)
            return 0

        params = list(getattr(fn, "__click_params__", []))
        callback.__click_params__ = [click.Option(["--json", "as_json"], is_flag=True, help=_JSON_HELP)] + params  # type: ignore[attr-defined]
        maker = parent.command if parent is not None else click.command
        return maker(name, cls=cls, examples=examples, **attrs)(callback)

    return decorate


def group(parent: click.Group | None, name: str, *, examples: Iterable[str], help: str, **attrs) -> click.Group:
    """Declare a group of `station` commands that does nothing itself (`station keys`, `station quota`, …)."""

    def noop() -> None:
        pass

    maker = parent.command if parent is not None else click.command
    return maker(name, cls=Group, examples=examples, help=help, **attrs)(noop)


# --- click's own errors, in Chinese ------------------------------------------------------------

_CLICK_MESSAGES = [
    (re.compile(r"^'(.*)' is not a valid integer( range)?\.$", re.S), "“\\1”不是整数"),
    (re.compile(r"^'(.*)' is not a valid float( range)?\.$", re.S), "“\\1”不是数值"),
    (re.compile(r"^'(.*)' is not one of (.*)\.$", re.S), "“\\1”不是可选的值（可选：\\2）"),
    (re.compile(r"^'(.*)' is not (.*)\.$", re.S), "“\\1”不是可选的值（可选：\\2）"),
    (re.compile(r"^(.*) is not in the range (.*)\.$", re.S), "\\1 不在 \\2 范围内"),
    (re.compile(r"^(?:File|Directory|Path) '(.*)' does not exist\.$", re.S), "“\\1”不存在"),
    (re.compile(r"^File '(.*)' is a directory\.$", re.S), "“\\1”是文件夹，不是文件"),
    (re.compile(r"^Directory '(.*)' is a file\.$", re.S), "“\\1”是文件，不是文件夹"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$", re.S), "多余的参数：\\1"),
    (re.compile(r"^Option '(.*)' requires an argument\.$", re.S), "选项 \\1 需要一个值"),
    (re.compile(r"^Option '(.*)' does not take a value\.$", re.S), "选项 \\1 不带值"),
]


def click_message(e: click.ClickException) -> str:
    """click's (English) error message for E, in Chinese where the kind is known."""
    from click import exceptions as ce

    if isinstance(e, ce.NoSuchOption):
        maybe = "、".join(sorted(e.possibilities or ()))
        return f"没有 {e.option_name} 这个选项" + (f"（是不是 {maybe}？）" if maybe else "")
    if isinstance(e, ce.MissingParameter):
        hint = e.param.get_error_hint(e.ctx) if e.param is not None and e.ctx is not None else ""
        kind = e.param_type or (e.param.param_type_name if e.param is not None else "")
        return f"缺少{'选项' if kind == 'option' else '参数'} {hint}".rstrip()
    message = e.message
    for pattern, zh in _CLICK_MESSAGES:
        if pattern.match(message):
            message = pattern.sub(zh, message)
            break
    if isinstance(e, ce.BadParameter):
        hint = e.param_hint or (e.param.get_error_hint(e.ctx) if e.param is not None and e.ctx is not None else "")
        if isinstance(hint, list | tuple):
            hint = " / ".join(hint)
        return f"{hint} 的值无效：{message}" if hint else f"值无效：{message}"
    return message


def show_click_error(e: click.ClickException) -> None:
    """A usage error as click shows it (usage line, where to find help, the error), in Chinese, on stderr."""
    ctx = getattr(e, "ctx", None)
    if isinstance(e, getattr(click.exceptions, "NoArgsIsHelpError", ())) and ctx is not None:
        echo(ctx.get_help(), err=True)  # a group run without its command: its help, as click does
        return
    if isinstance(e, click.UsageError) and ctx is not None:
        echo(ctx.get_usage(), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            echo(f"请运行“{ctx.command_path} --help”查看帮助。", err=True)
        echo(err=True)
    echo(f"错误：{click_message(e)}", err=True)
