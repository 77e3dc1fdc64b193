"""The bundle format: names, limits, addressing, problems, and the one check of an inner bag's tag files
(used for the bundle's own inner bag and for the inner bags it forwards)."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from dataclasses import dataclass, field

from exporters import age, bagit, sshsig

PROFILE = "review-station-bundle/1"
SUITE = "age-v1-x25519+sshsig-ed25519+sha256/1"
OUTER_NS = "bundle-outer"
INNER_NS = "bundle-inner"
CHECKPOINT_NS = "audit-checkpoint"
SIG_PATH = "signatures/tagmanifest-sha256.txt.sig"
INDEX = "data/000000.age"
OBJECT_LIMIT = 4 * 2**30 - 2**20  # FAT32: every object stays below this
PART_SIZE = 4 * 2**30 - 4 * 2**20  # plaintext per object; ciphertext adds < 1.1 MiB
BLOCK = 1 << 20
MAX_INDEX = 256 * 2**20
INNER_TAGS = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "objects.txt", "tagmanifest-sha256.txt", SIG_PATH)
SIZES = "sizes.txt"  # outer tag file: each object's size, so step 1 names short copies
OUTER_TOP = {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", SIZES, "tagmanifest-sha256.txt", "signatures", "data"}
OBJECT_NAME = re.compile(r"^[0-9]{6}\.age$")


@dataclass
class Problem:
    code: str
    message: str  # for people, Simplified Chinese
    object: str | None = None

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "object": self.object}


class Rejected(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class SourceChanged(Exception):
    """A payload file no longer has the hash recorded at import."""

    def __init__(self, label: str, expected: str, actual: str):
        super().__init__(label, expected, actual)
        self.label, self.expected, self.actual = label, expected, actual


@dataclass
class Source:
    path: str  # inner path, data/…
    file: str  # where to read it
    size: int
    sha256: str | None = None  # recorded at import: checked while read
    label: str = ""  # how to name it in an error


@dataclass
class Address:
    bundle_id: str
    sender: str
    sender_name: str
    sender_key: str  # signing key fingerprint
    recipients: list[age.Recipient]
    recipient_codes: list[str]
    seq: int
    prev: str  # hex sha256 of the previous outer tag manifest, or "none"
    date: str
    inner_extra: list[tuple[str, str]] = field(default_factory=list)

    def outer_info(self) -> list[tuple[str, str]]:
        return [
            ("Source-Organization", self.sender_name),
            ("External-Identifier", self.bundle_id),
            ("Bagging-Date", self.date[:10]),
            ("Bundle-Profile", PROFILE),
            ("Bundle-Suite", SUITE),
            ("Bundle-Sender", self.sender),
            ("Bundle-Sender-Key", self.sender_key),
            *[("Bundle-Recipient-Key", r.fingerprint) for r in self.recipients],
            ("Bundle-Seq", str(self.seq)),
            ("Bundle-Prev", self.prev),
        ]

    def inner_info(self) -> list[tuple[str, str]]:
        return [
            *self.outer_info(),
            *[("Bundle-Recipient", c) for c in self.recipient_codes],
            ("Bundle-Created", self.date),
            *self.inner_extra,
        ]


def addressing(info: list[tuple[str, str]]) -> dict:
    """The fields inner and outer must agree on."""
    return {
        "id": bagit.info_get(info, "External-Identifier"),
        "sender": bagit.info_get(info, "Bundle-Sender"),
        "sender_key": bagit.info_get(info, "Bundle-Sender-Key"),
        "recipients": sorted(bagit.info_all(info, "Bundle-Recipient-Key")),
        "seq": bagit.info_get(info, "Bundle-Seq"),
        "prev": bagit.info_get(info, "Bundle-Prev"),
    }


# --- the inner bag's tag files -------------------------------------------------------------------


def untar_tags(data: bytes) -> dict[str, bytes]:
    """An inner bag's tag files from the index tar, refusing anything but the expected regular files."""
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for m in tar.getmembers():
                name = m.name
                if not m.isreg() or name.startswith("/") or ".." in name.split("/") or "\\" in name:
                    raise Rejected(
                        [
                            Problem(
                                "bundle.inner_unsafe",
                                f"索引中有不安全的条目（路径穿越、链接或特殊文件）：{name!r}",
                                INDEX,
                            )
                        ]
                    )
                if name not in INNER_TAGS or name in out:
                    raise Rejected([Problem("bundle.inner_unsafe", f"索引中有意外的条目：{name!r}", INDEX)])
                member = tar.extractfile(m)
                assert member is not None  # a regular file
                out[name] = member.read()
    except tarfile.TarError as e:
        raise Rejected([Problem("bundle.damaged", f"索引对象内容无法读取：{e}", INDEX)]) from None
    missing = [n for n in INNER_TAGS if n not in out]
    if missing:
        raise Rejected([Problem("bundle.inner_tags", f"索引缺少内层标签文件：{'、'.join(missing)}", INDEX)])
    return out


