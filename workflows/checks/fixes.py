"""Mechanical fixes: the exact ffmpeg command that makes a compliant copy, and running it.

The teacher's file is only ever read: the copy goes to a new file the user names.
"""

from __future__ import annotations

import shlex
from pathlib import Path, PurePosixPath

from workflows.checks import facts
from workflows.checks.evaluate import evaluate
from workflows.checks.media import ffrun, probe
from workflows.errors import StationError
from workflows.progress import Progress, ProgressFn
from workflows.rules import media as media_rules
from workflows.rules.catalog import REGISTRY

REMUX_ONLY = {"file.container", "video.playback"}  # a re-wrap fixes these when the streams themselves are fine
DEFAULT_TARGET = {
    "width": 1920,
    "height": 1080,
    "fps": 25,
    "video_bitrate": "8M",
    "audio_bitrate": "128k",
    "audio_rate": 48000,
    "channels": 2,
}
AUDIO_TARGET = {"audio_codec": "libmp3lame", "audio_bitrate": "128k", "audio_rate": 44100, "channels": 2}


def target(profile) -> dict:
    return {**DEFAULT_TARGET, **profile.data.get("target", {})}


def output_name(path: str, media_class: str) -> str:
    return PurePosixPath(path).stem + ("_合规.mp3" if media_class == "audio" else "_合规.mp4")


