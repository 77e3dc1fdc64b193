"""Issue 16 items 2-5: the deep pass keeps a storyboard and the title-card frames from its one decode;
the detail view draws them and the loudness over time with width-safe glyphs; `o` plays on a desktop only."""

import asyncio
import shutil
import unicodedata
from pathlib import Path

import media
import pytest
from boarded_station import WORKS, boarded  # noqa: F401
from PIL import Image
from rich.cells import cell_len

from tui import strings as S
from tui.app import StationApp
from tui.widgets import loudness as loudness_widget
from tui.widgets import player
from tui.widgets import storyboard as board_widget
from workflows.checks import facts, pictures
from workflows.checks.media import analyse


def _work(station, title: str) -> tuple[int, str]:
    row = (
        station.db()
        .execute(
            "SELECT s.id, f.sha256 FROM submissions s JOIN files f ON f.submission_id = s.id "
            "WHERE s.title = ? AND f.kind = 'video'",
            [title],
        )
        .fetchone()
    )
    return row[0], row[1]


@pytest.mark.req("000-21")
def test_the_deep_pass_keeps_a_storyboard_and_the_title_card_from_its_one_decode(boarded):
    station, summary = boarded
    # the title card came from the deep pass: no separate T decode ran, yet T is measured for each video
    assert summary.measured.get("V") == len(WORKS) and summary.measured.get("T") == len(WORKS)
    sid, sha = _work(station, "long")
    deep = facts.cached(station.db(), sha, "V")
    duration = facts.cached(station.db(), sha, "M")["general"]["duration"]
    every = deep["storyboard"]["every"]
    assert every == analyse.storyboard_every(duration) == 2  # a 48 s file: one frame every 2 s
    times = [t for t, _ in deep["storyboard"]["frames"]]
    assert 12 <= len(times) <= 24 and len(times) == round(duration / every)
    for k, t in enumerate(times):  # in the middle of each interval
        assert abs(t - every * (k + 0.5)) < 0.05, (k, t)
    assert deep["error_count"] == 0
    title = facts.cached(station.db(), sha, "T")
    assert title["source"] == "V" and title["thumbnail_sha"]
    assert [round(t, 1) for t, _ in title["frames"]] == [2.5] and title["frames_for"] == "card"
    with Image.open(station.objects.path(deep["storyboard"]["frames"][0][1])) as small:
        assert small.size == (160, 90)
    with Image.open(station.objects.path(title["thumbnail_sha"])) as thumb:
        assert thumb.size == (320, 180)  # 640 px at most: the clip is smaller
    frames = pictures.titlecard_frames(station, sha)
    assert [round(t, 1) for t, _ in frames] == [2.5]  # the middle of the 5 s still card its detectors found
    _sid, bare = _work(station, "notitle")  # no title card: the frames at 1, 2.5 and 4 s for the reviewer
    assert [round(t, 1) for t, _ in pictures.titlecard_frames(station, bare)] == [1.0, 2.5, 4.0]
    assert facts.cached(station.db(), bare, "T")["frames_for"] == "fixed"
    with Image.open(frames[0][1]) as full:
        assert full.size == (320, 180)  # the title-card frames are full size (for OCR)
        # the title card of the test clips is a plain dark blue still
        r, g, b = full.convert("RGB").getpixel((160, 90))
        assert b > 70 and r < 40 and g < 70


def test_the_storyboard_lists_the_title_card_first_then_every_frame(boarded):
    station, _ = boarded
    sid, sha = _work(station, "long")
    (board,) = pictures.storyboards(station, sid)
    assert board.file_path.endswith("long.mp4") and board.every == 2
    assert board.frames[0].title and board.frames[0].time == 2.5
    assert [f.time for f in board.frames[1:]] == [
        t for t, _ in facts.cached(station.db(), sha, "V")["storyboard"]["frames"]
    ]
    assert all(f.path.exists() for f in board.frames)


def test_loudness_over_time_has_the_profiles_band_and_the_silent_gap(boarded):
    station, _ = boarded
    sid, _sha = _work(station, "gap")
    (level,) = pictures.loudness(station, sid)
    assert (level.target, level.tolerance) == (-23.0, 2.0)
    assert len(level.silences) == 1
    start, end = level.silences[0]
    assert 3.5 <= start <= 4.5 and 18.5 <= end <= 19.5
    assert 22 <= len(level.short_term) <= 25  # one value per second
    assert all(v is None for v in level.short_term[8:17])  # the 3 s window is silent well inside the gap
    assert all(v is not None for v in level.short_term[2:5])  # a 3 s window: nothing before 3 s
    chart = loudness_widget.chart(level, 76)
    lines = chart.plain.split("\n")[:-1]
    assert all(cell_len(line) == 76 for line in lines)
    axis = lines[loudness_widget.ROWS]
    marks = [i for i, ch in enumerate(axis) if ch == "x"]
    columns = 76 - loudness_widget.LABEL
    # the silent columns lie within 4-19 s of the 24 s clip on the time axis
    assert marks and min(marks) - loudness_widget.LABEL >= int(3.5 / 24 * columns)
    assert max(marks) - loudness_widget.LABEL <= int(19.5 / 24 * columns) + 1


