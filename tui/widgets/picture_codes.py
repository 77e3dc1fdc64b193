"""A small picture as terminal graphics: Kitty graphics protocol (Unicode placeholders) and Sixel.

Kitty: the picture is sent once (`a=T,U=1`: transmit and make a virtual placement of C x R cells, no answer
wanted `q=2`) and drawn by placeholder text: in each cell U+10EEEE with two combining marks naming its row
and column, in a foreground colour naming the image. The terminal draws the picture wherever that text is,
so it scrolls, crops and is painted over like any text, and a stale picture cannot stay behind. The colour
must arrive unchanged: Textual writes colours as 24-bit (`38;2;r;g;b`, the id is r<<16|g<<8|b) on a
truecolor terminal and as the nearest of the 256 palette colours (`38;5;n`, the id is n) otherwise, so the
ids are colours of the 6x6x6 palette cube that survive both ways.

Sixel: the picture (or the part of it on screen) is encoded as a DCS sixel string in at most 64 colours;
pixels outside the picture are transparent (P2=1), so the cells' own background shows around it.

Why not textual-image: it asks the terminal at import time (before the app, one question per 0.1 s), its
Kitty renderable writes straight to sys.__stdout__ outside Textual's frames with random ids of 32 bits
(a 256-colour terminal loses them), and the Sixel encoding is the twenty lines below.

PIL is imported when a picture is first drawn, never before the first frame.
"""

from __future__ import annotations

import base64
import io
import re
from functools import lru_cache
from pathlib import Path

PLACEHOLDER = "\U0010eeee"
# The first row/column diacritics of the Kitty protocol (rowcolumn-diacritics.txt): index n names row/column n.
DIACRITICS = (
    "\u0305\u030d\u030e\u0310\u0312\u033d\u033e\u033f\u0346\u034a\u034b\u034c\u0350\u0351\u0352\u0357"
    "\u035b\u0363\u0364\u0365\u0366\u0367\u0368\u0369\u036a\u036b\u036c\u036d\u036e\u036f\u0483\u0484"
)
CHUNK = 4096  # base64 characters per Kitty command (the protocol's limit)
# Sixel colours per picture: measured on the test storyboard at 110x120 px, 255 colours made 9.8 KB and 16 ms
# per picture, 64 made 4.4 KB and 6 ms; a scroll key repaints every visible picture (about 12), so 64
SIXEL_COLOURS = 64
_SIXEL_CHARS = bytes(range(0x3F, 0x3F + 64)) + bytes(192)
_RUN = re.compile(rb"(.)\1{3,}")


@lru_cache(maxsize=1)
def kitty_palette() -> tuple[tuple[int, tuple[int, int, int]], ...]:
    """(palette index, its RGB) of the cube colours whose RGB downgrades to the same index again."""
    from rich.color import Color, ColorSystem

    out = []
    for n in range(16, 232):
        rgb = Color.from_ansi(n).get_truecolor()
        if Color.from_rgb(*rgb).downgrade(ColorSystem.EIGHT_BIT).number == n:
            out.append((n, (rgb.red, rgb.green, rgb.blue)))
    return tuple(out)


def kitty_image_id(slot: int, truecolor: bool) -> tuple[int, tuple[int, int, int]]:
    """The Kitty image id of palette SLOT and the foreground RGB that names it."""
    n, rgb = kitty_palette()[slot % len(kitty_palette())]
    return ((rgb[0] << 16) | (rgb[1] << 8) | rgb[2] if truecolor else n), rgb


def boxed(path: Path, cell: tuple[int, int], cols: int, rows: int):
    """The picture at PATH fitted into COLS x ROWS cells of CELL pixels, aspect kept, centred on transparency."""
    from PIL import Image

    width, height = cols * cell[0], rows * cell[1]
    with Image.open(path) as img:
        img = img.convert("RGB")
        scale = min(width / img.width, height / img.height)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        small = img.resize(size, Image.Resampling.LANCZOS)
    box = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    box.paste(small, ((width - size[0]) // 2, (height - size[1]) // 2))
    return box


def kitty_transmit(image_id: int, picture, cols: int, rows: int) -> str:
    """Send PICTURE (a PIL image) as PNG and place it virtually over COLS x ROWS placeholder cells."""
    data = io.BytesIO()
    picture.save(data, "PNG")
    payload = base64.standard_b64encode(data.getvalue()).decode("ascii")
    chunks = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)] or [""]
    out = []
    for k, chunk in enumerate(chunks):
        more = 1 if k < len(chunks) - 1 else 0
        keys = f"a=T,U=1,i={image_id},c={cols},r={rows},f=100,q=2,m={more}" if k == 0 else f"q=2,m={more}"
        out.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(out)


def kitty_free(image_ids) -> str:
    """The command that frees the images (their placements and data) in the terminal."""
    return "".join(f"\x1b_Ga=d,d=I,i={i},q=2\x1b\\" for i in sorted(image_ids))


def kitty_row(row: int, first: int, last: int) -> str:
    """Placeholder text for ROW of a picture, columns FIRST..LAST-1."""
    mark = DIACRITICS[row]
    return "".join(PLACEHOLDER + mark + DIACRITICS[c] for c in range(first, last))


def _runs(line: bytes) -> bytes:
    return _RUN.sub(lambda m: b"!%d%c" % (len(m.group(0)), m.group(1)[0]), line)


def sixel(picture, colours: int = SIXEL_COLOURS) -> str:
    """PICTURE (a PIL RGBA image) as a DCS sixel string; transparent pixels are left untouched."""
    from PIL import Image

    width, height = picture.size
    alpha = picture.getchannel("A").tobytes()
    quantized = picture.convert("RGB").quantize(colors=colours, dither=Image.Dither.NONE)
    index = quantized.tobytes()
    palette = quantized.getpalette() or []
    out = [b'\x1bP0;1;0q"1;1;%d;%d' % (width, height)]
    used = sorted({index[i] for i in range(len(index)) if alpha[i] >= 128})
    for n in used:
        r, g, b = palette[3 * n : 3 * n + 3]
        out.append(b"#%d;2;%d;%d;%d" % (n, r * 100 // 255, g * 100 // 255, b * 100 // 255))
    for top in range(0, height, 6):
        bands: dict[int, bytearray] = {}
        for r in range(min(6, height - top)):
            base, bit = (top + r) * width, 1 << r
            for x in range(width):
                if alpha[base + x] >= 128:
                    colour = index[base + x]
                    line = bands.get(colour)
                    if line is None:
                        line = bands[colour] = bytearray(width)
                    line[x] |= bit
        out.append(
            b"$".join(
                b"#%d%s" % (c, _runs(bytes(line).translate(_SIXEL_CHARS).rstrip(b"?"))) for c, line in bands.items()
            )
        )
        out.append(b"-")
    out.append(b"\x1b\\")
    return b"".join(out).decode("ascii")
