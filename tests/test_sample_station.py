"""The sample station `make demo` opens: built once, checked end to end, shown in the TUI."""

import asyncio

import pytest
from sample_station import RAR_SAMPLES, copy_station, sample_master  # noqa: F401  (built once per session, shared)

from store import audit, queries
from tui.app import StationApp
from workflows import campaigns
from workflows.profiles import load as profiles

CAMPAIGNS = {
    "课后服务2024": "after-school-2024",
    "信息化交流": "infotech-exchange",
    "精品课": "jpk-subject",
    "精品课实验教学": "jpk-experiment",
    "精品课特殊教育": "jpk-special",
    "继续教育视频": "ce-video",
    "继续教育音频": "ce-audio",
}


@pytest.fixture(scope="module")
def sample(sample_master, tmp_path_factory):  # noqa: F811
    return copy_station(sample_master, tmp_path_factory.mktemp("demo") / "station")


def by_title(station):
    return {s["title"]: s for s in queries.submissions(station.db())}


INGEST_RULES = ("archive.", "dup.", "meta.mismatch", "layout.")


def rules(sub):
    """Findings from the import itself (the quick checks add their own)."""
    return sorted(f["rule"] for f in sub["findings"] if f["rule"].startswith(INGEST_RULES))


def statuses(sub, rule):
    return [f["status"] for f in sub["findings"] if f["rule"] == rule]


def failed(sub):
    return sorted({f["rule"] for f in sub["findings"] if f["status"] == "fail"})


def test_a_campaign_for_every_shipped_profile_family(sample):
    listed = {c["name"]: c["profile"] for c in campaigns.all_campaigns(sample)}
    assert listed == CAMPAIGNS
    shipped = set(profiles.available()) - set(CAMPAIGNS.values())
    assert shipped == {"jpk-subject-jiangsu", "jpk-experiment-jiangsu", "jpk-special-jiangsu"}  # 002 variants


def test_every_campaign_has_a_work_passing_every_check_and_a_failing_one(sample):
    works: dict[str, list] = {name: [] for name in CAMPAIGNS}
    for s in queries.submissions(sample.db()):
        if s["status"] == "imported":
            works[s["campaign"]].append(s)
    for name, subs in works.items():
        passing = [s["title"] for s in subs if not failed(s)]
        failing = [s["title"] for s in subs if failed(s)]
        assert passing and failing, (name, passing, failing)
    # the one 课后服务 work with the notice's own numbers: 15 min of 1080p25 at 8 Mbps, not a warning either
    clean = by_title(sample)["趣味科学小实验"]
    assert [f["rule"] for f in clean["findings"] if f["status"] != "pass"] == []


