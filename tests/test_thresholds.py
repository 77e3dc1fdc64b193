"""The shipped numbers, pinned: for every profile and numeric media rule, a real-size clip just inside and one
just outside the REAL threshold (no scaled profile), asserting the exact rule id and status.

Clips are made once (cached in .cache/test-media across runs); long ones by stream-copy looping; the
>1 GiB file is made once per run by stream copy and deleted after. Rules are evaluated through the
station's own measurement tiers (M, P) and rule engine, on a work built in memory.
"""

from pathlib import Path

import media
import pytest

from workflows.checks.evaluate import evaluate
from workflows.checks.facts import FileFacts, WorkFacts
from workflows.checks.media import probe
from workflows.profiles import load as profiles
from workflows.rules.catalog import REGISTRY

MB = 1e6


@pytest.fixture(scope="session")
def clips():
    return media.cached("thresholds", media.threshold_clips)


_measured: dict[Path, dict] = {}


def _facts(path: Path, role: str = "课程视频") -> FileFacts:
    """M always; P (a packet scan, seconds on a 30-minute file) once a rule that needs it asks (video_bps)."""
    if path not in _measured:
        _measured[path] = {"M": probe.metadata(path, path.suffix)}
    kind = "audio" if path.suffix == ".mp3" else "video"
    f = FileFacts(1, path.name, kind, role, path.stat().st_size, "0" * 64, dict(_measured[path]))
    return f


def work(profile_id: str, *paths: Path, stage="", project="", node_code="N1", authors=(), sheet=None) -> WorkFacts:
    files = [_facts(p) for p in paths]
    for i, f in enumerate(files):
        f.id = i + 1
    files[-1].is_last_media = True
    submission = {"id": 1, "stage": stage, "project": project, "node_code": node_code, "layout": None, "title": "t"}
    people = [{"name": n, "role": r, "ord": i} for i, (n, r) in enumerate(authors)]
    w = WorkFacts(submission, people, files, profiles.load(profile_id), None)
    if sheet is not None:
        w._sheet, w._sheet_read = sheet, True
    return w


def verdict(w: WorkFacts, rule: str) -> list[tuple[str, str]]:
    return [(x.status, x.message) for x in evaluate(w, rule) if x.rule == rule]


def status(profile_id: str, path: Path, rule: str, **kw) -> str:
    if "P" in REGISTRY[rule].needs:
        _packets(path)
    found = verdict(work(profile_id, path, **kw), rule)
    assert len(found) == 1, found
    return found[0][0]


def _packets(path: Path) -> None:
    _facts(path)
    _measured[path].setdefault("P", probe.packets(path))


def video_bps(path: Path) -> float:
    _packets(path)
    return next(s["bitrate"] for s in _measured[path]["P"]["streams"] if s["type"] == "video")


# --- 000 课后服务 (after-school-2024) --------------------------------------------------------


@pytest.mark.req("000-14", "000-13", "000-10", "000-12", "000-16")
def test_after_school_frame_size_rate_and_codec(clips):
    assert status("after-school-2024", clips["fhd_ok"], "video.resolution") == "pass"
    assert status("after-school-2024", clips["fhd_1078"], "video.resolution") == "fail"
    assert status("after-school-2024", clips["fhd_ok"], "video.fps") == "pass"
    assert status("after-school-2024", clips["fhd_24fps"], "video.fps") == "fail"
    assert status("after-school-2024", clips["fhd_ok"], "video.aspect") == "pass"
    assert status("after-school-2024", clips["fhd_ok"], "video.codec") == "pass"
    assert status("after-school-2024", clips["fhd_ok"], "audio.codec") == "pass"


@pytest.mark.req("000-15")
def test_after_school_video_bit_rate_8mbps_floor(clips):
    inside, outside = video_bps(clips["fhd_in"]), video_bps(clips["fhd_out"])
    assert 7.2 * MB <= inside < 7.2 * MB * 1.03 and 7.2 * MB * 0.97 < outside < 7.2 * MB
    assert status("after-school-2024", clips["fhd_in"], "video.bitrate") == "pass"
    assert status("after-school-2024", clips["fhd_out"], "video.bitrate") == "fail"


