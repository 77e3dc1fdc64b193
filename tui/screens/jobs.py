"""导入 / 检查 / 导出: long jobs in a thread worker with progress, Esc to cancel, errors in a dialog."""

from __future__ import annotations

import importlib
import inspect
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from store.labels import size_text
from tui import strings as S
from tui.widgets.cells import message, plain
from tui.widgets.chrome import SectionBar, StationScreen
from tui.widgets.modals import ChoiceModal
from workflows import campaigns

HELP = {"import": S.JOB_IMPORT_HELP, "checks": S.JOB_CHECKS_HELP, "export": S.JOB_EXPORT_HELP}
MODULES = {
    "import": ("workflows.intake", "run"),
    "checks": ("workflows.checks.run", "run"),
    "export": ("workflows.bundles.export", "export"),
}


@dataclass
class Tick:
    """One progress report, whatever shape the use case gives it."""

    count_done: int = 0
    count_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    name: str = ""

    @classmethod
    def of(cls, *args) -> "Tick":
        if len(args) == 4:  # bundle export: bytes done, bytes total, files done, files total
            return cls(args[2], args[3], args[0], args[1])
        p = args[0]
        get = p.get if isinstance(p, dict) else (lambda k, d=None: getattr(p, k, d))
        return cls(
            get("packages_done") or get("done") or 0,
            get("packages_total") or get("total") or 0,
            get("bytes_done") or 0,
            get("bytes_total") or 0,
            str(get("package") or get("file") or ""),
        )


class Bar(Static):
    """An ASCII progress bar: Textual's own draws with box-drawing glyphs of ambiguous width."""

    DEFAULT_CSS = "Bar { height: 1; padding: 0 1; }"

    def on_mount(self) -> None:
        self.total: float | None = None
        self.progress = 0.0
        self.draw()

    def update_bar(self, total: float | None = None, progress: float = 0.0) -> None:
        self.total, self.progress = total, progress
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        width = max(10, self.size.width - 10)
        if not self.total:
            self.update(Text("[" + "." * width + "]", style="dim"))
            return
        fraction = max(0.0, min(1.0, self.progress / self.total))
        filled = int(width * fraction)
        bar = Text("[")
        bar.append("#" * filled, style="bold green")
        bar.append("." * (width - filled), style="dim")
        bar.append(f"] {fraction * 100:3.0f}%")
        self.update(bar)


class JobProgress(Message):
    def __init__(self, tick: Tick):
        super().__init__()
        self.tick = tick


def summary_text(kind: str, result) -> str:
    data = result.as_dict() if hasattr(result, "as_dict") else result
    if kind == "import" and isinstance(data, dict):
        return S.JOB_IMPORT_SUMMARY.format(
            **{k: data.get(k, 0) for k in ("submissions", "rejected", "findings", "unchanged")}
        )
    if isinstance(data, dict):
        return "，".join(f"{k} {v}" for k, v in data.items() if isinstance(v, (int, str)) and not isinstance(v, bool))[
            :200
        ]
    return str(data or "")[:200]


def eta_text(started: float, done: float, total: float) -> str:
    if not done or not total or done >= total:
        return S.JOB_ETA_UNKNOWN
    left = (time.monotonic() - started) * (total - done) / done
    return f"{int(left) // 60:02d}:{int(left) % 60:02d}"


