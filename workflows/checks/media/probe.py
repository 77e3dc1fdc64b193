"""Cheap measurement tiers: M (MediaInfo metadata) and P (ffprobe streams and packets).

Each returns plain JSON-able dicts with SI units (seconds, bits per second, Hz), so the
rules never see MediaInfo's milliseconds or its strings-for-numbers.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from pymediainfo import MediaInfo

from workflows.checks.media import ffrun

_mediainfo_lock = threading.Lock()  # MediaInfo options are process-global


def _num(value, scale: float = 1.0) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).split(" / ")[0]) * scale
    except ValueError:
        return None


def _yes_no(value) -> bool | None:
    text = str(value or "").lower()
    return True if text == "yes" else False if text == "no" else None


def metadata(path: Path, suffix: str = "") -> dict:
    """Tier M: container and per-track facts from MediaInfo (tens of ms, even for 1 GB).

    Content-store objects have no extension, which makes MediaInfo try parser after parser
    (3-15x slower, measured): SUFFIX (".mp4") names the file through a temporary symlink.
    """
    with tempfile.TemporaryDirectory(prefix="station-probe-") as tmp:
        target = Path(path)
        if suffix and target.suffix.lower() != suffix.lower():
            link = Path(tmp) / f"media{suffix}"
            link.symlink_to(target.resolve())
            target = link
        with _mediainfo_lock:
            info = MediaInfo.parse(str(target))
    general, video, audio = {}, [], []
    for t in info.tracks:
        d = t.to_data()
        if t.track_type == "General":
            general = {
                "format": d.get("format"),
                "format_profile": d.get("format_profile"),  # "QuickTime" for a .mov, "Base Media" for MP4
                "brand": (d.get("codec_id") or "").strip() or None,  # ftyp major brand: "qt", "isom", "mp42"
                "streamable": _yes_no(d.get("isstreamable")),  # moov before mdat
                "size": _num(d.get("file_size")),
                "duration": _num(d.get("duration"), 1e-3),
                "bitrate": _num(d.get("overall_bit_rate")),
                "truncated": str(d.get("istruncated", "")).lower() == "yes",
            }
        elif t.track_type == "Video":
            video.append(
                {
                    "codec": d.get("format"),
                    "profile": d.get("format_profile"),
                    "width": _num(d.get("width")),
                    "height": _num(d.get("height")),
                    "rotation": _num(d.get("rotation")) or 0.0,
                    "dar": _num(d.get("display_aspect_ratio")),
                    "par": _num(d.get("pixel_aspect_ratio")),
                    "fps": _num(d.get("frame_rate")),
                    "fps_mode": d.get("frame_rate_mode"),
                    "scan": d.get("scan_type"),
                    "bit_depth": _num(d.get("bit_depth")),
                    "chroma": d.get("chroma_subsampling"),
                    "bitrate": _num(d.get("bit_rate")),
                    "duration": _num(d.get("duration"), 1e-3),
                }
            )
        elif t.track_type == "Audio":
            audio.append(
                {
                    "codec": d.get("format"),
                    "feature": d.get("format_additionalfeatures"),
                    "profile": d.get("format_profile"),
                    "rate": _num(d.get("sampling_rate")),
                    "channels": _num(d.get("channel_s")),
                    "bitrate": _num(d.get("bit_rate")),
                    "bit_depth": _num(d.get("bit_depth")),
                    "duration": _num(d.get("duration"), 1e-3),
                }
            )
    return {"general": general, "video": video, "audio": audio}


def packets(path: Path, timeout: float = 300) -> dict:
    """Tier P: per-stream start time, duration and bit rate measured from packet sizes."""
    result = ffrun.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=index,codec_type,start_time,duration,bit_rate:packet=stream_index,size",
            "-of",
            "csv=p=1",
            str(path),
        ],
        timeout=timeout,
    )
    sizes: dict[int, int] = {}
    streams: list[dict[str, Any]] = []
    for line in result.stdout.splitlines():
        parts = line.split(",")
        if parts[0] == "packet" and len(parts) >= 3:
            try:
                index, size = int(parts[1]), int(parts[2])
            except ValueError:
                continue
            sizes[index] = sizes.get(index, 0) + size
        elif parts[0] == "stream" and len(parts) >= 6:
            streams.append(
                {
                    "index": int(parts[1]),
                    "type": parts[2],
                    "start": _num(parts[3]),
                    "duration": _num(parts[4]),
                    "declared_bitrate": _num(parts[5]),
                }
            )
    for s in streams:
        total = sizes.get(s["index"])
        s["bitrate"] = total * 8 / s["duration"] if total and s["duration"] else None
    return {"streams": streams, "errors": _error_lines(result), "timed_out": result.timed_out}


def _error_lines(result: ffrun.Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()][:20]


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
