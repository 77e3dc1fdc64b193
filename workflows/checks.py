"""`station check`: measure media files in tiers, cache by file hash, evaluate the profile's rules.

Measurements are facts about bytes (table `measurements`, keyed by sha256 and tier), so a
file is never decoded twice and editing a profile re-evaluates without measuring again.
Findings are opinions of a profile about a work: they are replaced on every run.
"""
from __future__ import annotations

import fnmatch
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from store import audit, write

from . import analyse, campaigns, ffrun, fixes, forms, probe, profiles, roles
from .errors import StationError
from .rules import REGISTRY, Finding, Result, base_id

# Bump a tier's version when its measuring code changes: cached results of older versions are redone.
TIER_VERSION = {"M": 1, "P": 1, "A": 3, "V": 3, "T": 1}
DEFAULT_TIERS = ("M", "P", "T")
DEEP_TIERS = ("M", "P", "T", "V")
SKIPPED = {"skipped": "not applicable"}  # a tier that does not apply to a file (no video, not media)
SKIPPED_JSON = probe.dumps(SKIPPED)
COST_WEIGHT = {"M": 0.02, "P": 0.2, "T": 1.5, "A": 0.07, "V": 1.0}  # seconds per file (M, P, T) or per media second


@dataclass
class FileFacts:
    id: int
    path: str
    kind: str
    role: str | None
    size: int
    sha256: str
    measured: dict = field(default_factory=dict)  # tier -> data
    is_last_media: bool = False

    @property
    def media_class(self) -> str:
        e = roles.ext(self.path)
        if self.kind == "audio" or (self.kind != "video" and e in roles.AUDIO_EXT):
            return "audio"
        return "video"

    @property
    def m(self):
        return self.measured.get("M")

    @property
    def p(self):
        return self.measured.get("P")

    @property
    def v(self):
        return self.measured.get("V")

    @property
    def t(self):
        return self.measured.get("T")

    @property
    def a(self):
        return self.measured.get("A")

    def has(self, needs) -> bool:
        return all(t in self.measured or (t == "A" and self.v and "audio" in self.v) for t in needs)

    def stream(self, kind: str) -> dict | None:
        return next((s for s in (self.p or {}).get("streams", []) if s["type"] == kind), None)

    def playable(self) -> bool:
        return bool(self.m and (self.m["video"] or self.m["audio"]))


@dataclass
class WorkFacts:
    submission: dict
    authors: list[dict]
    files: list[FileFacts]
    profile: profiles.Profile
    objects: object
    _sheet: dict | None = None
    _sheet_read: bool = False

    @property
    def media(self) -> list[FileFacts]:
        return [f for f in self.files if is_media(f.path, f.kind)]

    def stage_keys(self) -> list[str]:
        stage = self.submission["stage"] or ""
        keys = [k for k in ("小学", "初中", "高中") if k in stage]
        if keys and keys[0] in ("初中", "高中"):
            keys.append("中学")
        return keys

    def total_duration(self) -> float:
        return sum((f.m["general"].get("duration") or 0) for f in self.media if f.m)

    def required_components(self) -> list[str]:
        comps = self.profile.components
        return comps.get("projects", {}).get(self.submission["project"] or "", comps.get("required", []))

    def metadata_sheet(self) -> dict | None:
        if not self._sheet_read:
            self._sheet_read = True
            sheet = next((f for f in self.files if f.role == "元数据" and f.kind in ("xlsx", "docx")), None)
            if sheet:
                try:
                    self._sheet = forms.pairs(self.objects.path(sheet.sha256), sheet.kind)
                except forms.FormError:
                    self._sheet = None
        return self._sheet


def is_media(path: str, kind: str) -> bool:
    return kind in ("video", "audio") or roles.ext(path) in roles.VIDEO_EXT | roles.AUDIO_EXT


@dataclass
class Summary:
    submissions: int = 0
    files: int = 0
    measured: dict = field(default_factory=dict)  # tier -> files measured this run
    cached: int = 0
    findings: dict = field(default_factory=dict)  # status -> count
    cancelled: bool = False
    ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