@pytest.mark.req("000-17")
def test_after_school_audio_bit_rate_128k_within_10_percent(clips):
    assert status("after-school-2024", clips["fhd_a116"], "audio.bitrate") == "pass"
    assert status("after-school-2024", clips["fhd_a112"], "audio.bitrate") == "fail"


@pytest.mark.req("000-18")
def test_after_school_sample_rate_is_only_a_warn(clips):
    assert status("after-school-2024", clips["fhd_ok"], "audio.samplerate") == "pass"
    assert status("after-school-2024", clips["fhd_44k"], "audio.samplerate") == "pass"
    ((st, msg),) = verdict(work("after-school-2024", clips["fhd_32k"]), "audio.samplerate")
    assert st == "warn" and "通知未规定，仅作提示" in msg


@pytest.mark.req("000-07", "000-08")
def test_after_school_duration_15_to_30_minutes(clips):
    assert status("after-school-2024", clips["low_897"], "media.duration") == "fail"
    assert status("after-school-2024", clips["low_903"], "media.duration") == "pass"
    assert status("after-school-2024", clips["low_1797"], "media.duration") == "pass"
    assert status("after-school-2024", clips["low_1803"], "media.duration") == "fail"


@pytest.mark.req("000-11", "000-15")
def test_after_school_1g_versus_8mbps_conflict_is_explained(clips, tmp_path):
    """W2: at 8 Mbps a 20-minute lesson cannot fit 1 GiB; the findings give the county's two options."""
    big = media.looped(clips["fhd_in"], tmp_path / "二十分钟.mp4", 1200)
    fits = media.looped(clips["fhd_conflict"], tmp_path / "二十分钟低码率.mp4", 1200)
    try:
        assert big.stat().st_size > 2**30 > fits.stat().st_size
        ((st, msg),) = verdict(work("after-school-2024", big), "file.size")
        assert st == "fail" and "分课时" in msg and "自相矛盾" in msg and "码率降到约" in msg
        assert status("after-school-2024", big, "video.bitrate") == "pass"
        assert status("after-school-2024", fits, "file.size") == "pass"
        _packets(fits)
        ((st, msg),) = verdict(work("after-school-2024", fits), "video.bitrate")
        assert st == "warn" and "相互矛盾" in msg
        # the same bit rate on a short lesson, where 8 Mbps fits 1 GiB, is a plain failure
        assert status("after-school-2024", clips["fhd_conflict"], "video.bitrate") == "fail"
    finally:
        big.unlink()
        fits.unlink()


@pytest.mark.req("000-10", "000-14")
def test_anamorphic_file_is_reported_once(clips, tmp_path):
    """W19: 1440x1080 with SAR 4:3 (16:9 on screen) fails video.resolution only."""
    src = tmp_path / "变形宽银幕.mp4"
    media.ffmpeg(
        "-i", str(clips["fhd_1078"]), "-vf", "scale=1440:1080,setsar=4/3", *media.x264("2M"), "-t", "1", str(src)
    )
    w = work("after-school-2024", src)
    found = {x.rule: x for x in evaluate(w) if x.rule.startswith("video.")}
    assert found["video.resolution"].status == "fail" and "1.333" in found["video.resolution"].message
    assert found["video.aspect"].status == "pass"


# --- 003 继续教育 (ce-video, ce-audio) --------------------------------------------------------


@pytest.mark.req("003-04", "003-05")
def test_ce_video_minimum_frame_size_and_rate(clips):
    assert status("ce-video", clips["hd_ok"], "video.resolution") == "pass"
    assert status("ce-video", clips["hd_1278"], "video.resolution") == "fail"
    assert status("ce-video", clips["hd_ok"], "video.fps") == "pass"
    assert status("ce-video", clips["hd_24fps"], "video.fps") == "fail"


