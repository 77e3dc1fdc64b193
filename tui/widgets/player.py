"""`o` in the detail view: the lesson in the desktop's own video player, never over SSH."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

from tui import strings as S

SSH_VARIABLES = ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")


def refusal(env: dict | None = None) -> str | None:
    """Why the video cannot be shown here, or None. A remote session (SSH, even with X forwarding: a lesson
    does not play over it) and a console without a graphical desktop cannot."""
    env = os.environ if env is None else env
    if any(env.get(k) for k in SSH_VARIABLES) or not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return S.PLAYER_NO_DISPLAY
    if shutil.which("xdg-open", path=env.get("PATH")) is None:
        return S.PLAYER_MISSING
    return None


def play(video: Path, name: str, env: dict | None = None) -> str:
    """Start the system player on VIDEO (shown as NAME) (an argument list, never a shell) and return the message to show."""
    env = dict(os.environ if env is None else env)
    reason = refusal(env)
    if reason:
        return reason
    try:
        proc = subprocess.Popen(
            [shutil.which("xdg-open", path=env.get("PATH")) or "xdg-open", str(video)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the player outlives neither Ctrl+C nor the TUI's terminal modes
            env=env,
        )
    except OSError as e:
        return S.PLAYER_FAILED.format(error=e.strerror or e)
    threading.Thread(target=proc.wait, daemon=True).start()  # reap it when it exits
    return S.PLAYER_STARTED.format(file=name)
