"""The title card's text (video.titlecard.text, 000-21): clips with drawn text, the real CLI, the real OCR engine.

The clips are made here (not the benchmark's cards): a 5 s still title card drawn with WenQuanYi Zen
Hei (Debian fonts-wqy-zenhei), then moving testsrc2, as H.264 + AAC; one work whose card names the
right teacher, one a wrong teacher, one no teacher, and one without a title card at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tree
from test_ingest import xlsx_form

from workflows.checks import facts
from workflows.checks import run as checks
from workflows.checks.media import analyse, ocr, probe
from workflows.rules import textmatch
from workflows.station import Station

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
TITLE, TEACHER = "分数的初步认识", "王芳"
STATION = str(Path(sys.executable).parent / "station")

pytestmark = pytest.mark.skipif(not Path(FONT).exists(), reason="fonts-wqy-zenhei (make test installs it)")


def clip(out: Path, lines: list[str] | None, card: float = 5) -> Path:
    """A 960x540 clip: a CARD s still card with LINES (or, for None, motion from the first frame), then 2 s of
    motion."""
    work = out.parent
    if lines is None:
        video = f"testsrc2=s=960x540:r=25:d={card + 2}[v]"
    else:
        draws = []
        for i, text in enumerate(lines):
            (work / f"{out.stem}-{i}.txt").write_text(text, "utf-8")
            size = 52 if i == 0 else 34
            draws.append(
                f"drawtext=fontfile={FONT}:textfile={out.stem}-{i}.txt:fontsize={size}:fontcolor=white"
                f":x=(w-tw)/2:y=h*{0.28 + 0.2 * i:.2f}"
            )
        video = (
            f"color=c=0x1f3a93:s=960x540:r=25:d={card},{','.join(draws)}[c];"
            "testsrc2=s=960x540:r=25:d=2[m];[c][m]concat=n=2:v=1:a=0[v]"
        )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex", video, "-f", "lavfi", "-i"]
        + [f"sine=f=440:d={card + 2}", "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-preset", "ultrafast"]
        + ["-b:v", "1500k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)],
        check=True,
        cwd=work,
    )
    return out


WORKS = {  # school -> lines on the card (None: no title card)
    "金水区第一实验小学": [f"《{TITLE}》", "金水区第一实验小学", f"主讲教师：{TEACHER}"],
    "二七区长江路小学": [f"《{TITLE}》", "二七区长江路小学", "主讲教师：李明"],
    "中原区伏牛路小学": [f"《{TITLE}》", "中原区伏牛路小学"],
    "惠济区实验小学": None,
}


def _station_cli(db: Path, path: str | None = None):
    def run(*args):
        env = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8", PATH=path or os.environ["PATH"])
        return subprocess.run([STATION, *map(str, args)], capture_output=True, text=True, env=env, timeout=600)

    return run


def ffmpeg_shim(folder: Path) -> tuple[str, Path]:
    """A PATH whose `ffmpeg` logs its arguments (one line per run) and execs the real one; and the log."""
    real, log = shutil.which("ffmpeg"), folder / "ffmpeg.log"
    shim = folder / "ffmpeg"
    folder.mkdir(parents=True, exist_ok=True)
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}", log


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Four after-school packages imported and checked with `station check --deep --json`, once."""
    root = tmp_path_factory.mktemp("ocr")
    media_dir = root / "media"
    media_dir.mkdir()
    files = {}
    for i, (school, lines) in enumerate(WORKS.items()):
        video = clip(media_dir / f"w{i}.mp4", lines)
        form = xlsx_form(root / f"f{i}.xlsx", {"课程名称": TITLE, "申报人姓名": TEACHER, "单位": school})
        files[f"{school}课后服务课程资源/{TITLE}.mp4"] = video
        files[f"{school}课后服务课程资源/课后服务优秀课程资源申报表.xlsx"] = form
    share = tree(root / "share", files)
    db = root / "station" / "station.db"
    run = _station_cli(db)
    assert run("campaign", "add", "课后服务2024", "--profile", "after-school-2024", "--year", "2024").returncode == 0
    imported = run("import", share, "--campaign", "课后服务2024", "--no-check")
    assert imported.returncode == 0, imported.stderr
    path, _log = ffmpeg_shim(root / "shim")
    p = _station_cli(db, path)("check", "--deep", "--json")  # every ffmpeg run of the check is logged
    assert p.returncode in (0, 1), p.stderr  # 1: the 960x540 clips fail the resolution rule
    rows = json.loads(p.stdout)
    return db, {r["school"]: r for r in rows}, run


