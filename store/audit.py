"""The append-only, hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so
removing, reordering or editing any entry breaks the chain from there on.
Triggers refuse UPDATE and DELETE; `verify` finds what slipped past them. A chain whose newest entries
were deleted is still a valid chain, so the head is also anchored outside the database: after every write
transaction the newest entry's id and hash go to `audit-checkpoint.json` beside the database (never moved
backwards), and `verify` also cross-checks the state tables (submissions, decisions, scores, overrides,
exports) against the entries that must have recorded them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

GENESIS = "0" * 64


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _digest(prev_hash: str, at: str, actor: str, action: str, subject: str | None, detail: str) -> str:
    payload = json.dumps([prev_hash, at, actor, action, subject, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(db: sqlite_utils.Database, actor: str, action: str, subject: str | None = None, **detail) -> str:
    """Append one entry. Call inside the write transaction of the change it records."""
    if not db.conn.in_transaction:
        raise RuntimeError("audit.append must run inside a write transaction")
    row = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    at = now()
    body = json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = _digest(prev, at, actor, action, subject, body)
    db.execute(
        "INSERT INTO audit (at, actor, action, subject, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
        [at, actor, action, subject, body, prev, digest],
    )
    return digest


CHECKPOINT = "audit-checkpoint.json"


@dataclass
class Verdict:
    ok: bool
    entries: int
    broken_at: int | None = None
    reason: str | None = None
    problems: list[dict] = field(default_factory=list)  # {code, message}: tail, cross-check
    notes: list[str] = field(default_factory=list)  # what could not be checked


def checkpoint_path(db: sqlite_utils.Database) -> Path | None:
    """Where the chain's head is anchored: beside the database file (None for an in-memory database)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file).parent / CHECKPOINT
    return None


