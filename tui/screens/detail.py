"""One submission: metadata by origin, files, findings as words, note, decision and history."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from store.labels import size_text
from tui import strings as S
from tui.safe_text import safe
from tui.screens.score import ScoreScreen
from tui.widgets import player
from tui.widgets.cells import message, wrap
from tui.widgets.chrome import SectionBar, StationScreen
from tui.widgets.loudness import LoudnessView
from tui.widgets.scrolling import SCROLL_BINDINGS, ScrollKeys, StillScroll
from tui.widgets.storyboard import StoryboardView
from workflows import submissions
from workflows.checks import pictures
from workflows.review import decide as review

STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "red bold", "skip": "dim"}


def build(station, submission_id: int, anonymous: bool, width: int = 78) -> Text:
    """The work as a reviewer decides on it: decision and verdict first, then what failed (Chinese rule
    names, measured against required, one fix per file), then metadata, files, note and history."""
    s = submissions.show(station, submission_id)
    db = station.db()
    state = review.current(db, [submission_id])[submission_id]
    note = review.note(db, submission_id)
    findings = submissions.findings(station, submission_id)
    out = Text()
    width = max(20, width)
    personal = submissions.personal_names(station) if anonymous else []
    # units are often written without their county: 中牟县实验小学 -> 实验小学
    personal += [v.split(S.COUNTY, 1)[1] for v in personal if S.COUNTY in v and len(v.split(S.COUNTY, 1)[1]) >= 2]
    personal.sort(key=len, reverse=True)

    def redact(text) -> str:
        text = message("" if text is None else str(text))
        for value in personal:
            text = text.replace(value, S.REDACTED)
        return text

    def para(text: str, indent: int = 2, hang: int = 4, style: str = "") -> None:
        for piece in wrap(text, width - indent, hang - indent):
            out.append(" " * indent + piece + "\n", style=style)

    def heading(title: str) -> None:
        out.append(f"\n{title}\n", style="bold underline")

    def line(label: str, value, style: str = "") -> None:
        para(f"{label}：{'' if value is None else value}", style=style)

    out.append(redact(S.DETAIL_TITLE.format(id=s["id"], title=s["title"])) + "\n", style="bold")
    decision = S.DETAIL_DECISION.format(decision=S.DECISION[state.decision])
    if state.reviewer:
        decision += S.DETAIL_DECIDED_BY.format(
            reviewer=state.reviewer, at=(state.decided_at or "")[:19].replace("T", " ")
        )
    out.append(decision + "\n", style={"recommend": "green", "reject": "red", "fix": "yellow"}.get(state.decision, ""))
    if state.reason:
        para(S.DETAIL_REASON.format(reason=redact(state.reason)), indent=0, hang=2)
    if s.get("status") == "rejected":
        out.append(S.STATUS["rejected"] + "\n", style="red bold")

    # --- verdict and findings first -----------------------------------------------------------------
    counts = {k: sum(f["status"] == k for f in findings) for k in ("fail", "warn", "pass")}
    heading(S.DETAIL_VERDICT)
    if not findings:
        out.append("  " + S.DETAIL_NONE + "\n")
    else:
        para(S.DETAIL_VERDICT_LINE.format(fail=counts["fail"], warn=counts["warn"], pass_=counts["pass"]))
    fixes: dict[str, list[str]] = {}
    for x in findings:
        if x["status"] not in ("fail", "warn"):
            continue
        name = S.RULE_ZH.get(x["rule"], x["rule"])
        head = S.DETAIL_FINDING_HEAD.format(status=S.FINDING.get(x["status"], x["status"]), rule=name)
        if x.get("file_path"):
            head += S.DETAIL_FINDING_FILE.format(file=x["file_path"])
        out.append("  " + head + "\n", style=STATUS_STYLE.get(x["status"], ""))
        if x.get("measured") or x.get("expected"):
            para(
                S.DETAIL_MEASURED_EXPECTED.format(
                    measured=redact(x.get("measured") or "-"), expected=redact(x.get("expected") or "-")
                ),
                indent=4,
                hang=6,
            )
        para(redact(x["message"]), indent=4, hang=6, style="dim")
        if x.get("fix"):
            known = fixes.setdefault(x.get("file_path") or "", [])
            if x["fix"] not in known:
                known.append(x["fix"])
    for path, texts in fixes.items():  # one fix per file, not one per failing rule
        out.append("  " + (S.DETAIL_FIX_FOR.format(file=path) if path else S.DETAIL_FIX_WORK) + "\n", style="bold")
        for text in texts:
            para(redact(text), indent=4, hang=6)
    passed = list(dict.fromkeys(S.RULE_ZH.get(x["rule"], x["rule"]) for x in findings if x["status"] == "pass"))
    if passed:
        para(S.DETAIL_PASSED.format(n=counts["pass"], names=S.SCORE_LIST_SEP.join(passed)), style="green")

    # the title card as the OCR read it (video.titlecard.text): shown for a pass too
    read = [x for x in findings if x["rule"] == "video.titlecard.text" and x.get("measured")]
    if read:
        heading(S.DETAIL_TITLECARD_TEXT)
    for x in read:
        where = S.DETAIL_FINDING_FILE.format(file=x["file_path"]) if x.get("file_path") and len(read) > 1 else ""
        para(redact(x["measured"]) + where)

    heading(S.DETAIL_NOTE)
    para(f"{redact(note['text'])}  ({note['reviewer']})" if note else S.DETAIL_NONE)

    # --- what the work is -----------------------------------------------------------------------------
    heading(S.DETAIL_META)
    for key, label in S.DETAIL_FIELDS:
        value = s.get(key)
        if key == "status":
            value = S.STATUS.get(value, value)
        if anonymous and key in S.HIDDEN_FIELDS:
            value = S.DETAIL_HIDDEN
        if value not in (None, ""):
            line(label, redact(value))
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
        line(label, redact(seen))

    heading(S.DETAIL_AUTHORS)
    if anonymous:
        out.append("  " + S.DETAIL_HIDDEN + "\n")
    for a in [] if anonymous else s["author_roles"]:
        para(f"{a['name']}  {a['role'] or ''}  {a['unit'] or ''}")

    heading(S.DETAIL_FILES)
    for f in s["files"]:
        para(f"{f['path']}  {f['role'] or f['kind']}  {size_text(f['size'])}")

    heading(S.DETAIL_HISTORY)
    for e in s["history"]:
        action = S.HISTORY_ACTIONS.get(e["action"], S.HISTORY_OTHER)
        d = e["detail"]
        change = ""
        if e["action"].startswith("decision."):
            change = S.HISTORY_CHANGE.format(
                old=S.DECISION.get(d.get("old"), d.get("old")), new=S.DECISION.get(d.get("new"), d.get("new"))
            )
        elif e["action"] == "note.set":
            change = d.get("new") or S.NOTE_REMOVED
        elif e["action"] == "rule.override":
            change = d.get("reason") or ""
        para(f"{e['at'][:19].replace('T', ' ')}  {e['actor']}  {action}  {redact(change)}")
    if not s["history"]:
        out.append("  " + S.DETAIL_NONE + "\n")
    return out


class DetailScreen(ScrollKeys, StationScreen):
    """One work, to decide on: r x f p as in the queue, J/K to the next or previous work (as mutt's pager)."""

    SECTION = "queue"
    NAME = S.DETAIL_META
    DEFAULT_CSS = "DetailScreen #body { padding: 0 1; }"
    BINDINGS = [
        Binding("escape,backspace", "back", S.KEYS["detail.back"], id="detail.back", key_display="Esc"),
        Binding("r", "decide('recommend')", S.KEYS["detail.recommend"], id="detail.recommend"),
        Binding("x", "decide('reject')", S.KEYS["detail.reject"], id="detail.reject"),
        Binding("f", "decide('fix')", S.KEYS["detail.fix"], id="detail.fix"),
        Binding("p", "decide('pending')", S.KEYS["detail.pending"], id="detail.pending"),
        Binding("J", "step(1)", S.KEYS["detail.next"], id="detail.next"),
        Binding("K", "step(-1)", S.KEYS["detail.previous"], id="detail.previous"),
        *SCROLL_BINDINGS,
        Binding("s", "score", S.KEYS["detail.score"], show=False, id="detail.score"),
        # the storyboard, loudness chart and player (issue 16): see compose_media
        Binding("right", "frame(1)", S.KEYS["detail.frame_next"], show=False, id="detail.frame_next"),
        Binding("left", "frame(-1)", S.KEYS["detail.frame_previous"], show=False, id="detail.frame_previous"),
        Binding("o", "play", S.KEYS["detail.play"], show=False, id="detail.play"),
    ]

    def __init__(self, submission_id: int):
        super().__init__()
        self.submission_id = submission_id

    def compose(self) -> ComposeResult:
        yield SectionBar(self.SECTION)
        with StillScroll(id="scroll"):
            yield Static(id="body")
            yield from self.compose_media()
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.refresh_body()
        self.query_one("#scroll").focus()

    def refresh_body(self) -> None:
        # the body's padding (2) and the scroll bar (2): lines are wrapped here, never again by the Static
        width = (self.size.width or self.app.size.width) - 4
        body = build(self.app.station, self.submission_id, self.app.reviewer.anonymous, width)
        self.query_one("#body", Static).update(body)
        self.refresh_media(width)

    def on_resize(self) -> None:
        self.refresh_body()

    def external_change(self) -> None:
        if self.is_mounted:
            self.refresh_body()

    def action_back(self) -> None:
        self.dismiss()

    def action_score(self) -> None:
        self.app.push_screen(ScoreScreen(self.submission_id))

    def _queue(self):
        queue = self.app.queue_screen()
        if queue is not None:
            queue.model.reload(keep=self.submission_id)
        return queue

    def action_decide(self, value: str) -> None:
        """Decide on this work through the queue's own path (the same questions, guards and refusals)."""
        queue = self._queue()
        if queue is None or queue.model.current_id() != self.submission_id:
            return
        queue.model.marked.clear()
        queue.action_decide(value)

    def action_step(self, delta: int) -> None:
        queue = self._queue()
        if queue is None:
            return
        queue.view.move(queue.model.cursor + delta)
        queue.update_status()
        sid = queue.model.current_id()
        if sid is not None and sid != self.submission_id:
            self.submission_id = sid
            self.query_one(StoryboardView).selected = 0
            self.refresh_body()
            self.query_one("#scroll", VerticalScroll).scroll_home(animate=False)

    # --- what the lesson looks and sounds like (issue 16): one place for the media views ----------------

    def compose_media(self) -> ComposeResult:
        yield StoryboardView(id="storyboard")
        yield LoudnessView(id="loudness")

    def refresh_media(self, width: int) -> None:
        station, sid = self.app.station, self.submission_id
        self.query_one(StoryboardView).show(pictures.storyboards(station, sid), width, self.app.reviewer.anonymous)
        self.query_one(LoudnessView).show(pictures.loudness(station, sid), width)

    def action_frame(self, delta: int) -> None:
        self.query_one(StoryboardView).step(delta)

    def action_play(self) -> None:
        reason = player.refusal()
        if reason:
            self.notify(reason, severity="warning", markup=False)
            return
        found = pictures.video_for_player(self.app.station, self.submission_id)
        if found is None:
            self.notify(S.PLAYER_NO_VIDEO, severity="warning", markup=False)
            return
        name, link = found
        self.notify(safe(player.play(link, name)), markup=False)
