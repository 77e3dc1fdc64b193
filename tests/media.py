"""Small test media made with the real ffmpeg: one compliant clip and one variant per broken rule.

The checks tests run against a copy of the after-school profile scaled down to 320x180 at
1 Mbps and 15-30 s (an admin's override in config/profiles), so each clip encodes in well
under a second. Long files are made by stream-copy looping, never by encoding.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "test-media"

SIZE = "320x180"
TITLE = "color=c=0x0d2a5c:s=320x180:r={fps}:d=5"
MOVING = "testsrc2=s=320x180:r={fps}:d={d}"
TONE = "sine=frequency=440:sample_rate={rate}:d={d}"
# Speech-like: a tone in 0.3 s bursts over quiet room noise (about -60 dBFS), so levels, pauses
# and the noise floor behave as in a real lesson recording. The noise has a fixed seed: a random one
# moved integrated loudness by 0.1 LU between fresh builds and changed the loudness chart's snapshot.
VOICE = (
    "sine=frequency=440:sample_rate={rate}:d={d},volume='if(lt(mod(t,0.5),0.3),1,0)':eval=frame{shape}[s];"
    "anoisesrc=color=pink:amplitude={noise}:sample_rate={rate}:duration={d}:seed=20240601[n];[s][n]amix=inputs=2:normalize=0[out0]"
)


def x264(rate: str = "1M", params: str = "") -> list[str]:
    return [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-profile:v",
        "high",
        "-threads",
        "1",
        "-x264-params",
        "8x8dct=1:nal-hrd=cbr" + (":" + params if params else ""),
        "-b:v",
        rate,
        "-minrate",
        rate,
        "-maxrate",
        rate,
        "-bufsize",
        rate,
    ]


AAC = ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def cache_key() -> str:
    """What the cached media depend on: this module's code and the ffmpeg build."""
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(version.splitlines()[0].encode())
    return digest.hexdigest()[:20]


def cached(name: str, build, *args, **kwargs):
    """BUILD(folder, ...) once per cache key, across test runs, in .cache/test-media/KEY/NAME.

    BUILD returns its description (paths inside the folder and expectations); it is called again on
    a cache hit with `reuse=True`, when every maker below returns an existing output without running
    ffmpeg. A folder without its `.done` marker (an interrupted run) is built again from scratch.
    """
    folder = CACHE / cache_key() / name
    done = folder / ".done"
    if done.exists():
        return build(folder, *args, reuse=True, **kwargs)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    result = build(folder, *args, **kwargs)
    done.write_text("ok\n", encoding="utf-8")
    for old in CACHE.iterdir():  # older keys (other code or another ffmpeg), unless a run may still use them
        if old.name != folder.parent.name and old.is_dir() and time.time() - old.stat().st_mtime > 3600:
            shutil.rmtree(old, ignore_errors=True)
    return result


_REUSE = {"on": False}


def _exists(out: Path) -> bool:
    return _REUSE["on"] and out.exists()


class reusing:
    """Within this block the makers return outputs that exist (a cache hit) instead of remaking them."""

    def __init__(self, on: bool):
        self.on = on

    def __enter__(self):
        self.before = _REUSE["on"]
        _REUSE["on"] = self.on

    def __exit__(self, *exc):
        _REUSE["on"] = self.before


def clip(
    out: Path,
    *,
    seconds: float = 16,
    fps: str = "25",
    rate: int = 48000,
    title: bool = True,
    video: list[str] | None = None,
    audio: list[str] | None = None,
    vfilter: str = "",
    afilter: str = "",
    middle: str | None = None,
    audio_delay: float = 0.0,
    extra: list[str] | None = None,
    shape: str = "",
    noise: float = 0.001,
) -> Path:
    """A title card (5 s still) then moving test pattern; a 440 Hz tone throughout.

    MIDDLE replaces the moving part with another lavfi video source description.
    """
    if _exists(out):
        return out
    inputs, parts = [], []
    if title:
        inputs += ["-f", "lavfi", "-i", TITLE.format(fps=fps)]
    body = seconds - (5 if title else 0)
    inputs += ["-f", "lavfi", "-i", middle.format(fps=fps, d=body) if middle else MOVING.format(fps=fps, d=body)]
    n = 2 if title else 1
    parts = (
        "".join(f"[{i}:v]" for i in range(n))
        + f"concat=n={n}:v=1:a=0,format=yuv420p{',' + vfilter if vfilter else ''}[v]"
    )
    audio_input = ["-itsoffset", str(audio_delay)] if audio_delay else []
    audio_input += [
        "-f",
        "lavfi",
        "-i",
        VOICE.format(rate=rate, d=seconds, shape="," + shape if shape else "", noise=noise),
    ]
    graph = parts + (f";[{n}:a]{afilter}[a]" if afilter else "")
    ffmpeg(
        *inputs,
        *audio_input,
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-map",
        "[a]" if afilter else f"{n}:a",
        *(video or x264()),
        *(audio or AAC),
        *(extra or []),
        "-movflags",
        "+faststart",
        str(out),
    )
    return out


