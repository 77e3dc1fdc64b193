"""Review TUI responsiveness at 50,000 submissions, against a minimal Textual app in the same run.

    .venv/bin/python benchmarks/tui.py [--rows 50000] [--presses 40] [--launches 5] [--workdir DIR] [--json]

Builds a station database of ROWS submissions (authors, findings, search index) with plain SQL, then:

1. What a user waits for: LAUNCHES new processes each of `station --reviewer 基准` and of a minimal Textual
   app (one Label), started the same way in a pseudo-terminal of 80x24 (`pty`, which answers DA1 as every
   terminal does: the station asks for it to choose its picture mode), alternately. The time runs
   from just before exec to the first output in which the queue (a work's title) or the minimal app's label
   is on screen; the process is then asked to quit (ctrl+q). Medians, and the ratio (goal: at most 1.5x).
2. In one process, headless at 80x24: the minimal app and the station app on the queue. First paint (the
   first frame the compositor hands to the driver), and the median time from posting a key event to the
   next frame, for cursor moves (j) and for decisions (x = 不推荐, which records the decision on the writer
   thread and moves to the next undecided item; `r` first asks y/n on a work failing checks, so it would time
   the question, not the decision). Ratios to the minimal app (goal: decision at most 2x).

Prints both ratios from the one run. Never fails on the goals.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import random
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Label  # noqa: E402

import store  # noqa: E402
from store import audit  # noqa: E402
from workflows import campaigns  # noqa: E402
from workflows.station import Station  # noqa: E402

STAGES = ["小学", "初中", "高中"]
# Every terminal answers DA1 (`ESC [ c`) at once; the station's picture probe (tui/graphics.py) waits for that
# answer, so a pty that never answers would time the probe's timeout instead of what a user waits for.
DA1_QUERY, DA1_ANSWER = b"\x1b[c", b"\x1b[?62;22c"
SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "科学", "美术", "音乐", "体育", "信息技术"]
TOPICS = [
    "分数的初步认识",
    "光合作用",
    "春晓",
    "函数的图像",
    "趣味科学小实验",
    "剪纸艺术",
    "篮球基础",
    "经典诵读",
    "物理实验的数字化探究",
    "巧手做风筝",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
RULES = [("video.resolution", "fail"), ("audio.bitrate", "warn"), ("file.size", "pass"), ("media.duration", "pass")]
GOAL_FIRST_PAINT = 0.2
GOAL_DECISION_RATIO = 2.0
GOAL_LAUNCH_RATIO = 1.5

# The minimal app, launched as its own process exactly like the station.
MINIMAL_APP = """
from textual.app import App
from textual.widgets import Label


class Minimal(App):
    BINDINGS = [("ctrl+q", "quit")]

    def compose(self):
        yield Label("按键次数：0")


