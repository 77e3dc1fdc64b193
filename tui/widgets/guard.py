"""No action ends the app with a traceback: an error in a message handler or action becomes a dialog.

Textual stops a node's message loop when one of its handlers raises (and then the app exits with a
traceback). The app and every station screen dispatch through this guard instead; the app turns the error
into a dialog (`StationApp.unexpected_error`) and keeps running. Errors while composing or mounting still
reach Textual, which calls the app's fatal handler (a Chinese message and a non-zero exit).
"""

from __future__ import annotations

from textual import events
from textual._callback import invoke
from textual.message import Message

# A node that fails while it is being built cannot be shown: that is fatal, not a dialog.
FATAL_EVENTS = (events.Compose, events.Mount)


class Guarded:
    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except Exception as error:
            if isinstance(message, FATAL_EVENTS):
                raise
            self.app.unexpected_error(error)  # type: ignore[attr-defined]

    async def _flush_next_callbacks(self) -> None:
        # Textual's own version hands a failing callback (a dialog's result callback, `call_next`) to the
        # app's fatal handler; here it becomes a dialog like any other error.
        callbacks = self._next_callbacks.copy()  # type: ignore[attr-defined]
        self._next_callbacks.clear()  # type: ignore[attr-defined]
        for callback in callbacks:
            try:
                with self.prevent(*callback._prevent):  # type: ignore[attr-defined]
                    await invoke(callback.callback)
            except Exception as error:
                self.app.unexpected_error(error)  # type: ignore[attr-defined]
