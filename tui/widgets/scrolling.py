"""Scrolling without animation: one repaint per key (an animated scroll writes a dozen frames and smears over
SSH)."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll

from tui import strings as S


class StillScroll(VerticalScroll, inherit_bindings=False):
    """A vertical scroll container without key bindings of its own: Textual's (pagedown, home, end, arrows)
    belong to the focused container, win over the screen's, and animate (22 frames, 68 KB for one PgDn at
    80x24). The screen's ScrollKeys do the scrolling instead."""

    BINDINGS = []


class ScrollKeys:
    """Line, page and edge scrolling of a screen's `#scroll` container (a StillScroll), one repaint per key: no
    scroll animation (it writes a dozen frames and smears over SSH). Used by the detail and overview screens."""

    def action_scroll(self, lines: int) -> None:
        self.query_one("#scroll", VerticalScroll).scroll_relative(y=lines, animate=False)  # type: ignore[attr-defined]

    def action_page(self, direction: int) -> None:
        scroll = self.query_one("#scroll", VerticalScroll)  # type: ignore[attr-defined]
        scroll.scroll_relative(y=direction * max(1, scroll.size.height - 1), animate=False)

    def action_edge(self, end: int) -> None:
        scroll = self.query_one("#scroll", VerticalScroll)  # type: ignore[attr-defined]
        if end:
            scroll.scroll_end(animate=False)
        else:
            scroll.scroll_home(animate=False)


# The line, page and edge keys of a ScrollKeys screen (the detail view and the help dialog share their ids, so a
# user's keymap moves both).
SCROLL_BINDINGS = [
    Binding("j,down", "scroll(1)", S.KEYS["detail.down"], show=False, id="detail.down"),
    Binding("k,up", "scroll(-1)", S.KEYS["detail.up"], show=False, id="detail.up"),
    Binding("pagedown,space", "page(1)", S.KEYS["detail.page_down"], show=False, id="detail.page_down"),
    Binding("pageup", "page(-1)", S.KEYS["detail.page_up"], show=False, id="detail.page_up"),
    Binding("home,g", "edge(0)", S.KEYS["detail.top"], show=False, id="detail.top"),
    Binding("end,G", "edge(1)", S.KEYS["detail.bottom"], show=False, id="detail.bottom"),
]
