"""Schema and forward migrations. Each migration runs once, in order, in one transaction."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    # 2: reviewing: current decision per submission (rev for optimistic concurrency), reviewers with
    # their unit (回避), notes, and trigram full-text search over title, people and school
    """
    CREATE TABLE reviews (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
        decision TEXT CHECK (decision IN ('recommend', 'reject', 'fix', 'pending')),
        reason TEXT,
        reviewer TEXT,
        decided_at TEXT,
        rev INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX reviews_decision ON reviews(decision);
    INSERT INTO reviews (submission_id, decision, reason, reviewer, decided_at, rev)
        SELECT d.submission_id, d.value, d.reason, d.reviewer, d.decided_at, 1 FROM decisions d
        WHERE d.id = (SELECT MAX(id) FROM decisions x WHERE x.submission_id = d.submission_id);
    CREATE TABLE reviewers (
        name TEXT PRIMARY KEY,
        unit TEXT,
        read_only INTEGER NOT NULL DEFAULT 0,
        anonymous INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE notes (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
        text TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX submissions_title ON submissions(title);
    CREATE INDEX submissions_school ON submissions(school);
    CREATE VIRTUAL TABLE search USING fts5(title, people, school, tokenize = 'trigram');
    INSERT INTO search (rowid, title, people, school)
        SELECT s.id, s.title, COALESCE((SELECT group_concat(name, ' ') FROM authors a WHERE a.submission_id = s.id), ''),
               COALESCE(s.school, '') FROM submissions s;
    CREATE TRIGGER search_submission_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO search (rowid, title, people, school) VALUES (new.id, new.title, '', COALESCE(new.school, ''));
    END;
    CREATE TRIGGER search_submission_update AFTER UPDATE OF title, school ON submissions BEGIN
        UPDATE search SET title = new.title, school = COALESCE(new.school, '') WHERE rowid = new.id;
    END;
    CREATE TRIGGER search_submission_delete AFTER DELETE ON submissions BEGIN
        DELETE FROM search WHERE rowid = old.id;
    END;
    CREATE TRIGGER search_author_insert AFTER INSERT ON authors BEGIN
        UPDATE search SET people = (SELECT group_concat(name, ' ') FROM authors WHERE submission_id = new.submission_id)
        WHERE rowid = new.submission_id;
    END;
    CREATE TRIGGER search_author_update AFTER UPDATE OF name ON authors BEGIN
        UPDATE search SET people = (SELECT group_concat(name, ' ') FROM authors WHERE submission_id = new.submission_id)
        WHERE rowid = new.submission_id;
    END;
    CREATE TRIGGER search_author_delete AFTER DELETE ON authors BEGIN
        UPDATE search SET people = COALESCE((SELECT group_concat(name, ' ') FROM authors WHERE submission_id = old.submission_id), '')
        WHERE rowid = old.submission_id;
    END;
    """,
    # 3: bundles: trusted stations' keys, bundles sent (columns on exports) and received, and the
    # decisions a sender made on the works it sent (kept as the sender's, apart from ours)
    """
    CREATE TABLE trusted_keys (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        name TEXT,
        role TEXT NOT NULL CHECK (role IN ('sender', 'recipient')),
        sign_key TEXT NOT NULL,            -- ssh-ed25519 AAAA...
        sign_fpr TEXT NOT NULL,
        age_recipient TEXT NOT NULL,       -- age1...
        age_fpr TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT,
        revoked_at TEXT,
        revoked_reason TEXT
    );
    CREATE INDEX trusted_keys_code ON trusted_keys(code, role);
    ALTER TABLE exports ADD COLUMN bundle_id TEXT;
    ALTER TABLE exports ADD COLUMN seq INTEGER;
    ALTER TABLE exports ADD COLUMN prev TEXT;
    ALTER TABLE exports ADD COLUMN audit_upto INTEGER;
    ALTER TABLE exports ADD COLUMN submissions INTEGER;
    ALTER TABLE exports ADD COLUMN bytes INTEGER;
    CREATE UNIQUE INDEX exports_bundle ON exports(bundle_id);
    CREATE TABLE received_bundles (
        id INTEGER PRIMARY KEY,
        bundle_id TEXT NOT NULL,
        sender TEXT NOT NULL,              -- station code
        seq INTEGER NOT NULL,
        prev TEXT NOT NULL,
        tagmanifest_sha256 TEXT NOT NULL,  -- outer tag manifest: the next bundle's Bundle-Prev
        campaign_id INTEGER REFERENCES campaigns(id),
        inner_tags TEXT,                   -- sha256 of the inner bag's tag files (tar) in the content store
        audit_head TEXT,                   -- the sender's audit checkpoint
        submissions INTEGER,
        bytes INTEGER,
        override_reason TEXT,
        received_at TEXT NOT NULL
    );
    CREATE INDEX received_bundles_sender ON received_bundles(sender, seq);
    CREATE TABLE sender_decisions (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        sender TEXT NOT NULL,
        bundle_id TEXT NOT NULL,
        value TEXT NOT NULL,
        reason TEXT,
        reviewer TEXT NOT NULL,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX sender_decisions_submission ON sender_decisions(submission_id, id);
    """,
    # 4: checks: cached measurements by file hash and tier; findings say where they come from
    """
    CREATE TABLE measurements (
        sha256 TEXT NOT NULL,
        tier TEXT NOT NULL,                -- M metadata, P packets, A audio, V deep decode, T title card
        version INTEGER NOT NULL,          -- the measuring code's version for that tier
        data TEXT NOT NULL,
        measured_at TEXT NOT NULL,
        PRIMARY KEY (sha256, tier)
    );
    ALTER TABLE findings ADD COLUMN source TEXT NOT NULL DEFAULT 'ingest';   -- ingest | check
    ALTER TABLE findings ADD COLUMN profile TEXT;                            -- profile id@version
    ALTER TABLE findings ADD COLUMN clause TEXT;
    ALTER TABLE findings ADD COLUMN fix TEXT;                                -- ffmpeg command for a compliant copy
    ALTER TABLE campaigns ADD COLUMN checked_with TEXT;
    """,
    # 5: quotas: per-campaign recommendation rules, works that do not consume quota, admins' overrides
    """
    ALTER TABLE quotas ADD COLUMN cell TEXT;           -- where in the city's table the entry was read
    CREATE INDEX quotas_campaign ON quotas(campaign_id);
    CREATE TABLE campaign_rules (
        campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
        data TEXT NOT NULL,                            -- JSON: the admin's edits over the profile's [recommend]
        updated_at TEXT NOT NULL
    );
    CREATE TABLE quota_exceptions (
        submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
        reason TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE rule_overrides (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        rule TEXT NOT NULL,
        reason TEXT NOT NULL,
        actor TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX rule_overrides_submission ON rule_overrides(submission_id, rule);
    """,
    # 6: scoring: experts' item scores (experts and their units for 回避 are the `reviewers` table),
    # which expert scores which work, and the campaign's aggregation method
    """
    CREATE TABLE scores (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        expert TEXT NOT NULL,
        item TEXT NOT NULL,                -- a rubric item, or a veto item (value 1 = vetoed)
        value REAL NOT NULL,               -- points counted for the item
        grade TEXT,                        -- A-E when entered as a grade
        comment TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (submission_id, expert, item)
    );
    CREATE TABLE score_assignments (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        expert TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (submission_id, expert)
    );
    CREATE TABLE scoring_settings (
        campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
        aggregation TEXT NOT NULL CHECK (aggregation IN ('mean', 'trimmed', 'median')),
        updated_at TEXT NOT NULL
    );
    """,
    # 7: awards lists name the activity (活动名称): 信息化交流 excludes this activity's past winners at any level
    """
    ALTER TABLE awards ADD COLUMN activity TEXT;
    """,
    # 8: deadlines: the admin's edits over the profile's [deadlines] (JSON name -> spec, or null = removed)
    """
    CREATE TABLE campaign_deadlines (
        campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
        data TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 9: the county a work counts against (workflows.ingest.county): where the value came from, the station's own
    # county; derived values are backfilled from the school name and a one-region quota table. `settings` holds
    # small per-station values (the station's county, the campaign last chosen on each jobs screen).
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    ALTER TABLE submissions ADD COLUMN county_source TEXT;  -- form | folder | school | station | quota; NULL: bundle/none
    UPDATE submissions SET county_source = 'school', county = (
        SELECT q.region FROM quotas q WHERE q.campaign_id = submissions.campaign_id AND q.region IS NOT NULL
        AND q.region != '' AND instr(submissions.school, q.region) > 0 ORDER BY length(q.region) DESC LIMIT 1)
    WHERE status != 'superseded' AND (county IS NULL OR county = '') AND EXISTS (
        SELECT 1 FROM quotas q WHERE q.campaign_id = submissions.campaign_id AND q.region IS NOT NULL
        AND q.region != '' AND instr(submissions.school, q.region) > 0);
    UPDATE submissions SET county_source = 'quota', county = (
        SELECT MIN(q.region) FROM quotas q WHERE q.campaign_id = submissions.campaign_id AND q.region != '')
    WHERE status != 'superseded' AND (county IS NULL OR county = '') AND (
        SELECT COUNT(DISTINCT q.region) FROM quotas q WHERE q.campaign_id = submissions.campaign_id
        AND q.region IS NOT NULL AND q.region != '') = 1;
    """,
    # 10: the TUI's job log, kept across sessions with dates
    """
    CREATE TABLE job_log (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        campaign TEXT,
        reviewer TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
        summary TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL,
        finished_at TEXT
    );
    """,
]

VERSION = len(MIGRATIONS)


def version(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Bring DB (a sqlite_utils.Database or a plain connection) forward to VERSION. Refuses a database newer
    than this program."""
    current = version(db)
    if current > VERSION:
        raise RuntimeError(f"database schema {current} is newer than this program ({VERSION})")
    if current == VERSION:
        return current
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
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