def claim_duration(src: Path, out: Path, seconds: float) -> Path:
    """A copy of SRC whose movie, track and media headers (mvhd, tkhd, mdhd) claim SECONDS."""
    data = bytearray(src.read_bytes())
    movie_scale = []

    def walk(start: int, end: int) -> None:
        i = start
        while i + 8 <= end:
            size, kind = struct.unpack(">I4s", data[i : i + 8])
            if size < 8:
                return
            body = i + 8
            if kind in (b"moov", b"trak", b"mdia"):
                walk(body, i + size)
            elif kind in (b"mvhd", b"mdhd") and data[body] == 0:
                scale = struct.unpack(">I", data[body + 12 : body + 16])[0]
                if kind == b"mvhd":
                    movie_scale.append(scale)
                struct.pack_into(">I", data, body + 16, int(seconds * scale))
            elif kind == b"tkhd" and data[body] == 0 and movie_scale:
                struct.pack_into(">I", data, body + 20, int(seconds * movie_scale[0]))
            i += size

    walk(0, len(data))
    out.write_bytes(bytes(data))
    return out


def join(parts: list[Path], out: Path) -> Path:
    """PARTS one after another by stream copy (the concat demuxer keeps the frame rate constant)."""
    if _exists(out):
        return out
    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts), encoding="utf-8")
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(out))
    return out


def tone_mp3(out: Path, *, seconds: float = 12, rate: int = 44100, channels: int = 2, bitrate: str = "128k") -> Path:
    if _exists(out):
        return out
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        TONE.format(rate=rate, d=seconds),
        "-ac",
        str(channels),
        "-c:a",
        "libmp3lame",
        "-b:a",
        bitrate,
        "-ar",
        str(rate),
        str(out),
    )
    return out


def variants(folder: Path, reuse: bool = False) -> dict[str, tuple[Path, set[str]]]:
    """name -> (file, the media rules it must not pass). 'ok' must pass every rule."""
    with reusing(reuse):
        return _variants(folder)


