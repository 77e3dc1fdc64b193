"""Which picture protocol this terminal speaks: Kitty graphics, Sixel, or none (quadrant blocks).

Asked once per run, before Textual owns the terminal: once its input thread reads stdin, a terminal's
answer would be parsed as key presses (Textual's parser knows neither APC replies nor DA1). textual-image
asks the same questions, but at import time, one question at a time with a 0.1 s wait each; the station
sends its three questions in one write as the first thing `station` does, lets them travel while Python
imports the app, and reads the answers afterwards:

- `ESC _ G i=31,s=1,v=1,a=q,t=d,f=24;AAAA ESC \\`: a Kitty graphics query (a Kitty terminal answers OK);
- `ESC [ > 0 q` (XTVERSION): the terminal's name and version (see below);
- `ESC [ 16 t`: the size of a cell in pixels (a Sixel picture is drawn pixel for pixel);
- `ESC [ c` (DA1): every terminal answers it, after the other answers, so it ends the wait; attribute 4
  in the answer is Sixel.

No answer within TIMEOUT (a pipe, a terminal that does not answer DA1) means blocks, as does tmux or
screen (they do not pass pictures through) and a terminal that is not a tty. STATION_GRAPHICS=kitty|sixel|blocks
forces a mode without asking; any other value is ignored (blocks).

A terminal that offers both gets Sixel: the station draws Kitty pictures as Unicode placeholders (text
cells that scroll, crop and get painted over like any text), which Kitty and Ghostty draw but WezTerm
and Konsole do not, and those two speak Sixel; Kitty and Ghostty do not. Kitty draws placeholders from
0.28 on (Debian 12 ships 0.26, which answers the graphics query all the same), so a Kitty answer counts
only from a terminal whose XTVERSION names kitty 0.28+ or Ghostty; any other gets blocks.

This module imports nothing heavy: it runs before the first frame.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

MODES = ("kitty", "sixel", "blocks")
ENV = "STATION_GRAPHICS"
TIMEOUT = 0.3  # seconds from the question to the DA1 answer; later means blocks
LATE = 1.0  # ... unless the terminal has begun to answer: then it gets this long for the rest
DEFAULT_CELL = (10, 20)  # pixels of one cell (width, height) when the terminal does not say
KITTY_QUERY = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
VERSION_QUERY = b"\x1b[>0q"
CELL_QUERY = b"\x1b[16t"
DA1_QUERY = b"\x1b[c"
QUERY = KITTY_QUERY + VERSION_QUERY + CELL_QUERY + DA1_QUERY
KITTY_PLACEHOLDERS = (0, 28)  # the first kitty version that draws Unicode placeholders

_KITTY_REPLY = re.compile(rb"\x1b_Gi=31;([^\x1b]*)\x1b\\")
_CELL_REPLY = re.compile(rb"\x1b\[6;(\d+);(\d+)t")
_DA1_REPLY = re.compile(rb"\x1b\[\?([0-9;]*)c")
_VERSION_REPLY = re.compile(rb"\x1bP>\|([^\x1b]*)\x1b\\")
_KITTY_VERSION = re.compile(r"kitty\((\d+)\.(\d+)")


def draws_placeholders(version: str) -> bool:
    """Whether the terminal named by this XTVERSION answer draws Kitty's Unicode placeholders."""
    found = _KITTY_VERSION.match(version.strip().lower())
    if found:
        return (int(found.group(1)), int(found.group(2))) >= KITTY_PLACEHOLDERS
    return version.strip().lower().startswith("ghostty")


@dataclass
class Graphics:
    """The picture mode of this run, the cell size in pixels, and the Kitty image ids handed out so far."""

    mode: str = "blocks"
    cell: tuple[int, int] = DEFAULT_CELL
    why: str = ""  # how it was chosen: answer, no-answer, multiplexer, not-tty, forced, error (tui.strings)
    ids: dict[str, int] = field(default_factory=dict)  # picture (object sha256) -> Kitty image id
    sent: set[int] = field(default_factory=set)  # Kitty image ids whose picture the terminal holds
    next_slot: int = 0  # the next Kitty id to hand out (tui.widgets.picture_codes.kitty_image_id)


def multiplexer(env) -> bool:
    """tmux or GNU screen between the station and the terminal."""
    return bool(env.get("TMUX") or env.get("STY")) or env.get("TERM", "").startswith(("screen", "tmux"))


