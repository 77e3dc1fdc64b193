"""Dialogs: y/n confirmation, one-line input, error, choice list, key help."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui import strings as S
from tui.widgets.cells import fit, message, plain
from tui.widgets.guard import Guarded
from tui.widgets.scrolling import SCROLL_BINDINGS, ScrollKeys, StillScroll

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; max-width: 100%; height: auto; max-height: 90%;
    border: ascii $accent; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; }}
{name} .hint {{ color: $foreground 75%; }}
"""


class ConfirmModal(Guarded, ModalScreen[bool]):
    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmModal")
    BINDINGS = [
        Binding("y", "answer(True)", S.KEYS["modal.yes"], id="modal.yes"),
        Binding("n,escape", "answer(False)", S.KEYS["modal.no"], id="modal.no"),
    ]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(message(self.question)), classes="title")
            yield Static(S.CONFIRM_HINT, classes="hint", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class InputModal(Guarded, ModalScreen[str | None]):
    DEFAULT_CSS = MODAL_CSS.format(name="InputModal") + "InputModal #error { color: $error; height: auto; }"
    BINDINGS = [Binding("escape", "cancel", S.KEYS["modal.cancel"], id="modal.cancel")]

    def __init__(self, title: str, value: str = "", required: str | None = None, placeholder: str = ""):
        super().__init__()
        self.title_text = title
        self.value = value
        self.required = required
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), classes="title")
            yield Input(self.value, placeholder=self.placeholder)
            yield Static("", id="error")
            yield Static(S.INPUT_HINT, classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.required and not event.value.strip():
            self.query_one("#error", Static).update(plain(self.required))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ErrorModal(Guarded, ModalScreen[None]):
    DEFAULT_CSS = MODAL_CSS.format(name="ErrorModal") + "ErrorModal > Vertical { border: ascii $error; }"
    BINDINGS = [Binding("escape,enter", "close", S.KEYS["modal.ok"], id="modal.ok")]

    def __init__(self, text: str, title: str = S.ERROR_TITLE, details: list[str] = ()):
        super().__init__()
        self.text = text
        self.title_text = title
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), classes="title")
            yield Static(plain(message(self.text)))
            for line in self.details:
                yield Static(plain(message(line)))
            yield Static(S.ERROR_HINT, classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class RefusalModal(ErrorModal):
    """A refused decision in plain words; when an administrator may override it, `o` asks for the reason."""

    BINDINGS = [
        Binding("escape,enter", "close", S.KEYS["modal.ok"], id="modal.ok"),
        Binding("o", "override", S.KEYS["modal.override"], id="modal.override"),
    ]

    def __init__(self, text: str, title: str, details: list[str] = (), overridable: bool = False):
        super().__init__(text, title, details)
        self.overridable = overridable

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), classes="title")
            yield Static(plain(message(self.text)))
            for line in self.details:
                yield Static(plain(message(line)))
            yield Static(S.REFUSAL_HINT_OVERRIDE if self.overridable else S.ERROR_HINT, classes="hint", markup=False)

    def action_override(self) -> None:
        if self.overridable:
            self.dismiss("override")


class ChoiceModal(Guarded, ModalScreen):
    """Pick one of OPTIONS [(label, value)]; dismisses with the value or None."""

    DEFAULT_CSS = MODAL_CSS.format(name="ChoiceModal") + "ChoiceModal OptionList { height: auto; max-height: 16; }"
    BINDINGS = [Binding("escape", "cancel", S.KEYS["modal.cancel"], id="modal.cancel")]

    def __init__(self, title: str, options: list[tuple[str, object]], current: int | None = None):
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.title_text), classes="title")
            options = OptionList(*[Option(plain(label)) for label, _ in self.options])
            if self.current is not None:
                options.highlighted = self.current
            yield options
            yield Static(S.CHOOSE_HINT, classes="hint", markup=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.options[event.option_index][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpModal(ScrollKeys, Guarded, ModalScreen[None]):
    """Keys grouped by task; the list scrolls (arrows, PgUp/PgDn, Home/End: one repaint per key, no animation)
    and says so."""

    DEFAULT_CSS = MODAL_CSS.format(name="HelpModal") + "HelpModal StillScroll { height: auto; max-height: 16; }"
    BINDINGS = [
        Binding("escape,question_mark,f1,enter", "close", S.KEYS["modal.ok"], id="modal.ok"),
        *SCROLL_BINDINGS,
    ]

    def __init__(self, screen_name: str, groups: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.screen_name = screen_name
        self.groups = groups

    @property
    def keys(self) -> list[tuple[str, str]]:
        return [row for _, rows in self.groups for row in rows]

    def compose(self) -> ComposeResult:
        body = Text()
        for task, rows in self.groups:
            body.append(task + "\n", style="bold underline")
            for key, description in rows:
                body.append("  " + fit(key, 16), style="bold")
                body.append(description + "\n")
        body.rstrip()
        with Vertical():
            yield Static(plain(S.HELP_TITLE.format(screen=self.screen_name)), classes="title")
            with StillScroll(id="scroll"):
                yield Static(body if self.groups else plain(S.HELP_NO_KEYS), id="keys")
            yield Static(S.HELP_CLOSE, classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(StillScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
