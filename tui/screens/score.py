"""评分: one expert scores one work against the campaign's rubric (workflows.scoring)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Static

from tui import strings as S
from tui.widgets.cells import fit, message, plain
from tui.widgets.chrome import SectionBar, StationScreen
from tui.widgets.messages import ScoreRefused, ScoreSaved
from workflows import campaigns, reviewers, submissions
from workflows.errors import StationError
from workflows.scoring import scores as scoring

LABEL_CELLS = 34
ENTRY = r"[0-9.A-Ea-e]*"


def load(station, submission_id: int, expert: str) -> dict:
    """Everything the screen shows (runs on a worker thread)."""
    work = submissions.show(station, submission_id)
    who = reviewers.get(station.db(), expert) if expert else reviewers.Reviewer("")
    out = {
        "id": submission_id,
        "title": work["title"],
        "campaign": work["campaign"],
        "rubric": None,
        "recused": who.unit if who.recused(work["school"], [a["unit"] for a in work["author_roles"]]) else None,
    }
    try:
        rub = scoring.rubric(station, campaigns.get(station, work["campaign"])["id"])
    except StationError as e:
        if e.code != "rubric.none":
            raise
        return out
    report = scoring.report(station, work["campaign"])
    out.update(
        rubric=rub,
        method=report["method"],
        result=next((w for w in report["works"] if w["id"] == submission_id), None),
        sheet=scoring.expert_sheet(station, submission_id, expert, rub) if expert else None,
    )
    return out


def save(
    station,
    submission_id: int,
    expert: str,
    rub: scoring.Rubric,
    values: dict[str, str],
    veto_text: str,
    had_veto: list[str],
    comment: str,
) -> dict:
    """Record the typed scores; vetoes not listed any more are cleared (runs on the writer thread)."""
    marked = list(dict.fromkeys(rub.veto_name(t) for t in veto_text.split()))
    cleared = [v for v in had_veto if v not in marked]
    return scoring.score(
        station,
        submission_id,
        expert,
        {k: v for k, v in values.items() if v.strip()},
        veto=marked,
        clear_veto=cleared,
        comment=comment,
        actor=expert,
    )


def item_label(item: scoring.Item) -> str:
    template = S.SCORE_ITEM if item.dimension == item.name else S.SCORE_ITEM_IN
    text = template.format(dimension=item.dimension, name=item.name, max=scoring.fmt(item.entry_max))
    if item.weight is not None:
        text += S.SCORE_ITEM_WEIGHT.format(weight=scoring.fmt(item.weight))
    return message(text)


class ScoreScreen(StationScreen):
    SECTION = "queue"
    NAME = S.SCORE_NAME
    DEFAULT_CSS = """
    ScoreScreen #scroll { padding: 0 1; }
    ScoreScreen Horizontal { height: 1; }
    ScoreScreen .label { width: auto; }
    ScoreScreen .score { width: 10; }
    ScoreScreen #comment, ScoreScreen #veto { width: 1fr; }
    ScoreScreen .hint { color: $foreground 75%; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", S.KEYS["score.save"], id="score.save", priority=True),
        Binding("escape", "back", S.KEYS["score.back"], id="score.back"),
    ]

    def __init__(self, submission_id: int):
        super().__init__()
        self.submission_id = submission_id
        self.data: dict | None = None
        self.saving = False

    def compose(self) -> ComposeResult:
        yield SectionBar(self.SECTION)
        yield VerticalScroll(Static(S.SCORE_LOADING, id="loading", markup=False), id="scroll")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.run_worker(self._load, thread=True, exit_on_error=False)

    def _load(self) -> None:
        try:
            data = load(self.app.station, self.submission_id, self.app.reviewer.name)
        except Exception as e:  # a failure becomes a dialog, never a crash
            self.app.call_from_thread(self.app.show_error, e)
        else:
            self.app.call_from_thread(self._show, data)

    async def _show(self, data: dict) -> None:
        built = self.data is not None and self.data["rubric"] is not None and data["rubric"] is not None
        self.data = data
        if built:  # after a save: the entries stay as typed, only the scores above them change
            self.query_one("#summary", Static).update(self._summary(data))
            return
        scroll = self.query_one("#scroll", VerticalScroll)
        await scroll.remove_children()
        widgets = [Static(plain(message(S.SCORE_TITLE.format(id=data["id"], title=data["title"])), "bold"))]
        rub = data["rubric"]
        if rub is None:
            widgets.append(
                Static(plain(message(S.SCORE_NO_RUBRIC.format(campaign=data["campaign"])), "yellow"), id="no-rubric")
            )
            await scroll.mount_all(widgets)
            return
        widgets.append(Static(self._summary(data), id="summary"))
        sheet = data["sheet"] or {"items": [], "veto": [], "comment": None}
        have = {x["name"]: x for x in sheet["items"]}
        rubric_line = S.SCORE_RUBRIC.format(total=scoring.fmt(rub.total), method=scoring.METHOD_ZH[data["method"]])
        if rub.grades:
            rubric_line += "  " + S.SCORE_GRADES.format(grades=" ".join(rub.grades))
        widgets.append(Static(plain(message(rubric_line), "bold")))
        width = max(cell_len(item_label(i)) for i in rub.items) + 2
        for n, item in enumerate(rub.items):
            old = have.get(item.name) or {}
            value = old.get("grade") or ("" if old.get("value") is None else scoring.fmt(old["value"]))
            widgets.append(
                Horizontal(
                    Static(plain(fit(item_label(item), min(width, LABEL_CELLS))), classes="label"),
                    Input(value, restrict=ENTRY, max_length=8, classes="score", id=f"item-{n}"),
                )
            )
        if rub.veto:
            veto = Text(S.SCORE_VETO_TITLE + "\n", style="bold")
            for n, (name, description) in enumerate(rub.veto, 1):
                veto.append(message(S.SCORE_VETO_LINE.format(n=n, name=name)))
                if description:
                    veto.append(message(S.SCORE_VETO_DESC.format(description=description)), style="dim")
                veto.append("\n")
            veto.rstrip()
            widgets.append(Static(veto))
            names = [v[0] for v in rub.veto]
            marked = " ".join(str(names.index(v) + 1) for v in sheet["veto"] if v in names)
            widgets.append(
                Horizontal(
                    Static(plain(S.SCORE_VETO_LABEL), classes="label"),
                    Input(marked, placeholder=S.SCORE_VETO_INPUT, restrict=r"[0-9 ]*", id="veto"),
                )
            )
        widgets.append(
            Horizontal(Static(plain(S.SCORE_COMMENT), classes="label"), Input(sheet["comment"] or "", id="comment"))
        )
        widgets.append(Static(id="live"))
        widgets.append(Static(S.SCORE_HINT, classes="hint", markup=False))
        await scroll.mount_all(widgets)
        self.show_live_total()
        self.call_after_refresh(self._focus_first)

    def live_total(self) -> tuple[float, int, int]:
        """(the total of what is typed now, items left empty, items not valid), counted as saving would."""
        rub = self.data["rubric"] if self.data else None
        total, empty, invalid = 0.0, 0, 0
        for n, item in enumerate(rub.items if rub else ()):
            text = self.query_one(f"#item-{n}", Input).value.strip()
            if not text:
                empty += 1
                continue
            try:
                value, _ = scoring.parse_value(rub, item, text)
            except StationError:
                invalid += 1
                continue
            total += item.counted(value)
        return total, empty, invalid

    def show_live_total(self) -> None:
        if not self.query("#live") or not self.data or self.data["rubric"] is None:
            return
        total, empty, invalid = self.live_total()
        text = S.SCORE_LIVE.format(
            total=scoring.fmt(scoring.round2(total)), full=scoring.fmt(self.data["rubric"].total)
        )
        if empty:
            text += S.SCORE_LIVE_EMPTY.format(n=empty)
        if invalid:
            text += S.SCORE_LIVE_INVALID.format(n=invalid)
        self.query_one("#live", Static).update(plain(message(text), "bold" if not (empty or invalid) else ""))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.has_class("score"):
            self.show_live_total()

    def _focus_first(self) -> None:
        first = self.query("#item-0")
        if first:
            first.first().focus()

    def _summary(self, data: dict) -> Text:
        out = Text()
        result = data["result"]
        if result and result["score"] is not None:
            out.append(S.SCORE_CURRENT.format(score=scoring.fmt(result["score"]), n=result["n"], rank=result["rank"]))
        else:
            out.append(S.SCORE_CURRENT_NONE)
        if result and result["vetoed"]:
            items = S.SCORE_LIST_SEP.join(sorted({v["item"] for v in result["vetoes"]}))
            out.append("\n" + message(S.SCORE_VETOED.format(items=items)), style="red bold")
        sheet, expert = data["sheet"], self.app.reviewer.name
        if sheet and sheet["complete"]:
            mine = S.SCORE_MINE.format(expert=expert, total=scoring.fmt(sheet["total"]))
        elif sheet and any(x["value"] is not None for x in sheet["items"]):
            mine = S.SCORE_MINE_PARTIAL.format(expert=expert)
        else:
            mine = S.SCORE_MINE_NONE.format(expert=expert)
        out.append("\n" + message(mine))
        if data["recused"]:
            out.append("\n" + message(S.SCORE_RECUSED.format(expert=expert, unit=data["recused"])), style="red bold")
        return out

    def external_change(self) -> None:
        """Another expert's scores (or this one's from another session): refresh the totals above."""
        if self.data is not None and self.data["rubric"] is not None:
            self.run_worker(self._load, thread=True, exit_on_error=False)

    # --- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_save(self) -> None:
        data = self.data
        if data is None or data["rubric"] is None or self.saving:
            return
        who = self.app.reviewer
        if who.read_only:
            self.app.show_error(StationError("reviewer.read_only", S.SCORE_READ_ONLY))
            return
        if not who.name:
            self.app.show_error(StationError("score.expert", S.SCORE_NO_EXPERT))
            return
        rub = data["rubric"]
        values = {item.name: self.query_one(f"#item-{n}", Input).value for n, item in enumerate(rub.items)}
        veto = self.query_one("#veto", Input).value if self.query("#veto") else ""
        comment = self.query_one("#comment", Input).value
        had = list((data["sheet"] or {}).get("veto", []))
        station, sid = self.app.station, self.submission_id
        self.saving = True
        self.app.write(
            self, lambda: save(station, sid, who.name, rub, values, veto, had, comment), ScoreSaved, ScoreRefused
        )

    def on_score_saved(self, message_: ScoreSaved) -> None:
        sheet = message_.sheet
        self.saving = False
        text = (
            S.SCORE_SAVED_TOTAL.format(id=self.submission_id, total=scoring.fmt(sheet["total"]))
            if sheet.get("total") is not None
            else S.SCORE_SAVED.format(id=self.submission_id)
        )
        self.notify(message(text), markup=False)
        self.run_worker(self._load, thread=True, exit_on_error=False)

    def on_score_refused(self, message_: ScoreRefused) -> None:
        self.saving = False
        self.app.show_error(message_.error)
