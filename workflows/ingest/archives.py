"""Reading submission packages (folders and archives) without trusting them.

Every reader lists its entries first, so the listing can be judged before a
byte is extracted, and then streams the wanted files, in archive order, into
sinks (the content store) without writing anything to disk itself.
"""

from __future__ import annotations

import errno
import lzma
import os
import re
import stat
import struct
import threading
import time
import unicodedata
import zipfile
import zlib
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
# Whole-archive expansion: a package expanding to more than ARCHIVE_RATIO_FLOOR at more than
# ARCHIVE_RATIO:1 overall is a bomb even when no single entry is (600 x 1 MiB of zeros).
ARCHIVE_RATIO = 100
ARCHIVE_RATIO_FLOOR = 64 * 2**20
PATH_MAX = 4096
# Windows cannot create these names (any extension); Linux can, and the content store names objects by hash.
# unar (RAR 2-4 and multi-volume RAR) is a separate program: one that produces nothing for this long is stopped
# and the archive reported, so that a crafted archive cannot hang an import.
UNAR_STALL_SECONDS = 120.0
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


class ArchiveError(Exception):
    rule = "archive.corrupt"


class ArchiveEncrypted(ArchiveError):
    rule = "archive.encrypted"


class ArchiveCorrupt(ArchiveError):
    rule = "archive.corrupt"


class ArchiveBomb(ArchiveError):
    rule = "archive.too_large"


class _Counted:
    """Counts what a reader writes into SINK, to hold it against the size the archive declares."""

    def __init__(self, sink):
        self.sink, self.n = sink, 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return self.sink.write(data)


def _verified(declared: dict[str, int], open_sink, close_sink):
    """OPEN_SINK/CLOSE_SINK that refuse an entry whose extracted size differs from its header (RAR5 file
    references, truncated members): such an entry is `archive.corrupt`, never a silently short file."""

    def opened(name: str):
        sink = open_sink(name)
        return None if sink is None else _Counted(sink)

    def closed(name: str, counted: _Counted) -> None:
        want = declared.get(name)
        if want is not None and counted.n != want:
            raise ArchiveCorrupt(
                f"“{name}”解压得到 {counted.n} 字节，压缩包声明 {want} 字节（条目已损坏或只是对其他文件的引用）"
            )
        close_sink(name, counted.sink)

    return opened, closed


@dataclass
class Entry:
    name: str  # as stored, '/'-separated
    size: int
    compressed: int | None = None
    is_dir: bool = False
    is_link: bool = False
    is_special: bool = False  # device, fifo, socket
    encrypted: bool = False
    error: str | None = None  # a folder entry that could not be read (permission, ...), in Chinese
    raw: tuple[str, ...] = ()  # a folder entry's names as the OS gives them (may hold undecodable bytes)


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


class SourceUnreadable(ArchiveError):
    """The share itself denies reading (permissions, special file, ...): nothing of it was read."""

    rule = "source.unreadable"


def os_why(e: OSError) -> str:
    """Why the OS refused, in Chinese."""
    return {
        errno.EACCES: "没有读取权限",
        errno.EPERM: "没有读取权限",
        errno.ENAMETOOLONG: "路径过长",
        errno.ELOOP: "是符号链接",
        errno.ENOENT: "文件已不存在",
        errno.ENXIO: "是管道或设备文件",
    }.get(e.errno or 0, e.strerror or type(e).__name__)


def display_name(name: str) -> str:
    """A name from the OS as safe text: bytes that are not UTF-8 (GBK names from Chinese Windows shares)
    are decoded as GB18030; anything still undecodable becomes U+FFFD. Never holds surrogates."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace")


def special_kind(mode: int) -> str | None:
    """'管道' etc. for anything that is neither a regular file, a folder nor a link."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "管道（FIFO）"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "设备文件"