def _variants(folder: Path) -> dict[str, tuple[Path, set[str]]]:
    folder.mkdir(parents=True, exist_ok=True)
    v = {}
    # Each clip is one single-threaded x264 encode: two at a time keep both cores of a CI machine busy and
    # halve the fresh-clone time of building the variants.
    pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))
    pending = {}

    def add(name, expected, **kwargs):
        pending[name] = (pool.submit(clip, folder / f"{name}.mp4", **kwargs), expected)

    add("ok", set())
    add("small", {"video.resolution"}, vfilter="scale=256:144")
    add("aspect43", {"video.aspect"}, vfilter="setsar=3/4")
    add("ntsc", {"video.fps"}, fps="30000/1001")
    add("vfr", {"video.fps"}, vfilter="select='not(eq(mod(n,4),0))'", extra=["-fps_mode", "vfr"])
    add("interlaced", {"video.scan"}, video=[*x264(params="tff=1"), "-flags", "+ildct+ilme"])
    add(
        "hevc",
        {"video.codec"},
        video=[
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-b:v",
            "1M",
            "-x265-params",
            "log-level=error:vbv-maxrate=1000:vbv-bufsize=500:strict-cbr=1",
            "-tag:v",
            "hvc1",
        ],
    )
    add("mp3audio", {"audio.codec"}, audio=["-c:a", "libmp3lame", "-b:a", "128k", "-ac", "2"])
    add("mono", {"audio.channels"}, audio=["-c:a", "aac", "-b:a", "128k", "-ac", "1"])
    add("rate44", {"audio.samplerate"}, rate=44100)
    add("abr64", {"audio.bitrate"}, audio=["-c:a", "aac", "-b:a", "64k", "-ac", "2"])
    add("lowrate", {"video.bitrate"}, video=x264("300k"))
    add("short", {"media.duration"}, seconds=10)
    add("offset", {"av.offset"}, audio_delay=0.5)
    add("notitle", {"video.titlecard"}, title=False)
    # decoded tiers (A, V)
    add("gap", {"audio.silence"}, seconds=24, shape="volume=enable='between(t,4,19)':volume=0")
    add("swings", {"audio.swings"}, seconds=24, shape="volume=enable='lt(mod(t,6),3)':volume=0.12")
    add("clipped", {"audio.clipping", "audio.loudness"}, shape="volume=30dB")
    add("noisy", {"audio.noise"}, noise=0.3)
    add(
        "black",
        {"video.black", "video.freeze"},
        seconds=22,
        middle="color=c=black:s=320x180:r={fps}:d=12[b];testsrc2=s=320x180:r={fps}:d=5[t];[b][t]concat[out0]",
    )
    add("frozen", {"video.freeze"}, seconds=20, vfilter="split[x][y];[x][y]freezeframes=first=200:last=400:replace=199")
    # issue 12/13 media kinds: anamorphic (reported once, W19), QuickTime (W13), a still slide at a low
    # rate (the fix must still reach the floor), an audio-only mp4, a header that claims 20 minutes
    add("anamorphic", {"video.resolution"}, vfilter="scale=240:180,setsar=4/3")
    add(
        "slides",
        {"video.bitrate", "video.freeze"},
        video=x264("150k"),
        middle="color=c=0x336699:s=320x180:r={fps}:d={d}",
    )
    with pool:
        for name, (future, expected) in pending.items():
            v[name] = (future.result(), expected)
    mov = folder / "mov.mov"
    if not _exists(mov):
        ffmpeg("-i", str(v["ok"][0]), "-c", "copy", "-f", "mov", str(mov))
    v["mov"] = (mov, {"file.container"})
    audio_only = folder / "audioonly.mp4"
    if not _exists(audio_only):
        ffmpeg("-i", str(v["ok"][0]), "-map", "0:a", "-c", "copy", str(audio_only))
    v["audioonly"] = (audio_only, {"file.streams"})
    v["claimed"] = (claim_duration(v["ok"][0], folder / "claimed.mp4", 1200.0), {"file.integrity", "media.duration"})
    v["long"] = (join([v["ok"][0], v["notitle"][0], v["notitle"][0]], folder / "long.mp4"), {"media.duration"})
    truncated = folder / "truncated.mp4"
    data = v["ok"][0].read_bytes()
    truncated.write_bytes(data[: len(data) * 6 // 10])
    v["truncated"] = (truncated, {"file.integrity"})
    (folder / "empty.mp4").write_bytes(b"")
    v["empty"] = (folder / "empty.mp4", {"file.integrity"})
    (folder / "notes.mp4").write_text("这不是视频，是老师的备课笔记。\n" * 20, encoding="utf-8")
    v["notes"] = (folder / "notes.mp4", {"file.integrity"})
    return v


def audio_variants(folder: Path, reuse: bool = False) -> dict[str, tuple[Path, set[str]]]:
    folder.mkdir(parents=True, exist_ok=True)
    with reusing(reuse):
        return _audio_variants(folder)


def _audio_variants(folder: Path) -> dict[str, tuple[Path, set[str]]]:
    return {
        "ok": (tone_mp3(folder / "ok.mp3"), set()),
        "mono": (tone_mp3(folder / "mono.mp3", channels=1), {"audio.channels"}),
        "rate22": (tone_mp3(folder / "rate22.mp3", rate=22050), {"audio.samplerate"}),
    }


def test_profile(builtin_text: str) -> str:
    """The after-school profile scaled to the test clips (an admin's edit, as the README describes)."""
    swaps = [
        ("width = 1920\nheight = 1080\nclause", "width = 320\nheight = 180\nclause"),
        ("nominal_bps = 8_000_000", "nominal_bps = 1_000_000"),
        ("min_minutes = 15\nmax_minutes = 30", "min_minutes = 0.25\nmax_minutes = 0.5"),
        ("min_rate = 44100", "rate = 48000"),
        ('channels = 2\nseverity = "warn"', "channels = 2"),
        ("[target]\nwidth = 1920\nheight = 1080", "[target]\nwidth = 320\nheight = 180"),
        ('video_bitrate = "8M"', 'video_bitrate = "1M"'),
        # the title-card OCR has its own tests (test_titlecard_ocr.py): the clips' cards carry no text
        ('[rules."video.titlecard.text"]\n', '[rules."video.titlecard.text"]\nenabled = false\n'),
    ]
    for old, new in swaps:
        assert old in builtin_text, old
        builtin_text = builtin_text.replace(old, new)
    return builtin_text


# --- real-size clips for the shipped thresholds (tests/test_thresholds.py) -------------------


def real(
    out: Path,
    *,
    size: str = "1920x1080",
    fps: str = "25",
    vrate: str = "7400k",
    abr: str = "128k",
    ar: int = 48000,
    ac: int = 2,
    seconds: float = 4,
    video: list[str] | None = None,
    fmt: list[str] | None = None,
) -> Path:
    """A real-size clip: moving test pattern at a constant bit rate (HRD filler) and speech-like audio."""
    if _exists(out):
        return out
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=s={size}:r={fps}:d={seconds}",
        "-f",
        "lavfi",
        "-i",
        VOICE.format(rate=ar, d=seconds, shape="", noise=0.001),
        "-map",
        "0:v",
        "-map",
        "1:a",
        *(video or [*x264(vrate), "-threads", "2", "-pix_fmt", "yuv420p"]),
        "-c:a",
        "aac",
        "-aac_coder",
        "fast",
        "-b:a",
        abr,
        "-ar",
        str(ar),
        "-ac",
        str(ac),
        *(["-movflags", "+faststart"] if fmt is None else fmt),
        str(out),
    )
    return out


def looped(src: Path, out: Path, seconds: float) -> Path:
    """SRC repeated by stream copy up to SECONDS (a 30-minute file costs a file copy, not an encode)."""
    if _exists(out):
        return out
    ffmpeg(
        "-stream_loop", "-1", "-i", str(src), "-t", f"{seconds:.3f}", "-c", "copy", "-movflags", "+faststart", str(out)
    )
    return out


def threshold_clips(folder: Path, reuse: bool = False) -> dict[str, Path]:
    """Clips just inside and just outside each shipped numeric threshold, at the sizes the notices name."""
    folder.mkdir(parents=True, exist_ok=True)
    hd = {"size": "1280x720"}
    high444 = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-profile:v",
        "high444",
        "-pix_fmt",
        "yuv444p",
        "-b:v",
        "2500k",
    ]
    high10 = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-profile:v",
        "high10",
        "-pix_fmt",
        "yuv420p10le",
        "-b:v",
        "2500k",
    ]
    main = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p", "-b:v", "2500k"]
    specs = {
        # 1920x1080 (000 课后服务; 精品课 practice)
        # Short CBR clips measure about 10 % above the rate asked for: the rates below put the MEASURED
        # value just inside or just outside each threshold (the tests check the measured value first).
        "fhd_ok": {},
        "fhd_in": {"vrate": "6650k"},  # video ~7.36 Mbps, floor 7.2
        "fhd_out": {"vrate": "6380k"},  # video ~7.06 Mbps
        "fhd_conflict": {"vrate": "6000k"},  # ~6.6 Mbps: 20 minutes fit in 1 GiB
        "fhd_1078": {"size": "1920x1078", "vrate": "2M"},
        "fhd_24fps": {"fps": "24", "vrate": "2M"},
        "fhd_a116": {"abr": "116k", "vrate": "2M"},
        "fhd_a112": {"abr": "112k", "vrate": "2M"},
        "fhd_44k": {"ar": 44100, "vrate": "2M"},
        "fhd_32k": {"ar": 32000, "vrate": "2M"},
        "fhd_low": {"vrate": "100k", "abr": "64k", "seconds": 10},
        # 1280x720 (003 继续教育; 004 职业教育专项)
        "hd_ok": {**hd, "vrate": "1900k"},
        "hd_in": {**hd, "vrate": "1720k"},  # video ~1.90 Mbps, whole file ~2.04 Mbps (W15)
        "hd_out": {**hd, "vrate": "1655k"},  # whole file ~1.97 Mbps
        "voc_in": {**hd, "vrate": "940k"},  # video ~1.04 Mbps, floor 1024 kbps
        "voc_out": {**hd, "vrate": "905k"},  # video ~1.00 Mbps
        "hd_1278": {"size": "1278x720", "vrate": "1900k"},
        "hd_24fps": {**hd, "fps": "24", "vrate": "1900k"},
        "hd_44k": {**hd, "vrate": "1900k", "ar": 44100},
        "hd_high444": {**hd, "video": high444},
        "hd_high10": {**hd, "video": high10},
        "hd_main": {**hd, "video": main},
        "hd_moov_end": {**hd, "vrate": "1900k", "fmt": []},
    }
    with reusing(reuse):
        with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:  # see _variants
            futures = {name: pool.submit(real, folder / f"{name}.mp4", **kw) for name, kw in specs.items()}
            clips = {name: future.result() for name, future in futures.items()}
        mov = folder / "hd_mov.mov"
        if not _exists(mov):
            ffmpeg("-i", str(clips["hd_ok"]), "-c", "copy", "-f", "mov", str(mov))
        clips["hd_mov"] = mov
        for seconds in (597, 603, 897, 903, 1197, 1203, 1499, 1503, 1797, 1803):
            clips[f"low_{seconds}"] = looped(clips["fhd_low"], folder / f"low_{seconds}.mp4", seconds)
        for name, (rate, channels) in {"mp3_44k": (44100, 2), "mp3_32k": (32000, 2), "mp3_mono": (44100, 1)}.items():
            clips[name] = tone_mp3(folder / f"{name}.mp3", seconds=4, rate=rate, channels=channels)
    return clips
