"""What a reviewer sees of a lesson without playing it: the storyboard, the title-card frames and the
loudness over time, read from the cached measurements of the deep pass (tier V) and the audio pass (A).

Nothing here decodes media: the pictures are objects the deep pass kept in the content store
(`analyse.video_graph`), the levels are numbers it measured. Plain data, for the TUI and scripts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from workflows.checks import facts
from workflows.profiles import load as profiles
from workflows.rules.base import base_id

DEFAULT_TARGET, DEFAULT_TOLERANCE = -23.0, 2.0  # as the audio.loudness rule


@dataclass
class Frame:
    time: float  # seconds from the start of the file
    sha256: str  # the picture's object in the content store (JPEG)
    path: Path
    title: bool = False  # the title-card thumbnail (2.5 s), shown first


@dataclass
class Board:
    file_path: str  # the video's path inside the work
    every: int | None  # seconds between storyboard frames
    frames: list[Frame] = field(default_factory=list)


@dataclass
class Loudness:
    file_path: str
    duration: float
    short_term: list[float | None]  # short-term loudness (LUFS), one value per second from 1 s; None = silent
    silences: list[tuple[float, float]]  # silent gaps (start, end) in seconds
    target: float
    tolerance: float
    integrated: float | None


def _measured(db, sha: str) -> dict:
    out = {}
    for tier in ("M", "T", "V", "A"):
        data = facts.cached(db, sha, tier)
        if data is not None and data != facts.SKIPPED:
            out[tier] = data
    return out


def _media_files(station, submission_id: int) -> list[dict]:
    return [
        f
        for f in station.db().query(
            "SELECT path, kind, sha256 FROM files WHERE submission_id = ? ORDER BY path", [submission_id]
        )
        if facts.is_media(f["path"], f["kind"])
    ]


def storyboards(station, submission_id: int) -> list[Board]:
    """One board per video file the deep pass has seen: the title-card thumbnail, then one frame every N s."""
    boards = []
    db = station.db()
    for f in _media_files(station, submission_id):
        measured = _measured(db, f["sha256"])
        deep = measured.get("V") or {}
        story = deep.get("storyboard")
        if not story:
            continue
        board = Board(f["path"], story.get("every"))
        thumb = (measured.get("T") or {}).get("thumbnail_sha")
        if thumb:
            board.frames.append(Frame(2.5, thumb, station.objects.path(thumb), title=True))
        for t, sha in story.get("frames", []):
            board.frames.append(Frame(float(t), sha, station.objects.path(sha)))
        boards.append(board)
    return boards


def titlecard_frames(station, sha256: str) -> list[tuple[float, Path]]:
    """The full-size title-card frames (time, picture) the deep pass kept from the first 5 s of a video: the
    one or two inside the title card its detectors found (the frames the OCR reads), or those at 1, 2.5 and
    4 s when it found none; [] when the file had no deep pass yet (tier T keeps only its 640 px thumbnail)."""
    title = facts.cached(station.db(), sha256, "T") or {}
    return [(float(t), station.objects.path(sha)) for t, sha in title.get("frames", [])]


def loudness(station, submission_id: int) -> list[Loudness]:
    """Loudness over time per media file with audio measured (A pass or the deep pass), with the target
    band of the work's profile (rule audio.loudness) and the silent gaps."""
    db = station.db()
    row = db.execute(
        "SELECT c.profile FROM submissions s JOIN campaigns c ON c.id = s.campaign_id WHERE s.id = ?",
        [submission_id],
    ).fetchone()
    target, tolerance = DEFAULT_TARGET, DEFAULT_TOLERANCE
    if row:
        profile = profiles.load(row[0], station.config_dir)
        for key, params in profile.data.get("rules", {}).items():
            if base_id(key) == "audio.loudness" and isinstance(params, dict):
                target = float(params.get("target", target))
                tolerance = float(params.get("tolerance", tolerance))
                break
    out = []
    for f in _media_files(station, submission_id):
        measured = _measured(db, f["sha256"])
        audio = measured.get("A") or (measured.get("V") or {}).get("audio")
        if not audio:
            continue
        duration = ((measured.get("M") or {}).get("general") or {}).get("duration") or 0.0
        series = [_finite(v) for v in audio.get("short_term", [])]
        silences = [(float(s), float(e if e is not None else duration)) for s, e in audio.get("silences", [])]
        out.append(
            Loudness(
                f["path"],
                float(duration or len(series)),
                series,
                silences,
                target,
                tolerance,
                _finite(audio.get("integrated")),
            )
        )
    return out


def _finite(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > -70 else None  # ebur128 reports silence as -70 and below


def video_for_player(station, submission_id: int) -> tuple[str, Path] | None:
    """The work's first video (its path in the work, a file a desktop player recognises: a link in the
    spool named with the original extension, as content-store objects have none); None without a video."""
    for f in _media_files(station, submission_id):
        if f["kind"] == "video" or facts.roles.ext(f["path"]) in facts.roles.VIDEO_EXT:
            suffix = PurePosixPath(f["path"]).suffix.lower()
            link = station.spool / f"play-{f['sha256'][:16]}{suffix}"
            if not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(station.objects.path(f["sha256"]))
            return f["path"], link
    return None
