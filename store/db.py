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
from typing import TYPE_CHECKING, Iterator

from store import audit, schema

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000
_local = threading.local()


def open_connection(path: str | Path, migrate: bool = True) -> sqlite3.Connection:
    """A plain sqlite3 connection to PATH, set up as every station connection is (and migrated)."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA recursive_triggers = on")  # as sqlite_utils.Database sets it on every connection
    if migrate:
        schema.migrate(conn)
    return conn


def connect(path: str | Path, migrate: bool = True) -> sqlite_utils.Database:
    import sqlite_utils  # imported on first use: with numpy installed it costs ~0.2 s, before the TUI's first frame

    return sqlite_utils.Database(open_connection(path, migrate))


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def thread_conn(path: str | Path) -> sqlite3.Connection:
    """The calling thread's own plain connection to PATH (SQLite objects are per thread): what read-only code
    that only runs SQL uses, so it does not need sqlite_utils (the TUI's first frame). `thread_db` wraps the
    same connection, so both see the same transaction."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    key = _key(path)
    if key not in conns:
        conns[key] = open_connection(path)
    return conns[key]


def thread_db(path: str | Path) -> sqlite_utils.Database:
    """The calling thread's own connection to PATH as a sqlite_utils.Database (SQLite objects are per thread)."""
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    key = _key(path)
    if key not in cache:
        import sqlite_utils

        cache[key] = sqlite_utils.Database(thread_conn(path))
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
