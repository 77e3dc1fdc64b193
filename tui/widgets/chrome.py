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
        """Sections on the left, who and in which mode on the right: the right side is never dropped.

        When the line is too narrow the app title goes first, then the section labels shrink to their numbers
        around the current one, then the mode tags take their short forms.
        """
        who = self.app.reviewer
        tags = []
        if who.read_only:
            tags.append((S.READ_ONLY, S.READ_ONLY_SHORT))
        if who.anonymous:
            tags.append((S.ANONYMOUS, S.ANONYMOUS_SHORT))
        if who.unit:
            tags.append((S.RECUSED_TAG.format(unit=who.unit), S.RECUSED_SHORT))
        long_right = S.REVIEWER.format(name=who.name) + "".join(t for t, _ in tags)
        short_right = who.name + "".join(t for _, t in tags)
        width = self.size.width
        for title, compact, right in (
            (True, False, long_right),
            (False, False, long_right),
            (False, True, long_right),
            (False, True, short_right),
        ):
            line = self._sections(title, compact)
            if cell_len(line.plain) + cell_len(right) + 1 <= width:
                break
        gap = max(1, width - cell_len(line.plain) - cell_len(right))
        line.append(" " * gap)
        line.append_text(plain(right, "bold" if tags else ""))
        line.truncate(max(width, 1))
        self.update(line)

    def _sections(self, title: bool, compact: bool) -> Text:
        line = Text(S.APP_TITLE + " " if title else "", style="bold")
        for key, label in S.SECTIONS.items():
            current = key == self.section
            text = label if current or not compact else label.split()[0]
            line.append(f" {text} " if not compact else f"{text} ", style="reverse bold" if current else "")
        return line


class StationScreen(Guarded, Screen):
    """A screen with a name for the help dialog; `?`/F1 lists its keys."""

    SECTION = ""
    NAME = ""

    def action_show_keys(self) -> None:
        """Every key that works here, grouped by task (S.KEY_GROUPS), in binding order within a group."""
        groups: dict[str, tuple[list[str], str]] = {}
        for active in self.active_bindings.values():
            b = active.binding
            if not active.enabled or (b.id or "") not in S.KEYS:
                continue
            keys, _ = groups.setdefault(b.id or b.action, ([], b.description))
            display = self.app.get_key_display(b)
            if display not in keys:
                keys.append(display)
        by_task: dict[str, list[tuple[str, str]]] = {task: [] for task in S.KEY_GROUP_ORDER}
        for binding_id, (keys, description) in groups.items():
            task = S.KEY_GROUPS.get(binding_id, S.KEY_GROUP_SCREEN)
            by_task.setdefault(task, []).append(("/".join(keys), description))
        self.app.push_screen(HelpModal(self.NAME, [(task, rows) for task, rows in by_task.items() if rows]))


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