def open_regular(path: Path) -> int:
    """A read-only fd on PATH, which must be a regular file: never follows a link, never blocks on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.ENXIO, special_kind(mode) or "不是普通文件")
        os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_reader(path: Path):
    configure.process()  # UTF-8 names from libarchive, unar for RAR (once per process)
    try:
        st = os.lstat(path)
    except OSError as e:
        raise SourceUnreadable(f"无法读取：{os_why(e)}") from e
    if stat.S_ISLNK(st.st_mode):
        raise SourceUnreadable("是符号链接，不跟随读取")
    if special_kind(st.st_mode):
        raise SourceUnreadable(f"是{special_kind(st.st_mode)}，不是普通文件，未读取")
    try:
        with os.fdopen(open_regular(path), "rb") as f:
            magic = f.read(8)
    except OSError as e:
        raise SourceUnreadable(f"无法读取：{os_why(e)}") from e
    if magic.startswith(b"PK"):
        return ZipReader(path)
    if magic.startswith(b"Rar!\x1a\x07"):
        return RarReader(path)
    if magic.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SevenZipReader(path)
    if not magic:
        raise ArchiveCorrupt("文件为空")
    raise ArchiveCorrupt("不是可识别的 ZIP/RAR/7z 压缩包（文件头不符）")


def walk(root: Path):
    """Everything under the folder ROOT as (names, lstat or None, error or None), parents first.

    Works through directory fds (openat), so no path is ever longer than one name (PATH_MAX does
    not apply), links are never followed and special files are never opened. A folder or entry
    that cannot be read is yielded with the reason instead of being skipped.
    """
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        fd = None
        try:
            fd = os.open(root, flags)
            for name in parts:
                nfd = os.open(name, flags, dir_fd=fd)
                os.close(fd)
                fd = nfd
            names = os.listdir(fd)  # directory order, as os.walk gives it (works keep their order)
        except OSError as e:
            if fd is not None:
                os.close(fd)
            yield parts, None, os_why(e)
            continue
        try:
            listed: list[tuple[str, os.stat_result | None, str | None]] = []
            for name in names:
                try:
                    listed.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False), None))
                except OSError as e:
                    listed.append((name, None, os_why(e)))
        finally:
            os.close(fd)
        subdirs = [n for n, st, _ in listed if st is not None and stat.S_ISDIR(st.st_mode)]
        folders = set(subdirs)
        for name, st, error in sorted(listed, key=lambda x: x[0] not in folders):  # stable: keeps readdir order
            yield parts + (name,), st, error  # folders first, then the rest, like os.walk's dirnames + filenames
        pending.extend(parts + (n,) for n in reversed(subdirs))


def open_at(root: Path, parts: tuple[str, ...]) -> int:
    """A read-only fd on the regular file ROOT/PARTS, through directory fds (no PATH_MAX, no links, no FIFOs)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(root, flags)
    try:
        for name in parts[:-1]:
            nfd = os.open(name, flags, dir_fd=fd)
            os.close(fd)
            fd = nfd
        ffd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
    finally:
        os.close(fd)
    try:
        mode = os.fstat(ffd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.ENXIO, special_kind(mode) or "不是普通文件")
        os.set_blocking(ffd, True)
        return ffd
    except BaseException:
        os.close(ffd)
        raise


class DirReader:
    """A folder on disk, read with the same interface as an archive.

    Entries that cannot be read (permissions, ...) are listed with `error` set; files that fail
    while being read are collected in `unreadable` (name, reason) instead of aborting the package.
    """

    def __init__(self, root: Path):
        self.root = root
        self.unreadable: list[tuple[str, str]] = []
        self._entries: list[Entry] | None = None

    def entries(self) -> list[Entry]:
        if self._entries is not None:
            return self._entries
        out = []
        for parts, st, error in walk(self.root):
            name = "/".join(display_name(p) for p in parts)
            if st is None:
                out.append(Entry(name=name, size=0, error=error, raw=parts))
                continue
            out.append(
                Entry(
                    name=name,
                    size=st.st_size if stat.S_ISREG(st.st_mode) else 0,
                    is_dir=stat.S_ISDIR(st.st_mode),
                    is_link=stat.S_ISLNK(st.st_mode),
                    is_special=special_kind(st.st_mode) is not None,
                    raw=parts,
                )
            )
        self._entries = out
        return out

    def extract(self, open_sink: OpenSink, close_sink: CloseSink) -> None:
        for entry in self.entries():
            if entry.is_dir or entry.is_link or entry.is_special or entry.error or not entry.raw:
                continue
            sink = open_sink(entry.name)
            if sink is None:
                continue
            try:
                with os.fdopen(open_at(self.root, entry.raw), "rb", buffering=0) as f:
                    while chunk := f.read(CHUNK):
                        sink.write(chunk)
            except OSError as e:  # the sink is left open: the caller aborts it
                self.unreadable.append((entry.name, os_why(e)))
                continue
            close_sink(entry.name, sink)


