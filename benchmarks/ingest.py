"""Import throughput and peak memory, against a plain read + SHA-256 + copy of the same bytes.

    .venv/bin/python benchmarks/ingest.py [--gb 2.0] [--workdir DIR] [--keep] [--json]

Generates a county share for after-school-2024 (folders and stored ZIPs, about 60/40 by
bytes), then times, each in a child process so its peak RSS can be read on exit: a
warm-up baseline, the baseline, our import into a fresh station, and the baseline again.
Both sides fsync every file they write, as the content store does, and each removes its
output before the next step, so every step but the warm-up writes into freed blocks: on
thin-provisioned disks first-touch writes are several times slower. Reports numbers; never
fails on them.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "after-school-2024"
MB = 2**20
GB = 2**30
BLOCK = 4 * MB
CHUNK = 1 * MB
MANIFEST = "tree.json"
COURSES = ["趣味科学实验", "创意美术", "校园足球", "硬笔书法", "合唱与律动", "机器人编程", "围棋入门", "剪纸艺术"]
GOAL_RATIO = 0.85
GOAL_PEAK_MB = 200


# --- the tree --------------------------------------------------------------------------


def video_sizes(gb: float, seed: int) -> list[int]:
    """Video sizes adding up to at least GB: 50-400 MB, plus one of ~1 GB per 1.5 GB (two at most)."""
    rng = random.Random(seed)
    target = int(gb * GB)
    sizes = [rng.randrange(900 * MB, GB + 64 * MB) for _ in range(min(2, int(gb / 1.5)))]
    hi = min(400 * MB, max(target // 3, 2 * MB))
    lo = min(50 * MB, hi // 2)
    while sum(sizes) < target:
        sizes.append(rng.randrange(lo, hi))
    return sizes


def plan(gb: float, seed: int = 2024) -> list[dict]:
    """Packages holding those videos, about 60 % of the bytes in folders and 40 % in ZIPs."""
    sizes = video_sizes(gb, seed)
    packages, in_dirs, in_zips = [], 0, 0
    for i, size in enumerate(sorted(sizes, reverse=True)):
        whole = in_dirs + in_zips + size
        as_dir = abs((in_dirs + size) / whole - 0.6) <= abs(in_dirs / whole - 0.6)
        n = sum(p["zip"] != as_dir for p in packages) + 1
        name = f"第{n:02d}小学课后服务课程资源" if as_dir else f"第{n:02d}中学课后服务课程资源"
        packages.append({"name": name, "zip": not as_dir, "video": f"{COURSES[i % len(COURSES)]}.mp4", "size": size})
        in_dirs, in_zips = (in_dirs + size, in_zips) if as_dir else (in_dirs, in_zips + size)
    return packages


def write_video(out, size: int, index: int, block: bytes) -> None:
    prefix = b"\0\0\0\x18ftypisom" + index.to_bytes(4, "big") + os.urandom(16 + index * 97 % 4093)
    out.write(prefix[:size])
    left = size - len(prefix)
    view = memoryview(block)
    while left > 0:
        n = min(left, len(block))
        out.write(view[:n])
        left -= n


def slides(index: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types/>')
        z.writestr("ppt/media/image1.png", os.urandom(256 * 1024 + index * 1024))
    return buf.getvalue()


def generate(tree: Path, packages: list[dict]) -> int:
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    block = os.urandom(BLOCK) * 4
    total = 0
    for i, p in enumerate(packages):
        pptx = slides(i)
        if p["zip"]:
            with zipfile.ZipFile(tree / (p["name"] + ".zip"), "w", zipfile.ZIP_STORED) as zf:
                with zf.open(f"{p['name']}/{p['video']}", "w", force_zip64=True) as out:
                    write_video(out, p["size"], i, block)
                zf.writestr(f"{p['name']}/课件.pptx", pptx)
        else:
            folder = tree / p["name"]
            folder.mkdir()
            with open(folder / p["video"], "wb", buffering=len(block)) as out:
                write_video(out, p["size"], i, block)
            (folder / "课件.pptx").write_bytes(pptx)
        total += p["size"] + len(pptx)
    return total


def ensure_tree(workdir: Path, gb: float) -> dict:
    """The tree for GB, generated once per work dir and reused while its manifest matches."""
    manifest = workdir / MANIFEST
    if manifest.exists() and (workdir / "tree").is_dir():
        info = json.loads(manifest.read_text())
        if info["gb"] == gb:
            return dict(info, reused=True)
    manifest.unlink(missing_ok=True)
    packages = plan(gb)
    log(f"generating {gb:g} GB in {workdir / 'tree'} ...")
    start = time.perf_counter()
    total = generate(workdir / "tree", packages)
    os.sync()
    info = {
        "gb": gb,
        "bytes": total,
        "packages": len(packages),
        "archives": sum(p["zip"] for p in packages),
        "folder_share": sum(p["size"] for p in packages if not p["zip"]) / sum(p["size"] for p in packages),
        "generation_seconds": round(time.perf_counter() - start, 2),
    }
    manifest.write_text(json.dumps(info))
    return dict(info, reused=False)


# --- the two contenders (run in child processes) ---------------------------------------


def copy(src, dest: Path) -> int:
    digest = hashlib.sha256()
    n = 0
    with open(dest, "wb", buffering=0) as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            n += len(chunk)
        os.fsync(out.fileno())
    return n


def baseline(workdir: Path) -> dict:
    tree, out = workdir / "tree", workdir / "copy"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    files = total = 0
    start = time.perf_counter()
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for member in zf.infolist():
                    if not member.is_dir():
                        with zf.open(member) as src:
                            total += copy(src, out / f"{files:06d}")
                        files += 1
        else:
            with open(path, "rb", buffering=0) as src:
                total += copy(src, out / f"{files:06d}")
            files += 1
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    return {"seconds": seconds, "bytes": total, "files": files}


def ours(workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from workflows import campaigns
    from workflows.ingest import importer as ingest
    from workflows.station import Station

    home = workdir / "station"
    shutil.rmtree(home, ignore_errors=True)
    station = Station.open(home / "station.db")
    campaigns.add(station, "bench", PROFILE)
    start = time.perf_counter()
    summary = ingest.run(station, [str(workdir / "tree")], "bench")
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "bytes": summary.bytes,
        "files": summary.files,
        "submissions": summary.submissions,
        "rejected": summary.rejected,
    }


def own_peak_mb() -> float:
    """This process's peak RSS. ru_maxrss would also count the launching process's peak, which exec inherits."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(step: str, workdir: Path) -> dict:
    """Run STEP in a child: its result, its own peak RSS, and ru_maxrss as wait4 reports it."""
    log(f"{step} ...")
    os.sync()  # nobody pays for another step's (or the generator's) dirty pages
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), f"--{step}-only", "--workdir", str(workdir)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    out = child.stdout.read()
    child.stdout.close()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"benchmark step {step!r} failed (exit {child.returncode})")
    result = json.loads(out)
    result["maxrss_mb"] = usage.ru_maxrss / 1024  # KB on Linux
    result["mb_s"] = result["bytes"] / MB / result["seconds"] if result["seconds"] else 0.0
    return result


