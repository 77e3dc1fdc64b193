"""Item 17 and issue 15 on 总览: Chinese names, hanging indent, deadlines with days left, and Enter on a rule,
quota or campaign row opens the queue on those works (Esc comes back)."""

import asyncio

import openpyxl
import pytest
from rich.cells import cell_len
from sample_station import copy_station, sample, sample_master  # noqa: F401
from textual.widgets import Static

from tui import strings as S
from tui.app import StationApp
from tui.screens.overview import deadline_text
from workflows import campaigns, deadlines, overview
from workflows.quotas import rules as quotas


def run(coro):
    return asyncio.run(coro)


def body(app) -> str:
    return str(app.screen.query_one("#body", Static).render())


def body_lines(app) -> list[str]:
    return [line.rstrip() for line in body(app).splitlines()]


def _quota_table(path):
    wb = openpyxl.Workbook()
    for row in [["县区", "小学", "初中"], ["中牟县", 6, 4], ["金水区", 8, 5]]:
        wb.active.append(row)
    wb.save(path)
    return path


async def _until(pilot, ready):
    for _ in range(200):
        if ready():
            return
        await pilot.pause(0.02)
    raise AssertionError("the overview did not finish loading")


async def _select(pilot, app, target):
    """Press down until TARGET is the selected row."""
    index = [t[2] for t in app.screen.targets].index(target)
    for _ in range(index - app.screen.selected):
        await pilot.press("down")
    assert app.screen.targets[app.screen.selected][2] == target