def zip_overlap(zf: zipfile.ZipFile, path: Path) -> str | None:
    """Entries whose data overlap (the Fifield bomb: one compressed kernel counted by every entry).
    Each entry's span is its local header (read from the file: name and extra lengths) plus its data."""
    spans = []
    with open(path, "rb") as f:
        for info in zf.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            if len(head) < 30 or head[:4] != b"PK\x03\x04":
                return f"条目“{info.orig_filename or '（无名）'}”的本地文件头位置不对"
            n, m = struct.unpack("<HH", head[26:30])
            spans.append((info.header_offset, info.header_offset + 30 + n + m + info.compress_size, info.orig_filename))
    spans.sort()
    for (s1, e1, n1), (s2, _, n2) in zip(spans, spans[1:]):
        if s2 < e1:
            return f"条目“{n1 or '（无名）'}”与“{n2 or '（无名）'}”的数据互相重叠"
    return None


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
            overlap = zip_overlap(self.zf, path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, NotImplementedError) as e:
            raise ArchiveCorrupt(f"ZIP 压缩包已损坏：{e}") from e
        if overlap:
            raise ArchiveBomb(f"疑似压缩炸弹：{overlap}，解压后会成倍膨胀，已拒收")

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
                    is_dir=info.filename.endswith("/"),  # ZipInfo.is_dir() fails on an empty name
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
        items = list(self._items())
        open_sink, close_sink = _verified({e.name: e.size for _, e in items}, open_sink, close_sink)
        for info, entry in items:
            if entry.is_dir or not entry.name:
                continue
            sink = open_sink(entry.name)
            if sink is None:
                continue
            try:
                with self.zf.open(info) as f:
                    while chunk := f.read(CHUNK):
                        sink.write(chunk)
            except (
                zipfile.BadZipFile,
                EOFError,
                OSError,
                ValueError,
                RuntimeError,
                NotImplementedError,
                zlib.error,
                lzma.LZMAError,
                struct.error,
            ) as e:
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
        except (rarfile.Error, OSError, EOFError, ValueError, struct.error, IndexError, KeyError) as e:
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
        declared = {i.filename: i.file_size for i in self.rf.infolist() if not (i.is_dir() or i.is_symlink())}
        open_sink, close_sink = _verified(declared, open_sink, close_sink)
        if self.rar5 and not self.multivolume:
            _libarchive_extract(self.path, open_sink, close_sink, set(declared))
            return
        for info in self.rf.infolist():
            if info.is_dir() or info.is_symlink():
                continue
            sink = open_sink(info.filename)
            if sink is None:
                continue
            watchdog = _Stall(UNAR_STALL_SECONDS)
            try:
                with self.rf.open(info) as f, watchdog.watch(f):
                    while chunk := f.read(CHUNK):
                        watchdog.tick()
                        sink.write(chunk)
            except (rarfile.Error, OSError) as e:
                if watchdog.fired:
                    raise ArchiveCorrupt(watchdog.message(info.filename)) from e
                raise ArchiveCorrupt(f"解压 {info.filename} 失败：{e}") from e
            if watchdog.fired:
                raise ArchiveCorrupt(watchdog.message(info.filename))
            close_sink(info.filename, sink)