def test_deep_ocr_reads_the_frames_the_one_decode_kept_and_runs_no_ffmpeg_of_its_own(checked):
    db, rows, _ = checked
    runs = (db.parent.parent / "shim" / "ffmpeg.log").read_text("utf-8").splitlines()  # the check's ffmpeg runs
    # one ffmpeg per video, the deep pass (its filter graph keeps the card's candidate frames); no seek
    assert len(runs) == len(WORKS), runs
    assert all("-filter_complex" in r and "tc-%02d.jpg" in r for r in runs), runs
    assert not any(" -ss " in f" {r} " for r in runs), runs
    station = Station(db)
    for school, lines in WORKS.items():
        sid = rows[school]["id"]
        (sha,) = [
            r[0]
            for r in station.db().execute("SELECT sha256 FROM files WHERE submission_id = ? AND kind = 'video'", [sid])
        ]
        o = facts.cached(station.db(), sha, "O")
        t = facts.cached(station.db(), sha, "T")
        if lines is None:
            assert o["card"] is False and t["frames_for"] == "fixed"
            continue
        # the card is a 5 s still: the deep pass kept one frame inside it, and the O tier read that one
        assert t["source"] == "V" and t["frames_for"] == "card"
        assert o["source"] == "v-decode" and o["frames"] == [at for at, _ in t["frames"]] and len(o["frames"]) == 1
        assert 0.5 <= o["frames"][0] <= 4.5


def test_a_short_card_ending_in_a_cut_is_read_from_frames_before_the_cut_and_once_when_they_are_alike(tmp_path):
    """A 3.8 s still card, then a cut: too short for a still title card, so the frames come from before the
    cut (two of them, at 0.4 and 0.85 of it); both show the same picture, so the second is not read."""
    video = clip(tmp_path / "short.mp4", [f"《{TITLE}》", "金水区第一实验小学", f"主讲教师：{TEACHER}"], card=3.8)
    store = tmp_path / "kept"
    store.mkdir()

    def keep(picture: Path) -> str:
        name = f"{len(list(store.iterdir())):02d}"
        shutil.copyfile(picture, store / name)
        return name

    title = analyse.deep(video, probe.metadata(video), keep=keep)["title"]
    assert title["frames_for"] == "card" and any(3.5 <= c <= 4.0 for c in title["cuts"]), title
    times = [at for at, _ in title["frames"]]
    assert len(times) == 2 and all(at < 3.8 for at in times), times
    o = ocr.read_title_card(video, title, [(at, store / name) for at, name in title["frames"]])
    assert o["source"] == "v-decode" and o["frames"] == times and o["same"] == [times[1]]
    assert textmatch.find("teacher", TEACHER, o["text"]) and textmatch.find("title", TITLE, o["text"])


def _finding(row: dict) -> dict:
    found = [f for f in row["findings"] if f["rule"] == "video.titlecard.text"]
    assert len(found) == 1, row["findings"]
    return found[0]


@pytest.mark.req("000-21")
def test_the_right_teacher_passes_with_the_recognised_text_in_measured(checked):
    _, rows, _ = checked
    f = _finding(rows["金水区第一实验小学"])
    assert f["status"] == "pass", f
    assert f["measured"].startswith("识别到：")
    assert TEACHER in f["measured"] and TITLE in f["measured"] and "金水区第一实验小学" in f["measured"]
    assert "片头文字信息包括：课程名称、单位、主讲教师姓名" in f["message"]


@pytest.mark.req("000-21")
def test_a_wrong_teacher_warns_naming_the_expected_name_and_what_was_read(checked):
    _, rows, _ = checked
    f = _finding(rows["二七区长江路小学"])
    assert f["status"] == "warn", f
    assert f"片头未见主讲教师姓名“{TEACHER}”，识别到：" in f["message"]
    assert "李明" in f["measured"] and TEACHER not in f["measured"]
    assert "课程名称" not in f["message"].split("，识别到")[0] and "单位" not in f["message"].split("，识别到")[0]


