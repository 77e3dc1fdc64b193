import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docx
import openpyxl
import py7zr
import pytest
from conftest import FIXTURES, needs_shared, snapshot, tree, write_zip

from store import audit, queries
from workflows.errors import StationError
from workflows.ingest import awards
from workflows.ingest import importer as ingest


def xlsx_form(path: Path, fields: dict[str, str]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["课后服务优秀课程资源申报表"])
    ws.merge_cells("A1:D1")
    for label, value in fields.items():
        ws.append([label, None, value])  # a blank cell between label and value, as merged forms do
    wb.save(path)
    return path.read_bytes()


def docx_form(path: Path, fields: dict[str, str]) -> bytes:
    d = docx.Document()
    d.add_paragraph("作品登记表")
    table = d.add_table(rows=0, cols=2)
    for label, value in fields.items():
        row = table.add_row().cells
        row[0].text, row[1].text = label, value
    d.save(path)
    return path.read_bytes()


def subs(station, **kw):
    return {s["title"]: s for s in queries.submissions(station.db(), **kw)}


def rules(sub):
    return sorted(f["rule"] for f in sub["findings"])


def test_after_school_package_with_form(station, campaign, tmp_path, video):
    campaign()
    form = xlsx_form(
        tmp_path / "f.xlsx",
        {
            "课程名称": "趣味科学小实验",
            "申报人姓名": "张三",
            "单位": "实验小学",
            "团队成员": "李明、王丽",
            "是否原创": "☑是 □否",
            "资源类别": "☑科学教育 □文化艺术",
        },
    )
    share = tree(
        tmp_path / "share",
        {
            "实验小学课后服务课程资源/趣味科学小实验.mp4": video,
            "实验小学课后服务课程资源/趣味科学小实验课件.pptx": b"PK\x03\x04pptx",
            "实验小学课后服务课程资源/课后服务优秀课程资源申报表.xlsx": form,
        },
    )
    summary = ingest.run(station, [str(share)])
    assert (summary.submissions, summary.files, summary.rejected) == (1, 3, 0)
    s = subs(station)["趣味科学小实验"]
    assert s["school"] == "实验小学" and s["original"] == "是" and s["project"] == "科学教育"
    assert s["authors"] == ["张三", "李明", "王丽"]
    assert {f["path"]: f["role"] for f in s["files"]} == {
        "趣味科学小实验.mp4": "课程视频",
        "趣味科学小实验课件.pptx": "课件",
        "课后服务优秀课程资源申报表.xlsx": "申报表",
    }
    assert {f["path"]: f["kind"] for f in s["files"]}["趣味科学小实验.mp4"] == "video"
    assert s["layout"] == "课后服务资源包" and rules(s) == []
    stored = station.objects.path(next(f["sha256"] for f in s["files"] if f["role"] == "课程视频"))
    assert stored.read_bytes() == video.read_bytes()


def test_package_with_one_folder_per_course(station, campaign, tmp_path, video):
    campaign()
    share = tree(
        tmp_path / "share",
        {
            "东风路小学课后服务课程资源/篮球基础/篮球基础.mp4": video,
            "东风路小学课后服务课程资源/篮球基础/课件.pptx": b"PK\x03\x04",
            "东风路小学课后服务课程资源/经典诵读/经典诵读.mp4": video,
        },
    )
    ingest.run(station, [str(share)])
    found = subs(station)
    assert set(found) == {"篮球基础", "经典诵读"}
    assert found["篮球基础"]["school"] == "东风路小学" and len(found["篮球基础"]["files"]) == 2


