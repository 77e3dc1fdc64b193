"""Technical checks on real media made by ffmpeg: every rule in both directions, cache, fixes, reports."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import media
import openpyxl
import pytest
from conftest import tree

from store import queries
from workflows import campaigns
from workflows.checks import facts
from workflows.checks import run as checks
from workflows.checks.media import ffrun, probe
from workflows.errors import StationError
from workflows.ingest import importer as ingest
from workflows.profiles import load as profiles
from workflows.station import Station

NOT_MEDIA_RULES = ("package.", "authors.", "title.", "dup.", "layout.", "meta.")


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    return media.cached("video", media.variants), media.cached("audio", media.audio_variants)


def _override(station: Station, profile_id: str, text: str) -> None:
    (station.config_dir / "profiles").mkdir(parents=True, exist_ok=True)
    (station.config_dir / "profiles" / f"{profile_id}.toml").write_text(text, "utf-8")


def _builtin(profile_id: str) -> str:
    return (profiles.builtin_dir() / f"{profile_id}.toml").read_text("utf-8")


@pytest.fixture(scope="session")
def checked(tmp_path_factory, clips):
    """One station: every clip as a work, checked once with --deep. Tests copy it before changing it."""
    video, audio = clips
    root = tmp_path_factory.mktemp("checked")
    station = Station.open(root / "station" / "station.db")
    _override(station, "after-school-2024", media.test_profile(_builtin("after-school-2024")))
    campaigns.add(station, "视频", "after-school-2024")
    campaigns.add(station, "音频", "ce-audio")
    share = root / "share"
    for name, (path, _) in video.items():
        target = share / "video" / "测试学校课后服务课程资源" / name / f"{name}{path.suffix}"
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
    for name, (path, _) in audio.items():
        target = share / "audio" / name / f"{name}.mp3"
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
    ingest.run(station, [str(share / "video")], "视频")
    ingest.run(station, [str(share / "audio")], "音频")
    summary = checks.run(station, deep=True)
    return station, summary


def _bad_media_rules(station, title, campaign="视频"):
    rows = [r for r in queries.submissions(station.db()) if r["title"] == title and r["campaign"] == campaign]
    assert len(rows) == 1, title
    return {
        f["rule"]
        for f in rows[0]["findings"]
        if f["status"] in ("fail", "warn") and not f["rule"].startswith(NOT_MEDIA_RULES)
    }, rows[0]


VIDEO_NAMES = [
    "ok",
    "small",
    "aspect43",
    "ntsc",
    "vfr",
    "interlaced",
    "hevc",
    "mp3audio",
    "mono",
    "rate44",
    "abr64",
    "lowrate",
    "short",
    "long",
    "offset",
    "notitle",
    "gap",
    "swings",
    "clipped",
    "noisy",
    "black",
    "frozen",
    "empty",
    "notes",
    "anamorphic",
    "slides",
    "mov",
    "audioonly",
    "claimed",
]


# The content rules (片头, 声画同步, 失真, 噪声, 音量) judged on short clips under the scaled profile: their
# thresholds are not sizes or rates, so the scale does not change them.
@pytest.mark.req("000-20", "000-24", "000-25", "000-26", "000-27")
@pytest.mark.parametrize("name", VIDEO_NAMES)
def test_each_video_variant_fails_exactly_its_rules(checked, clips, name):
    station, _ = checked
    expected = clips[0][name][1]
    bad, _ = _bad_media_rules(station, name)
    assert bad == expected


@pytest.mark.req("003-09")
@pytest.mark.parametrize("name", ["ok", "mono", "rate22"])
def test_each_audio_variant_fails_exactly_its_rules(checked, clips, name):
    station, _ = checked
    bad, row = _bad_media_rules(station, name, "音频")
    assert bad == clips[1][name][1]
    if name == "ok":  # lossy audio has no bit depth: the rule does not apply, it does not pass or fail
        assert {f["rule"]: f["status"] for f in row["findings"]}["audio.bitdepth"] == "skip"


@pytest.mark.req("000-20", "000-21")
def test_title_card_read_from_the_deep_pass_gives_tier_ts_verdict_on_every_variant(checked, clips, tmp_path):
    """Under --deep the title card comes from the V decode (no separate 12 s decode): on every video variant
    the video.titlecard rule says what tier T's own decode makes it say."""
    from workflows.checks.media import analyse
    from workflows.rules import media as media_rules

    station, summary = checked
    compared = 0
    for name, (path, _) in clips[0].items():
        sid = next(r["id"] for r in queries.submissions(station.db()) if r["title"] == name and r["campaign"] == "视频")
        (sha,) = [r[0] for r in station.db().execute("SELECT sha256 FROM files WHERE submission_id = ?", [sid])]
        from_deep = facts.cached(station.db(), sha, "T")
        m = facts.cached(station.db(), sha, "M")
        if from_deep is None or from_deep == facts.SKIPPED or not (m and m["video"]):
            continue
        assert from_deep["source"] == "V", name
        own = analyse.title_card(path, m, tmp_path / f"{name}.jpg")
        verdicts = []
        for data in (own, from_deep):
            f = facts.FileFacts(1, f"{name}.mp4", "video", "课程视频", 1, sha, measured={"M": m, "T": data})
            result = media_rules.titlecard(f, {"seconds": 5.0}, None)
            verdicts.append(result.status if result else None)
        assert verdicts[0] == verdicts[1], (name, own, from_deep)
        compared += 1
    assert compared >= 20