# --- report ----------------------------------------------------------------------------


def report(tree: dict, runs: dict[str, dict]) -> dict:
    first, mine, second = runs["baseline"], runs["ours"], runs["baseline_again"]
    return {
        "tree": tree,
        "warmup": runs["warmup"],
        "baseline": first,
        "ours": mine,
        "baseline_again": second,
        "bytes_match": mine["bytes"] == first["bytes"],
        "ratio": mine["mb_s"] / first["mb_s"] if first["mb_s"] else 0.0,
        "ratio_again": mine["mb_s"] / second["mb_s"] if second["mb_s"] else 0.0,
        "peak_mb": mine["peak_mb"],
        "goals": {"ratio": GOAL_RATIO, "peak_mb": GOAL_PEAK_MB},
    }


def print_table(r: dict) -> None:
    t = r["tree"]
    made = "reused" if t["reused"] else "generated"
    print(
        f"tree: {t['bytes'] / GB:.2f} GB, {t['packages']} packages ({t['archives']} ZIP), "
        f"{t['folder_share']:.0%} of video bytes in folders; {made}, generation took {t['generation_seconds']:.1f} s"
    )
    print(f"{'step':<24}{'seconds':>9}{'MB/s':>9}{'peak MB':>9}{'maxrss':>8}{'files':>7}{'GB':>7}")
    for label, key in (
        ("warm-up (not compared)", "warmup"),
        ("baseline", "baseline"),
        ("ours", "ours"),
        ("baseline (after ours)", "baseline_again"),
    ):
        s = r[key]
        print(
            f"{label:<24}{s['seconds']:>9.2f}{s['mb_s']:>9.1f}{s['peak_mb']:>9.1f}{s['maxrss_mb']:>8.1f}{s['files']:>7}{s['bytes'] / GB:>7.2f}"
        )
    if not r["bytes_match"]:
        print(f"WARNING: ours imported {r['ours']['bytes']} bytes, the baseline read {r['baseline']['bytes']}")
    if r["ours"].get("rejected"):
        print(f"WARNING: ours rejected {r['ours']['rejected']} package(s)")
    print(f"throughput ratio (ours / baseline) = {r['ratio']:.2f}  (goal >= {GOAL_RATIO})")
    print(f"throughput ratio (ours / baseline after ours) = {r['ratio_again']:.2f}")
    print(
        f"peak memory = {r['peak_mb']:.0f} MB (goal < {GOAL_PEAK_MB} MB); baseline peak = {r['baseline']['peak_mb']:.0f} MB"
    )
    print("(peak MB: each child's VmHWM; maxrss: its ru_maxrss from wait4, floored by this process's own peak)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_workdir() -> Path:
    """A temporary directory on the same filesystem as the project."""
    base = Path(tempfile.gettempdir())
    if base.stat().st_dev != ROOT.stat().st_dev:
        base = ROOT.parent
    return Path(tempfile.mkdtemp(prefix="ingest-bench-", dir=base))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=2.0, help="size of the generated share (default 2.0)")
    parser.add_argument("--workdir", type=Path, help="where to generate (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and its tree for the next run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--baseline-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ours-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gb <= 0:
        parser.error("--gb must be positive")

    if args.baseline_only or args.ours_only:
        result = (baseline if args.baseline_only else ours)(args.workdir)
        print(json.dumps(dict(result, peak_mb=own_peak_mb())))
        return 0

    created = args.workdir is None
    workdir = default_workdir() if created else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        tree = ensure_tree(workdir, args.gb)
        runs = {
            "warmup": measure("baseline", workdir),
            "baseline": measure("baseline", workdir),
            "ours": measure("ours", workdir),
        }
        shutil.rmtree(workdir / "station")
        runs["baseline_again"] = measure("baseline", workdir)
        r = report(tree, runs)
        if args.json:
            print(json.dumps(r, ensure_ascii=False, indent=2))
        else:
            print_table(r)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            if created:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                for name in ("tree", "copy", "station"):
                    shutil.rmtree(workdir / name, ignore_errors=True)
                (workdir / MANIFEST).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
