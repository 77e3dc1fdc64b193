"""Sample media: each kind of clip is encoded once (a few seconds), then stream-copied to real lengths.

Encoding 15 minutes of 1080p takes minutes; copying a 10-second unit 90 times takes about a second. A long
file is the kind's title unit (if it has one) followed by its body unit repeated, joined by ffmpeg's concat
demuxer with `-c copy`, so every long file of a kind has the same codec parameters as its unit and a length
in whole units. Two works get different bytes by being given different lengths (the same bytes would be
一稿多投).
"""

from __future__ import annotations

import math
import subprocess
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

TITLE_SECONDS = 5
TITLE_COLOR = "0x0d2a5c"
FFMPEG = ["ffmpeg", "-nostdin", "-v", "error", "-y"]


@dataclass(frozen=True)
class Kind:
    """How one kind of submitted media is made: what a teacher's camera, phone or export tool produced."""

    ext: str = "mp4"
    width: int = 1920
    height: int = 1080
    fps: str = "25"
    vcodec: str = "libx264"
    profile: str = "high"
    pix_fmt: str = "yuv420p"
    vbitrate: str = "8M"
    acodec: str = "aac"
    abitrate: str = "128k"
    arate: int = 48000
    channels: int = 2
    title_card: bool = True
    body_seconds: int = 5
    interlaced: bool = False
    vfr: bool = False  # a screen recorder: frames only when the screen changes
    audio_only: bool = False
    rotate: int = 0  # a phone's display-rotation flag (the pixels stay landscape)
    extra: tuple[str, ...] = field(default=())


KINDS = {
    # The notice's own numbers (000 二（二）2): 1920×1080p, 25 fps, H.264 High, 8 Mbps CBR, AAC 128 kbps, 48 kHz stereo.
    "standard": Kind(body_seconds=10),
    # The same picture and sound at 1.2 Mbps: 精品课 and 信息化交流 give no bit rate a county must fail on
    # (精品课's 8 Mbps is a warn), and a tenth of the bytes keeps the demo's disk and time small.
    "lesson": Kind(vbitrate="1200k", body_seconds=10),
    # 继续教育 (003 附件3): ≥1280×720, ≥25 fps, ≥2 Mbps.
    "ce": Kind(width=1280, height=720, vbitrate="2200k", title_card=False),
    # An older camera / school recording set-up: 720p, 30 fps, 96 kbps, no title card. (The failing kinds are
    # made at a few hundred kbps: real lengths, few bytes.)
    "720p30": Kind(width=1280, height=720, fps="30", vbitrate="500k", abitrate="96k", title_card=False),
    # NTSC-rate export from an editing tool (29.97 fps) with 96 kbps audio.
    "ntsc": Kind(fps="30000/1001", vbitrate="600k", abitrate="96k", title_card=False),
    # A cheap recording: 720p, 400 kbps.
    "720p": Kind(width=1280, height=720, vbitrate="400k", title_card=False),
    # A phone held upright: HEVC in a .mov, 1920×1080 pixels with a 90° rotation flag, 30 fps, with a mono
    # 44.1 kHz lavalier microphone.
    "phone": Kind(
        ext="mov",
        rotate=90,
        fps="30",
        vcodec="libx265",
        profile="main",
        vbitrate="400k",
        abitrate="96k",
        arate=44100,
        channels=1,
        title_card=False,
        extra=("-tag:v", "hvc1"),
    ),
    # A screen recording (EV录屏/Camtasia/OBS): variable frame rate, lavalier mic mono 44.1 kHz.
    "screen": Kind(vbitrate="400k", abitrate="96k", arate=44100, channels=1, title_card=False, vfr=True),
    # Exports with the wrong profile: High 10 (10-bit) and High 4:4:4.
    "high10": Kind(profile="high10", pix_fmt="yuv420p10le", vbitrate="600k", title_card=False),
    "yuv444": Kind(profile="high444", pix_fmt="yuv444p", vbitrate="600k", title_card=False),
    # An interlaced camcorder export (x264 reports MBAFF).
    "interlaced": Kind(vbitrate="600k", interlaced=True, title_card=False),
    # Old formats still sent in: Flash video from a recorder, Windows Media from a classroom system.
    "flv": Kind(ext="flv", width=1280, height=720, vbitrate="400k", title_card=False),
    "wmv": Kind(
        ext="wmv",
        width=1280,
        height=720,
        vcodec="wmv2",
        profile="",
        vbitrate="500k",
        acodec="wmav2",
        title_card=False,
    ),
    # 继续教育 audio (003 附件3 2): MP3 ≥44 kHz, 16 bit, stereo; and a phone's mono 22.05 kHz recording.
    "mp3": Kind(ext="mp3", audio_only=True, acodec="libmp3lame", arate=44100, title_card=False),
    "mp3-mono": Kind(
        ext="mp3", audio_only=True, acodec="libmp3lame", abitrate="64k", arate=22050, channels=1, title_card=False
    ),
}


