"""Reading submission packages (folders and archives) without trusting them.

Every reader lists its entries first, so the listing can be judged before a
byte is extracted, and then streams the wanted files, in archive order, into
sinks (the content store) without writing anything to disk itself.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Protocol

import libarchive
import py7zr
import py7zr.io
import rarfile

from store.labels import size_text
from workflows import configure

ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z")
CHUNK = 1024 * 1024


class ArchiveError(Exception):
    rule = "archive.corrupt"


class ArchiveEncrypted(ArchiveError):
    rule = "archive.encrypted"


class ArchiveCorrupt(ArchiveError):
    rule = "archive.corrupt"


@dataclass
class Entry:
    name: str  # as stored, '/'-separated
    size: int
    compressed: int | None = None
    is_dir: bool = False
    is_link: bool = False
    is_special: bool = False  # device, fifo, socket
    encrypted: bool = False


class Sink(Protocol):
    def write(self, data: bytes) -> int: ...


# open_sink(entry_name) returns a sink, or None to skip the entry;
# close_sink(entry_name, sink) is called once the entry is complete.
OpenSink = Callable[[str], "Sink | None"]
CloseSink = Callable[[str, Sink], None]


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in ARCHIVE_SUFFIXES


def is_later_volume(path: Path) -> bool:
    """part2.rar, part3.rar...: read through part1, not on their own."""
    m = re.search(r"\.part(\d+)$", path.stem, re.IGNORECASE)
    return path.suffix.lower() == ".rar" and m is not None and int(m.group(1)) > 1


def open_reader(path: Path):
    configure.process()  # UTF-8 names from libarchive, unar for RAR (once per process)
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as e:
        raise ArchiveCorrupt(f"无法读取：{e.strerror}") from e
    if magic.startswith(b"PK"):
        return ZipReader(path)
    if magic.startswith(b"Rar!\x1a\x07"):
        return RarReader(path)
    if magic.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SevenZipReader(path)
    if not magic:
        raise ArchiveCorrupt("文件为空")
    raise ArchiveCorrupt("不是可识别的 ZIP/RAR/7z 压缩包（文件头不符）")


class DirReader:
    """A folder on disk, read with the same interface as an archive."""

    def __init__(self, root: Path):
        self.root = root

    def entries(self) -> list[Entry]:
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            base = Path(dirpath)
            for name in dirnames + filenames:
                full = base / name
                st = full.lstat()
                rel = full.relative_to(self.root).as_posix()
                out.append(
                    Entry(
                        name=rel,
                        size=st.st_size if stat.S_ISREG(st.st_mode) else 0,
                        is_dir=stat.S_ISDIR(st.st_mode),
                        is_link=stat.S_ISLNK(st.st_mode),
                        is_special=not (
                            stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)
                        ),
                    )
                )
        return out

    def extract(self, open_sink: OpenSink, close_sink: CloseSink) -> None:
        for entry in self.entries():
            if entry.is_dir or entry.is_link or entry.is_special:
                continue
            sink = open_sink(entry.name)
            if sink is None:
                continue
            with open(self.root / entry.name, "rb", buffering=0) as f:
                while chunk := f.read(CHUNK):
                    sink.write(chunk)
            close_sink(entry.name, sink)


def zip_name(info: zipfile.ZipInfo) -> str:
    """The entry's real name: UTF-8 when flagged, else UTF-8 if it decodes, else GBK (Chinese Windows)."""
    if info.flag_bits & 0x800:
        return info.orig_filename
    raw = info.orig_filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


class ZipReader:
    def __init__(self, path: Path):
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise ArchiveCorrupt(f"ZIP 压缩包已损坏：{e}") from e

    def _items(self) -> Iterable[tuple[zipfile.ZipInfo, Entry]]:
        for info in self.zf.infolist():
            mode = info.external_attr >> 16
            unix = info.create_system == 3 and mode
            yield (
                info,
                Entry(
                    name=zip_name(info),
                    size=info.file_size,
                    compressed=info.compress_size,
                    is_dir=info.is_dir(),
                    is_link=bool(unix and stat.S_ISLNK(mode)),
                    is_special=bool(
                        unix
                        and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode))
                    ),
                    encrypted=bool(info.flag_bits & 0x1),
                ),
            )

    def entries(self) -> list[Entry]:
        return [entry for _, entry in self._items()]

    def extract(self, open_sink: OpenSink, close_sink: CloseSink) -> None:
        for info, entry in self._items():
            if entry.is_dir:
                continue
            sink = open_sink(entry.name)
            if sink is None:
                continue
            try:
                with self.zf.open(info) as f:
                    while chunk := f.read(CHUNK):
                        sink.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as e:
                raise ArchiveCorrupt(f"解压 {entry.name} 失败：{e}") from e
            close_sink(entry.name, sink)