ProgressFn = Callable[[dict], None]


def run(station, ids: list[int] | None = None, campaign: str | None = None, *, deep: bool = False,
        tiers: tuple[str, ...] | None = None, jobs: int | None = None, rule: str | None = None,
        progress: ProgressFn | None = None, cancelled: Callable[[], bool] | None = None) -> Summary:
    db = station.db()
    works = _works(station, db, ids, campaign)
    tiers = tiers or (DEEP_TIERS if deep else DEFAULT_TIERS)
    summary = Summary(submissions=len(works))
    tasks = _plan(db, works, tiers, summary)
    _measure(station, tasks, jobs or os.cpu_count() or 1, summary, progress, cancelled)
    for w in works:
        _load_measurements(db, w)
        findings = evaluate(w, rule)
        _store(station, w, findings, rule)
        for f in findings:
            summary.findings[f.status] = summary.findings.get(f.status, 0) + 1
        summary.ids.append(w.submission["id"])
    for campaign_id in {w.submission["campaign_id"] for w in works}:
        profile = next(w.profile for w in works if w.submission["campaign_id"] == campaign_id)
        with write(db):
            db.execute("UPDATE campaigns SET checked_with = ? WHERE id = ?", [f"{profile.id}@{profile.version}", campaign_id])
    return summary


# --- what to check ------------------------------------------------------------------------

