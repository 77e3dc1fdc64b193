"""Shared pieces of the `station` command modules: JSON/human output, error handling, station lookup."""

from __future__ import annotations

import functools
import json
import sys

import click

from workflows.errors import EXIT_USAGE, StationError
from workflows.station import Station


def emit(data, as_json: bool, human) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        human(data)


def errors(fn):
    """StationError -> a Chinese message (or a JSON error object) and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StationError as e:
            if kwargs.get("as_json"):
                click.echo(json.dumps({"error": e.as_dict()}, ensure_ascii=False))
            else:
                click.echo(f"错误：{e.message}（{e.code}）", err=True)
            sys.exit(EXIT_USAGE)

    return wrapper


def station(ctx: click.Context) -> Station:
    return Station.open(ctx.obj["db"])


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
