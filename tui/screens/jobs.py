"""导入 / 检查 / 导出: one long job at a time per station, in a thread worker, with progress in works and bytes.

Each job kind has a small adapter that calls its use case by its real signature; every use case reports a
`workflows.progress.Progress`, which the screen turns into a `Tick`. Fields take keys only after an
explicit focus (Enter or Tab) and give them back on Esc, so the section keys work on every screen.
"""

from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from store.labels import size_text
from tui import strings as S
from tui.widgets.cells import message, plain
from tui.widgets.chrome import SectionBar, StationScreen
from tui.widgets.messages import JobProgress
from tui.widgets.modals import ChoiceModal, ConfirmModal
from workflows import campaigns, intake, joblog
from workflows.bundles import export as bundles
from workflows.checks import run as checks
from workflows.errors import StationError
from workflows.progress import Progress, ProgressFn

HELP = {"import": S.JOB_IMPORT_HELP, "checks": S.JOB_CHECKS_HELP, "export": S.JOB_EXPORT_HELP}
FIELDS = {"import": ["source"], "checks": [], "export": ["recipient", "out", "passphrase"]}


@dataclass
class Tick:
    """One progress report in the screen's terms: a phase, works or files counted, bytes, a fraction."""

    phase: str  # import, checks, export
    done: int = 0
    total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    fraction: float = 0.0  # 0..1, for the bar
    name: str = ""


@dataclass
class Job:
    """One job of this session: its own log entry, its own cancel flag, its own worker."""

    id: int
    kind: str
    entry: dict
    cancel_event: threading.Event = field(default_factory=threading.Event)
    worker: Worker | None = None
    started: float = field(default_factory=time.monotonic)
    finished: bool = False

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


Report = Callable[[Tick], None]


def _fraction(done: float, total: float) -> float:
    return max(0.0, min(1.0, done / total)) if total else 0.0


def _ticks(report: Report) -> ProgressFn:
    """Every use case reports a workflows.progress.Progress; the screen counts the files checks went through."""
    files: set[str] = set()

    def on_progress(p: Progress) -> None:
        fraction = p.fraction or 0.0
        if p.job == "check":
            files.add(p.item)
            report(Tick("checks", done=len(files), fraction=fraction, name=Path(p.item).name))
        else:
            phase = "export" if p.job == "export" else "import"
            report(Tick(phase, int(p.done), int(p.total), p.bytes_done, p.bytes_total, fraction, p.item))

    return on_progress


def run_import(station, campaign: str | None, values: dict, report: Report, cancelled: Callable[[], bool]):
    return intake.run(station, values["sources"], campaign, progress=_ticks(report), cancelled=cancelled)


def run_checks(station, campaign: str | None, values: dict, report: Report, cancelled: Callable[[], bool]):
    return checks.run(station, campaign=campaign, progress=_ticks(report), cancelled=cancelled)


def run_export(station, campaign: str | None, values: dict, report: Report, cancelled: Callable[[], bool]):
    values["out_dir"].mkdir(parents=True, exist_ok=True)
    return bundles.export(
        station, campaign, values["to"], values["out_dir"], values["passphrase"], progress=_ticks(report)
    )  # an export cannot stop half-way: it finishes, then the app exits if asked to


RUNNERS = {"import": run_import, "checks": run_checks, "export": run_export}


def summary_text(kind: str, result) -> str:
    """The result of a job as one Chinese sentence."""
    if kind == "import":
        s = result.summary
        text = S.JOB_IMPORT_SUMMARY.format(
            submissions=s.submissions, versions=s.versions, rejected=s.rejected, unchanged=s.unchanged
        )
        if result.checks is not None:
            text += S.JOB_QUICK_SUMMARY.format(fail=result.checks.get("fail", 0), warn=result.checks.get("warn", 0))
        elif s.ids:
            text += S.JOB_QUICK_SKIPPED
        return text
    if kind == "checks":
        return S.JOB_CHECKS_SUMMARY.format(
            n=result.submissions, fail=result.findings.get("fail", 0), warn=result.findings.get("warn", 0)
        )
    return S.JOB_EXPORT_SUMMARY.format(
        n=result["submissions"], files=result["files"], size=size_text(result["bytes"]), path=result["path"]
    )