@pytest.mark.req("000-21")
def test_a_missing_teacher_warns(checked):
    _, rows, _ = checked
    f = _finding(rows["中原区伏牛路小学"])
    assert f["status"] == "warn", f
    assert f"片头未见主讲教师姓名“{TEACHER}”" in f["message"]
    assert "中原区伏牛路小学" in f["measured"]


@pytest.mark.req("000-21")
def test_no_title_card_is_not_applicable_and_reported_by_the_title_card_rule(checked):
    _, rows, _ = checked
    row = rows["惠济区实验小学"]
    assert _finding(row)["status"] == "skip"
    assert {f["rule"]: f["status"] for f in row["findings"]}["video.titlecard"] == "warn"


def test_the_detail_view_shows_the_recognised_text_and_hides_names_when_anonymous(checked):
    from tui import strings as S
    from tui.screens import detail

    db, rows, _ = checked
    station = Station(db)
    sid = rows["金水区第一实验小学"]["id"]
    shown = detail.build(station, sid, anonymous=False, width=100).plain
    assert S.DETAIL_TITLECARD_TEXT in shown
    section = shown.split(S.DETAIL_TITLECARD_TEXT, 1)[1].split(S.DETAIL_NOTE, 1)[0]
    assert TEACHER in section and TITLE in section
    hidden = detail.build(station, sid, anonymous=True, width=100).plain
    section = hidden.split(S.DETAIL_TITLECARD_TEXT, 1)[1].split(S.DETAIL_NOTE, 1)[0]
    assert TEACHER not in section and S.REDACTED in section and TITLE in section


def test_the_text_is_a_cached_measurement_and_the_profile_switches_the_rule_off(checked, tmp_path):
    db, rows, _ = checked
    copy = tmp_path / "station"
    shutil.copytree(db.parent, copy)
    station = Station.open(copy / "station.db")
    again = checks.run(station, deep=True)
    assert again.measured == {} and again.files == 4  # O and every other tier came from the cache
    # the admin switches the rule off: no finding, and a new file would not be read at all
    profiles = station.config_dir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    from workflows.profiles import load

    text = (load.builtin_dir() / "after-school-2024.toml").read_text("utf-8")
    text = text.replace('[rules."video.titlecard.text"]\n', '[rules."video.titlecard.text"]\nenabled = false\n')
    (profiles / "after-school-2024.toml").write_text(text, "utf-8")
    station.db().execute("DELETE FROM measurements WHERE tier = 'O'")
    off = checks.run(station, deep=True)
    assert "O" not in off.measured
    found = {r["rule"] for r in station.db().query("SELECT rule FROM findings")}
    assert "video.titlecard.text" not in found and "video.titlecard" in found


def test_matching_normalises_and_tolerates_one_wrong_character_in_a_longer_name():
    read = "《分数的初步认识》 / 金水区第一实验小学 / 主讲教师：欧阳春辉"
    assert textmatch.find("title", "分数的初步认识", read)
    assert textmatch.find("title", "《分数的初步认识》", "分数的 初步认识")  # brackets and spaces
    assert textmatch.find("title", "Unit 3 Ｈｅｌｌｏ", "unit3hello")  # full width, case
    assert textmatch.find("teacher", "欧阳春晖", read)  # one wrong character in a four-character name
    assert not textmatch.find("teacher", "欧阳秋晖", read)  # two wrong
    assert textmatch.find("teacher", "王芳", "主讲教师：王芳")
    assert not textmatch.find("teacher", "王芳", "主讲教师：王方")  # two characters: one wrong is another person
    assert textmatch.find("unit", "郑州市金水区第一实验小学", read)  # the card leaves out the city
    assert not textmatch.find("unit", "二七区长江路小学", read)


def test_doctor_loads_the_engine_with_the_network_unshared(tmp_path):
    if not shutil.which("unshare") or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    env = dict(os.environ, LANG="C.UTF-8")
    p = subprocess.run(
        ["unshare", "-n", STATION, "--db", str(tmp_path / "s" / "station.db"), "doctor", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    items = {i["id"]: i for i in json.loads(p.stdout)["items"]}
    assert items["ocr"]["level"] == "ok", items["ocr"]
    assert "rapidocr-onnxruntime 1.4.4" in items["ocr"]["detail"] and "模型 3 个" in items["ocr"]["detail"]
