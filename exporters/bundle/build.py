"""Building a bundle: the inner bag's tag files, every payload file encrypted into its objects, the outer
tag files signed; all of it in a hidden temporary directory next to its final place (`finish` renames it)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from exporters import age, bagit, files, sshsig
from exporters.bundle.format import INDEX, INNER_NS, OUTER_NS, PART_SIZE, SIG_PATH, SIZES, Address, Source
from exporters.bundle.pool import EncTask, Progress, default_workers, encrypt_task, run_tasks


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
    files.write_bytes(dest, blob)
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
    results = run_tasks(encrypt_task, tasks, workers, total, progress)
    payload, outer = {}, {}
    by_object = iter(objects)
    for task, (plain_sha, size, parts) in zip(tasks, results):
        payload[task.source.path] = (plain_sha, size)
        for sha, csize in parts:
            outer[next(by_object)[0]] = (sha, csize)
    tags = inner_tags(address, payload, objects, key)
    outer[INDEX] = encrypt_object(partial / INDEX, _tar(tags), address.recipients)
    tm = seal_outer(partial, address.outer_info(), outer, key)
    files.fsync_dir(partial / "data")
    files.fsync_dir(partial)
    return Built(partial, out_dir / name, tm, total, len(outer), len(sources))


def partial_name(name: str, pid: int | None = None) -> str:
    """Where NAME is built: hidden, and without the .bundle suffix, so it never looks finished."""
    return f".partial-{pid or os.getpid()}-{name.removesuffix('.bundle')}"


def partials_of(final: Path) -> list[Path]:
    """The hidden build directories of the bundle FINAL, by any process."""
    stem = final.name.removesuffix(".bundle")
    return [p for p in final.parent.glob(".partial-*") if re.fullmatch(rf"\.partial-\d+-{re.escape(stem)}", p.name)]


def finish_partial(partial: Path, final: Path) -> Path:
    """Rename a built bundle into place: one atomic step, made durable."""
    if final.exists() or final.is_symlink():
        raise FileExistsError(final)
    os.rename(partial, final)
    files.fsync_dir(final.parent)
    return final


def finish(built: Built) -> Path:
    return finish_partial(built.partial, built.final)


def clean_partials(out_dir: Path) -> list[Path]:
    """Remove `.partial-PID-…` directories left by exports that were killed."""
    removed = []
    for p in out_dir.glob(".partial-*"):
        m = re.match(r"^\.partial-(\d+)-", p.name)
        if not m or not p.is_dir() or p.is_symlink() or pid_alive(int(m.group(1))):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
