"""Pieces every screen shares: the section bar and the base screen with its help."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from tui import strings as S
from tui.widgets.cells import plain
from tui.widgets.guard import Guarded
from tui.widgets.modals import HelpModal


class SectionBar(Static):
    DEFAULT_CSS = "SectionBar { height: 1; background: $panel; }"

    def __init__(self, section: str):
        super().__init__()
        self.section = section

    def on_mount(self) -> None:
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        app = self.app
        line = Text(S.APP_TITLE + " ", style="bold")
        for key, label in S.SECTIONS.items():
            line.append(f" {label} ", style="reverse bold" if key == self.section else "")
        who = S.REVIEWER.format(name=app.reviewer.name)
        if app.reviewer.read_only:
            who += S.READ_ONLY
        right = plain(who)
        gap = self.size.width - cell_len(line.plain) - cell_len(right.plain)
        if gap >= 1:
            line.append(" " * gap)
            line.append_text(right)
        self.update(line)


class StationScreen(Guarded, Screen):
    """A screen with a name for the help dialog; `?`/F1 lists its keys."""

    SECTION = ""
    NAME = ""

    def action_show_keys(self) -> None:
        groups: dict[str, tuple[list[str], str]] = {}
        for active in self.active_bindings.values():
            b = active.binding
            if not active.enabled or (b.id or "") not in S.KEYS:
                continue
            keys, _ = groups.setdefault(b.id or b.action, ([], b.description))
            display = self.app.get_key_display(b)
            if display not in keys:
                keys.append(display)
        self.app.push_screen(HelpModal(self.NAME, [("/".join(k), d) for k, d in groups.values()]))


class StatusLine(Widget):
    """One line of text drawn with the Line API: updating it repaints one line, never the layout."""

    DEFAULT_CSS = "StatusLine { height: 1; background: $panel; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text = Text()

    def set(self, text: Text) -> None:
        if text.plain != self.text.plain or text.spans != self.text.spans:
            self.text = text
            self.refresh()

    def render(self) -> Text:  # for tests and screenshots that ask for the content
        return self.text

    def render_line(self, y: int) -> Strip:
        if y:
            return Strip.blank(self.size.width, self.rich_style)
        segments = list(self.text.render(self.app.console))
        return Strip(segments).adjust_cell_length(self.size.width, self.rich_style).apply_style(self.rich_style)