def test_infotech_layout_in_a_gbk_zip(station, campaign, tmp_path, video):
    campaign("infotech-exchange")
    base = "小学+实验小学+张三/精品课后服务资源/巧手做风筝/"
    (tmp_path / "share").mkdir()
    nested = write_zip(tmp_path / "相关材料.zip", {"素材/图片1.jpg": b"\xff\xd8\xff", "说明.txt": b"x"}, gbk=True)
    form = docx_form(
        tmp_path / "f.docx", {"作品名称": "巧手做风筝", "第一作者": "张三", "学段": "☑小学 □初中", "学科": "美术"}
    )
    z = write_zip(
        tmp_path / "share" / "小学+实验小学+张三.zip",
        {
            base + "作品演示视频.mp4": video.read_bytes(),
            base + "作品登记表.docx": form,
            base + "说明文档.docx": b"PK\x03\x04",
            base + "相关材料.zip": nested.read_bytes(),
        },
        gbk=True,
    )
    summary = ingest.run(station, [str(z.parent)])
    assert summary.rejected == 0
    s = subs(station)["巧手做风筝"]
    assert (s["stage"], s["school"], s["project"], s["subject"]) == ("小学", "实验小学", "精品课后服务资源", "美术")
    assert s["authors"] == ["张三"] and rules(s) == []
    roles = {f["path"]: f["role"] for f in s["files"]}
    assert (
        roles["作品演示视频.mp4"] == "演示视频"
        and roles["相关材料.zip"] == "相关材料"
        and roles["作品登记表.docx"] == "申报表"
    )
    listing = next(f["listing"] for f in s["files"] if f["path"] == "相关材料.zip")
    assert {e["name"] for e in listing["entries"]} == {"素材/图片1.jpg", "说明.txt"}


def test_infotech_layout_in_7z_and_mismatch(station, campaign, tmp_path, video):
    campaign("infotech-exchange")
    form = xlsx_form(tmp_path / "f.xlsx", {"作品名称": "物理实验的数字化探究", "第一作者": "王芳"})
    base = "高中+第一高级中学+王芳/信息化教学课程案例/物理实验数字化探究/"
    (tmp_path / "share").mkdir()
    with py7zr.SevenZipFile(tmp_path / "share" / "高中+第一高级中学+王芳.7z", "w") as z:
        z.writestr(video.read_bytes(), base + "教学活动录像.mp4")
        z.writestr(form, base + "作品登记表.xlsx")
    ingest.run(station, [str(tmp_path / "share")])
    s = subs(station)["物理实验的数字化探究"]
    assert rules(s) == ["meta.mismatch"]
    assert s["meta"]["folder"]["title"] == "物理实验数字化探究" and s["meta"]["form"]["title"] == "物理实验的数字化探究"
    assert "物理实验数字化探究" in s["findings"][0]["message"]


def test_plain_layout_for_jpk(station, campaign, tmp_path, video):
    campaign("jpk-subject")
    form = xlsx_form(
        tmp_path / "f.xlsx",
        {
            "课程名称": "分数的初步认识",
            "授课教师": "刘洋",
            "教学指导": "陈静",
            "技术指导": "赵强",
            "课程节点编号": "RJ-SX-3A-08",
            "学段": "小学",
            "学科": "数学",
            "年级": "三年级",
        },
    )
    share = tree(
        tmp_path / "share",
        {
            "分数的初步认识/微课视频.mp4": video,
            "分数的初步认识/教学设计.docx": b"PK\x03\x04",
            "分数的初步认识/登记表.xlsx": form,
        },
    )
    ingest.run(station, [str(share)])
    s = subs(station)["分数的初步认识"]
    assert s["node_code"] == "RJ-SX-3A-08" and s["grade"] == "三年级"
    assert [(a["name"], a["role"]) for a in s["author_roles"]] == [
        ("刘洋", "第一作者"),
        ("陈静", "教学指导"),
        ("赵强", "技术指导"),
    ]


def test_unrecognised_folder_is_kept_with_a_finding(station, campaign, tmp_path):
    campaign()
    share = tree(tmp_path / "share", {"未命名资料/说明.txt": b"hello", "未命名资料/照片.jpg": b"\xff\xd8\xff\xe0"})
    ingest.run(station, [str(share)])
    s = subs(station)["未命名资料"]
    assert rules(s) == ["layout.unrecognised"] and len(s["files"]) == 2 and s["status"] == "imported"


