"""Issue 16 item 2: the storyboard as real terminal pictures where the terminal speaks Kitty graphics or
Sixel, quadrant blocks everywhere else (PuTTY/Xshell, tmux, a terminal that does not answer).

The real `station` runs in a pseudo-terminal (tests/test_tui_terminal.py) that answers the app's questions
the way a Kitty terminal, a Sixel terminal or a silent one does, on a station whose works have storyboards
(tests/boarded_station.py). A small screen model follows the cursor through the bytes written, so a Sixel
picture that the app no longer shows but never painted over would be found.
"""

import base64
import fcntl
import io
import os
import pty
import re
import select
import struct
import sys
import termios
import time
import unicodedata
from pathlib import Path

import pytest
from boarded_station import boarded  # noqa: F401
from PIL import Image, ImageChops, ImageStat
from test_tui_terminal import HEIGHT, WIDTH, Terminal

from tui import graphics
from tui.widgets import picture_codes
from tui.widgets import storyboard as board_widget
from workflows.checks import pictures

RIGHT = "\x1b[C"
ESC = "\x1b"
CELL = (10, 20)  # the cell size the emulated terminals report (CSI 16 t)
# graphics OK, its name and version (XTVERSION), the cell size, then DA1 without 4
KITTY = {b"\x1b[c": b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[6;20;10t\x1b[?62;22c"}
SIXEL = {b"\x1b[c": b"\x1b[6;20;10t\x1b[?62;4;22c"}  # DA1 with attribute 4
QUADRANTS = set(board_widget.QUADRANTS.values())
APC = re.compile(rb"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")
SIXEL_DCS = re.compile(rb"\x1bP[0-9;]*q\"1;1;(\d+);(\d+)")


def open_storyboard(t: Terminal) -> None:
    """The first work's detail view, stepped twice so the storyboard is on screen."""
    t.wait_for("第 1/")
    t.key("enter")
    t.wait_for("检查结论")
    t.key(RIGHT)
    t.key(RIGHT)
    t.wait_for("第 3/")
    t.read(quiet=0.5)


def after_start(output: bytes) -> bytes:
    """What the app wrote once it owned the screen (after the probe's questions)."""
    return output.partition(b"\x1b[?1049h")[2]


def quadrants_in(output: bytes) -> set[str]:
    return QUADRANTS & set(output.decode("utf-8", "ignore"))


def kitty_images(output: bytes) -> dict[int, bytes]:
    """Image id -> the PNG it was sent with (chunked `a=T` ... `m=0` commands)."""
    images: dict[int, bytes] = {}
    current, payload = None, b""
    for m in APC.finditer(output):
        keys = dict(kv.split(b"=", 1) for kv in m.group(1).split(b",") if b"=" in kv)
        if keys.get(b"a") == b"T":
            assert keys[b"U"] == b"1" and keys[b"f"] == b"100" and keys[b"q"] == b"2"
            assert (keys[b"c"], keys[b"r"]) == (b"11", b"6")
            current, payload = int(keys[b"i"]), b""
        if current is not None and (keys.get(b"a") in (b"T", None)):
            payload += m.group(2) or b""
            if keys.get(b"m") == b"0":
                images[current] = base64.b64decode(payload)
                current = None
    return images


class ScreenModel:
    """Where Sixel pictures lie on an 80x24 screen, cell by cell: a picture covers the cells under it until
    text is written there (what xterm, foot, mlterm and WezTerm do). Each chunk fed is one generation."""

    TOKEN = re.compile(
        r"\x1bP(?P<dcs>.*?)\x1b\\|\x1b_.*?\x1b\\|\x1b\].*?(?:\x07|\x1b\\)"
        r"|\x1b\[(?P<params>[0-9;?<>=$]*)[ -/]*(?P<final>[@-~])|\x1b(?P<esc>.)|(?P<text>[^\x1b]+)",
        re.S,
    )

    def __init__(self):
        self.row = self.col = 0
        self.saved = (0, 0)
        self.sixel: dict[tuple[int, int], int] = {}  # cell -> generation that drew it
        self.generation = 0

    def feed(self, data: bytes) -> None:
        self.generation += 1
        for m in self.TOKEN.finditer(data.decode("utf-8", "ignore")):
            if m.group("dcs") is not None:
                raster = re.search(r'q"1;1;(\d+);(\d+)', m.group("dcs"))
                if raster:
                    w, h = int(raster.group(1)), int(raster.group(2))
                    for r in range(self.row, self.row + -(-h // CELL[1])):
                        for c in range(self.col, self.col + -(-w // CELL[0])):
                            self.sixel[(r, c)] = self.generation
            elif m.group("final"):
                self.csi(m.group("params"), m.group("final"))
            elif m.group("esc") == "7":
                self.saved = (self.row, self.col)
            elif m.group("esc") == "8":
                self.row, self.col = self.saved
            elif m.group("text"):
                self.text(m.group("text"))

    def csi(self, params: str, final: str) -> None:
        if params[:1] in ("?", ">", "<", "=") or "$" in params:
            return
        numbers = [int(p) if p else 0 for p in params.split(";")] if params else []
        n = (numbers or [1])[0] or 1
        if final == "H":
            self.row, self.col = (numbers + [1, 1])[0] - 1, ((numbers + [1, 1])[1] or 1) - 1
        elif final == "A":
            self.row -= n
        elif final == "B":
            self.row += n
        elif final == "C":
            self.col += n
        elif final == "D":
            self.col -= n
        elif final == "J" and numbers and numbers[0] == 2:
            self.sixel.clear()

    def text(self, text: str) -> None:
        for ch in text:
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self.row += 1
            elif ch >= " " and not unicodedata.combining(ch):
                width = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
                for c in range(self.col, self.col + width):
                    self.sixel.pop((self.row, c), None)
                self.col += width


def test_a_kitty_terminal_gets_the_frames_as_kitty_pictures(boarded):  # noqa: F811
    station, _ = boarded
    t = Terminal(station.db_path, KITTY)
    try:
        open_storyboard(t)
        shown = after_start(t.output)
        images = kitty_images(shown)
        assert len(images) >= 6  # the visible frames, each sent once
        sid = station.db().execute("SELECT id FROM submissions WHERE title = 'gap'").fetchone()[0]
        frames = [f for b in pictures.storyboards(station, sid) for f in b.frames]
        for png in images.values():
            with Image.open(io.BytesIO(png)) as picture:
                assert picture.size == (11 * CELL[0], 6 * CELL[1])  # 11 x 6 cells of the reported size
                assert picture.mode == "RGBA" and picture.getpixel((0, 0))[3] == 0  # letterboxed 16:9
                inner = picture.crop(picture.getbbox()).convert("RGB").resize((160, 90))
            # the picture is one of the work's storyboard frames
            best = min(ImageStat.Stat(ImageChops.difference(inner, _frame(f))).mean[0] for f in frames)
            assert best < 12, best
        # placeholder cells name a sent image: 256 colours here (no COLORTERM), so the id is the palette index
        named = {int(n) for n in re.findall(rb"38;5;(\d+)(?:;[0-9;]*)?m\xf4\x8e\xbb\xae", shown)}
        assert named and named <= set(images)
        assert not quadrants_in(shown)
        assert b"\x1bP" not in shown
        t.key(ESC)  # back to the queue: the terminal forgets every picture it was sent
        t.read(quiet=0.5)
        gone = {int(i) for i in re.findall(rb"\x1b_Ga=d,d=I,i=(\d+),q=2\x1b\\", t.output)}
        assert gone == set(images)
    finally:
        t.close()


def _frame(frame) -> Image.Image:
    with Image.open(frame.path) as img:
        return img.convert("RGB").resize((160, 90))


def test_a_sixel_terminal_gets_sixel_pictures_and_no_stale_one_stays(boarded):  # noqa: F811
    station, _ = boarded
    t = Terminal(station.db_path, SIXEL)
    screen = ScreenModel()
    try:
        open_storyboard(t)
        shown = after_start(t.output)
        sizes = {(int(w), int(h)) for w, h in SIXEL_DCS.findall(shown)}
        assert (110, 120) in sizes  # a whole picture: 11 x 6 cells of 10 x 20 pixels
        assert all(w <= 110 and h <= 120 and h % CELL[1] == 0 for w, h in sizes)
        assert b"a=T" not in shown and not quadrants_in(shown)
        screen.feed(t.output)
        assert screen.sixel, "no picture on the modelled screen"
        rows = {r for r, _ in screen.sixel}
        assert min(rows) >= 1 and max(rows) <= HEIGHT - 2  # never over the section bar or the footer
        for key in ("pageup", "home", "pagedown", "end", "pageup"):
            before = len(t.output)
            frames, _size = t.key(key)
            assert frames <= 2, f"{key}: {frames} frames"  # still one repaint per scroll key (as blocks)
            t.read(quiet=0.3)
            screen.feed(t.output[before:])
            stale = {cell for cell, g in screen.sixel.items() if g != screen.generation}
            assert not stale, f"{key}: pictures left from an earlier frame at {sorted(stale)[:5]}"
            assert all(1 <= r <= HEIGHT - 2 and 0 <= c < WIDTH for r, c in screen.sixel)
        before = len(t.output)
        t.key(ESC)
        t.read(quiet=0.5)
        screen.feed(t.output[before:])
        assert screen.sixel == {}  # the queue painted over every picture
    finally:
        t.close()


@pytest.mark.parametrize(
    "answers, env, why",
    [
        ({}, {}, "a terminal that answers nothing (a pipe-like link, an old emulator)"),
        (KITTY, {"TMUX": "/tmp/tmux-0/default,1,0"}, "inside tmux, even when the terminal answers Kitty"),
        (KITTY, {"STATION_GRAPHICS": "blocks"}, "the override beats an answering terminal"),
    ],
)
def test_blocks_where_there_are_no_terminal_graphics(boarded, answers, env, why):  # noqa: F811
    station, _ = boarded
    t = Terminal(station.db_path, answers, **env)
    try:
        open_storyboard(t)  # the app reaches its first frame and the detail view
        shown = after_start(t.output)
        assert quadrants_in(shown), why
        assert b"\x1b_G" not in shown and b"\x1bP" not in shown, why
        if env:  # decided without asking the terminal
            assert graphics.QUERY not in t.output, why
    finally:
        t.close()


def test_the_override_forces_sixel_on_a_terminal_that_does_not_answer(boarded):  # noqa: F811
    station, _ = boarded
    t = Terminal(station.db_path, {}, STATION_GRAPHICS="sixel")
    try:
        open_storyboard(t)
        shown = after_start(t.output)
        assert graphics.QUERY not in t.output
        assert SIXEL_DCS.search(shown) and not quadrants_in(shown)
    finally:
        t.close()


@pytest.mark.parametrize(
    "answer, mode, cell",
    [
        (b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[6;18;9t\x1b[?62;22c", "kitty", (9, 18)),
        (b"\x1b_Gi=31;OK\x1b\\\x1bP>|ghostty 1.1.3\x1b\\\x1b[?62;22c", "kitty", graphics.DEFAULT_CELL),
        # Debian 12's kitty answers the query but draws no placeholders; a terminal that does not say who it is
        (b"\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.26.5)\x1b\\\x1b[?62;22c", "blocks", graphics.DEFAULT_CELL),
        (b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c", "blocks", graphics.DEFAULT_CELL),
        (b"\x1b_Gi=31;ENOENT:no\x1b\\\x1b[?62;22c", "blocks", graphics.DEFAULT_CELL),
        (b"\x1b[?65;4;6;18;22c", "sixel", graphics.DEFAULT_CELL),
        (b"\x1b_Gi=31;OK\x1b\\\x1b[?62;4;22c", "sixel", graphics.DEFAULT_CELL),  # both: Sixel (module docstring)
        (b"\x1b[?6c", "blocks", graphics.DEFAULT_CELL),  # PuTTY
        (b"\x1b[?1;2c", "blocks", graphics.DEFAULT_CELL),  # VT100 with advanced video: 2, not 4
        (b"\x1b_Gi=31;OK\x1b\\", "blocks", graphics.DEFAULT_CELL),  # no DA1 within the time: not trusted
        (b"", "blocks", graphics.DEFAULT_CELL),
    ],
)
def test_the_answers_decide_the_mode(answer, mode, cell):
    found = graphics.decide(answer)
    assert (found.mode, found.cell) == (mode, cell)


def test_the_environment_decides_before_any_question():
    assert graphics.forced({"STATION_GRAPHICS": "Kitty"}) == "kitty"
    assert graphics.forced({"STATION_GRAPHICS": "sixels"}) == "blocks"  # a wrong value: blocks, no question
    assert graphics.Probe({"STATION_GRAPHICS": "iterm"}).start().finish().mode == "blocks"
    assert graphics.forced({"STATION_GRAPHICS": ""}) is None and graphics.forced({}) is None
    assert graphics.multiplexer({"TMUX": "/tmp/tmux-0/default,1,0"})
    assert graphics.multiplexer({"TERM": "screen-256color"}) and graphics.multiplexer({"STY": "1.pts-0.host"})
    assert not graphics.multiplexer({"TERM": "xterm-kitty"})


def test_sixel_encoding_round_trips_the_pixels():
    """Decode the encoder's sixel string back to pixels: the colours (within the 0-100 % rounding) and
    the transparent letterbox."""
    picture = Image.new("RGBA", (7, 13), (0, 0, 0, 0))
    picture.paste((250, 10, 10, 255), (0, 0, 7, 6))
    picture.paste((10, 10, 250, 255), (2, 6, 5, 13))
    code = picture_codes.sixel(picture)
    assert code.startswith('\x1bP0;1;0q"1;1;7;13') and code.endswith("\x1b\\")
    body = code[len('\x1bP0;1;0q"1;1;7;13') : -2]
    colours = {int(n): (int(r), int(g), int(b)) for n, r, g, b in re.findall(r"#(\d+);2;(\d+);(\d+);(\d+)", body)}
    body = re.sub(r"#\d+;2;\d+;\d+;\d+", "", body)
    pixels: dict[tuple[int, int], int] = {}
    for band, text in enumerate(body.split("-")):
        for part in text.split("$"):
            found = re.match(r"#(\d+)(.*)", part)
            if not found:
                continue
            colour, x = int(found.group(1)), 0
            for count, ch in re.findall(r"(?:!(\d+))?([?-~])", found.group(2)):
                for _ in range(int(count or 1)):
                    bits = ord(ch) - 0x3F
                    for r in range(6):
                        if bits >> r & 1:
                            pixels[(x, band * 6 + r)] = colour
                    x += 1
    assert {colours[c] for c in pixels.values()} == {(98, 3, 3), (3, 3, 98)}
    assert all(colours[pixels[(x, y)]] == (98, 3, 3) for x in range(7) for y in range(6))
    assert all(colours[pixels[(x, y)]] == (3, 3, 98) for x in range(2, 5) for y in range(6, 13))
    assert (0, 6) not in pixels and (6, 12) not in pixels  # transparent: left as the cell background


def test_kitty_ids_survive_256_colours():
    """The colour naming an image, written by Textual as 38;5;n on a 256-colour terminal, still names it."""
    from rich.color import Color, ColorSystem

    for slot in range(len(picture_codes.kitty_palette())):
        eight, rgb = picture_codes.kitty_image_id(slot, truecolor=False)
        true, same = picture_codes.kitty_image_id(slot, truecolor=True)
        assert same == rgb and true == (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
        assert Color.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).number == eight
    assert len(picture_codes.kitty_palette()) >= 100


def _doctor_in_pty(db, answers: dict[bytes, bytes], **env: str) -> str:
    """`station doctor` with a pseudo-terminal as its terminal, answering its questions with ANSWERS."""
    full = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8", STATION_DB=str(db))
    for name in ("TMUX", "STY", "STATION_GRAPHICS", "COLORTERM"):
        full.pop(name, None)
    full.update(env)
    argv = [str(Path(sys.executable).parent / "station"), "doctor"]
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
            os.execve(argv[0], argv, full)
        finally:
            os._exit(127)
    out = b""
    end = time.monotonic() + 120
    try:
        while time.monotonic() < end:
            if not select.select([fd], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            for query, answer in answers.items():
                if query in chunk:
                    os.write(fd, answer)
            out += chunk
    finally:
        os.waitpid(pid, 0)
        os.close(fd)
    return out.decode("utf-8", "ignore")


def test_doctor_names_the_picture_mode_this_terminal_gets(boarded):  # noqa: F811
    station, _ = boarded
    assert "评审界面画面图片：Sixel 图形（按终端的应答）" in _doctor_in_pty(station.db_path, SIXEL)
    assert "评审界面画面图片：字符块（在 tmux/screen 中）" in _doctor_in_pty(station.db_path, KITTY, STY="1.pts-0.x")


def test_the_screen_model_finds_a_picture_left_behind():
    """The stale-picture check above can fail: a picture no text or later picture covered stays in the model."""
    screen = ScreenModel()
    screen.feed(b'\x1b[3;5H\x1bP0;1;0q"1;1;20;40#0~\x1b\\')  # 2x2 cells at row 2, column 4
    screen.feed(b"\x1b[1;1Hsomething else")
    assert {cell for cell, g in screen.sixel.items() if g != screen.generation} == {(2, 4), (2, 5), (3, 4), (3, 5)}
    screen.feed(b"\x1b[3;5H  \x1b[4;5H\xe4\xb8\xad")  # two spaces, one wide character
    assert screen.sixel == {}


def test_the_probe_reads_answers_that_arrived_while_the_app_loaded_and_gives_the_terminal_back():
    """On a real pty pair: the question is written once; an answer that arrived before finish() (the app's
    imports took longer than the timeout) still counts; nothing is echoed; the terminal modes come back."""
    leader, follower = pty.openpty()
    try:
        before = termios.tcgetattr(follower)
        probe = graphics.Probe({"TERM": "xterm-256color"}, fd_in=follower, fd_out=follower).start()
        assert os.read(leader, 1024) == graphics.QUERY
        os.write(leader, SIXEL[b"\x1b[c"])
        time.sleep(graphics.TIMEOUT + 0.2)  # slow imports
        found = probe.finish()
        assert (found.mode, found.cell, found.why) == ("sixel", CELL, "answer")
        assert not select.select([leader], [], [], 0.2)[0]  # the answer was not echoed to the screen
        assert termios.tcgetattr(follower) == before
        silent = graphics.Probe({"TERM": "xterm-256color"}, fd_in=follower, fd_out=follower).start()
        os.read(leader, 1024)
        assert silent.finish().mode == "blocks" and silent.result.why == "no-answer"
        assert termios.tcgetattr(follower) == before
    finally:
        os.close(leader)
        os.close(follower)


def test_an_anonymous_reviewer_is_never_sent_the_title_card_picture(boarded):  # noqa: F811
    """In Kitty mode the pictures leave the app as transmissions: the title card (it names the teacher and the
    school) is among them for a named reviewer and never for an anonymous one (StoryboardView.show)."""
    import asyncio

    from rich.color import ColorSystem
    from test_storyboard import _open_detail_of
    from textual.geometry import Region

    from tui.app import StationApp

    station, _ = boarded
    sid = station.db().execute("SELECT id FROM submissions WHERE title = 'long'").fetchone()[0]
    (board,) = pictures.storyboards(station, sid)
    title = _frame(board.frames[0])
    assert board.frames[0].title

    def sent(anonymous: bool) -> list[Image.Image]:
        async def go():
            app = StationApp(
                station, reviewer="张老师", watch=False, anonymous=anonymous, graphics=graphics.Graphics("kitty")
            )
            async with app.run_test(size=(80, 24)) as pilot:
                # headless, the console has no colour system; a Kitty terminal has 256 colours or more
                pilot.app.console._color_system = ColorSystem.EIGHT_BIT
                await _open_detail_of("long")(pilot)
                view = pilot.app.screen.query_one(board_widget.StoryboardView)
                assert view.mode() == "kitty"
                strips = view.render_lines(Region(0, 0, view.size.width, view.size.height))
                return "".join(s.text for strip in strips for s in strip if s.control).encode()

        out = []
        for png in kitty_images(asyncio.run(go())).values():
            with Image.open(io.BytesIO(png)) as picture:
                out.append(picture.crop(picture.getbbox()).convert("RGB").resize((160, 90)))
        assert len(out) >= 10  # every frame of the storyboard, sent once
        return out

    def is_title(picture) -> bool:
        return ImageStat.Stat(ImageChops.difference(picture, title)).mean[0] < 12

    assert any(is_title(p) for p in sent(anonymous=False))
    assert not any(is_title(p) for p in sent(anonymous=True))
