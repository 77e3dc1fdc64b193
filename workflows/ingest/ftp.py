"""Resumable FTP mirroring of teachers' submissions into a local spool.

Only the standard library (ftplib). The control connection runs in latin-1 so
the server's bytes pass through untouched: names are decoded as UTF-8, then
GB18030 (Chinese servers often list GBK without announcing UTF8), and every
command is sent back with the original bytes.
"""

from __future__ import annotations

import ftplib
import os
import re
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

Progress = Callable[[str, int, int], None]

_BLOCK = 64 * 1024
# "drwxr-xr-x 1 owner group 4096 Jan 01 12:00 name" (group is optional).
_LIST_LINE = re.compile(
    r"^(?P<kind>[-dl])\S*\s+\d+\s+\S+\s+(?:\S+\s+)?(?P<size>\d+)\s+"
    r"\S+\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})\s(?P<name>.+)$"
)
# MS-DOS / IIS style: "01-15-24  10:30AM       <DIR>          课程资源" or "... 1234 name".
_DOS_LINE = re.compile(
    r"^\d{1,2}-\d{1,2}-\d{2,4}\s+\d{1,2}:\d{2}\s*(?:[AaPp][Mm])?\s+(?:(?P<dir><DIR>)|(?P<size>\d+))\s+(?P<name>.+)$"
)


class FtpError(Exception):
    """A pull failed. `code` is stable (ftp.login, ...), `message` is for users."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


def redact(url: str) -> str:
    """The URL without its password: ftp://user@host:port/path."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url
    user = userinfo.partition(":")[0]
    netloc = f"{user}@{hostport}" if user else hostport
    return parts._replace(netloc=netloc).geturl()