def test_pictures_are_drawn_with_width_neutral_glyphs_only(tmp_path):
    """Left red / right blue: a right-half cell; top red / bottom blue (the half blocks' job) must not
    fall back on U+2580/U+2584, which a CJK SSH profile draws two cells wide."""
    left_right = Image.new("RGB", (4, 2), (200, 0, 0))
    left_right.paste((0, 0, 200), (2, 0, 4, 2))
    left_right.save(tmp_path / "lr.png")
    top_bottom = Image.new("RGB", (2, 2), (200, 0, 0))
    top_bottom.paste((0, 0, 200), (0, 1, 2, 2))
    top_bottom.save(tmp_path / "tb.png")
    (line,) = board_widget.picture_lines(tmp_path / "lr.png", 2, 1)
    assert [s.text for s in line] == [" ", " "]  # one colour per cell
    assert line[0].style.bgcolor.triplet == (200, 0, 0) and line[1].style.bgcolor.triplet == (0, 0, 200)
    (line,) = board_widget.picture_lines(tmp_path / "tb.png", 1, 1)
    glyph = line[0].text
    assert glyph not in ("\u2580", "\u2584") and unicodedata.east_asian_width(glyph) != "A"
    for glyph in board_widget.QUADRANTS.values():
        assert unicodedata.east_asian_width(glyph) == "N"


def test_the_grid_keeps_every_line_inside_the_width_and_marks_the_selected_frame(boarded):
    station, _ = boarded
    sid, _sha = _work(station, "long")
    (board,) = pictures.storyboards(station, sid)
    text = board_widget.grid(board.frames, 3, 76, {})
    lines = text.split("\n")
    assert all(line.cell_len <= 76 for line in lines)
    assert not {c for c in text.plain if unicodedata.east_asian_width(c) == "A"}
    selected = [s for s in text.spans if "reverse" in str(s.style)]
    assert len(selected) == 1
    assert text.plain[selected[0].start : selected[0].end].strip() == board_widget.clock(board.frames[3].time)


def test_an_anonymous_reviewer_does_not_see_the_title_card(boarded):
    station, _ = boarded
    sid, _sha = _work(station, "long")
    view = board_widget.StoryboardView()
    view.draw = lambda: None  # not mounted: only the frame choice is under test
    view.show(pictures.storyboards(station, sid), 76, anonymous=True)
    assert view.total and all(f.time >= 5 and not f.title for b in view.boards for f in b.frames)


def test_player_refuses_over_ssh_and_without_a_desktop():
    assert player.refusal({"SSH_CONNECTION": "10.0.0.2 5000 10.0.0.1 22", "DISPLAY": "localhost:10.0"}) == (
        S.PLAYER_NO_DISPLAY
    )
    assert player.refusal({"PATH": "/usr/bin"}) == S.PLAYER_NO_DISPLAY
    assert "SSH" in S.PLAYER_NO_DISPLAY


def test_player_starts_xdg_open_with_an_argument_list_on_a_desktop(boarded, tmp_path):
    station, _ = boarded
    sid, _sha = _work(station, "long")
    record = tmp_path / "argv.txt"
    fake = tmp_path / "bin" / "xdg-open"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n', "utf-8")
    fake.chmod(0o755)
    name, link = pictures.video_for_player(station, sid)
    env = {"DISPLAY": ":0", "PATH": str(fake.parent)}
    assert player.play(link, name, env) == S.PLAYER_STARTED.format(file=name)
    for _ in range(100):
        if record.exists() and record.read_text():
            break
        asyncio.run(asyncio.sleep(0.05))
    (argument,) = record.read_text("utf-8").splitlines()
    assert argument == str(link) and argument.endswith(".mp4")
    assert Path(argument).resolve() == station.objects.path(_sha).resolve()


def app_for(station, **kw):
    return StationApp(station, reviewer="张老师", watch=False, **kw)


def _open_detail_of(title):
    async def go(pilot):
        app = pilot.app
        model = app.screen.model
        for index in range(model.total):
            model.move_to(index)
            if model.current_id() == _work(app.station, title)[0]:
                break
        await pilot.press("enter")
        await pilot.pause()

    return go


