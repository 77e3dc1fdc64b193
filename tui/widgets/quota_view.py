"""名额 as text: each campaign's quota entries and rule violations from workflows.quotas.status.

State is always a word and a colour (over red, missing yellow, ok green), never colour alone.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from tui import strings as S
from tui.widgets.cells import fit, message, wrap
from workflows import campaigns
from workflows.quotas import rules as quotas

ENTRY_STYLE = {"over": "red bold", "missing": "yellow", "ok": "green"}
VIOLATION_STYLE = {"open": "red bold", "overridden": "cyan", "soft": "yellow"}
_CONSOLE = Console(width=200, color_system=None)
LABEL_CELLS = 24
NUMBER_CELLS = 12


def quota_statuses(station) -> list[dict]:
    """workflows.quotas.status of every campaign that has a quota table or rules (runs on a worker thread)."""
    out = []
    for camp in campaigns.all_campaigns(station):
        status = quotas.status(station, camp["name"])
        if status["entries"] or status["rules"]:
            out.append(status)
    return out


def entry_state(entry: dict) -> tuple[str, str]:
    if entry["over"]:
        return "over", S.QUOTA_OVER.format(n=entry["over"])
    if entry["missing"]:
        return "missing", S.QUOTA_MISSING.format(n=entry["missing"])
    return "ok", S.QUOTA_OK


def violation_state(v: dict) -> str:
    if v["overridden"]:
        return "overridden"
    return "open" if v["hard"] else "soft"


def quota_text(statuses: list[dict], width: int = 78, targets: list | None = None, selected: int | None = None) -> Text:
    """The 名额 screen. TARGETS, when given, receives (line, lines, ("quota", campaign, key)) for each entry row
    (what Enter opens); the entry row number SELECTED is shown highlighted."""
    out = Text()
    if not statuses:
        out.append(S.OVERVIEW_NO_QUOTAS)
        return out
    label_cells = max(8, min(LABEL_CELLS, width - 3 * NUMBER_CELLS))
    for status in statuses:
        out.append(
            message(S.QUOTA_CAMPAIGN.format(campaign=status["campaign"], n=status["recommended"])) + "\n",
            style="bold underline",
        )
        if status["exempt"]:
            out.append("  " + S.QUOTA_EXEMPT.format(n=status["exempt"]) + "\n")
        if status.get("no_county"):
            for piece in wrap(S.QUOTA_NO_COUNTY.format(n=status["no_county"]), max(20, width - 2), 4):
                out.append("  " + piece + "\n", style="yellow")
        if status["entries"]:
            out.append(
                "  "
                + fit(S.QUOTA_COL_LABEL, label_cells)
                + fit(S.QUOTA_COL_USED, NUMBER_CELLS)
                + fit(S.QUOTA_COL_MIN, NUMBER_CELLS)
                + S.QUOTA_COL_STATE
                + "\n",
                style="bold",
            )
        for e in status["entries"]:
            state, word = entry_state(e)
            used = S.QUOTA_USED.format(used=e["used"], max=S.QUOTA_NONE if e["max"] is None else e["max"])
            minimum = S.QUOTA_NONE if e["min"] is None else str(e["min"])
            highlight = ""
            if targets is not None:
                key = {k: e[k] for k in quotas.KEY_FIELDS if e.get(k)}
                targets.append((out.plain.count("\n"), 1, ("quota", status["campaign"], key)))
                highlight = "reverse" if selected == len(targets) - 1 else ""
            out.append("  ")
            out.append(
                fit(message(e["label"]), label_cells) + fit(used, NUMBER_CELLS) + fit(minimum, NUMBER_CELLS),
                style=highlight,
            )
            out.append(word + "\n", style=ENTRY_STYLE[state])
        out.append("  " + S.QUOTA_RULES + "\n", style="bold")
        if not status["violations"]:
            out.append("    " + S.QUOTA_RULES_OK + "\n", style="green")
        for v in status["violations"]:
            state = violation_state(v)
            line = Text(S.QUOTA_VIOLATION_STATE[state], style=VIOLATION_STYLE[state])
            line.append(
                " "
                + message(S.QUOTA_VIOLATION.format(rule=quotas.RULE_ZH.get(v["rule"], v["rule"]), message=v["message"]))
            )
            for part in line.wrap(_CONSOLE, max(20, width - 6)):  # continuation lines keep the indent
                out.append("    ")
                out.append_text(part)
                out.append("\n")
        out.append("\n")
    out.rstrip()
    return out


def quota_summary(statuses: list[dict]) -> list[str]:
    """One line per campaign for 总览."""
    lines = []
    for status in statuses:
        states = [entry_state(e)[0] for e in status["entries"]]
        kinds = [violation_state(v) for v in status["violations"]]
        lines.append(
            S.QUOTA_SUMMARY.format(
                campaign=status["campaign"],
                entries=len(states),
                over=states.count("over"),
                missing=states.count("missing"),
                open=kinds.count("open"),
                overridden=kinds.count("overridden"),
                soft=kinds.count("soft"),
            )
        )
    return lines
