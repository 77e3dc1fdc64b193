"""Running ffmpeg/ffprobe: time limits, progress from `-progress pipe:1`, cancellation.

Every child gets a wall-clock limit and a stall limit (no progress line for a while);
errors go to a file, never to a pipe that could fill up and block the child.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from workflows.errors import StationError

STALL_SECONDS = 120


class Cancelled(Exception):
    pass


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    out_time: float | None = None  # seconds of media the run got through (the decoded length)


def run(args: list[str], *, timeout: float, cwd: Path | None = None) -> Result:
    """Run a short child (ffprobe) to completion with a time limit."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return Result(
            -9, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace"), True
        )
    except FileNotFoundError as e:
        raise StationError("tool.missing", f"找不到程序 {args[0]}，请先运行 make setup 安装 ffmpeg") from e
    return Result(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def run_ffmpeg(
    args: list[str],
    *,
    duration: float,
    timeout: float,
    cwd: Path,
    progress: Callable[[float, float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Result:
    """Run ffmpeg with `-progress pipe:1`; progress(fraction 0..1, speed) per update.

    ARGS must not contain `ffmpeg` itself. Raises Cancelled when cancelled() turns true.
    """
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", *args]
    err_fd, err_path = tempfile.mkstemp(prefix="ffmpeg-", suffix=".log", dir=cwd)
    try:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_fd, stdin=subprocess.DEVNULL, cwd=cwd)
        except FileNotFoundError as e:
            raise StationError("tool.missing", "找不到程序 ffmpeg，请先运行 make setup 安装") from e
        last_line = [time.monotonic()]
        out_time: list[float] = []
        reader = threading.Thread(
            target=_read_progress, args=(proc, duration, progress, last_line, out_time), daemon=True
        )
        reader.start()
        started = time.monotonic()
        timed_out = False
        while proc.poll() is None:
            now = time.monotonic()
            if cancelled and cancelled():
                _kill(proc)
                raise Cancelled()
            if now - started > timeout or now - last_line[0] > STALL_SECONDS:
                _kill(proc)
                timed_out = True
                break
            time.sleep(0.05)
        reader.join(timeout=5)
        stderr = Path(err_path).read_text("utf-8", "replace")
        return Result(proc.returncode, "", stderr, timed_out, out_time[-1] if out_time else None)
    finally:
        os.close(err_fd)
        os.unlink(err_path)


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


def _read_progress(proc, duration, progress, last_line, out_time) -> None:
    speed = 0.0
    for raw in proc.stdout:
        last_line[0] = time.monotonic()
        line = raw.decode("utf-8", "replace").strip()
        key, _, value = line.partition("=")
        if key == "speed" and value.endswith("x"):
            try:
                speed = float(value[:-1])
            except ValueError:
                pass
        elif key == "out_time_us":
            try:
                seconds = int(value) / 1e6
            except ValueError:
                continue
            if seconds >= 0:
                out_time.append(seconds)
            if progress and duration > 0:
                progress(min(1.0, seconds / duration), speed)
        elif key == "progress" and value == "end" and progress:
            progress(1.0, speed)
