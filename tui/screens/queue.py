"""评审 queue: move, decide, undo, mark, filter. Writes go to the app's writer thread; the screen
repaints from the model's overlay at once and reloads when the write (or someone else's) lands."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Footer, Input

from tui import strings as S
from tui.widgets import queue_model as q
from tui.widgets.chrome import SectionBar, StationScreen, StatusLine
from tui.widgets.messages import DecisionRefused, DecisionWritten, NoteRefused, NoteSaved, Undone, UndoRefused
from tui.widgets.modals import ChoiceModal, ConfirmModal, InputModal
from tui.widgets.queue_model import QueueModel
from tui.widgets.queue_view import QueueView

CHANGES = {"mark", "mark_all"}  # decide, undo and note stay enabled when read-only, to say why they do nothing
SORT_ORDER = list(q.SORTS)


def decide_on_writer(app, target, ids: list[int], value: str, reason: str | None, seen: dict[int, int], override=None):
    """Record the decision on the app's writer thread, conditional on the revisions the reviewer SAW.

    Our own earlier writes that are still on their way move the expected revision along (the reviewer saw them
    as the overlay), so deciding twice quickly on one work is not a conflict with oneself; anybody else's
    change in between is (`review.Conflict`). TARGET gets `DecisionWritten` or `DecisionRefused`.
    """

    def write():
        from workflows.review import decide as review

        own = app.own_revs  # touched only on the writer thread
        expected = {}
        for i, rev in seen.items():
            while (i, rev) in own:
                rev = own[(i, rev)]
            expected[i] = rev
        outcome = review.decide(
            app.station, ids, value, reason, app.reviewer.name, expected=expected, override=override
        )
        for c in outcome.changes:
            own[(c.id, c.old.rev)] = c.new.rev
        if outcome.changes:
            app.undo_stack.append(outcome)
        return outcome

    app.write(
        target,
        write,
        lambda outcome: DecisionWritten(ids, outcome, value, reason),
        lambda error: DecisionRefused(ids, error, value, reason),
    )


if TYPE_CHECKING:
    from workflows.review.decide import Outcome

COLUMNS_SETTING = "tui.queue.columns"


def B(keys: str, action: str, binding_id: str, show: bool = False, **kw) -> Binding:
    return Binding(keys, action, S.KEYS[binding_id], show=show, id=binding_id, **kw)


class QueueScreen(StationScreen):
    SECTION = "queue"
    NAME = S.SECTIONS["queue"][2:]
    DEFAULT_CSS = """
    QueueScreen #filter { display: none; border: none; height: 1; padding: 0 1; }
    QueueScreen #filter.shown { display: block; }
    """
    BINDINGS = [
        B("j,down", "down", "queue.down"),
        B("k,up", "up", "queue.up"),
        B("g,home", "top", "queue.top"),
        B("G,end", "bottom", "queue.bottom"),
        B("pagedown,ctrl+f", "page(1)", "queue.page_down"),
        B("pageup,ctrl+b", "page(-1)", "queue.page_up"),
        B("enter", "open", "queue.open", show=True, key_display="Enter"),
        B("r", "decide('recommend')", "queue.recommend", show=True),
        B("x", "decide('reject')", "queue.reject", show=True),
        B("f", "decide('fix')", "queue.fix", show=True),
        B("p", "decide('pending')", "queue.pending", show=True),
        B("u", "undo", "queue.undo", show=True),
        B("n", "note", "queue.note"),
        B("space", "mark", "queue.mark"),
        B("a", "mark_all", "queue.mark_all"),
        B("slash", "search", "queue.search", show=True),
        B("v", "quick('undecided')", "queue.undecided"),
        B("b", "quick('failed')", "queue.failed"),
        B("t", "filter_menu", "queue.filter"),
        B("o", "sort", "queue.sort"),
        B("c", "clear", "queue.clear"),
        B("s", "score", "queue.score"),
        B("l", "columns", "queue.columns"),
    ]

    def __init__(self):
        super().__init__()
        app = self.app
        f = q.Filter(recuse_unit=app.reviewer.unit)
        self.model = QueueModel(app.station.conn, f)  # plain sqlite3: the first frame needs no sqlite_utils
        self.view = QueueView(self.model, anonymous=app.reviewer.anonymous)
        self.pending = 0  # writes sent to the writer thread, not yet back
        self._stale = False  # the database changed while writes were pending
        self._search_timer: Timer | None = None
        self.back: str | None = None  # the section that opened the queue on some works (Esc returns there)

    def compose(self) -> ComposeResult:
        yield SectionBar(self.SECTION)
        yield self.view
        yield StatusLine(id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        columns = self.app.setting(COLUMNS_SETTING)
        if columns:
            self.view.set_extra(tuple(columns.split(",")))
        self.model.reload()
        self.view.scroll_to_cursor()
        self.view.focus()
        self.update_status()  # what this screen uses next is imported after the first frame (app.AFTER_FIRST_FRAME)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in CHANGES and self.app.reviewer.read_only:
            return False
        return True

    # --- status --------------------------------------------------------------------------

    def update_status(self) -> None:
        m = self.model
        line = Text(S.POSITION.format(n=m.cursor + 1, total=m.total) if m.total else S.POSITION_EMPTY, style="bold")
        parts = [S.QUICK[k] for k in q.QUICK if k in m.filter.quick]
        if m.filter.only is not None:
            parts.insert(0, S.QUEUE_SCOPE.format(scope=m.filter.scope, n=len(m.filter.only)))
        for column in q.FACETS:
            value = getattr(m.filter, column)
            if value is not None:
                shown = self.app.campaign_name(value) if column == "campaign_id" else (value or S.FACET_EMPTY)
                parts.append(f"{S.FACET[column]}={shown}")
        if m.filter.text:
            parts.append(S.SEARCH.format(text=m.filter.text))
        if parts:
            line.append("  " + S.FILTER.format(desc=" ".join(parts)))
        if m.marked:
            line.append("  " + S.MARKED.format(n=len(m.marked)))
        if m.filter.sort != "id":
            line.append("  " + S.SORT.format(name=S.SORTS[m.filter.sort]))
        self.query_one("#status", StatusLine).set(line)

    def redraw(self) -> None:
        self.view.scroll_to_cursor()
        self.view.refresh()
        self.update_status()

    def reload(self, keep: int | None = None) -> None:
        self.model.reload(keep)
        self.redraw()

    def external_change(self) -> None:
        """Someone else (or one of our writes) changed the database."""
        if self.pending:
            self._stale = True  # read again when our own writes are back
        else:
            self.reload()

    def _write_back(self) -> bool:
        """One of our writes is back; True when the list must be read again anyway."""
        self.pending -= 1
        stale, self._stale = self._stale and not self.pending, self._stale and bool(self.pending)
        return stale

    # --- moving --------------------------------------------------------------------------

    def _move(self, index: int) -> None:
        self.view.move(index)
        self.update_status()

    def action_down(self) -> None:
        self._move(self.model.cursor + 1)

    def action_up(self) -> None:
        self._move(self.model.cursor - 1)

    def action_top(self) -> None:
        self._move(0)

    def action_bottom(self) -> None:
        self._move(self.model.total - 1)

    def action_page(self, direction: int) -> None:
        self._move(self.model.cursor + direction * self.view.rows_visible)

    def action_open(self) -> None:
        sid = self.model.current_id()
        if sid is not None:
            from tui.screens.detail import DetailScreen

            self.app.push_screen(DetailScreen(sid))

    def action_score(self) -> None:
        sid = self.model.current_id()
        if sid is None:
            self.notify(S.NOTHING_SELECTED, markup=False)
        else:
            from tui.screens.score import ScoreScreen

            self.app.push_screen(ScoreScreen(sid))

    # --- deciding ------------------------------------------------------------------------

    def action_decide(self, value: str, override: str | None = None) -> None:
        if self.app.reviewer.read_only:
            self.notify(S.READ_ONLY_REFUSED, severity="warning", markup=False)
            return
        targets = self._targets()
        if not targets:
            self.notify(S.NOTHING_SELECTED)
            return
        bulk = len(targets) > 1 or bool(self.model.marked)
        rows = self.model.shown_rows(targets)
        if value == "recommend":
            refused = [i for i in targets if rows.get(i, {}).get("status") == "rejected"]
            if refused:  # a refused archive never counts, so it can never be recommended
                self.app.show_refusal(S.REFUSED_ARCHIVE.format(ids=S.ID_SEP.join(map(str, refused))))
                return

        def with_reason(reason: str | None) -> None:
            if value == "fix" and reason is None:
                return
            failing = [i for i in targets if rows.get(i, {}).get("fails")] if value == "recommend" else []
            if failing:
                question = (
                    S.CONFIRM_FAILING_ONE.format(id=failing[0], n=rows[failing[0]]["fails"])
                    if not bulk
                    else S.CONFIRM_FAILING_MANY.format(total=len(targets), n=len(failing))
                )
                self.app.push_screen(
                    ConfirmModal(question), lambda yes: yes and self._decide(targets, value, reason, override)
                )
            elif bulk:
                question = S.CONFIRM_BULK.format(n=len(targets), decision=S.DECISION[value])
                self.app.push_screen(
                    ConfirmModal(question), lambda yes: yes and self._decide(targets, value, reason, override)
                )
            else:
                self._decide(targets, value, reason, override)

        if value == "fix":
            current = self.model.current() if not self.model.marked else None
            self.app.push_screen(
                InputModal(S.REASON_TITLE, (current or {}).get("reason") or "", required=S.REASON_REQUIRED), with_reason
            )
        else:
            with_reason(None)

    def _targets(self) -> list[int]:
        if self.model.marked:
            return sorted(self.model.marked)
        sid = self.model.current_id()
        return [] if sid is None else [sid]

    def _decide(self, ids: list[int], value: str, reason: str | None, override: str | None = None) -> None:
        seen = self.model.seen_revs(ids)
        for i in ids:
            self.model.overlay[i] = {"decision": value, "reason": reason}
        bulk = len(ids) > 1 or bool(self.model.marked)
        if bulk:
            self.model.marked.clear()
            self.view.refresh()
        else:
            self.view.refresh_row(self.model.cursor)
            nxt = self.model.find(self.model.cursor + 1, lambda r: r["decision"] is None)
            if nxt is None:
                self.notify(S.ALL_DECIDED)
            else:
                self.view.move(nxt)
        self.update_status()
        self.pending += 1
        decide_on_writer(
            self.app,
            self,
            ids,
            value,
            reason,
            seen,
            override,
        )

    def on_decision_written(self, message: DecisionWritten) -> None:
        stale = self._write_back()
        ids, outcome = message.ids, message.outcome
        for i in ids:
            self.model.overlay.pop(i, None)
        self.model.saw({c.id: c.new.rev for c in outcome.changes})
        if len(ids) > 1 and outcome.changes:
            self.notify(
                S.DECIDED_MANY.format(n=len(outcome.changes), decision=S.DECISION[outcome.changes[0].new.decision]),
                timeout=2,
            )
        if stale or not self._patch(outcome):  # patched rows look as the overlay showed them
            self.reload()
        self._refresh_details()

    def _refresh_details(self) -> None:
        """A decision made from a detail view shows there as soon as it is written."""
        for screen in self.app.screen_stack:
            refresh = getattr(screen, "refresh_body", None)
            if refresh is not None and screen.is_mounted:
                refresh()

    def on_decision_refused(self, message: DecisionRefused) -> None:
        """Nothing was written: the cursor goes back to the (first) refused work, and the dialog says why."""
        self._write_back()
        for i in message.ids:
            self.model.overlay.pop(i, None)
        self.reload(keep=message.ids[0] if len(message.ids) == 1 else None)
        self._refresh_details()

        def again(override: str | None) -> None:
            if override:
                self._decide(message.ids, message.value, message.reason, override)

        self.app.show_refusal(message.error, on_override=again)

    def _patch(self, outcome: Outcome) -> bool:
        return self.model.patch(
            {
                c.id: {"decision": c.new.decision, "reason": c.new.reason, "reviewer": c.new.reviewer, "rev": c.new.rev}
                for c in outcome.changes
            }
        )

    def action_undo(self) -> None:
        if self.app.reviewer.read_only:
            self.notify(S.READ_ONLY_REFUSED, severity="warning", markup=False)
            return
        app = self.app
        self.pending += 1

        def write():
            from workflows.review import decide as review

            if not app.undo_stack:
                return None
            undone = review.undo(app.station, app.undo_stack.pop(), app.reviewer.name)
            for c in undone.changes:
                app.own_revs[(c.id, c.old.rev)] = c.new.rev
            return undone

        app.write(self, write, Undone, UndoRefused)

    def on_undone(self, message: Undone) -> None:
        stale = self._write_back()
        undone = message.outcome
        if undone is None:
            self.notify(S.NOTHING_TO_UNDO)
            self.reload()
            return
        ids = [c.id for c in undone.changes]
        self.model.saw({c.id: c.new.rev for c in undone.changes})
        self.notify(S.UNDONE.format(id=ids[-1]) if len(ids) == 1 else S.UNDONE_MANY.format(n=len(ids)), timeout=2)
        cached = self.model.cached_index(ids[-1]) if not stale and self._patch(undone) else None
        if cached is None:
            self.reload(keep=ids[-1])
        else:
            self.view.move(cached)
            self.redraw()

    def on_undo_refused(self, message: UndoRefused) -> None:
        self._write_back()
        self.reload()
        self.app.show_error(message.error)

    # --- notes and marks -----------------------------------------------------------------

    def action_note(self) -> None:
        sid = self.model.current_id()
        if sid is None:
            return
        if self.app.reviewer.read_only:
            self.notify(S.READ_ONLY_REFUSED, severity="warning", markup=False)
            return
        from workflows.review import decide as review

        old = review.note(self.app.station.db(), sid)
        app = self.app

        def save(text: str | None) -> None:
            if text is None:
                return
            self.pending += 1
            app.write(
                self,
                lambda: review.set_note(app.station, sid, text, app.reviewer.name),
                lambda _: NoteSaved(sid, text),
                lambda e: NoteRefused(sid, e),
            )

        app.push_screen(InputModal(S.NOTE_TITLE.format(id=sid), old["text"] if old else ""), save)

    def on_note_saved(self, message: NoteSaved) -> None:
        self._write_back()
        self.notify(S.NOTE_SAVED if message.text.strip() else S.NOTE_REMOVED, timeout=2)
        self.reload()

    def on_note_refused(self, message: NoteRefused) -> None:
        self._write_back()
        self.reload()
        self.app.show_error(message.error)

    def action_mark(self) -> None:
        sid = self.model.current_id()
        if sid is None:
            return
        self.model.marked ^= {sid}
        self.view.refresh_row(self.model.cursor)
        self._move(self.model.cursor + 1)

    def action_mark_all(self) -> None:
        visible = set(self.model.all_ids())
        if visible and visible <= self.model.marked:
            self.model.marked -= visible
            self.notify(S.UNMARKED_ALL, timeout=2)
        else:
            # what the reviewer decides on is the state at marking time: later changes by others are conflicts
            from workflows.review import decide as review

            unseen = [i for i in visible if i not in self.model.seen]
            self.model.saw({i: st.rev for i, st in review.current(self.app.station.db(), unseen).items()})
            self.model.marked |= visible
            self.notify(S.MARKED_ALL.format(n=len(visible)), timeout=2)
        self.redraw()

    # --- filters -------------------------------------------------------------------------

    def set_filter(self, f: q.Filter) -> None:
        self.model.set_filter(f)
        self.redraw()

    def action_quick(self, name: str) -> None:
        self.set_filter(self.model.filter.with_quick(name))

    def action_sort(self, name: str | None = None) -> None:
        current = self.model.filter.sort
        name = name or SORT_ORDER[(SORT_ORDER.index(current) + 1) % len(SORT_ORDER)]
        self.set_filter(replace(self.model.filter, sort=name))

    def _filter_box(self) -> Input | None:
        """The search box, made on first use (its styles are not needed for the first paint)."""
        found = self.query("#filter")
        return found.first(Input) if found else None

    def action_clear(self) -> None:
        box = self._filter_box()
        if box is not None:
            box.value = ""
        self.set_filter(self.model.filter.cleared())

    def action_columns(self) -> None:
        """Show or hide one optional column (note, scorers, decider); the choice is kept for the station."""
        from tui.widgets.queue_view import OPTIONAL

        shown = self.view.extra
        options = [((S.COLUMN_SHOWN if k in shown else S.COLUMN_HIDDEN) + v[0], k) for k, v in OPTIONAL.items()]

        def chosen(key) -> None:
            if key is None:
                return
            extra = tuple(k for k in OPTIONAL if (k in shown) != (k == key))
            self.view.set_extra(extra)
            self.app.save_setting(COLUMNS_SETTING, ",".join(extra))

        self.app.push_screen(ChoiceModal(S.COLUMNS_TITLE, options), chosen)

    def action_filter_menu(self) -> None:
        options = [((S.ACTIVE if k in self.model.filter.quick else "") + S.QUICK[k], ("quick", k)) for k in q.QUICK]
        options += [(S.FACET_MORE.format(name=S.FACET[c]), ("facet", c)) for c in q.FACETS]
        options.append((S.CMD_CLEAR, ("clear", None)))

        def chosen(choice) -> None:
            if choice is None:
                return
            kind, key = choice
            if kind == "quick":
                self.action_quick(key)
            elif kind == "clear":
                self.action_clear()
            else:
                self.facet_menu(key)

        self.app.push_screen(ChoiceModal(S.CHOOSE_FILTER, options), chosen)

    def facet_menu(self, column: str) -> None:
        values = q.facet(self.app.station.conn(), self.model._query_filter(), column)
        options = [
            (f"{self.app.campaign_name(v) if column == 'campaign_id' else (v or S.FACET_EMPTY)}  ({n})", v)
            for v, n in values
        ]
        self.app.push_screen(
            ChoiceModal(S.FACET[column], options),
            lambda v: v is not None and self.set_filter(replace(self.model.filter, **{column: v})),
        )

    async def action_search(self) -> None:
        box = self._filter_box()
        if box is None:
            box = Input(placeholder=S.FILTER_PLACEHOLDER, id="filter")
            await self.mount(box, before=self.query_one(Footer))
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, "#filter")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.15, lambda: self._apply_search(event.value))

    def _apply_search(self, text: str) -> None:
        if text.strip() != self.model.filter.text:
            self.set_filter(replace(self.model.filter, text=text.strip()))

    @on(Input.Submitted, "#filter")
    def _search_done(self, event: Input.Submitted) -> None:
        if self._search_timer:
            self._search_timer.stop()
        self._apply_search(event.value)
        event.input.remove_class("shown")
        self.view.focus()

    def show_works(self, ids: list[int], scope: str, back: str | None = None) -> None:
        """Show only IDS, described as SCOPE (the works behind a row of another section); Esc goes back to BACK."""
        self.back = back
        self.set_filter(replace(self.model.filter.cleared(), only=frozenset(ids), scope=scope))
        self.model.move_to(0)
        self.redraw()

    def key_escape(self) -> None:
        box = self._filter_box()
        if box is not None and box.has_class("shown"):
            box.value = ""
            self._apply_search("")
            box.remove_class("shown")
            self.view.focus()
        elif self.back:
            back, self.back = self.back, None
            self.set_filter(replace(self.model.filter, only=None, scope=""))
            self.app.action_section(back)