@pytest.mark.req("003-06")
def test_ce_video_average_bit_rate_is_the_whole_file(clips):
    """W15: 平均码率 2Mbps is the file's average: a 1.9 Mbps video with its AAC is above 2 Mbps."""

    def average(p):
        return p.stat().st_size * 8 / _measured[p]["M"]["general"]["duration"]

    assert video_bps(clips["hd_in"]) < 2 * MB
    assert 2 * MB <= average(clips["hd_in"]) < 2.06 * MB
    video_bps(clips["hd_out"])
    assert 1.94 * MB < average(clips["hd_out"]) < 2 * MB
    assert status("ce-video", clips["hd_in"], "video.bitrate") == "pass"
    assert status("ce-video", clips["hd_out"], "video.bitrate") == "fail"


@pytest.mark.req("003-01")
def test_mov_is_not_mp4_in_any_profile(clips):
    """W13: MediaInfo calls a QuickTime file MPEG-4; it is not MP4."""
    for pid in ("ce-video", "after-school-2024", "infotech-exchange", "jpk-subject", "jpk-subject-jiangsu"):
        expected = "warn" if pid.startswith("jpk") else "fail"
        assert status(pid, clips["hd_mov"], "file.container") == expected, pid
        assert status(pid, clips["hd_ok"], "file.container") == "pass", pid


@pytest.mark.req("003-12")
def test_ce_video_browser_playback(clips):
    """W14: H.264 High 4:4:4 and High 10 do not play in browsers; Main/High 8-bit 4:2:0 do; moov at the end warns."""
    assert status("ce-video", clips["hd_high444"], "video.playback") == "fail"
    assert status("ce-video", clips["hd_high10"], "video.playback") == "fail"
    assert status("ce-video", clips["hd_main"], "video.playback") == "pass"
    assert status("ce-video", clips["hd_ok"], "video.playback") == "pass"
    ((st, msg),) = verdict(work("ce-video", clips["hd_moov_end"]), "video.playback")
    assert st == "warn" and "moov" in msg


PLATFORM_PLAYBACK = (
    "after-school-2024",
    "jpk-subject",
    "jpk-special",
    "jpk-experiment",
    "jpk-subject-jiangsu",
    "jpk-special-jiangsu",
    "jpk-experiment-jiangsu",
)


@pytest.mark.req("000-12", "001-06")
def test_high10_and_444_h264_warn_where_the_platform_plays_the_video(clips):
    """000 二（二）2 (MP4, H.264, for the provincial platform) and 精品课 (H.264 practice, national/provincial
    platforms) name no H.264 profile: High 10 and 4:4:4 are H.264 yet play in no browser, a warn with the reason.
    Codec, audio and moov position stay with video.codec / audio.codec (not reported twice)."""
    variants = media.cached("video", media.variants)
    for pid in PLATFORM_PLAYBACK:
        spec = profiles.load(pid).data["rules"]["video.playback"]
        assert (spec["checks"], spec["severity"]) == (["profile", "depth", "chroma"], "warn"), pid
        ((st, msg),) = verdict(work(pid, clips["hd_high10"]), "video.playback")
        assert st == "warn" and "色深 10 位" in msg and "无法在线播放" in msg and "High 10" in msg, pid
        ((st, msg),) = verdict(work(pid, clips["hd_high444"]), "video.playback")
        assert st == "warn" and "色度采样 4:4:4" in msg, pid
        assert status(pid, clips["hd_main"], "video.playback") == "pass", pid
        assert status(pid, clips["hd_moov_end"], "video.playback") == "pass", pid  # faststart not judged here
        assert verdict(work(pid, variants["hevc"][0]), "video.playback") == [], pid  # video.codec's finding
    assert "通知未规定，仅作提示" in profiles.load("after-school-2024").data["rules"]["video.playback"]["clause"]


