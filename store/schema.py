"""Schema and forward migrations. Each migration runs once, in order, in one transaction."""
from __future__ import annotations

import sqlite3

import sqlite_utils

MIGRATIONS: list[str] = [
    # 1: the foundation
    """
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        profile TEXT NOT NULL,
        profile_version TEXT NOT NULL,
        year INTEGER,
        created_at TEXT NOT NULL
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        source_key TEXT NOT NULL,          -- where it came from: source root + path of the work
        version INTEGER NOT NULL DEFAULT 1,
        fingerprint TEXT NOT NULL,         -- sha256 over its (path, sha256) list
        title TEXT NOT NULL,
        project TEXT,                      -- category / 项目
        stage TEXT,                        -- 学段
        subject TEXT,                      -- 学科
        grade TEXT,                        -- 年级
        school TEXT,                       -- school / unit
        county TEXT,
        contact TEXT,
        node_code TEXT,                    -- 课程节点编号
        original TEXT,                     -- 是否原创
        layout TEXT,                       -- the layout rule that matched, or NULL
        meta TEXT NOT NULL DEFAULT '{}',   -- every value seen, by field and origin (form / folder)
        source TEXT NOT NULL,              -- the source as the user gave it (passwords removed)
        imported_at TEXT NOT NULL,
        status TEXT NOT NULL,              -- imported | rejected | superseded
        UNIQUE (campaign_id, source_key, version)
    );
    CREATE INDEX submissions_campaign ON submissions(campaign_id, status);
    CREATE TABLE authors (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        ord INTEGER NOT NULL,
        name TEXT NOT NULL,
        role TEXT,
        unit TEXT,
        PRIMARY KEY (submission_id, ord)
    );
    CREATE INDEX authors_name ON authors(name);
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        path TEXT NOT NULL,                -- relative to the work folder
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,                -- detected from content: video, audio, pdf, docx, ...
        role TEXT,                         -- 课程视频, 课件, 教学设计, ...
        listing TEXT,                      -- JSON listing of a nested archive
        UNIQUE (submission_id, path)
    );
    CREATE INDEX files_sha256 ON files(sha256);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        file_id INTEGER REFERENCES files(id),
        rule TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'skip')),
        measured TEXT,
        expected TEXT,
        message TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX findings_submission ON findings(submission_id, rule);
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        value TEXT NOT NULL CHECK (value IN ('recommend', 'reject', 'fix', 'pending')),
        reason TEXT,
        reviewer TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX decisions_submission ON decisions(submission_id, id);
    CREATE TABLE quotas (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        region TEXT,
        project TEXT,
        stage TEXT,
        subject TEXT,
        max INTEGER,
        min INTEGER,
        source TEXT
    );
    CREATE TABLE exports (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        recipient TEXT,
        path TEXT,
        sha256 TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE awards (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        title_key TEXT NOT NULL,
        first_author TEXT,
        unit TEXT,
        year INTEGER,
        level TEXT,
        source TEXT NOT NULL
    );
    CREATE INDEX awards_key ON awards(title_key);
    -- what was imported, so an unchanged source is skipped without reading it again
    CREATE TABLE imports (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        source_key TEXT NOT NULL,
        signature TEXT NOT NULL,           -- entry count, bytes and newest mtime
        imported_at TEXT NOT NULL,
        PRIMARY KEY (campaign_id, source_key)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """,
]

VERSION = len(MIGRATIONS)


def version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Bring DB forward to VERSION. Refuses a database newer than this program."""
    current = version(db)
    if current > VERSION:
        raise RuntimeError(f"database schema {current} is newer than this program ({VERSION})")
    if current == VERSION:
        return current
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = version(db)  # another process may have migrated while we waited
        for number in range(current + 1, VERSION + 1):
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return VERSION


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers hold inner semicolons)."""
    out, buf = [], ""
    for line in script.splitlines():
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line + "\n"
        if buf.strip() and sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
