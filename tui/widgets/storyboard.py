"""The storyboard of a lesson as a grid of small pictures drawn with text cells.

Why quadrant blocks, not half blocks: the usual terminal picture (rich-pixels, textual-image's
fallback) puts two pixels in a cell with U+2580/U+2584 (upper/lower half block). Those are
East-Asian *ambiguous* width: a PuTTY/Xshell profile set to CJK draws them two cells wide and
every picture line then pushes the screen apart. The station draws with the glyphs that are
width-neutral everywhere instead: the quadrants U+2596..U+259F and the right half U+2590, with
a foreground and a background colour, so one cell shows 2x2 pixels in two colours. The one
pattern they cannot draw (top half against bottom half) takes the closest pattern they can, by
colour error. A space with a background colour carries a one-colour cell.
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from rich.color import Color
from rich.segment import ControlType, Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tui import strings as S
from tui.safe_text import safe
from tui.widgets import picture_codes as codes

# 2x2 masks (upper-left, upper-right, lower-left, lower-right) -> glyph drawn in the foreground colour.
# Every glyph here is East-Asian width N; the complement of a mask is the same glyph with fg/bg swapped.
QUADRANTS = {
    (1, 0, 0, 0): "\u2598",
    (0, 1, 0, 0): "\u259d",
    (0, 0, 1, 0): "\u2596",
    (0, 0, 0, 1): "\u2597",
    (1, 0, 0, 1): "\u259a",
    (0, 1, 1, 0): "\u259e",
    (1, 0, 1, 1): "\u2599",
    (1, 1, 1, 0): "\u259b",
    (1, 1, 0, 1): "\u259c",
    (0, 1, 1, 1): "\u259f",
    (0, 1, 0, 1): "\u2590",  # right half; its complement is the left half
}
CELL_COLS, CELL_GAP = 11, 1  # one small picture: 11 cells wide (22 pixels)
PICTURE_ROWS = 6  # lines of one small picture (16:9 at 11 cells)
TITLE_CARD_SECONDS = 5.0  # the notices' 5 s title card


def _mean(pixels):
    n = len(pixels)
    return tuple(sum(p[i] for p in pixels) // n for i in range(3))


def _error(pixels, colour) -> int:
    return sum((p[0] - colour[0]) ** 2 + (p[1] - colour[1]) ** 2 + (p[2] - colour[2]) ** 2 for p in pixels)


def _cell(quad) -> tuple[str, tuple, tuple]:
    """(glyph, fg, bg) that draws four pixels with the least colour error."""
    flat = _mean(quad)
    best = (_error(quad, flat), " ", flat, flat)
    for mask, glyph in QUADRANTS.items():
        on = [p for p, m in zip(quad, mask) if m]
        off = [p for p, m in zip(quad, mask) if not m]
        fg, bg = _mean(on), _mean(off)
        err = _error(on, fg) + _error(off, bg)
        if err < best[0]:
            best = (err, glyph, fg, bg)
    return best[1], best[2], best[3]


def picture_lines(path: Path, cols: int, rows: int | None = None) -> list[list[Segment]]:
    """The picture at PATH as ROWS lines of COLS cells (2x2 pixels each); ROWS from its aspect ratio
    when None (a cell is about twice as tall as wide, so a pixel pair per cell is square)."""
    from PIL import Image  # loaded when a picture is first drawn

    with Image.open(path) as img:
        img = img.convert("RGB")
        if rows is None:
            rows = max(1, round(cols * img.height / img.width / 2))
        small = img.resize((cols * 2, rows * 2), Image.Resampling.BOX)
    px = small.load()
    lines = []
    for y in range(rows):
        line = []
        for x in range(cols):
            quad = [px[2 * x, 2 * y], px[2 * x + 1, 2 * y], px[2 * x, 2 * y + 1], px[2 * x + 1, 2 * y + 1]]
            glyph, fg, bg = _cell(quad)
            style = Style(color=Color.from_rgb(*fg), bgcolor=Color.from_rgb(*bg))
            line.append(Segment(glyph, style))
        lines.append(line)
    return lines


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def grid(frames, selected: int, width: int, cache: dict, places: list | None = None) -> Text:
    """FRAMES (workflows.checks.pictures.Frame) as rows of small pictures with their times under them;
    the SELECTED one's caption is reversed. CACHE keeps drawn pictures by object id.

    With PLACES (terminal graphics) the pictures are left blank and PLACES gets (line, column, frame) of
    each picture's top-left cell, for the widget to draw the real picture there."""
    out = Text()
    per_row = max(1, (width + CELL_GAP) // (CELL_COLS + CELL_GAP))
    blank = [[Segment(" " * CELL_COLS)] for _ in range(PICTURE_ROWS)]
    line = 0
    for start in range(0, len(frames), per_row):
        row = frames[start : start + per_row]
        pictures = []
        for i, frame in enumerate(row):
            if places is not None:
                places.append((line, i * (CELL_COLS + CELL_GAP), frame))
                pictures.append(blank)
                continue
            if frame.sha256 not in cache:
                try:
                    cache[frame.sha256] = picture_lines(frame.path, CELL_COLS, PICTURE_ROWS)
                except (OSError, ValueError):  # a missing or unreadable object: an empty box, never a crash
                    cache[frame.sha256] = [[Segment(" " * CELL_COLS)] for _ in range(PICTURE_ROWS)]
            pictures.append(cache[frame.sha256])
        for y in range(PICTURE_ROWS):
            for i, lines in enumerate(pictures):
                if i:
                    out.append(" " * CELL_GAP)
                for seg in lines[y]:
                    out.append(seg.text, seg.style)
            out.append("\n")
        for i, frame in enumerate(row):
            index = start + i
            label = (S.STORYBOARD_TITLE_MARK if frame.title else "") + clock(frame.time)
            if i:
                out.append(" " * CELL_GAP)
            out.append(_fit(label, CELL_COLS), style="reverse bold" if index == selected else "dim")
        out.append("\n")
        line += PICTURE_ROWS + 1
    return out


def _fit(text: str, cells: int) -> str:
    while cell_len(text) > cells:
        text = text[:-1]
    return text + " " * (cells - cell_len(text))


class StoryboardView(Static):
    """Every storyboard frame of the work's videos as a grid; left/right select a frame and show its time."""

    DEFAULT_CSS = "StoryboardView { height: auto; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.boards: list = []
        self.selected = 0
        self.cache: dict = {}
        self.width_cells = 76
        self.selected_rows: tuple[int, int] | None = None
        # terminal graphics (tui.graphics): where each blank picture sits, its fitted picture and codes
        self.places: list[tuple[int, int, object]] = []
        self.fitted: dict[str, object] = {}  # sha256 -> RGBA picture in the cell box (None: unreadable)
        self.sixels: dict[tuple, str] = {}
        self.kitty_shown: set[int] = set()

    def show(self, boards: list, width: int, anonymous: bool) -> None:
        """BOARDS from workflows.checks.pictures.storyboards. An anonymous reviewer does not see the title
        card (it names the teacher and the school): its thumbnail and frames of the first 5 s are left out."""
        if anonymous:
            for board in boards:
                board.frames = [f for f in board.frames if not f.title and f.time >= TITLE_CARD_SECONDS]
        self.boards = [b for b in boards if b.frames]
        self.width_cells = width
        self.selected = min(self.selected, max(0, self.total - 1))
        self.display = bool(self.boards)
        self.draw()

    @property
    def total(self) -> int:
        return sum(len(b.frames) for b in self.boards)

    def step(self, delta: int) -> None:
        if self.total:
            self.selected = max(0, min(self.total - 1, self.selected + delta))
            self.draw()
            self.call_after_refresh(self.reveal)

    def reveal(self) -> None:
        """Scroll the selected frame's row into view, with the status line above it when both fit."""
        container = self.parent
        if self.selected_rows is None or not isinstance(container, Widget):
            return
        top, bottom = self.selected_rows
        height = container.scrollable_content_region.height
        if bottom - 1 > height:
            top = bottom - height
        y = self.virtual_region.y
        region = Region(0, y + top, self.size.width, bottom - top)
        container.scroll_to_region(region, animate=False, immediate=True, top=True)

    def current(self):
        index = self.selected
        for board in self.boards:
            if index < len(board.frames):
                return board, board.frames[index]
            index -= len(board.frames)
        return None, None

    def draw(self) -> None:
        if not self.boards:
            self.update("")
            return
        out = Text()
        out.append("\n" + S.STORYBOARD_HEADING + "\n", style="bold underline")
        board, frame = self.current()
        out.append(
            "  "
            + S.STORYBOARD_SELECTED.format(
                n=self.selected + 1, total=self.total, time=clock(frame.time), file=safe(board.file_path)
            )
            + "\n",
            style="bold",
        )
        offset = 0
        per_row = max(1, (self.width_cells + CELL_GAP) // (CELL_COLS + CELL_GAP))
        graphic = self.mode() != "blocks"
        self.places = []
        for b in self.boards:
            every = S.STORYBOARD_EVERY.format(every=b.every) if b.every else ""
            out.append("  " + safe(b.file_path) + every + "\n", style="dim")
            if offset <= self.selected < offset + len(b.frames):
                first = len(out.plain.split("\n")) - 1 + (self.selected - offset) // per_row * (PICTURE_ROWS + 1)
                self.selected_rows = (1, first + PICTURE_ROWS + 1)  # the status line (1) down to the caption
            places: list | None = [] if graphic else None
            top = len(out.plain.split("\n")) - 1
            out.append_text(grid(b.frames, self.selected - offset, self.width_cells, self.cache, places))
            self.places += [(top + y, x, f) for y, x, f in places or ()]
            offset += len(b.frames)
        self.update(out)

    # --- terminal graphics: the real pictures over the blank cells grid() left ------------------------------

    def mode(self) -> str:
        """kitty, sixel or blocks for this run (blocks without a probe: Pilot, snapshots, a pipe)."""
        found = getattr(self.app, "graphics", None)
        mode = found.mode if found is not None else "blocks"
        if mode == "kitty" and self.app.console.color_system not in ("truecolor", "256"):
            return "blocks"  # 16 colours cannot carry the image id
        return mode

    def render_lines(self, crop: Region) -> list[Strip]:
        strips = super().render_lines(crop)
        if not self.places or not self.is_mounted or not self.screen.is_active:
            return strips  # under a modal Textual tints the screen: blank cells, no pictures
        mode = self.mode()
        if mode == "blocks":
            return strips
        graphics = self.app.graphics
        strips = list(strips)
        head = []
        truecolor = self.app.console.color_system == "truecolor"
        for y, x, frame in self.places:
            top, bottom = max(y, crop.y), min(y + PICTURE_ROWS, crop.bottom)
            left, right = max(x, crop.x), min(x + CELL_COLS, crop.right)
            if top >= bottom or left >= right:
                continue
            picture = self._fitted(frame, graphics.cell)
            if picture is None:
                continue
            a, b = left - crop.x, right - crop.x
            if mode == "kitty":
                rgb, send = self._kitty(graphics, frame, picture, truecolor)
                head.append(send)
                for row in range(top, bottom):
                    strip = strips[row - crop.y]
                    cells = list(strip.crop(a, b))
                    style = Style(color=Color.from_rgb(*rgb), bgcolor=cells[0].style.bgcolor if cells else None)
                    marks = Segment(codes.kitty_row(row - y, left - x, right - x), style)
                    strips[row - crop.y] = _spliced(strip, a, b, marks)
            else:
                code = self._sixel(frame, picture, graphics.cell, (top - y, bottom - y, left - x, right - x))
                up = bottom - 1 - top
                move = "\x1b7" + f"\x1b[{right - left}D" + (f"\x1b[{up}A" if up else "")
                strip = strips[bottom - 1 - crop.y]
                strips[bottom - 1 - crop.y] = _spliced(strip, b, b, Segment(move + code + "\x1b8", None, _NO_MOVE))
        if any(head):
            first = strips[0]
            strips[0] = Strip([Segment("".join(head), None, _NO_MOVE), *first], first.cell_length)
        return strips

    def _fitted(self, frame, cell: tuple[int, int]):
        if frame.sha256 not in self.fitted:
            try:
                self.fitted[frame.sha256] = codes.boxed(frame.path, cell, CELL_COLS, PICTURE_ROWS)
            except (OSError, ValueError):  # a missing or unreadable object: the blank box stays
                self.fitted[frame.sha256] = None
        return self.fitted[frame.sha256]

    def _sixel(self, frame, picture, cell: tuple[int, int], part: tuple[int, int, int, int]) -> str:
        key = (frame.sha256, *part)
        if key not in self.sixels:
            if len(self.sixels) > 256:
                self.sixels.clear()
            r0, r1, c0, c1 = part
            self.sixels[key] = codes.sixel(picture.crop((c0 * cell[0], r0 * cell[1], c1 * cell[0], r1 * cell[1])))
        return self.sixels[key]

    def _kitty(self, graphics, frame, picture, truecolor: bool) -> tuple[tuple[int, int, int], str]:
        """The colour naming FRAME's Kitty image and, the first time, the command that sends it."""
        slot = graphics.ids.get(frame.sha256)
        if slot is None:
            slot = graphics.next_slot % len(codes.kitty_palette())
            graphics.next_slot += 1
            for sha, used in list(graphics.ids.items()):
                if used == slot:  # a recycled id: the terminal gets the new picture under it
                    del graphics.ids[sha]
                    graphics.sent.discard(codes.kitty_image_id(slot, truecolor)[0])
            graphics.ids[frame.sha256] = slot
        image_id, rgb = codes.kitty_image_id(slot, truecolor)
        self.kitty_shown.add(image_id)
        if image_id in graphics.sent:
            return rgb, ""
        graphics.sent.add(image_id)
        return rgb, codes.kitty_transmit(image_id, picture, CELL_COLS, PICTURE_ROWS)

    def on_unmount(self) -> None:
        """The screen goes: the terminal forgets this view's Kitty pictures (and their placements)."""
        graphics = getattr(self.app, "graphics", None)
        if not self.kitty_shown or graphics is None:
            return
        graphics.sent -= self.kitty_shown
        driver = self.app._driver  # noqa: SLF001 - Textual has no public raw write; the frames go the same way
        if driver is not None:
            driver.write(codes.kitty_free(self.kitty_shown))
            driver.flush()
        self.kitty_shown = set()


_NO_MOVE = ((ControlType.CURSOR_FORWARD, 0),)  # a control segment: zero cells wide, written as it is


def _spliced(strip: Strip, a: int, b: int, middle: Segment) -> Strip:
    """STRIP with cells A..B replaced by MIDDLE (B - A cells; A == B inserts a control segment). Strip.crop
    counts a control segment's text as cells, so the cut is made here, control segments kept whole."""
    left: list[Segment] = []
    right: list[Segment] = []
    pos = 0
    for segment in strip:
        if segment.control:
            if pos <= a:
                left.append(segment)
            elif pos >= b:
                right.append(segment)
            continue
        width = segment.cell_length
        if pos + width <= a:
            left.append(segment)
        elif pos >= b:
            right.append(segment)
        else:
            if pos < a:
                left.append(segment.split_cells(a - pos)[0])
            if pos + width > b:
                right.append(segment.split_cells(b - pos)[1])
        pos += width
    return Strip([*left, middle, *right], strip.cell_length)
