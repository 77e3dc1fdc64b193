"""Technical checks: M tier per file size, deep pass and deep check against plain decodes, MediaConch.

    .venv/bin/python benchmarks/checks.py [--quick] [--max-mb 1024] [--deep-mb 100] [--batch-mb 100]
                                          [--jobs N] [--repeat 3] [--workdir DIR] [--keep] [--json]

Encodes one 10 s 1080p25 H.264 High 8 Mbps + AAC 128k segment with ffmpeg, then makes every
other file from it by stream copy (a cut for files under one segment, the concat demuxer for
bigger ones; never encoding long files). In the same run it measures:

1. tier M (`probe.metadata`) per file from 1 MB to `--max-mb` (goal: flat, under 0.1 s);
2. tier V (`analyse.deep`, storyboard, thumbnail and title-card frames included, as `checks.run`
   runs it) on one `--deep-mb` file against `ffmpeg -i f -f null -` (goal <= 1.3 CPU and wall);
3. `checks.run(deep=True, jobs=N)` on a fresh station holding 8 works of `--batch-mb` each,
   imported with `ingest.run` into an after-school-2024 campaign, against the 8 plain decodes
   one after another (goal <= 1.1 on 2 cores, issue 16), timed before and after ours;
4. `mediaconch -p mediaconch-after-school.xml -fc FILES...` on the files of 1 and of 3 against
   our tier M on the same files (goal: ours faster), when mediaconch is installed.

Reports numbers; never fails on them. Other load on the machine shows in the printed load
averages; repeat the run when they are high.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflows import campaigns
from workflows.checks import run as checks
from workflows.checks.media import (
    analyse,
    probe,  # noqa: E402
)
from workflows.ingest import importer as ingest
from workflows.station import Station  # noqa: E402

PROFILE = "after-school-2024"
POLICY = ROOT.parent / "shared" / "design" / "mediaconch-after-school.xml"
MB = 2**20
SEGMENT_SECONDS = 10
LADDER_MB = (1, 10, 100, 1024)
BATCH_FILES = 8
SCHOOL = "第一实验小学课后服务课程资源"
# x264 parameters of the segment. `ultrafast` turns off CABAC, deblocking and B-frames, which
# makes decoding about 2.7x cheaper than for files from cameras and editors; `typical` keeps the
# ultrafast motion search but turns those three back on.
STREAMS = {"ultrafast": "8x8dct=1:nal-hrd=cbr", "typical": "8x8dct=1:nal-hrd=cbr:cabac=1:deblock=1:bframes=3"}
GOAL_M_SECONDS = 0.1
GOAL_DEEP = 1.3
GOAL_BATCH = 1.1


# --- media -----------------------------------------------------------------------------


def ffmpeg(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, cwd=cwd)


class Media:
    """Files of about N MB, made from one encoded segment by stream copy and kept by (MB, tag)."""

    def __init__(self, folder: Path, stream: str):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.made: dict[tuple[int, str], Path] = {}
        self.segment = folder / "segment.mp4"
        start = time.perf_counter()
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s=1920x1080:r=25:d={SEGMENT_SECONDS}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=48000:d={SEGMENT_SECONDS}",
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-profile:v",
            "high",
            "-x264-params",
            STREAMS[stream],
            "-b:v",
            "8M",
            "-minrate",
            "8M",
            "-maxrate",
            "8M",
            "-bufsize",
            "8M",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-movflags",
            "+faststart",
            str(self.segment),
        )
        self.encode_seconds = time.perf_counter() - start
        self.copy_seconds = 0.0

    def sized(self, mb: int, tag: str = "") -> Path:
        """About MB MiB of 1080p25 8 Mbps; a TAG (written as the comment tag) makes the bytes unique."""
        key = (mb, tag)
        if key in self.made:
            return self.made[key]
        out = self.folder / f"{mb}mb{'-' + tag if tag else ''}.mp4"
        start = time.perf_counter()
        segment_bytes = self.segment.stat().st_size
        label = ["-metadata", f"comment={tag}"] if tag else []
        if mb * MB < segment_bytes:
            seconds = SEGMENT_SECONDS * mb * MB / segment_bytes
            ffmpeg("-i", str(self.segment), "-t", f"{seconds:.3f}", "-map", "0", "-c", "copy", *label, str(out))
        else:
            # Moov at the end, as phones and many editors write it: the parser has to seek for it.
            count = max(1, round(mb * MB / segment_bytes))
            listing = out.with_suffix(".txt")
            listing.write_text(f"file '{self.segment.name}'\n" * count, encoding="utf-8")
            ffmpeg(
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                listing.name,
                "-map",
                "0",
                "-c",
                "copy",
                *label,
                out.name,
                cwd=self.folder,
            )
            listing.unlink()
        self.copy_seconds += time.perf_counter() - start
        self.made[key] = out
        return out


# --- timing ----------------------------------------------------------------------------


def timed(fn, *args, **kwargs) -> tuple[dict, object]:
    """Wall seconds and CPU seconds (this process plus the children it waited for) of one call."""
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    wall = time.perf_counter() - start
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(a, f) - getattr(b, f)
        for a, b in ((after_self, before_self), (after_children, before_children))
        for f in ("ru_utime", "ru_stime")
    )
    return {"seconds": wall, "cpu": cpu}, value


def plain_decode(path: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"], check=True, stdin=subprocess.DEVNULL
    )


def plain_decodes(paths: list[Path]) -> None:
    for path in paths:
        plain_decode(path)


# --- 1. tier M per file size -------------------------------------------------------------


def ladder_sizes(max_mb: int) -> list[int]:
    sizes = [mb for mb in LADDER_MB if mb <= max_mb]
    if max_mb not in sizes:
        sizes.append(max_mb)
    return sizes


def stored_twin(path: Path) -> Path:
    """A hard link named as the content store names objects: no extension."""
    twin = path.parent / "stored" / path.stem
    twin.parent.mkdir(exist_ok=True)
    if not twin.exists():
        os.link(path, twin)
    return twin


def metadata_tier(files: dict[int, Path], repeat: int) -> dict:
    """probe.metadata on each file named NAME.mp4 (as the teacher sent it) and as the station stores it."""
    probe.metadata(files[min(files)])  # loads libmediainfo; not counted
    paths = {
        (mb, how): path if how == "named" else stored_twin(path)
        for mb, path in files.items()
        for how in ("named", "stored")
    }
    times: dict[tuple[int, str], list[float]] = {key: [] for key in paths}
    for _ in range(repeat):  # round robin, so other load on the machine falls on every file alike
        for key, path in paths.items():
            start = time.perf_counter()
            probe.metadata(path)
            times[key].append(time.perf_counter() - start)
    rows = [
        {
            "mb": mb,
            "bytes": path.stat().st_size,
            **{
                how: {
                    "first": times[mb, how][0],
                    "median": statistics.median(times[mb, how]),
                    "max": max(times[mb, how]),
                }
                for how in ("named", "stored")
            },
        }
        for mb, path in files.items()
    ]
    m = probe.metadata(files[max(files)])
    return {
        "rows": rows,
        "repeat": repeat,
        "load": os.getloadavg(),
        **{
            how: {
                "flatness": rows[-1][how]["median"] / rows[0][how]["median"],
                "worst": max(r[how]["max"] for r in rows),
            }
            for how in ("named", "stored")
        },
        "largest_duration": m["general"]["duration"],
    }


# --- 2. the deep pass on one file ----------------------------------------------------------


def deep_pass(path: Path, repeat: int) -> dict:
    m = probe.metadata(path)
    plain, deep, result = [], [], {}
    pictures = Path(tempfile.mkdtemp(prefix="checks-bench-pictures-"))

    def keep(picture: Path) -> str:  # as the content store keeps them: a copy under a new name
        name = f"{len(list(pictures.iterdir())):05d}"
        shutil.copyfile(picture, pictures / name)
        return name

    for _ in range(repeat):
        plain.append(timed(plain_decode, path)[0])
        t, result = timed(analyse.deep, path, m, keep=keep)
        deep.append(t)
    shutil.rmtree(pictures, ignore_errors=True)
    mid = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        tiers = {
            "M": timed(probe.metadata, path)[0],
            "P": timed(probe.packets, path)[0],
            "T": timed(analyse.title_card, path, m, Path(tmp) / "thumb.jpg")[0],
        }
    return {
        "file": path.name,
        "tiers": tiers,
        "bytes": path.stat().st_size,
        "duration": m["general"]["duration"],
        "repeat": repeat,
        "plain": plain,
        "deep": deep,
        "plain_seconds": mid(plain, "seconds"),
        "deep_seconds": mid(deep, "seconds"),
        "plain_cpu": mid(plain, "cpu"),
        "deep_cpu": mid(deep, "cpu"),
        "ratio": mid(deep, "seconds") / mid(plain, "seconds"),
        "cpu_ratio": mid(deep, "cpu") / mid(plain, "cpu") if mid(plain, "cpu") else 0.0,
        "storyboard_frames": len(result.get("storyboard", {}).get("frames", [])),
        "errors": result.get("error_count"),
        "timed_out": result.get("timed_out"),
        "load": os.getloadavg(),
    }


# --- 3. the whole deep check of 8 works ------------------------------------------------------


class TierClock:
    """Seconds each tier spent, summed over the worker threads, from checks.run's progress reports."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started: dict[tuple[str, str], float] = {}
        self.ended: dict[tuple[str, str], float] = {}

    def __call__(self, p) -> None:  # a workflows.progress.Progress
        key, now = (p.item, p.step), time.perf_counter()
        with self.lock:
            self.started.setdefault(key, now)
            if (p.item_fraction or 0.0) >= 1.0:
                self.ended[key] = now

    def totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, end in self.ended.items():
            out[key[1]] = out.get(key[1], 0.0) + end - self.started[key]
        return out


