"""Facts about a work and its media files: what the station knows, loaded from the database.

Measurements are facts about bytes (table `measurements`, keyed by sha256 and tier), so a
file is never decoded twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from store import audit, write
from workflows import campaigns
from workflows.checks.media import probe
from workflows.errors import StationError
from workflows.ingest import forms
from workflows.profiles import load as profiles
from workflows.profiles import roles

# Bump a tier's version when its measuring code changes: cached results of older versions are redone.
# V 5: storyboard and title-card frames; V 6: the card's frames chosen by its stills and cuts; O 2: read from them
TIER_VERSION = {"M": 2, "P": 1, "A": 4, "V": 6, "T": 1, "O": 2}
DEFAULT_TIERS = ("M", "P", "T")
DEEP_TIERS = ("M", "P", "T", "O", "V")  # O: the title card's text (OCR), from the frames the V decode kept
SKIPPED = {"skipped": "not applicable"}  # a tier that does not apply to a file (no video, not media)
SKIPPED_JSON = probe.dumps(SKIPPED)


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

    @property
    def o(self):
        return self.measured.get("O")

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
    objects: Any  # the station's ObjectStore
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


def load_works(station, db, ids, campaign) -> list[WorkFacts]:
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
    rows = list(
        db.query(
            f"SELECT s.*, c.profile FROM submissions s JOIN campaigns c ON c.id = s.campaign_id "
            f"WHERE {' AND '.join(where)} ORDER BY s.id",
            params,
        )
    )
    loaded: dict[str, profiles.Profile] = {}
    works = []
    for row in rows:
        if row["profile"] not in loaded:
            loaded[row["profile"]] = profiles.load(row["profile"], station.config_dir)
        files = [
            FileFacts(f["id"], f["path"], f["kind"], f["role"], f["size"], f["sha256"])
            for f in db.query("SELECT * FROM files WHERE submission_id = ? ORDER BY path", [row["id"]])
        ]
        authors = list(db.query("SELECT * FROM authors WHERE submission_id = ? ORDER BY ord", [row["id"]]))
        w = WorkFacts(row, authors, files, loaded[row["profile"]], station.objects)
        if w.media:
            w.media[-1].is_last_media = True
        works.append(w)
    return works


# A run that timed out is stored (this run's findings report it) but is not a fact about the bytes (a busy machine
# as much as a hostile file): it never counts as cached, so the next run measures it again.
_COMPLETE = "coalesce(json_extract(data, '$.timed_out'), 0) = 0"


def cached_tiers(db, sha: str) -> set[str]:
    return {
        r[0]
        for r in db.execute(
            "SELECT tier FROM measurements WHERE sha256 = ? AND version = "
            "CASE tier " + " ".join(f"WHEN '{t}' THEN {v}" for t, v in TIER_VERSION.items()) + f" END AND {_COMPLETE}",
            [sha],
        )
    }


def save(db, sha, tier, data) -> None:
    with write(db):
        db.execute(
            "INSERT OR REPLACE INTO measurements (sha256, tier, version, data, measured_at) VALUES (?, ?, ?, ?, ?)",
            [sha, tier, TIER_VERSION[tier], probe.dumps(data), audit.now()],
        )


def cached(db, sha, tier):
    row = db.execute(
        f"SELECT data FROM measurements WHERE sha256 = ? AND tier = ? AND version = ? AND {_COMPLETE}",
        [sha, tier, TIER_VERSION[tier]],
    ).fetchone()
    return json.loads(row[0]) if row else None


def load_measurements(db, w: WorkFacts) -> None:
    for f in w.media:
        for row in db.execute("SELECT tier, version, data FROM measurements WHERE sha256 = ?", [f.sha256]):
            if TIER_VERSION.get(row[0]) == row[1] and row[2] != SKIPPED_JSON:
                f.measured[row[0]] = json.loads(row[2])
        deep = f.measured.get("V")
        if deep is not None and "video" not in deep and "A" not in f.measured:
            # The deep pass of a file without a picture (an mp3, or an audio-only mp4 handed in as the
            # lesson video) is an audio pass: rules on decoded video must not look for frames (issue 13).
            f.measured["A"] = f.measured.pop("V")
