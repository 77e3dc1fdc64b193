"""Tier O: read the text of the title card (OCR) and match it with a work's fields.

The engine is RapidOCR (`rapidocr-onnxruntime`): PP-OCRv4 detection and recognition models in
ONNX form, shipped inside its wheel, run by onnxruntime on the CPU. Nothing is downloaded at
run time (`station doctor` loads it with the network unshared in its test). `benchmarks/ocr.py`
measured it against Tesseract `chi_sim` and is the reason for the choice.

Frames: under `--deep` the V decode keeps candidate title-card frames every 0.5 s of the first 5 s,
and `choose_frames` picks the one or two inside the still or before the cut its detectors found; the
O tier then reads those (source `v-decode`) and runs no ffmpeg of its own. Without the deep pass
(tier T only), `titlecard_frames` seeks for the same moments (source `seek`).
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
from pathlib import Path

from workflows.checks.media import ffrun

ENGINE = "rapidocr-onnxruntime"
FRAME_WIDTH = 960  # frames are scaled down to this width before detection (benchmarks/ocr.py: no field lost)
DETECT_SIDE = 736  # the detector's input: longest side (1280/960 cost 30 % more CPU for no field more)
# onnxruntime threads per model: one. On the 2-core station, loaded (load 4-5), one thread read a card in
# 0.35 s CPU and 0.46-0.51 s wall, two threads in 0.65-0.69 s CPU and 0.9-1.3 s wall (their workers spin);
# in a deep check the other worker's ffmpeg has the other core anyway.
THREADS = 1
SAME_LEVEL = 2.0  # mean absolute difference (0-255) of two 64x36 grey copies under which frames are the same picture
MIN_SCORE = 0.5
TITLE_WINDOW = 5.0  # 000 二（二）2: 片头 5 秒
_LOCK = threading.Lock()  # one recognition at a time: onnxruntime already uses every core


class OcrUnavailable(Exception):
    """The OCR engine cannot be loaded (not installed, or its models are missing)."""


@functools.lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except Exception as e:  # ImportError, or a native library missing (libGL for OpenCV)
        raise OcrUnavailable(f"{type(e).__name__}: {e}") from e
    try:
        return RapidOCR(
            det_limit_side_len=DETECT_SIDE,
            det_limit_type="max",
            print_verbose=False,
            intra_op_num_threads=min(THREADS, os.cpu_count() or 1),
            inter_op_num_threads=1,
        )
    except Exception as e:
        raise OcrUnavailable(f"{type(e).__name__}: {e}") from e


def engine_version() -> str:
    from importlib.metadata import version

    return f"{ENGINE} {version(ENGINE)}"


def load() -> str:
    """Load the engine and its models (raises OcrUnavailable); returns the engine's name and version."""
    _engine()
    return engine_version()


def models() -> list[Path]:
    """The ONNX model files the engine loads, inside its installed package."""
    import rapidocr_onnxruntime

    return sorted(Path(rapidocr_onnxruntime.__file__).parent.glob("models/*.onnx"))


def picture(image: Path | str):
    """A picture file as the engine's input (BGR array), scaled down to FRAME_WIDTH at most."""
    import cv2
    import numpy as np

    data = np.fromfile(str(image), dtype=np.uint8)  # cv2.imread cannot open every path (non-ASCII names)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise ValueError(f"not a picture: {Path(image).name}")
    height, width = bgr.shape[:2]
    if width > FRAME_WIDTH:
        bgr = cv2.resize(bgr, (FRAME_WIDTH, max(2, round(height * FRAME_WIDTH / width))), interpolation=cv2.INTER_AREA)
    return bgr


def same_picture(a, b) -> bool:
    """Whether two frames show the same picture (a still title card read twice), on small grey copies."""
    import cv2
    import numpy as np

    small = [cv2.resize(cv2.cvtColor(x, cv2.COLOR_BGR2GRAY), (64, 36), interpolation=cv2.INTER_AREA) for x in (a, b)]
    return float(np.mean(cv2.absdiff(small[0], small[1]))) < SAME_LEVEL


def recognise(image) -> list[tuple[str, float]]:
    """The text lines of one picture (a file, or an array from `picture`), top to bottom, with their confidence."""
    if isinstance(image, (str, Path)):
        image = picture(image)
    with _LOCK:
        result, _ = _engine()(image, use_cls=False)
    lines = []
    for box, text, score in sorted(result or [], key=lambda r: (round(r[0][0][1] / 20), r[0][0][0])):
        if float(score) >= MIN_SCORE and text.strip():
            lines.append((text.strip(), round(float(score), 3)))
    return lines


# --- frames ----------------------------------------------------------------------------------


