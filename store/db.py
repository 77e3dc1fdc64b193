"""Connections and transactions.

One connection per thread; WAL; every write transaction starts with
BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of
failing at commit time.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

import sqlite_utils

from store import schema

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
        conn.execute("COMMIT")
