"""Decoding tiers: A (audio pass), V (one video+audio decode pass), T (title-card probe).

Each tier is one ffmpeg process with every filter on one graph. Filters write their
per-frame metadata to files named relatively inside a per-job temporary directory
(absolute paths would need `:` escaping in filter arguments).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Callable

from workflows.checks.media import ffrun, ocr

AUDIO_CHAIN = (
    "ebur128=peak=true:metadata=1,ametadata=print:file=ebur.txt,ametadata=delete,"
    "silencedetect=n=-50dB:d=2,ametadata=print:file=silence.txt,ametadata=delete,"
    "asetnsamples=n={rate}:p=0,"
    "astats=metadata=1:reset=1:length=0.01:measure_perchannel=RMS_level+RMS_trough+Peak_level+Flat_factor:measure_overall=Peak_level,"
    "ametadata=print:file=astats.txt"
)
DETECT_CHAIN = (
    "blackdetect=d=0.5:pix_th=0.05,metadata=print:file=black.txt,metadata=delete,"
    "freezedetect=n=-60dB:d=2,metadata=print:file=freeze.txt,metadata=delete,"
    "scdet=threshold=10,metadata=mode=print:key=lavfi.scd.time:file=scene.txt"
)  # every frame reaches the output, so the run's out_time is the decoded length
# The deep pass also keeps pictures, from the same decode (branches of one split of the decoded frames,
# each scaling only the frames it keeps and ending as soon as it has them, so nothing queues behind a
# finished output): candidate title-card frames at full size every 0.5 s from 0.5 to 4.5 s (after the
# decode, the stills and cuts the detectors found choose the one or two the OCR reads: `ocr.choose_frames`;
# only those reach the content store), the thumbnail at 2.5 s (640 px, as tier T saves it) and the
# storyboard, one 160 px frame every `every` seconds in the middle of each interval.
TITLECARD_BRANCH = (
    "[tc]trim=end={tc_end},select='gte(t,{tc_first}+{tc_step}*selected_n)',"
    "metadata=add:key=station.frame:value=1,metadata=print:file=tc.txt[tcout]"
)
THUMB_BRANCH = "[thumb]trim=start={thumb_at},trim=end_frame=1,scale=w='min(640,iw)':h=-2[thumbout]"
STORYBOARD_BRANCH = (
    "[sb]select='gte(t,({every}*(selected_n+0.5)))',scale=160:-2:flags=area,"
    "metadata=add:key=station.frame:value=1,metadata=print:file=sb.txt[sbout]"
)
IDET_BRANCH = "[head]trim=duration=15,idet,metadata=print:file=idet.txt,nullsink"
DETECT_WIDTH = 320  # the detectors' copy: scaled down, never up (320 measures as 640 does: tests/test_storyboard.py)
STORYBOARD_MAX = 24  # frames in a lesson: 12-24 from 24 s up
TITLECARD_STEP = 0.5  # candidate title-card frames at 0.5, 1.0, ... 4.5 s: inside the 5 s card the notices ask for
TITLECARD_TIMES = tuple(TITLECARD_STEP * k for k in range(1, 10))
TITLE_SECONDS = 12
THUMB_AT = 2.5

Progress = Callable[[float, float], None]


def decoder_threads(threads: int | None) -> list[str]:
    """ffmpeg's input option for THREADS decoding threads; none (ffmpeg's own choice, every core) for None.

    Checks run one ffmpeg per worker: two deep passes at once on 2 cores, each with one decoding
    thread, kept both cores busy for about 12 % less CPU than with ffmpeg's frame threads each
    (benchmarks/checks.py, the batch of 8 works).
    """
    return ["-threads", str(threads)] if threads else []


def audio(path: Path, m: dict, *, progress: Progress | None = None, cancelled=None, threads: int | None = None) -> dict:
    """Tier A: loudness, peaks, per-second levels and silences of the first audio track."""
    rate = int((m["audio"][0].get("rate") if m["audio"] else None) or 48000)
    graph = f"[0:a:0]{AUDIO_CHAIN.format(rate=rate)}[ao]"
    return _run(path, m, graph, ["-map", "[ao]"], progress, cancelled, _read_audio, input_args=decoder_threads(threads))


def storyboard_every(duration: float | None) -> int:
    """Seconds between storyboard frames: a lesson of D seconds gives 12-24 frames (D >= 24 s)."""
    return max(1, math.ceil((duration or 0) / STORYBOARD_MAX - 0.01))  # 48.02 s: every 2 s, 24 frames


def deep(
    path: Path,
    m: dict,
    *,
    progress: Progress | None = None,
    cancelled=None,
    keep: Callable[[Path], str] | None = None,
    detect_width: int = DETECT_WIDTH,
    threads: int | None = None,
) -> dict:
    """Tier V: one decode pass with the video filters and, when there is audio, the audio chain.

    With KEEP (a function that stores a picture file and returns its object id) the same decode
    also keeps the title-card frames, the thumbnail and the storyboard (see video_graph); the
    result then carries a `title` entry with what tier T would have measured, so T need not run.
    """
    every = storyboard_every(m["general"].get("duration"))
    graph = video_graph(idet=needs_idet(m), pictures=keep is not None, every=every, detect_width=detect_width)
    parts = [graph + "[vo]"]
    maps = ["-map", "[vo]"]
    if m["audio"]:
        rate = int(m["audio"][0].get("rate") or 48000)
        parts.append(f"[0:a:0]{AUDIO_CHAIN.format(rate=rate)}[ao]")
        maps += ["-map", "[ao]"]
    maps += ["-f", "null", "-"]
    if keep is not None:
        pictures = ["-fps_mode", "passthrough", "-q:v", "3"]
        maps += ["-map", "[tcout]", *pictures, "tc-%02d.jpg"]
        maps += ["-map", "[thumbout]", *pictures, "-frames:v", "1", "-update", "1", "thumb.jpg"]
        maps += ["-map", "[sbout]", *pictures, "sb-%03d.jpg"]

    def read(work: Path) -> dict:
        out: dict = {"video": _read_video(work)}
        if m["audio"]:
            out["audio"] = _read_audio(work)
        if keep is not None:
            out["storyboard"] = {"every": every, "frames": _keep(_written(work, "sb.txt", "sb-{:03d}.jpg"), keep)}
            thumb = work / "thumb.jpg"
            title = title_from_deep(out["video"], keep(thumb) if thumb.exists() and thumb.stat().st_size else None)
            candidates = _written(work, "tc.txt", "tc-{:02d}.jpg")
            title["frames"] = _keep(ocr.choose_frames(title, candidates), keep)
            title["frames_for"] = "card" if ocr.card_span(title) else "fixed"
            out["title"] = title
        return out

    return _run(
        path,
        m,
        ";".join(parts),
        maps,
        progress,
        cancelled,
        read,
        null_output=False,
        input_args=decoder_threads(threads),
    )


def needs_idet(m: dict) -> bool:
    """Field detection only when MediaInfo does not state the scan type (the video.scan rule reads idet
    only then): it reads 15 s of full-size frames, measured at about a quarter of the deep pass's filter cost."""
    return not (m.get("video") and m["video"][0].get("scan"))


