"""总览 and 名额: counts from the store and quota status from workflows.quotas, refreshed when the database changes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from tui import strings as S
from tui.widgets.cells import message, wrap
from tui.widgets.chrome import SectionBar, StationScreen
from tui.widgets.quota_view import ENTRY_STYLE, entry_state, quota_statuses, quota_summary, quota_text
from tui.widgets.scrolling import ScrollKeys, StillScroll
from workflows import deadlines, doctor, overview
from workflows.quotas import rules as quotas


@dataclass
class Row:
    """One line of 总览 before wrapping: its text, its style, and what Enter opens (None: nothing)."""

    text: str
    style: str = ""
    target: tuple | None = None  # ("campaign", id, name) | ("rule", id) | ("quota", campaign, key)


def campaign_lines(station) -> list[Row]:
    return [
        Row(S.OVERVIEW_CAMPAIGN_LINE.format(**c), target=("campaign", c["id"], c["name"]))
        for c in overview.campaign_counts(station.db(), station.config_dir)
    ]


def finding_lines(station) -> list[Row]:
    return [
        Row(
            S.OVERVIEW_FINDING_LINE.format(**{**f, "rule": S.RULE_ZH.get(f["rule"], f["rule"])}),
            target=("rule", f["rule"]),
        )
        for f in overview.finding_counts(station.db())
    ]


def deadline_text(d: dict) -> tuple[str, str]:
    """A deadline's state as words and a style: past ones 已截止, within WARN_DAYS highlighted."""
    if d["passed"]:
        return S.DEADLINE_PASSED, "dim"
    if d["days_left"] == 0:
        return S.DEADLINE_TODAY, "bold red"
    if d["days_left"] <= deadlines.WARN_DAYS:
        return S.DEADLINE_SOON.format(n=d["days_left"]), "bold yellow"
    return S.DEADLINE_LEFT.format(n=d["days_left"]), ""


def deadline_lines(station) -> list[Row]:
    rows = []
    for c in deadlines.overview(station):
        if not c["deadlines"]:
            continue
        rows.append(Row(c["campaign"], "bold"))
        for d in c["deadlines"]:
            state, style = deadline_text(d)
            when = f"{d['start']} - {d['at']}" if d["start"] else d["at"]
            mark = S.DEADLINE_SUBMISSION if d["submission"] else ""
            rows.append(
                Row("  " + S.OVERVIEW_DEADLINE_LINE.format(at=when, name=d["name"], mark=mark, state=state), style)
            )
    return rows


