"""`station check`: measure media files in tiers, cache by file hash, evaluate the profile's rules.

Measurements are facts about bytes (table `measurements`, keyed by sha256 and tier), so a
file is never decoded twice and editing a profile re-evaluates without measuring again.
Findings are opinions of a profile about a work: they are replaced on every run.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from store import audit, write
from workflows.checks import facts, fixes
from workflows.checks.evaluate import evaluate
from workflows.checks.facts import DEEP_TIERS, DEFAULT_TIERS, SKIPPED, FileFacts, WorkFacts, is_media  # noqa: F401  (the public names of checks)
from workflows.checks.media import analyse, ffrun, ocr, probe
from workflows.progress import Progress, ProgressFn
from workflows.rules.base import Finding, base_id
from workflows.rules.catalog import REGISTRY
from workflows.station import actor

COST_WEIGHT = {
    "M": 0.02,
    "P": 0.2,
    "T": 1.5,
    "O": 1.5,
    "A": 0.07,
    "V": 1.0,
}  # seconds per file (M, P, T) or per media second


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


def run(
    station,
    ids: list[int] | None = None,
    campaign: str | None = None,
    *,
    deep: bool = False,
    tiers: tuple[str, ...] | None = None,
    jobs: int | None = None,
    rule: str | None = None,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Summary:
    station.objects.clean_tmp()  # the picture a killed check was writing into the content store
    db = station.db()
    works = facts.load_works(station, db, ids, campaign)
    tiers = tiers or (DEEP_TIERS if deep else DEFAULT_TIERS)
    summary = Summary(submissions=len(works))
    tasks = _plan(db, works, tiers, summary)
    _measure(station, tasks, jobs or os.cpu_count() or 1, summary, progress, cancelled)
    for w in works:
        facts.load_measurements(db, w)
        findings = evaluate(w, rule)
        fixes.attach(w, findings)
        _store(station, w, findings, rule)
        for f in findings:
            summary.findings[f.status] = summary.findings.get(f.status, 0) + 1
        summary.ids.append(w.submission["id"])
    for campaign_id in {w.submission["campaign_id"] for w in works}:
        profile = next(w.profile for w in works if w.submission["campaign_id"] == campaign_id)
        with write(db):
            db.execute(
                "UPDATE campaigns SET checked_with = ? WHERE id = ?", [f"{profile.id}@{profile.version}", campaign_id]
            )
    return summary


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
            needed_by_profile[pid] = {
                t
                for r, params in w.profile.data.get("rules", {}).items()
                if params.get("enabled") is not False  # a rule switched off costs no measuring (OCR)
                for t in REGISTRY[base_id(r)].needs
            }
        wanted = [
            t
            for t in ("M", "P", "T", "O", "A", "V")
            if t in tiers and (t == "M" or t in needed_by_profile[pid] or (t == "V" and "A" in needed_by_profile[pid]))
        ]
        for f in w.media:
            summary.files += 1
            if f.sha256 in by_sha:
                continue
            cached = facts.cached_tiers(db, f.sha256)
            if "O" in cached and "unavailable" in (facts.cached(db, f.sha256, "O") or {}):
                cached.discard("O")  # the OCR engine was missing last time: read the card once it is there
            missing: list[str] = [t for t in wanted if t not in cached]
            if "V" in cached and "A" in missing:
                missing.remove("A")
            if not missing:
                summary.cached += 1
                continue
            by_sha[f.sha256] = Task(f, missing, 0.0)
    return list(by_sha.values())


# --- measuring ----------------------------------------------------------------------------


def _measure(station, tasks, jobs, summary, progress, cancelled) -> None:
    if not tasks:
        return
    stop = threading.Event()
    state: dict[str, Any] = {"done": 0.0, "total": 0.0, "lock": threading.Lock()}

    def is_cancelled() -> bool:
        if not stop.is_set() and cancelled and cancelled():
            stop.set()
        return stop.is_set()

    def report(task, tier, fraction, speed=0.0):
        if progress:
            with state["lock"]:
                done = state["done"] + fraction * _cost(task, tier)
            progress(
                Progress(
                    "check",
                    done,
                    state["total"],
                    "秒（估计）",
                    item=task.file.path,
                    speed=speed,
                    step=tier,
                    item_fraction=fraction,
                )
            )

    for task in tasks:
        task.weight = sum(_cost(task, t) for t in task.tiers)
    state["total"] = sum(t.weight for t in tasks)
    state["left"] = len(tasks)
    cpus = os.cpu_count() or 1

    def threads() -> int | None:
        """Decoding threads for the ffmpeg a worker starts now: the cores shared among the workers still busy
        (one each for two workers on 2 cores); ffmpeg's own choice when this is the only task left."""
        with state["lock"]:
            busy = min(jobs, state["left"])
        return max(1, cpus // busy) if busy > 1 else None

    def one(task: Task) -> None:
        try:
            measure(task)
        finally:
            with state["lock"]:
                state["left"] -= 1

    def measure(task: Task) -> None:
        path = station.objects.path(task.file.sha256)
        m = facts.cached(station.db(), task.file.sha256, "M")
        pending = list(task.tiers)
        while pending:
            tier = pending.pop(0)
            if tier == "T" and "V" in pending:
                pending.append(tier)  # the deep pass measures the title card too: T runs only if it did not
                continue
            if tier == "O" and ("V" in pending or "T" in pending):
                pending.append(tier)  # the OCR reads the card that T (or the deep pass standing in for it) located
                continue
            if is_cancelled():
                return
            report(task, tier, 0.0)
            try:
                data = _tier(station, tier, path, m, task, report, is_cancelled, threads())
            except ffrun.Cancelled:
                return
            if tier == "M":
                m = data
            saved = {tier: data}
            if tier == "V" and isinstance(data, dict) and "title" in data:
                saved["T"] = data.pop("title")
                saved["T"]["timed_out"] = data.get("timed_out")  # a cut-short pass is no fact about the bytes
                if "T" in pending:
                    pending.remove("T")
            for name, value in saved.items():
                facts.save(station.db(), task.file.sha256, name, value)
                with state["lock"]:
                    if value is not SKIPPED:
                        summary.measured[name] = summary.measured.get(name, 0) + 1
                    state["done"] += _cost(task, name)
            report(task, tier, 1.0)

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="check") as pool:
        # longest first: the last tasks are short, so no worker is left alone on a long decode at the end
        futures = [pool.submit(one, t) for t in sorted(tasks, key=lambda t: -t.weight)]
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


