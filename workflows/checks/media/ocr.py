"""Tier O: read the text of the title card (OCR) and match it with a work's fields.

The engine is RapidOCR (`rapidocr-onnxruntime`): PP-OCRv4 detection and recognition models in
ONNX form, shipped inside its wheel, run by onnxruntime on the CPU. Nothing is downloaded at
run time (`station doctor` loads it with the network unshared in its test). `benchmarks/ocr.py`
measured it against Tesseract `chi_sim` and is the reason for the choice.

The frames come from ONE function, `titlecard_frames`, so that the deep pass can later hand
over the title-card frame of its own decode instead of a seek.
"""

from __future__ import annotations

import functools
import tempfile
import threading
from pathlib import Path

from workflows.checks.media import ffrun

ENGINE = "rapidocr-onnxruntime"
FRAME_WIDTH = 960  # frames are scaled down to this width before detection (benchmarks/ocr.py: no field lost)
DETECT_SIDE = 736  # the detector's input: longest side (1280/960 cost 30 % more CPU for no field more)
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
        return RapidOCR(det_limit_side_len=DETECT_SIDE, det_limit_type="max", print_verbose=False)
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


def recognise(image: Path | str) -> list[tuple[str, float]]:
    """The text lines of one picture, top to bottom, with their confidence."""
    with _LOCK:
        result, _ = _engine()(str(image), use_cls=False)
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
    still = any(s <= 0.5 and (e is None or e >= TITLE_WINDOW - 1) for s, e in (t or {}).get("freezes", []))
    frames = []
    for i, at in enumerate(frame_times(span, still)):
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


def read_title_card(path: Path, t: dict | None) -> dict:
    """The O-tier measurement: recognised lines of the title-card frames (a fact about the file's bytes)."""
    if card_span(t) is None:
        return {"card": False, "lines": [], "text": "", "frames": []}
    with tempfile.TemporaryDirectory(prefix="station-ocr-") as tmp:
        frames = titlecard_frames(path, t, Path(tmp))
        lines: list[tuple[str, float]] = []
        errors = []
        for at, image in frames:
            try:
                read = recognise(image)
            except OcrUnavailable:
                raise
            except Exception as e:  # a frame the engine cannot take is a finding, never a traceback
                errors.append(f"{at:.2f} s: {type(e).__name__}: {str(e)[:120]}")
                continue
            for text, score in read:
                if text not in [x for x, _ in lines]:
                    lines.append((text, score))
    return {
        "card": True,
        "engine": engine_version(),
        "frames": [at for at, _ in frames],
        "lines": [list(x) for x in lines],
        "text": " / ".join(x for x, _ in lines),
        "errors": errors,
    }