def deep_check(media: Media, workdir: Path, batch_mb: int, jobs: int) -> dict:
    share = workdir / "share" / SCHOOL
    originals = []
    for i in range(1, BATCH_FILES + 1):
        originals.append(share / f"课程{i:02d}" / f"课程{i:02d}.mp4")
        originals[-1].parent.mkdir(parents=True)
        os.link(media.sized(batch_mb, tag=f"bench-{i:02d}"), originals[-1])
    station = Station.open(workdir / "station" / "station.db")
    campaigns.add(station, "bench", PROFILE)
    imported = ingest.run(station, [str(share)], "bench")
    db = station.db()
    shas = [r[0] for r in db.execute("SELECT sha256 FROM files WHERE kind = 'video' ORDER BY path")]
    paths = [station.objects.path(sha) for sha in shas]
    if len(paths) != BATCH_FILES:
        raise SystemExit(
            f"expected {BATCH_FILES} imported videos, got {len(paths)} "
            f"(submissions {imported.submissions}, rejected {imported.rejected})"
        )
    durations = [probe.metadata(p)["general"]["duration"] for p in paths]

    before, _ = timed(plain_decodes, paths)
    clock = TierClock()
    ours, summary = timed(checks.run, station, deep=True, jobs=jobs, progress=clock)
    after, _ = timed(plain_decodes, paths)
    baseline = (before["seconds"] + after["seconds"]) / 2
    return {
        "files": len(paths),
        "bytes": sum(p.stat().st_size for p in paths),
        "media_seconds": sum(durations),
        "jobs": jobs,
        "cpus": os.cpu_count(),
        "before": before,
        "ours": ours,
        "after": after,
        "ratio": ours["seconds"] / baseline,
        "ratio_before": ours["seconds"] / before["seconds"],
        "ratio_after": ours["seconds"] / after["seconds"],
        "measured": summary.measured,
        "cached": summary.cached,
        "findings": summary.findings,
        "tiers": clock.totals(),
        "load": os.getloadavg(),
        "paths": [str(p) for p in paths],
        "originals": [str(p) for p in originals],
    }