def test_truncated_file_fails_integrity_without_crashing(checked):
    station, _ = checked
    bad, row = _bad_media_rules(station, "truncated")
    assert "file.integrity" in bad
    integrity = next(f for f in row["findings"] if f["rule"] == "file.integrity")
    assert "截断" in integrity["message"]


@pytest.mark.req("000-22")
def test_deep_pass_sees_a_header_that_claims_more_than_the_file_holds(checked):
    """Issue 13: a 16 s clip whose headers claim 20 minutes fails file.integrity with both lengths."""
    station, _ = checked
    _, row = _bad_media_rules(station, "claimed")
    integrity = next(f for f in row["findings"] if f["rule"] == "file.integrity")
    assert integrity["status"] == "fail"
    assert "声明时长 00:20:00" in integrity["message"] and "实际解码只有 00:00:16" in integrity["message"]


def test_audio_only_mp4_as_the_lesson_video_is_a_finding_not_a_crash(checked):
    station, summary = checked
    _, row = _bad_media_rules(station, "audioonly")
    streams = next(f for f in row["findings"] if f["rule"] == "file.streams")
    assert streams["status"] == "fail" and "视频轨 0" in streams["message"]
    assert not any(f["rule"] in ("video.black", "video.freeze") for f in row["findings"])


def test_findings_say_measured_expected_and_clause(checked):
    station, _ = checked
    _, row = _bad_media_rules(station, "ntsc")
    fps = next(f for f in row["findings"] if f["rule"] == "video.fps")
    assert fps["status"] == "fail"
    assert fps["measured"] == "29.97 fps" and fps["expected"] == "25 fps"
    assert "29.97 fps" in fps["message"] and "25 fps" in fps["message"] and "二（二）2" in fps["message"]
    assert fps["clause"].startswith("二（二）2")
    assert (
        fps["fix"].startswith("ffmpeg -i ntsc.mp4 ")
        and "fps=25" in fps["fix"]
        and fps["fix"].endswith(" 'ntsc_合规.mp4'")
    )


def test_a_wrong_container_alone_is_fixed_by_remuxing(checked, tmp_path):
    station, _ = checked
    works = facts.load_works(station, station.db(), None, "视频")
    ok = next(w for w in works if w.submission["title"] == "ok")
    facts.load_measurements(station.db(), ok)
    from workflows.checks import fixes

    assert "-c copy" in fixes.command(ok.media[0], ok.profile, {"file.container"})
    assert "libx264" in fixes.command(ok.media[0], ok.profile, {"file.container", "video.fps"})


def test_second_run_measures_nothing_and_profile_edit_reevaluates_from_cache(checked, tmp_path):
    station = _copy(checked[0], tmp_path)
    again = checks.run(station, deep=True)
    assert again.measured == {} and again.cached == again.files
    text = (station.config_dir / "profiles" / "after-school-2024.toml").read_text("utf-8")
    _override(station, "after-school-2024", text.replace("max_minutes = 0.5", "max_minutes = 1.0"))
    edited = checks.run(station, deep=True)
    assert edited.measured == {}
    bad, _ = _bad_media_rules(station, "long")
    assert "media.duration" not in bad


def test_check_rule_pattern_touches_only_matching_findings(checked, tmp_path):
    station = _copy(checked[0], tmp_path)

    def findings():
        return {
            r["id"]: sorted(r["findings"], key=lambda f: (f["rule"], f["file"] or "", f["message"]))
            for r in queries.submissions(station.db())
        }

    before = findings()
    summary = checks.run(station, rule="video.fps")
    assert summary.findings["fail"] == 2 and set(summary.findings) == {"pass", "fail"}  # only video.fps: ntsc, vfr
    assert findings() == before  # unchanged measurements, same findings, nothing else dropped


def test_cancelled_run_stops_and_keeps_the_store_consistent(clips, station, campaign):
    campaign()
    share = tree(
        station.root.parent / "share",
        {f"乙学校课后服务课程资源/{n}/{n}.mp4": clips[0][n][0] for n in ("ok", "ntsc", "gap")},
    )
    ingest.run(station, [str(share)])
    summary = checks.run(station, deep=True, cancelled=lambda: True)
    assert summary.cancelled
    assert not summary.measured.get("V")
    # whatever was measured is evaluated; a later run completes the job
    assert checks.run(station, deep=True).measured.get("V") == 3


def test_runaway_ffmpeg_is_killed_at_its_time_limit(tmp_path):
    result = ffrun.run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=64x64:r=25", "-f", "null", "-"], duration=0, timeout=1, cwd=tmp_path
    )
    assert result.timed_out