def pull(url: str, spool: Path, progress: Progress | None = None, timeout: float = 60) -> Path:
    """Mirror ftp://user:pass@host:port/path into spool/<host_port>/<path...>.

    The path is a directory (mirrored recursively) or a single file; it is
    taken from the server's root. Returns the local path of the mirrored root.
    Files already complete locally are skipped, `name.part` files are resumed
    with REST. `progress(name, done_bytes, total_bytes)` is called as bytes
    arrive (name relative to the mirrored root); an exception it raises aborts
    the pull and propagates, leaving a `.part` to resume from.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "ftp" or not parts.hostname:
        raise FtpError("ftp.url", f"不是有效的 FTP 地址：{redact(url)}")
    host = parts.hostname
    try:
        port = parts.port or 21
    except ValueError:
        raise FtpError("ftp.url", f"FTP 地址中的端口无效：{redact(url)}") from None
    where = f"{host}:{port}"
    user = unquote(parts.username or "anonymous")
    password = unquote(parts.password or "")
    names = [_check_name(n) for n in unquote(parts.path).split("/") if n]
    remote = "/" + "/".join(names)
    local = Path(spool, f"{host}_{port}", *names)

    ftp = ftplib.FTP(encoding="latin-1", timeout=timeout)
    try:
        try:
            ftp.connect(host, port)
        except (OSError, EOFError, ftplib.Error) as exc:
            raise FtpError("ftp.connect", f"无法连接 FTP 服务器 {where}：{_reason(exc)}") from None
        try:
            ftp.login(_wire(user), _wire(password))
        except ftplib.error_perm as exc:
            raise FtpError(
                "ftp.login", f"登录 FTP 服务器 {where} 失败（用户 {user}），请检查用户名和密码：{_reason(exc)}"
            ) from None
        except (OSError, EOFError, ftplib.Error) as exc:
            raise FtpError("ftp.connect", f"无法连接 FTP 服务器 {where}：{_reason(exc)}") from None
        try:
            session = _Session(ftp, progress)
            raw, kind, size = session.locate(remote)
            if kind == "dir":
                session.mirror(raw, local, "")
            else:
                session.fetch(raw, local, local.name, size)
        except (OSError, EOFError, ftplib.Error) as exc:
            raise FtpError("ftp.transfer", f"从 FTP 服务器 {where} 下载 {remote} 时出错：{_reason(exc)}") from None
        try:
            ftp.quit()
        except (OSError, EOFError, ftplib.Error):
            pass
    finally:
        ftp.close()
    return local


class _Session:
    """One logged-in connection: locating, listing and fetching."""

    def __init__(self, ftp: ftplib.FTP, progress: Progress | None):
        self.ftp = ftp
        self.progress = progress
        feats = _features(ftp)
        if "UTF8" in feats:
            try:
                ftp.sendcmd("OPTS UTF8 ON")
            except ftplib.error_perm:
                pass
        self.mlsd = "MLST" in feats or "MLSD" in feats
        ftp.voidcmd("TYPE I")  # SIZE is refused in ASCII mode by some servers

    def locate(self, path: str) -> tuple[str, str, int | None]:
        """(raw path, "dir" or "file", size) of a Unicode path from the URL."""
        candidates = dict.fromkeys(path.encode(enc).decode("latin-1") for enc in ("utf-8", "gb18030"))
        for raw in candidates:
            try:
                self.ftp.cwd(raw)
                return raw, "dir", None
            except ftplib.error_perm:
                pass
            try:
                return raw, "file", self.ftp.size(raw)
            except ftplib.error_perm:
                pass
        raise FtpError("ftp.not_found", f"FTP 服务器上找不到 {path}")

    def mirror(self, raw_dir: str, local: Path, rel: str) -> None:
        local.mkdir(parents=True, exist_ok=True)
        for raw_name, kind, size in list(self.listdir(raw_dir)):
            name = _decode(raw_name)
            if kind == "dir" and name in (".", ".."):
                continue  # self/parent references some servers list
            _check_name(name)
            raw = raw_dir.rstrip("/") + "/" + raw_name
            child = f"{rel}/{name}" if rel else name
            if kind == "dir":
                self.mirror(raw, local / name, child)
            elif kind == "file":
                self.fetch(raw, local / name, child, size)

    def listdir(self, raw_dir: str) -> Iterator[tuple[str, str, int | None]]:
        """(raw name, "dir"/"file"/"other", size) for each entry of a directory."""
        self.ftp.cwd(raw_dir)  # LIST arguments are parsed as options by some servers
        if self.mlsd:
            for raw_name, facts in self.ftp.mlsd():
                kind = facts.get("type", "").lower()
                size = facts.get("size")
                if kind in ("cdir", "pdir"):
                    continue
                yield raw_name, kind if kind in ("dir", "file") else "other", int(size) if size else None
            return
        lines: list[str] = []
        self.ftp.retrlines("LIST", lines.append)
        yield from parse_list(lines, raw_dir)

    def fetch(self, raw: str, dest: Path, name: str, size: int | None) -> None:
        if size is None:
            size = self.ftp.size(raw)
        if size is not None and dest.is_file() and dest.stat().st_size == size:
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        offset = part.stat().st_size if part.is_file() else 0
        if size is not None and offset > size:
            offset = 0
        total = size or 0
        if not (part.is_file() and offset == size):  # a complete .part only needs renaming
            try:
                self._retr(raw, part, name, offset, total)
            except ftplib.error_perm:
                if not offset:
                    raise
                self._retr(raw, part, name, 0, total)  # server refused REST: start over
        got = part.stat().st_size
        if size is not None and got != size:
            raise FtpError("ftp.transfer", f"{name} 下载不完整：收到 {got} 字节，应为 {size} 字节")
        os.replace(part, dest)

    def _retr(self, raw: str, part: Path, name: str, offset: int, total: int) -> None:
        done = offset
        with open(part, "ab" if offset else "wb") as out:

            def write(chunk: bytes) -> None:
                nonlocal done
                out.write(chunk)
                done += len(chunk)
                if self.progress:
                    self.progress(name, done, total)

            self.ftp.retrbinary("RETR " + raw, write, _BLOCK, rest=offset or None)


def parse_list(lines: list[str], where: str = "") -> list[tuple[str, str, int | None]]:
    """Entries of a LIST reply in Unix `ls -l` or MS-DOS/IIS style.

    A listing with lines of which none is understood is refused (`ftp.listing`): an empty
    result would otherwise import an empty share without a word.
    """
    entries: list[tuple[str, str, int | None]] = []
    meaningful = [line for line in lines if line.strip() and not line.lower().startswith("total ")]
    for line in meaningful:
        unix = _LIST_LINE.match(line)
        if unix:
            kind = {"d": "dir", "-": "file"}.get(unix["kind"], "other")
            entries.append((unix["name"], kind, int(unix["size"])))
            continue
        dos = _DOS_LINE.match(line)
        if dos:
            entries.append((dos["name"], "dir" if dos["dir"] else "file", None if dos["dir"] else int(dos["size"])))
    if meaningful and not entries:
        shown = _decode(meaningful[0])[:80]
        raise FtpError(
            "ftp.listing",
            f"无法识别 FTP 服务器的目录列表格式（{_decode(where) or '/'}，第一行：{shown!r}），未导入任何内容。"
            "请让服务器开启 MLSD，或把文件拷到本机后从文件夹导入",
        )
    return entries


def _features(ftp: ftplib.FTP) -> set[str]:
    try:
        reply = ftp.sendcmd("FEAT")
    except ftplib.error_perm:
        return set()
    return {line.strip().split(" ")[0].upper() for line in reply.splitlines()[1:-1] if line.strip()}


def _decode(raw: str) -> str:
    data = raw.encode("latin-1")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _check_name(name: str) -> str:
    if name in (".", "..") or any(c in name for c in "/\\\0\r\n"):
        raise FtpError("ftp.unsafe_name", f"FTP 服务器上的文件名不安全，已拒绝下载：{name!r}")
    return name


def _wire(text: str) -> str:
    """A Unicode string as the latin-1 string carrying its UTF-8 bytes."""
    return text.encode("utf-8").decode("latin-1")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "连接超时"
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(exc, EOFError):
        return "服务器关闭了连接"
    if isinstance(exc, ftplib.Error):
        return _decode(str(exc))
    return str(exc) or type(exc).__name__
