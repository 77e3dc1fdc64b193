"""The queue drawn with the Line API: only the visible rows are read (from the model's page cache)
and drawn; moving the cursor repaints two lines."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from tui import strings as S
from tui.widgets.cells import fit
from tui.widgets.queue_model import QueueModel
from workflows.rules import stages

HEADER = Style(bold=True, underline=True)
CURSOR = Style(reverse=True, bold=True)
MARKED = Style(bold=True)
DECISION_STYLE = {
    "recommend": Style(color="green"),
    "reject": Style(color="red"),
    "fix": Style(color="yellow"),
    "pending": Style(color="cyan"),
    None: Style(dim=True),
}
CHECK_STYLE = {
    "fail": Style(color="red"),
    "refused": Style(color="red", bold=True),
    "warn": Style(color="yellow"),
    "pass": Style(color="green"),
    "none": Style(dim=True),
}

# key, header, fixed width (None: shares the rest), right-aligned
COLUMNS = [
    ("mark", "", 2, False),
    ("id", S.COL_ID + " ", 6, True),
    ("title", S.COL_TITLE, None, False),
    ("stage", S.COL_STAGE, 5, False),
    ("subject", S.COL_SUBJECT, 5, False),
    ("school", S.COL_SCHOOL, None, False),
    ("teacher", S.COL_TEACHER, 7, False),
    ("check", S.COL_CHECK, 9, False),
    ("decision", S.COL_DECISION, 6, False),
]
# Columns the reviewer can show (the queue's `l` key): the note, how many experts scored, who decided.
OPTIONAL = {
    "note": (S.COL_NOTE, 12, False),
    "scorers": (S.COL_SCORERS, 5, True),
    "decider": (S.COL_DECIDER, 7, False),
}
FLEX_SHARE = {"title": 0.58, "school": 0.42}
ANONYMOUS_HIDDEN = {"school", "teacher"}


def check_summary(r: dict) -> tuple[str, str]:
    if r.get("status") == "rejected":  # a refused archive: never counted, never recommendable
        return S.CHECK_REFUSED, "refused"
    if r["fails"]:
        return S.CHECK_FAIL.format(n=r["fails"]), "fail"
    if r["warns"]:
        return S.CHECK_WARN.format(n=r["warns"]), "warn"
    if r["checked"]:
        return S.CHECK_PASS, "pass"
    return S.CHECK_NONE, "none"


class QueueView(Widget, can_focus=True):
    DEFAULT_CSS = "QueueView { height: 1fr; }"

    def __init__(self, model: QueueModel, anonymous: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.anonymous = anonymous
        self.top = 0
        self._layout: list[tuple[str, str, int, bool]] = []
        self._layout_width = -1
        self._strips: dict[tuple, Strip] = {}
        self.extra: tuple[str, ...] = ()  # of OPTIONAL, shown before the check column
        self._base: Style | None = None  # self.rich_style, which walks the ancestors' styles on every call

    def set_extra(self, extra: tuple[str, ...]) -> None:
        self.extra = tuple(k for k in OPTIONAL if k in extra)
        self._layout_width = -1
        self._strips.clear()
        self.refresh()

    # --- geometry ------------------------------------------------------------------------

    @property
    def rows_visible(self) -> int:
        return max(1, self.size.height - 1)

    def columns(self, width: int) -> list[tuple[str, str, int, bool]]:
        if width != self._layout_width:
            cols = [c for c in COLUMNS if not (self.anonymous and c[0] in ANONYMOUS_HIDDEN)]
            at = next(i for i, c in enumerate(cols) if c[0] == "check")
            cols[at:at] = [(k, OPTIONAL[k][0], OPTIONAL[k][1], OPTIONAL[k][2]) for k in self.extra]
            fixed = sum(c[2] for c in cols if c[2])
            flex = [c for c in cols if c[2] is None]
            rest = max(0, width - fixed)
            share = {c[0]: FLEX_SHARE[c[0]] for c in flex}
            total_share = sum(share.values()) or 1
            widths, used = {}, 0
            for i, c in enumerate(flex):
                widths[c[0]] = rest - used if i == len(flex) - 1 else int(rest * share[c[0]] / total_share)
                used += widths[c[0]]
            self._layout = [(c[0], c[1], c[2] or widths[c[0]], c[3]) for c in cols]
            self._layout_width = width
        return self._layout

    def scroll_to_cursor(self) -> bool:
        """Keep the cursor in view; True when the view scrolled."""
        top = self.top
        if self.model.cursor < self.top:
            self.top = self.model.cursor
        elif self.model.cursor >= self.top + self.rows_visible:
            self.top = self.model.cursor - self.rows_visible + 1
        self.top = max(0, min(self.top, max(0, self.model.total - self.rows_visible)))
        return self.top != top

    def move(self, index: int) -> None:
        """Move the cursor, repainting only what changed."""
        old = self.model.cursor
        self.model.move_to(index)
        if self.scroll_to_cursor():
            self.refresh()
        elif old != self.model.cursor:
            self.refresh_row(old)
            self.refresh_row(self.model.cursor)

    def refresh_row(self, index: int) -> None:
        y = index - self.top + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

    def on_resize(self) -> None:
        self.scroll_to_cursor()
        self.refresh()

    def notify_style_update(self) -> None:
        self._base = None  # the theme or the CSS changed
        super().notify_style_update()

    # --- drawing -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        layout = self.columns(width)
        # The widget's own colours (both foreground and background) under every cell: text in the terminal's
        # default colours and colour names on its default background are unreadable on a light terminal.
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if y == 0:
            return (
                Strip([Segment(fit(header, w, right), HEADER) for _, header, w, right in layout])
                .adjust_cell_length(width)
                .apply_style(base)
            )
        index = self.top + y - 1
        r = self.model.row(index)
        if r is None:
            return Strip.blank(width, base)
        self.model.seen[r["id"]] = r["rev"]  # what the reviewer sees is what a decision is conditional on
        cursor = index == self.model.cursor
        marked = r["id"] in self.model.marked
        content = (
            width,
            r["id"],
            r["title"],
            r["stage"],
            r["subject"],
            r["school"],
            r["teacher"],
            r["decision"],
            r["fails"],
            r["warns"],
            r["checked"],
            r.get("status"),
            self.extra,
            r.get("note") if "note" in self.extra else None,
            r.get("scorers") if "scorers" in self.extra else None,
            r.get("reviewer") if "decider" in self.extra else None,
        )
        key = (content, cursor, marked, base)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 4000:
                self._strips.clear()
            cells = self._strips.get(content)
            if cells is None:
                cells = self._strips[content] = self._cells(r, layout)
            strip = self._strips[key] = self._style_row(cells, width, cursor, marked).apply_style(base)
        return strip

    def _cells(self, r: dict, layout) -> list[tuple[str, str, Style]]:
        """The row's column texts fitted to their widths, with their own styles (cursor and marks apart)."""
        check_text, check_kind = check_summary(r)
        values = {
            "mark": "",
            "id": f"{r['id']} ",
            "title": r["title"],
            "stage": stage_label(r["stage"]),
            "subject": r["subject"] or "",
            "school": r["school"] or "",
            "teacher": r["teacher"] or "",
            "check": check_text,
            "decision": S.DECISION.get(r["decision"], r["decision"] or ""),
            "note": r.get("note") or "",
            "scorers": str(r.get("scorers") or "") + " ",
            "decider": (r.get("reviewer") or "") if r["decision"] else "",
        }
        cells = []
        last = layout[-1][0]
        for key, _, w, right in layout:
            pad = key not in ("mark", "id", last)
            text = fit(values[key], w - 1, right) + " " if pad else fit(values[key], w, right)
            style = Style()
            if key == "decision":
                style = DECISION_STYLE.get(r["decision"], Style())
            elif key == "check":
                style = CHECK_STYLE[check_kind]
            cells.append((key, text, style))
        return cells

    @staticmethod
    def _style_row(cells, width: int, cursor: bool, marked: bool) -> Strip:
        segments = []
        for key, text, style in cells:
            if key == "mark" and marked:
                text = "* " + text[2:]
            if marked:
                style += MARKED
            if cursor:
                style = CURSOR if key not in ("decision", "check") else style + CURSOR
            segments.append(Segment(text, style))
        return Strip(segments).adjust_cell_length(width)


STAGE_CELLS = 4  # the 学段 column: two Chinese characters
STAGE_SHORT = {"特殊教育": "特教"}  # the 学段 keys (workflows.rules.stages) that do not fit the column


def stage_label(written: str | None) -> str:
    """The 学段 as the queue shows it: as written when it fits, else its short name (学前教育 -> 学前, 普通高中 ->
    高中, 特殊教育 -> 特教), so the column names the 学段 instead of a cut `学>`."""
    if not written:
        return ""
    if cell_len(written) <= STAGE_CELLS:
        return written
    found = stages.keys(written)
    if len(found) == 1:
        return STAGE_SHORT.get(found[0], found[0])
    return written