def _bits(rate: str) -> int:
    return int(float(rate[:-1]) * {"k": 1e3, "M": 1e6}[rate[-1]])


def encode_unit(path: Path, kind: Kind, seconds: int, title: bool, tone: int = 440) -> None:
    """Encode SECONDS of KIND: a still title card (TITLE) or the moving test pattern, with a tone."""
    audio = ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate={kind.arate}:d={seconds}"]
    aout = [
        "-c:a",
        kind.acodec,
        "-b:a",
        kind.abitrate,
        "-ac",
        str(kind.channels),
        "-ar",
        str(kind.arate),
    ]
    if kind.audio_only:
        subprocess.run([*FFMPEG, *audio, *aout, str(path)], check=True)
        return
    size = f"s={kind.width}x{kind.height}:r={kind.fps}"
    source = f"color=c={TITLE_COLOR}:{size}:d={seconds}" if title else f"testsrc2={size}:d={seconds}"
    vf = [f"format={kind.pix_fmt}"]
    if kind.vfr:  # a recorder writes a frame only when the screen changes: drop runs of frames
        vf.insert(0, r"select='lt(mod(n\,50)\,20)+eq(mod(n\,7)\,0)'")
    video = ["-c:v", kind.vcodec, "-b:v", kind.vbitrate]
    if kind.vcodec == "libx264":
        x264 = "8x8dct=1:nal-hrd=cbr" + (":tff=1" if kind.interlaced else "")
        video += ["-preset", "ultrafast", "-profile:v", kind.profile, "-x264-params", x264]
        video += ["-maxrate", kind.vbitrate, "-bufsize", str(_bits(kind.vbitrate) // 2)]
        video += ["-flags", "+ildct+ilme"] if kind.interlaced else []
    elif kind.vcodec == "libx265":
        video += ["-preset", "ultrafast", "-x265-params", "log-level=error:pools=1:frame-threads=1"]
    video += ["-threads", "1", *(["-fps_mode", "vfr"] if kind.vfr else []), *kind.extra]
    subprocess.run(
        [*FFMPEG, "-f", "lavfi", "-i", source, *audio, "-vf", ",".join(vf), "-map", "0:v", "-map", "1:a"]
        + video
        + aout
        + (["-movflags", "+faststart"] if kind.ext in ("mp4", "mov") else [])
        + [str(path)],
        check=True,
    )


def _cached_unit(path: Path, kind: Kind, seconds: int, title: bool) -> None:
    if path.exists():
        return
    partial = path.with_name(f"partial-{path.name}")
    encode_unit(partial, kind, seconds, title)
    partial.rename(path)


class Media:
    """Units encoded once per build (two at a time), long files stream-copied from them."""

    def __init__(self, workdir: Path, units: Path | None = None):
        """Long files are put together in WORKDIR; the units are kept in UNITS (a cache kept across builds,
        keyed by the caller on this module and ffmpeg's version) or in WORKDIR."""
        self.dir = Path(workdir)
        self.units = Path(units) if units else self.dir
        self.units.mkdir(parents=True, exist_ok=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._units: dict[tuple[str, bool], tuple[Path, Future]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._made: set[tuple[str, int]] = set()

    def prepare(self, names) -> None:
        """Start encoding the units of NAMES in the background (the build waits only where it needs one)."""
        for name in names:
            self._submit(name, KINDS[name].title_card)
            self._submit(name, False)

    def _unit(self, name: str, title: bool) -> Path:
        path, future = self._submit(name, title)
        future.result()
        return path

    def _submit(self, name: str, title: bool):
        key = (name, title)
        with self._lock:
            if key not in self._units:
                kind = KINDS[name]
                path = self.units / f"{name}-{'title' if title else 'body'}.{kind.ext}"
                seconds = TITLE_SECONDS if title else kind.body_seconds
                self._units[key] = (path, self._pool.submit(_cached_unit, path, kind, seconds, title))
            return self._units[key]

    def long(self, path: Path, name: str, seconds: float) -> float:
        """Write a SECONDS-long file of kind NAME at PATH (rounded up to whole units); its length in seconds.

        The same kind and length twice would be the same bytes: that is refused, the sample's works differ."""
        kind = KINDS[name]
        head = TITLE_SECONDS if kind.title_card else 0
        count = max(1, math.ceil((seconds - head) / kind.body_seconds))
        if (name, count) in self._made:
            raise ValueError(f"two sample files of kind {name} with {count} units would be identical")
        self._made.add((name, count))
        parts = ([self._unit(name, True)] if kind.title_card else []) + [self._unit(name, False)] * count
        listing = self.dir / f"{path.name}.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts), encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        faststart = ["-movflags", "+faststart"] if kind.ext in ("mp4", "mov") else []
        rotate = ["-metadata:s:v:0", f"rotate={kind.rotate}"] if kind.rotate else []
        subprocess.run(
            [*FFMPEG, "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", *rotate, *faststart, str(path)],
            check=True,
        )
        listing.unlink()
        return head + count * kind.body_seconds

    def close(self) -> None:
        self._pool.shutdown(wait=True)