class RarReader:
    """Listing by rarfile; RAR5 streams through libarchive, the rest through unar."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.rf = rarfile.RarFile(path)
            self.encrypted_headers = self.rf.needs_password() and not self.rf.infolist()
        except rarfile.NeedFirstVolume as e:
            raise ArchiveCorrupt("这是分卷压缩包的后续分卷，缺少第一卷（part1）") from e
        except rarfile.Error as e:
            raise ArchiveCorrupt(f"RAR 压缩包已损坏：{e}") from e
        with open(path, "rb") as f:
            self.rar5 = f.read(8) == b"Rar!\x1a\x07\x01\x00"
        self.multivolume = len(self.rf.volumelist()) > 1

    def entries(self) -> list[Entry]:
        if self.encrypted_headers:
            raise ArchiveEncrypted("压缩包的文件名也已加密，无法查看内容")
        return [
            Entry(
                name=i.filename,
                size=i.file_size,
                compressed=i.compress_size,
                is_dir=i.is_dir(),
                is_link=i.is_symlink(),
                encrypted=i.needs_password(),
            )
            for i in self.rf.infolist()
        ]

    def extract(self, open_sink: OpenSink, close_sink: CloseSink) -> None:
        if self.rar5 and not self.multivolume:
            _libarchive_extract(self.path, open_sink, close_sink)
            return
        for info in self.rf.infolist():
            if info.is_dir() or info.is_symlink():
                continue
            sink = open_sink(info.filename)
            if sink is None:
                continue
            try:
                with self.rf.open(info) as f:
                    while chunk := f.read(CHUNK):
                        sink.write(chunk)
            except (rarfile.Error, OSError) as e:
                raise ArchiveCorrupt(f"解压 {info.filename} 失败：{e}") from e
            close_sink(info.filename, sink)


def _libarchive_extract(path: Path, open_sink: OpenSink, close_sink: CloseSink) -> None:
    try:
        with libarchive.file_reader(str(path)) as archive:
            for entry in archive:
                if not entry.isfile:
                    continue
                sink = open_sink(entry.pathname)
                if sink is None:
                    continue
                for block in entry.get_blocks():
                    sink.write(block)
                close_sink(entry.pathname, sink)
    except libarchive.ArchiveError as e:
        raise ArchiveCorrupt(f"解压失败：{e}") from e


class SevenZipReader:
    def __init__(self, path: Path):
        self.path = path
        try:
            with py7zr.SevenZipFile(path) as z:
                self.encrypted = z.needs_password()
                self.infos = z.list()
        except py7zr.PasswordRequired as e:
            raise ArchiveEncrypted("压缩包的文件名也已加密，无法查看内容") from e
        except (py7zr.Bad7zFile, py7zr.exceptions.ArchiveError, OSError, EOFError, ValueError) as e:
            raise ArchiveCorrupt(f"7z 压缩包已损坏：{e}") from e

    def entries(self) -> list[Entry]:
        if self.encrypted and not self.infos:
            raise ArchiveEncrypted("压缩包的文件名也已加密，无法查看内容")
        return [
            Entry(
                name=i.filename,
                size=i.uncompressed or 0,
                compressed=i.compressed,
                is_dir=i.is_directory,
                is_link=i.is_symlink,
                encrypted=self.encrypted,
            )
            for i in self.infos
        ]

    def extract(self, open_sink: OpenSink, close_sink: CloseSink) -> None:
        wanted = {}
        for info in self.infos:
            if info.is_directory or info.is_symlink:
                continue
            sink = open_sink(info.filename)
            if sink is not None:
                wanted[info.filename] = sink

        class Product(py7zr.io.Py7zIO):
            def __init__(self, name):
                self.name, self.n = name, 0

            def write(self, s):
                self.n += len(s)
                return wanted[self.name].write(bytes(s))

            def read(self, size=None):
                return b""

            def seek(self, offset, whence=0):
                return 0

            def flush(self):
                pass

            def size(self):
                return self.n

            def close(self):
                close_sink(self.name, wanted[self.name])

        class Factory(py7zr.io.WriterFactory):
            def create(self, filename):
                return Product(filename)

        if not wanted:
            return
        try:
            with py7zr.SevenZipFile(self.path) as z:
                z.extract(targets=list(wanted), factory=Factory())
        except (
            py7zr.Bad7zFile,
            py7zr.exceptions.ArchiveError,
            py7zr.exceptions.CrcError,
            OSError,
            EOFError,
            ValueError,
        ) as e:
            raise ArchiveCorrupt(f"解压失败：{e}") from e


# --- judging a listing -----------------------------------------------------------------


@dataclass
class Problem:
    rule: str
    message: str
    measured: str | None = None
    expected: str | None = None


def name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def unsafe_name(name: str) -> str | None:
    if not name or "\x00" in name:
        return "文件名为空或含有空字符"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "使用了绝对路径"
    if ".." in name.replace("\\", "/").split("/"):
        return "含有“..”，会写到目录之外"
    return None


def judge(entries: list[Entry], limits) -> list[Problem]:
    """Everything that makes a listing unsafe to extract, worst first."""
    problems: list[Problem] = []
    encrypted = [e.name for e in entries if e.encrypted]
    if encrypted:
        problems.append(
            Problem(
                "archive.encrypted",
                f"加密压缩包：{len(encrypted)} 个文件需要密码（如 {encrypted[0]}），请学校提供未加密的压缩包",
                measured=f"{len(encrypted)} 个加密文件",
                expected="不加密",
            )
        )
    seen: dict[str, str] = {}
    for e in entries:
        why = unsafe_name(e.name)
        if why:
            problems.append(
                Problem("archive.unsafe", f"不安全的压缩包：条目“{e.name}”{why}", measured=e.name, expected="相对路径")
            )
        elif e.is_link:
            problems.append(
                Problem(
                    "archive.unsafe", f"不安全的压缩包：条目“{e.name}”是符号链接", measured=e.name, expected="普通文件"
                )
            )
        elif e.is_special:
            problems.append(
                Problem(
                    "archive.unsafe",
                    f"不安全的压缩包：条目“{e.name}”是设备或特殊文件",
                    measured=e.name,
                    expected="普通文件",
                )
            )
        key = name_key(e.name.rstrip("/"))
        if key in seen and not e.is_dir:
            problems.append(
                Problem(
                    "archive.unsafe",
                    f"不安全的压缩包：“{seen[key]}”与“{e.name}”在不区分大小写时重名，解压会互相覆盖",
                    measured=e.name,
                    expected="文件名互不相同",
                )
            )
        seen.setdefault(key, e.name)
    total = sum(e.size for e in entries)
    if len(entries) > limits.max_entries:
        problems.append(
            Problem(
                "archive.too_large",
                f"压缩包条目过多：{len(entries)} 个，上限 {limits.max_entries} 个",
                measured=str(len(entries)),
                expected=f"≤ {limits.max_entries}",
            )
        )
    if total > limits.max_total_bytes:
        problems.append(
            Problem(
                "archive.too_large",
                f"压缩包解压后过大：{size_text(total)}，上限 {size_text(limits.max_total_bytes)}",
                measured=str(total),
                expected=f"≤ {limits.max_total_bytes}",
            )
        )
    for e in entries:
        if e.compressed and e.size > CHUNK and e.size / e.compressed > limits.max_ratio:
            problems.append(
                Problem(
                    "archive.too_large",
                    f"疑似压缩炸弹：“{e.name}”压缩比 {e.size // e.compressed}:1，上限 {limits.max_ratio}:1",
                    measured=f"{e.size // e.compressed}:1",
                    expected=f"≤ {limits.max_ratio}:1",
                )
            )
            break
    return problems


def listing(path: Path, limit: int = 1000) -> dict:
    """What a nested archive holds, for the record (never extracted)."""
    try:
        entries = open_reader(path).entries()
    except ArchiveError as e:
        return {"error": e.rule, "message": str(e)}
    return {
        "count": len(entries),
        "bytes": sum(e.size for e in entries),
        "entries": [{"name": e.name, "size": e.size} for e in entries[:limit]],
        "problems": [p.message for p in judge(entries, _NoLimits())],
    }


class _NoLimits:
    max_entries = 10**9
    max_total_bytes = 10**18
    max_ratio = 10**9


def pure(name: str) -> PurePosixPath:
    return PurePosixPath(unicodedata.normalize("NFC", name.replace("\\", "/")).strip("/"))
