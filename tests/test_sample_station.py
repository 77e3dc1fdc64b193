"""The sample station `make demo` opens: built once, checked end to end, shown in the TUI."""

import asyncio

import pytest
from sample_station import copy_station, sample_master  # noqa: F401  (built once per session, shared)

from store import audit, queries
from tui.app import StationApp


@pytest.fixture(scope="module")
def sample(sample_master, tmp_path_factory):  # noqa: F811
    station = copy_station(sample_master, tmp_path_factory.mktemp("demo") / "station")
    matched = station.db().execute("SELECT COUNT(*) FROM findings WHERE rule = 'dup.awarded'").fetchone()[0]
    return station, {"awards": {"matched": matched}}


def by_title(station):
    return {s["title"]: s for s in queries.submissions(station.db())}


INGEST_RULES = ("archive.", "dup.", "meta.mismatch", "layout.")


def rules(sub):
    """Findings from the import itself (the quick checks add their own)."""
    return sorted(f["rule"] for f in sub["findings"] if f["rule"].startswith(INGEST_RULES))


def failed(sub):
    return sorted(f["rule"] for f in sub["findings"] if f["status"] == "fail")


def test_sample_station_has_every_case(sample):
    station, summary = sample
    found = by_title(station)
    assert len(queries.submissions(station.db())) == 13 and summary["awards"]["matched"] == 1
    assert rules(found["城南小学课后服务课程资源.zip"]) == ["archive.unsafe"]
    gbk = found["剪纸艺术"]  # from the GBK-named ZIP
    assert {f["path"] for f in gbk["files"]} == {"剪纸艺术.mp4", "剪纸艺术课件.pptx", "申报表.docx"}
    assert gbk["school"].endswith("城关镇第一小学")
    dups = [s for s in queries.submissions(station.db()) if "dup.same_file" in rules(s)]
    assert {s["school"] for s in dups} == {"中牟县实验小学", "中牟县新华路小学"}
    assert rules(found["春晓"]) == ["dup.awarded"]
    assert rules(found["物理实验的数字化探究"]) == ["meta.mismatch"]
    assert rules(found["未命名资料"]) == ["layout.unrecognised"]
    assert found["《函数的图像》教学案例"]["project"] == "融合创新应用教学案例"  # from the 7z
    # the quick checks ran after the import: the 720p/30 fps/2 Mbps/96 kbps work fails exactly those rules
    assert {"video.resolution", "video.fps", "video.bitrate", "audio.bitrate"} <= set(failed(gbk))
    assert "title.brackets" in failed(found["《函数的图像》教学案例"])
    assert "video.resolution" not in failed(found["经典诵读"])
    assert set(found) >= {"经典诵读", "篮球基础", "巧手做风筝", "分数的初步认识", "光合作用"}
    assert audit.verify(station.db()).ok


def test_tui_lists_the_sample_submissions(sample):
    station, _ = sample

    async def run():
        app = StationApp(station, reviewer="测试员")
        async with app.run_test(size=(120, 30)) as pilot:
            model = app.screen.model
            titles = [model.row(i)["title"] for i in range(model.total)]
            await pilot.press("ctrl+q")
            return titles

    titles = asyncio.run(run())
    assert len(titles) == 13 and titles.count("趣味科学小实验") == 2
