"""A station with three deep-checked works (storyboards, title cards, loudness), once per session: the
detail view's pictures (tests/test_storyboard.py, tests/test_tui_graphics.py)."""

import shutil

import media
import pytest

from workflows import campaigns
from workflows.checks import run as checks
from workflows.ingest import importer as ingest
from workflows.profiles import load as profiles
from workflows.station import Station

WORKS = ("long", "gap", "notitle")


@pytest.fixture(scope="session")
def boarded(tmp_path_factory):
    """A station with three deep-checked works: 'long' (about 48 s), 'gap' (silent 4-19 s), 'notitle'."""
    video = media.cached("video", media.variants)
    root = tmp_path_factory.mktemp("boarded")
    station = Station.open(root / "station" / "station.db")
    (station.config_dir / "profiles").mkdir(parents=True, exist_ok=True)
    builtin = (profiles.builtin_dir() / "after-school-2024.toml").read_text("utf-8")
    (station.config_dir / "profiles" / "after-school-2024.toml").write_text(media.test_profile(builtin), "utf-8")
    campaigns.add(station, "视频", "after-school-2024")
    share = root / "share" / "测试学校课后服务课程资源"
    for name in WORKS:
        target = share / name / f"{name}.mp4"
        target.parent.mkdir(parents=True)
        shutil.copyfile(video[name][0], target)
    ingest.run(station, [str(root / "share")], "视频")
    summary = checks.run(station, deep=True)
    return station, summary