def _works(station, db, ids, campaign) -> list[WorkFacts]:
    where, params = ["s.status = 'imported'"], []
    if ids:
        where.append(f"s.id IN ({','.join('?' * len(ids))})")
        params += ids
        found = {r[0] for r in db.execute(f"SELECT id FROM submissions WHERE id IN ({','.join('?' * len(ids))})", ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise StationError("submission.unknown", f"没有编号为 {'、'.join(missing)} 的作品")
    elif campaign:
        where.append("s.campaign_id = ?")
        params.append(campaigns.get(station, campaign)["id"])
    rows = list(db.query(f"SELECT s.*, c.profile FROM submissions s JOIN campaigns c ON c.id = s.campaign_id "
                         f"WHERE {' AND '.join(where)} ORDER BY s.id", params))
    loaded: dict[str, profiles.Profile] = {}
    works = []
    for row in rows:
        if row["profile"] not in loaded:
            loaded[row["profile"]] = profiles.load(row["profile"], station.config_dir)
        files = [FileFacts(f["id"], f["path"], f["kind"], f["role"], f["size"], f["sha256"])
                 for f in db.query("SELECT * FROM files WHERE submission_id = ? ORDER BY path", [row["id"]])]
        authors = list(db.query("SELECT * FROM authors WHERE submission_id = ? ORDER BY ord", [row["id"]]))
        w = WorkFacts(row, authors, files, loaded[row["profile"]], station.objects)
        if w.media:
            w.media[-1].is_last_media = True
        works.append(w)
    return works


@dataclass
class Task:
    file: FileFacts
    tiers: list[str]
    weight: float


def _plan(db, works, tiers, summary) -> list[Task]:
    """One task per distinct media file: the tiers it still lacks, in cost order."""
    needed_by_profile = {}
    by_sha: dict[str, Task] = {}
    for w in works:
        pid = w.profile.id
        if pid not in needed_by_profile:
            needed_by_profile[pid] = {t for r in w.profile.data.get("rules", {}) for t in REGISTRY[base_id(r)].needs}
        wanted = [t for t in ("M", "P", "T", "A", "V") if t in tiers and (t == "M" or t in needed_by_profile[pid]
                                                                         or (t == "V" and "A" in needed_by_profile[pid]))]
        for f in w.media:
            summary.files += 1
            if f.sha256 in by_sha:
                continue
            cached = _cached_tiers(db, f.sha256)
            missing = [t for t in wanted if t not in cached]
            if "V" in cached and "A" in missing:
                missing.remove("A")
            if not missing:
                summary.cached += 1
                continue
            by_sha[f.sha256] = Task(f, missing, 0.0)
    return list(by_sha.values())


def _cached_tiers(db, sha: str) -> set[str]:
    return {r[0] for r in db.execute("SELECT tier FROM measurements WHERE sha256 = ? AND version = "
                                     "CASE tier " + " ".join(f"WHEN '{t}' THEN {v}" for t, v in TIER_VERSION.items()) +
                                     " END", [sha])}


# --- measuring ----------------------------------------------------------------------------

def _measure(station, tasks, jobs, summary, progress, cancelled) -> None:
    if not tasks:
        return
    stop = threading.Event()
    state = {"done": 0.0, "total": 0.0, "lock": threading.Lock()}

    def is_cancelled() -> bool:
        if not stop.is_set() and cancelled and cancelled():
            stop.set()
        return stop.is_set()

    def report(task, tier, fraction, speed=0.0):
        if progress:
            with state["lock"]:
                done = state["done"] + fraction * _cost(task, tier)
            progress({"file": task.file.path, "tier": tier, "fraction": fraction, "speed": speed,
                      "done": done, "total": state["total"]})

    for task in tasks:
        task.weight = sum(_cost(task, t) for t in task.tiers)
    state["total"] = sum(t.weight for t in tasks)

    def one(task: Task) -> None:
        path = station.objects.path(task.file.sha256)
        m = _cached(station.db(), task.file.sha256, "M")
        for tier in task.tiers:
            if is_cancelled():
                return
            report(task, tier, 0.0)
            try:
                data = _tier(station, tier, path, m, task, report, is_cancelled)
            except ffrun.Cancelled:
                return
            if tier == "M":
                m = data
            _save(station.db(), task.file.sha256, tier, data)
            with state["lock"]:
                if data is not SKIPPED:
                    summary.measured[tier] = summary.measured.get(tier, 0) + 1
                state["done"] += _cost(task, tier)
            report(task, tier, 1.0)

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="check") as pool:
        futures = [pool.submit(one, t) for t in tasks]
        try:
            for fut in as_completed(futures):
                fut.result()
        except BaseException:
            stop.set()
            raise
    summary.cancelled = stop.is_set()


def _cost(task: Task, tier: str) -> float:
    if tier not in ("A", "V"):
        return COST_WEIGHT[tier]
    return COST_WEIGHT[tier] * ((task.file.m or {}).get("general", {}).get("duration") or 60.0)


def _tier(station, tier, path: Path, m, task, report, is_cancelled):
    playable = bool(m and (m["video"] or m["audio"]))
    if tier == "M":
        return probe.metadata(path, PurePosixPath(task.file.path).suffix)
    if not playable:
        return SKIPPED
    if tier == "P":
        return probe.packets(path)
    if tier == "T":
        if not m["video"]:
            return SKIPPED
        thumb = station.spool / f"thumb-{task.file.sha256[:16]}-{threading.get_ident()}.jpg"
        try:
            data = analyse.title_card(path, m, thumb, cancelled=is_cancelled)
            if thumb.exists() and thumb.stat().st_size:
                data["thumbnail_sha"] = station.objects.put_file(thumb)[0]
        finally:
            thumb.unlink(missing_ok=True)
        return data
    if tier == "A":
        if not m["audio"]:
            return SKIPPED
        return analyse.audio(path, m, progress=lambda f, s: report(task, "A", f, s), cancelled=is_cancelled)
    if tier == "V":
        if not m["video"]:
            return analyse.audio(path, m, progress=lambda f, s: report(task, "V", f, s), cancelled=is_cancelled) \
                if m["audio"] else SKIPPED
        return analyse.deep(path, m, progress=lambda f, s: report(task, "V", f, s), cancelled=is_cancelled)
    raise ValueError(tier)


def _save(db, sha, tier, data) -> None:
    with write(db):
        db.execute("INSERT OR REPLACE INTO measurements (sha256, tier, version, data, measured_at) VALUES (?, ?, ?, ?, ?)",
                   [sha, tier, TIER_VERSION[tier], probe.dumps(data), audit.now()])


def _cached(db, sha, tier):
    row = db.execute("SELECT data FROM measurements WHERE sha256 = ? AND tier = ? AND version = ?",
                     [sha, tier, TIER_VERSION[tier]]).fetchone()
    return json.loads(row[0]) if row else None


def _load_measurements(db, w: WorkFacts) -> None:
    for f in w.media:
        for row in db.execute("SELECT tier, version, data FROM measurements WHERE sha256 = ?", [f.sha256]):
            if TIER_VERSION.get(row[0]) == row[1] and row[2] != SKIPPED_JSON:
                f.measured[row[0]] = json.loads(row[2])
        if "V" in f.measured and f.media_class == "audio" and "A" not in f.measured:
            f.measured["A"] = f.measured.pop("V")


# --- evaluating ---------------------------------------------------------------------------

def evaluate(w: WorkFacts, pattern: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    for key, params in w.profile.data.get("rules", {}).items():
        rule_id = base_id(key)
        if pattern and not fnmatch.fnmatch(rule_id, pattern):
            continue
        if params.get("enabled") is False:
            continue
        if "projects" in params and (w.submission["project"] or "") not in params["projects"]:
            continue
        r = REGISTRY[rule_id]
        if r.scope == "work":
            out += _frame(w, rule_id, params, r.fn(w, params), None)
            continue
        for f in w.media:
            if f.media_class not in r.media or not f.has(r.needs):
                continue
            if not f.playable() and rule_id != "file.integrity":
                continue
            out += _frame(w, rule_id, params, r.fn(f, params, w), f)
    _attach_fixes(w, out)
    return out


def _frame(w, rule_id, params, results, f) -> list[Finding]:
    if results is None:
        return []
    if isinstance(results, Result):
        results = [results]
    clause = params.get("clause", "")
    where = f"{w.profile.name}" + (f"，{clause}" if clause else "")
    out = []
    for res in results:
        status = "warn" if res.status == "fail" and params.get("severity") == "warn" else res.status
        prefix = f"“{f.path}”：" if f and len(w.media) > 1 else ""
        out.append(Finding(rule_id, status, res.measured, res.expected, f"{prefix}{res.detail}（{where}）",
                           file_id=res.file_id or (f.id if f else None), clause=clause))
    return out


def _attach_fixes(w: WorkFacts, findings: list[Finding]) -> None:
    for f in w.media:
        failed = {x.rule for x in findings if x.file_id == f.id and x.status == "fail" and REGISTRY[x.rule].mechanical}
        if not failed:
            continue
        command = fixes.command(f, w.profile, failed)
        for x in findings:
            if x.file_id == f.id and x.rule in failed:
                x.fix = command


def _store(station, w: WorkFacts, findings: list[Finding], pattern: str | None) -> None:
    db = station.db()
    sid = w.submission["id"]
    scope = "AND rule GLOB ?" if pattern else ""
    args = [sid] + ([pattern] if pattern else [])
    with write(db):
        old = sorted((r[0], r[1], r[2] or 0) for r in db.execute(
            f"SELECT rule, status, file_id FROM findings WHERE submission_id = ? AND source = 'check' {scope}", args))
        db.execute(f"DELETE FROM findings WHERE submission_id = ? AND source = 'check' {scope}", args)
        now = audit.now()
        tag = f"{w.profile.id}@{w.profile.version}"
        for x in findings:
            db.execute("INSERT INTO findings (submission_id, file_id, rule, status, measured, expected, message, "
                       "created_at, fix, clause, source, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'check', ?)",
                       [sid, x.file_id, x.rule, x.status, x.measured, x.expected, x.message, now, x.fix, x.clause, tag])
        new = sorted((x.rule, x.status, x.file_id or 0) for x in findings)
        if new != old:
            counts = {s: sum(1 for x in findings if x.status == s) for s in ("fail", "warn")}
            audit.append(db, campaigns.actor(), "check", str(sid), profile=tag, **counts)