class _Stall:
    """Kills the unar process behind a rarfile pipe that has produced no bytes for SECONDS."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._last = time.monotonic()
        self._done = threading.Event()

    def tick(self) -> None:
        self._last = time.monotonic()

    def message(self, name: str) -> str:
        return f"解压 {name} 超时：解压程序 {self.seconds:g} 秒没有输出，已停止（压缩包可能已损坏或被特意构造）"

    def watch(self, stream: object) -> _Stall:
        self._stream = stream
        self.tick()
        threading.Thread(target=self._run, name="unar-watchdog", daemon=True).start()
        return self

    def __enter__(self) -> _Stall:
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()

    def _run(self) -> None:
        while not self._done.wait(min(1.0, self.seconds / 4)):
            if time.monotonic() - self._last > self.seconds:
                proc = getattr(self._stream, "_proc", None)  # rarfile.PipeReader's unar process
                if proc is not None:
                    self.fired = True
                    proc.kill()
                return


def _libarchive_extract(path: Path, open_sink: OpenSink, close_sink: CloseSink, expected: set[str]) -> None:
    """Stream every file entry; an entry the listing declared but libarchive never produced
    (a RAR5 file reference it does not resolve) is `archive.corrupt`."""
    seen: set[str] = set()
    try:
        with libarchive.file_reader(str(path)) as archive:
            for entry in archive:
                name = entry.pathname
                if name is None:
                    raise ArchiveCorrupt("条目名称无法解码")
                seen.add(name)
                if not entry.isfile:
                    continue
                sink = open_sink(name)
                if sink is None:
                    continue
                for block in entry.get_blocks():
                    sink.write(block)
                close_sink(name, sink)
    except (libarchive.ArchiveError, OSError, ValueError) as e:
        raise ArchiveCorrupt(f"解压失败：{e}") from e
    missing = sorted(expected - seen)
    if missing:
        raise ArchiveCorrupt(f"“{missing[0]}”等 {len(missing)} 个条目无法解压（已损坏或只是对其他文件的引用）")


class SevenZipReader:
    def __init__(self, path: Path):
        self.path = path
        try:
            with py7zr.SevenZipFile(path) as z:
                self.encrypted = z.needs_password()
                self.infos = z.list()
        except py7zr.PasswordRequired as e:
            raise ArchiveEncrypted("压缩包的文件名也已加密，无法查看内容") from e
        except SEVEN_ZIP_ERRORS as e:  # a damaged encoded header raises _lzma.LZMAError, among others
            raise ArchiveCorrupt(f"7z 压缩包已损坏：{type(e).__name__} {e}") from e

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
        declared = {i.filename: i.uncompressed or 0 for i in self.infos if not (i.is_directory or i.is_symlink)}
        open_sink, close_sink = _verified(declared, open_sink, close_sink)
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
        closed: set[str] = set()
        plain_close = close_sink

        def close_once(name, sink):
            closed.add(name)
            plain_close(name, sink)

        close_sink = close_once
        try:
            with py7zr.SevenZipFile(self.path) as z:
                z.extract(targets=list(wanted), factory=Factory())
        except ArchiveError:
            raise
        except SEVEN_ZIP_ERRORS as e:
            raise ArchiveCorrupt(f"解压失败：{type(e).__name__} {e}") from e
        missing = sorted(set(wanted) - closed)
        if missing:
            raise ArchiveCorrupt(f"“{missing[0]}”等 {len(missing)} 个条目没有解压出来")


SEVEN_ZIP_ERRORS = (
    py7zr.Bad7zFile,
    py7zr.exceptions.ArchiveError,
    py7zr.exceptions.CrcError,
    py7zr.exceptions.UnsupportedCompressionMethodError,
    lzma.LZMAError,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    struct.error,
    NotImplementedError,
)


# --- judging a listing -----------------------------------------------------------------


@dataclass
class Problem:
    rule: str
    message: str
    measured: str | None = None
    expected: str | None = None
    status: str | None = None  # None: fail for archive.* and source.*, warn otherwise


def name_key(name: str) -> str:
    """What two entries share when they would land on the same file: '\\' is '/', './' and '//' vanish,
    composed and decomposed accents and case are the same (Windows, macOS)."""
    return pure(name).as_posix().casefold()


def unsafe_name(name: str) -> str | None:
    if not name or "\x00" in name or not pure(name).parts:
        return "文件名为空或含有空字符"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:([/\\]|$)", name):
        return "使用了绝对路径"
    if ".." in name.replace("\\", "/").split("/"):
        return "含有“..”，会写到目录之外"
    return None


def portability(name: str) -> str | None:
    """Why NAME cannot be copied to Windows as it is (reserved device names, ':' and the like), or None."""
    for part in pure(name).parts:
        if WINDOWS_RESERVED.match(part.rstrip(" .")):
            return f"“{part}”是 Windows 的保留名称"
        bad = sorted(set(re.findall(r'[:*?"<>|]', part)))
        if bad:
            return f"“{part}”含有 Windows 不允许的字符 {' '.join(bad)}"
    return None


def portability_problems(entries: list[Entry]) -> list[Problem]:
    """Names legal here but not on Windows: imported (objects are named by hash), with one warning."""
    odd = [(e.name, why) for e in entries if not e.is_dir and (why := portability(e.name))]
    if not odd:
        return []
    name, why = odd[0]
    more = f"等 {len(odd)} 个文件" if len(odd) > 1 else ""
    return [
        Problem(
            "name.portable",
            f"文件名“{name}”{more}在 Windows 上无法原样保存：{why}。已正常导入，"
            "转交其他单位前建议改名。通知未规定，仅作提示",
            measured=name,
            expected="Windows 可用的文件名",
            status="warn",
        )
    ]


def judge(entries: list[Entry], limits, packed: int | None = None) -> list[Problem]:
    """Everything that makes a listing unsafe to extract, worst first. PACKED: the archive's own size."""
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
        key = name_key(e.name) if not why else e.name
        if key in seen and not e.is_dir:
            problems.append(
                Problem(
                    "archive.unsafe",
                    f"不安全的压缩包：“{seen[key]}”与“{e.name}”规范化后重名（大小写、“\\”与“/”、“./”、“//”），"
                    "解压会互相覆盖",
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
    if packed and total > ARCHIVE_RATIO_FLOOR and total > packed * ARCHIVE_RATIO:
        problems.append(
            Problem(
                "archive.too_large",
                f"疑似压缩炸弹：{size_text(packed)} 的压缩包解压后为 {size_text(total)}，"
                f"整体压缩比 {total // packed}:1，上限 {ARCHIVE_RATIO}:1",
                measured=f"{total // packed}:1",
                expected=f"≤ {ARCHIVE_RATIO}:1",
            )
        )
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
