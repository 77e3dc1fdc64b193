"""Connections and transactions.

One connection per thread; WAL; every write transaction starts with
BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of
failing at commit time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

import sqlite_utils

from store import audit, schema

BUSY_TIMEOUT_MS = 30_000
_local = threading.local()


def connect(path: str | Path, migrate: bool = True) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if migrate:
        schema.migrate(db)
    return db


def thread_db(path: str | Path) -> sqlite_utils.Database:
    """The calling thread's own connection to PATH (SQLite objects are per thread)."""
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    key = str(Path(path).resolve())
    if key not in cache:
        cache[key] = connect(path)
    return cache[key]


@contextlib.contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One unit of work: all of it is committed, or none of it."""
    conn = db.conn
    if conn.in_transaction:
        raise RuntimeError("nested write transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        if KILL_AT in os.environ:
            _test_hook(db, "before")
        conn.execute("COMMIT")
        audit.write_checkpoint(db)
        if KILL_AT in os.environ or COUNT_TO in os.environ:
            _test_hook(db, "after")


# Test-only fault injection (tests/test_interrupts.py). STATION_TEST_KILL_AT="N:before" or "N:after" makes the
# process SIGKILL itself just before or just after the COMMIT of its Nth write transaction; STATION_TEST_WRITES=FILE
# appends one line per committed write, so a test can count a clean run's writes and choose kill points. Normal runs
# pay one environment lookup per write and nothing else.
KILL_AT = "STATION_TEST_KILL_AT"
COUNT_TO = "STATION_TEST_WRITES"
_writes = [0]


def _test_hook(db: sqlite_utils.Database, phase: str) -> None:
    if phase == "after":
        _writes[0] += 1
        if COUNT_TO in os.environ:
            with open(os.environ[COUNT_TO], "a") as f:
                f.write(f"{_writes[0]}\n")
    n, _, when = os.environ.get(KILL_AT, "").partition(":")
    if n.isdigit() and (when or "after") == phase and int(n) == _writes[0] + (1 if phase == "before" else 0):
        os.kill(os.getpid(), signal.SIGKILL)