def video_graph(*, idet: bool, pictures: bool, every: int, detect_width: int = DETECT_WIDTH) -> str:
    """The deep pass's video filter graph; its last output (the detectors' copy) is left unlabelled."""
    branches = (["head"] if idet else []) + (["tc", "thumb", "sb"] if pictures else [])
    parts, source = [], "[0:v:0]"
    if branches:
        parts.append(source + f"split={len(branches) + 1}[main]" + "".join(f"[{b}]" for b in branches))
        source = "[main]"
    if idet:
        parts.append(IDET_BRANCH)
    if pictures:
        first, step = TITLECARD_TIMES[0], TITLECARD_STEP
        parts.append(TITLECARD_BRANCH.format(tc_end=TITLECARD_TIMES[-1] + step / 2, tc_first=first, tc_step=step))
        parts.append(THUMB_BRANCH.format(thumb_at=THUMB_AT))
        parts.append(STORYBOARD_BRANCH.format(every=every))
    parts.append(f"{source}scale=w='min({detect_width},iw)':h=-2:flags=fast_bilinear," + DETECT_CHAIN)
    return ";".join(parts)


def title_from_deep(video: dict, thumbnail_sha: str | None) -> dict:
    """What tier T measures, read from the deep pass: freezes and cuts in the first TITLE_SECONDS.

    The deep pass's freezedetect needs 2 s of stillness (T's 1 s): the title-card rule asks for a
    still of at least 4 s, so both give the same verdict; a still that outlasts 12 s shows its
    real end instead of 12.
    """
    return {
        "freezes": [span for span in video["freezes"] if span[0] <= TITLE_SECONDS],
        "cuts": [c for c in video["cuts"] if c <= TITLE_SECONDS],
        "thumbnail": thumbnail_sha is not None,
        "thumbnail_sha": thumbnail_sha,
        "source": "V",
    }  # the caller adds "frames": [[time, object id], ...], the title-card frames at full size