@pytest.mark.parametrize(
    "entries, rule",
    [
        ({"a/../../逃逸.txt": b"x", "a/ok.txt": b"y"}, "archive.unsafe"),
        ({"/etc/cron.d/x": b"x"}, "archive.unsafe"),
        ({"a/课件.pptx": b"x", "a/课件.PPTX": b"y"}, "archive.unsafe"),
    ],
)
def test_unsafe_archive_is_refused_and_kept(station, campaign, tmp_path, entries, rule):
    campaign()
    (tmp_path / "share").mkdir()
    z = write_zip(tmp_path / "share" / "城南小学课后服务课程资源.zip", entries)
    spool_before = set(station.root.rglob("*"))
    summary = ingest.run(station, [str(z.parent)])
    assert summary.rejected == 1
    s = subs(station, include_superseded=True)["城南小学课后服务课程资源.zip"]
    assert s["status"] == "rejected" and rule in rules(s)
    assert [f["path"] for f in s["files"]] == [z.name]  # the archive itself is kept as evidence
    new = {p for p in set(station.root.rglob("*")) - spool_before if p.is_file()}
    assert all("objects" in p.parts and p.read_bytes() == z.read_bytes() for p in new if p.suffix != ".db-wal")
    assert not (tmp_path / "逃逸.txt").exists() and not (tmp_path / "share" / "逃逸.txt").exists()


def test_too_large_by_configured_limit(station, campaign, tmp_path):
    (station.config_dir / "station.toml").write_text("[ingest]\nmax_total_bytes = 1000\n", "utf-8")
    station.limits = type(station).open(station.db_path).limits
    campaign()
    (tmp_path / "share").mkdir()
    z = write_zip(tmp_path / "share" / "大.zip", {"a/x.bin": b"0" * 5000})
    ingest.run(station, [str(z.parent)])
    assert rules(subs(station)["大.zip"]) == ["archive.too_large"]


