"""The `station` console entry point: the review TUI without the command line stack, everything else to click.

`station` alone (optionally with `--db PATH` / `--db=PATH`, `--reviewer NAME` / `--reviewer=NAME`, each at most
once) opens the TUI, and importing click and the CLI kit first would only delay its first frame. `tui_options`
recognises exactly that case from argv; any other argument list (a command, `--help`, `--version`, an unknown or
repeated option, a value click would refuse) goes to the click group of `tui.cli.main` unchanged, so its
behaviour, help and error messages stay the one definition.
"""

from __future__ import annotations

import os
import sys

# The root group's options that open the TUI when no command follows them (see tui.cli.main.station).
TUI_OPTIONS = ("--db", "--reviewer")


def tui_options(args: list[str], env: dict | os._Environ) -> dict[str, str | None] | None:
    """{"db": …, "reviewer": …} when ARGS (argv without the program) just opens the TUI, else None.

    The database comes from `--db`, else env STATION_DB (as click's envvar); a value click's
    `Path(dir_okay=False)` would refuse (empty, an existing directory or unreadable file) or one that looks like an option
    leaves the decision to click.
    """
    found: dict[str, str | None] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if name not in TUI_OPTIONS or name in found:
            return None
        if not eq:
            if not rest:
                return None
            value = rest.pop(0)
        if not value or value.startswith("-"):
            return None
        found[name] = value
    db = found.get("--db") or env.get("STATION_DB") or None
    if db is not None and os.path.exists(db) and (os.path.isdir(db) or not os.access(db, os.R_OK)):
        return None
    return {"db": db, "reviewer": found.get("--reviewer")}


def main() -> None:
    options = tui_options(sys.argv[1:], os.environ)
    if options is None:
        from tui.cli.main import main as cli_main

        cli_main()
        return
    try:
        open_tui(options["db"], options["reviewer"])
    except KeyboardInterrupt:  # before the app owns the terminal (it reads ctrl+c as a key)
        from tui import strings as S

        print("\n" + S.INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    sys.exit(0)


def open_tui(db: str | None, reviewer: str | None) -> None:
    """What `station` without a command does (tui.cli.main._open_tui), without click."""
    from tui.graphics import Probe

    probe = Probe().start()  # the terminal answers while Python imports the app (tui.graphics)
    try:
        from tui.app import StationApp
        from workflows.errors import StationError
        from workflows.station import Station
    finally:
        graphics = probe.finish()

    try:
        StationApp(Station.open(db), reviewer=reviewer, graphics=graphics).run()  # no name: the app asks
    except StationError as e:
        from tui.cli import kit  # the error path may pay for click: the message is the CLI's

        kit.fail(e, False)


if __name__ == "__main__":
    main()
