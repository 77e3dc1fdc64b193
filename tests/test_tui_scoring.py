"""Pilot tests: the 名额 panel from workflows.quotas.status, and experts scoring works with keys."""

import asyncio

import openpyxl
from sample_station import sample, sample_master  # noqa: F401
from textual.widgets import Input, Static

from store import queries
from tui import strings as S
from tui.app import StationApp
from tui.screens.overview import QuotaScreen
from tui.screens.score import ScoreScreen
from tui.widgets.modals import ErrorModal
from workflows import reviewers
from workflows.quotas import rules as quotas
from workflows.review import decide as review
from workflows.scoring import scores as scoring

SIZE = (80, 24)


def run(coro):
    return asyncio.run(coro)


def ids(station):
    return {s["title"]: s["id"] for s in queries.submissions(station.db())}


async def wait_for(pilot, condition, what: str):
    for _ in range(300):
        await pilot.pause(0.02)
        if condition():
            await pilot.pause()
            return
    raise AssertionError(f"timed out waiting for {what}")


def quota_table(path):
    """学段 down, maximum and minimum across: 小学 at most 1, 初中 at least 2."""
    wb = openpyxl.Workbook()
    for row in (["精品课推荐名额"], ["学段", "推荐名额（最多）", "最少推荐"], ["小学", 1, None], ["初中", 3, 2]):
        wb.active.append(row)
    wb.active.merge_cells("A1:C1")
    wb.save(path)
    return path


def styles_of(text, word: str) -> set[str]:
    at = text.plain.index(word)
    return {str(s.style) for s in text.spans if s.start <= at < s.end}