def test_detail_view_steps_through_frames_with_the_arrow_keys(boarded):
    station, _ = boarded

    async def go():
        async with app_for(station).run_test(size=(80, 24)) as pilot:
            await _open_detail_of("long")(pilot)
            view = pilot.app.screen.query_one(board_widget.StoryboardView)
            assert view.total == 25 and view.selected == 0
            await pilot.press("right", "right", "right")
            assert view.selected == 3
            _board, frame = view.current()
            shown = str(view.render())
            assert (
                S.STORYBOARD_SELECTED.format(n=4, total=25, time=board_widget.clock(frame.time), file="")[:-1] in shown
            )
            await pilot.press("left")
            assert view.selected == 2
            await pilot.press("o")  # the test runs without a desktop: a Chinese reason, no player
            await pilot.pause()
            assert any(S.PLAYER_NO_DISPLAY in str(n.message) for n in pilot.app._notifications)

    asyncio.run(go())


def test_snapshot_storyboard_at_80x24(snap_compare, boarded):
    station, _ = boarded

    async def scroll_to_pictures(pilot):
        await _open_detail_of("long")(pilot)
        await pilot.press("right", "right")  # stepping scrolls the storyboard into view
        await pilot.pause()

    assert snap_compare(app_for(station, anonymous=True), terminal_size=(80, 24), run_before=scroll_to_pictures)


def test_snapshot_loudness_chart_at_80x24(snap_compare, boarded):
    station, _ = boarded

    async def scroll_to_chart(pilot):
        await _open_detail_of("gap")(pilot)
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(app_for(station, anonymous=True), terminal_size=(80, 24), run_before=scroll_to_chart)


def test_segments_of_a_missing_picture_are_blank_not_a_crash(tmp_path):
    frame = pictures.Frame(1.0, "0" * 64, tmp_path / "missing.jpg")
    text = board_widget.grid([frame], 0, 76, {})
    assert text.plain.count("\n") == 7


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_storyboard_and_loudness_in_tmux_keep_every_line_at_80_cells(boarded):
    from test_tui_tmux import Tmux, assert_full_width

    station, _ = boarded
    t = Tmux(station.db_path)
    try:
        t.wait_for("第 1/3 条")
        t.keys("Enter")
        t.wait_for(S.DETAIL_VERDICT)
        t.keys("End")
        lines = t.wait_for(S.LOUDNESS_SILENCES.split("{")[0].format() + "1")  # the first work is 'gap'
        assert_full_width(lines)
        assert any(S.LOUDNESS_HEADING in line for line in lines)
        assert any("x" * 10 in line for line in lines)  # its silent 15 s on the time axis
        t.keys("Right", "Right")
        lines = t.wait_for("第 3/")  # stepping brings the selected frame and the status line into view
        assert_full_width(lines)
        painted = "".join(lines)
        assert set(board_widget.QUADRANTS.values()) & set(painted)  # pictures on screen
        assert not {c for c in painted if unicodedata.east_asian_width(c) == "A"}
    finally:
        t.close()


DETECTOR_VARIANTS = ("ok", "black", "frozen", "notitle", "slides", "interlaced")


@pytest.fixture(scope="session")
def hd_variants(tmp_path_factory):
    """The detector variants of tests/media.py at 1280x720 (scaled up once per session, stream-copied audio),
    so the detectors' small copy really is smaller than the picture."""
    video = media.cached("video", media.variants)
    folder = tmp_path_factory.mktemp("hd")
    out = {}
    for name in DETECTOR_VARIANTS:
        target = folder / f"{name}.mp4"
        media.ffmpeg(
            "-i", str(video[name][0]), "-vf", "scale=1280:720:flags=neighbor", *media.x264("2M"), "-c:a", "copy",
            str(target),
        )  # fmt: skip
        out[name] = target
    return out


@pytest.mark.parametrize("name", DETECTOR_VARIANTS)
def test_detectors_on_the_small_copy_measure_what_the_640_copy_measures(hd_variants, name):
    """Black, freeze and scene-cut detection on the deep pass's DETECT_WIDTH copy against a 640 px copy of
    the same 720p file: the same spans and cuts within 0.1 s (a few frames), the same field counts."""
    from workflows.checks.media import probe

    path = hd_variants[name]
    m = probe.metadata(path)
    small = analyse.deep(path, m, detect_width=analyse.DETECT_WIDTH)["video"]
    full = analyse.deep(path, m, detect_width=640)["video"]

    def close(a, b):
        assert len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            xs, ys = (x, y) if isinstance(x, list) else ([x], [y])
            for u, v in zip(xs, ys):
                assert (u is None and v is None) or abs(u - v) <= 0.1, (a, b)

    close(small["black"], full["black"])
    close(small["freezes"], full["freezes"])
    close(small["cuts"], full["cuts"])
    assert small["idet"] == full["idet"]
