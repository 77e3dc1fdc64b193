"""Process-wide set-up, done explicitly and once: by the `station` command, the app, or a use case that needs it.

Nothing here runs at import time.
"""

from __future__ import annotations

import locale
import threading

_lock = threading.Lock()
_done = False


def process() -> None:
    """UTF-8 character handling for libarchive and the RAR tool for rarfile (idempotent, thread-safe)."""
    global _done
    with _lock:
        if _done:
            return
        # libarchive returns no name for non-ASCII entries under the C locale.
        try:
            locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
        except locale.Error:
            pass
        import rarfile

        rarfile.UNAR_TOOL = "unar"
        try:
            rarfile.tool_setup(unrar=False, unar=True, bsdtar=False, sevenzip=False, sevenzip2=False)
        except rarfile.RarCannotExec:
            pass  # unar is missing: extracting a RAR then fails as a finding, and `station doctor` says why
        _done = True