def test_quota_panel_shows_status_words_colours_and_violations(sample, tmp_path):
    quotas.import_table(sample, quota_table(tmp_path / "q.xlsx"), "精品课")
    # the sample is a Zhengzhou (001) campaign: coverage is Jiangsu's rule, set here by the administrator
    quotas.set_rule(sample, "精品课", "coverage", "小学,初中,高中")
    t = ids(sample)
    review.decide(sample, [t["分数的初步认识"]], "recommend", reviewer="张老师")
    review.decide(sample, [t["春晓"]], "recommend", reviewer="管理员", override="市局特批")

    async def go():
        app = StationApp(sample, reviewer="张老师", section="quota", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(
                pilot, lambda: isinstance(app.screen, QuotaScreen) and app.screen.quotas is not None, "quota status"
            )
            body = app.screen.query_one("#body", Static).content
            text = body.plain
            lines = text.splitlines()
            assert "精品课（已推荐 2 件）" in text
            primary = next(line for line in lines if line.strip().startswith("小学"))
            assert "2 / 1" in primary and "超出 1 件" in primary
            junior = next(line for line in lines if line.strip().startswith("初中"))
            assert "0 / 3" in junior and "2" in junior and "还差 2 件" in junior
            assert "red" in " ".join(styles_of(body, "超出 1 件"))
            assert "yellow" in " ".join(styles_of(body, "还差 2 件"))
            # the cap was overridden: listed as 已特批, not as something to resolve
            assert any("[已特批]" in line and "名额上限" in line for line in lines)
            assert not any("[必须解决]" in line and "名额上限" in line for line in lines)
            assert any("[尚缺]" in line and "最少名额" in line for line in lines)
            assert any("[尚缺]" in line and "学段覆盖" in line and "高中" in line for line in lines)
            assert "课后服务2024" not in text  # no quotas and no rules: not listed
            await pilot.press("1")
            await wait_for(pilot, lambda: app.screen.quotas is not None, "overview quota summary")
            overview = app.screen.query_one("#body", Static).content.plain
            assert "精品课：名额 2 项，超出 1 项，还差 1 项；必须解决 0 条，已特批 1 条" in overview

    run(go())


def test_quota_panel_marks_an_open_hard_violation(sample, tmp_path):
    quotas.import_table(sample, quota_table(tmp_path / "q.xlsx"), "精品课")
    t = ids(sample)
    review.decide(sample, [t["分数的初步认识"]], "recommend", reviewer="张老师")
    quotas.exempt(sample, t["分数的初步认识"], "省级示范课", "管理员")
    review.decide(sample, [t["春晓"]], "recommend", reviewer="张老师")
    quotas.exempt(sample, t["分数的初步认识"], "", "管理员", remove=True)  # now 2 of 1, never overridden

    async def go():
        app = StationApp(sample, reviewer="张老师", section="quota", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.screen.quotas is not None, "quota status")
            body = app.screen.query_one("#body", Static).content
            assert any("[必须解决]" in line and "名额上限" in line for line in body.plain.splitlines())
            assert "red" in " ".join(styles_of(body, "[必须解决]"))

    run(go())


async def open_scoring(pilot, app, sid):
    ids_in_order = [app.screen.model.row(i)["id"] for i in range(app.screen.model.total)]
    for _ in range(ids_in_order.index(sid)):
        await pilot.press("j")
    await pilot.press("s")
    await wait_for(pilot, lambda: isinstance(app.screen, ScoreScreen) and app.screen.query("#item-0"), "score sheet")


async def saved(pilot, app):
    await wait_for(
        pilot, lambda: not getattr(app.screen, "saving", False) or isinstance(app.screen, ErrorModal), "the save"
    )


def test_scoring_with_keys_is_stored_and_shown_again(sample):
    sid = ids(sample)["分数的初步认识"]

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await open_scoring(pilot, app, sid)
            screen = app.screen
            assert "当前汇总分：暂无" in str(screen.query_one("#summary", Static).content)
            assert "张老师 尚未评分" in str(screen.query_one("#summary", Static).content)
            assert app.focused.id == "item-0"
            await pilot.press(
                "1",
                "8",
                "tab",
                "3",
                "5",
                "tab",
                "B",
                "tab",
                "2",
                "0",
                "tab",
                "3",
                "tab",
                "g",
                "o",
                "o",
                "d",
                "shift+tab",
                "backspace",
            )  # veto 3 typed, then taken back
            await pilot.press("ctrl+s")
            await saved(pilot, app)
            assert not isinstance(app.screen, ErrorModal)
            sheet = scoring.expert_sheet(sample, sid, "张老师")
            assert [(x["name"], x["value"], x["grade"]) for x in sheet["items"]] == [
                ("目标内容", 18, None),
                ("教学过程", 35, None),
                ("教学资源", 16, "B"),
                ("技术规范", 20, None),
            ]
            assert sheet["total"] == 89 and sheet["comment"] == "good" and sheet["veto"] == []
            await wait_for(pilot, lambda: "89" in str(screen.query_one("#summary", Static).content), "new total")
            await pilot.press("escape")
            await pilot.press("s")  # again: the stored scores come back
            await wait_for(
                pilot, lambda: isinstance(app.screen, ScoreScreen) and app.screen.query("#item-0"), "score sheet"
            )
            summary = str(app.screen.query_one("#summary", Static).content)
            assert "当前汇总分：89（1 位专家评完，排名第 1）" in summary and "张老师 已评：总分 89" in summary
            assert [app.screen.query_one(f"#item-{n}", Input).value for n in range(4)] == ["18", "35", "B", "20"]
            assert app.screen.query_one("#comment", Input).value == "good"
            # out of range: refused in a dialog, nothing changed
            await pilot.press("backspace", "backspace", "2", "5", "ctrl+s")
            await saved(pilot, app)
            assert isinstance(app.screen, ErrorModal)
            assert "超出范围" in str(app.screen.query(Static)[1].content)
            await pilot.press("enter")
            assert scoring.expert_sheet(sample, sid, "张老师")["items"][0]["value"] == 18
            # a veto mark by number
            app.screen.query_one("#item-0", Input).value = "18"
            app.screen.query_one("#veto", Input).focus()
            await pilot.press("1", "ctrl+s")
            await saved(pilot, app)
            assert scoring.expert_sheet(sample, sid, "张老师")["veto"] == ["导向错误"]

    run(go())
    result = next(w for w in scoring.report(sample, "精品课")["works"] if w["id"] == sid)
    assert result["score"] == 89 and result["vetoed"]


def test_recused_expert_gets_the_dialog_and_nothing_is_stored(sample):
    reviewers.add(sample, "王老师", unit="实验小学")
    sid = ids(sample)["分数的初步认识"]  # from 中牟县实验小学

    async def go():
        app = StationApp(sample, reviewer="王老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert sid not in [app.screen.model.row(i)["id"] for i in range(app.screen.model.total)]
            app.push_screen(ScoreScreen(sid))  # e.g. opened before the unit was registered
            await wait_for(pilot, lambda: app.screen.query("#item-0"), "score sheet")
            assert "[须回避] 王老师 与本作品同属「实验小学」" in str(app.screen.query_one("#summary", Static).content)
            await pilot.press("1", "5", "ctrl+s")
            await saved(pilot, app)
            assert isinstance(app.screen, ErrorModal)
            text = " ".join(str(s.content) for s in app.screen.query(Static))
            assert "回避" in text and "score.recused" in text

    run(go())
    assert scoring.expert_sheet(sample, sid, "王老师")["items"][0]["value"] is None


def test_read_only_and_no_rubric(sample):
    t = ids(sample)

    async def go():
        app = StationApp(sample, reviewer="张老师", read_only=True, watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await open_scoring(pilot, app, t["春晓"])
            await pilot.press("1", "ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal)
            assert S.SCORE_READ_ONLY in " ".join(str(s.content) for s in app.screen.query(Static))
            await pilot.press("enter", "escape")
            await pilot.press("g", "enter", "s")  # from the detail screen, a 课后服务 work: no rubric
            await wait_for(
                pilot, lambda: isinstance(app.screen, ScoreScreen) and app.screen.query("#no-rubric"), "no rubric"
            )
            assert "没有评分细则" in str(app.screen.query_one("#no-rubric", Static).content)

    run(go())
    assert scoring.expert_sheet(sample, t["春晓"], "张老师")["items"][0]["value"] is None


def test_scoring_screen_shows_a_live_total_while_typing(sample):
    """Issue 14 item 20: the total of what is typed so far, before saving, counted as the save counts it."""
    sid = ids(sample)["分数的初步认识"]

    def live(app) -> str:
        return str(app.screen.query_one("#live", Static).content)

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await open_scoring(pilot, app, sid)
            total = scoring.fmt(app.screen.data["rubric"].total)
            assert f"本次录入合计：0 / {total}，未填 4 项" in live(app)
            await pilot.press("1", "8", "tab", "3", "5")
            assert f"本次录入合计：53 / {total}，未填 2 项" in live(app)
            await pilot.press("tab", "B", "tab", "2", "0")  # B: the grade counted as the save counts it
            assert f"本次录入合计：89 / {total}" in live(app) and "未填" not in live(app)
            await pilot.press("backspace", "backspace", "9", "9")  # over the item's maximum
            assert "1 项无效" in live(app)
            assert scoring.expert_sheet(sample, sid, "张老师")["total"] is None  # nothing saved by typing

    run(go())
