"""Mechanical fixes: the exact ffmpeg command that makes a compliant copy, and running it.

The teacher's file is only ever read: the copy goes to a new file the user names.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from workflows.checks import facts
from workflows.checks.evaluate import evaluate
from workflows.checks.media import ffrun, probe
from workflows.errors import StationError
from workflows.rules.catalog import REGISTRY

REMUX_ONLY = {"file.container"}
SAFE = re.compile(r"[A-Za-z0-9_.:=+,/@-]+")
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


def arguments(f, profile, failed: set[str], source: str, out: str) -> list[str]:
    """ffmpeg arguments (without `ffmpeg`) that fix the FAILED rules of file F."""
    if failed <= REMUX_ONLY and f.media_class == "video":
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
        f"scale={w}:{h}:force_original_aspect_ratio=decrease",
        f"pad={w}:{h}:-1:-1",
        "setsar=1",
        f"fps={t['fps']}",
    ]
    rate = t["video_bitrate"]
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
        "medium",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        rate,
        "-maxrate",
        rate,
        "-bufsize",
        _double(rate),
        "-r",
        str(t["fps"]),
        "-c:a",
        "aac",
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
    """The command as a user would type it, with the file names as the teacher knows them."""
    name = PurePosixPath(f.path).name
    args = arguments(f, profile, failed, name, output_name(f.path, f.media_class))
    return "ffmpeg " + " ".join(_quote(a) for a in args)


def _quote(arg: str) -> str:
    """Double quotes work the same in the Windows console the school uses and in a Linux shell."""
    return arg if SAFE.fullmatch(arg) else '"' + arg.replace('"', '\\"') + '"'


def _double(rate: str) -> str:
    number, unit = float(rate[:-1]), rate[-1]
    return f"{number * 2:g}{unit}"


def run(station, submission_id: int, out_dir: Path, progress=None, cancelled=None) -> list[dict]:
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
            progress=(lambda frac, speed, p=f.path: progress(p, frac, speed)) if progress else None,
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