def quota_lines(statuses: list[dict]) -> list[Row]:
    """Each campaign's summary, then each quota entry (Enter opens the works it counts)."""
    rows = []
    for status, summary in zip(statuses, quota_summary(statuses)):
        rows.append(Row(summary))
        if status.get("no_county"):
            rows.append(Row("  " + S.QUOTA_NO_COUNTY.format(n=status["no_county"]), "yellow"))
        for e in status["entries"]:
            state, word = entry_state(e)
            text = S.OVERVIEW_QUOTA_ENTRY.format(
                label=e["label"], used=e["used"], max=S.QUOTA_NONE if e["max"] is None else e["max"], state=word
            )
            key = {k: e[k] for k in quotas.KEY_FIELDS if e.get(k)}
            rows.append(
                Row("  " + text, ENTRY_STYLE[state] if state != "ok" else "", ("quota", status["campaign"], key))
            )
    return rows


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
        Binding("down,j", "move(1)", S.KEYS["overview.down"], show=False, id="overview.down"),
        Binding("up,k", "move(-1)", S.KEYS["overview.up"], show=False, id="overview.up"),
        Binding("enter", "open", S.KEYS["overview.open"], id="overview.open"),
    ]
    selected = 0  # index among the rows Enter can open
    rendered: Text | None = None  # the body as last drawn
    _sections: list | None = None  # what sections() read for the last draw
    targets: list[tuple[int, int, tuple]] = []  # (first line, lines, target) of each openable row, as drawn

    def compose(self) -> ComposeResult:
        yield SectionBar(self.SECTION)
        with StillScroll(id="scroll", can_focus=False):  # keys go to the screen: up/down choose a row
            yield Static(id="body")
        yield Footer(compact=True, show_command_palette=False)

    doctor: list[str] = []
    quotas: list[dict] | None = None  # workflows.quotas.status of each campaign with quotas or rules

    def on_mount(self) -> None:
        self.external_change()
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

    def on_resize(self) -> None:
        self.draw(reread=False)

    def sections(self) -> list[tuple[str, list[Row] | str, str]]:
        jobs = [
            Row(
                S.JOB_LINE.format(at=j["at"], kind=S.JOB_KIND[j["kind"]], state=S.JOB_STATE[j["state"]])
                + (f"  {j['summary']}" if j.get("summary") else "")
            )
            for j in reversed(self.app.jobs[-5:])
        ]
        station = self.app.station
        out: list[tuple[str, list[Row] | str, str]] = [
            (S.OVERVIEW_CAMPAIGNS, campaign_lines(station), S.OVERVIEW_NONE),
            (S.OVERVIEW_DEADLINES, deadline_lines(station), S.OVERVIEW_NO_DEADLINES),
            (S.OVERVIEW_FINDINGS, finding_lines(station), S.OVERVIEW_NONE),
            (
                S.OVERVIEW_QUOTAS,
                S.QUOTA_LOADING if self.quotas is None else quota_lines(self.quotas),
                S.OVERVIEW_NO_QUOTAS,
            ),
            (S.OVERVIEW_JOBS, jobs, S.OVERVIEW_NO_JOBS),
        ]
        if self.doctor:
            out.append((S.OVERVIEW_DOCTOR, [Row(line) for line in self.doctor], S.OVERVIEW_NONE))
        return out

    def external_change(self) -> None:
        self.run_worker(self._load_quotas, thread=True, exclusive=True, group="quotas", exit_on_error=False)
        self.draw()

    def draw(self, reread: bool = True) -> None:
        """Paint the body; REREAD=False (a cursor move) reuses the counts read last time instead of querying."""
        if reread or self._sections is None:
            self._sections = self.sections()
        width = max(20, self.size.width - 6)
        body = Text()
        hint = wrap(S.OVERVIEW_HINT, width + 4)
        body.append("\n".join(hint) + "\n\n", style="dim")
        line_no = len(hint) + 1
        targets: list[tuple[int, int, tuple]] = []
        for title, rows, empty in self._sections:
            body.append(title + "\n", style="bold underline")
            line_no += 1
            for row in rows if isinstance(rows, list) and rows else [Row(rows if isinstance(rows, str) else empty)]:
                lead = len(row.text) - len(row.text.lstrip(" "))
                lines = wrap(row.text.lstrip(" "), width - lead, 4)  # continuation lines hang under the text
                if row.target is not None:
                    targets.append((line_no, len(lines), row.target))
                for piece in lines:
                    style = row.style
                    if row.target is not None and len(targets) - 1 == self.selected:
                        style = (style + " reverse").strip()
                    body.append("  " + " " * lead)
                    body.append(piece, style=style)
                    body.append("\n")
                    line_no += 1
            body.append("\n")
            line_no += 1
        body.rstrip()
        self.targets = targets
        self.rendered = body
        if targets and self.selected >= len(targets):
            self.selected = len(targets) - 1
            return self.draw(reread=False)
        self.query_one("#body", Static).update(body)

    def action_move(self, delta: int) -> None:
        """Move the highlight to the next (previous) row Enter can open; past the last one, scroll by a line."""
        index = self.selected + delta
        if not self.targets or not 0 <= index < len(self.targets):
            self.action_scroll(delta)
            return
        self.selected = index
        self.draw(reread=False)
        first, lines, _ = self.targets[index]
        scroll = self.query_one("#scroll", StillScroll)
        top, height = round(scroll.scroll_y), max(1, scroll.size.height)
        if first < top:
            scroll.scroll_to(y=max(0, first - 1), animate=False)
        elif first + lines > top + height:
            scroll.scroll_to(y=first + lines - height + 1, animate=False)

    def target_works(self, target: tuple) -> tuple[list[int], str]:
        """The works behind a row and how the queue describes them."""
        station = self.app.station
        if target[0] == "campaign":
            return overview.campaign_works(station.db(), target[1]), S.SCOPE_CAMPAIGN.format(campaign=target[2])
        if target[0] == "rule":
            rule = S.RULE_ZH.get(target[1], target[1])
            return overview.rule_works(station.db(), target[1]), S.SCOPE_RULE.format(rule=rule)
        _, campaign, key = target
        return quotas.key_works(station, campaign, key), S.SCOPE_QUOTA.format(
            campaign=campaign, label=message(quotas.label(key))
        )

    async def action_open(self) -> None:
        """Open the queue on the works behind the selected row; Esc there comes back here."""
        if not self.targets:
            return
        ids, scope = self.target_works(self.targets[min(self.selected, len(self.targets) - 1)][2])
        section = self.SECTION
        await self.app.switch_mode("queue")
        queue = self.app.queue_screen()
        if queue is not None:
            queue.show_works(ids, scope, back=section)


class QuotaScreen(OverviewScreen):
    SECTION = "quota"
    NAME = S.QUOTA_TITLE

    def draw(self, reread: bool = True) -> None:
        targets: list[tuple[int, int, tuple]] = []
        if self.quotas is None:
            body = Text(S.QUOTA_LOADING)
        else:
            body = quota_text(self.quotas, self.size.width - 2, targets, self.selected)
        self.targets = targets
        if targets and self.selected >= len(targets):
            self.selected = len(targets) - 1
            return self.draw()
        self.rendered = body
        self.query_one("#body", Static).update(body)
