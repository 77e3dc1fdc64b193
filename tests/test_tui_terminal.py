"""The bytes the real `station` writes to a terminal: one repaint per scroll key (issue 14 item 12) and
colours that survive a 16-colour terminal and a light background (item 10).

The app runs in a pseudo-terminal that answers Textual's query for synchronized output (mode 2026), so
every frame it writes is wrapped in `ESC[?2026h` ... `ESC[?2026l`: counting those counts frames. Scroll
animation is left at Textual's default (`TEXTUAL_ANIMATIONS` removed from the environment), so an animated
scroll would show as a dozen frames per key.
"""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import pytest
from sample_station import sample, sample_master  # noqa: F401

WIDTH, HEIGHT = 80, 24
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
KEYS = {"pagedown": b"\x1b[6~", "pageup": b"\x1b[5~", "end": b"\x1b[F", "home": b"\x1b[H", "enter": b"\r"}
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[@-Z\\-_=>78])")


class Terminal:
    """`station` in an 80x24 pseudo-terminal that supports synchronized output."""

    def __init__(self, db: Path, answers: dict[bytes, bytes] | None = None, **extra_env: str):
        """ANSWERS: what this terminal writes back when the app writes a query (a key of it)."""
        self.answers = answers or {}
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", STATION_DB=str(db))
        for name in ("TMUX", "STY", "STATION_GRAPHICS", "COLORTERM"):  # this pty is the terminal, nothing between
            env.pop(name, None)
        env.update(extra_env)
        env.pop("TEXTUAL_ANIMATIONS", None)
        env.pop("TEXTUAL", None)
        argv = [str(Path(sys.executable).parent / "station"), "--reviewer", "帧计数"]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: fd 0-2 are the terminal (pytest's sys.stdout is not)
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
        self.poll = select.poll()
        self.poll.register(self.fd, select.POLLIN)
        self.output = b""

    def read(self, quiet: float, timeout: float = 20.0, until: bytes = b"") -> bytes:
        """Everything written until QUIET seconds pass without output (and, with UNTIL, not before UNTIL was
        written: a loaded machine may take longer than QUIET to answer); answers the mode-2026 query."""
        got = b""
        end = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < end and (time.monotonic() - last < quiet or (until and until not in got)):
            if not self.poll.poll(20):  # poll, not select: the suite may have more than 1024 files open
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            if SYNC_QUERY in chunk:
                os.write(self.fd, b"\x1b[?2026;2$y")  # supported (reset): Textual then wraps each frame
            for query, answer in self.answers.items():
                if query in chunk:
                    os.write(self.fd, answer)
            got += chunk
            last = time.monotonic()
        self.output += got
        return got

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.read(quiet=0.1, timeout=0.5)
            if text in ANSI.sub(b"", self.output).decode("utf-8", "ignore"):
                return
        raise AssertionError(f"{text!r} never shown")

    def key(self, name: str) -> tuple[int, int]:
        """Press NAME once; the frames and bytes written in answer (until 0.6 s of quiet)."""
        os.write(self.fd, KEYS.get(name, name.encode()))
        got = self.read(quiet=0.6, timeout=4, until=SYNC_END)  # a key that changes nothing paints nothing
        return got.count(SYNC_START), len(got)

    def close(self) -> None:
        try:
            os.write(self.fd, b"\x11")  # ctrl+q
            self.read(quiet=0.3, timeout=3)
        except OSError:
            pass
        if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.mark.parametrize("section", ["detail", "overview", "help"])
def test_one_frame_per_scroll_key(sample, section):
    t = Terminal(sample.db_path)
    try:
        t.wait_for("第 1/")
        assert SYNC_START in t.output  # the terminal answered: frames are countable
        if section == "detail":
            t.key("G")
            t.key("enter")
            t.wait_for("检查结论")
        elif section == "help":  # the queue's keys do not fit the dialog: it scrolls
            t.key("?")
            t.wait_for("按键说明")
        else:
            t.key("1")
            t.wait_for("检查")
        t.read(quiet=1.0)  # start-up work (the overview's doctor thread) has painted
        for n, name in enumerate(("pagedown", "end", "home", "pagedown", "pageup")):
            frames, size = t.key(name)
            assert frames <= 2, f"{section}: {name} wrote {frames} frames ({size} bytes)"
            if n in (0, 2):  # the first PgDn and Home from the end scroll (the key reached the scroll area)
                assert frames >= 1, f"{section}: {name} did not scroll"
            assert size < 40_000, f"{section}: {name} wrote {size} bytes in {frames} frames"
    finally:
        t.close()


# --- item 10: 16 colours and light backgrounds ------------------------------------------------------------

SGR_OR_TEXT = re.compile(r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b[^\[]|\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|([^\x1b]+)")
LIGHT_FG = {"37", "97"}  # white and bright white: unreadable on a light terminal background
DARK_FG = {"30", "90"}


def cells(output: bytes) -> list[tuple[int, str, str | None, str | None]]:
    """(row, text, foreground code, background code) of every run of text written, under a 16-colour SGR
    state machine (None: the terminal's default)."""
    out = []
    row, fg, bg = 0, None, None
    for m in SGR_OR_TEXT.finditer(output.decode("utf-8", "ignore")):
        if m.group(1):
            row = int(m.group(1))
        elif m.group(3) is not None:
            for code in m.group(3).split(";") or ["0"]:
                n = int(code or 0)
                if n == 0:
                    fg = bg = None
                elif 30 <= n <= 37 or 90 <= n <= 97:
                    fg = code
                elif n == 39:
                    fg = None
                elif 40 <= n <= 47 or 100 <= n <= 107:
                    bg = code
                elif n == 49:
                    bg = None
                elif n in (38, 48):
                    raise AssertionError(f"more than 16 colours written: {m.group(0)!r}")
        elif m.group(4):
            for piece in m.group(4).split("\r\n"):
                if piece:
                    out.append((row, piece, fg, bg))
                row += 1
            row -= 1
    return out


def full_frame(t: Terminal) -> bytes:
    """A complete repaint (a resize and back), all of it written with the current colours."""
    t.read(quiet=0.3)
    fcntl.ioctl(t.fd, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH - 1, 0, 0))
    t.read(quiet=0.3, until=SYNC_END)
    fcntl.ioctl(t.fd, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    return t.read(quiet=0.5, until=SYNC_END)  # UNTIL: the whole frame, however slow the machine


def colour_of(runs, text: str) -> str | None:
    found = [fg for _, piece, fg, _ in runs if text in piece]
    assert found, f"{text!r} not drawn"
    return found[0]


def check_readable(runs, where: str, light: bool, modal: bool = False) -> None:
    """Every character has an explicit background (the terminal's own may be black or white), and the
    foreground is not the background's own colour family (behind a MODAL the screen is dimmed on purpose)."""
    for row, piece, fg, bg in runs:
        assert bg is not None, f"{where}: row {row} {piece!r} on the terminal's default background"
        if piece.strip() and not modal:
            bad = LIGHT_FG if light else DARK_FG
            assert not (fg in bad and bg in ({"47", "107"} if light else {"40", "100"})), (
                f"{where}: row {row} {piece!r} fg {fg} on bg {bg}"
            )


def text_backgrounds(runs, first: int, last: int) -> set[str | None]:
    """The backgrounds under the text of rows FIRST..LAST (the scroll bar, all spaces, apart): stripes make two."""
    return {bg for row, piece, _, bg in runs if first <= row <= last and piece.strip()}


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_sixteen_colours_keep_red_and_paint_every_cell(sample, theme):
    """Under 16 colours (TEXTUAL_COLOR_SYSTEM=standard), on the dark and the light theme: 不通过 and 不推荐 are
    red (31/91), never magenta (Textual's default ANSI theme turns red into magenta); every screen paints
    every cell's background (readable whatever the terminal's own background is); the detail body has one
    background, not stripes."""
    t = Terminal(sample.db_path, TEXTUAL_COLOR_SYSTEM="standard")
    light = theme == "light"
    try:
        t.wait_for("第 1/")
        if light:
            t.key("\x10")  # ctrl+p: the palette
            os.write(t.fd, "切换配色".encode())
            t.read(quiet=0.5)
            t.key("enter")
        t.key("x")  # 不推荐 on the first work
        runs = cells(full_frame(t))
        check_readable(runs, f"queue ({theme})", light)
        assert colour_of(runs, "不推荐") in {"31", "91"}
        assert colour_of(runs, "不通过") in {"31", "91"}
        t.key("b")  # the works failing checks
        t.key("enter")
        t.wait_for("检查结论")
        runs = cells(full_frame(t))
        check_readable(runs, f"detail ({theme})", light)
        assert colour_of(runs, "[不通过]") in {"31", "91"}
        assert len(text_backgrounds(runs, 2, HEIGHT - 2)) == 1, f"striped: {text_backgrounds(runs, 2, HEIGHT - 2)}"
        t.key("escape")
        for key, text in (("1", "总览"), ("2", "导入"), ("3", "检查"), ("5", "名额"), ("6", "导出"), ("?", "按键")):
            t.key(key)
            check_readable(cells(full_frame(t)), f"section {key} ({theme})", light, modal=key == "?")
            if key == "?":
                t.key("escape")
    finally:
        t.close()


def test_a_non_utf8_locale_is_named_on_stderr_before_the_tui_starts(sample):
    """Item 20: under LANG=C one ASCII line says why Chinese may look broken, written before the app switches
    to the alternate screen (so it is still there after the TUI exits)."""
    t = Terminal(sample.db_path, LANG="C", LC_ALL="", LC_CTYPE="")
    try:
        t.wait_for("第 1/")
        before, _, _ = t.output.partition(b"\x1b[?1049h")
        assert b"warning: the terminal locale is 'C', not UTF-8" in before
        assert before.strip().isascii()
    finally:
        t.close()
    t = Terminal(sample.db_path)  # a UTF-8 locale: nothing before the app
    try:
        t.wait_for("第 1/")
        assert b"warning" not in t.output.partition(b"\x1b[?1049h")[0]
    finally:
        t.close()