def _tier(station, tier, path: Path, m, task, report, is_cancelled, threads: int | None = None):
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
            data = analyse.title_card(path, m, thumb, cancelled=is_cancelled, threads=threads)
            if thumb.exists() and thumb.stat().st_size:
                data["thumbnail_sha"] = station.objects.put_file(thumb)[0]
        finally:
            thumb.unlink(missing_ok=True)
        return data
    if tier == "O":
        t = facts.cached(station.db(), task.file.sha256, "T")
        if not m["video"] or t is None:
            return SKIPPED
        kept = None
        if t.get("source") == "V" and t.get("frames_for") == "card":
            # the deep pass kept the card's frames from its one decode: no seek of our own
            kept = [(float(at), station.objects.path(sha)) for at, sha in t.get("frames", [])]
        try:
            return ocr.read_title_card(path, t, kept)
        except ocr.OcrUnavailable as e:
            return {"card": ocr.card_span(t) is not None, "unavailable": str(e)}
    if tier == "A":
        if not m["audio"]:
            return SKIPPED
        return analyse.audio(
            path, m, progress=lambda f, s: report(task, "A", f, s), cancelled=is_cancelled, threads=threads
        )
    if tier == "V":
        if not m["video"]:
            return (
                analyse.audio(
                    path, m, progress=lambda f, s: report(task, "V", f, s), cancelled=is_cancelled, threads=threads
                )
                if m["audio"]
                else SKIPPED
            )
        return analyse.deep(
            path,
            m,
            progress=lambda f, s: report(task, "V", f, s),
            cancelled=is_cancelled,
            keep=lambda picture: station.objects.put_file(picture)[0],
            threads=threads,
        )
    raise ValueError(tier)


def _store(station, w: WorkFacts, findings: list[Finding], pattern: str | None) -> None:
    db = station.db()
    sid = w.submission["id"]
    scope = "AND rule GLOB ?" if pattern else ""
    args = [sid] + ([pattern] if pattern else [])
    with write(db):
        old = sorted(
            (r[0], r[1], r[2] or 0)
            for r in db.execute(
                f"SELECT rule, status, file_id FROM findings WHERE submission_id = ? AND source = 'check' {scope}", args
            )
        )
        db.execute(f"DELETE FROM findings WHERE submission_id = ? AND source = 'check' {scope}", args)
        now = audit.now()
        tag = f"{w.profile.id}@{w.profile.version}"
        for x in findings:
            db.execute(
                "INSERT INTO findings (submission_id, file_id, rule, status, measured, expected, message, "
                "created_at, fix, clause, source, profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'check', ?)",
                [sid, x.file_id, x.rule, x.status, x.measured, x.expected, x.message, now, x.fix, x.clause, tag],
            )
        new = sorted((x.rule, x.status, x.file_id or 0) for x in findings)
        if new != old:
            counts = {s: sum(1 for x in findings if x.status == s) for s in ("fail", "warn")}
            audit.append(db, actor(), "check", str(sid), profile=tag, **counts)