@pytest.mark.req("003-15")
def test_resource_type_matches_the_media(clips):
    """W16: A02 on a video and A01 on an mp3 fail; the matching codes pass."""
    assert status("ce-video", clips["hd_ok"], "media.type", sheet={"资源类型": "A01"}) == "pass"
    assert status("ce-video", clips["hd_ok"], "media.type", sheet={"资源类型": "A02"}) == "fail"
    assert status("ce-audio", clips["mp3_44k"], "media.type", sheet={"资源类型": "A02"}) == "pass"
    assert status("ce-audio", clips["mp3_44k"], "media.type", sheet={"资源类型": "A01"}) == "fail"


@pytest.mark.req("003-07", "003-08", "003-10")
def test_ce_audio_sample_rate_and_channels(clips):
    assert status("ce-audio", clips["mp3_44k"], "audio.samplerate") == "pass"
    assert status("ce-audio", clips["mp3_32k"], "audio.samplerate") == "fail"
    assert status("ce-audio", clips["mp3_44k"], "audio.channels") == "pass"
    assert status("ce-audio", clips["mp3_mono"], "audio.channels") == "fail"
    assert status("ce-audio", clips["mp3_44k"], "file.container") == "pass"


# --- 004 信息化交流 (infotech-exchange) -------------------------------------------------------

VOC = "职业教育实践性教学案例"


@pytest.mark.req("004-25", "004-26", "004-28", "004-30", "004-31")
def test_vocational_video_spec(clips):
    assert 1024_000 <= video_bps(clips["voc_in"]) < 1024_000 * 1.04
    assert 1024_000 * 0.96 < video_bps(clips["voc_out"]) < 1024_000
    assert status("infotech-exchange", clips["voc_in"], "video.bitrate", project=VOC) == "pass"
    assert status("infotech-exchange", clips["voc_out"], "video.bitrate", project=VOC) == "fail"
    assert status("infotech-exchange", clips["hd_ok"], "video.resolution", project=VOC) == "pass"
    assert status("infotech-exchange", clips["hd_1278"], "video.resolution", project=VOC) == "fail"
    assert status("infotech-exchange", clips["hd_ok"], "video.fps", project=VOC) == "pass"
    assert status("infotech-exchange", clips["hd_24fps"], "video.fps", project=VOC) == "fail"
    assert status("infotech-exchange", clips["hd_ok"], "audio.samplerate", project=VOC) == "pass"
    assert status("infotech-exchange", clips["hd_44k"], "audio.samplerate", project=VOC) == "fail"
    assert status("infotech-exchange", clips["fhd_a116"], "audio.bitrate", project=VOC) == "pass"
    assert status("infotech-exchange", clips["fhd_a112"], "audio.bitrate", project=VOC) == "fail"


@pytest.mark.req("004-23")
def test_vocational_duration_15_to_20_minutes(clips):
    key = "media.duration"
    for name, want in (("low_897", "fail"), ("low_903", "pass"), ("low_1197", "pass"), ("low_1203", "fail")):
        found = [s for s, _ in verdict(work("infotech-exchange", clips[name], project=VOC), key)]
        assert found == [want], name


@pytest.mark.req("004-07")
def test_recordings_total_50_minutes(clips):
    project = "融合创新应用教学案例"
    inside = work("infotech-exchange", clips["low_1499"], clips["low_1499"], project=project)
    outside = work("infotech-exchange", clips["low_1499"], clips["low_1503"], project=project)
    ((st_in, msg_in),) = verdict(inside, "media.duration")
    ((st_out, msg_out),) = verdict(outside, "media.duration")
    assert (st_in, st_out) == ("pass", "fail")
    assert msg_out.startswith("作品内全部录像合计") and "二（二）" in msg_out  # no single file's name, right clause


@pytest.mark.req("004-33")
def test_vocational_size_500_mb(clips, tmp_path):
    limit = 524_288_000
    inside = media.looped(clips["fhd_ok"], tmp_path / "inside.mp4", limit * 8 / 8.33e6 - 6)
    outside = media.looped(clips["fhd_ok"], tmp_path / "outside.mp4", limit * 8 / 8.33e6 + 6)
    try:
        assert limit * 0.98 < inside.stat().st_size <= limit < outside.stat().st_size < limit * 1.02
        assert status("infotech-exchange", inside, "file.size", project=VOC) == "pass"
        assert status("infotech-exchange", outside, "file.size", project=VOC) == "fail"
    finally:
        inside.unlink()
        outside.unlink()


