"""Matching recognised title-card text with a work's fields: normalised, tolerant of one misread character.

Used by the rule `video.titlecard.text` and by `benchmarks/ocr.py` (the benchmark scores with the rule's
own matching).
"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)  # spaces, punctuation, 《》「」 and the like
_REGION = re.compile(r"^(.{1,6}?(省|市|区|县))+")


def normalise(text: str) -> str:
    """Full width to half width (NFKC), no spaces or punctuation (《》 included), lower case."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def _near(needle: str, hay: str, errors: int) -> bool:
    """Is `needle` in `hay` with at most `errors` substitutions, insertions or deletions (Sellers)?"""
    if not needle:
        return False
    if needle in hay:
        return True
    if errors <= 0:
        return False
    row = [0] * (len(hay) + 1)
    for i, a in enumerate(needle, 1):
        prev_diag, row[0] = row[0], i
        for j, b in enumerate(hay, 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev_diag + (a != b))
            prev_diag, row[j] = row[j], cur
        if min(row) > errors:
            return False
    return min(row) <= errors


def allowed_errors(kind: str, value: str) -> int:
    """One wrong character in a name of 3 or more characters; none in a two-character name (one of two
    characters wrong is another person); one in ten for a title or unit."""
    if kind == "teacher":
        return 1 if len(value) >= 3 else 0
    return max(1, len(value) // 10) if len(value) >= 4 else 0


def find(kind: str, value: str, text: str) -> bool:
    hay = normalise(text)
    needle = normalise(value)
    if _near(needle, hay, allowed_errors(kind, needle)):
        return True
    if kind == "unit":  # the card may leave out the province/city/district the form spells out
        short = normalise(_REGION.sub("", value))
        return len(short) >= 4 and short != needle and _near(short, hay, allowed_errors(kind, short))
    return False