def _written(work: Path, times: str, pattern: str) -> list[tuple[float, Path]]:
    """[(pts_time, picture), ...]: the pictures an image2 output wrote, in order, with their times."""
    written = []
    for i, (t, _values) in enumerate(_frames(work / times), start=1):
        picture = work / pattern.format(i)
        if picture.exists() and picture.stat().st_size:
            written.append((round(t, 2), picture))
    return written


def _keep(pictures: list[tuple[float, Path]], keep: Callable[[Path], str]) -> list[list]:
    """[[time, object id], ...]: the pictures stored with KEEP."""
    return [[t, keep(picture)] for t, picture in pictures]


def title_card(path: Path, m: dict, thumbnail: Path, *, cancelled=None, threads: int | None = None) -> dict:
    """Tier T: is the opening still (a title card) and is there a cut near 5 s? Saves a thumbnail."""
    graph = (
        f"[0:v:0]scale=640:-2,split=2[a][b];"
        "[a]freezedetect=n=-60dB:d=1,metadata=print:file=freeze.txt,metadata=delete,"
        "scdet=threshold=10,metadata=mode=select:key=lavfi.scd.time,metadata=print:file=scene.txt[vo];"
        f"[b]trim=start={THUMB_AT},setpts=PTS-STARTPTS[thumb]"
    )
    thumbnail = thumbnail.resolve()

    def read(work: Path) -> dict:
        data = _read_video(work)
        return {"freezes": data["freezes"], "cuts": data["cuts"], "thumbnail": thumbnail.exists()}

    return _run(
        path,
        m,
        graph,
        ["-map", "[vo]", "-f", "null", "-", "-map", "[thumb]", "-frames:v", "1", "-update", "1", "-y", str(thumbnail)],
        None,
        cancelled,
        read,
        input_args=[*decoder_threads(threads), "-t", str(TITLE_SECONDS)],
        null_output=False,
        duration=TITLE_SECONDS,
    )


def _run(path, m, graph, maps, progress, cancelled, read, *, input_args=(), null_output=True, duration=None) -> dict:
    duration = duration or (m["general"].get("duration") or 0)
    timeout = 120 + 6 * duration
    with tempfile.TemporaryDirectory(prefix="station-check-") as tmp:
        work = Path(tmp)
        args = ["-v", "error", *input_args, "-i", str(Path(path).resolve()), "-filter_complex", graph, *maps]
        if null_output:
            args += ["-f", "null", "-"]
        result = ffrun.run_ffmpeg(
            args, duration=duration, timeout=timeout, cwd=work, progress=progress, cancelled=cancelled
        )
        data = read(work)
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    data.update(
        errors=errors[:20],
        error_count=len(errors),
        returncode=result.returncode,
        timed_out=result.timed_out,
        decoded_seconds=result.out_time,
    )
    return data