# --- 001 / 002 精品课 (jpk-*, jpk-*-jiangsu) ----------------------------------------------------

JPK = (
    "jpk-subject",
    "jpk-experiment",
    "jpk-special",
    "jpk-subject-jiangsu",
    "jpk-experiment-jiangsu",
    "jpk-special-jiangsu",
)


@pytest.mark.req("001-06")
def test_jpk_practice_numbers_warn_and_cite_practice(clips):
    """W12: 1920x1080, 25 fps, ~8 Mbps, AAC 128 kbps: practice, not notice, so a miss is a warn."""
    for pid in JPK:
        _packets(clips["fhd_in"])
        w_ok = work(pid, clips["fhd_in"], stage="小学")
        for rule in ("video.resolution", "video.fps", "video.bitrate", "audio.bitrate", "file.size"):
            ((st, _),) = verdict(w_ok, rule)
            assert st == "pass", (pid, rule)
        for rule, name in (
            ("video.resolution", "hd_ok"),
            ("video.fps", "fhd_24fps"),
            ("video.bitrate", "fhd_out"),
            ("audio.bitrate", "fhd_a112"),
        ):
            _packets(clips[name])
            ((st, msg),) = verdict(work(pid, clips[name], stage="小学"), rule)
            assert st == "warn" and "通行做法，以当年通知附件为准" in msg, (pid, rule)
        p = profiles.load(pid)
        assert p.data["rules"]["video.titlecard"]["seconds"] == 5.0
        assert p.data["rules"]["file.size"]["max_bytes"] == 2**30


@pytest.mark.req("001-07")
def test_jpk_duration_by_stage_and_unknown_stage_warns(clips):
    for pid in ("jpk-subject", "jpk-special", "jpk-subject-jiangsu"):
        assert status(pid, clips["low_603"], "media.duration", stage="小学") == "pass"
        assert status(pid, clips["low_897"], "media.duration", stage="小学") == "pass"
        assert status(pid, clips["low_903"], "media.duration", stage="小学") == "warn"
        assert status(pid, clips["low_903"], "media.duration", stage="初中") == "pass"
        assert status(pid, clips["low_597"], "media.duration", stage="小学") == "warn"
        ((st, msg),) = verdict(work(pid, clips["low_903"], stage=""), "media.duration")
        assert st == "warn" and "未注明学段" in msg


@pytest.mark.req("001-07", "001-02", "002-01")
def test_jpk_special_education_length_is_the_whole_micro_lesson_range(clips):
    """特殊教育类 is a 微课 like 学科课程 (001 二, 002 四); its 学段 is 特殊教育, not 小学/中学: 10-20 minutes,
    a warn citing the practice, never "作品未注明学段"."""
    for pid in ("jpk-special", "jpk-special-jiangsu"):
        assert profiles.load(pid).data["rules"]["media.duration"]["by_stage"]["特殊教育"] == [10, 20]
        assert status(pid, clips["low_603"], "media.duration", stage="特殊教育") == "pass"
        assert status(pid, clips["low_1197"], "media.duration", stage="特殊教育") == "pass"
        ((st, msg),) = verdict(work(pid, clips["low_1203"], stage="特殊教育"), "media.duration")
        assert st == "warn" and "（特殊教育）" in msg and "10-20 分钟" in msg
        assert status(pid, clips["low_597"], "media.duration", stage="特教") == "warn"
        assert status(pid, clips["low_903"], "media.duration", stage="特殊教育、小学") == "warn"  # 小学 row wins
    # a 学段 the profile has no row for is named, not called missing
    ((st, msg),) = verdict(work("jpk-subject", clips["low_903"], stage="学前教育"), "media.duration")
    assert st == "warn" and "学段“学前教育”在本活动的时长要求中没有对应项" in msg


