"""Loudness over time, drawn by hand with coloured cells so it reads at 80 columns.

One column per slice of the lesson, one row per 5 LU from -10 down to -60 LUFS (short-term loudness,
one value per second from the audio pass). In each column the solid part reaches the quietest second
of the slice and the light part its loudest, so 音量忽大忽小 shows as tall light columns; the target
band of the profile's audio.loudness rule is a coloured row band, silent gaps an `x` on the axis.
Only spaces, ASCII and CJK text: no ambiguous-width glyph (a CJK SSH profile would widen them).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui import strings as S
from tui.safe_text import safe
from tui.widgets.storyboard import clock

TOP, STEP, ROWS = -10.0, 5.0, 10  # rows cover [-60, -10) LUFS
LABEL = 5  # "-20 |" column


def _band_rows(target: float, tolerance: float) -> set[int]:
    low, high = target - tolerance, target + tolerance
    return {r for r in range(ROWS) if TOP - STEP * (r + 1) < high and TOP - STEP * r > low}


def _slices(series: list, duration: float, columns: int) -> list[tuple[float | None, float | None]]:
    """(quietest, loudest) short-term loudness per column; (None, None) for a column with no sound."""
    out = []
    length = max(duration, float(len(series)), 1.0)
    for c in range(columns):
        first = int(c * length / columns)
        last = max(first + 1, int((c + 1) * length / columns))
        values = [v for v in series[first:last] if v is not None]
        out.append((min(values), max(values)) if values else (None, None))
    return out


def _silent(silences, duration: float, columns: int) -> list[bool]:
    length = max(duration, 1.0)
    marks = []
    for c in range(columns):
        a, b = c * length / columns, (c + 1) * length / columns
        covered = sum(max(0.0, min(b, e) - max(a, s)) for s, e in silences)
        marks.append(covered >= (b - a) / 2)
    return marks


def chart(level, width: int) -> Text:
    """LEVEL (workflows.checks.pictures.Loudness) as a chart WIDTH cells wide."""
    columns = max(10, width - LABEL)
    slices = _slices(level.short_term, level.duration, columns)
    silent = _silent(level.silences, level.duration, columns)
    band = _band_rows(level.target, level.tolerance)
    out = Text()
    for r in range(ROWS):
        bottom = TOP - STEP * (r + 1)
        label = f"{int(TOP - STEP * r):>4}" if r % 2 == 0 else "    "
        out.append(label + " ", style="dim")
        for low, high in slices:
            if low is not None and low >= bottom:
                out.append(" ", style=_bar(low, level))
            elif high is not None and high >= bottom:
                out.append(" ", style="on grey50")
            elif r in band:
                out.append("-", style="green on #103010")
            else:
                out.append(" ")
        out.append("\n")
    out.append(" " * LABEL)
    for mark in silent:
        out.append("x" if mark else "-", style="red bold" if mark else "dim")
    out.append("\n")
    ticks = [" "] * columns
    for k in range(5):
        at = min(columns - 1, round(k * (columns - 1) / 4))
        text = clock(level.duration * k / 4)
        start = max(0, min(at - len(text) // 2, columns - len(text)))
        if all(ch == " " for ch in ticks[max(0, start - 1) : start + len(text) + 1]):
            ticks[start : start + len(text)] = list(text)
    out.append(" " * LABEL + "".join(ticks) + "\n", style="dim")
    return out


def _bar(value: float, level) -> str:
    if value > level.target + level.tolerance:
        return "on yellow"
    if value < level.target - level.tolerance:
        return "on blue"
    return "on green"


class LoudnessView(Static):
    """The loudness charts of the work's media files, with the target band and the silent gaps named."""

    DEFAULT_CSS = "LoudnessView { height: auto; }"

    def show(self, levels: list, width: int) -> None:
        self.display = bool(levels)
        out = Text()
        for level in levels:
            out.append("\n" + S.LOUDNESS_HEADING + "\n", style="bold underline")
            out.append("  " + safe(level.file_path) + "\n", style="dim")
            out.append_text(chart(level, width))
            integrated = S.LOUDNESS_NONE if level.integrated is None else f"{level.integrated:.1f}"
            out.append(
                "  "
                + S.LOUDNESS_LEGEND.format(
                    target=f"{level.target:g}", tolerance=f"{level.tolerance:g}", integrated=integrated
                )
                + "\n"
            )
            gaps = [S.LOUDNESS_GAP.format(start=clock(s), end=clock(e), seconds=e - s) for s, e in level.silences]
            shown = S.LOUDNESS_SEP.join(gaps[:4]) + (S.LOUDNESS_MORE.format(n=len(gaps) - 4) if len(gaps) > 4 else "")
            out.append("  " + (S.LOUDNESS_SILENCES.format(n=len(gaps), gaps=shown) if gaps else S.LOUDNESS_NO_GAPS))
            out.append("\n")
        self.update(out)