def forced(env) -> str | None:
    """The mode STATION_GRAPHICS asks for; 'blocks' for a value that is not a mode; None when unset."""
    value = env.get(ENV)
    if value is None or not value.strip():
        return None
    value = value.strip().lower()
    return value if value in MODES else "blocks"


def decide(answer: bytes, cell: tuple[int, int] | None = None) -> Graphics:
    """The mode from everything the terminal answered to QUERY (b'' when it answered nothing)."""
    found = _CELL_REPLY.search(answer)
    if found and int(found.group(1)) > 0 and int(found.group(2)) > 0:
        cell = (int(found.group(2)), int(found.group(1)))
    cell = cell or DEFAULT_CELL
    da1 = _DA1_REPLY.search(answer)
    if da1 is None:
        return Graphics("blocks", cell, "no-answer")
    if "4" in da1.group(1).decode().split(";"):
        return Graphics("sixel", cell, "answer")
    kitty = _KITTY_REPLY.search(answer)
    version = _VERSION_REPLY.search(answer)
    if (
        kitty
        and kitty.group(1) == b"OK"
        and version
        and draws_placeholders(version.group(1).decode("utf-8", "replace"))
    ):
        return Graphics("kitty", cell, "answer")
    return Graphics("blocks", cell, "answer")


def _ioctl_cell(fd: int) -> tuple[int, int] | None:
    """The cell size from the kernel's window size (pixels / cells), when the terminal filled it in."""
    try:
        import fcntl
        import struct
        import termios

        rows, cols, xpixel, ypixel = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except (ImportError, OSError):
        return None
    if rows and cols and xpixel and ypixel:
        return (xpixel // cols, ypixel // rows)
    return None


class Probe:
    """`start()` asks the terminal (no echo, no line buffering), `finish()` reads the answers and gives
    the terminal back as it was. Nothing here waits longer than TIMEOUT after start()."""

    def __init__(self, env=None, fd_in: int = 0, fd_out: int = 1):
        self.env = os.environ if env is None else env
        self.fd_in, self.fd_out = fd_in, fd_out
        self.result: Graphics | None = None
        self.saved = None
        self.sent_at = 0.0

    def start(self) -> Probe:
        mode = forced(self.env)
        if mode is not None:
            self.result = Graphics(mode, _ioctl_cell(self.fd_out) or DEFAULT_CELL, "forced")
            return self
        if multiplexer(self.env):
            self.result = Graphics("blocks", DEFAULT_CELL, "multiplexer")
            return self
        try:
            import termios

            if not (os.isatty(self.fd_in) and os.isatty(self.fd_out)):
                self.result = Graphics("blocks", DEFAULT_CELL, "not-tty")
                return self
            self.saved = termios.tcgetattr(self.fd_in)
            quiet = termios.tcgetattr(self.fd_in)
            quiet[3] &= ~(termios.ICANON | termios.ECHO)  # lflag: the answers are neither shown nor line-held
            quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 0, 0
            termios.tcsetattr(self.fd_in, termios.TCSANOW, quiet)
            os.write(self.fd_out, QUERY)
            self.sent_at = time.monotonic()
        except Exception:  # noqa: BLE001 - no termios, termios.error, OSError: blocks, never a crash
            self._restore()
            self.result = Graphics("blocks", DEFAULT_CELL, "error")
        return self

    def finish(self) -> Graphics:
        if self.result is not None:
            return self.result
        import select

        answer = b""
        try:
            while not _DA1_REPLY.search(answer):
                # what arrived while the app was imported is read even when that took longer than TIMEOUT; a
                # terminal that has begun to answer gets until LATE for its DA1 (its answers must not reach
                # the app, which would take them for key presses)
                left = self.sent_at + (LATE if answer else TIMEOUT) - time.monotonic()
                if not select.select([self.fd_in], [], [], max(0.0, left))[0]:
                    break
                chunk = os.read(self.fd_in, 4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
        finally:
            self._restore()
        self.result = decide(answer, _ioctl_cell(self.fd_out))
        return self.result

    def _restore(self) -> None:
        if self.saved is not None:
            import termios

            try:
                termios.tcsetattr(self.fd_in, termios.TCSANOW, self.saved)
            except Exception:  # noqa: BLE001 - the terminal went away: nothing to give back
                pass
            self.saved = None