def read_checkpoint(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        return data if isinstance(data, dict) and isinstance(data.get("id"), int) else None
    except (OSError, ValueError):
        return None


def write_checkpoint(db: sqlite_utils.Database) -> None:
    """Anchor the current head outside the database (called after each committed write). The file only moves
    forward: a process with an older view never overwrites a newer head."""
    path = checkpoint_path(db)
    if path is None:
        return
    row = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return
    old = read_checkpoint(path)
    if old and old["id"] >= row[0]:
        return
    data = json.dumps({"id": row[0], "hash": row[1], "at": now()}).encode()
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{CHECKPOINT}.", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable station directory: verify notes the missing or stale anchor


def verify(db: sqlite_utils.Database) -> Verdict:
    prev = GENESIS
    count = 0
    last_id, by_id = 0, {}
    cp = read_checkpoint(checkpoint_path(db))
    seen = _Seen()
    for row in db.execute("SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY id"):
        entry_id, at, actor, action, subject, detail, prev_hash, digest = row
        count += 1
        if prev_hash != prev:
            return Verdict(False, count, entry_id, "prev_hash does not match the previous entry")
        if _digest(prev_hash, at, actor, action, subject, detail) != digest:
            return Verdict(False, count, entry_id, "entry was altered")
        prev = digest
        last_id = entry_id
        if cp and entry_id == cp["id"]:
            by_id[entry_id] = digest
        seen.add(action, subject, detail)
    verdict = Verdict(True, count)
    if cp is None:
        if count:
            verdict.notes.append(f"没有找到审计检查点文件 {CHECKPOINT}（旧版本建立的工作站在下一次写入后生成）")
    elif last_id < cp["id"]:
        verdict.problems.append(
            {
                "code": "audit.tail_missing",
                "message": f"审计日志末尾缺少 {cp['id'] - last_id} 条：库外检查点记录到第 {cp['id']} 条，"
                f"数据库只到第 {last_id} 条（末尾被删除，或数据库被换成了旧备份）",
            }
        )
    elif by_id.get(cp["id"]) != cp.get("hash"):
        verdict.problems.append(
            {
                "code": "audit.tail_replaced",
                "message": f"审计日志第 {cp['id']} 条与库外检查点记录的不同：该条之后的日志被删除后重写",
            }
        )
    sent = _sent_upto(db)
    if sent and sent[0] > last_id and not any(p["code"] == "audit.tail_missing" for p in verdict.problems):
        verdict.problems.append(
            {
                "code": "audit.tail_missing",
                "message": f"审计日志末尾缺少 {sent[0] - last_id} 条：第 {sent[1]} 号报送包签名的检查点已到第 {sent[0]} 条，"
                f"数据库只到第 {last_id} 条",
            }
        )
    verdict.problems += seen.cross_check(db)
    if verdict.problems:
        verdict.ok = False
        verdict.broken_at = verdict.broken_at or (min(cp["id"], last_id + 1) if cp else None)
        verdict.reason = "；".join(p["message"] for p in verdict.problems)
    return verdict


def _sent_upto(db: sqlite_utils.Database) -> tuple[int, int] | None:
    """(audit_upto, seq) of the bundle whose signed checkpoint reaches furthest into this station's log."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'exports'").fetchone():
        return None
    cols = {r[1] for r in db.execute("PRAGMA table_info(exports)")}
    if "audit_upto" not in cols:
        return None
    row = db.execute(
        "SELECT audit_upto, seq FROM exports WHERE audit_upto IS NOT NULL ORDER BY audit_upto DESC LIMIT 1"
    ).fetchone()
    return (row[0], row[1]) if row else None


class _Seen:
    """What the log recorded, enough to cross-check the state tables."""

    def __init__(self) -> None:
        self.subjects: set[str] = set()
        self.decision: dict[str, tuple[str | None, int]] = {}  # subject -> (latest new, made - undone)
        self.scores: dict[tuple[str, str, str], float | None] = {}  # (subject, expert, item) -> latest value
        self.overrides: dict[tuple[str, str], int] = defaultdict(int)
        self.bundles: set[str] = set()

    def add(self, action: str, subject: str | None, detail: str) -> None:
        if action in ("submission.imported", "submission.rejected", "submission.received"):
            self.subjects.add(subject or "")
            return
        if action not in ("decision.made", "decision.undone", "score.set", "rule.override", "bundle.exported"):
            return
        try:
            d = json.loads(detail)
        except ValueError:
            return
        key = subject or ""
        if action in ("decision.made", "decision.undone"):
            _, n = self.decision.get(key, (None, 0))
            self.decision[key] = (d.get("new"), n + (1 if action == "decision.made" else -1))
        elif action == "score.set":
            for item, v in (d.get("items") or {}).items():
                self.scores[(key, d.get("expert"), item)] = v.get("value") if isinstance(v, dict) else None
            for item in d.get("cleared") or []:
                self.scores.pop((key, d.get("expert"), item), None)
        elif action == "rule.override":
            self.overrides[(key, d.get("rule"))] += 1
        else:
            self.bundles.add(d.get("bundle_id"))

    def cross_check(self, db: sqlite_utils.Database) -> list[dict]:
        """Rows the log should have recorded but did not. A row is held against the log when the log records
        changes of its kind at all, or when the row is newer than the log's last entry (a deleted tail); rows a
        test or an older version put in without logging, before the last entry, stay out of it."""
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing: dict[str, list[str]] = defaultdict(list)
        last = db.execute("SELECT at FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        last_at = last[0] if last else ""

        def held(kind_logged: bool, at: str | None) -> bool:
            return kind_logged or (at or "") > last_at

        if "submissions" in tables:
            for sid, at in db.execute("SELECT id, imported_at FROM submissions ORDER BY id"):
                if f"submission:{sid}" not in self.subjects and held(bool(self.subjects), at):
                    missing["submissions"].append(f"#{sid}")
        if "decisions" in tables and "reviews" in tables:
            for sid, n, current, at in db.execute(
                "SELECT d.submission_id, COUNT(*), (SELECT decision FROM reviews r WHERE r.submission_id = d.submission_id), "
                "MAX(d.decided_at) FROM decisions d GROUP BY d.submission_id ORDER BY d.submission_id"
            ):
                logged = self.decision.get(f"submission:{sid}")
                wrong = logged is None or logged[1] != n or logged[0] != current
                if wrong and held(bool(self.decision), at):
                    missing["decisions"].append(f"#{sid}")
        if "scores" in tables:
            for sid, expert, item, value, at in db.execute(
                "SELECT submission_id, expert, item, value, at FROM scores ORDER BY submission_id, expert, item"
            ):
                k = (f"submission:{sid}", expert, item)
                score = self.scores.get(k)
                wrong = k not in self.scores or (score is not None and float(score) != float(value))
                if wrong and held(bool(self.scores), at):
                    missing["scores"].append(f"#{sid} {expert} {item}")
        if "rule_overrides" in tables:
            for sid, rule, n, at in db.execute(
                "SELECT submission_id, rule, COUNT(*), MAX(at) FROM rule_overrides GROUP BY submission_id, rule"
            ):
                if self.overrides.get((f"submission:{sid}", rule), 0) < n and held(bool(self.overrides), at):
                    missing["overrides"].append(f"#{sid} {rule}")
        if "exports" in tables:
            for bundle_id, at in db.execute(
                "SELECT bundle_id, created_at FROM exports WHERE bundle_id IS NOT NULL ORDER BY id"
            ):
                if bundle_id not in self.bundles and held(bool(self.bundles), at):
                    missing["exports"].append(bundle_id)
        zh = {
            "submissions": "作品",
            "decisions": "审核决定",
            "scores": "评分",
            "overrides": "特批",
            "exports": "报送包",
        }
        return [
            {
                "code": "audit.unrecorded",
                "message": f"{zh[t]}记录与审计日志不符（日志中缺少或不一致）：{'、'.join(items[:10])}"
                + (f" 等 {len(items)} 项" if len(items) > 10 else ""),
                "table": t,
            }
            for t, items in missing.items()
        ]


def entries(db: sqlite_utils.Database, subject: str | None = None) -> list[dict]:
    where, params = ("WHERE subject = ?", [subject]) if subject else ("", [])
    rows = db.query(f"SELECT id, at, actor, action, subject, detail FROM audit {where} ORDER BY id", params)
    return [dict(r, detail=json.loads(r["detail"])) for r in rows]
