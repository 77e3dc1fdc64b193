"""Bundle export and receive throughput and peak memory, against reading + SHA-256 of the same bytes.

    .venv/bin/python benchmarks/bundle.py [--gb 4.0] [--workdir DIR] [--keep] [--workers N] [--json]

Sets up (not timed) a county station holding a generated after-school-2024 campaign of at
least --gb GB of incompressible "videos" (50-400 MB each, plus up to two of about 1 GB), all
recommended, and a city station trusting it. Then runs, each in a child process: a warm-up
baseline (shown, not compared), the baseline (read every recommended file from the county's
content store once and SHA-256 it with hashlib, nothing written), our export, our receive
into a fresh city station, and the baseline again. Prints seconds, MB/s, the ratios
export/baseline and receive/baseline (goal for export >= 0.7) and peak memory: the child's
own VmHWM, its worker processes' largest VmHWM, and the whole process tree's RSS sampled every
50 ms (goal < 200 MB). MB is 2^20 bytes. Reports numbers; never fails on them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import video_sizes  # noqa: E402

MB, GB = 2**20, 2**30
CAMPAIGN = "bench"
PROFILE = "after-school-2024"
COUNTY_PASS, CITY_PASS = b"bench-county-pass", b"bench-city-pass"
GOAL_EXPORT_RATIO = 0.7
GOAL_PEAK_MB = 200
SETUP = "setup.json"


# --- setup (not timed) ---------------------------------------------------------------------------


def plan(gb: float, seed: int = 2025) -> list[int]:
    return video_sizes(gb, seed)  # the ingest benchmark's workload shape


def generate(share: Path, sizes: list[int]) -> int:
    block = os.urandom(4 * MB)
    total = 0
    for i, size in enumerate(sizes):
        folder = share / f"第{i + 1:02d}小学课后服务课程资源" / f"课程{i + 1:02d}"
        folder.mkdir(parents=True)
        with open(folder / "课程视频.mp4", "wb", buffering=0) as out:
            out.write(i.to_bytes(8, "big") + os.urandom(4096))
            left = size - 4104
            while left > 0:
                n = min(left, len(block))
                out.write(block[:n])
                left -= n
        (folder / "教学设计.txt").write_text(f"课程{i + 1:02d} 教学设计\n" * 100, "utf-8")
        total += size
    return total


def setup(workdir: Path, gb: float) -> dict:
    marker = workdir / SETUP
    if marker.exists():
        info = json.loads(marker.read_text())
        if info["gb"] == gb:
            return dict(info, reused=True)
    from workflows import campaigns, keys
    from workflows.ingest import importer as ingest
    from workflows.review import decide as review
    from workflows.station import Station

    for name in ("county", "city-keys", "share", "out", "city"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    marker.unlink(missing_ok=True)
    log(f"generating {gb:g} GB and importing it into a county station in {workdir} ...")
    start = time.perf_counter()
    generate(workdir / "share", plan(gb))
    county = Station.open(workdir / "county" / "station.db")
    campaigns.add(county, CAMPAIGN, PROFILE)
    summary = ingest.run(county, [str(workdir / "share")], CAMPAIGN)
    shutil.rmtree(workdir / "share")
    ids = [r[0] for r in county.db().execute("SELECT id FROM submissions WHERE status = 'imported'")]
    review.decide(county, ids, "recommend", "benchmark", reviewer="bench")
    keys.init(county, "基准县教育局", "419900", COUNTY_PASS)
    city = Station.open(workdir / "city-keys" / "station.db")
    keys.init(city, "基准市教育局", "4199", CITY_PASS)
    keys.export_public(county, workdir / "county.pub")
    keys.export_public(city, workdir / "city.pub")
    keys.trust(county, workdir / "city.pub", "recipient")
    info = {
        "gb": gb,
        "bytes": summary.bytes,
        "files": summary.files,
        "works": len(ids),
        "setup_seconds": round(time.perf_counter() - start, 1),
    }
    marker.write_text(json.dumps(info))
    return dict(info, reused=False)


# --- the steps (each in a child process) ------------------------------------------------------------


def recommended_files(workdir: Path) -> list[tuple[Path, int]]:
    from workflows.bundles import export
    from workflows.station import Station

    county = Station.open(workdir / "county" / "station.db")
    subs = export.recommended(county.db(), 1)
    return [(county.objects.path(f["sha256"]), f["size"]) for s in subs for f in s["files"]]


def step_baseline(workdir: Path, workers: int | None) -> dict:
    files = recommended_files(workdir)
    total = 0
    start = time.perf_counter()
    for path, _ in files:
        digest = hashlib.sha256()
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(MB):
                digest.update(chunk)
                total += len(chunk)
    return {"seconds": time.perf_counter() - start, "bytes": total, "files": len(files)}


def step_export(workdir: Path, workers: int | None) -> dict:
    from workflows.bundles import export
    from workflows.station import Station

    county = Station.open(workdir / "county" / "station.db")
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    county.db().execute("DELETE FROM exports")  # every run is the first bundle to the city
    start = time.perf_counter()
    r = export.export(county, CAMPAIGN, "4199", out, COUNTY_PASS, workers=workers)
    seconds = time.perf_counter() - start
    (workdir / "bundle-path").write_text(r["path"])
    return {"seconds": seconds, "bytes": r["bytes"], "files": r["files"], "objects": r["objects"]}


def step_receive(workdir: Path, workers: int | None) -> dict:
    from workflows import keys
    from workflows.bundles import receive
    from workflows.station import Station

    home = workdir / "city"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(workdir / "city-keys", home)
    city = Station.open(home / "station.db")
    keys.trust(city, workdir / "county.pub", "sender")
    path = Path((workdir / "bundle-path").read_text())
    start = time.perf_counter()
    r = receive.receive(city, path, CITY_PASS, workers=workers)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "bytes": r["bytes"], "files": r["files"], "imported": r["imported"]}


STEPS = {"baseline": step_baseline, "export": step_export, "receive": step_receive}


class TreeSampler:
    """Peak RSS of this process plus all its descendants, sampled; and each descendant's own VmHWM."""

    def __init__(self, every: float = 0.05):
        self.every, self.peak_tree_kb, self.worker_hwm_kb = every, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        own = _cmdline(me)
        while not self._stop.is_set():
            children = [pid for pid in _descendants(me) if _cmdline(pid) != own]  # not yet exec'd: shares our pages
            total = _status(me).get("VmRSS", 0)
            for pid in children:
                st = _status(pid)
                total += st.get("VmRSS", 0)
                self.worker_hwm_kb = max(self.worker_hwm_kb, st.get("VmHWM", 0))
            self.peak_tree_kb = max(self.peak_tree_kb, total)
            self._stop.wait(self.every)