def parse_objects(data: bytes) -> dict[str, list[str]]:
    """objects.txt: inner path -> object paths in part order."""
    out: dict[str, dict[int, str]] = {}
    counts: dict[str, int] = {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise bagit.BagError("objects.txt is not UTF-8") from None
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split("  ", 2)
        if len(parts) != 3 or not OBJECT_NAME.match(parts[0][5:]) or not parts[0].startswith("data/"):
            raise bagit.BagError(f"objects.txt line {n} is malformed")
        try:
            part, total = (int(x) for x in parts[1].split("/"))
        except ValueError:
            raise bagit.BagError(f"objects.txt line {n} is malformed") from None
        path = bagit.decode_path(parts[2])
        if counts.setdefault(path, total) != total or part < 1 or part > total or part in out.get(path, {}):
            raise bagit.BagError(f"objects.txt line {n}: inconsistent parts for {path}")
        out.setdefault(path, {})[part] = parts[0]
    for path, got in out.items():
        if len(got) != counts[path]:
            raise bagit.BagError(f"objects.txt misses parts of {path}")
    return {p: [got[i] for i in sorted(got)] for p, got in out.items()}


@dataclass
class InnerBag:
    """An inner bag's tag files, read and checked: what `check_inner_bag` found."""

    tags: dict[str, bytes]
    info: list[tuple[str, str]] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)  # inner path -> plaintext sha256
    objects: dict[str, list[str]] = field(default_factory=dict)  # inner path -> object paths in part order
    signer: sshsig.PublicKey | None = None
    signature_error: str | None = None  # why the inner signature does not verify
    altered: list[str] = field(default_factory=list)  # tag files that do not match the tag manifest
    unsafe: list[str] = field(default_factory=list)  # manifest or object-map paths that are unsafe
    error: str | None = None  # a tag file that cannot be read at all

    @property
    def address(self) -> dict:
        return addressing(self.info)

    @property
    def sender_key_ok(self) -> bool:
        return self.signer is not None and bagit.info_get(self.info, "Bundle-Sender-Key") == self.signer.fingerprint


def check_inner_bag(tags: dict[str, bytes]) -> InnerBag:
    """The one check of an inner bag: tag manifest over the tag files, bag-info, manifest and object map parsed,
    every path safe, and the signature (namespace bundle-inner) verified. Callers turn what it found into
    problems with their own codes."""
    bag = InnerBag(tags)
    try:
        entries = bagit.parse_manifest(tags["tagmanifest-sha256.txt"], "tagmanifest-sha256.txt")
    except bagit.BagError as e:
        bag.error = f"标签清单无法读取：{e}"
        return bag
    bag.altered = [t for t in INNER_TAGS[:4] if entries.get(t) != hashlib.sha256(tags[t]).hexdigest()]
    try:
        bag.info = bagit.parse_info(tags["bag-info.txt"], "bag-info.txt")
        bag.manifest = bagit.parse_manifest(tags["manifest-sha256.txt"], "manifest-sha256.txt")
        bag.objects = parse_objects(tags["objects.txt"])
    except bagit.BagError as e:
        bag.error = f"标签文件有误：{e}"
        return bag
    bag.unsafe = [p for p in list(bag.manifest) + list(bag.objects) if not bagit.safe_relpath(p)]
    try:
        bag.signer = sshsig.verify(tags[SIG_PATH].decode("ascii", "replace"), tags["tagmanifest-sha256.txt"], INNER_NS)
    except sshsig.SignatureError as e:
        bag.signature_error = str(e)
    return bag


def age_error_zh(e: age.AgeError) -> str:
    what = {
        age.NoMatch: "不是用本站密钥加密的",
        age.MacError: "文件头被改动",
        age.HeaderError: "文件头损坏",
        age.PayloadError: "内容损坏或被截断",
    }
    return next((text for cls, text in what.items() if isinstance(e, cls)), "无法解密") + f"（{e}）"