# --- 4. MediaConch against tier M ---------------------------------------------------------------


def mediaconch_row(label: str, files: list[Path], home: Path, warmup: Path) -> dict:
    row = {"label": label, "files": len(files), "bytes": sum(f.stat().st_size for f in files)}
    if shutil.which("mediaconch") is None:
        return dict(row, skipped="mediaconch is not installed (apt-get install --no-install-recommends mediaconch)")
    if not POLICY.exists():
        return dict(row, skipped=f"policy {POLICY} not found (../shared/ is missing)")
    env = dict(os.environ, HOME=str(home))
    cmd = ["mediaconch", "-p", str(POLICY), "-fc"]
    if not home.exists():
        # MediaConch keeps every report in a database under ~/.local/share and answers from it when
        # it has seen the file: the first run creates it, on a file not timed below.
        home.mkdir(parents=True)
        subprocess.run([*cmd, str(warmup)], env=env, capture_output=True, check=False)
    run = lambda: subprocess.run([*cmd, *map(str, files)], env=env, capture_output=True, text=True)  # noqa: E731
    theirs, done = timed(run)
    verdicts = [line.split(",")[1] for line in done.stdout.splitlines()[1:] if line.count(",") >= 2]
    if done.returncode or len(verdicts) != len(files):
        return dict(row, skipped=f"mediaconch failed (exit {done.returncode}): {done.stderr.strip()[:200]}")
    ours, _ = timed(lambda: [probe.metadata(f) for f in files])
    fresh, _ = timed(
        subprocess.run,
        [
            sys.executable,
            "-c",
            "import sys; from workflows import probe; [probe.metadata(p) for p in sys.argv[1:]]",
            *map(str, files),
        ],
        cwd=ROOT,
        check=True,
    )
    return dict(
        row,
        mediaconch=theirs,
        ours=ours,
        ours_fresh_process=fresh,
        load=os.getloadavg(),
        verdicts={v: verdicts.count(v) for v in sorted(set(verdicts))},
        ratio=ours["seconds"] / theirs["seconds"],
        ratio_fresh=fresh["seconds"] / theirs["seconds"],
    )


