"""What a file is (its kind, from its first bytes) and what it is for (its role)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import PurePosixPath

VIDEO_EXT = {"mp4", "mov", "m4v", "avi", "wmv", "flv", "mkv", "mpg", "mpeg", "ts", "webm", "3gp"}
AUDIO_EXT = {"mp3", "m4a", "aac", "wav", "wma", "flac", "ogg"}
OOXML = {"docx", "xlsx", "pptx"}
OLE = {"doc", "xls", "ppt", "wps", "et", "dps"}
TEXT_EXT = {"txt", "md", "csv", "html", "htm"}
# Left by Windows and macOS, not by the teacher: ignored, and counted in the import summary.
JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}


def ext(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def is_junk(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return parts[-1].lower() in JUNK or "__MACOSX" in parts or parts[-1].startswith("._")


def detect_kind(name: str, head: bytes) -> str:
    e = ext(name)
    if head[4:8] == b"ftyp":
        return "audio" if e in {"m4a", "aac"} else "video"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return e if e in OOXML else "zip"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return e if e in OLE else "ole"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and e in AUDIO_EXT):
        return "audio"
    if head.startswith(b"RIFF"):
        return "audio" if head[8:12] == b"WAVE" else "video"
    if head.startswith((b"\x1a\x45\xdf\xa3", b"FLV", b"\x00\x00\x01\xba", b"\x30\x26\xb2\x75")):
        return "audio" if e in AUDIO_EXT else "video"
    if e in TEXT_EXT:
        return "text"
    return "other"


@cache
def _rules() -> list[dict]:
    text = resources.files("workflows.profiles").joinpath("roles.toml").read_text("utf-8")
    return tomllib.loads(text)["roles"]


def detect_role(path: str, kind: str) -> str | None:
    name = PurePosixPath(path).name
    for rule in _rules():
        if kind in rule["kinds"] and (not rule["keywords"] or any(k in name for k in rule["keywords"])):
            return rule["role"]
    return None
