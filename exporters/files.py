"""Writing files so that a crash never leaves a half-written one under the final name."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in PATH durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Write DATA to PATH and fsync it (the caller decides about atomicity)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomic(path: Path, produce: Callable[[Path], None] | bytes, mode: int | None = None) -> None:
    """Create PATH complete or not at all: PRODUCE writes a temporary file beside it (or DATA is written there),
    which is fsynced, given MODE, and renamed over PATH; the directory is fsynced too."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # 0600
    tmp = Path(name)
    try:
        if isinstance(produce, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(produce)
        else:
            os.close(fd)
            produce(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