# --- report ------------------------------------------------------------------------------------


def load(r: dict) -> str:
    return f"load average {r['load'][0]:.1f}"


def print_table(r: dict) -> None:
    g = r["generation"]
    print(f"segment: 10 s 1080p25 H.264 High 8 Mbps + AAC, x264 {r['stream']} ({STREAMS[r['stream']]})")
    print(
        f"machine: {r['cpus']} CPUs; load average {r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after; "
        f"segment encoded in {g['encode_seconds']:.1f} s, stream copies took {g['copy_seconds']:.1f} s"
    )

    m = r["metadata"]
    print(f"\n1. tier M (probe.metadata) per file, {m['repeat']} calls each, warm page cache; {load(m)}")
    print(f"{'':>18}{'named NAME.mp4':^27}{'as stored (no extension)':^27}")
    print(f"{'file':>9}{'MB':>9}" + f"{'first s':>9}{'median s':>9}{'max s':>9}" * 2)
    for row in m["rows"]:
        print(
            f"{str(row['mb']) + ' MB':>9}{row['bytes'] / MB:>9.1f}"
            + "".join(
                f"{row[how]['first']:>9.4f}{row[how]['median']:>9.4f}{row[how]['max']:>9.4f}"
                for how in ("named", "stored")
            )
        )
    for how, label in (("named", "named .mp4"), ("stored", "as stored")):
        print(
            f"{label}: largest / smallest median = {m[how]['flatness']:.2f} (goal: flat); slowest call = "
            f"{m[how]['worst']:.4f} s (goal < {GOAL_M_SECONDS} s)"
        )
    print(f"(the largest file lasts {m['largest_duration'] / 60:.1f} min; checks.run reads files as stored)")

    d = r["deep"]
    print(
        f"\n2. tier V (analyse.deep) against `ffmpeg -i f -f null -`: {d['file']}, {d['bytes'] / MB:.0f} MB, "
        f"{d['duration']:.0f} s, median of {d['repeat']}; {load(d)}"
    )
    print(f"{'step':<22}{'wall s':>9}{'cpu s':>9}")
    print(f"{'plain decode':<22}{d['plain_seconds']:>9.2f}{d['plain_cpu']:>9.2f}")
    print(f"{'deep pass':<22}{d['deep_seconds']:>9.2f}{d['deep_cpu']:>9.2f}")
    print(
        f"deep / plain = {d['ratio']:.2f} wall, {d['cpu_ratio']:.2f} CPU (goal <= {GOAL_DEEP}); "
        f"storyboard {d['storyboard_frames']} frames and the title card kept in the same decode"
    )
    print(
        "the other tiers on this file (each once, as checks.run --deep also runs them): "
        + ", ".join(f"{t} {c['seconds']:.2f} s wall, {c['cpu']:.2f} s cpu" for t, c in d["tiers"].items())
    )
    if d["errors"] or d["timed_out"]:
        print(f"WARNING: the deep pass reported {d['errors']} error lines, timed out: {d['timed_out']}")

    b = r["batch"]
    print(
        f"\n3. checks.run(deep=True, jobs={b['jobs']}) on {b['files']} works, {b['bytes'] / MB:.0f} MB, "
        f"{b['media_seconds'] / 60:.1f} min of video, against the plain decodes one after another; {load(b)}"
    )
    print(f"{'step':<28}{'wall s':>9}{'cpu s':>9}{'cores busy':>12}")
    for label, key in (
        ("plain decodes (before)", "before"),
        ("checks.run deep", "ours"),
        ("plain decodes (after)", "after"),
    ):
        s = b[key]
        print(f"{label:<28}{s['seconds']:>9.2f}{s['cpu']:>9.2f}{s['cpu'] / s['seconds']:>12.2f}")
    tiers = ", ".join(f"{t} {s:.1f} s" for t, s in sorted(b["tiers"].items(), key=lambda kv: -kv[1]))
    print(f"tier wall time summed over workers: {tiers}; measured {b['measured']}, findings {b['findings']}")
    print(
        f"deep check / plain decodes = {b['ratio']:.2f} (before {b['ratio_before']:.2f}, after {b['ratio_after']:.2f}; "
        f"goal <= {GOAL_BATCH} on 2 cores); CPU {b['ours']['cpu'] / ((b['before']['cpu'] + b['after']['cpu']) / 2):.2f}"
    )

    print("\n4. mediaconch -p mediaconch-after-school.xml -fc FILES... against tier M on the same files")
    print(
        f"{'files':<30}{'MB':>6}{'mediaconch s':>13}{'its cpu':>8}{'ours s':>8}{'ours cpu':>9}{'ratio':>7}"
        f"{'ours+python s':>14}{'ratio':>7}"
    )
    for row in r["mediaconch"]:
        head = f"{row['label']:<30}{row['bytes'] / MB:>6.0f}"
        if "skipped" in row:
            print(f"{head}  skipped: {row['skipped']}")
            continue
        print(
            f"{head}{row['mediaconch']['seconds']:>13.3f}{row['mediaconch']['cpu']:>8.3f}{row['ours']['seconds']:>8.3f}"
            f"{row['ours']['cpu']:>9.3f}{row['ratio']:>7.2f}{row['ours_fresh_process']['seconds']:>14.3f}{row['ratio_fresh']:>7.2f}"
        )
    print(
        "ratio = ours / mediaconch, wall (goal < 1); ours+python = tier M in a fresh Python process, start-up included"
    )


