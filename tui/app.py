"""The Textual app: sections on number keys, a writer thread for every change, and a watch on the
database so several reviewers on one station see each other's decisions."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rich.terminal_theme import TerminalTheme
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.scrollbar import ScrollBarRender

from tui import keymap
from tui import strings as S
from tui.graphics import Graphics
from tui.palette import StationCommands, StationPalette
from tui.widgets.guard import Guarded
from tui.widgets.modals import ConfirmModal, ErrorModal, InputModal, RefusalModal
from workflows import reviewers
from workflows.errors import StationError
from workflows.station import Station

if TYPE_CHECKING:
    from tui.screens.queue import QueueScreen

POLL_SECONDS = 1.0
MOUNT_WAIT_SECONDS = 5.0
WRITE_DELAY = 0.05  # at most this long a write waits for the frame that shows it (see write)
KEY_WAIT_SECONDS = 2.0  # at most this long a key waits for the one before it to be handled (see _key_pump)  # at most this long a key waits for the screen it goes to (see on_event)
# More unexpected errors than this within ERROR_WINDOW seconds: something is broken for good, stop.
ERROR_LIMIT = 5
ERROR_WINDOW = 10.0
THEMES = ("textual-dark", "textual-light")

# What the ANSI colour names in the screens' styles ("red" for 不通过/不推荐, "green", "yellow") become. Textual's
# default (Monokai) makes red (244,0,95), which a 16-colour terminal gets as magenta. These are the 16 colours
# of the standard palette itself, so a 16-colour terminal gets red as red: on the dark theme the bright
# variants (readable on black), on the light theme the normal ones (readable on white).
_NORMAL = [
    (0, 0, 0),
    (170, 0, 0),
    (0, 170, 0),
    (170, 85, 0),
    (0, 0, 170),
    (170, 0, 170),
    (0, 170, 170),
    (170, 170, 170),
]
_BRIGHT = [(85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255), (85, 255, 255)]
ANSI_DARK = TerminalTheme(
    (0, 0, 0),
    (255, 255, 255),
    [_NORMAL[0], *_BRIGHT[1:7], (255, 255, 255), _BRIGHT[0]],
    _BRIGHT[1:] + [(255, 255, 255)],
)
ANSI_LIGHT = TerminalTheme((255, 255, 255), (0, 0, 0), [*_NORMAL, _BRIGHT[0]], _BRIGHT[1:] + [(255, 255, 255)])


# Imported on a background thread once the first frame is out (never before it): sqlite_utils (~0.2 s with
# numpy installed) for the writer's first decision, the queue's decision, detail and score modules, and the other
# sections' screens with the import, checks and export engines behind them. A key typed meanwhile that needs
# one of them waits for that import to finish; the first frame waits for none of them.
AFTER_FIRST_FRAME = (
    "sqlite_utils",
    "workflows.review.decide",
    "tui.screens.detail",
    "tui.screens.score",
    "tui.screens.jobs",
    "tui.screens.overview",
)


def _section_screen(name: str) -> Screen:
    """The screen of section NAME, its module imported when the section is first opened: importing every
    screen (and the import, checks and export engines behind the jobs screen) at start-up doubled the launch."""
    if name in ("import", "checks", "export"):
        from tui.screens.jobs import JobsScreen

        return JobsScreen(name)
    if name == "queue":
        from tui.screens.queue import QueueScreen

        return QueueScreen()
    from tui.screens.overview import OverviewScreen, QuotaScreen

    return OverviewScreen() if name == "overview" else QuotaScreen()


def locale_warning(env) -> str:
    """One ASCII line for stderr when the terminal's locale is not UTF-8 ('' when it is).

    The locale that decides is LC_ALL, else LC_CTYPE, else LANG (unset: C). Python coerces a C locale by setting
    LC_CTYPE=C.UTF-8 itself (PEP 538), so that value alone does not count as the user's choice.
    """
    ctype = env.get("LC_CTYPE") or ""
    value = env.get("LC_ALL") or (ctype if ctype not in ("", "C.UTF-8") else "") or env.get("LANG") or "C"
    if re.search(r"utf-?8", value, re.I):
        return ""
    return (
        f"warning: the terminal locale is {value!r}, not UTF-8: Chinese text may show as garbage. "
        "Use a UTF-8 terminal, e.g. LANG=zh_CN.UTF-8 (or C.UTF-8)."
    )


def configure() -> None:
    """Process-wide Textual set-up, made by the app when it starts (idempotent).

    Textual draws scrollbar ends with eighth blocks, which are ambiguous-width (two cells on some SSH clients).
    """
    ScrollBarRender.VERTICAL_BARS = [" "] * 8
    ScrollBarRender.HORIZONTAL_BARS = [" "] * 8


class StationApp(Guarded, App):
    TITLE = S.APP_TITLE
    # No box-drawing or block glyphs (ambiguous width over SSH): plain backgrounds instead of borders.
    CSS = """
    Toast { border-left: none; padding: 0 1; }
    Input { border: none; height: 1; padding: 0 1; background: $boost; }
    Input:focus { border: none; background: $accent 30%; }
    OptionList { border: none; }
    OptionList:focus { border: none; }
    /* Muted text 75% of the way to the foreground: Textual's muted shades become grey on black (or white on
       white) in a 16-colour terminal. */
    Input > .input--placeholder, Input > .input--suggestion { color: $foreground 75%; }
    """
    ansi_theme_dark = Reactive(ANSI_DARK, init=False)
    ansi_theme_light = Reactive(ANSI_LIGHT, init=False)
    COMMANDS = {StationCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    MODES = {
        name: partial(_section_screen, name) for name in ("overview", "import", "checks", "queue", "quota", "export")
    }
    BINDINGS = [
        Binding("ctrl+q", "quit", S.KEYS["app.quit"], id="app.quit", priority=True),
        Binding("ctrl+p", "command_palette", S.KEYS["app.palette"], show=False, id="app.palette", priority=True),
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
        graphics: Graphics | None = None,
    ):
        configure()
        if reviewer:
            # Start in the section's own mode: Textual then composes its screen first, instead of a blank default
            # screen and a switch (a second CSS refresh) before the first frame. Without a name, the app asks first.
            self.DEFAULT_MODE = section  # type: ignore[misc]
        super().__init__()
        self.station = station
        who = reviewers.get(station.conn(), reviewer) if reviewer else reviewers.Reviewer("")
        self.reviewer = reviewers.Reviewer(
            who.name, who.unit, who.read_only or read_only, who.anonymous or anonymous, who.registered
        )
        self.start_section = section
        self.watch = watch
        # the terminal's picture protocol, asked before the app started (tui.launch); blocks without one
        self.graphics = graphics if graphics is not None else Graphics()
        self.undo_stack: list = []  # Outcomes of this session; touched only on the writer thread
        # (submission id, rev before) -> rev after, for this session's own writes; writer thread only
        self.own_revs: dict[tuple[int, int], int] = {}
        self.jobs: list[dict] = []  # this session's job log, newest last; each entry has its own "id"
        self.job = None  # the running job (tui.screens.jobs.Job): one at a time per station
        self._quit_when_stopped = False
        self._errors: list[float] = []  # times of unexpected errors
        self.fatal_error: BaseException | None = None
        self.fatal_text = ""
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="station-writer")
        self._writes: list[Callable[[], None]] = []  # writes waiting for the next frame (see write)
        self._data_version = None
        self._first_frame_out = False
        self._campaign_names: dict[int, str] = {}
        self._key_inbox: asyncio.Queue | None = None  # keys from a terminal, handled one at a time
        self._key_in_flight = None
        self._key_done = False
        self.sub_title = S.REVIEWER.format(name=self.reviewer.name)
        self.set_keymap(self._load_keymap())

    def _load_keymap(self) -> dict[str, str]:
        self._keymap_problems: list[str] = []
        mapping, self._keymap_problems = keymap.load(self.station.config_dir)
        return mapping

    def on_mount(self) -> None:
        if not self.is_headless:  # a real terminal; Pilot presses one key at a time and waits already
            self._key_inbox = asyncio.Queue()
            self.message_signal.subscribe(self, self._message_handled, immediate=True)
            self._key_task = asyncio.create_task(self._key_pump())
        for problem in self._keymap_problems:
            self.notify(problem, severity="warning", timeout=8, markup=False)
        if self.reviewer.name:
            self.switch_mode(self.start_section)
        else:
            self.push_screen(InputModal(S.REVIEWER_TITLE, _os_user(), required=S.REVIEWER_TITLE), self._set_reviewer)
        self._data_version = self._read_data_version()
        if self.watch:
            self.set_interval(POLL_SECONDS, self._poll)

    def _display(self, screen: Screen, renderable) -> None:
        """Textual hands each frame to the driver here; after the first frame of a section or dialog (not
        Textual's blank default screen), start importing the rest."""
        super()._display(screen, renderable)
        if renderable is not None and self._writes:
            self.call_later(self._start_writes)
        if (
            renderable is not None
            and not self._first_frame_out
            and not self._batch_count  # Textual drops a frame made during a batch: not on screen yet
            and screen.id != "_default"  # Textual's blank default screen
        ):
            self._first_frame_out = True
            self._import_the_rest()

    def _import_the_rest(self) -> None:
        """Import AFTER_FIRST_FRAME on a background thread: a section key or a decision then finds its code
        ready instead of importing it first (half a second during which the keys typed next would reach the
        old screen). Not before the first frame: done on the main thread just after the first refresh, these
        imports held the first frame back from the terminal for 0.7 s."""
        import threading

        def load() -> None:
            for name in AFTER_FIRST_FRAME:
                try:
                    importlib.import_module(name)
                except Exception:  # whoever needs the module reports its failure when it is used
                    pass

        self._loader = threading.Thread(target=load, name="station-import", daemon=True)
        self._loader.start()

    async def on_event(self, event) -> None:
        """Keys from a terminal are handled one at a time (see _key_pump); Pilot's keys as Textual does."""
        from textual import events

        if isinstance(event, events.Key) and not event.is_forwarded and self._key_inbox is not None:
            self._key_inbox.put_nowait(event)
            return
        await super().on_event(event)

    async def _key_pump(self) -> None:
        """Hand keys on one at a time, each after the last has been handled.

        Textual forwards a key to the focused widget's queue and acts on its binding only when the key comes
        back up to the app. Keys that arrive together (typed ahead while the station was busy, or over a slow
        SSH link) were all queued at the old focus before the first one had acted: `2`, Enter and a path
        typed quickly all went to the queue screen, and the path's `4` and `b` acted there. Here a key waits
        until the one before it has done its work (or was taken by a field), the background imports are done,
        and the screen it goes to is built. An error while a key is handled becomes the error dialog (as an
        action's error does through the guard) and the pump goes on with the next key."""
        inbox = self._key_inbox
        assert inbox is not None
        while True:
            event = await inbox.get()
            try:
                await self._hand_on(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # an action that fails becomes the error dialog, as through the guard
                self.unexpected_error(error)

    async def _hand_on(self, event) -> None:
        import time

        loader = getattr(self, "_loader", None)
        if loader is not None and loader.is_alive():
            await asyncio.to_thread(loader.join, 30)
        await self._until_screen_mounted()
        self._key_in_flight, self._key_done = event, False
        await App.on_event(self, event)
        deadline = time.monotonic() + KEY_WAIT_SECONDS
        while event.is_forwarded and not self._key_done and time.monotonic() < deadline:
            if event._stop_propagation:  # taken by a widget (a field typed into): its handler has run
                break
            await asyncio.sleep(0.002)
        await asyncio.sleep(0)

    def _message_handled(self, message) -> None:
        if message is self._key_in_flight:
            self._key_done = True

    async def _until_screen_mounted(self) -> None:
        """Hold a key until the screen it goes to is mounted. A section key or Enter makes the new screen
        current at once but builds it over the next moments: a key typed meanwhile (Enter, then the path
        to import) reached a screen without its widgets and was lost, or acted as a section key."""
        screen = self.screen
        mounted = getattr(screen, "_mounted_event", None)
        if not screen.is_mounted and isinstance(mounted, asyncio.Event):
            try:
                await asyncio.wait_for(mounted.wait(), MOUNT_WAIT_SECONDS)
            except asyncio.TimeoutError:  # never hold the keyboard for good: the key goes on as it came
                pass

    def _set_reviewer(self, name: str | None) -> None:
        if not name:
            self.exit()
            return
        self.reviewer = reviewers.get(self.station.conn(), name.strip())
        self.sub_title = S.REVIEWER.format(name=self.reviewer.name)
        self.switch_mode(self.start_section)

    def on_unmount(self) -> None:
        task = getattr(self, "_key_task", None)
        if task is not None:
            task.cancel()
        self._start_writes()  # a decision typed just before quitting is written before the app ends
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
        if not stack:
            return None
        from tui.screens.queue import QueueScreen

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
        names = [n for n in THEMES if n in self.available_themes] or [self.theme]
        self.theme = names[(names.index(self.theme) + 1) % len(names)] if self.theme in names else names[0]

    # --- quitting --------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; with a job running, ask first, cancel it, and exit once it has stopped."""
        job = self.job
        if job is None or job.finished:
            self.exit()
            return
        if self._quit_when_stopped:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._quit_when_stopped = True
                job.cancel()
                self.push_screen(ErrorModal(S.QUIT_STOPPING.format(kind=S.JOB_KIND[job.kind]), S.QUIT_STOPPING_TITLE))

        self.push_screen(ConfirmModal(S.QUIT_JOB_RUNNING.format(kind=S.JOB_KIND[job.kind])), answer)

    def job_finished(self, job) -> None:
        """Called by the jobs screen when JOB has stopped (done, failed or cancelled)."""
        if self.job is job:
            self.job = None
        if self._quit_when_stopped:
            self.exit()

    # --- errors ----------------------------------------------------------------------------

    def error_log(self) -> Path:
        return self.station.root / "logs" / "tui-errors.log"

    def _log_error(self, error: BaseException) -> Path | None:
        path = self.error_log()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(time.strftime("%Y-%m-%d %H:%M:%S ") + f"reviewer={self.reviewer.name}\n")
                f.write("".join(traceback.format_exception(error)) + "\n")
        except OSError:
            return None
        return path

    def unexpected_error(self, error: BaseException) -> None:
        """An error nobody handled in an action or handler: a dialog, and the app goes on."""
        if isinstance(error, StationError):
            self.show_error(error)
            return
        now = time.monotonic()
        self._errors = [t for t in self._errors if now - t < ERROR_WINDOW] + [now]
        if len(self._errors) > ERROR_LIMIT:
            self._fatal(error)
            return
        path = self._log_error(error)
        text = S.ERROR_UNEXPECTED.format(error=f"{type(error).__name__}: {error}")
        if path:
            text += S.ERROR_LOGGED.format(path=path)
        self.push_screen(ErrorModal(text))

    def _handle_exception(self, error: Exception) -> None:
        # Textual's last resort (an error while building a screen or drawing): exit non-zero with a Chinese
        # message instead of a traceback; the traceback goes to the error log.
        self._fatal(error)

    def _fatal(self, error: BaseException) -> None:
        if self.fatal_error is not None:
            return
        self.fatal_error = error
        self._return_code = 1
        if self._exception is None:  # Pilot re-raises it in tests
            self._exception = error
            self._exception_event.set()
        path = self._log_error(error)
        text = S.FATAL.format(error=f"{type(error).__name__}: {error}")
        if path:
            text += S.ERROR_LOGGED.format(path=path)
        self.fatal_text = text  # printed by run() once the terminal is restored, unwrapped
        if self.job is not None:
            self.job.cancel()
        self._close_messages_no_wait()

    def run(self, *args, **kwargs):
        """Run the app; after a fatal error the process exits non-zero (the message is already on stderr)."""
        warning = locale_warning(os.environ)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        result = super().run(*args, **kwargs)
        if self.fatal_text:
            print(self.fatal_text, file=sys.stderr)
        if self.return_code:
            sys.exit(self.return_code)
        return result

    def setting(self, key: str) -> str | None:
        """A setting kept in the station database (the same for every reviewer of this station)."""
        from workflows import joblog

        return joblog.setting(self.station, key)

    def save_setting(self, key: str, value: str) -> None:
        from workflows import joblog

        joblog.set_setting(self.station, key, value)

    def campaign_name(self, campaign_id) -> str:
        if campaign_id not in self._campaign_names:
            from workflows import campaigns  # imports the profiles: not needed for the first frame

            self._campaign_names[campaign_id] = campaigns.name_of(self.station, campaign_id)
        return self._campaign_names[campaign_id]

    # --- writes and other people's changes -----------------------------------------------

    def write(
        self,
        target: Screen,
        fn: Callable,
        done: Callable[[object], Message],
        failed: Callable[[Exception], Message],
    ) -> None:
        """Run FN on the writer thread (in order) and post TARGET the named message DONE(result) or FAILED(error)."""

        def job():
            try:
                result = fn()
            except Exception as e:  # every failure becomes a message the screen shows, never a crash
                target.post_message(failed(e))
            else:
                target.post_message(done(result))

        # After the next frame has gone to the terminal: the thread competes for the GIL (a write started before
        # the frame held it back by about 1.5 ms), and the screen already shows the change. No frame within
        # WRITE_DELAY (nothing on screen changed) starts it all the same.
        self._writes.append(job)
        self.set_timer(WRITE_DELAY, self._start_writes)

    def _start_writes(self) -> None:
        """Hand the waiting writes to the writer thread, in the order they came."""
        while self._writes:
            self._writer.submit(self._writes.pop(0))

    def show_refusal(self, error: BaseException | str, on_override: Callable[[str | None], None] | None = None) -> None:
        """A refused decision in plain Chinese; a hard quota rule can be overridden here with a reason."""
        from workflows.errors import RuleViolation, Vetoed
        from workflows.review import decide as review

        if isinstance(error, str):
            self.push_screen(RefusalModal(error, S.REFUSED_TITLE))
            return
        if isinstance(error, review.Conflict) or not isinstance(error, RuleViolation):
            self.show_error(error)
            return
        overridable = (
            on_override is not None
            and not isinstance(error, Vetoed)
            and not self.reviewer.read_only
            and any(v.hard for v in error.violations)
        )
        from workflows.quotas.rules import RULE_ZH

        names = {**RULE_ZH, **S.RULE_NAMES}
        lines = [S.REFUSED_RULE.format(rule=names.get(v.rule, v.rule), message=v.message) for v in error.violations]

        def chosen(answer) -> None:
            if answer == "override" and on_override is not None:
                self.push_screen(InputModal(S.OVERRIDE_TITLE, required=S.OVERRIDE_REQUIRED), on_override)

        title = S.VETOED_TITLE if isinstance(error, Vetoed) else S.REFUSED_TITLE
        self.push_screen(RefusalModal(S.REFUSED_RECOMMEND, title, lines or [error.message], overridable), chosen)

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
            self.push_screen(ErrorModal(error.message, details=[S.ERROR_CODE.format(code=error.code)]))
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