def test_profile_typos_are_refused_with_file_line_and_key(station):
    text = _builtin("after-school-2024")
    _override(station, "after-school-2024", text.replace('[rules."video.fps"]', '[rules."video.fsp"]'))
    with pytest.raises(StationError) as e:
        profiles.load("after-school-2024", station.config_dir)
    line = text.splitlines().index('[rules."video.fps"]') + 1
    assert e.value.code == "profile.invalid" and f"第 {line} 行" in e.value.message and "video.fsp" in e.value.message
    _override(station, "after-school-2024", text.replace("tolerance = 0.01", 'tolerance = "0.01"'))
    with pytest.raises(StationError) as e:
        profiles.load("after-school-2024", station.config_dir)
    line = text.splitlines().index("tolerance = 0.01") + 1
    assert f"第 {line} 行" in e.value.message and "tolerance" in e.value.message and "数值" in e.value.message


def test_every_builtin_profile_cites_a_clause_for_every_rule():
    for pid in profiles.available():
        p = profiles.load(pid)
        for rule_id, params in p.data["rules"].items():
            assert params.get("clause"), f"{pid}: {rule_id}"


def test_station_check_json_is_the_list_shape_with_findings(checked, tmp_path):
    station = _copy(checked[0], tmp_path)
    ok_id = next(r["id"] for r in queries.submissions(station.db()) if r["title"] == "ok" and r["campaign"] == "视频")
    station_bin = str(Path(sys.executable).parent / "station")
    out = subprocess.run(
        [station_bin, "--db", str(station.db_path), "check", str(ok_id), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr  # the clip is sound, but the work lacks 课件 and 申报表
    rows = json.loads(out.stdout)
    listed = json.loads(
        subprocess.run(
            [station_bin, "--db", str(station.db_path), "list", "--json"], capture_output=True, text=True, timeout=120
        ).stdout
    )
    assert set(rows[0]) == set(listed[0])
    rules = {f["rule"]: f for f in rows[0]["findings"]}
    assert rules["video.fps"]["status"] == "pass" and rules["video.fps"]["measured"] == "25 fps"
    assert set(rules["video.fps"]) >= {"rule", "status", "measured", "expected", "message", "file", "clause", "fix"}


def test_fix_writes_a_compliant_copy_and_leaves_the_original(checked, tmp_path):
    station = _copy(checked[0], tmp_path)
    row = next(r for r in queries.submissions(station.db()) if r["title"] == "ntsc")  # only in 视频
    original = station.objects.path(row["files"][0]["sha256"])
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    from workflows.checks import fixes

    made = fixes.run(station, row["id"], tmp_path / "out")
    assert len(made) == 1 and Path(made[0]["output"]).name == "ntsc_合规.mp4"
    m = probe.metadata(Path(made[0]["output"]))
    assert m["video"][0]["fps"] == 25.0 and m["video"][0]["width"] == 320
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest == row["files"][0]["sha256"]
    with pytest.raises(StationError) as e:
        fixes.run(station, row["id"], tmp_path / "out")
    assert e.value.code == "fix.exists"


def test_report_lists_problems_with_fixes_per_work(checked, tmp_path):
    station = _copy(checked[0], tmp_path)
    rows = {r["title"]: r for r in queries.submissions(station.db()) if r["campaign"] == "视频"}
    from workflows import submissions

    result = submissions.return_notice(station, [rows["ntsc"]["id"], rows["ok"]["id"]], tmp_path / "退回.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "退回.xlsx")
    assert len(wb.sheetnames) == 2
    sheets = {name.split(" ", 1)[1]: wb[name] for name in wb.sheetnames}
    ntsc = [r for r in sheets["ntsc"].iter_rows(values_only=True)]
    assert any(r[1] and "29.97 fps" in r[1] and "ffmpeg" in (r[6] or "") for r in ntsc)
    ok = [r for r in sheets["ok"].iter_rows(values_only=True)]
    assert not any(r[1] and "【" in str(r[1]) and "fps" in str(r[1]) for r in ok)
    assert result["works"] == 2


def _copy(station: Station, tmp_path: Path) -> Station:
    dest = tmp_path / "copy"
    station.db().conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(station.root, dest)
    return Station.open(dest / "station.db")


def test_a_timed_out_measurement_is_reported_but_not_cached(clips, station, campaign, monkeypatch):
    """A read that ran out of time says nothing about the bytes (a busy machine as much as a hostile file): this
    run reports it, the next run measures again instead of keeping a cached failure."""
    campaign()
    share = tree(station.root.parent / "share", {"乙学校课后服务课程资源/ok/ok.mp4": clips[0]["ok"][0]})
    real = probe.packets
    monkeypatch.setattr(probe, "packets", lambda path: real(path, timeout=0.000001))
    ingest.run(station, [str(share)])
    checks.run(station)  # P measured out of time
    assert _integrity(station) == ("fail", True)
    monkeypatch.setattr(probe, "packets", real)
    again = checks.run(station)
    assert again.measured.get("P") == 1
    assert _integrity(station) == ("pass", False)


def _integrity(station) -> tuple[str, bool]:
    (work,) = queries.submissions(station.db())
    (finding,) = [f for f in work["findings"] if f["rule"] == "file.integrity"]
    return finding["status"], "读取超时" in finding["message"]
