"""The station's local store: SQLite (through sqlite-utils, imported on first use) and the content store."""

from store.db import connect, thread_conn, thread_db, write
from store.objects import ObjectStore

__all__ = ["connect", "thread_conn", "thread_db", "write", "ObjectStore"]
