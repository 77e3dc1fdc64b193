"""Errors the user sees: a stable code for scripts and a Chinese message for people."""
from __future__ import annotations

EXIT_OK = 0
EXIT_REJECTED = 1   # some inputs were rejected (and reported)
EXIT_USAGE = 2      # usage or environment error


class StationError(Exception):
    """A usage or environment problem that stops the command (exit 2)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}
