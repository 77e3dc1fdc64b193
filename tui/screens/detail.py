"""One submission: metadata by origin, files, findings as words, note, decision and history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from store.labels import size_text
from tui import strings as S
from tui.screens.score import ScoreScreen
from tui.widgets.cells import message
from tui.widgets.chrome import SectionBar, StationScreen
from workflows import submissions
from workflows.review import decide as review

STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "red bold", "skip": "dim"}


def build(station, submission_id: int, anonymous: bool) -> Text:
    s = submissions.show(station, submission_id)
    db = station.db()
    state = review.current(db, [submission_id])[submission_id]
    note = review.note(db, submission_id)
    out = Text()
    personal = (
        sorted(
            {
                v
                for v in [
                    s["school"],
                    *s["authors"],
                    *(a["unit"] for a in s["author_roles"]),
                    *(vals.get(k) for vals in s["meta"].values() if isinstance(vals, dict) for k in S.META_PERSONAL),
                ]
                if isinstance(v, str) and len(v) >= 2
            },
            key=len,
            reverse=True,
        )
        if anonymous
        else []
    )
    # units are often written without their county: 中牟县实验小学 -> 实验小学
    personal += [v.split(S.COUNTY, 1)[1] for v in personal if S.COUNTY in v and len(v.split(S.COUNTY, 1)[1]) >= 2]

    def redact(text) -> str:
        text = message("" if text is None else str(text))
        for value in personal:
            text = text.replace(value, S.REDACTED)
        return text

    def heading(title: str) -> None:
        out.append(f"\n{title}\n", style="bold underline")

    def line(label: str, value, style: str = "") -> None:
        out.append(f"  {label}：", style="bold")
        out.append(("" if value is None else str(value)) + "\n", style=style)

    out.append(S.DETAIL_TITLE.format(id=s["id"], title=s["title"]) + "\n", style="bold")
    out.append(
        S.DETAIL_DECISION.format(decision=S.DECISION[state.decision]),
        style={"recommend": "green", "reject": "red", "fix": "yellow"}.get(state.decision, ""),
    )
    if state.reviewer:
        out.append(
            S.DETAIL_DECIDED_BY.format(reviewer=state.reviewer, at=(state.decided_at or "")[:19].replace("T", " "))
        )
    out.append("\n")
    if state.reason:
        out.append(S.DETAIL_REASON.format(reason=state.reason) + "\n")

    heading(S.DETAIL_META)
    for key, label in S.DETAIL_FIELDS:
        value = s.get(key)
        if key == "status":
            value = S.STATUS.get(value, value)
        if anonymous and key in S.HIDDEN_FIELDS:
            value = S.DETAIL_HIDDEN
        if value not in (None, ""):
            line(label, value)
    meta = {origin: values for origin, values in s["meta"].items() if isinstance(values, dict)}
    fields = list(dict.fromkeys(k for values in meta.values() for k in values))
    if fields:
        heading(S.DETAIL_SOURCES)
    for field in fields:
        label = S.META_FIELDS.get(field, field)
        if anonymous and field in S.META_PERSONAL:
            line(label, S.DETAIL_HIDDEN)
            continue
        seen = "；".join(
            f"{S.ORIGIN.get(o, o)} {values[field]}" for o, values in meta.items() if values.get(field) not in (None, "")
        )
        line(label, seen)

    heading(S.DETAIL_AUTHORS)
    if anonymous:
        out.append("  " + S.DETAIL_HIDDEN + "\n")
    for a in [] if anonymous else s["author_roles"]:
        out.append(f"  {a['name']}  {a['role'] or ''}  {a['unit'] or ''}\n")

    heading(S.DETAIL_FILES)
    for f in s["files"]:
        out.append(f"  {f['path']}", style="bold")
        out.append(f"  {f['role'] or f['kind']}  {size_text(f['size'])}\n")

    heading(S.DETAIL_FINDINGS)
    findings = submissions.findings(station, submission_id)
    if not findings:
        out.append("  " + S.DETAIL_NONE + "\n")
    for x in findings:
        out.append(f"  [{S.FINDING.get(x['status'], x['status'])}] ", style=STATUS_STYLE.get(x["status"], ""))
        out.append(f"{x['rule']}  {redact(x['message'])}\n")
        extras = []
        if x.get("measured"):
            extras.append(S.DETAIL_MEASURED.format(measured=redact(x["measured"])))
        if x.get("expected"):
            extras.append(S.DETAIL_EXPECTED.format(expected=redact(x["expected"])))
        if x.get("file_path"):
            extras.append(S.DETAIL_FILE.format(file=x["file_path"]))
        if extras:
            out.append("      " + "  ".join(extras) + "\n", style="dim")
        if x.get("fix"):
            out.append("      " + S.DETAIL_FIX.format(fix=x["fix"]) + "\n")

    heading(S.DETAIL_NOTE)
    out.append(f"  {note['text']}  ({note['reviewer']})\n" if note else "  " + S.DETAIL_NONE + "\n")

    heading(S.DETAIL_HISTORY)
    for e in s["history"]:
        action = S.HISTORY_ACTIONS.get(e["action"], e["action"])
        d = e["detail"]
        change = ""
        if e["action"].startswith("decision."):
            change = S.HISTORY_CHANGE.format(
                old=S.DECISION.get(d.get("old"), d.get("old")), new=S.DECISION.get(d.get("new"), d.get("new"))
            )
        elif e["action"] == "note.set":
            change = d.get("new") or S.NOTE_REMOVED
        out.append(f"  {e['at'][:19].replace('T', ' ')}  {e['actor']}  {action}  {change}\n")
    if not s["history"]:
        out.append("  " + S.DETAIL_NONE + "\n")
    return out


class DetailScreen(StationScreen):
    SECTION = "queue"
    NAME = S.DETAIL_META
    DEFAULT_CSS = "DetailScreen #body { padding: 0 1; }"
    BINDINGS = [
        Binding("escape,backspace", "back", S.KEYS["detail.back"], id="detail.back"),
        Binding("j,down", "scroll(1)", S.KEYS["detail.down"], show=False, id="detail.down"),
        Binding("k,up", "scroll(-1)", S.KEYS["detail.up"], show=False, id="detail.up"),
        Binding("s", "score", S.KEYS["detail.score"], id="detail.score"),
    ]

    def __init__(self, submission_id: int):
        super().__init__()
        self.submission_id = submission_id

    def compose(self) -> ComposeResult:
        yield SectionBar(self.SECTION)
        with VerticalScroll(id="scroll"):
            yield Static(build(self.app.station, self.submission_id, self.app.reviewer.anonymous), id="body")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#scroll").focus()

    def action_back(self) -> None:
        self.dismiss()

    def action_score(self) -> None:
        self.app.push_screen(ScoreScreen(self.submission_id))

    def action_scroll(self, lines: int) -> None:
        self.query_one("#scroll", VerticalScroll).scroll_relative(y=lines, animate=False)
