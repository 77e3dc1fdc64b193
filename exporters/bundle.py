"""The forward-recommendation bundle: a signed plaintext inner bag, each file age-encrypted into
an outer bag of opaque objects that is signed again (see shared/design/bundle-format.md).

This module knows the format and nothing about the database: `build` writes a bundle into a
temporary directory next to its final place (the caller renames it with `finish`); `intake`,
`check_signature`, `hash_objects`, `open_index` and `decrypt_files` are the receiving steps in
the order they must run. Payload bytes are read once: hashed, encrypted (or decrypted) and
written in the same pass, one file per worker process.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import io
import multiprocessing
import os
import re
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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
_OBJECT_NAME = re.compile(r"^[0-9]{6}\.age$")


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


# --- worker processes ---------------------------------------------------------------------------


class Aborted(Exception):
    """Another file failed: this worker stops instead of finishing a file nobody will use."""


_shared = None  # (bytes done, stop flag), shared with the parent process
_inline = None  # progress callback when running in the parent process


def _init_worker(counter, stop) -> None:
    global _shared
    _shared = (counter, stop)


def _tick(n: int) -> None:
    if _shared is not None:
        counter, stop = _shared
        if stop.value:
            raise Aborted()
        with counter.get_lock():
            counter.value += n
    elif _inline is not None:
        _inline(n)


class _HashingWriter:
    def __init__(self, f):
        self.f, self.hash, self.size = f, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.f.write(data)


class _HashingReader(io.RawIOBase):
    def __init__(self, f):
        super().__init__()
        self.f, self.hash, self.size = f, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.f.readinto(b)
        if n:
            self.hash.update(memoryview(b)[:n])
            self.size += n
        return n or 0


@dataclass
class EncTask:
    source: Source
    dests: list[str]
    part_size: int
    recipients: list[bytes]


def _encrypt_task(t: EncTask) -> tuple[str, int, list[tuple[str, int]]]:
    recipients = [age.Recipient(r) for r in t.recipients]
    plain = hashlib.sha256()
    size = 0
    parts = []
    with open(t.source.file, "rb", buffering=0) as f:
        for dest in t.dests:
            with open(dest, "wb", buffering=0) as raw:
                out = _HashingWriter(raw)
                enc = age.Encryptor(out, recipients)
                remaining = t.part_size
                while remaining > 0:
                    data = f.read(min(BLOCK, remaining))
                    if not data:
                        break
                    plain.update(data)
                    enc.write(data)
                    remaining -= len(data)
                    size += len(data)
                    _tick(len(data))
                enc.close()
                os.fsync(raw.fileno())
            parts.append((out.hash.hexdigest(), out.size))
        extra = f.read(1)
    digest = plain.hexdigest()
    if extra or (t.source.sha256 and digest != t.source.sha256) or size != t.source.size:
        raise SourceChanged(t.source.label or t.source.path, t.source.sha256 or "", digest)
    return digest, size, parts


@dataclass
class DecTask:
    path: str  # inner path
    objects: list[tuple[str, str]]  # (object file, expected ciphertext sha256)
    dest: str
    identity: bytes


@dataclass
class DecResult:
    path: str
    sha256: str
    size: int
    damaged: list[tuple[str, str]]  # (object name, what is wrong)


def _decrypt_task(t: DecTask) -> DecResult:
    identity = age.Identity(t.identity)
    damaged = []
    with open(t.dest, "wb", buffering=0) as raw:
        out = _HashingWriter(raw)
        for obj, expected in t.objects:
            name = "data/" + os.path.basename(obj)
            try:
                f = open(obj, "rb", buffering=0)
            except OSError as e:
                damaged.append((name, f"无法读取：{e.strerror}"))
                continue
            with f:
                hr = _HashingReader(f)
                src = io.BufferedReader(hr, BLOCK)
                before = out.size
                try:
                    age.decrypt(src, _Ticking(out), [identity])
                    error = None
                except age.AgeError as e:
                    error = age_error_zh(e)
                while src.read(BLOCK):
                    pass
                _tick(hr.size - (out.size - before))
            if hr.hash.hexdigest() != expected:
                damaged.append((name, "SHA-256 与外层清单不符"))
            elif error:
                damaged.append((name, error))
        os.fsync(raw.fileno())
    return DecResult(t.path, out.hash.hexdigest(), out.size, damaged)


def age_error_zh(e: age.AgeError) -> str:
    what = {
        age.NoMatch: "不是用本站密钥加密的",
        age.MacError: "文件头被改动",
        age.HeaderError: "文件头损坏",
        age.PayloadError: "内容损坏或被截断",
    }
    return next((text for cls, text in what.items() if isinstance(e, cls)), "无法解密") + f"（{e}）"


class _Ticking:
    def __init__(self, out):
        self.out = out

    def write(self, data) -> int:
        _tick(len(data))
        return self.out.write(data)


Progress = Callable[[int, int, int, int], None]  # bytes done, bytes total, files done, files total


def _run(fn, tasks: list, workers: int, total: int, progress: Progress | None) -> list:
    """Run FN over TASKS in worker processes (or inline when WORKERS is 0), reporting bytes and files done."""
    global _inline
    if not tasks:
        return []
    report = progress or (lambda *a: None)
    if workers <= 0:
        done = [0, 0]

        def tick(n: int) -> None:
            done[0] += n
            if done[0] - done[1] >= 8 * BLOCK:
                done[1] = done[0]
                report(done[0], total, files, len(tasks))

        _inline, files, out = tick, 0, []
        try:
            for t in tasks:
                out.append(fn(t))
                files += 1
                report(done[0], total, files, len(tasks))
            return out
        finally:
            _inline = None
    ctx = multiprocessing.get_context("spawn")
    counter, stop = ctx.Value("q", 0), ctx.Value("b", 0)
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(counter, stop)
    ) as pool:
        # largest first, so one big video does not start last and run alone
        order = sorted(range(len(tasks)), key=lambda i: -_task_size(tasks[i]))
        by_index = {i: pool.submit(fn, tasks[i]) for i in order}
        futures = [by_index[i] for i in range(len(tasks))]
        try:
            pending = set(futures)
            while pending:
                done, pending = cf.wait(pending, timeout=0.25, return_when=cf.FIRST_EXCEPTION)
                report(counter.value, total, len(futures) - len(pending), len(tasks))
                for f in done:
                    if f.exception() is not None:
                        raise f.exception()
            return [f.result() for f in futures]
        except BaseException:
            stop.value = 1
            for f in futures:
                f.cancel()
            raise


def _task_size(task) -> int:
    if isinstance(task, EncTask):
        return task.source.size
    return sum(os.path.getsize(o) for o, _ in task.objects if os.path.exists(o))


def default_workers(total_bytes: int, files: int) -> int:
    if total_bytes < 64 * 2**20 or files < 2:
        return 0
    return max(1, min(os.cpu_count() or 1, 4, files))


# --- building -----------------------------------------------------------------------------------


@dataclass
class Built:
    partial: Path
    final: Path
    tagmanifest_sha256: str
    payload_bytes: int
    objects: int
    files: int


def bundle_name(sender: str, round_: str, seq: int, bundle_id: str) -> str:
    return f"{sender}_{round_}_{seq:06d}_{bundle_id.replace('-', '')[:8]}.bundle"


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def inner_tags(
    address: Address,
    payload: dict[str, tuple[str, int]],
    objects: list[tuple[str, int, int, str]],
    key: sshsig.SigningKey,
) -> dict[str, bytes]:
    """The inner bag's tag files, signed. OBJECTS: (object path, part, parts, inner path)."""
    objects_txt = "".join(f"{o}  {p}/{n}  {bagit.encode_path(path)}\n" for o, p, n, path in objects).encode()
    tags = bagit.make_tags(payload, address.inner_info(), {"objects.txt": objects_txt})
    tags[SIG_PATH] = sshsig.sign(key, INNER_NS, tags["tagmanifest-sha256.txt"]).encode()
    return tags


