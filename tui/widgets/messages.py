"""Named results the writer thread and the job workers post back to the screen that asked.

A screen handles each by name (`on_decision_written`, `on_decision_refused`, ...), instead of a message
that carries a callback: what can come back from a write is visible in one place.
"""

from __future__ import annotations

from textual.message import Message


class DecisionWritten(Message):
    """`workflows.review.decide` recorded the decision (OUTCOME) for IDS."""

    def __init__(self, ids: list[int], outcome, value: str, reason: str | None) -> None:
        super().__init__()
        self.ids, self.outcome, self.value, self.reason = ids, outcome, value, reason


class DecisionRefused(Message):
    """The decision for IDS was refused (ERROR: conflict, rule, veto, read-only, ...) and nothing changed."""

    def __init__(self, ids: list[int], error: Exception, value: str, reason: str | None) -> None:
        super().__init__()
        self.ids, self.error, self.value, self.reason = ids, error, value, reason


class Undone(Message):
    """The last decision of this session was taken back (OUTCOME), or there was none (None)."""

    def __init__(self, outcome) -> None:
        super().__init__()
        self.outcome = outcome


class UndoRefused(Message):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error


class NoteSaved(Message):
    def __init__(self, submission_id: int, text: str) -> None:
        super().__init__()
        self.submission_id, self.text = submission_id, text


class NoteRefused(Message):
    def __init__(self, submission_id: int, error: Exception) -> None:
        super().__init__()
        self.submission_id, self.error = submission_id, error


class JobProgress(Message):
    """Progress of the running job. A newer report replaces one still queued: no hand throttling."""

    def __init__(self, job: int, tick) -> None:
        super().__init__()
        self.job, self.tick = job, tick

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, JobProgress) and message.job == self.job


class ScoreSaved(Message):
    def __init__(self, sheet: dict) -> None:
        super().__init__()
        self.sheet = sheet


class ScoreRefused(Message):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