class JobsScreen(StationScreen):
    DEFAULT_CSS = """
    JobsScreen #help, JobsScreen #campaign, JobsScreen #state { padding: 0 1; height: auto; }
    JobsScreen #source { margin: 0 1; }
    JobsScreen #log { padding: 0 1; height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "start", S.KEYS["jobs.start"], id="jobs.start"),
        Binding("f2", "choose_campaign", S.KEYS["jobs.campaign"], id="jobs.campaign"),
        Binding("escape", "cancel", S.KEYS["jobs.cancel"], id="jobs.cancel"),
    ]

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self.SECTION = kind
        self.NAME = S.SECTIONS[kind][2:]
        self.campaign: str | None = None
        self.cancel_event = threading.Event()
        self.worker: Worker | None = None
        self.started = 0.0
        self._last_tick = 0.0
        self.last_tick: Tick | None = None

    def compose(self) -> ComposeResult:
        yield SectionBar(self.kind)
        yield Static(HELP[self.kind], id="help", markup=False)
        if self.kind == "import":
            yield Input(placeholder=S.JOB_SOURCE_PLACEHOLDER, id="source")
        if self.kind == "export":
            yield Input(placeholder=S.JOB_RECIPIENT_PLACEHOLDER, id="recipient")
            yield Input(placeholder=S.JOB_OUT_PLACEHOLDER, id="out")
            yield Input(placeholder=S.JOB_PASSPHRASE_PLACEHOLDER, password=True, id="passphrase")
        yield Static(id="campaign")
        yield Bar(id="bar")
        yield Static(S.JOB_IDLE, id="state", markup=False)
        yield Static(id="log")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        rows = campaigns.all_campaigns(self.app.station)
        self.campaign = rows[-1]["name"] if rows else None
        self.show_campaign()
        self.show_log()
        if self.kind == "import":
            self.query_one("#source", Input).focus()
        if self.kind == "export":
            self._export_defaults()

    def _export_defaults(self) -> None:
        try:
            from workflows import keys

            recipients = keys.trusted(self.app.station, "recipient")
        except Exception:  # no key support in this build: the job reports it when started
            recipients = []
        if len(recipients) == 1:
            self.query_one("#recipient", Input).value = recipients[0]["code"]
        self.query_one("#out", Input).value = str(self.app.station.root / "exports")
        self.query_one("#recipient", Input).focus()

    def show_campaign(self) -> None:
        self.query_one("#campaign", Static).update(
            plain(S.JOB_CAMPAIGN.format(name=self.campaign) if self.campaign else S.JOB_NO_CAMPAIGN)
        )

    def show_log(self) -> None:
        log = Text()
        for j in reversed(self.app.jobs[-10:]):
            log.append(S.JOB_LINE.format(at=j["at"], kind=S.JOB_KIND[j["kind"]], state=S.JOB_STATE[j["state"]]))
            if j.get("summary"):
                log.append("  " + message(j["summary"]))
            log.append("\n")
        log.rstrip()
        self.query_one("#log", Static).update(log)

    def action_choose_campaign(self) -> None:
        rows = campaigns.all_campaigns(self.app.station)

        def chosen(name):
            if name:
                self.campaign = name
                self.show_campaign()

        self.app.push_screen(ChoiceModal(S.KEYS["jobs.campaign"], [(r["name"], r["name"]) for r in rows]), chosen)

    @on(Input.Submitted, "#source, #passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    @on(Input.Submitted, "#recipient, #out")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_start(self) -> None:
        if self.worker is not None and self.worker.state == WorkerState.RUNNING:
            self.notify(S.JOB_BUSY)
            return
        kwargs = {}
        if self.kind == "import":
            text = self.query_one("#source", Input).value.strip()
            try:
                sources = shlex.split(text)
            except ValueError:
                sources = text.split()
            if not sources:
                self.notify(S.JOB_NO_SOURCE, severity="warning")
                return
            kwargs["sources"] = sources
        if self.kind == "export":
            recipient = self.query_one("#recipient", Input).value.strip()
            out = self.query_one("#out", Input).value.strip()
            if not recipient or not out:
                self.notify(S.JOB_EXPORT_MISSING, severity="warning")
                return
            kwargs.update(
                to=recipient, out_dir=Path(out), passphrase=self.query_one("#passphrase", Input).value.encode("utf-8")
            )
        module_name, function = MODULES[self.kind]
        try:
            fn = getattr(importlib.import_module(module_name), function)
        except (ImportError, AttributeError):
            self.notify(S.JOB_UNAVAILABLE.format(kind=S.JOB_KIND[self.kind]), severity="warning")
            return
        self.cancel_event.clear()
        self.started = time.monotonic()
        self.app.jobs.append({"at": time.strftime("%H:%M:%S"), "kind": self.kind, "state": "running"})
        self.query_one("#bar", Bar).update_bar(None, 0)
        self.query_one("#state", Static).update(S.JOB_STARTED.format(kind=S.JOB_KIND[self.kind]))
        self.show_log()
        self.set_focus(None)  # number keys switch sections again
        self.worker = self.run_worker(
            lambda: self._run(fn, kwargs), thread=True, exit_on_error=False, group="job", name=self.kind
        )

    def _run(self, fn, kwargs):
        """In the worker thread: call the use case with whatever of our arguments it accepts."""
        offered = {"campaign": self.campaign, "progress": self._report, "cancelled": self.cancel_event.is_set, **kwargs}
        params = inspect.signature(fn).parameters
        args = [self.app.station]
        if "sources" in offered and "sources" in params:
            args.append(offered.pop("sources"))
        if "out_dir" in offered:
            offered["out_dir"].mkdir(parents=True, exist_ok=True)
        takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
        return fn(*args, **{k: v for k, v in offered.items() if takes_any or k in params})

    def _report(self, *args) -> None:
        now = time.monotonic()
        if now - self._last_tick >= 0.1:
            self._last_tick = now
            self.post_message(JobProgress(Tick.of(*args)))

    def on_job_progress(self, message_: JobProgress) -> None:
        t = self.last_tick = message_.tick
        total, done = (t.bytes_total, t.bytes_done) if t.bytes_total else (t.count_total, t.count_done)
        self.query_one("#bar", Bar).update_bar(total or None, done)
        size = f"{size_text(t.bytes_done)}/{size_text(t.bytes_total)}" if t.bytes_total else ""
        line = S.JOB_RUNNING.format(
            kind=S.JOB_KIND[self.kind],
            count=f"{t.count_done}/{t.count_total}",
            size=size,
            eta=eta_text(self.started, done, total),
        )
        self.query_one("#state", Static).update(plain(line + ("  " + t.name if t.name else "")))

    def action_cancel(self) -> None:
        if self.worker is not None and self.worker.state == WorkerState.RUNNING:
            self.cancel_event.set()
        else:
            self.app.action_section("queue")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        job = self.app.jobs[-1]
        kind = S.JOB_KIND[self.kind]
        if event.state == WorkerState.SUCCESS and not self.cancel_event.is_set():
            job.update(state="done", summary=summary_text(self.kind, event.worker.result))
            text = S.JOB_DONE.format(kind=kind, summary=job["summary"])
            self.query_one("#bar", Bar).update_bar(1, 1)
        elif event.state == WorkerState.ERROR:
            job.update(state="failed")
            text = S.JOB_FAILED.format(kind=kind)
            self.app.show_error(event.worker.error)
        else:
            job.update(
                state="cancelled", summary=summary_text(self.kind, event.worker.result) if event.worker.result else ""
            )
            text = S.JOB_CANCELLED.format(kind=kind)
        self.query_one("#state", Static).update(plain(text))
        self.show_log()
        self.app.data_changed()