Minimal().run()
"""
ANSI = re.compile(
    r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][0-9A-Za-z]|[@-Z\\-_=>78])"
)


def build(db_path: Path, rows: int) -> Station:
    station = Station.open(db_path)
    campaigns.add(station, "基准测试", "after-school-2024", 2024)
    db = station.db()
    rnd = random.Random(4)
    now = audit.now()
    with store.write(db):
        subs, authors, findings = [], [], []
        for i in range(1, rows + 1):
            school = f"中牟县第{rnd.randint(1, 400)}{rnd.choice(['小学', '初级中学', '高级中学'])}"
            subs.append(
                (
                    i,
                    1,
                    f"bench/{i}",
                    "x",
                    f"{rnd.choice(TOPICS)}（{i}）",
                    rnd.choice(STAGES),
                    rnd.choice(SUBJECTS),
                    school,
                    "/srv/ftp",
                    now,
                    "imported",
                )
            )
            for ord_ in range(rnd.randint(1, 3)):
                authors.append(
                    (
                        i,
                        ord_,
                        rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)[: rnd.randint(0, 1)],
                        "第一作者" if ord_ == 0 else "团队成员",
                        school,
                    )
                )
            for rule, status in RULES:
                findings.append((i, rule, status if rnd.random() < 0.3 else "pass", "", now))
        db.conn.executemany(
            "INSERT INTO submissions (id, campaign_id, source_key, fingerprint, title, stage, subject,"
            " school, source, imported_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            subs,
        )
        db.conn.executemany("INSERT INTO authors (submission_id, ord, name, role, unit) VALUES (?,?,?,?,?)", authors)
        db.conn.executemany(
            "INSERT INTO findings (submission_id, rule, status, message, created_at) VALUES (?,?,?,?,?)", findings
        )
    db.execute("ANALYZE")
    return station


class MinimalApp(App):
    """The baseline: a (Chinese) label that changes on the same keys."""

    count = 0

    def compose(self) -> ComposeResult:
        yield Label("按键次数：0")

    def on_key(self, event: events.Key) -> None:
        self.count += 1
        self.query_one(Label).update(f"按键次数：{self.count}")


class FrameClock:
    """Timestamps of the frames an app hands to its driver."""

    def __init__(self, app: App):
        self.frames: list[float] = []
        self.event = asyncio.Event()
        original = app._display

        def display(screen, renderable):
            if renderable is not None:
                self.frames.append(time.perf_counter())
                self.event.set()
            return original(screen, renderable)

        app._display = display

    async def next_frame(self, timeout: float = 10.0) -> float:
        self.event.clear()
        await asyncio.wait_for(self.event.wait(), timeout)
        return self.frames[-1]


async def measure(make_app, presses: int, ready=lambda app: True, settle=None) -> dict:
    started = time.perf_counter()
    app = make_app()
    clock = FrameClock(app)
    async with app.run_test(size=(80, 24)) as pilot:
        while not (clock.frames and ready(app)):
            await clock.next_frame()
        first_paint = clock.frames[-1] - started
        await pilot.pause(0.2)
        result = {"first_paint": first_paint}
        for name, key in (("move", "j"), ("decide", "x")):
            times = []
            for _ in range(presses):
                clock.event.clear()
                t0 = time.perf_counter()
                app.post_message(events.Key(key, key))
                times.append(await clock.next_frame() - t0)
                if settle:
                    await settle(app, pilot)
                await pilot.pause(0.02)
            result[name] = statistics.median(times)
        await pilot.press("ctrl+q")
    return result


async def station_settle(app, pilot) -> None:
    screen = app.queue_screen()
    while screen.pending:
        await pilot.pause(0.005)


def launch(
    argv: list[str], env: dict, ready: re.Pattern, timeout: float = 60.0, linger: float = 0.0
) -> tuple[float, float]:
    """Seconds from just before exec of ARGV in a new 80x24 pseudo-terminal to output that matches READY,
    and the CPU seconds the process used from start to exit (less sensitive to a busy machine). The process
    is asked to quit LINGER seconds after READY."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of 80x24, then the program
        fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    raw, seen, elapsed = b"", "", None
    deadline = started + timeout
    while elapsed is None and time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        if DA1_QUERY in chunk:  # answer as a terminal does (xterm without Sixel): the station asks at start
            os.write(fd, DA1_ANSWER)
        raw += chunk
        seen = ANSI.sub("", raw.decode("utf-8", "ignore"))
        if ready.search(seen):
            elapsed = time.perf_counter() - started
    stop = time.perf_counter() + linger
    while time.perf_counter() < stop:  # keep reading: a full pty would block the process
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                break
    os.write(fd, b"\x11")  # ctrl+q
    stop = time.perf_counter() + 10
    while time.perf_counter() < stop:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
        done, _, usage = os.wait4(pid, os.WNOHANG)
        if done:
            pid = 0
            break
    if pid:
        os.kill(pid, signal.SIGKILL)
        _, _, usage = os.wait4(pid, 0)
    os.close(fd)
    if elapsed is None:
        raise RuntimeError(f"{argv[-1][:40]!r} showed nothing matching {ready.pattern!r}; last output: {seen[-300:]!r}")
    return elapsed, usage.ru_utime + usage.ru_stime


