"""BagIt 1.0 (RFC 8493) tag files: write them from hashes already computed, read and check them.

Our profile: sha256 manifests, a required tag manifest and Payload-Oxum, no fetch.txt.
Payload bytes are never hashed here: the caller hashes them in the same pass that writes
or reads them, so each byte is read once.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from exporters.files import write_bytes

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")


MAX_TAG = 64 * 2**20  # a tag file larger than this is refused, never read into memory


class BagError(Exception):
    """A tag file is malformed (the message says which and how)."""


def is_regular(path: Path) -> bool:
    """PATH itself (never what a link points to) is a regular file: lstat, no open."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_tag(path: Path, limit: int = MAX_TAG) -> bytes:
    """A tag file's bytes. Links, FIFOs, sockets and devices are refused without being opened (lstat first,
    then O_NOFOLLOW | O_NONBLOCK and fstat, so a swap between the two cannot make it block or read elsewhere)."""
    if not is_regular(path):
        raise BagError(f"{Path(path).name} is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise BagError(f"{Path(path).name} cannot be read: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise BagError(f"{Path(path).name} is not a regular file")
        if st.st_size > limit:
            raise BagError(f"{Path(path).name} is too large ({st.st_size} bytes)")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise BagError(f"{Path(path).name} is too large")
    return data


def encode_path(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0a", "\n").replace("%0D", "\r").replace("%0d", "\r").replace("%25", "%")


def safe_relpath(path: str, prefix: str = "data/") -> bool:
    """A relative POSIX path under PREFIX with no empty, `.` or `..` parts."""
    if not path.startswith(prefix) or "\\" in path or "\0" in path or path.startswith("/"):
        return False
    parts = path.split("/")
    return all(p not in ("", ".", "..") for p in parts)


def manifest_text(entries: dict[str, str]) -> bytes:
    """ENTRIES: path -> sha256 hex."""
    return "".join(f"{sha}  {encode_path(p)}\n" for p, sha in sorted(entries.items())).encode("utf-8")


def info_text(info: list[tuple[str, str]]) -> bytes:
    lines = []
    for key, value in info:
        value = str(value).replace("\r", " ").replace("\n", " ")
        lines.append(f"{key}: {value}\n")
    return "".join(lines).encode("utf-8")


def make_tags(
    payload: dict[str, tuple[str, int]], info: list[tuple[str, str]], extra: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """bagit.txt, bag-info.txt (Payload-Oxum added), manifest-sha256.txt, EXTRA tag files and the tag manifest.

    PAYLOAD: data/... path -> (sha256, size).
    """
    total = sum(size for _, size in payload.values())
    info = [*info, ("Payload-Oxum", f"{total}.{len(payload)}")]
    files = {
        "bagit.txt": BAGIT_TXT,
        "bag-info.txt": info_text(info),
        "manifest-sha256.txt": manifest_text({p: s for p, (s, _) in payload.items()}),
        **(extra or {}),
    }
    files["tagmanifest-sha256.txt"] = manifest_text({n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    return files


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, data)


def parse_manifest(data: bytes, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BagError(f"{where} is not UTF-8") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        sha, sep, path = line.partition(" ")
        path = decode_path(path.lstrip(" \t"))
        if not sep or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha.lower()) or not path:
            raise BagError(f"{where} line {n} is malformed")
        if path in out:
            raise BagError(f"{where} lists {path} twice")
        out[path] = sha.lower()
    return out


def parse_info(data: bytes, where: str = "bag-info.txt") -> list[tuple[str, str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BagError(f"{where} is not UTF-8") from None
    out: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line[0] in " \t":
            if not out:
                raise BagError(f"{where} line {n} continues nothing")
            key, value = out[-1]
            out[-1] = (key, value + " " + line.strip())
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise BagError(f"{where} line {n} is not 'Label: value'")
        out.append((key.strip(), value.strip()))
    return out


def info_get(info: list[tuple[str, str]], key: str) -> str | None:
    values = info_all(info, key)
    return values[0] if values else None


def info_all(info: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in info if k.lower() == key.lower()]


def parse_oxum(value: str | None) -> tuple[int, int]:
    try:
        total, count = (value or "").split(".")
        return int(total), int(count)
    except ValueError:
        raise BagError(f"Payload-Oxum '{value}' is malformed") from None


def check_tags(root: Path, required: tuple[str, ...] = TAG_FILES) -> tuple[dict[str, str], list[str]]:
    """Check the tag manifest against the tag files. Returns (tag manifest entries, problems)."""
    problems = []
    tm_path = root / "tagmanifest-sha256.txt"
    if not tm_path.exists() and not tm_path.is_symlink():
        raise BagError("tagmanifest-sha256.txt is missing")
    entries = parse_manifest(read_tag(tm_path), "tagmanifest-sha256.txt")
    for name in required:
        if name not in entries:
            problems.append(f"tagmanifest-sha256.txt does not cover {name}")
    for name, sha in entries.items():
        if not safe_relpath(name, "") or name.startswith("data/"):
            problems.append(f"tagmanifest-sha256.txt names an unsafe path {name!r}")
            continue
        p = root / name
        if not is_regular(p):
            problems.append(
                f"{name} is missing" if not p.exists() and not p.is_symlink() else f"{name} is not a regular file"
            )
            continue
        try:
            data = read_tag(p)
        except BagError as e:
            problems.append(str(e))
            continue
        if hashlib.sha256(data).hexdigest() != sha:
            problems.append(f"{name} was altered (SHA-256 does not match the tag manifest)")
    bagit_txt = root / "bagit.txt"
    if is_regular(bagit_txt) and read_tag(bagit_txt).replace(b"\r\n", b"\n") != BAGIT_TXT:
        problems.append("bagit.txt is not BagIt 1.0 UTF-8")
    if (root / "fetch.txt").exists():
        problems.append("fetch.txt is not allowed")
    return entries, problems
