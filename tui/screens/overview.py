"""总览 and 名额: counts from the store and quota status from workflows.quotas, refreshed when the database changes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from tui import strings as S
from tui.widgets.cells import wrap
from tui.widgets.chrome import ScrollKeys, SectionBar, StationScreen, StillScroll
from tui.widgets.quota_view import quota_statuses, quota_summary, quota_text
from workflows import doctor, overview


def campaign_lines(station) -> list[str]:
    return [S.OVERVIEW_CAMPAIGN_LINE.format(**c) for c in overview.campaign_counts(station.db())]


def finding_lines(station) -> list[str]:
    return [
        S.OVERVIEW_FINDING_LINE.format(**{**f, "rule": S.RULE_ZH.get(f["rule"], f["rule"])})
        for f in overview.finding_counts(station.db())
    ]


def doctor_lines(station) -> list[str]:
    """What workflows.doctor found wrong with this computer and station (when that module is present)."""
    try:
        items = list(doctor.run(station))
    except Exception:  # a failing check must not keep the overview from opening
        return []
    lines = []
    for item in items:
        level = getattr(item, "level", "ok")
        if level != "ok":
            lines.append(
                S.DOCTOR_LINE.format(level=S.DOCTOR_LEVEL.get(level, level), title=item.title, detail=item.detail)
            )
            if getattr(item, "fix", ""):
                lines.append("    " + S.DOCTOR_FIX.format(fix=item.fix))
    ok = sum(getattr(i, "level", "") == "ok" for i in items)
    if ok:
        lines.append(S.DOCTOR_OK.format(n=ok))
    return lines


class OverviewScreen(ScrollKeys, StationScreen):
    SECTION = "overview"
    NAME = S.SECTIONS["overview"][2:]
    DEFAULT_CSS = "OverviewScreen #body { padding: 0 1; }"
    # One repaint per key: Textual's own scroll keys animate (a dozen frames that smear over SSH).
    BINDINGS = [
        Binding("pagedown,space", "page(1)", S.KEYS["detail.page_down"], show=False, id="detail.page_down"),
        Binding("pageup", "page(-1)", S.KEYS["detail.page_up"], show=False, id="detail.page_up"),
        Binding("home", "edge(0)", S.KEYS["detail.top"], show=False, id="detail.top"),
        Binding("end", "edge(1)", S.KEYS["detail.bottom"], show=False, id="detail.bottom"),
    ]

    def compose(self) -> ComposeResult:
        yield SectionBar(self.SECTION)
        with StillScroll(id="scroll"):
            yield Static(id="body")
        yield Footer(compact=True, show_command_palette=False)

    doctor: list[str] = []
    quotas: list[dict] | None = None  # workflows.quotas.status of each campaign with quotas or rules

    def on_mount(self) -> None:
        self.external_change()
        self.query_one("#scroll").focus()
        if self.SECTION == "overview":
            self.run_worker(self._doctor, thread=True, exit_on_error=False)

    def _load_quotas(self) -> None:
        try:
            statuses = quota_statuses(self.app.station)
        except Exception as e:  # a failure becomes a dialog, never a crash
            self.app.call_from_thread(self.app.show_error, e)
        else:
            self.app.call_from_thread(self._show_quotas, statuses)

    def _show_quotas(self, statuses: list[dict]) -> None:
        self.quotas = statuses
        self.draw()

    def _doctor(self) -> None:
        lines = doctor_lines(self.app.station)
        if lines:
            self.app.call_from_thread(self._show_doctor, lines)

    def _show_doctor(self, lines: list[str]) -> None:
        self.doctor = lines
        self.draw()

    def on_screen_resume(self) -> None:
        self.external_change()

    def sections(self) -> list[tuple[str, list[str], str]]:
        jobs = [
            S.JOB_LINE.format(at=j["at"], kind=S.JOB_KIND[j["kind"]], state=S.JOB_STATE[j["state"]])
            + (f"  {j['summary']}" if j.get("summary") else "")
            for j in reversed(self.app.jobs[-5:])
        ]
        out = [
            (S.OVERVIEW_CAMPAIGNS, campaign_lines(self.app.station), S.OVERVIEW_NONE),
            (S.OVERVIEW_FINDINGS, finding_lines(self.app.station), S.OVERVIEW_NONE),
            (
                S.OVERVIEW_QUOTAS,
                S.QUOTA_LOADING if self.quotas is None else quota_summary(self.quotas),
                S.OVERVIEW_NO_QUOTAS,
            ),
            (S.OVERVIEW_JOBS, jobs, S.OVERVIEW_NO_JOBS),
        ]
        if self.doctor:
            out.append((S.OVERVIEW_DOCTOR, self.doctor, S.OVERVIEW_NONE))
        return out

    def external_change(self) -> None:
        self.run_worker(self._load_quotas, thread=True, exclusive=True, group="quotas", exit_on_error=False)
        self.draw()

    def draw(self) -> None:
        body = Text()
        for title, lines, empty in self.sections():
            body.append(title + "\n", style="bold underline")
            for line in ([lines] if isinstance(lines, str) else lines) or [empty]:
                for piece in wrap(line, max(20, self.size.width - 6), 4):  # continuation lines hang
                    body.append("  " + piece + "\n")
            body.append("\n")
        body.rstrip()
        self.query_one("#body", Static).update(body)


class QuotaScreen(OverviewScreen):
    SECTION = "quota"
    NAME = S.QUOTA_TITLE

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        if self.quotas is None:
            body = Text(S.QUOTA_LOADING)
        else:
            body = quota_text(self.quotas, self.size.width - 2)
        self.query_one("#body", Static).update(body)