def measure_launches(db_path: Path, launches: int) -> dict:
    """Medians of LAUNCHES process starts of the station and of the minimal app, alternately.

    Both run with bytecode caches, as installed programs do (pip compiles the station's wheel as it does
    Textual's): with PYTHONDONTWRITEBYTECODE set, as on some build machines, an editable checkout would compile
    every module of the station from source on every launch (~0.15 s) while Textual's are cached. The caches go
    to a folder beside the database (PYTHONPYCACHEPREFIX), written by the unmeasured warm-up launches.
    """
    env = dict(
        os.environ,
        TERM="xterm-256color",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        STATION_DB=str(db_path),
        PYTHONPYCACHEPREFIX=str(db_path.parent / "pycache"),
    )
    env.pop("TEXTUAL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = Path(sys.executable).parent / "station"
    station = [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli.main"]
    station += ["--reviewer", "基准"]
    minimal = [sys.executable, "-c", MINIMAL_APP]
    times: dict[str, list[float]] = {"minimal": [], "station": [], "minimal_cpu": [], "station_cpu": []}
    launch(minimal, env, re.compile("按键次数"))  # warm the file and bytecode caches for both, unmeasured
    launch(station, env, re.compile(r"（\d+）"), linger=3.0)  # and what it imports after its first frame
    for _ in range(launches):
        for name, argv, ready in (("minimal", minimal, "按键次数"), ("station", station, r"（\d+）")):
            wall, cpu = launch(argv, env, re.compile(ready))
            times[name].append(wall)
            times[name + "_cpu"].append(cpu)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--launches", type=int, default=5, help="process starts of each app (in a pty)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from tui.app import StationApp
    from tui.screens.queue import QueueScreen

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        t = time.perf_counter()
        station = build(Path(tmp) / "station.db", args.rows)
        built = time.perf_counter() - t
        launched = measure_launches(Path(tmp) / "station.db", args.launches)
        baseline = asyncio.run(measure(MinimalApp, args.presses))
        ours = asyncio.run(
            measure(
                lambda: StationApp(station, reviewer="基准"),
                args.presses,
                ready=lambda app: isinstance(app.screen, QueueScreen),
                settle=station_settle,
            )
        )
    report = {
        "rows": args.rows,
        "build_seconds": round(built, 2),
        "baseline": {k: round(v * 1000, 2) for k, v in baseline.items()},
        "station": {k: round(v * 1000, 2) for k, v in ours.items()},
        "ratio": {k: round(ours[k] / baseline[k], 2) for k in ours},
        "launch": {
            "minimal_ms": round(launched["minimal"] * 1000, 1),
            "station_ms": round(launched["station"] * 1000, 1),
            "ratio": round(launched["station"] / launched["minimal"], 2),
            "minimal_cpu_ms": round(launched["minimal_cpu"] * 1000, 1),
            "station_cpu_ms": round(launched["station_cpu"] * 1000, 1),
            "cpu_ratio": round(launched["station_cpu"] / launched["minimal_cpu"], 2),
        },
    }
    launch_ratio = report["launch"]["ratio"]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"{args.rows} submissions (database built in {built:.1f} s)")
        print(
            f"launch in a pty, 80x24, exec to first frame with the queue (median of {args.launches}): "
            f"minimal app {launched['minimal'] * 1000:.0f} ms, station {launched['station'] * 1000:.0f} ms, "
            f"ratio {launch_ratio:.2f}x"
        )
        print(
            f"  CPU of each whole run (start, first frame, ctrl+q, exit): minimal app "
            f"{launched['minimal_cpu'] * 1000:.0f} ms, station {launched['station_cpu'] * 1000:.0f} ms, "
            f"ratio {report['launch']['cpu_ratio']:.2f}x"
        )
        print(f"in-process, headless 80x24, medians of {args.presses} keys:")
        print(f"{'':<22}{'minimal app':>14}{'station':>12}{'ratio':>9}")
        for key, label in (("first_paint", "first paint"), ("move", "cursor move (j)"), ("decide", "decision (x)")):
            print(
                f"{label:<22}{baseline[key] * 1000:>11.1f} ms{ours[key] * 1000:>9.1f} ms{ours[key] / baseline[key]:>8.2f}x"
            )
        print(
            f"goals: launch <= {GOAL_LAUNCH_RATIO}x minimal app "
            f"({'met' if launch_ratio <= GOAL_LAUNCH_RATIO else 'NOT met'}); "
            f"first paint < {GOAL_FIRST_PAINT * 1000:.0f} ms "
            f"({'met' if ours['first_paint'] < GOAL_FIRST_PAINT else 'NOT met'}); decision <= "
            f"{GOAL_DECISION_RATIO:.0f}x minimal app ({'met' if report['ratio']['decide'] <= GOAL_DECISION_RATIO else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
