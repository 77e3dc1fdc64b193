"""A station directory: the database and everything beside it."""

from __future__ import annotations

import getpass
import os
import sqlite3
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from store import ObjectStore, thread_conn, thread_db
from workflows.errors import StationError

DB_NAME = "station.db"


def actor() -> str:
    """Who is running this process (the OS user), for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def default_db() -> Path:
    env = os.environ.get("STATION_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("review-station")) / DB_NAME


@dataclass
class Limits:
    """Refusal thresholds for archives (config: [ingest] in config/station.toml)."""

    max_total_bytes: int = 64 * 2**30
    max_entries: int = 20_000
    max_ratio: int = 1_000  # expanded / compressed, for entries over 1 MiB


@dataclass
class Station:
    db_path: Path
    limits: Limits = field(default_factory=Limits)

    @property
    def root(self) -> Path:
        return self.db_path.parent

    @property
    def objects(self) -> ObjectStore:
        return ObjectStore(self.root / "objects")

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    def db(self):
        """This thread's connection (one per thread)."""
        return thread_db(self.db_path)

    def conn(self) -> sqlite3.Connection:
        """This thread's plain connection (the one `db()` wraps): for code that only runs SQL, without
        importing sqlite_utils (the TUI up to its first frame)."""
        return thread_conn(self.db_path)

    def data_version(self) -> int:
        """Changes whenever another connection commits (PRAGMA data_version): cheap polling for the TUI."""
        return self.conn().execute("PRAGMA data_version").fetchone()[0]

    @classmethod
    def open(cls, db_path: str | Path | None = None, create: bool = True) -> "Station":
        path = Path(db_path) if db_path else default_db()
        if not path.exists() and not create:
            raise StationError("station.missing", f"找不到工作站数据库：{path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for sub in ("objects", "spool", "config", "keys"):
                (path.parent / sub).mkdir(exist_ok=True)
        except OSError as e:
            raise StationError("station.unwritable", f"无法创建工作站目录 {path.parent}：{e.strerror}") from e
        station = cls(path.resolve())
        station.limits = station._read_limits()
        try:
            station.conn()
        except Exception as e:  # sqlite3.DatabaseError, newer schema
            raise StationError("station.database", f"无法打开数据库 {path}：{e}") from e
        return station

    def _read_limits(self) -> Limits:
        cfg = self.config_dir / "station.toml"
        if not cfg.exists():
            return Limits()
        try:
            data = tomllib.loads(cfg.read_text("utf-8")).get("ingest", {})
            return Limits(**{k: int(v) for k, v in data.items()})
        except (tomllib.TOMLDecodeError, TypeError, ValueError) as e:
            raise StationError("config.invalid", f"配置文件 {cfg} 有误：{e}") from e
