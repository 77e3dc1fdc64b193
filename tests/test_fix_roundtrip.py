"""`station fix` output passes the station's own checks: every fixable variant, fixed, re-imported, re-checked.

Also: the suggested command is shell-safe (a file named with `$(…)` and backticks is pasted into bash and
runs nothing but ffmpeg), and the fix honours SAR and reaches a bit-rate floor at real size (W18).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import media
import pytest
from test_checks import _builtin, _override

from store import queries
from workflows import campaigns
from workflows.checks import run as checks
from workflows.checks.media import probe
from workflows.ingest import importer as ingest
from workflows.rules.catalog import REGISTRY
from workflows.station import Station

STATION = str(Path(sys.executable).parent / "station")
FIXABLE = [
    "small",
    "aspect43",
    "anamorphic",
    "ntsc",
    "vfr",
    "interlaced",
    "hevc",
    "mp3audio",
    "mono",
    "abr64",
    "lowrate",
    "slides",
    "mov",
]


def _failing_mechanical(row) -> set[str]:
    return {f["rule"] for f in row["findings"] if f["status"] == "fail" and REGISTRY[f["rule"]].mechanical}


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    clips = media.cached("video", media.variants)
    root = tmp_path_factory.mktemp("roundtrip")
    station = Station.open(root / "station" / "station.db")
    _override(station, "after-school-2024", media.test_profile(_builtin("after-school-2024")))
    campaigns.add(station, "原件", "after-school-2024")
    campaigns.add(station, "合规副本", "after-school-2024")
    share = root / "share" / "测试学校课后服务课程资源"
    for name in FIXABLE:
        path = clips[name][0]
        (share / name).mkdir(parents=True)
        shutil.copyfile(path, share / name / f"{name}{path.suffix}")
    ingest.run(station, [str(share.parent)], "原件")
    checks.run(station)
    before = {r["title"]: r for r in queries.submissions(station.db()) if r["campaign"] == "原件"}
    fixed_share = root / "fixed" / "测试学校课后服务课程资源"
    made = {}
    for name in FIXABLE:
        out = root / "out" / name
        p = subprocess.run(
            [STATION, "--db", str(station.db_path), "fix", str(before[name]["id"]), "--out", str(out), "--json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
        made[name] = json.loads(p.stdout)
        for item in made[name]:
            (fixed_share / name).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item["output"], fixed_share / name / Path(item["output"]).name)
    ingest.run(station, [str(fixed_share.parent)], "合规副本")
    checks.run(station)
    after = {r["title"]: r for r in queries.submissions(station.db()) if r["campaign"] == "合规副本"}
    return before, made, after


@pytest.mark.req("000-09", "000-10", "000-12", "000-13", "000-14", "000-15", "000-16", "000-17")
@pytest.mark.parametrize("name", FIXABLE)
def test_every_fixable_variant_passes_its_rules_after_station_fix(roundtrip, name):
    before, made, after = roundtrip
    failed = _failing_mechanical(before[name])
    assert failed, f"{name} should fail a rule a re-encode or remux fixes"
    assert len(made[name]) == 1 and set(made[name][0]["rules"]) == failed
    status = {f["rule"]: f["status"] for f in after[name]["findings"]}
    assert {r: status.get(r) for r in failed} == {r: "pass" for r in failed}
    assert not _failing_mechanical(after[name])


def test_fix_output_of_an_anamorphic_file_fills_the_frame(roundtrip):
    """W18: 240x180 SAR 4:3 is 320x180 on screen: the copy is full-frame, not pillarboxed."""
    _, made, _ = roundtrip
    out = Path(made["anamorphic"][0]["output"])
    crop = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "info",
            "-i",
            str(out),
            "-vf",
            "cropdetect=limit=24:round=2",
            "-frames:v",
            "50",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    ).stderr
    last = [line for line in crop.splitlines() if "crop=" in line][-1]
    assert last.rsplit("crop=", 1)[1].strip() == "320:180:0:0"
    m = probe.metadata(out)
    assert (m["video"][0]["width"], m["video"][0]["height"], m["video"][0]["par"]) == (320, 180, 1.0)


def test_the_suggested_command_is_shell_safe_when_pasted_into_bash(roundtrip, tmp_path):
    """Issue 13: a file named with $(…) and backticks: the shown command runs ffmpeg and nothing else."""
    clips = media.cached("video", media.variants)
    station = Station.open(tmp_path / "station" / "station.db")
    _override(station, "after-school-2024", media.test_profile(_builtin("after-school-2024")))
    campaigns.add(station, "课后", "after-school-2024")
    evil = "课$(touch pwned1)`touch pwned2`'x\"; touch pwned3 #.mp4"
    share = tmp_path / "share" / "测试学校课后服务课程资源" / "作品"
    share.mkdir(parents=True)
    shutil.copyfile(clips["ntsc"][0], share / evil)
    ingest.run(station, [str(share.parent.parent)], "课后")
    checks.run(station)
    row = next(r for r in queries.submissions(station.db()))
    fix = next(f["fix"] for f in row["findings"] if f["rule"] == "video.fps")
    work = tmp_path / "paste"
    work.mkdir()
    shutil.copyfile(clips["ntsc"][0], work / evil)
    p = subprocess.run(["bash", "-c", fix], cwd=work, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in work.iterdir()) == sorted([evil, Path(evil).stem + "_合规.mp4"])
    assert probe.metadata(work / (Path(evil).stem + "_合规.mp4"))["video"][0]["fps"] == 25.0


@pytest.mark.req("000-10", "000-14", "000-15", "000-17")
def test_real_size_anamorphic_slides_fixed_with_the_shipped_profile(tmp_path):
    """W18 at real size: a 1440x1080 SAR 4:3 still slide at 1 Mbps, fixed under the shipped after-school
    profile, fills 1920x1080 with square pixels and reaches the 8 Mbps floor (7.2 Mbps measured)."""
    src = tmp_path / "share" / "实验小学课后服务课程资源" / "幻灯片课" / "幻灯片课.mp4"
    src.parent.mkdir(parents=True)
    media.ffmpeg(
        "-f", "lavfi", "-i", "color=c=0x336699:s=1440x1080:r=25:d=4,drawbox=x=200:y=200:w=1040:h=600:color=white:t=fill",
        "-f", "lavfi", "-i", media.VOICE.format(rate=48000, d=4, shape="", noise=0.001),
        "-map", "0:v", "-map", "1:a", "-vf", "setsar=4/3", *media.x264("1M"), *media.AAC, str(src),
    )  # fmt: skip
    station = Station.open(tmp_path / "station" / "station.db")
    campaigns.add(station, "课后", "after-school-2024")
    ingest.run(station, [str(src.parent.parent.parent)], "课后")
    checks.run(station)
    row = next(iter(queries.submissions(station.db())))
    failed = _failing_mechanical(row)
    assert {"video.resolution", "video.bitrate"} <= failed and "video.aspect" not in failed
    p = subprocess.run(
        [STATION, "--db", str(station.db_path), "fix", str(row["id"]), "--out", str(tmp_path / "out"), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    out = Path(json.loads(p.stdout)[0]["output"])
    m, packets = probe.metadata(out), probe.packets(out)
    v = m["video"][0]
    assert (v["width"], v["height"], v["par"], v["fps"]) == (1920, 1080, 1.0, 25.0)
    video_bps = next(s["bitrate"] for s in packets["streams"] if s["type"] == "video")
    audio_bps = next(s["bitrate"] for s in packets["streams"] if s["type"] == "audio")
    assert video_bps >= 7_200_000 and abs(audio_bps - 128_000) <= 12_800
    crop = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "info",
            "-i",
            str(out),
            "-vf",
            "cropdetect=limit=24:round=2",
            "-frames:v",
            "20",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    ).stderr
    assert crop.rsplit("crop=", 1)[1].split()[0] == "1920:1080:0:0"  # no pillarbox: the picture fills the frame
