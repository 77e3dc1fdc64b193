"""Issue 14 item 12: one repaint per scroll key, counted in the bytes the real `station` writes to a terminal.

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
KEYS = {"pagedown": b"\x1b[6~", "pageup": b"\x1b[5~", "end": b"\x1b[F", "home": b"\x1b[H", "enter": b"\r"}
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[@-Z\\-_=>78])")


class Terminal:
    """`station` in an 80x24 pseudo-terminal that supports synchronized output."""

    def __init__(self, db: Path):
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", STATION_DB=str(db))
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
        self.output = b""

    def read(self, quiet: float, timeout: float = 20.0) -> bytes:
        """Everything written until QUIET seconds pass without output; answers the mode-2026 query."""
        got = b""
        end = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < end and time.monotonic() - last < quiet:
            r, _, _ = select.select([self.fd], [], [], 0.02)
            if not r:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            if SYNC_QUERY in chunk:
                os.write(self.fd, b"\x1b[?2026;2$y")  # supported (reset): Textual then wraps each frame
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
        got = self.read(quiet=0.6)
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


@pytest.mark.parametrize("section", ["detail", "overview"])
def test_one_frame_per_scroll_key(sample, section):
    t = Terminal(sample.db_path)
    try:
        t.wait_for("第 1/")
        assert SYNC_START in t.output  # the terminal answered: frames are countable
        if section == "detail":
            t.key("G")
            t.key("enter")
            t.wait_for("检查结论")
        else:
            t.key("1")
            t.wait_for("检查")
        t.read(quiet=1.0)  # start-up work (the overview's doctor thread) has painted
        for name in ("pagedown", "end", "home", "pagedown", "pageup"):
            frames, size = t.key(name)
            assert frames <= 2, f"{section}: {name} wrote {frames} frames ({size} bytes)"
            assert size < 40_000, f"{section}: {name} wrote {size} bytes in {frames} frames"
    finally:
        t.close()