def _frames(path: Path):
    """Yield (pts_time, {key: value}) from a metadata=print file."""
    if not path.exists():
        return
    t: float | None = None
    values: dict = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("frame:"):
                if t is not None:
                    yield t, values
                t = float(line.rsplit("pts_time:", 1)[1])
                values = {}
            else:
                key, _, value = line.strip().partition("=")
                values[key] = value
    if t is not None:
        yield t, values


def _spans(path: Path, start_key: str, end_key: str, total: float | None = None) -> list[list[float]]:
    spans, start = [], None
    for t, v in _frames(path):
        if start_key in v:
            start = float(v[start_key])
        if end_key in v and start is not None:
            spans.append([round(start, 2), round(float(v[end_key]), 2)])
            start = None
    if start is not None:
        spans.append([round(start, 2), round(total, 2) if total else None])  # type: ignore[list-item]
    return spans


def _read_audio(work: Path) -> dict:
    last, short_term = {}, []
    for t, v in _frames(work / "ebur.txt"):
        last = v
        if "lavfi.r128.S" in v:
            short_term.append(float(v["lavfi.r128.S"]))
    seconds, troughs, peaks, flats = [], [], [], []
    for t, v in _frames(work / "astats.txt"):
        rms = {
            k.split(".")[2]: float(val)
            for k, val in v.items()
            if k.endswith(".RMS_level") and not k.startswith("lavfi.astats.Overall")
        }
        seconds.append([round(t, 2), *(rms[c] for c in sorted(rms))])
        quietest = [
            float(val) for k, val in v.items() if k.endswith(".RMS_trough") and val not in ("-inf", "inf", "nan")
        ]
        troughs.append(round(max(quietest), 1) if quietest else None)
        if "lavfi.astats.Overall.Peak_level" in v:
            peaks.append(float(v["lavfi.astats.Overall.Peak_level"]))
        flats.append(max((float(val) for k, val in v.items() if k.endswith(".Flat_factor")), default=0.0))
    silences = []
    for t, v in _frames(work / "silence.txt"):
        if "lavfi.silence_start" in v:
            silences.append([round(float(v["lavfi.silence_start"]), 2), None])
        if "lavfi.silence_end" in v and silences:
            silences[-1][1] = round(float(v["lavfi.silence_end"]), 2)
    return {
        "integrated": _f(last.get("lavfi.r128.I")),
        "lra": _f(last.get("lavfi.r128.LRA")),
        "true_peak": _db(_f(last.get("lavfi.r128.true_peak"))),
        "short_term": _every(short_term, 10),  # one per second is enough for jumps
        "seconds": seconds,
        "troughs": troughs,
        "peak": max(peaks, default=None),
        "flat": max(flats, default=0.0),
        "silences": silences,
    }


def _read_video(work: Path) -> dict:
    idet = {}
    for t, v in _frames(work / "idet.txt"):
        idet = v
    cuts = [round(float(v["lavfi.scd.time"]), 2) for t, v in _frames(work / "scene.txt") if "lavfi.scd.time" in v]
    return {
        "black": _spans(work / "black.txt", "lavfi.black_start", "lavfi.black_end"),
        "freezes": _spans(work / "freeze.txt", "lavfi.freezedetect.freeze_start", "lavfi.freezedetect.freeze_end"),
        "cuts": cuts,
        "idet": {k: _f(idet.get(f"lavfi.idet.multiple.{k}")) for k in ("tff", "bff", "progressive", "undetermined")}
        if idet
        else None,
    }


def _f(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _db(linear: float | None) -> float | None:
    return round(20 * math.log10(linear), 2) if linear and linear > 0 else None


def _every(values: list[float], n: int) -> list[float]:
    return [round(v, 1) for v in values[n - 1 :: n]]