def test_overview_names_profiles_and_rules_in_chinese_with_a_hanging_indent(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师", section="overview", watch=False)
        async with app.run_test(size=(80, 30)):
            text = body(app)
            assert "课后服务2024（" in text and "after-school-2024" not in text and "jpk-subject" not in text
            name = overview.profile_name("after-school-2024")
            assert name != "after-school-2024" and name[:6] in text
            assert "dup.same_file" not in text and "一稿多投（相同文件）" in text
            lines = body_lines(app)
            assert all(cell_len(line) <= 78 for line in lines)
            # the 课后服务2024 line wraps: its continuation hangs 4 cells under the text it continues
            first = next(i for i, line in enumerate(lines) if line.startswith("  课后服务2024（"))
            assert lines[first + 1].startswith(" " * 6) and not lines[first + 1].startswith(" " * 7)

    run(go())


def test_enter_on_a_rule_row_opens_the_queue_on_its_works_and_escape_returns(sample):
    wanted = overview.rule_works(sample.db(), "dup.same_file")
    assert 0 < len(wanted) < len(overview.campaign_works(sample.db(), 1))

    async def go():
        app = StationApp(sample, reviewer="张老师", section="overview", watch=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await _select(pilot, app, ("rule", "dup.same_file"))
            drawn = app.screen.rendered
            chosen = [drawn.plain[s.start : s.end] for s in drawn.spans if "reverse" in str(s.style)]
            assert chosen and all(c.startswith("一稿多投（相同文件）") for c in chosen)
            await pilot.press("enter")
            await pilot.pause()
            assert app.current_mode == "queue"
            m = app.screen.model
            assert sorted(m.row(i)["id"] for i in range(m.total)) == sorted(wanted)
            status = str(app.screen.query_one("#status").render())
            assert S.SCOPE_RULE.format(rule="一稿多投（相同文件）") in status
            await pilot.press("escape")
            await pilot.pause()
            assert app.current_mode == "overview"
            await pilot.press("4")  # the queue itself is whole again
            m = app.queue_screen().model
            assert m.filter.only is None and m.total > len(wanted)

    run(go())


def test_quota_rows_fill_and_open_the_works_they_count(sample, tmp_path):
    # the sample's 精品课 carries 001's 附件3 for 中牟县; its works' county comes from the one-region table
    camp = campaigns.get(sample, "精品课")
    key = {"region": "中牟县", "stage": "小学"}
    wanted = quotas.key_works(sample, camp["name"], key)
    assert len(wanted) == 2  # without a county the row counts nothing

    async def go():
        app = StationApp(sample, reviewer="张老师", section="overview", watch=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(pilot, lambda: app.screen.quotas is not None)
            text = body(app)
            assert "中牟县・小学：已推荐 0/2" in text and "中牟县.小学" not in text
            await _select(pilot, app, ("quota", camp["name"], key))
            await pilot.press("enter")
            await pilot.pause()
            assert app.current_mode == "queue"
            m = app.screen.model
            assert sorted(m.row(i)["id"] for i in range(m.total)) == sorted(wanted)
            assert "中牟县・小学" in str(app.screen.query_one("#status").render())
            await pilot.press("escape")
            await pilot.pause()
            assert app.current_mode == "overview"

    run(go())


@pytest.mark.req("000-38")
def test_deadlines_show_days_left_highlight_the_near_and_mark_the_past(sample):
    # STATION_NOW is 2024-06-01T12:00 (conftest)
    deadlines.set_date(sample, "课后服务2024", "县级初审", "06-05")
    deadlines.set_date(sample, "课后服务2024", "学校报送", "05-20")
    deadlines.set_date(sample, "课后服务2024", "今日上午", "2024-06-01 09:00")

    async def go():
        app = StationApp(sample, reviewer="张老师", section="overview", watch=False)
        async with app.run_test(size=(100, 40)):
            text = body(app)
            assert S.OVERVIEW_DEADLINES in text
            assert "2024-06-05 23:59  县级初审：还剩 4 天，即将截止" in text
            assert "2024-05-20 23:59  学校报送：已截止" in text
            assert "2024-06-01 09:00  今日上午：已截止" in text  # the last day, but the hour has passed
            assert "县级完成申报材料提交上传和报送（上报截止）：还剩 60 天" in text
            spans = app.screen.rendered
            styled = {spans.plain[s.start : s.end]: str(s.style) for s in spans.spans}
            near = next(k for k in styled if "县级初审" in k)
            assert "yellow" in styled[near]
            past = next(k for k in styled if "学校报送" in k)
            assert "dim" in styled[past]

    run(go())


def test_deadline_words():
    assert deadline_text({"passed": True, "days_left": 0}) == (S.DEADLINE_PASSED, "dim")
    assert deadline_text({"passed": False, "days_left": 0})[0] == S.DEADLINE_TODAY
    assert deadline_text({"passed": False, "days_left": 7}) == (S.DEADLINE_SOON.format(n=7), "bold yellow")
    assert deadline_text({"passed": False, "days_left": 8}) == (S.DEADLINE_LEFT.format(n=8), "")
    assert deadlines.days_text(0, True) == "已截止（今天）" and deadlines.days_text(-3) == "已截止（已过 3 天）"


def test_wrapped_lines_never_start_with_punctuation_nor_split_a_count_from_its_unit():
    from tui.widgets.cells import wrap

    text = "课后服务2024：名额 2 项，超出 0 项，还差 0 项；必须解决 0 条，已特批 0 条，尚缺 0 条"
    for width in range(12, 60):
        lines = wrap(text, width, 4)
        assert all(cell_len(line) <= width for line in lines), width
        assert not any(line.lstrip()[:1] in "，；：。" for line in lines), (width, lines)
        assert not any(line.endswith(" 0") for line in lines), (width, lines)  # "0 条" stays whole
        assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert wrap("网上报名和作品上传（上报截止）：还剩 97 天", 36, 4)[-1].strip() == "97 天"


def test_enter_on_a_row_of_the_quota_screen_opens_its_works(sample, tmp_path):
    camp = campaigns.get(sample, "课后服务2024")
    quotas.import_table(sample, _quota_table(tmp_path / "q.xlsx"), camp["name"], "中牟县")
    key = {"region": "中牟县", "stage": "初中"}
    wanted = quotas.key_works(sample, camp["name"], key)

    async def go():
        app = StationApp(sample, reviewer="张老师", section="quota", watch=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await _until(pilot, lambda: app.screen.quotas is not None)
            assert "中牟县・初中" in body(app)
            await _select(pilot, app, ("quota", camp["name"], key))
            await pilot.press("enter")
            await pilot.pause()
            assert app.current_mode == "queue"
            m = app.screen.model
            assert sorted(m.row(i)["id"] for i in range(m.total)) == sorted(wanted)
            await pilot.press("escape")
            await pilot.pause()
            assert app.current_mode == "quota"

    run(go())


def test_campaign_dates_on_the_cli_say_soon_and_past(cli, tmp_path):
    assert cli("campaign", "add", "课后服务", "--profile", "after-school-2024", "--year", "2024")[0] == 0
    cli("campaign", "dates", "课后服务", "--set", "县级初审", "--at", "06-05")
    cli("campaign", "dates", "课后服务", "--set", "学校报送", "--at", "05-20")
    code, out, err = cli("campaign", "dates", "课后服务")
    assert code == 0, err
    lines = {line.split()[2]: line for line in out.splitlines() if line.strip()}
    assert lines["学校报送"].endswith("已截止（已过 12 天）")
    assert lines["县级初审"].endswith("还剩 4 天，即将截止")
    code, out, _ = cli("campaign", "list")
    assert "下一时间节点：县级初审 2024-06-05 23:59（还剩 4 天，即将截止）" in out