def test_sample_station_has_every_case(sample):
    found = by_title(sample)
    assert rules(found["城南小学课后服务课程资源.zip"]) == ["archive.unsafe"]
    gbk = found["剪纸艺术"]  # from the GBK-named ZIP
    assert {f["path"] for f in gbk["files"]} == {"剪纸艺术.mp4", "剪纸艺术课件.pptx", "申报表.docx"}
    assert gbk["school"].endswith("城关镇第一小学")
    # the 720p/30 fps/low-bit-rate/96 kbps work without title card fails exactly those rules
    assert {"video.resolution", "video.fps", "video.bitrate", "audio.bitrate"} <= set(failed(gbk))
    dups = [s for s in queries.submissions(sample.db()) if "dup.same_file" in rules(s)]
    assert {s["school"] for s in dups} == {"中牟县东风路小学", "中牟县新华路小学"}
    # the phone video held upright: HEVC in a .mov
    assert {"file.container", "video.codec", "video.resolution"} <= set(failed(found["篮球基础"]))
    # a course in two 课时 from a screen recorder (VFR), its 申报表 a Word 97 .doc read for its authors
    split = found["经典诵读"]
    assert sorted(f["path"] for f in split["files"] if f["path"].endswith(".mp4")) == [
        "经典诵读（第1课时）.mp4",
        "经典诵读（第2课时）.mp4",
    ]
    assert split["authors"] == ["黄晓燕", "罗佳", "蔡文静"] and "video.fps" in failed(split)
    assert "video.resolution" not in failed(split)
    assert found["快乐足球"]["authors"] == ["孙丽", "朱敏", "胡杰"]  # the .wps form
    assert "form.grade" in failed(found["绘本里的情绪"])  # a kindergarten in a 义务教育 campaign
    assert "authors.limit" in failed(found["茶艺入门"])  # six 团队成员
    # awards: last year's 省级 fails under 000, two years ago does not; 001 only hints
    assert "dup.awarded" in failed(found["快乐足球"])
    assert statuses(found["趣味科学小实验"], "dup.awarded") == ["pass"]
    assert statuses(found["剪纸艺术"], "dup.awarded") == ["pass"]  # a 县级 award
    assert statuses(found["春晓"], "dup.awarded") == ["warn"]
    assert "dup.awarded" in failed(found["物理实验的数字化探究"])  # this activity's earlier 省级 award
    assert rules(found["未命名资料"]) == ["layout.unrecognised"]
    # Hebei: the 7z teacher folder, 《》, the project of another 组别, Word-only 登记表, concatenated folder
    assert found["《函数的图像》教学案例"]["project"] == "融合创新应用教学案例"
    assert "title.brackets" in failed(found["《函数的图像》教学案例"])
    assert {"project.group", "package.formats"} <= set(failed(found["物理实验的数字化探究"]))
    assert "package.formats" in failed(found["小小建筑师"])
    assert "layout.concatenated" in rules(found["剪纸里的年味"])
    two = [
        s for s in queries.submissions(sample.db()) if s["campaign"] == "信息化交流" and s["authors"][:1] == ["赵强"]
    ]
    # one folder, two 项目; the 附件4's 案例类型 box is a sub-type of its 项目, not the 项目
    assert len(two) == 2
    assert {s["project"] for s in two} == {"融合创新应用教学案例", "国家中小学智慧教育平台教师研修应用案例"}
    assert not [f for s in two for f in s["findings"] if f["rule"] == "meta.mismatch"]
    # 幼儿园 folder, 学前教育 ticked: one 学段
    assert statuses(found["小小建筑师"], "meta.mismatch") == [] and found["小小建筑师"]["stage"] == "学前教育"
    # 特殊教育 has its own 微课 length; High 10 / 4:4:4 warn under 000 and 精品课 as under 继续教育 (a fail there)
    for title in ("手语：我的家", "认识颜色"):
        assert not [f for f in found[title]["findings"] if "未注明学段" in f["message"]], title
    assert statuses(found["春晓"], "video.playback") == ["warn", "warn"]
    assert statuses(found["茶艺入门"], "video.playback") == ["warn"]
    assert statuses(found["观察植物细胞"], "video.playback") == ["warn"]
    # 精品课: 是否原创=否 hinted, a missing part failed; 继续教育: formats and the metadata sheet
    assert "package.components" in failed(found["光合作用"])
    assert "form.original" in {f["rule"] for f in found["光合作用"]["findings"] if f["status"] == "warn"}
    assert {"file.container", "video.codec"} <= set(failed(found["班主任工作经验谈"]))
    assert {"audio.channels", "audio.samplerate", "meta.required"} <= set(failed(found["家校沟通的艺术"]))
    assert audit.verify(sample.db()).ok


@pytest.mark.skipif(not RAR_SAMPLES.is_dir(), reason="the RAR samples are in ../shared/fixtures/rar")
def test_rar_packages_from_the_shared_samples_are_read(sample):
    found = by_title(sample)
    assert rules(found["城北小学课后服务课程资源.rar"]) == ["archive.unsafe"]  # it holds a symbolic link
    assert "小学+城北小学+周敏.rar" not in found  # RAR 5 read: its entries are the work's files


def test_quota_tables_are_the_jpk_ones_for_this_county(sample):
    rows = sample.db().execute(
        "SELECT c.name, q.region, q.stage, q.max FROM quotas q JOIN campaigns c ON c.id = q.campaign_id"
    )
    got = sorted(tuple(r) for r in rows)
    assert {r[0] for r in got} == {"精品课", "精品课实验教学", "精品课特殊教育"}  # 001 附件3/4; none for 课后服务
    assert {r[1] for r in got} == {"中牟县"}
    assert ("精品课实验教学", "中牟县", "初中", 1) in got


def test_tui_lists_the_sample_submissions(sample):
    async def run():
        app = StationApp(sample, reviewer="测试员")
        async with app.run_test(size=(120, 30)) as pilot:
            model = app.screen.model
            titles = [model.row(i)["title"] for i in range(model.total)]
            await pilot.press("ctrl+q")
            return titles

    titles = asyncio.run(run())
    assert len(titles) == len(queries.submissions(sample.db())) and "趣味科学小实验" in titles
