"""End to end: the real `station` command in tmux at 80x24, driven by keys and read back with capture-pane."""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from rich.cells import cell_len
from sample_station import sample, sample_master  # noqa: F401

from store import queries
from store import queue as q
from workflows.review import decide as review
from workflows.review.eligibility import technical_failures

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
WIDTH, HEIGHT = 80, 24


class Tmux:
    def __init__(self, db: Path, tail: str = ""):
        self.socket = f"station-test-{uuid.uuid4().hex[:8]}"
        station = Path(sys.executable).parent / "station"
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "-e",
            f"STATION_DB={db}",
            "-e",
            "LANG=C.UTF-8",
            "-e",
            "LC_ALL=C.UTF-8",
            f"{station} --reviewer 终端测试员{tail}",
        )
        self.tmux("set-option", "-s", "escape-time", "10")

    def tmux(self, *args) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args],
            check=True,
            capture_output=True,
            text=True,
            env=dict(os.environ, TERM="xterm-256color"),
        ).stdout

    def keys(self, *keys: str, pause: float = 0.3) -> None:
        for key in keys:  # one at a time: Esc followed at once by a key would read as Alt+key
            self.tmux("send-keys", "-t", "0", key)
            time.sleep(pause)

    def text(self, literal: str) -> None:
        self.tmux("send-keys", "-t", "0", "-l", literal)
        time.sleep(0.3)

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-N", "-t", "0").split("\n")[:HEIGHT]

    def wait_for(self, text: str, timeout: float = 20) -> list[str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            lines = self.screen()
            if any(text in line for line in lines):
                return lines
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on screen:\n" + "\n".join(self.screen()))

    def alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session"], capture_output=True).returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def assert_full_width(lines: list[str]) -> None:
    """Every painted line is exactly the terminal width. (tmux keeps nothing of a row that was only
    cleared, so an empty row is a blank line, not a short one.)"""
    assert len(lines) == HEIGHT
    painted = [(n, line) for n, line in enumerate(lines) if line]
    assert len(painted) >= HEIGHT // 2
    for number, line in painted:
        assert cell_len(line) == WIDTH, f"line {number} is {cell_len(line)} cells: {line!r}"


def test_station_in_tmux(sample):
    order = q.ids(sample.db(), q.Filter())  # the queue's order
    total = len(order)
    t = Tmux(sample.db_path)
    try:
        lines = t.wait_for(f"第 1/{total} 条")
        assert_full_width(lines)
        assert "评审工作站" in lines[0] and "评审人：终端测试员" in lines[0]
        assert "编号" in lines[1] and "作品名称" in lines[1] and "决定" in lines[1]
        first = queries.submissions(sample.db(), ids=order[:1])[0]["title"]
        assert any(first in line for line in lines)
        third_id = order[2]
        failing = len(technical_failures(sample.db(), [third_id]).get(third_id, []))
        assert failing
        t.keys("j", "j", "r")
        t.wait_for(f"技术检查有 {failing} 项不通过")  # a failing work: asked first
        t.keys("y")
        lines = t.wait_for(f"第 4/{total} 条")
        assert_full_width(lines)
        third = lines[4]
        assert "推荐" in third, third
        t.keys("/")
        t.text("王芳")
        t.keys("Enter")
        lines = t.wait_for("第 1/1 条")
        assert_full_width(lines)
        assert "物理实验的数字化探究" in lines[2] and "搜索「王芳」" in lines[-2]
        t.keys("Enter")
        lines = t.wait_for("检查结论")  # the detail view opens on the verdict
        assert_full_width(lines)
        t.keys("Escape")
        t.keys("?")
        lines = t.wait_for("按键说明")
        assert_full_width(lines)
        t.keys("Escape")
        t.keys("x")  # a dialog is not needed for one item
        lines = t.wait_for("不推荐")
        assert_full_width(lines)
        t.keys("C-q")
        for _ in range(50):
            if not t.alive():
                break
            time.sleep(0.1)
        assert not t.alive()
    finally:
        t.close()
    decided = {i: s for i, s in review.current(sample.db(), order).items() if s.decision}
    assert {s.decision for s in decided.values()} == {"recommend", "reject"}
    assert {s.reviewer for s in decided.values()} == {"终端测试员"}


def test_keys_typed_while_a_screen_is_built_reach_that_screen(station, campaign, sample_master):
    """A section key makes its screen current at once but builds it over the next moments: Enter and the
    path typed right after `2` must reach the import screen's field (they were lost, and the path's `4`
    switched to the queue)."""
    campaign("after-school-2024", "课后服务2024")
    source = str(sample_master / "share" / "课后服务2024")
    t = Tmux(station.db_path)
    try:
        t.wait_for("评审人：终端测试员")
        t.keys("2", "Enter", pause=0.01)
        t.text(source)
        lines = t.wait_for(source[-30:])
        assert lines[-1].rstrip().endswith("F1 按键")  # the field has the keys
    finally:
        t.close()


def test_ctrl_q_during_an_import_asks_stops_and_exits_cleanly(station, campaign, sample_master, tmp_path):
    campaign("after-school-2024", "课后服务2024")
    source = sample_master / "share" / "课后服务2024"
    status = tmp_path / "exit-status"
    t = Tmux(station.db_path, tail=f"; echo $? > {status}; sleep 30")  # Textual draws on stderr: not redirected
    try:
        t.wait_for("评审人：终端测试员")
        t.keys("2", "Enter")
        t.text(str(source))
        t.keys("Enter", pause=0.05)
        t.wait_for("导入  进行中")
        t.keys("C-q")
        lines = t.wait_for("导入正在进行。停止任务并退出吗？")
        assert_full_width(lines)
        t.keys("y", pause=0)
        for _ in range(1200):  # 正在停止 shows until the job has stopped (asserted in tests/test_tui_jobs.py)
            if status.exists() and status.read_text().strip():
                break
            time.sleep(0.05)
        assert status.read_text().strip() == "0"
        assert not any("Aborted" in line or "Traceback" in line for line in t.screen())
    finally:
        t.close()


# --- every screen, every key its `?` lists ------------------------------------------------------------------

TMUX_KEYS = {"Down": "Down", "Up": "Up", "Left": "Left", "Right": "Right", "PgDn": "NPage", "PgUp": "PPage"}
TMUX_KEYS |= {"Home": "Home", "End": "End", "Space": "Space", "Enter": "Enter", "Esc": "Escape", "Tab": "Tab"}
TMUX_KEYS |= {"Backspace": "BSpace", "Del": "DC"}


def tmux_key(label: str) -> tuple[str, bool]:
    """The tmux send-keys argument for a key as the help dialog writes it, and whether it is literal text."""
    if label.startswith("Ctrl+"):
        return "C-" + label[5:].lower(), False
    if label.startswith("Shift+"):
        return ("BTab", False) if label == "Shift+Tab" else ("S-" + TMUX_KEYS.get(label[6:], label[6:]), False)
    if label in TMUX_KEYS:
        return TMUX_KEYS[label], False
    if len(label) > 1 and label[0] == "F" and label[1:].isdigit():
        return label, False
    assert len(label) == 1, f"unknown key label {label!r}"
    return label, True


def dialog_rows(lines: list[str]) -> list[str]:
    """The text inside the help dialog's frame, row by row."""
    rows = []
    for line in lines:
        if line.count("|") >= 2:
            rows.append(line[line.index("|") + 1 : line.rindex("|")])
    return rows


def help_entries(t: Tmux) -> list[tuple[str, str]]:
    """(key label, description) of every row the help dialog shows, scrolling it to the end."""
    t.keys("?")
    t.wait_for("按键说明")
    seen: dict[str, str] = {}
    for _ in range(8):
        for row in dialog_rows(t.screen()):
            m = re.match(r"^ {3}(\S+(?: \S+)*?) {2,}(\S.*?)\s*$", row)  # padding 1, then the key indented 2
            if m:
                seen.setdefault(m.group(1), m.group(2))
        before = t.screen()
        t.keys("NPage", pause=0.2)
        if t.screen() == before:
            break
    t.keys("Escape")
    return list(seen.items())


def first_key(label: str) -> str:
    return label if label == "/" else label.split("/")[0]


def assert_sound(t: Tmux, what: str) -> list[str]:
    assert t.alive(), f"the station ended after {what}"
    lines = t.screen()
    text = "\n".join(lines)
    assert "Traceback" not in text and "发生意外错误" not in text, f"after {what}:\n{text}"
    assert len(lines) == HEIGHT
    for number, line in enumerate(lines):
        assert cell_len(line) <= WIDTH, f"after {what}: line {number} is {cell_len(line)} cells: {line!r}"
    return lines


# (screen, keys that open it from anywhere, a text it always shows at the top)
SWEEP = [
    ("总览", ["1", "Home"], "上下键选中活动"),
    ("导入", ["2"], "要导入的文件夹"),
    ("检查", ["3"], "运行技术检查"),
    ("评审", ["4"], "编号 作品名称"),
    ("名额", ["5", "Home"], "已推荐"),
    ("导出", ["6"], "导出所选征集活动"),
    ("详情", ["4", "Enter"], "检查结论"),
]


def test_every_key_in_help_on_every_screen_at_80x24(sample):
    """Issue 14: through every screen, every key its help lists, pressed in tmux at 80x24: no traceback, no
    unexpected-error dialog, no line wider than the terminal, and the station still runs. One station runs
    through all the screens, as a reviewer would."""
    t = Tmux(sample.db_path)
    try:
        t.wait_for("第 1/")

        def settle() -> list[str]:
            """The screen once it has stopped changing: a key sent while the app is busy right after Esc would
            reach it in the same read as the Esc and be taken as Alt+key, as in any terminal."""
            lines = t.screen()
            for _ in range(30):
                time.sleep(0.1)
                again = t.screen()
                if again == lines:
                    break
                lines = again
            return lines

        def go(path: list[str], shows: str) -> None:
            for _ in range(3):  # close what the last key opened (a dialog over a dialog); a field gives keys back
                t.keys("Escape", pause=0.05)
                lines = settle()
                if not any("+---" in line for line in lines) and lines[-1].rstrip().endswith("? 按键"):
                    break
            for key in path:
                t.keys(key, pause=0.05)
                settle()
            t.wait_for(shows)

        for screen, path, shows in SWEEP:
            go(path, shows)
            entries = help_entries(t)
            assert len(entries) >= 5, (screen, entries)
            pressed = []
            for label, description in entries:
                if "退出" in description:  # Ctrl+Q is the last key, below
                    continue
                key, literal = tmux_key(first_key(label))
                if literal:
                    t.text(key)
                else:
                    t.keys(key, pause=0.25)
                lines = assert_sound(t, f"{screen}: {label} ({description})")
                pressed.append(label)
                home = any(shows in line for line in lines) and lines[-1].rstrip().endswith("? 按键")
                if home and not any("+---" in line for line in lines):
                    continue  # still on the screen, no dialog, no field holding the keys
                try:
                    go(path, shows)
                except AssertionError as e:
                    raise AssertionError(f"{screen}: cannot come back after {label} ({description})") from e
            assert len(pressed) == len(entries) - sum("退出" in d for _, d in entries), screen
        t.keys("C-q", pause=0.5)
        for _ in range(100):
            if not t.alive():
                break
            if any("y" in line and "退出" in line for line in t.screen()):  # a job still running: confirm
                t.keys("y")
            time.sleep(0.2)
        assert not t.alive()
    finally:
        t.close()