def summary(r: dict) -> dict:
    """The batch goal in one line: WALL time of the deep check of 8 works against the 8 plain decodes."""
    b = r["batch"]
    plain_cpu = (b["before"]["cpu"] + b["after"]["cpu"]) / 2
    out = {
        "batch_wall_ratio": round(b["ratio"], 3),
        "batch_wall_ratio_before_after": [round(b["ratio_before"], 3), round(b["ratio_after"], 3)],
        "batch_cpu_ratio": round(b["ours"]["cpu"] / plain_cpu, 3) if plain_cpu else None,
        "deep_cpu_ratio": round(r["deep"]["cpu_ratio"], 3),
        "load_during_batch": [round(x, 2) for x in b["load"]],
        "stream": r["stream"],
    }
    out["line"] = (
        f"BATCH WALL RATIO ({r['stream']}): deep check of {b['files']} works / {b['files']} plain decodes one after "
        f"another = {out['batch_wall_ratio']:.2f} (goal <= {GOAL_BATCH}; against the decodes before "
        f"{out['batch_wall_ratio_before_after'][0]:.2f}, after {out['batch_wall_ratio_before_after'][1]:.2f}); "
        f"CPU {out['batch_cpu_ratio']:.2f}; one deep pass CPU {out['deep_cpu_ratio']:.2f} (goal <= {GOAL_DEEP}); "
        f"load average {b['load'][0]:.1f} {b['load'][1]:.1f} {b['load'][2]:.1f}"
    )
    return out


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="checks-bench-"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run: files up to 10 MB, 5 MB works, one repeat")
    parser.add_argument("--max-mb", type=int, help="largest file of the tier-M ladder, in MiB (default 1024; quick 10)")
    parser.add_argument("--deep-mb", type=int, help="size of the deep-pass file (default 100; quick 10)")
    parser.add_argument("--batch-mb", type=int, help="size of each of the 8 works (default 100; quick 5)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="checks.run workers (default: CPUs)")
    parser.add_argument(
        "--repeat", type=int, help="timed calls per measurement (default 3, tier M 5; quick 1, tier M 3)"
    )
    parser.add_argument(
        "--stream",
        choices=sorted(STREAMS),
        default="ultrafast",
        help="x264 features of the generated video (default ultrafast; typical: CABAC, deblocking, B-frames)",
    )
    parser.add_argument("--workdir", type=Path, help="where to generate (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    max_mb = args.max_mb or (10 if args.quick else 1024)
    deep_mb = args.deep_mb or (10 if args.quick else 100)
    batch_mb = args.batch_mb or (5 if args.quick else 100)
    repeat = args.repeat or (1 if args.quick else 3)
    if min(max_mb, deep_mb, batch_mb, repeat, args.jobs) < 1:
        parser.error("sizes, --repeat and --jobs must be at least 1")

    created = args.workdir is None
    workdir = default_workdir() if created else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    made = [workdir / name for name in ("media", "share", "station", "mediaconch")]
    if not created and any(p.exists() for p in made):
        parser.error(f"{workdir} holds files of an earlier run ({', '.join(p.name for p in made if p.exists())})")
    r: dict = {"stream": args.stream, "cpus": os.cpu_count(), "load_before": os.getloadavg()}
    try:
        log(f"encoding the segment and stream-copying files in {workdir / 'media'} ...")
        media = Media(workdir / "media", args.stream)
        ladder = {mb: media.sized(mb) for mb in ladder_sizes(max_mb)}
        deep_file = media.sized(deep_mb)
        warmup = media.sized(1, tag="warmup")
        log("1. tier M ...")
        r["metadata"] = metadata_tier(ladder, args.repeat or (3 if args.quick else 5))
        log("2. deep pass ...")
        r["deep"] = deep_pass(deep_file, repeat)
        log("3. deep check of 8 works ...")
        r["batch"] = deep_check(media, workdir, batch_mb, args.jobs)
        log("4. mediaconch ...")
        home = workdir / "mediaconch"
        ladder_label = f"1's {len(ladder)} ({min(ladder)}-{max(ladder)} MB)"
        r["mediaconch"] = [
            mediaconch_row(f"{ladder_label}, .mp4", list(ladder.values()), home, warmup),
            mediaconch_row(f"{ladder_label}, stored", [stored_twin(p) for p in ladder.values()], home, warmup),
            mediaconch_row("3's 8 works, .mp4", [Path(p) for p in r["batch"]["originals"]], home, warmup),
            mediaconch_row("3's 8 works, stored", [Path(p) for p in r["batch"]["paths"]], home, warmup),
        ]
        r["generation"] = {"encode_seconds": media.encode_seconds, "copy_seconds": media.copy_seconds}
        r["load_after"] = os.getloadavg()
        r["goals"] = {"m_seconds": GOAL_M_SECONDS, "deep_ratio": GOAL_DEEP, "batch_ratio": GOAL_BATCH}
        r["summary"] = summary(r)
        if args.json:
            print(json.dumps(r, ensure_ascii=False, indent=2))
        else:
            print_table(r)
        log(r["summary"]["line"])  # on stderr too, so a --json run shows it
    finally:
        if args.keep:
            log(f"kept {workdir}")
        elif created:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            for p in made:
                shutil.rmtree(p, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
