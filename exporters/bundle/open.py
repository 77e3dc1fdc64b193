"""Opening a bundle, in the order the format requires: `intake` (layout, tag files, object set; no keys),
`check_signature`, `hash_objects` (verify), `open_index` and `check_inner` (the inner bag, after decrypting
the index), `decrypt_files` into staging, and `check_forwarded` for inner bags carried upward. Special files
are never opened: every path is lstat'ed first and tag files are read through `bagit.read_tag`."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from exporters import age, bagit, sshsig
from exporters.bundle.format import (
    BLOCK,
    INDEX,
    INNER_TAGS,
    MAX_INDEX,
    OBJECT_NAME,
    OUTER_NS,
    OUTER_TOP,
    PROFILE,
    SIG_PATH,
    SIZES,
    SUITE,
    InnerBag,
    Problem,
    Rejected,
    addressing,
    age_error_zh,
    check_inner_bag,
    untar_tags,
)
from exporters.bundle.pool import DecTask, HashingReader, Progress, decrypt_task, default_workers, run_tasks


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
        elif entry.is_symlink() or (
            not entry.is_dir() if entry.name in ("signatures", "data") else not bagit.is_regular(entry)
        ):
            problems.append(
                Problem("bundle.layout", f"报送包中 {entry.name} 类型不对（不允许符号链接或特殊文件）", entry.name)
            )
    for name in sorted(OUTER_TOP - {e.name for e in root.iterdir()}):
        problems.append(Problem("bundle.missing", f"报送包缺少 {name}", name))
    sig_dir = root / "signatures"
    if sig_dir.is_dir() and not sig_dir.is_symlink():
        for entry in sig_dir.iterdir():
            rel = f"signatures/{entry.name}"
            if entry.name != os.path.basename(SIG_PATH):
                problems.append(Problem("bundle.extra", f"签名目录中有多余或异常的项目：{rel}", rel))
            elif not bagit.is_regular(entry):
                problems.append(Problem("bundle.layout", f"{rel} 类型不对（不允许符号链接或特殊文件）", rel))
    if problems and not bagit.is_regular(root / "tagmanifest-sha256.txt"):
        return None, problems
    try:
        entries, tag_problems = bagit.check_tags(root, (*bagit.TAG_FILES, SIZES))
    except bagit.BagError as e:
        return None, problems + [Problem("bundle.tags", f"标签清单无法读取：{e}")]
    for msg in tag_problems:
        problems.append(Problem("bundle.tag_altered", "外层标签文件被改动或缺失：" + _zh_tag(msg)))
    try:
        info = bagit.parse_info(bagit.read_tag(root / "bag-info.txt"))
        manifest = bagit.parse_manifest(bagit.read_tag(root / "manifest-sha256.txt"), "manifest-sha256.txt")
        signature = bagit.read_tag(root / SIG_PATH).decode("ascii")
        sizes = _parse_sizes(bagit.read_tag(root / SIZES))
        tagmanifest = bagit.read_tag(root / "tagmanifest-sha256.txt")
    except (OSError, UnicodeDecodeError, ValueError, bagit.BagError) as e:
        return None, problems + [Problem("bundle.tags", f"外层标签文件无法读取：{e}")]
    outer = Outer(root, info, manifest, tagmanifest, signature)
    for path in manifest:
        if not (path.startswith("data/") and OBJECT_NAME.match(path[5:])):
            problems.append(Problem("bundle.layout", f"清单中的对象名不合规：{path}", path))
    if INDEX not in manifest:
        problems.append(Problem("bundle.layout", f"清单中没有索引对象 {INDEX}", INDEX))
    present = {}
    data = root / "data"
    if data.is_dir() and not data.is_symlink():
        for entry in data.iterdir():
            rel = "data/" + entry.name
            if not bagit.is_regular(entry):
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
    m = re.match(r"^(\S+) is not a regular file", msg)
    if m:
        return f"{m.group(1)} 不是普通文件（符号链接或特殊文件，未打开）"
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
        if not bagit.is_regular(p):
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
    bag: InnerBag
    tar: bytes

    @property
    def tags(self) -> dict[str, bytes]:
        return self.bag.tags

    @property
    def info(self) -> list[tuple[str, str]]:
        return self.bag.info

    @property
    def manifest(self) -> dict[str, str]:
        return self.bag.manifest

    @property
    def objects(self) -> dict[str, list[str]]:
        return self.bag.objects

    @property
    def address(self) -> dict:
        return self.bag.address


def open_index(outer: Outer, identity: age.Identity) -> Inner:
    """Decrypt and check the index object. Raises Rejected."""
    path = outer.root / INDEX
    if not bagit.is_regular(path):
        raise Rejected([Problem("bundle.layout", f"{INDEX} 不是普通文件", INDEX)])
    with open(path, "rb") as f:
        hr = HashingReader(f)
        src = io.BufferedReader(hr, BLOCK)
        out = io.BytesIO()
        try:
            age.decrypt(src, _Capped(out, MAX_INDEX), [identity])  # type: ignore[arg-type]  # a file-like writer
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
    bag = check_inner_bag(untar_tags(out.getvalue()))
    problems = [Problem("bundle.inner_tags", f"内层 {name} 与内层标签清单不符") for name in bag.altered]
    if bag.error:
        raise Rejected(problems + [Problem("bundle.inner_tags", f"内层{bag.error}")])
    for p in bag.unsafe:
        problems.append(Problem("bundle.inner_unsafe", f"内层清单中的路径不安全（路径穿越）：{p!r}", p))
    if problems:
        raise Rejected(problems)
    return Inner(bag, out.getvalue())


def check_inner(outer: Outer, inner: Inner, signer: sshsig.PublicKey) -> list[Problem]:
    problems = []
    bag = inner.bag
    if bag.signer is None:
        problems.append(Problem("bundle.inner_signature", f"内层签名无效：{bag.signature_error}"))
    elif bag.signer != signer:
        problems.append(
            Problem(
                "bundle.readdressed",
                f"内层包由另一把密钥（{bag.signer.fingerprint}）签名，与外层签名者不同：可能是转寄或替换的内容",
            )
        )
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
    total = sum(
        (outer.root / o).stat().st_size for p in paths for o in inner.objects[p] if bagit.is_regular(outer.root / o)
    )
    if workers is None:
        workers = default_workers(total, len(tasks))
    results = run_tasks(decrypt_task, tasks, workers, total, progress)
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


def forwarded_prefixes(manifest: dict[str, str]) -> list[str]:
    """The `data/forwarded/NAME/` folders an inner manifest carries."""
    return sorted(
        {
            FORWARDED + p[len(FORWARDED) :].split("/", 1)[0] + "/"
            for p in manifest
            if p.startswith(FORWARDED) and "/" in p[len(FORWARDED) :]
        }
    )


def check_forwarded(
    manifest: dict[str, str], read: Callable[[str], bytes], via: str | None
) -> tuple[list[dict], list[Problem]]:
    """Each inner bag carried under data/forwarded/NAME/: its tag files, its own signature, addressed to VIA
    (the forwarding station's encryption key fingerprint), and its manifest against the files carried."""
    found, problems = [], []
    for prefix in forwarded_prefixes(manifest):
        name = prefix[len(FORWARDED) : -1]

        def bad(message: str, name: str = name, prefix: str = prefix) -> None:
            problems.append(Problem("bundle.forwarded", f"转报的内层包 {name}：{message}", prefix))

        try:
            tags = {t: read(prefix + t) for t in INNER_TAGS}
        except (KeyError, OSError):
            bad("缺少标签文件")
            continue
        bag = check_inner_bag(tags)
        if bag.error:
            bad(bag.error)
            continue
        if bag.altered:
            bad(f"{'、'.join(bag.altered)} 与其标签清单不符")
            continue
        if bag.signer is None:
            bad(f"原发送方签名无效：{bag.signature_error}")
            continue
        if not bag.sender_key_ok:
            bad("签名密钥与其 bag-info.txt 中的发送方密钥不一致")
            continue
        if via and via not in bagit.info_all(bag.info, "Bundle-Recipient-Key"):
            bad("原包不是发给转报单位的")
            continue
        own = bag.manifest
        wrong = [p for p, sha in own.items() if manifest.get(prefix + p) != sha]
        extra = [
            p[len(prefix) :]
            for p in manifest
            if p.startswith(prefix) and p[len(prefix) :] not in own and p[len(prefix) :] not in INNER_TAGS
        ]
        if bag.unsafe or wrong or extra:
            bad(f"内容与其清单不符（{'、'.join((bag.unsafe + wrong + extra)[:5])}）")
            continue
        found.append(
            {
                "name": name,
                "sender": bagit.info_get(bag.info, "Bundle-Sender"),
                "bundle_id": bagit.info_get(bag.info, "External-Identifier"),
                "seq": bagit.info_get(bag.info, "Bundle-Seq"),
                "signer": bag.signer.fingerprint,
                "files": len(own),
            }
        )
    return found, problems
