"""The worker pool: payload bytes are read once, hashed and encrypted (or decrypted) in the same pass,
one file per worker process (the AEAD calls hold the GIL), with shared progress and a stop flag."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import io
import multiprocessing
import os
from dataclasses import dataclass
from typing import Callable

from exporters import age
from exporters.bundle.format import BLOCK, Source, SourceChanged, age_error_zh


class Aborted(Exception):
    """Another file failed: this worker stops instead of finishing a file nobody will use."""


_shared = None  # (bytes done, stop flag), shared with the parent process
_inline = None  # progress callback when running in the parent process


def _init_worker(counter, stop) -> None:
    global _shared
    _shared = (counter, stop)


def _tick(n: int) -> None:
    if _shared is not None:
        counter, stop = _shared
        if stop.value:
            raise Aborted()
        with counter.get_lock():
            counter.value += n
    elif _inline is not None:
        _inline(n)


class HashingWriter:
    def __init__(self, f):
        self.f, self.hash, self.size = f, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.f.write(data)


class HashingReader(io.RawIOBase):
    def __init__(self, f):
        super().__init__()
        self.f, self.hash, self.size = f, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.f.readinto(b)
        if n:
            self.hash.update(memoryview(b)[:n])
            self.size += n
        return n or 0


@dataclass
class EncTask:
    source: Source
    dests: list[str]
    part_size: int
    recipients: list[bytes]


def encrypt_task(t: EncTask) -> tuple[str, int, list[tuple[str, int]]]:
    recipients = [age.Recipient(r) for r in t.recipients]
    plain = hashlib.sha256()
    size = 0
    parts = []
    with open(t.source.file, "rb", buffering=0) as f:
        for dest in t.dests:
            with open(dest, "wb", buffering=0) as raw:
                out = HashingWriter(raw)
                enc = age.Encryptor(out, recipients)  # type: ignore[arg-type]  # a file-like writer
                remaining = t.part_size
                while remaining > 0:
                    data = f.read(min(BLOCK, remaining))
                    if not data:
                        break
                    plain.update(data)
                    enc.write(data)
                    remaining -= len(data)
                    size += len(data)
                    _tick(len(data))
                enc.close()
                os.fsync(raw.fileno())
            parts.append((out.hash.hexdigest(), out.size))
        extra = f.read(1)
    digest = plain.hexdigest()
    if extra or (t.source.sha256 and digest != t.source.sha256) or size != t.source.size:
        raise SourceChanged(t.source.label or t.source.path, t.source.sha256 or "", digest)
    return digest, size, parts


@dataclass
class DecTask:
    path: str  # inner path
    objects: list[tuple[str, str]]  # (object file, expected ciphertext sha256)
    dest: str
    identity: bytes


@dataclass
class DecResult:
    path: str
    sha256: str
    size: int
    damaged: list[tuple[str, str]]  # (object name, what is wrong)


def decrypt_task(t: DecTask) -> DecResult:
    identity = age.Identity(t.identity)
    damaged = []
    with open(t.dest, "wb", buffering=0) as raw:
        out = HashingWriter(raw)
        for obj, expected in t.objects:
            name = "data/" + os.path.basename(obj)
            try:
                f = open(obj, "rb", buffering=0)
            except OSError as e:
                damaged.append((name, f"无法读取：{e.strerror}"))
                continue
            with f:
                hr = HashingReader(f)
                src = io.BufferedReader(hr, BLOCK)
                before = out.size
                try:
                    age.decrypt(src, _Ticking(out), [identity])  # type: ignore[arg-type]  # a file-like writer
                    error = None
                except age.AgeError as e:
                    error = age_error_zh(e)
                while src.read(BLOCK):
                    pass
                _tick(hr.size - (out.size - before))
            if hr.hash.hexdigest() != expected:
                damaged.append((name, "SHA-256 与外层清单不符"))
            elif error:
                damaged.append((name, error))
        os.fsync(raw.fileno())
    return DecResult(t.path, out.hash.hexdigest(), out.size, damaged)


class _Ticking:
    def __init__(self, out):
        self.out = out

    def write(self, data) -> int:
        _tick(len(data))
        return self.out.write(data)


Progress = Callable[[int, int, int, int], None]  # bytes done, bytes total, files done, files total


def run_tasks(fn, tasks: list, workers: int, total: int, progress: Progress | None) -> list:
    """Run FN over TASKS in worker processes (or inline when WORKERS is 0), reporting bytes and files done."""
    global _inline
    if not tasks:
        return []
    report = progress or (lambda *a: None)
    if workers <= 0:
        done = [0, 0]

        def tick(n: int) -> None:
            done[0] += n
            if done[0] - done[1] >= 8 * BLOCK:
                done[1] = done[0]
                report(done[0], total, files, len(tasks))

        _inline, files, out = tick, 0, []
        try:
            for t in tasks:
                out.append(fn(t))
                files += 1
                report(done[0], total, files, len(tasks))
            return out
        finally:
            _inline = None
    ctx = multiprocessing.get_context("spawn")
    counter, stop = ctx.Value("q", 0), ctx.Value("b", 0)
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(counter, stop)
    ) as pool:
        # largest first, so one big video does not start last and run alone
        order: list[int] = sorted(range(len(tasks)), key=lambda i: -_task_size(tasks[i]))
        by_index = {i: pool.submit(fn, tasks[i]) for i in order}
        futures = [by_index[i] for i in range(len(tasks))]
        try:
            pending = set(futures)
            while pending:
                finished, pending = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_EXCEPTION)
                report(counter.value, total, len(futures) - len(pending), len(tasks))
                for fut in finished:
                    error = fut.exception()
                    if error is not None:
                        raise error
            return [f.result() for f in futures]
        except BaseException:
            stop.value = 1
            for fut in futures:
                fut.cancel()
            raise


def _task_size(task) -> int:
    if isinstance(task, EncTask):
        return task.source.size
    return sum(os.path.getsize(o) for o, _ in task.objects if os.path.exists(o))


def default_workers(total_bytes: int, files: int) -> int:
    if total_bytes < 64 * 2**20 or files < 2:
        return 0
    return max(1, min(os.cpu_count() or 1, 4, files))
