"""kill -9 at seeded random points during `station import`, `station export` and `station receive`, then a re-run:
the state must equal a clean run's (submissions, files, findings, decisions, audit modulo timestamps and ids,
bundles, leftovers in spool and out).

Kill points are of two kinds, drawn with a fixed seed: the test-only hook in `store.write`
(STATION_TEST_KILL_AT="N:before|after" SIGKILLs the process just before or after the COMMIT of its Nth write; a
clean run counts its writes with STATION_TEST_WRITES), and time offsets within a clean run's measured duration
(the process group gets SIGKILL). INTERRUPT_POINTS sets how many points per command (10 in `make test`, 50 in
`make test-long`); INTERRUPT_SEED changes the draw.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import tree, write_zip
from test_bundle import CITY_PASS, COUNTY_PASS, new_station

from exporters import bundle
from store import audit
from workflows import campaigns, keys
from workflows.ingest import importer as ingest
from workflows.review import decide as review
from workflows.station import Station

POINTS = int(os.environ.get("INTERRUPT_POINTS", "10"))
SEED = int(os.environ.get("INTERRUPT_SEED", "20261201"))
STATION = str(Path(sys.executable).parent / "station")
VOLATILE = {"bundle_id", "path", "tagmanifest_sha256", "at", "created"}
# each point is two CLI runs: the suite's per-test timeout scales with the number of points
LONG = pytest.mark.timeout(max(300, POINTS * 40))


def run(db: Path, *args, env: dict | None = None, kill_after: float | None = None, passfile: Path | None = None):
    """Run `station` on DB; with KILL_AFTER, SIGKILL its process group after that many seconds."""
    e = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8", **(env or {}))
    e.pop("STATION_PASSPHRASE_FILE", None)
    if passfile:
        e["STATION_PASSPHRASE_FILE"] = str(passfile)
    proc = subprocess.Popen(
        [STATION, *map(str, args)],
        env=e,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return proc.returncode, out.decode(), err.decode()


def points(writes: int, duration: float, rng: random.Random) -> list[tuple[str, object]]:
    """POINTS kill points: write-hook points (every one of them when there are few) and time offsets."""
    hooks = [("hook", f"{n}:{when}") for n in range(1, writes + 1) for when in ("before", "after")]
    rng.shuffle(hooks)
    chosen = hooks[: max(POINTS // 2, POINTS - 3) if len(hooks) >= POINTS else len(hooks)]
    while len(chosen) < POINTS:
        chosen.append(("time", round(rng.uniform(0.05, duration), 3)))
    return chosen


def calibrate(db: Path, tmp: Path, *args, passfile: Path | None = None) -> tuple[int, float]:
    """A clean run's write count and duration."""
    count = tmp / "writes.txt"
    count.unlink(missing_ok=True)
    started = time.monotonic()
    code, out, err = run(db, *args, env={"STATION_TEST_WRITES": str(count)}, passfile=passfile)
    assert code in (0, 1), err
    writes = len(count.read_text().splitlines()) if count.exists() else 0
    return writes, time.monotonic() - started


def kill_run(db: Path, kind: str, point, *args, passfile: Path | None = None) -> int:
    if kind == "hook":
        code, _, _ = run(db, *args, env={"STATION_TEST_KILL_AT": point}, passfile=passfile)
    else:
        code, _, _ = run(db, *args, kill_after=point, passfile=passfile)
    return code


# --- the state a run leaves -----------------------------------------------------------------------------------


def _detail(text: str) -> dict:
    d = json.loads(text)
    return {k: v for k, v in d.items() if k not in VOLATILE}