def eta_text(elapsed: float, fraction: float) -> str:
    """Time left in words, once there is enough to go on (a few seconds and a few percent)."""
    if elapsed < 3 or fraction < 0.03 or fraction >= 1:
        return S.JOB_ETA_UNKNOWN
    left = elapsed * (1 - fraction) / fraction
    if left < 60:
        return S.JOB_ETA_SECONDS
    minutes = int(left // 60) + 1
    return (
        S.JOB_ETA_MINUTES.format(m=minutes) if minutes < 60 else S.JOB_ETA_HOURS.format(h=minutes // 60, m=minutes % 60)
    )


def progress_text(kind: str, tick: Tick, elapsed: float) -> str:
    fraction = max(0.0, min(1.0, tick.fraction))
    percent = int(fraction * 100)
    eta = eta_text(elapsed, fraction)
    if tick.phase == "import":
        return S.JOB_PROGRESS_IMPORT.format(
            done=tick.done,
            total=tick.total,
            size_done=size_text(tick.bytes_done),
            size_total=size_text(tick.bytes_total),
            percent=percent,
            eta=eta,
        )
    if tick.phase == "checks":
        label = S.JOB_QUICK if kind == "import" else S.JOB_KIND["checks"]
        return S.JOB_PROGRESS_CHECKS.format(kind=label, files=tick.done, percent=percent, eta=eta)
    return S.JOB_PROGRESS_EXPORT.format(
        done=tick.done,
        total=tick.total,
        size_done=size_text(tick.bytes_done),
        size_total=size_text(tick.bytes_total),
        percent=percent,
        eta=eta,
    )


class SecretInput(Input):
    """A password field masked with `*`: Textual's bullet is ambiguous-width."""

    @property
    def _value(self) -> Text:
        if self.password:
            return Text("*" * len(self.value), no_wrap=True, overflow="ignore", end="")
        return super()._value


class Bar(Static):
    """An ASCII progress bar: Textual's own draws with box-drawing glyphs of ambiguous width."""

    DEFAULT_CSS = "Bar { height: 1; padding: 0 1; }"

    def on_mount(self) -> None:
        self.fraction: float | None = None
        self.draw()

    def update_bar(self, fraction: float | None) -> None:
        self.fraction = None if fraction is None else max(0.0, min(1.0, fraction))
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        width = max(10, self.size.width - 10)
        if self.fraction is None:
            self.update(Text("[" + "." * width + "]", style="dim"))
            return
        filled = int(width * self.fraction)
        bar = Text("[")
        bar.append("#" * filled, style="bold green")
        bar.append("." * (width - filled), style="dim")
        bar.append(f"] {int(self.fraction * 100):3d}%")
        self.update(bar)


class JobsScreen(StationScreen):
    AUTO_FOCUS = ""  # a field takes keys only once chosen (Enter or Tab); None would inherit the app's "*"
    DEFAULT_CSS = """
    JobsScreen #help, JobsScreen #campaign, JobsScreen #state { padding: 0 1; height: auto; }
    JobsScreen Input { margin: 0 1; }
    JobsScreen #log { padding: 0 1; height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "start", S.KEYS["jobs.start"], id="jobs.start", key_display="Enter"),
        Binding("f2", "choose_campaign", S.KEYS["jobs.campaign"], id="jobs.campaign"),
        Binding("ctrl+x", "cancel", S.KEYS["jobs.cancel"], id="jobs.cancel"),
        Binding("escape", "back", S.KEYS["jobs.back"], id="jobs.back", key_display="Esc"),
    ]

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self.SECTION = kind
        self.NAME = S.SECTIONS[kind][2:]
        self.campaign: str | None = None
        self.job: Job | None = None  # this screen's latest job
        self.last_tick: Tick | None = None

    def compose(self) -> ComposeResult:
        yield SectionBar(self.kind)
        yield Static(HELP[self.kind], id="help", markup=False)
        if self.kind == "import":
            yield Input(placeholder=S.JOB_SOURCE_PLACEHOLDER, id="source")
        if self.kind == "export":
            yield Input(placeholder=S.JOB_RECIPIENT_PLACEHOLDER, id="recipient")
            yield Input(placeholder=S.JOB_OUT_PLACEHOLDER, id="out")
            yield SecretInput(placeholder=S.JOB_PASSPHRASE_PLACEHOLDER, password=True, id="passphrase")
        yield Static(id="campaign")
        yield Bar(id="bar")
        yield Static(S.JOB_IDLE, id="state", markup=False)
        yield Static(id="log")
        yield Footer(compact=True, show_command_palette=False)

    last_campaign: str | None = None

    @property
    def _campaign_setting(self) -> str:
        return f"tui.campaign.{self.kind}"

    def on_mount(self) -> None:
        rows = campaigns.all_campaigns(self.app.station)
        self.campaign = rows[0]["name"] if len(rows) == 1 else None  # more than one: asked when starting
        # the campaign last chosen on this screen (kept in the station database): highlighted when asking
        last = joblog.setting(self.app.station, self._campaign_setting)
        self.last_campaign = last if last in {r["name"] for r in rows} else None
        self.show_campaign()
        self.show_log()
        if self.kind == "export":
            self._export_defaults()
        self.set_focus(None)  # no field takes keys before the reviewer chooses one

    def _export_defaults(self) -> None:
        from workflows import keys

        try:
            recipients = keys.trusted(self.app.station, "recipient")
        except StationError:  # no key support on this station yet: the job reports it when started
            recipients = []
        if len(recipients) == 1:
            self.query_one("#recipient", Input).value = recipients[0]["code"]
        self.query_one("#out", Input).value = str(self.app.station.root / "exports")

    def show_campaign(self) -> None:
        rows = campaigns.all_campaigns(self.app.station)
        if self.campaign:
            text = S.JOB_CAMPAIGN.format(name=self.campaign)
        elif self.last_campaign:
            text = S.JOB_CHOOSE_CAMPAIGN_LAST.format(name=self.last_campaign)
        else:
            text = S.JOB_CHOOSE_CAMPAIGN if rows else S.JOB_NO_CAMPAIGN
        self.query_one("#campaign", Static).update(plain(text))

    def show_log(self) -> None:
        """The newest jobs of this station (any session, any reviewer), from the database, with their dates."""
        log = Text()
        for j in joblog.recent(self.app.station):
            at = datetime.fromisoformat(j["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
            log.append(S.JOB_LINE.format(at=at, kind=S.JOB_KIND[j["kind"]], state=S.JOB_STATE[j["state"]]))
            if j["campaign"]:
                log.append("  " + S.JOB_LINE_CAMPAIGN.format(name=plain(j["campaign"]).plain))
            if j.get("summary"):
                log.append("  " + message(j["summary"]))
            log.append("\n")
        log.rstrip()
        self.query_one("#log", Static).update(log)

    def external_change(self) -> None:
        if self.is_current:
            self.show_log()

    def on_screen_resume(self) -> None:
        self.show_log()

    # --- fields ----------------------------------------------------------------------------

    def _fields(self) -> list[Input]:
        return [self.query_one(f"#{name}", Input) for name in FIELDS[self.kind]]

    def _field_focused(self) -> bool:
        return isinstance(self.focused, Input)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = self._fields()
        if event.input is fields[-1]:
            self.set_focus(None)
            self.action_start(from_field=True)
        else:
            fields[fields.index(event.input) + 1].focus()

    def action_back(self) -> None:
        """Esc: leave the field (its keys go back to the sections), or go back to the queue."""
        if self._field_focused():
            self.set_focus(None)
        else:
            self.app.action_section("queue")

    # --- starting --------------------------------------------------------------------------

    def action_choose_campaign(self, then: Callable[[], None] | None = None) -> None:
        rows = campaigns.all_campaigns(self.app.station)
        if not rows:
            self.notify(S.JOB_NO_CAMPAIGN, markup=False)
            return
        names = [r["name"] for r in rows]

        def chosen(name):
            if name:
                self.campaign = self.last_campaign = name
                joblog.set_setting(self.app.station, self._campaign_setting, name)
                self.show_campaign()
                if then:
                    then()

        highlighted = self.campaign or self.last_campaign
        current = names.index(highlighted) if highlighted in names else None
        self.app.push_screen(ChoiceModal(S.KEYS["jobs.campaign"], [(n, n) for n in names], current), chosen)

    def action_start(self, from_field: bool = False) -> None:
        running = self.app.job
        if running is not None and not running.finished:
            self.notify(S.JOB_BUSY.format(kind=S.JOB_KIND[running.kind]), markup=False)
            return
        fields = self._fields()
        if fields and not from_field:
            fields[0].focus()  # Enter first chooses the field: a finished job is never re-run by accident
            return
        if self.campaign is None:
            self.action_choose_campaign(then=self.action_start_now)
            return
        self.action_start_now()

    def action_start_now(self) -> None:
        values: dict = {}
        if self.kind == "import":
            text = self.query_one("#source", Input).value.strip()
            try:
                sources = shlex.split(text)
            except ValueError:
                sources = text.split()
            if not sources:
                self.notify(S.JOB_NO_SOURCE, severity="warning", markup=False)
                return
            values["sources"] = sources
        if self.kind == "export":
            recipient = self.query_one("#recipient", Input).value.strip()
            out = self.query_one("#out", Input).value.strip()
            if not recipient or not out:
                self.notify(S.JOB_EXPORT_MISSING, severity="warning", markup=False)
                return
            values.update(
                to=recipient, out_dir=Path(out), passphrase=self.query_one("#passphrase", Input).value.encode("utf-8")
            )
        app = self.app
        entry = {"id": len(app.jobs) + 1, "at": time.strftime("%m-%d %H:%M"), "kind": self.kind, "state": "running"}
        entry["log_id"] = joblog.start(app.station, self.kind, self.campaign, app.reviewer.name)
        app.jobs.append(entry)
        job = self.job = app.job = Job(entry["id"], self.kind, entry)
        self.query_one("#bar", Bar).update_bar(0.0)
        self.query_one("#state", Static).update(plain(S.JOB_STARTED.format(kind=S.JOB_KIND[self.kind])))
        self.show_log()
        self.set_focus(None)
        runner, station, campaign = RUNNERS[self.kind], app.station, self.campaign

        def report(tick: Tick) -> None:
            self.post_message(JobProgress(job.id, tick))

        job.worker = self.run_worker(
            lambda: runner(station, campaign, values, report, job.cancel_event.is_set),
            thread=True,
            exit_on_error=False,
            group="job",
            name=self.kind,
        )

    def on_job_progress(self, message_: JobProgress) -> None:
        job = self.job
        if job is None or message_.job != job.id or job.finished:
            return
        tick = self.last_tick = message_.tick
        self.query_one("#bar", Bar).update_bar(tick.fraction)
        if job.cancelled:
            return  # the state line says 正在停止
        line = progress_text(self.kind, tick, time.monotonic() - job.started)
        self.query_one("#state", Static).update(plain(message(line + ("  " + tick.name if tick.name else ""))))

    # --- cancelling and finishing ----------------------------------------------------------

    def action_cancel(self) -> None:
        job = self.job
        if job is None or job.finished or job.cancelled:
            self.notify(S.JOB_NOTHING_TO_CANCEL, markup=False)
            return

        def answer(yes: bool | None) -> None:
            if yes and not job.finished:
                job.cancel()
                self.query_one("#state", Static).update(plain(S.JOB_STOPPING.format(kind=S.JOB_KIND[job.kind])))

        self.app.push_screen(ConfirmModal(S.JOB_CANCEL_ASK.format(kind=S.JOB_KIND[job.kind])), answer)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        job = self.job
        if job is None or event.worker is not job.worker:
            return
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        kind = S.JOB_KIND[self.kind]
        entry = job.entry
        if event.state == WorkerState.SUCCESS and not job.cancelled:
            entry.update(state="done", summary=summary_text(self.kind, event.worker.result))
            text = S.JOB_DONE.format(kind=kind, summary=entry["summary"])
            self.query_one("#bar", Bar).update_bar(1.0)
        elif event.state == WorkerState.ERROR:
            entry.update(state="failed")
            text = S.JOB_FAILED.format(kind=kind)
            self.app.show_error(event.worker.error)
        else:
            result = event.worker.result
            entry.update(state="cancelled", summary=summary_text(self.kind, result) if result is not None else "")
            text = S.JOB_CANCELLED.format(kind=kind)
        job.finished = True
        joblog.finish(self.app.station, entry["log_id"], entry["state"], entry.get("summary") or "")
        self.query_one("#state", Static).update(plain(message(text)))
        self.show_log()
        self.set_focus(None)  # keys go to the sections; Enter chooses a field again
        self.app.job_finished(job)
        self.app.data_changed()
