"""The `station` command line: the root group with every area's commands, listed explicitly."""

from __future__ import annotations

import click

from tui.cli import bundles, checks, core, doctor, quotas, recommend, review, scoring

# Each area module lists its top-level click commands and groups in COMMANDS.
AREAS = (checks, doctor, review, bundles, quotas, scoring, recommend)


def build() -> click.Group:
    """The root group with every area's commands (idempotent: a command is replaced by its name)."""
    group = core.main
    for area in AREAS:
        for command in area.COMMANDS:
            group.add_command(command)
    return group


def main() -> None:
    """The `station` entry point: process-wide set-up once, then the command line."""
    from workflows import configure

    configure.process()
    build()()


if __name__ == "__main__":
    main()