def test_lying_zip_header_is_caught_while_streaming(station, campaign, tmp_path):
    campaign()
    (tmp_path / "share").mkdir()
    z = write_zip(tmp_path / "share" / "假.zip", {"a/x.bin": b"0" * 100_000})
    data = bytearray(z.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")  # claim 10 bytes uncompressed
    z.write_bytes(bytes(data))
    ingest.run(station, [str(z.parent)])
    s = subs(station)["假.zip"]
    assert s["status"] == "rejected" and set(rules(s)) & {"archive.too_large", "archive.corrupt"}


def test_encrypted_and_corrupt_archives(station, campaign, tmp_path):
    campaign()
    share = tmp_path / "share"
    share.mkdir()
    with py7zr.SevenZipFile(share / "加密.7z", "w", password="123") as z:
        z.writestr(b"data", "a/a.mp4")
    (share / "坏.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    summary = ingest.run(station, [str(share)])
    assert summary.rejected == 2
    found = subs(station)
    assert (
        rules(found["加密.7z"]) == ["archive.encrypted"] and "加密压缩包" in found["加密.7z"]["findings"][0]["message"]
    )
    assert rules(found["坏.zip"]) == ["archive.corrupt"]


@needs_shared(FIXTURES / "rar")
def test_real_rar_archives_import(station, campaign, tmp_path):
    campaign("jpk-subject")
    share = tmp_path / "share"
    share.mkdir()
    for name in ("rar5-solid.rar", "rar3-solid.rar", "rar5-psw.rar", "rar5-evil-symlink-traversal.rar"):
        (share / name).write_bytes((FIXTURES / "rar" / "rarfile" / name).read_bytes())
    summary = ingest.run(station, [str(share)])
    found = subs(station)
    assert summary.rejected == 2
    assert rules(found["rar5-psw.rar"]) == ["archive.encrypted"]
    assert "archive.unsafe" in rules(found["rar5-evil-symlink-traversal.rar"])
    for name in ("rar5-solid", "rar3-solid"):  # no video: imported, flagged as unrecognised, files intact
        assert rules(found[name]) == ["layout.unrecognised"] and len(found[name]["files"]) == 2


def test_reimport_is_a_noop_and_originals_are_untouched(station, campaign, tmp_path, video):
    campaign()
    share = tree(tmp_path / "share", {"实验小学课后服务课程资源/a.mp4": video, "Thumbs.db": b"junk"})
    write_zip(share / "二小课后服务课程资源.zip", {"二小课后服务课程资源/b.mp4": video.read_bytes()}, gbk=True)
    before = snapshot(share)
    first = ingest.run(station, [str(share)])
    assert first.submissions == 2 and any("Thumbs.db" in p for p in first.ignored)
    entries = audit.verify(station.db()).entries
    again = ingest.run(station, [str(share)])
    forced = ingest.run(station, [str(share)], force=True)
    assert again.submissions == forced.submissions == 0 and again.unchanged == 2 and forced.unchanged == 2
    assert audit.verify(station.db()).entries == entries
    assert snapshot(share) == before


def test_changed_file_makes_a_new_version(station, campaign, tmp_path, video):
    campaign()
    share = tree(
        tmp_path / "share",
        {"实验小学课后服务课程资源/a.mp4": video, "实验小学课后服务课程资源/课件.pptx": b"PK\x03\x04v1"},
    )
    ingest.run(station, [str(share)])
    (share / "实验小学课后服务课程资源/课件.pptx").write_bytes(b"PK\x03\x04version2")
    summary = ingest.run(station, [str(share)])
    assert summary.versions == 1
    all_versions = queries.submissions(station.db(), ids=[1, 2])
    assert [(s["version"], s["status"]) for s in all_versions] == [(1, "superseded"), (2, "imported")]
    assert len(queries.submissions(station.db())) == 1


def test_same_video_in_two_submissions(station, campaign, tmp_path, video):
    campaign()
    share = tree(
        tmp_path / "share", {"实验小学课后服务课程资源/a.mp4": video, "新华路小学课后服务课程资源/b.mp4": video}
    )
    ingest.run(station, [str(share)])
    found = list(subs(station).values())
    assert all(rules(s) == ["dup.same_file"] for s in found)
    assert "一稿多投" in found[0]["findings"][0]["message"]


def test_awarded_works_are_marked(station, campaign, tmp_path, video):
    campaign("jpk-subject")
    form = xlsx_form(tmp_path / "f.xlsx", {"课程名称": "春晓", "授课教师": "赵敏"})
    other = xlsx_form(tmp_path / "g.xlsx", {"课程名称": "静夜思", "授课教师": "李四"})
    share = tree(
        tmp_path / "share",
        {
            "春晓/微课视频.mp4": video,
            "春晓/登记表.xlsx": form,
            "静夜思/微课视频.mp4": b"\x00\x00\x00\x18ftypisomother",
            "静夜思/登记表.xlsx": other,
            "咏鹅/微课视频.mp4": b"\x00\x00\x00\x18ftypisomthird",
        },
    )
    ingest.run(station, [str(share)])
    wb = openpyxl.Workbook()
    wb.active.append(["往年获奖作品名单"])
    wb.active.append(["作品名称", "第一作者", "单位", "年度", "获奖等级"])
    wb.active.append(["《春晓》", "赵敏", "实验小学", 2023, "省级一等奖"])
    wb.active.append(["静夜思", "别人", "二小", "2022年", "市级二等奖"])
    wb.active.append(["咏鹅", "孙老师", "三小", 2022, "省级三等奖"])
    wb.active.append(["合计", None, None, None, None])
    wb.save(tmp_path / "awards.xlsx")
    result = awards.import_file(station, tmp_path / "awards.xlsx")
    assert result == {"awards": 3, "matched": 2}
    found = subs(station)
    assert rules(found["春晓"]) == ["dup.awarded"] and rules(found["静夜思"]) == []
    assert [f["status"] for f in found["春晓"]["findings"]] == ["fail"]
    assert [f["status"] for f in found["咏鹅"]["findings"]] == ["warn"]  # no author to compare: a person checks
    assert "2023" in found["春晓"]["findings"][0]["message"]


def test_missing_source_and_no_campaign(station, campaign, tmp_path):
    with pytest.raises(StationError) as e:
        ingest.run(station, [str(tmp_path)])
    assert e.value.code == "campaign.none"
    campaign()
    with pytest.raises(StationError) as e:
        ingest.run(station, [str(tmp_path / "nope")])
    assert e.value.code == "source.missing"


def test_killed_import_leaves_whole_submissions_and_resumes(station, campaign, tmp_path, cli):
    campaign()
    share = tmp_path / "share"
    for i in range(40):
        tree(
            share,
            {
                f"第{i:02d}小学课后服务课程资源/课程.mp4": b"\x00\x00\x00\x18ftypisom" + os.urandom(3_000_000),
                f"第{i:02d}小学课后服务课程资源/课件.pptx": os.urandom(1_000_000),
            },
        )
    env = dict(os.environ, STATION_DB=str(station.db_path))
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "station"), "import", str(share), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = station.db()
    deadline = time.time() + 60
    while time.time() < deadline and db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] < 3:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    assert 0 < done < 40, "the import finished before it could be killed"
    for s in queries.submissions(db):
        assert len(s["files"]) == 2
    code, out, _ = cli("import", share, "--json", check_json=True)
    assert code == 0 and out["submissions"] == 40 - done
    assert len(queries.submissions(db)) == 40 and audit.verify(db).ok


