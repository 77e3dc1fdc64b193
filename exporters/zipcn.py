"""ZIP archives whose Chinese names read correctly everywhere: on Chinese Windows and in Unicode-aware tools.

Each name is stored in CP936 (GBK) without the UTF-8 flag (bit 11), which is what the Windows shell, WinRAR
and 360压缩 on a Chinese system expect, plus the Info-ZIP Unicode Path extra field (0x7075) carrying the UTF-8
name and the CRC-32 of the CP936 bytes, which unar/lsar, bsdtar, 7-Zip and Bandizip prefer. A name that CP936
cannot encode is stored in UTF-8 with the flag set (no extra field needed).
"""

from __future__ import annotations

import os
import shutil
import struct
import time
import zipfile
import zlib
from pathlib import Path

from exporters.files import write_atomic

UNICODE_PATH = 0x7075
ENCODING = "cp936"
# Already compressed: stored as is (deflating a video costs minutes and saves nothing).
STORED_SUFFIXES = {
    ".mp4",
    ".m4v",
    ".mov",
    ".mp3",
    ".m4a",
    ".aac",
    ".jpg",
    ".jpeg",
    ".png",
    ".zip",
    ".rar",
    ".7z",
    ".docx",
    ".xlsx",
    ".pptx",
    ".flv",
    ".wmv",
    ".avi",
    ".mkv",
}
CHUNK = 1 << 20


def unicode_path_extra(native: bytes, name: str) -> bytes:
    """The Info-ZIP Unicode Path extra field: version 1, CRC-32 of the header's name bytes, the UTF-8 name."""
    body = struct.pack("<BI", 1, zlib.crc32(native)) + name.encode("utf-8")
    return struct.pack("<HH", UNICODE_PATH, len(body)) + body


class CnInfo(zipfile.ZipInfo):
    """An entry whose header name is CP936 without the UTF-8 flag (or UTF-8 with the flag when CP936 fails)."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        try:
            return self.filename.encode(ENCODING), self.flag_bits & ~0x800
        except UnicodeEncodeError:
            return self.filename.encode("utf-8"), self.flag_bits | 0x800


def entry(name: str, date_time: tuple | None = None, is_dir: bool = False) -> CnInfo:
    """A ZipInfo for NAME (posix separators), with the Unicode Path field when the name is stored in CP936."""
    name = name.rstrip("/") + ("/" if is_dir else "")
    info = CnInfo(name, date_time=date_time or time.localtime()[:6])
    try:
        native = name.encode(ENCODING)
    except UnicodeEncodeError:
        native = None
    if native is not None and not name.isascii():
        info.extra = unicode_path_extra(native, name)
    if is_dir:
        info.external_attr = (0o40755 << 16) | 0x10
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = 0o644 << 16
    return info


def write_tree(path: Path, root: Path, top: str | None = None) -> int:
    """Write ROOT's files into the ZIP at PATH (atomically), under the folder TOP (default ROOT's name).
    Returns the number of file entries."""
    top = top if top is not None else root.name
    count = 0

    def produce(tmp: Path) -> None:
        nonlocal count
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            if top:
                zf.writestr(entry(top, is_dir=True), b"")
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                rel_dir = Path(dirpath).relative_to(root)
                for d in dirnames:
                    zf.writestr(entry(_join(top, rel_dir / d), is_dir=True), b"")
                for f in sorted(filenames):
                    src = Path(dirpath) / f
                    add_file(zf, src, _join(top, rel_dir / f))
                    count += 1

    write_atomic(Path(path), produce)
    return count


def write_entries(path: Path, entries: list[tuple[Path, str]]) -> int:
    """Write the ZIP at PATH (atomically) holding each SOURCE file under its NAME (posix path), with an entry for
    every folder on the way, in order. Returns the number of file entries."""

    def produce(tmp: Path) -> None:
        seen: set[str] = set()
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            for src, name in sorted(entries, key=lambda e: e[1]):
                parts = name.split("/")
                for i in range(1, len(parts)):
                    folder = "/".join(parts[:i])
                    if folder not in seen:
                        seen.add(folder)
                        zf.writestr(entry(folder, is_dir=True), b"")
                add_file(zf, src, name)

    write_atomic(Path(path), produce)
    return len(entries)


def add_file(zf: zipfile.ZipFile, src: Path, name: str) -> None:
    st = src.stat()
    info = entry(name, date_time=_dos_time(st.st_mtime))
    suffix = name.rsplit("/", 1)[-1].rpartition(".")[2].lower()  # by the entry's name: a stored object has no suffix
    info.compress_type = zipfile.ZIP_STORED if f".{suffix}" in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    info.file_size = st.st_size
    with open(src, "rb") as fin, zf.open(info, "w", force_zip64=st.st_size > 0x7FFF0000) as fout:
        shutil.copyfileobj(fin, fout, CHUNK)


def _join(top: str, rel: Path) -> str:
    parts = [p for p in (top, rel.as_posix()) if p and p != "."]
    return "/".join(parts)


def _dos_time(mtime: float) -> tuple:
    t = time.localtime(max(mtime, 315532800))  # ZIP cannot hold dates before 1980
    return t[:6]