def _status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        kids = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += kids
        frontier = kids
    return found


def run_step(name: str, workdir: Path, workers: int | None) -> dict:
    with TreeSampler() as sampler:
        result = STEPS[name](workdir, workers)
    return dict(
        result,
        peak_mb=_status(os.getpid())["VmHWM"] / 1024,
        worker_peak_mb=sampler.worker_hwm_kb / 1024,
        tree_peak_mb=sampler.peak_tree_kb / 1024,
    )


def measure(name: str, workdir: Path, workers: int | None) -> dict:
    log(f"{name} ...")
    os.sync()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", name, "--workdir", str(workdir)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, cwd=ROOT)
    if p.returncode:
        raise SystemExit(f"benchmark step {name!r} failed (exit {p.returncode})")
    r = json.loads(p.stdout)
    r["mb_s"] = r["bytes"] / MB / r["seconds"] if r["seconds"] else 0.0
    return r


# --- report --------------------------------------------------------------------------------------


def print_table(info: dict, runs: dict) -> dict:
    made = "reused" if info["reused"] else f"set up in {info['setup_seconds']:.0f} s"
    print(f"campaign: {info['bytes'] / GB:.2f} GB in {info['files']} files, {info['works']} recommended works ({made})")
    print(f"{'step':<26}{'seconds':>9}{'MB/s':>9}{'peak MB':>9}{'worker MB':>10}{'tree MB':>9}{'GB':>7}")
    for label, key in (
        ("warm-up (not compared)", "warmup"),
        ("baseline: read + sha256", "baseline"),
        ("export", "export"),
        ("receive", "receive"),
        ("baseline (after ours)", "baseline_again"),
    ):
        s = runs[key]
        print(
            f"{label:<26}{s['seconds']:>9.2f}{s['mb_s']:>9.1f}{s['peak_mb']:>9.1f}{s['worker_peak_mb']:>10.1f}"
            f"{s['tree_peak_mb']:>9.1f}{s['bytes'] / GB:>7.2f}"
        )
    base = runs["baseline"]["mb_s"]
    ratios = {k: runs[k]["mb_s"] / base if base else 0.0 for k in ("export", "receive")}
    again = runs["baseline_again"]["mb_s"]
    print(
        f"export throughput ratio (export / baseline) = {ratios['export']:.2f}  (goal >= {GOAL_EXPORT_RATIO}); "
        f"vs baseline after ours = {runs['export']['mb_s'] / again:.2f}"
    )
    print(
        f"receive throughput ratio (receive / baseline) = {ratios['receive']:.2f}; "
        f"vs baseline after ours = {runs['receive']['mb_s'] / again:.2f}"
    )
    peak = max(runs[k]["tree_peak_mb"] for k in ("export", "receive"))
    print(
        f"peak memory of export/receive, whole process tree (main + workers, RSS sampled) = {peak:.0f} MB "
        f"(goal < {GOAL_PEAK_MB} MB)"
    )
    print("(peak MB: the step's own VmHWM; worker MB: the largest worker's VmHWM; tree MB: sampled sum of RSS)")
    if runs["export"]["bytes"] < runs["baseline"]["bytes"]:
        print("WARNING: export packed fewer bytes than the baseline read")
    return {"ratios": ratios, "peak_tree_mb": peak}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=4.0, help="size of the generated campaign (default 4.0)")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and its stations for the next run")
    parser.add_argument("--workers", type=int, help="worker processes for export/receive (default: automatic)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gb <= 0:
        parser.error("--gb must be positive")
    if args.step:
        print(json.dumps(run_step(args.step, args.workdir, args.workers)))
        return 0
    created = args.workdir is None
    workdir = args.workdir or Path(
        tempfile.mkdtemp(
            prefix="bundle-bench-",
            dir=ROOT.parent if Path(tempfile.gettempdir()).stat().st_dev != ROOT.stat().st_dev else None,
        )
    )
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        info = setup(workdir, args.gb)
        runs = {
            "warmup": measure("baseline", workdir, args.workers),
            "baseline": measure("baseline", workdir, args.workers),
            "export": measure("export", workdir, args.workers),
            "receive": measure("receive", workdir, args.workers),
        }
        shutil.rmtree(workdir / "city", ignore_errors=True)
        runs["baseline_again"] = measure("baseline", workdir, args.workers)
        if args.json:
            base = runs["baseline"]["mb_s"]
            print(
                json.dumps(
                    {
                        "setup": info,
                        **runs,
                        "export_ratio": runs["export"]["mb_s"] / base,
                        "receive_ratio": runs["receive"]["mb_s"] / base,
                        "goals": {"export_ratio": GOAL_EXPORT_RATIO, "peak_mb": GOAL_PEAK_MB},
                    },
                    indent=2,
                )
            )
        else:
            print_table(info, runs)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        elif created:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            for name in ("county", "city-keys", "city", "out", "share"):
                shutil.rmtree(workdir / name, ignore_errors=True)
            (workdir / SETUP).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