def seal_outer(
    root: Path, info: list[tuple[str, str]], objects: dict[str, tuple[str, int]], key: sshsig.SigningKey
) -> str:
    """Write and sign the outer tag files over OBJECTS (path -> (sha256, size)); returns the tag manifest hash."""
    sizes = "".join(f"{size}  {path}\n" for path, (_, size) in sorted(objects.items())).encode()
    tags = bagit.make_tags(objects, info, {SIZES: sizes})
    bagit.write_files(root, tags)
    (root / "signatures").mkdir(exist_ok=True)
    bagit.write_files(root, {SIG_PATH: sshsig.sign(key, OUTER_NS, tags["tagmanifest-sha256.txt"]).encode()})
    return hashlib.sha256(tags["tagmanifest-sha256.txt"]).hexdigest()


def encrypt_object(dest: Path, data: bytes, recipients: list[age.Recipient]) -> tuple[str, int]:
    blob = age.encrypt_bytes(data, recipients)
    with open(dest, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    return hashlib.sha256(blob).hexdigest(), len(blob)


def build(
    out_dir: Path,
    name: str,
    sources: list[Source],
    address: Address,
    key: sshsig.SigningKey,
    progress: Progress | None = None,
    workers: int | None = None,
    part_size: int = PART_SIZE,
) -> Built:
    """Write the bundle into OUT_DIR/.partial-PID-…; `finish` renames it to OUT_DIR/NAME."""
    paths = [s.path for s in sources]
    bad = [p for p in paths if not bagit.safe_relpath(p)]
    if bad or len(set(paths)) != len(paths):
        raise ValueError(f"unsafe or repeated inner paths: {bad or paths}")
    partial = out_dir / partial_name(name)
    (partial / "data").mkdir(parents=True)
    total = sum(s.size for s in sources)
    tasks, objects, number = [], [], 1
    for s in sorted(sources, key=lambda s: s.path):
        parts = max(1, -(-s.size // part_size))
        dests = []
        for part in range(1, parts + 1):
            obj = f"data/{number:06d}.age"
            number += 1
            dests.append(str(partial / obj))
            objects.append((obj, part, parts, s.path))
        tasks.append(EncTask(s, dests, part_size, [r.public for r in address.recipients]))
    if workers is None:
        workers = default_workers(total, len(tasks))
    results = _run(_encrypt_task, tasks, workers, total, progress)
    payload, outer = {}, {}
    by_object = iter(objects)
    for task, (plain_sha, size, parts) in zip(tasks, results):
        payload[task.source.path] = (plain_sha, size)
        for sha, csize in parts:
            outer[next(by_object)[0]] = (sha, csize)
    tags = inner_tags(address, payload, objects, key)
    outer[INDEX] = encrypt_object(partial / INDEX, _tar(tags), address.recipients)
    tm = seal_outer(partial, address.outer_info(), outer, key)
    _fsync_dir(partial / "data")
    _fsync_dir(partial)
    return Built(partial, out_dir / name, tm, total, len(outer), len(sources))


def partial_name(name: str, pid: int | None = None) -> str:
    """Where NAME is built: hidden, and without the .bundle suffix, so it never looks finished."""
    return f".partial-{pid or os.getpid()}-{name.removesuffix('.bundle')}"


def finish(built: Built) -> Path:
    if built.final.exists():
        raise FileExistsError(built.final)
    os.rename(built.partial, built.final)
    _fsync_dir(built.final.parent)
    return built.final


def clean_partials(out_dir: Path) -> list[Path]:
    """Remove `.partial-PID-…` directories left by exports that were killed."""
    removed = []
    for p in out_dir.glob(".partial-*"):
        m = re.match(r"^\.partial-(\d+)-", p.name)
        if not m or not p.is_dir() or p.is_symlink() or _alive(int(m.group(1))):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- receiving: step 1, intake (no keys) ---------------------------------------------------------


@dataclass
class Outer:
    root: Path
    info: list[tuple[str, str]]
    manifest: dict[str, str]
    tagmanifest: bytes
    signature: str

    @property
    def tagmanifest_sha256(self) -> str:
        return hashlib.sha256(self.tagmanifest).hexdigest()

    @property
    def address(self) -> dict:
        return addressing(self.info)

    def get(self, key: str) -> str | None:
        return bagit.info_get(self.info, key)


def intake(root: Path) -> tuple[Outer | None, list[Problem]]:
    """Layout, tag files and the object set against the manifest and Payload-Oxum."""
    root = Path(root)
    if not root.is_dir() or root.is_symlink():
        return None, [Problem("bundle.not_found", f"不是报送包目录：{root}")]
    problems = []
    for entry in sorted(root.iterdir()):
        if entry.name not in OUTER_TOP:
            problems.append(Problem("bundle.extra", f"报送包中有多余的项目：{entry.name}", entry.name))
        elif entry.is_symlink() or (entry.name in ("signatures", "data")) != entry.is_dir():
            problems.append(
                Problem("bundle.layout", f"报送包中 {entry.name} 类型不对（不允许符号链接或特殊文件）", entry.name)
            )
    for name in sorted(OUTER_TOP - {e.name for e in root.iterdir()}):
        problems.append(Problem("bundle.missing", f"报送包缺少 {name}", name))
    sig_dir = root / "signatures"
    if sig_dir.is_dir() and not sig_dir.is_symlink():
        for entry in sig_dir.iterdir():
            if entry.name != os.path.basename(SIG_PATH) or entry.is_symlink() or not entry.is_file():
                problems.append(
                    Problem(
                        "bundle.extra",
                        f"签名目录中有多余或异常的项目：signatures/{entry.name}",
                        f"signatures/{entry.name}",
                    )
                )
    if problems and not (root / "tagmanifest-sha256.txt").is_file():
        return None, problems
    try:
        entries, tag_problems = bagit.check_tags(root, (*bagit.TAG_FILES, SIZES))
    except bagit.BagError as e:
        return None, problems + [Problem("bundle.tags", f"标签清单无法读取：{e}")]
    for msg in tag_problems:
        problems.append(Problem("bundle.tag_altered", "外层标签文件被改动或缺失：" + _zh_tag(msg)))
    try:
        info = bagit.parse_info((root / "bag-info.txt").read_bytes())
        manifest = bagit.parse_manifest((root / "manifest-sha256.txt").read_bytes(), "manifest-sha256.txt")
        signature = (root / SIG_PATH).read_text("ascii")
        sizes = _parse_sizes((root / SIZES).read_bytes())
    except (OSError, UnicodeDecodeError, ValueError, bagit.BagError) as e:
        return None, problems + [Problem("bundle.tags", f"外层标签文件无法读取：{e}")]
    outer = Outer(root, info, manifest, (root / "tagmanifest-sha256.txt").read_bytes(), signature)
    for path in manifest:
        if not (path.startswith("data/") and _OBJECT_NAME.match(path[5:])):
            problems.append(Problem("bundle.layout", f"清单中的对象名不合规：{path}", path))
    if INDEX not in manifest:
        problems.append(Problem("bundle.layout", f"清单中没有索引对象 {INDEX}", INDEX))
    present = {}
    data = root / "data"
    if data.is_dir() and not data.is_symlink():
        for entry in data.iterdir():
            rel = "data/" + entry.name
            if entry.is_symlink() or not entry.is_file():
                problems.append(Problem("bundle.layout", f"{rel} 不是普通文件", rel))
            elif rel not in manifest:
                problems.append(Problem("bundle.extra", f"多余的对象：{rel}（清单中没有）", rel))
            else:
                present[rel] = size = entry.stat().st_size
                expected = sizes.get(rel)
                if expected is not None and size < expected:
                    problems.append(
                        Problem(
                            "bundle.truncated",
                            f"对象 {rel} 不完整（被截断）：{size} 字节，应为 {expected} 字节，请重新拷贝",
                            rel,
                        )
                    )
                elif expected is not None and size > expected:
                    problems.append(
                        Problem(
                            "bundle.size", f"对象 {rel} 大小不符：{size} 字节，应为 {expected} 字节，请重新拷贝", rel
                        )
                    )
    if set(sizes) != set(manifest):
        problems.append(Problem("bundle.tags", f"{SIZES} 与清单列出的对象不一致"))
    for rel in sorted(set(manifest) - set(present)):
        if (root / rel).exists() or (root / rel).is_symlink():
            continue
        problems.append(Problem("bundle.missing", f"缺少对象：{rel}", rel))
    try:
        total, count = bagit.parse_oxum(outer.get("Payload-Oxum"))
        actual = sum(present.values())
        if count != len(manifest):
            problems.append(Problem("bundle.oxum", f"Payload-Oxum 记载 {count} 个对象，清单列出 {len(manifest)} 个"))
        elif total != actual and len(present) == len(manifest):
            problems.append(
                Problem("bundle.oxum", f"对象总大小 {actual} 字节，与 Payload-Oxum 记载的 {total} 字节不符")
            )
    except bagit.BagError as e:
        problems.append(Problem("bundle.oxum", f"Payload-Oxum 格式有误：{e}"))
    suite, profile = outer.get("Bundle-Suite"), outer.get("Bundle-Profile")
    if suite != SUITE:
        problems.append(Problem("bundle.suite", f"不支持的密码套件：{suite}（本程序支持 {SUITE}）"))
    if profile != PROFILE:
        problems.append(Problem("bundle.profile", f"不支持的报送包格式：{profile}（本程序支持 {PROFILE}）"))
    for key in ("External-Identifier", "Bundle-Sender", "Bundle-Sender-Key", "Bundle-Seq", "Bundle-Prev"):
        if not outer.get(key):
            problems.append(Problem("bundle.info", f"bag-info.txt 缺少 {key}"))
    if not (outer.get("Bundle-Seq") or "").isdigit():
        problems.append(Problem("bundle.info", f"Bundle-Seq 不是数字：{outer.get('Bundle-Seq')}"))
    return outer, problems


def _parse_sizes(data: bytes) -> dict[str, int]:
    out = {}
    for line in data.decode("utf-8").splitlines():
        size, _, path = line.partition("  ")
        out[path] = int(size)
    return out


def _zh_tag(msg: str) -> str:
    m = re.match(r"^(\S+) was altered", msg)
    if m:
        return f"{m.group(1)} 与标签清单不符（被修改过）"
    m = re.match(r"^(\S+) is missing", msg)
    if m:
        return f"缺少 {m.group(1)}"
    return msg


# --- step 2: the outer signature ------------------------------------------------------------------


def check_signature(outer: Outer, namespace: str = OUTER_NS) -> tuple[sshsig.PublicKey | None, list[Problem]]:
    try:
        signer = sshsig.verify(outer.signature, outer.tagmanifest, namespace)
    except sshsig.SignatureError as e:
        return None, [Problem("bundle.signature", f"外层签名无效（标签清单被改动或签名损坏）：{e}", SIG_PATH)]
    if outer.get("Bundle-Sender-Key") != signer.fingerprint:
        return signer, [
            Problem(
                "bundle.sender_key",
                f"签名密钥 {signer.fingerprint} 与 bag-info.txt 中的发送方密钥 {outer.get('Bundle-Sender-Key')} 不一致",
            )
        ]
    return signer, []


# --- verify: every object's ciphertext against the manifest ---------------------------------------


def hash_objects(outer: Outer, progress: Callable[[int], None] | None = None) -> list[Problem]:
    def one(rel: str) -> tuple[str, str | None]:
        p = outer.root / rel
        if not p.is_file():
            return rel, None
        h = hashlib.sha256()
        with open(p, "rb", buffering=0) as f:
            while chunk := f.read(BLOCK):
                h.update(chunk)
                if progress:
                    progress(len(chunk))
        return rel, h.hexdigest()

    problems = []
    with cf.ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        for rel, digest in pool.map(one, sorted(outer.manifest)):
            if digest is not None and digest != outer.manifest[rel]:
                problems.append(
                    Problem("bundle.damaged", f"对象 {rel} 已损坏或不完整（SHA-256 与清单不符），请重新拷贝", rel)
                )
    return problems


# --- step 4: the inner index --------------------------------------------------------------------


@dataclass
class Inner:
    tags: dict[str, bytes]
    info: list[tuple[str, str]]
    manifest: dict[str, str]  # inner path -> plaintext sha256
    objects: dict[str, list[str]]  # inner path -> object paths in part order
    tar: bytes

    @property
    def address(self) -> dict:
        return addressing(self.info)


def open_index(outer: Outer, identity: age.Identity) -> Inner:
    """Decrypt and check the index object. Raises Rejected."""
    path = outer.root / INDEX
    with open(path, "rb") as f:
        hr = _HashingReader(f)
        src = io.BufferedReader(hr, BLOCK)
        out = io.BytesIO()
        try:
            age.decrypt(src, _Capped(out, MAX_INDEX), [identity])
        except age.NoMatch:
            raise Rejected(
                [Problem("bundle.not_for_us", "本站密钥无法解开索引对象：此包不是发给本站的", INDEX)]
            ) from None
        except age.AgeError as e:
            raise Rejected(
                [Problem("bundle.damaged", f"索引对象 {INDEX} 无法解密：{age_error_zh(e)}", INDEX)]
            ) from None
        except OverflowError:
            raise Rejected([Problem("bundle.damaged", f"索引对象 {INDEX} 大得异常，拒收", INDEX)]) from None
        while src.read(BLOCK):
            pass
    if hr.hash.hexdigest() != outer.manifest.get(INDEX):
        raise Rejected([Problem("bundle.damaged", f"索引对象 {INDEX} 与清单不符", INDEX)])
    tags = _untar(out.getvalue())
    problems = []
    tm = tags["tagmanifest-sha256.txt"]
    try:
        entries = bagit.parse_manifest(tm, "inner tagmanifest-sha256.txt")
    except bagit.BagError as e:
        raise Rejected([Problem("bundle.inner_tags", f"内层标签清单无法读取：{e}")]) from None
    for name in INNER_TAGS[:4]:
        if entries.get(name) != hashlib.sha256(tags[name]).hexdigest():
            problems.append(Problem("bundle.inner_tags", f"内层 {name} 与内层标签清单不符"))
    try:
        info = bagit.parse_info(tags["bag-info.txt"], "inner bag-info.txt")
        manifest = bagit.parse_manifest(tags["manifest-sha256.txt"], "inner manifest-sha256.txt")
        objects = _parse_objects(tags["objects.txt"])
    except bagit.BagError as e:
        raise Rejected(problems + [Problem("bundle.inner_tags", f"内层标签文件有误：{e}")]) from None
    for p in list(manifest) + list(objects):
        if not bagit.safe_relpath(p):
            problems.append(Problem("bundle.inner_unsafe", f"内层清单中的路径不安全（路径穿越）：{p!r}", p))
    if problems:
        raise Rejected(problems)
    return Inner(tags, info, manifest, objects, out.getvalue())


def check_inner(outer: Outer, inner: Inner, signer: sshsig.PublicKey) -> list[Problem]:
    problems = []
    try:
        inner_signer = sshsig.verify(
            inner.tags[SIG_PATH].decode("ascii", "replace"), inner.tags["tagmanifest-sha256.txt"], INNER_NS
        )
        if inner_signer != signer:
            problems.append(
                Problem(
                    "bundle.readdressed",
                    f"内层包由另一把密钥（{inner_signer.fingerprint}）签名，与外层签名者不同：可能是转寄或替换的内容",
                )
            )
    except sshsig.SignatureError as e:
        problems.append(Problem("bundle.inner_signature", f"内层签名无效：{e}"))
    a, b = outer.address, inner.address
    for key, label in (
        ("id", "包编号"),
        ("sender", "发送方"),
        ("sender_key", "发送方密钥"),
        ("recipients", "接收方密钥"),
        ("seq", "序号"),
        ("prev", "前一包"),
    ):
        if a[key] != b[key]:
            problems.append(
                Problem(
                    "bundle.readdressed",
                    f"内层与外层的{label}不一致（内层 {b[key]}，外层 {a[key]}）：内层包被重新寻址或转寄，拒收",
                )
            )
    mapped = [o for objs in inner.objects.values() for o in objs]
    outer_objects = set(outer.manifest) - {INDEX}
    if len(set(mapped)) != len(mapped) or set(mapped) != outer_objects or set(inner.objects) != set(inner.manifest):
        problems.append(Problem("bundle.inner_mismatch", "内层对象表、内层清单与外层清单不能一一对应"))
    return problems


class _Capped:
    def __init__(self, out, limit: int):
        self.out, self.limit, self.size = out, limit, 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise OverflowError("index object is too large")
        return self.out.write(data)


def untar_tags(data: bytes) -> dict[str, bytes]:
    """An inner bag's tag files from the index tar, refusing anything but the expected regular files."""
    return _untar(data)


def _untar(data: bytes) -> dict[str, bytes]:
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
                out[name] = tar.extractfile(m).read()
    except tarfile.TarError as e:
        raise Rejected([Problem("bundle.damaged", f"索引对象内容无法读取：{e}", INDEX)]) from None
    missing = [n for n in INNER_TAGS if n not in out]
    if missing:
        raise Rejected([Problem("bundle.inner_tags", f"索引缺少内层标签文件：{'、'.join(missing)}", INDEX)])
    return out


def _parse_objects(data: bytes) -> dict[str, list[str]]:
    out: dict[str, dict[int, str]] = {}
    counts: dict[str, int] = {}
    for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
        parts = line.split("  ", 2)
        if len(parts) != 3 or not _OBJECT_NAME.match(parts[0][5:]) or not parts[0].startswith("data/"):
            raise bagit.BagError(f"objects.txt line {n} is malformed")
        try:
            part, total = (int(x) for x in parts[1].split("/"))
        except ValueError:
            raise bagit.BagError(f"objects.txt line {n} is malformed") from None
        path = bagit.decode_path(parts[2])
        if counts.setdefault(path, total) != total or part < 1 or part > total or part in out.get(path, {}):
            raise bagit.BagError(f"objects.txt line {n}: inconsistent parts for {path}")
        out.setdefault(path, {})[part] = parts[0]
    for path, parts in out.items():
        if len(parts) != counts[path]:
            raise bagit.BagError(f"objects.txt misses parts of {path}")
    return {p: [parts[i] for i in sorted(parts)] for p, parts in out.items()}


# --- step 5: decrypt every file into staging ------------------------------------------------------


def decrypt_files(
    outer: Outer,
    inner: Inner,
    identity: age.Identity,
    staging: Path,
    progress: Progress | None = None,
    workers: int | None = None,
) -> tuple[dict[str, tuple[Path, str, int]], list[Problem]]:
    """Decrypt each inner file into STAGING, checking both manifests. Returns ({inner path: (file, sha, size)}, problems)."""
    paths = sorted(inner.manifest)
    tasks = [
        DecTask(
            p,
            [(str(outer.root / o), outer.manifest[o]) for o in inner.objects[p]],
            str(staging / f"{i:06d}"),
            identity.private,
        )
        for i, p in enumerate(paths)
    ]
    total = sum((outer.root / o).stat().st_size for p in paths for o in inner.objects[p] if (outer.root / o).exists())
    if workers is None:
        workers = default_workers(total, len(tasks))
    results = _run(_decrypt_task, tasks, workers, total, progress)
    problems, files = [], {}
    for task, r in zip(tasks, results):
        for obj, what in r.damaged:
            problems.append(Problem("bundle.damaged", f"对象 {obj}（{r.path}）已损坏或不完整：{what}，请重新拷贝", obj))
        if not r.damaged and r.sha256 != inner.manifest[r.path]:
            problems.append(Problem("bundle.inner_mismatch", f"{r.path} 解密后与内层清单不符", r.path))
        files[r.path] = (Path(task.dest), r.sha256, r.size)
    return files, problems


# --- forwarded inner bags ---------------------------------------------------------------------------

FORWARDED = "data/forwarded/"


def check_forwarded(
    manifest: dict[str, str], read: Callable[[str], bytes], via: str | None
) -> tuple[list[dict], list[Problem]]:
    """Each inner bag carried under data/forwarded/NAME/: its tag files, its own signature, addressed to VIA
    (the forwarding station's encryption key fingerprint), and its manifest against the files carried."""
    prefixes = sorted(
        {
            FORWARDED + p[len(FORWARDED) :].split("/", 1)[0] + "/"
            for p in manifest
            if p.startswith(FORWARDED) and "/" in p[len(FORWARDED) :]
        }
    )
    found, problems = [], []
    for prefix in prefixes:
        name = prefix[len(FORWARDED) : -1]

        def bad(message: str, name: str = name, prefix: str = prefix) -> None:
            problems.append(Problem("bundle.forwarded", f"转报的内层包 {name}：{message}", prefix))

        try:
            tags = {t: read(prefix + t) for t in INNER_TAGS}
        except (KeyError, OSError):
            bad("缺少标签文件")
            continue
        try:
            entries = bagit.parse_manifest(tags["tagmanifest-sha256.txt"], "tagmanifest-sha256.txt")
            info = bagit.parse_info(tags["bag-info.txt"])
            own = bagit.parse_manifest(tags["manifest-sha256.txt"], "manifest-sha256.txt")
        except bagit.BagError as e:
            bad(f"标签文件有误：{e}")
            continue
        altered = [t for t in INNER_TAGS[:4] if entries.get(t) != hashlib.sha256(tags[t]).hexdigest()]
        if altered:
            bad(f"{'、'.join(altered)} 与其标签清单不符")
            continue
        try:
            signer = sshsig.verify(tags[SIG_PATH].decode("ascii", "replace"), tags["tagmanifest-sha256.txt"], INNER_NS)
        except sshsig.SignatureError as e:
            bad(f"原发送方签名无效：{e}")
            continue
        if bagit.info_get(info, "Bundle-Sender-Key") != signer.fingerprint:
            bad("签名密钥与其 bag-info.txt 中的发送方密钥不一致")
            continue
        if via and via not in bagit.info_all(info, "Bundle-Recipient-Key"):
            bad("原包不是发给转报单位的")
            continue
        unsafe = [p for p in own if not bagit.safe_relpath(p)]
        wrong = [p for p, sha in own.items() if manifest.get(prefix + p) != sha]
        extra = [
            p[len(prefix) :]
            for p in manifest
            if p.startswith(prefix) and p[len(prefix) :] not in own and p[len(prefix) :] not in INNER_TAGS
        ]
        if unsafe or wrong or extra:
            bad(f"内容与其清单不符（{'、'.join((unsafe + wrong + extra)[:5])}）")
            continue
        found.append(
            {
                "name": name,
                "sender": bagit.info_get(info, "Bundle-Sender"),
                "bundle_id": bagit.info_get(info, "External-Identifier"),
                "seq": bagit.info_get(info, "Bundle-Seq"),
                "signer": signer.fingerprint,
                "files": len(own),
            }
        )
    return found, problems
