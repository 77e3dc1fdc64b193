"""The command palette in Chinese: its placeholder, its empty result, and commands that reflect state."""

from __future__ import annotations

from functools import partial

from rich.align import Align
from rich.text import Text
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from tui import strings as S
from tui.widgets import queue_model as q


class StationPalette(CommandPalette):
    def __init__(self):
        super().__init__(placeholder=S.PALETTE_PLACEHOLDER, id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own version shows "No matches found" in English.
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                from textual.command import CommandList

                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(S.PALETTE_NO_MATCHES, style="not bold")), disabled=True, id=self._NO_MATCHES
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


def initials(name: str) -> str:
    """The pinyin initials of NAME's Chinese characters (S.PINYIN_INITIALS), other characters dropped."""
    return "".join(S.PINYIN_INITIALS.get(c, "") for c in name)


class StationCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str, str]]:
        """(Chinese name, action, help, command id) of every command that applies now."""
        return [(name, run, help_text, cid) for cid, name, run, help_text in self._table()]

    def _table(self) -> list[tuple[str, str, object, str]]:
        app = self.app
        out = [
            (
                f"section.{key}",
                S.CMD_SECTION.format(name=label[2:]),
                partial(app.action_section, key),
                S.CMD_HELP_TEXT["section"],
            )
            for key, label in S.SECTIONS.items()
        ]
        queue = app.queue_screen()
        if queue is not None:
            active = queue.model.filter.quick
            for key in ("undecided", "failed", "fix"):
                name = (S.CMD_QUICK_ON if key in active else S.CMD_QUICK).format(name=S.QUICK[key])
                out.append(
                    (f"quick.{key}", name, partial(self._on_queue, "action_quick", key), S.CMD_HELP_TEXT["quick"])
                )
            for key in q.SORTS:
                if key != queue.model.filter.sort:
                    out.append(
                        (
                            f"sort.{key}",
                            S.CMD_SORT.format(name=S.SORTS[key]),
                            partial(self._on_queue, "action_sort", key),
                            S.CMD_HELP_TEXT["sort"],
                        )
                    )
            if queue.model.filter.active:
                out.append(("clear", S.CMD_CLEAR, partial(self._on_queue, "action_clear"), S.CMD_HELP_TEXT["clear"]))
            if not app.reviewer.read_only:
                out.append(("undo", S.CMD_UNDO, partial(self._on_queue, "action_undo"), S.CMD_HELP_TEXT["undo"]))
        out.append(("help", S.CMD_HELP, app.action_help, S.CMD_HELP_TEXT["help"]))
        out.append(("theme", S.CMD_THEME, app.action_cycle_theme, S.CMD_HELP_TEXT["theme"]))
        out.append(("quit", S.CMD_QUIT, app.action_quit, S.CMD_HELP_TEXT["quit"]))
        return out

    def _on_queue(self, method: str, *args) -> None:
        self.app.action_section("queue")
        queue = self.app.queue_screen()
        if queue is not None:
            getattr(queue, method)(*args)

    async def discover(self) -> Hits:
        for name, run, help_text, _ in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, help_text, cid in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
                continue
            # pinyin initials (sxws) or the English name (filter undecided): the Chinese name is shown
            score = max(matcher.match(initials(name)), matcher.match(S.CMD_ENGLISH.get(cid, "")))
            if score > 0:
                yield Hit(score * 0.9, name, run, help=help_text)
