"""The content store: files kept once by SHA-256 under objects/ab/cdef...

Bytes are hashed in the same pass that writes them; a file lands under its
name only when complete (write to tmp/, fsync, rename), so a crash leaves at
most an orphan in tmp/, never a wrong object.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


class TooLarge(Exception):
    """More bytes arrived than the caller allowed (a lying archive header)."""


class ObjectStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def clean_tmp(self) -> list[Path]:
        """Remove the partial files of writers whose process is gone (a killed import); live ones stay."""
        removed: list[Path] = []
        if not self.tmp.is_dir():
            return removed
        for p in self.tmp.glob("in-*"):
            pid = p.name.split("-")[1] if p.name.count("-") >= 2 else ""
            if pid.isdigit() and not _alive(int(pid)) and not p.is_symlink():
                p.unlink(missing_ok=True)
                removed.append(p)
        return removed

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def writer(self, limit: int | None = None) -> "ObjectWriter":
        self.tmp.mkdir(parents=True, exist_ok=True)
        return ObjectWriter(self, limit)

    def put_stream(self, stream: BinaryIO, limit: int | None = None, on_bytes=None) -> tuple[str, int, bytes]:
        """Copy STREAM in; return (sha256, size, first bytes)."""
        with self.writer(limit) as w:
            while chunk := stream.read(CHUNK):
                w.write(chunk)
                if on_bytes:
                    on_bytes(len(chunk))
            w.commit()
        return w.sha256, w.size, w.head

    def put_file(self, path: str | Path, on_bytes=None) -> tuple[str, int, bytes]:
        with open(path, "rb", buffering=0) as f:
            return self.put_stream(f, on_bytes=on_bytes)


class ObjectWriter:
    HEAD = 64

    def __init__(self, store: ObjectStore, limit: int | None):
        self.store = store
        self.limit = limit
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = b""
        fd, name = tempfile.mkstemp(dir=store.tmp, prefix=f"in-{os.getpid()}-")
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._tmp = Path(name)
        self.sha256: str | None = None

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise TooLarge(self.size)
        if len(self.head) < self.HEAD:
            self.head += bytes(data[: self.HEAD - len(self.head)])
        self.hash.update(data)
        self._file.write(data)
        return len(data)

    def commit(self) -> str:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.sha256 = self.hash.hexdigest()
        final = self.store.path(self.sha256)
        if final.exists():
            self._tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self._tmp, 0o444)
            os.replace(self._tmp, final)
        return self.sha256

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        if self.sha256 is None and self._tmp.exists():
            self._tmp.unlink()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.abort()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