def state(station_dir: Path, out: Path | None = None) -> dict:
    st = Station.open(station_dir / "station.db")
    db = st.db()
    key = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, source_key, version FROM submissions")}

    def rows(sql: str, by: int | None = 0) -> list:
        got = []
        for r in db.execute(sql):
            r = list(r)
            if by is not None:
                r[by] = key.get(r[by], r[by])
            got.append(tuple(r))
        return sorted(got, key=repr)

    subject_map = {f"submission:{i}": f"submission:{k}" for i, k in key.items()}
    trail = [
        (a, subject_map.get(s, key.get(int(s), s) if s and s.isdigit() else s), _detail(d), actor)
        for a, s, d, actor in db.execute("SELECT action, subject, detail, actor FROM audit ORDER BY id")
    ]
    got = {
        "submissions": rows(
            "SELECT id, fingerprint, title, project, stage, school, layout, meta, source, status FROM submissions"
        ),
        "files": rows("SELECT submission_id, path, size, sha256, kind, role, listing FROM files"),
        "findings": rows(
            "SELECT submission_id, (SELECT path FROM files x WHERE x.id = f.file_id), rule, status, measured, "
            "expected, message, source, profile, clause, fix FROM findings f"
        ),
        "decisions": rows("SELECT submission_id, value, reason, reviewer FROM decisions"),
        "sender_decisions": rows("SELECT submission_id, sender, value, reason FROM sender_decisions"),
        "campaigns": rows("SELECT name, profile, checked_with FROM campaigns", None),
        "imports": rows("SELECT source_key, signature FROM imports", None),
        "exports": rows(
            "SELECT recipient, seq, submissions, audit_upto FROM exports", None
        ),  # bytes: records carry times
        "received": rows("SELECT sender, seq, submissions, bytes FROM received_bundles", None),
        "audit": trail,
        "audit_ok": audit.verify(db).ok,
        "objects": sorted(p.parent.name + p.name for p in (station_dir / "objects").glob("??/*")),
        "spool": sorted(str(p.relative_to(station_dir)) for p in (station_dir / "spool").rglob("*")),
        "objects_tmp": sorted(p.name for p in (station_dir / "objects" / "tmp").glob("*")),
    }
    if out is not None:
        names = sorted(p.name for p in out.iterdir()) if out.exists() else []
        got["out"] = [n.rsplit("_", 1)[0] if n.endswith(".bundle") else n for n in names]
        got["bundles_ok"] = [
            not bundle.intake(out / n)[1] and not bundle.hash_objects(bundle.intake(out / n)[0])
            for n in names
            if n.endswith(".bundle")
        ]
    return got


def assert_same(got: dict, want: dict, label: str) -> None:
    for k in want:
        assert got[k] == want[k], f"{label}: {k} differs from a clean run's"


# --- import ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def share(tmp_path_factory, video) -> Path:
    root = tmp_path_factory.mktemp("interrupt-share")
    clip = video.read_bytes()
    tree(
        root / "share",
        {
            "第一小学课后服务课程资源/趣味数学/课程视频.mp4": clip,
            "第一小学课后服务课程资源/趣味数学/教学设计.txt": "教学设计：趣味数学\n".encode() * 20,
            "第二小学课后服务课程资源/创意美术/课程视频.mp4": clip + b"\0",
            "第二小学课后服务课程资源/创意美术/教学设计.txt": "教学设计：创意美术\n".encode() * 20,
            "零散材料/说明.txt": "没有按结构整理的材料\n".encode(),
        },
    )
    write_zip(
        root / "share" / "第三小学课后服务课程资源.zip",
        {
            "第三小学课后服务课程资源/经典诵读/课程视频.mp4": clip + b"\0\0",
            "第三小学课后服务课程资源/经典诵读/教学设计.txt": "教学设计：经典诵读\n".encode() * 20,
        },
    )
    return root / "share"