@pytest.mark.req("001-05")
def test_jpk_experiment_length_has_no_clause(clips):
    ((st, msg),) = verdict(work("jpk-experiment", clips["low_597"]), "media.duration")
    assert st == "warn" and "通知未规定，仅作提示" in msg


@pytest.mark.req("001-13", "002-04")
def test_missing_node_code_warns(clips):
    for pid in JPK:
        assert status(pid, clips["fhd_ok"], "lesson.node_code", node_code="") == "warn"
        assert status(pid, clips["fhd_ok"], "lesson.node_code", node_code="X01") == "pass"


@pytest.mark.req("002-07", "002-06")
def test_jiangsu_roles_and_coverage_apply_to_jiangsu_campaigns_only(clips):
    good = (("王老师", "第一作者"), ("李老师", "教学指导"), ("张老师", "技术指导"))
    extra = (*good, ("赵老师", "团队成员"))
    two_guides = (*good, ("钱老师", "教学指导"))
    for kind in ("subject", "experiment", "special"):
        js, zz = f"jpk-{kind}-jiangsu", f"jpk-{kind}"
        assert status(js, clips["fhd_ok"], "lesson.roles", authors=good) == "pass"
        assert status(js, clips["fhd_ok"], "lesson.roles", authors=extra) == "fail"
        assert status(js, clips["fhd_ok"], "lesson.roles", authors=two_guides) == "fail"
        assert status(js, clips["fhd_ok"], "lesson.roles", authors=good[:1]) == "warn"
        assert status(js, clips["fhd_ok"], "lesson.roles", authors=()) == "fail"
        assert verdict(work(zz, clips["fhd_ok"], authors=extra), "lesson.roles") == []
        assert "coverage" not in profiles.load(zz).data.get("recommend", {})
        assert "苏教办" not in profiles.load(zz).notice and "郑教" not in profiles.load(js).notice
    assert profiles.load("jpk-subject-jiangsu").data["recommend"]["coverage"] == ["小学", "初中", "高中"]


MEDIA_PREFIXES = ("file.", "media.", "video.", "audio.", "av.", "lesson.")


@pytest.mark.req("000-18", "000-19", "001-05", "001-06")
def test_media_rules_without_a_notice_number_are_at_most_a_warn():
    """A media rule whose clause says the notice is silent, and every 精品课 number (practice), is a warn."""
    for pid in profiles.available():
        for key, params in profiles.load(pid).data["rules"].items():
            if not key.startswith(MEDIA_PREFIXES):
                continue
            clause = params["clause"]
            if "通知未规定" in clause:
                assert params.get("severity") == "warn" and "通知未规定，仅作提示" in clause, (pid, key)
            numeric = any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in params.values())
            if pid.startswith("jpk") and numeric and key != "media.duration":
                assert params.get("severity") == "warn", (pid, key)
                assert "通行做法，以当年通知附件为准" in clause, (pid, key)


@pytest.mark.req("003-02", "003-03", "004-24", "004-27", "004-29", "004-32", "000-12", "000-16")
def test_codec_scan_and_container_rules_of_every_video_profile(clips):
    """The non-numeric video rules in both directions (the wrong-codec clips of test_checks serve as the outside)."""
    variants = media.cached("video", media.variants)
    cases = [
        ("ce-video", "video.codec", "hevc"),
        ("ce-video", "audio.codec", "mp3audio"),
        ("infotech-exchange", "video.codec", "hevc"),
        ("infotech-exchange", "video.scan", "interlaced"),
        ("infotech-exchange", "audio.codec", "mp3audio"),
        ("after-school-2024", "video.codec", "hevc"),
        ("after-school-2024", "audio.codec", "mp3audio"),
    ]
    for pid, rule, bad in cases:
        assert status(pid, clips["hd_ok"], rule, project=VOC) == "pass", (pid, rule)
        assert status(pid, variants[bad][0], rule, project=VOC) == "fail", (pid, rule)
    assert status("infotech-exchange", clips["hd_mov"], "file.container", project=VOC) == "fail"