def bits(rate: str | int) -> int:
    """ "8M" -> 8000000, "128k" -> 128000."""
    text = str(rate).strip()
    scale = {"k": 1_000, "K": 1_000, "M": 1_000_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def _streams_fine(f) -> bool:
    """The video and audio streams are what a browser plays: only the wrapper needs changing."""
    v = f.m["video"][0] if f.m and f.m["video"] else None
    a = f.m["audio"][0] if f.m and f.m["audio"] else None
    return bool(
        v
        and v.get("codec") == "AVC"
        and (v.get("profile") or "").split("@")[0] in media_rules.BROWSER_PROFILES
        and int(v.get("bit_depth") or 8) == 8
        and (v.get("chroma") or "4:2:0") == "4:2:0"
        and (a is None or a.get("codec") == "AAC")
    )


def video_rate(f, profile) -> int:
    """The target video bit rate, lowered to what fits the size limit when the notice's two conflict (000, W2)."""
    t = target(profile)
    rate = bits(t["video_bitrate"])
    limit = profile.data.get("rules", {}).get("file.size", {}).get("max_bytes")
    duration = (f.m["general"].get("duration") or 0) if f.m else 0
    if limit and duration:
        rate = min(rate, media_rules.fitting_video_bps(duration, limit, bits(t["audio_bitrate"])))
    return rate


def arguments(f, profile, failed: set[str], source: str, out: str) -> list[str]:
    """ffmpeg arguments (without `ffmpeg`) that fix the FAILED rules of file F.

    Video: square pixels first (`scale=iw*sar:ih`, W18), then fit and pad to the target frame; constant
    bit rate with HRD filler (`nal-hrd=cbr`) so that simple slide content still reaches the bit-rate floor;
    H.264 High 8-bit 4:2:0 and AAC, moov at the start (browser playback).
    """
    if failed <= REMUX_ONLY and f.media_class == "video" and _streams_fine(f):
        return ["-i", source, "-map", "0", "-c", "copy", "-movflags", "+faststart", out]
    if f.media_class == "audio":
        t = {**AUDIO_TARGET, **profile.data.get("target", {})}
        return [
            "-i",
            source,
            "-vn",
            "-c:a",
            t["audio_codec"],
            "-b:a",
            t["audio_bitrate"],
            "-ar",
            str(t["audio_rate"]),
            "-ac",
            str(t["channels"]),
            out,
        ]
    t = target(profile)
    w, h = t["width"], t["height"]
    video = f.m["video"][0] if f.m and f.m["video"] else {}
    filters = []
    if video.get("scan") and video["scan"] != "Progressive" or "video.scan" in failed:
        filters.append("bwdif=mode=send_frame")
    filters += [
        "scale=iw*sar:ih",
        f"scale={w}:{h}:force_original_aspect_ratio=decrease",
        f"pad={w}:{h}:-1:-1",
        "setsar=1",
        f"fps={t['fps']}",
        "format=yuv420p",
    ]
    rate = str(video_rate(f, profile))
    return [
        "-i",
        source,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0?",
        "-vf",
        ",".join(filters),
        "-c:v",
        "libx264",
        "-profile:v",
        "high",
        "-preset",
        "veryfast",
        "-x264-params",
        "nal-hrd=cbr:force-cfr=1",
        "-b:v",
        rate,
        "-minrate",
        rate,
        "-maxrate",
        rate,
        "-bufsize",
        rate,
        "-r",
        str(t["fps"]),
        "-c:a",
        "aac",
        "-aac_coder",
        "fast",  # the default coder undershoots on band-limited sources (a 64k original: 85k for 128k)
        "-b:a",
        t["audio_bitrate"],
        "-ar",
        str(t["audio_rate"]),
        "-ac",
        str(t["channels"]),
        "-movflags",
        "+faststart",
        out,
    ]


def command(f, profile, failed: set[str]) -> str:
    """The command as a user would type it, with the file names as the teacher knows them.

    Every argument is quoted for a POSIX shell (shlex.join): a file named `$(…)` or with backticks
    is a name, never code, when the command is pasted into bash.
    """
    name = PurePosixPath(f.path).name
    args = arguments(f, profile, failed, name, output_name(f.path, f.media_class))
    return shlex.join(["ffmpeg", *args])


def run(station, submission_id: int, out_dir: Path, progress: ProgressFn | None = None, cancelled=None) -> list[dict]:
    """Write compliant copies of SUBMISSION_ID's failing media files into OUT_DIR."""
    works = facts.load_works(station, station.db(), [submission_id], None)
    if not works:
        raise StationError("submission.unknown", f"没有编号为 {submission_id} 的作品")
    w = works[0]
    facts.load_measurements(station.db(), w)
    findings = evaluate(w)
    attach(w, findings)
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for f in w.media:
        failed = {x.rule for x in findings if x.file_id == f.id and x.fix}
        if not failed:
            continue
        dest = out_dir / output_name(f.path, f.media_class)
        if dest.exists():
            raise StationError("fix.exists", f"输出文件已存在：{dest}，请换一个目录")
        partial = dest.with_name(dest.name + ".part")
        args = arguments(f, w.profile, failed, str(station.objects.path(f.sha256)), str(partial))
        fmt = "mp3" if f.media_class == "audio" else "mp4"
        args = args[:-1] + ["-f", fmt, "-y", str(partial)]
        duration = (f.m["general"].get("duration") or 0) if f.m else 0
        result = ffrun.run_ffmpeg(
            ["-v", "error", *args],
            duration=duration,
            timeout=600 + 20 * duration,
            cwd=out_dir,
            progress=(lambda frac, speed, p=f.path: progress(Progress("fix", frac, 1, "", item=p, speed=speed)))  # type: ignore[misc]
            if progress
            else None,
            cancelled=cancelled,
        )
        if result.returncode != 0 or result.timed_out:
            partial.unlink(missing_ok=True)
            raise StationError(
                "fix.failed", f"转换“{f.path}”失败：{(result.stderr.strip().splitlines() or ['超时'])[-1]}"
            )
        partial.rename(dest)
        made.append({"file": f.path, "output": str(dest), "rules": sorted(failed), "measured": probe.metadata(dest)})
    return made


def attach(w, findings: list) -> None:
    """The suggested command on every mechanical failure of a file (one command fixes all of them)."""
    for f in w.media:
        failed = {x.rule for x in findings if x.file_id == f.id and x.status == "fail" and REGISTRY[x.rule].mechanical}
        if not failed:
            continue
        cmd = command(f, w.profile, failed)
        for x in findings:
            if x.file_id == f.id and x.rule in failed:
                x.fix = cmd
