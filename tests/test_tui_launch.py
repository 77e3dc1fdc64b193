"""Issue 14, start-up time: `station` opens the TUI without the command line stack, and the first frame of the
queue needs neither sqlite_utils (nor numpy, which sqlite_utils imports when it is installed) nor click.

The first test runs the real app in a fresh process (headless, 80x24) and records `sys.modules` when the first
frame of the queue is handed to the driver; the others run the real `station` entry module as a subprocess
and compare it with the click CLI it hands every other argument list to.
"""

import json
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT
from sample_station import copy_station, sample, sample_master  # noqa: F401

from tui.launch import tui_options

# Run in a fresh process: open the station, run the app headless, note what is imported at the first frame
# Textual really draws (not during a batch, not its blank default screen).
FIRST_FRAME = r"""
import asyncio, json, sys
from tui import launch
from tui.app import StationApp
from workflows.station import Station

seen = {}


async def main(db):
    app = StationApp(Station.open(db), reviewer="评审甲")
    original = app._display

    def display(screen, renderable):
        if renderable is not None and not seen and not app._batch_count and screen.id != "_default":
            seen["modules"] = sorted(sys.modules)
            seen["screen"] = type(screen).__name__
            seen["total"] = screen.model.total
        return original(screen, renderable)

    app._display = display
    async with app.run_test(size=(80, 24)) as pilot:
        while not seen:
            await pilot.pause(0.01)


asyncio.run(main(sys.argv[1]))
print(json.dumps(seen))
"""

NOT_BEFORE_FIRST_FRAME = (
    "sqlite_utils",
    "numpy",
    "click",
    "dateutil",
    "pluggy",
    "tui.cli",
    "workflows.profiles",
    "PIL",
)


def test_first_frame_of_the_queue_needs_neither_sqlite_utils_nor_click(sample):  # noqa: F811
    p = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(sample.db_path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert p.returncode == 0, p.stderr[-3000:]
    seen = json.loads(p.stdout.strip().splitlines()[-1])
    assert seen["screen"] == "QueueScreen"
    live = sample.conn().execute("SELECT COUNT(*) FROM submissions WHERE status != 'superseded'").fetchone()[0]
    assert seen["total"] == live > 0
    modules = seen["modules"]
    assert "textual.app" in modules and "store.queue" in modules  # the record is real
    early = sorted(m for m in modules for top in NOT_BEFORE_FIRST_FRAME if m == top or m.startswith(top + "."))
    assert early == []


@pytest.mark.parametrize(
    "args, env, expected",
    [
        ([], {}, {"db": None, "reviewer": None}),
        ([], {"STATION_DB": "/srv/s/station.db"}, {"db": "/srv/s/station.db", "reviewer": None}),
        (["--db", "a.db", "--reviewer", "李老师"], {"STATION_DB": "b.db"}, {"db": "a.db", "reviewer": "李老师"}),
        (["--reviewer=李老师", "--db=a.db"], {}, {"db": "a.db", "reviewer": "李老师"}),
    ],
)
def test_the_entry_point_recognises_the_tui(args, env, expected):
    assert tui_options(args, env) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["list"],
        ["--db", "a.db", "list", "--json"],
        ["--db"],  # click says the value is missing
        ["--db", ""],
        ["--db", "--reviewer", "x"],
        ["--db", "a.db", "--db", "b.db"],
        ["--reviewer", "x", "--"],
        ["--dbx", "a.db"],
    ],
)
def test_everything_else_goes_to_click(args):
    assert tui_options(args, {}) is None


def test_a_directory_as_database_goes_to_click_and_fails_as_before(tmp_path):
    assert tui_options(["--db", str(tmp_path)], {}) is None
    assert tui_options([], {"STATION_DB": str(tmp_path)}) is None
    runs = [
        subprocess.run(
            [sys.executable, "-m", module, "--db", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        for module in ("tui.launch", "tui.cli.main")
    ]
    assert runs[0].returncode == runs[1].returncode == 2
    assert runs[0].stderr == runs[1].stderr and str(tmp_path) in runs[0].stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["decide", "--help"]])
def test_the_entry_point_answers_as_the_cli(args):
    out = [
        subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
        for module in ("tui.launch", "tui.cli.main")
    ]
    assert out[0].returncode == out[1].returncode == 0
    assert out[0].stdout == out[1].stdout and out[0].stdout.strip()


def test_the_console_script_is_the_entry_module():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert scripts["station"] == "tui.launch:main"