def card_span(t: dict | None) -> tuple[float, float] | None:
    """Where the title card is, from the T tier: an opening still, or the opening up to a cut at 3.5-8 s."""
    if not t or "freezes" not in t:
        return None
    still = next((e if e is not None else 12.0 for s, e in t["freezes"] if s <= 0.5), 0.0)
    if still >= TITLE_WINDOW - 1:
        return (0.0, min(still, TITLE_WINDOW))
    cut = next((c for c in t.get("cuts", []) if 3.5 <= c <= 8.0), None)
    if cut is not None:
        return (0.0, min(cut, TITLE_WINDOW))
    return None


def is_still(t: dict | None) -> bool:
    """The title card is one still picture (freezedetect from the start to 4 s or more)."""
    return any(s <= 0.5 and (e is None or e >= TITLE_WINDOW - 1) for s, e in (t or {}).get("freezes", []))


FIXED_TIMES = (1.0, 2.5, 4.0)  # kept for the reviewer when no title card was found


def choose_frames(t: dict, candidates: list[tuple[float, Path]]) -> list[tuple[float, Path]]:
    """Of the deep pass's candidate frames (time, picture) in the first 5 s, the ones to read: nearest to
    `frame_times` inside the card T located (a still, or the opening up to a cut); without a card, the
    ones nearest 1, 2.5 and 4 s (shown to the reviewer, not read)."""
    span = card_span(t)
    if span is None:
        wanted, inside = list(FIXED_TIMES), list(candidates)
    else:
        wanted = frame_times(span, is_still(t))
        inside = [c for c in candidates if span[0] <= c[0] < span[1] - 0.1] or list(candidates)
    chosen: list[tuple[float, Path]] = []
    for at in wanted:
        best = min(inside, key=lambda c: abs(c[0] - at), default=None)
        if best is not None and best not in chosen:
            chosen.append(best)
    return sorted(chosen)


def frame_times(span: tuple[float, float], still: bool) -> list[float]:
    start, end = span
    if still:  # freezedetect found the frames identical: one is enough
        return [round(start + (end - start) / 2, 2)]
    return [round(start + (end - start) * 0.4, 2), round(start + (end - start) * 0.85, 2)]


def titlecard_frames(path: Path, t: dict | None, out_dir: Path) -> list[tuple[float, Path]]:
    """PNG frames of the title card (first 5 s) by an ffmpeg seek; [] when T found no title card."""
    span = card_span(t)
    if span is None:
        return []
    frames = []
    for i, at in enumerate(frame_times(span, is_still(t))):
        out = out_dir / f"card-{i}.png"
        result = ffrun.run_ffmpeg(
            [
                "-v",
                "error",
                "-ss",
                f"{at:.2f}",
                "-i",
                str(Path(path).resolve()),
                "-frames:v",
                "1",
                "-vf",
                f"scale='min({FRAME_WIDTH},iw)':-2",
                "-y",
                str(out),
            ],
            duration=1.0,
            timeout=60,
            cwd=out_dir,
        )
        if result.returncode == 0 and out.exists() and out.stat().st_size:
            frames.append((at, out))
    return frames


def read_title_card(path: Path, t: dict | None, frames: list[tuple[float, Path]] | None = None) -> dict:
    """The O-tier measurement: recognised lines of the title-card frames (a fact about the file's bytes).

    FRAMES: the (time, picture) the deep pass kept (`choose_frames`); without them, frames are
    seeked with ffmpeg. A frame showing the same picture as one already read is not read again.
    """
    if card_span(t) is None:
        return {"card": False, "lines": [], "text": "", "frames": []}
    with tempfile.TemporaryDirectory(prefix="station-ocr-") as tmp:
        source = "v-decode" if frames else "seek"
        if not frames:
            frames = titlecard_frames(path, t, Path(tmp))
        lines: list[tuple[str, float]] = []
        errors: list[str] = []
        read: list = []  # the pictures read so far (arrays)
        same: list[float] = []
        for at, image in frames:
            try:
                bgr = picture(image)
                if any(same_picture(bgr, earlier) for earlier in read):
                    same.append(at)
                    continue
                read.append(bgr)
                found = recognise(bgr)
            except OcrUnavailable:
                raise
            except ImportError as e:  # OpenCV or numpy missing: the engine cannot run either
                raise OcrUnavailable(f"{type(e).__name__}: {e}") from e
            except Exception as e:  # a frame the engine cannot take is a finding, never a traceback
                errors.append(f"{at:.2f} s: {type(e).__name__}: {str(e)[:120]}")
                continue
            for text, score in found:
                if text not in [x for x, _ in lines]:
                    lines.append((text, score))
    return {
        "card": True,
        "engine": engine_version(),
        "source": source,
        "frames": [at for at, _ in frames],
        "same": same,  # frames not read: the same picture as one read before
        "lines": [list(x) for x in lines],
        "text": " / ".join(x for x, _ in lines),
        "errors": errors,
    }
