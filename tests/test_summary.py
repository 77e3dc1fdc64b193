"""`station summary --xlsx`: the 汇总表, checked by opening it in LibreOffice (headless, to CSV) and with openpyxl."""

import csv
import os
import shutil
import subprocess

import openpyxl
import pytest
from work_rows import add_works

from workflows.quotas import rules as quotas
from workflows.review import decide as review
from workflows.scoring import scores as scoring

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SHARES = {"目标内容": 0.2, "教学过程": 0.4, "教学资源": 0.2, "技术规范": 0.2}


def to_csv(xlsx, out_dir, tmp_path) -> dict[str, list[list[str]]]:
    """Every sheet of XLSX as LibreOffice reads it: {sheet name: rows}."""
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    out_dir.mkdir()
    # UTF-8 (76), all sheets (-1): one file per sheet, named <stem>-<sheet>.csv
    p = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out_dir),
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, HOME=str(tmp_path)),
    )
    assert p.returncode == 0, p.stderr
    sheets = {}
    for f in sorted(out_dir.glob("*.csv")):
        with open(f, encoding="utf-8", newline="") as fh:
            sheets[f.stem.split("-", 1)[1]] = list(csv.reader(fh))
    assert sheets, p.stdout + p.stderr
    return sheets


@pytest.fixture
def recommended(station, campaign):
    camp = campaign("jpk-subject-jiangsu", "精品课2024")  # coverage is Jiangsu 002 五2
    ids = add_works(
        station,
        camp["id"],
        [
            dict(
                title="分数的初步认识",
                project="学科课程",
                stage="小学",
                subject="数学",
                grade="三年级",
                school="中牟县实验小学",
                contact="13938247615",
                node_code="RJ-SX-3A-08",
                authors=["杨帆", "李明", "王丽"],
                fails=["video.fps", "audio.loudness"],
                passes=["video.codec"],
            ),
            dict(
                title="光合作用",
                project="实验教学",
                stage="初中",
                subject="生物",
                grade="七年级",
                school="中牟县第三初级中学",
                contact="18237160954",
                node_code="RJ-SW-7A-15",
                authors=["徐静"],
                passes=["video.codec"],
            ),
            dict(
                title="《春晓》朗读·指导",
                project="学科课程",
                stage="小学",
                subject="语文",
                grade="一年级",
                school="中牟县东风路小学",
                contact="13673390826",
                node_code="RJ-SX-3A-08",
                authors=["赵敏"],
            ),
            dict(title="不推荐的作品", project="学科课程", stage="高中", subject="物理", authors=["孙强"]),
        ],
    )
    a, b, c, _ = ids
    for sid, totals in ((a, (90, 92, 88)), (b, (80, 81, 85)), (c, (70, 75, 72))):
        for expert, total in zip("甲乙丙", totals):
            scoring.score(station, sid, expert, {k: str(round(total * v, 4)) for k, v in SHARES.items()})
    quotas.exempt(station, b, "市局同意不占名额", actor="管理员")
    review.decide(station, [a, b], "recommend", "教学设计完整", "管理员")
    review.decide(station, [c], "recommend", None, "管理员", override="两节课内容不同，经市局同意")  # same node as a
    return camp, ids


def test_summary_opens_in_libreoffice_with_the_issue_columns(station, recommended, cli, tmp_path):
    camp, (a, b, c, d) = recommended
    path = tmp_path / "out" / "汇总表.xlsx"
    code, out, err = cli("summary", "--xlsx", path, "--json", check_json=True)
    assert code == 0, err
    assert out["works"] == 3 and out["sheets"] == ["学科课程", "实验教学", "名额使用"] and out["scored"] == 3
    sheets = to_csv(path, tmp_path / "csv", tmp_path)
    assert set(sheets) == {"学科课程", "实验教学", "名额使用"}
    main = sheets["学科课程"]
    assert main[0][0] == "精品课2024 推荐作品汇总表（学科课程）"
    assert main[1] == [
        "序号",
        "作品名称",
        "项目/类别",
        "学段",
        "学科",
        "年级",
        "作者",
        "所在单位",
        "联系电话",
        "课程节点编号",
        "技术检查结论",
        "得分",
        "排名",
        "推荐意见",
        "备注",
    ]
    rows = {r[1]: r for r in main[2:]}
    first = rows["分数的初步认识"]
    assert first[:11] == [
        "1",
        "分数的初步认识",
        "学科课程",
        "小学",
        "数学",
        "三年级",
        "杨帆、李明、王丽",
        "中牟县实验小学",
        "13938247615",
        "RJ-SX-3A-08",
        "2 项不通过",
    ]
    assert first[11:14] == ["90", "1", "推荐：教学设计完整"]
    spring = rows["《春晓》朗读·指导"]
    assert spring[10] == "未检查" and spring[11:13] == ["72", "3"]
    assert spring[14] == "特批（每个课程节点编号限推荐 1 件，管理员）：两节课内容不同，经市局同意"
    assert "不推荐的作品" not in rows
    lab = sheets["实验教学"]
    assert lab[2][1] == "光合作用" and lab[2][10] == "通过" and lab[2][-1] == "不占名额：市局同意不占名额"
    quota = sheets["名额使用"]
    assert quota[1] == ["名额", "已推荐", "上限", "下限", "尚缺", "超出"]
    assert any(r and r[0].startswith("[尚缺] 高中") for r in quota)  # coverage of 高中 is still missing


def test_summary_layout_frozen_header_and_cjk_widths(station, recommended, tmp_path):
    from workflows.recommend import summary

    summary.write(station, None, tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    ws = wb["学科课程"]
    assert ws.freeze_panes == "A3" and "A1:O1" in [str(r) for r in ws.merged_cells.ranges]
    widths = {
        ws.cell(2, col).value: ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
        for col in range(1, ws.max_column + 1)
    }
    assert widths["作品名称"] == 2 + 17  # 《春晓》朗读·指导: 8 wide characters (《》 too) and one narrow ·
    assert widths["联系电话"] == 2 + 11 and widths["序号"] == 6
    assert ws.cell(3, 12).value == 90 and isinstance(ws.cell(3, 12).value, (int, float))


def test_one_programme_one_sheet_and_nothing_recommended(station, campaign, cli, tmp_path):
    camp = campaign("after-school-2024")
    (sid,) = add_works(
        station, camp["id"], [dict(title="剪纸艺术", project="艺术素养", stage="小学", authors=["陈静"])]
    )
    code, _, err = cli("summary", "--xlsx", tmp_path / "x.xlsx")
    assert code == 2 and "summary.empty" in err
    review.decide(station, [sid], "recommend", None, "管理员")
    code, out, _ = cli("summary", "--xlsx", tmp_path / "x.xlsx", "--json", check_json=True)
    assert out["sheets"] == ["汇总表", "名额使用"]
    sheets = to_csv(tmp_path / "x.xlsx", tmp_path / "csv", tmp_path)
    header = sheets["汇总表"][1]
    assert "得分" not in header and "课程节点编号" not in header  # no rubric, no node codes
    assert sheets["汇总表"][2][1] == "剪纸艺术"