def test_loose_files_between_levels_become_a_flagged_work(station, campaign, tmp_path, video):
    campaign("infotech-exchange")
    share = tree(
        tmp_path / "share",
        {
            "初中+二中+李华/融合创新应用教学案例/函数/录像.mp4": video,
            "初中+二中+李华/信息化教学课程案例/方程/录像.mp4": b"\x00\x00\x00\x18ftypisomother",
            "初中+二中+李华/汇总表.xlsx": b"PK\x03\x04",
        },
    )
    ingest.run(station, [str(share)])
    found = subs(station)
    assert found["函数"]["project"] == "融合创新应用教学案例" and found["方程"]["project"] == "信息化教学课程案例"
    assert rules(found["函数"]) == [] and [f["path"] for f in found["函数"]["files"]] == ["录像.mp4"]
    other = found["初中+二中+李华"]
    assert rules(other) == ["layout.unrecognised"] and [f["path"] for f in other["files"]] == ["汇总表.xlsx"]


def test_symlink_in_a_share_folder_is_reported_not_followed(station, campaign, tmp_path, video):
    campaign()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"county password list")
    share = tree(tmp_path / "share", {"实验小学课后服务课程资源/课程.mp4": video})
    (share / "实验小学课后服务课程资源" / "链接.txt").symlink_to(secret)
    ingest.run(station, [str(share)])
    s = subs(station)["课程"]
    assert [f["path"] for f in s["files"]] == ["课程.mp4"]
    assert rules(s) == ["archive.unsafe"] and "符号链接" in s["findings"][0]["message"]
    assert not any(p.is_file() and p.read_bytes() == secret.read_bytes() for p in station.objects.root.rglob("*"))


@needs_shared(FIXTURES / "rar")
def test_multivolume_rar_is_one_package(station, campaign, tmp_path):
    campaign("jpk-subject")
    share = tmp_path / "share"
    share.mkdir()
    for n in (1, 2, 3):
        name = f"rar5-vols.part{n}.rar"
        (share / name).write_bytes((FIXTURES / "rar" / "rarfile" / name).read_bytes())
    summary = ingest.run(station, [str(share)])
    assert summary.rejected == 0 and summary.submissions == 1
    (s,) = subs(station).values()
    assert {f["path"]: f["size"] for f in s["files"]} == {"bigfile.txt": 205000, "smallfile.txt": 2050}