@pytest.fixture(scope="module")
def empty_station(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("interrupt-base") / "station"
    st = Station.open(root / "station.db")
    campaigns.add(st, "课后服务2024", "after-school-2024")
    return root


def fresh(base: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(base, dest)
    return dest


@LONG
def test_kill_import_then_rerun_equals_a_clean_run(tmp_path, share, empty_station):
    clean = fresh(empty_station, tmp_path / "clean")
    writes, duration = calibrate(clean / "station.db", tmp_path, "import", share)
    want = state(clean)
    assert len(want["submissions"]) == 4 and any(f[7] == "check" for f in want["findings"])
    assert writes > 4
    rng = random.Random(SEED)
    for i, (kind, point) in enumerate(points(writes, duration, rng)):
        station_dir = fresh(empty_station, tmp_path / f"killed{i}")  # new paths: connections are cached per path
        kill_run(station_dir / "station.db", kind, point, "import", share)
        code, _, err = run(station_dir / "station.db", "import", share)
        assert code == 0, f"import re-run after a kill at {kind} {point}: {err}"
        assert_same(state(station_dir), want, f"import killed at {kind} {point}")


# --- export and receive --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stations(tmp_path_factory, video) -> Path:
    """A county with two recommended works and a trusted city, and a city that trusts the county."""
    tmp = tmp_path_factory.mktemp("interrupt-net")
    county = new_station(tmp, "county", "某某县教育局", "410102", COUNTY_PASS)
    city = new_station(tmp, "city", "某某市教育局", "4101", CITY_PASS)
    keys.trust(county, tmp / "city.pub", "recipient")
    keys.trust(city, tmp / "county.pub", "sender")
    campaigns.add(county, "课后服务2024", "after-school-2024")
    block = os.urandom(1 << 20)
    share = tree(
        tmp / "share",
        {
            "第一小学课后服务课程资源/趣味数学/课程视频.mp4": video,
            "第一小学课后服务课程资源/趣味数学/资料.bin": block * 8,
            "第一小学课后服务课程资源/创意美术/课程视频.mp4": video.read_bytes() + b"\0",
            "第一小学课后服务课程资源/创意美术/资料.bin": block[::-1] * 8,
        },
    )
    ids = ingest.run(county, [str(share)]).ids
    review.decide(county, ids, "recommend", "推荐", reviewer="李评审")
    (tmp / "county.pass").write_bytes(COUNTY_PASS + b"\n")
    (tmp / "city.pass").write_bytes(CITY_PASS + b"\n")
    return tmp


def _bundle_appeared(out: Path):
    return lambda: any(p.suffix == ".bundle" for p in out.iterdir()) if out.exists() else False


@LONG
def test_kill_export_then_rerun_equals_a_clean_run(tmp_path, stations):
    base = stations / "county"
    pw = stations / "county.pass"
    args = ("export", "--to", "4101")
    clean = fresh(base, tmp_path / "clean")
    writes, duration = calibrate(clean / "station.db", tmp_path, *args, "--out", tmp_path / "clean-out", passfile=pw)
    once = state(clean, tmp_path / "clean-out")
    assert once["bundles_ok"] == [True] and len(once["exports"]) == 1
    code, _, err = run(clean / "station.db", *args, "--out", tmp_path / "clean-out", passfile=pw)
    assert code == 0, err
    twice = state(clean, tmp_path / "clean-out")  # what a re-run gives when the killed run had finished its bundle
    assert twice["bundles_ok"] == [True, True] and [e[1] for e in twice["exports"]] == [1, 2]

    rng = random.Random(SEED + 1)
    plan = points(writes, duration, rng)
    plan[-1] = ("appear", None)  # the moment the *.bundle appears (issue 13's 8 of 8)
    for i, (kind, point) in enumerate(plan):
        station_dir = fresh(base, tmp_path / f"killed{i}")
        out = tmp_path / f"out{i}"
        db = station_dir / "station.db"
        if kind == "appear":
            e = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8", STATION_PASSPHRASE_FILE=str(pw))
            proc = subprocess.Popen(
                [STATION, *args, "--out", str(out)],
                env=e,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            appeared = _bundle_appeared(out)
            while proc.poll() is None and not appeared():
                time.sleep(0.002)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        else:
            kill_run(db, kind, point, *args, "--out", out, passfile=pw)
        # a bundle in place means the killed run had recorded and renamed it: the re-run is a second export
        finished = out.exists() and any(p.suffix == ".bundle" for p in out.iterdir())
        code, _, err = run(db, *args, "--out", out, passfile=pw)
        assert code == 0, f"export re-run after a kill at {kind} {point}: {err}"
        got = state(station_dir, out)
        assert len({n for n in got["out"]}) == len(got["out"]), got["out"]  # never two bundles with one seq
        assert_same(got, twice if finished else once, f"export killed at {kind} {point}")


@LONG
def test_kill_receive_then_rerun_equals_a_clean_run(tmp_path, stations):
    county = fresh(stations / "county", tmp_path / "county")
    code, out, err = run(
        county / "station.db",
        "export",
        "--to",
        "4101",
        "--out",
        tmp_path / "out",
        "--json",
        passfile=stations / "county.pass",
    )
    assert code == 0, err
    path = json.loads(out)["path"]
    pw = stations / "city.pass"
    clean = fresh(stations / "city", tmp_path / "clean")
    writes, duration = calibrate(clean / "station.db", tmp_path, "receive", path, passfile=pw)
    want = state(clean)
    assert len(want["received"]) == 1 and len(want["submissions"]) == 2
    rng = random.Random(SEED + 2)
    for i, (kind, point) in enumerate(points(writes, duration, rng)):
        station_dir = fresh(stations / "city", tmp_path / f"killed{i}")
        kill_run(station_dir / "station.db", kind, point, "receive", path, passfile=pw)
        code, _, err = run(station_dir / "station.db", "receive", path, passfile=pw)
        assert code == 0, f"receive re-run after a kill at {kind} {point}: {err}"
        assert_same(state(station_dir), want, f"receive killed at {kind} {point}")
