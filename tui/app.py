"""The Textual app: sections on number keys, a writer thread for every change, and a watch on the
database so several reviewers on one station see each other's decisions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.scrollbar import ScrollBarRender

from tui import keymap
from tui import strings as S
from tui.palette import StationCommands, StationPalette
from tui.screens.jobs import JobsScreen
from tui.screens.overview import OverviewScreen, QuotaScreen
from tui.screens.queue import QueueScreen
from tui.widgets.modals import ErrorModal, InputModal
from workflows import campaigns, reviewers
from workflows.errors import StationError
from workflows.station import Station

POLL_SECONDS = 1.0


def configure() -> None:
    """Process-wide Textual set-up, made by the app when it starts (idempotent).

    Textual draws scrollbar ends with eighth blocks, which are ambiguous-width (two cells on some SSH clients).
    """
    ScrollBarRender.VERTICAL_BARS = [" "] * 8
    ScrollBarRender.HORIZONTAL_BARS = [" "] * 8


class WriteDone(Message):
    def __init__(self, callback: Callable, value):
        super().__init__()
        self.callback = callback
        self.value = value


class StationApp(App):
    TITLE = S.APP_TITLE
    # No box-drawing or block glyphs (ambiguous width over SSH): plain backgrounds instead of borders.
    CSS = """
    Toast { border-left: none; padding: 0 1; }
    Input { border: none; height: 1; padding: 0 1; background: $boost; }
    Input:focus { border: none; background: $accent 30%; }
    OptionList { border: none; }
    OptionList:focus { border: none; }
    """
    COMMANDS = {StationCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    MODES = {
        "overview": OverviewScreen,
        "import": lambda: JobsScreen("import"),
        "checks": lambda: JobsScreen("checks"),
        "queue": QueueScreen,
        "quota": QuotaScreen,
        "export": lambda: JobsScreen("export"),
    }
    BINDINGS = [
        Binding("ctrl+q", "quit", S.KEYS["app.quit"], id="app.quit", priority=True),
        Binding("ctrl+p", "command_palette", S.KEYS["app.palette"], id="app.palette", priority=True),
        Binding("question_mark,f1", "help", S.KEYS["app.help"], id="app.help"),
        Binding("1", "section('overview')", S.KEYS["app.overview"], show=False, id="app.overview"),
        Binding("2", "section('import')", S.KEYS["app.import"], show=False, id="app.import"),
        Binding("3", "section('checks')", S.KEYS["app.checks"], show=False, id="app.checks"),
        Binding("4", "section('queue')", S.KEYS["app.queue"], show=False, id="app.queue"),
        Binding("5", "section('quota')", S.KEYS["app.quota"], show=False, id="app.quota"),
        Binding("6", "section('export')", S.KEYS["app.export"], show=False, id="app.export"),
    ]

    def __init__(
        self,
        station: Station,
        reviewer: str | None = None,
        read_only: bool = False,
        anonymous: bool = False,
        section: str = "queue",
        watch: bool = True,
    ):
        configure()
        super().__init__()
        self.station = station
        who = reviewers.get(station.db(), reviewer) if reviewer else reviewers.Reviewer("")
        self.reviewer = reviewers.Reviewer(
            who.name, who.unit, who.read_only or read_only, who.anonymous or anonymous, who.registered
        )
        self.start_section = section
        self.watch = watch
        self.undo_stack: list = []  # Outcomes of this session; touched only on the writer thread
        self.jobs: list[dict] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="station-writer")
        self._data_version = None
        self._campaign_names: dict[int, str] = {}
        self.sub_title = S.REVIEWER.format(name=self.reviewer.name)
        self.set_keymap(self._load_keymap())

    def _load_keymap(self) -> dict[str, str]:
        self._keymap_problems: list[str] = []
        mapping, self._keymap_problems = keymap.load(self.station.config_dir)
        return mapping

    def on_mount(self) -> None:
        for problem in self._keymap_problems:
            self.notify(problem, severity="warning", timeout=8, markup=False)
        if self.reviewer.name:
            self.switch_mode(self.start_section)
        else:
            self.push_screen(InputModal(S.REVIEWER_TITLE, _os_user(), required=S.REVIEWER_TITLE), self._set_reviewer)
        self._data_version = self._read_data_version()
        if self.watch:
            self.set_interval(POLL_SECONDS, self._poll)

    def _set_reviewer(self, name: str | None) -> None:
        if not name:
            self.exit()
            return
        self.reviewer = reviewers.get(self.station.db(), name.strip())
        self.sub_title = S.REVIEWER.format(name=self.reviewer.name)
        self.switch_mode(self.start_section)

    def on_unmount(self) -> None:
        self._writer.shutdown(wait=True)

    # --- sections and help ---------------------------------------------------------------

    def action_section(self, name: str) -> None:
        while (
            len(self.screen_stack) > 1
            and self.screen is not self.get_default_screen()
            and getattr(self.screen, "is_modal", False)
        ):
            self.pop_screen()
        if self.current_mode != name:
            self.switch_mode(name)
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def queue_screen(self) -> QueueScreen | None:
        try:
            stack = self._screen_stacks.get("queue") or []
        except AttributeError:
            return None
        return next((s for s in stack if isinstance(s, QueueScreen)), None)

    def action_help(self) -> None:
        action = getattr(self.screen, "action_show_keys", None)
        if action:
            action()

    def get_key_display(self, binding: Binding) -> str:
        """Key names in ASCII (Textual's arrows and symbols are ambiguous-width)."""
        if binding.key_display:
            return binding.key_display
        return keymap.display(binding.key)

    def action_help_quit(self) -> None:
        self.notify(S.QUIT_HINT.format(key=self.get_key_display(self.BINDINGS[0])), title=S.QUIT_TITLE, markup=False)

    def action_command_palette(self) -> None:
        if not StationPalette.is_open(self):
            self.push_screen(StationPalette())

    def action_cycle_theme(self) -> None:
        names = ["textual-dark", "textual-light", "textual-ansi"]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]

    def campaign_name(self, campaign_id) -> str:
        if campaign_id not in self._campaign_names:
            self._campaign_names[campaign_id] = campaigns.name_of(self.station, campaign_id)
        return self._campaign_names[campaign_id]

    # --- writes and other people's changes -----------------------------------------------

    def write(self, fn: Callable, done: Callable, failed: Callable) -> None:
        """Run FN on the writer thread (in order); DONE(result) or FAILED(error) back on the UI thread."""

        def job():
            try:
                result = fn()
            except Exception as e:  # every failure becomes a dialog, never a crash
                self.post_message(WriteDone(failed, e))
            else:
                self.post_message(WriteDone(done, result))

        # After the next frame: the thread competes for the GIL, and the screen already shows the change.
        self.call_after_refresh(self._writer.submit, job)

    def on_write_done(self, message: WriteDone) -> None:
        message.callback(message.value)

    def show_error(self, error: BaseException) -> None:
        from workflows.review import decide as review

        details = []
        if isinstance(error, review.Conflict):
            details = [
                S.CONFLICT_STATE.format(
                    id=i,
                    decision=S.DECISION[s.decision],
                    reviewer=s.reviewer or "-",
                    at=(s.decided_at or "")[:19].replace("T", " "),
                )
                for i, s in list(error.current.items())[:5]
            ]
            self.push_screen(ErrorModal(error.message, S.CONFLICT_TITLE, details))
        elif isinstance(error, StationError):
            self.push_screen(ErrorModal(f"{error.message}（{error.code}）"))
        else:
            self.push_screen(ErrorModal(S.ERROR_UNEXPECTED.format(error=f"{type(error).__name__}: {error}")))

    def _read_data_version(self) -> int:
        return self.station.data_version()

    def _poll(self) -> None:
        version = self._read_data_version()
        if version != self._data_version:
            self._data_version = version
            self.data_changed()

    def data_changed(self) -> None:
        for stack in self._screen_stacks.values():
            for screen in stack:
                handler = getattr(screen, "external_change", None)
                if handler and screen.is_mounted:
                    handler()


def _os_user() -> str:
    from workflows.station import actor

    return actor()
