"""No crash, no lost update, no silent refusal: issue 14 items 1, 3, 4 and 15 through the real app."""

import asyncio
import os
import subprocess
import sys
import textwrap

from sample_station import sample, sample_master  # noqa: F401
from test_tui import recommend, row_ids, settle, state

from store import queries
from tui import strings as S
from tui.app import StationApp
from tui.screens.queue import QueueScreen
from tui.widgets.modals import ConfirmModal, ErrorModal, RefusalModal
from workflows.review import decide as review

SIZE = (100, 30)


def run(coro):
    return asyncio.run(coro)


# --- item 1: no action ends the app with a traceback ----------------------------------------------


def test_switching_colours_three_times_from_the_palette_never_crashes(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            seen = []
            for _ in range(3):
                await pilot.press("ctrl+p")
                await pilot.press(*S.CMD_THEME)
                await pilot.pause(0.6)
                await pilot.press("enter")
                await pilot.pause(0.2)
                seen.append(app.theme)
            assert app.is_running and isinstance(app.screen, QueueScreen)
            assert seen == ["textual-light", "textual-dark", "textual-light"]

    run(go())


def test_an_unexpected_error_in_an_action_becomes_a_dialog(sample, monkeypatch):
    def broken(self):
        raise RuntimeError("磁盘坏了")

    monkeypatch.setattr(QueueScreen, "action_open", broken)

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal) and "RuntimeError: 磁盘坏了" in app.screen.text
            assert str(app.error_log()) in app.screen.text
            await pilot.press("escape")
            await pilot.press("j")  # the queue still answers keys
            assert app.is_running and app.screen.model.cursor == 1
        assert "RuntimeError: 磁盘坏了" in app.error_log().read_text("utf-8")

    run(go())


def test_an_error_in_a_dialog_callback_becomes_a_dialog(sample, monkeypatch):
    def broken(self, *args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(QueueScreen, "set_filter", broken)

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("t", "enter")  # the filter menu's first entry calls set_filter in its callback
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal) and "KeyError" in app.screen.text
            assert app.is_running

    run(go())


def test_a_fatal_error_exits_non_zero_with_a_chinese_message(sample):
    """A screen that cannot even be built: the process ends with exit code 1 and one Chinese line, no traceback."""
    script = textwrap.dedent(
        f"""
        from tui.screens.queue import QueueScreen
        from tui.app import StationApp
        from workflows.station import Station

        def compose(self):
            raise RuntimeError("broken screen")

        QueueScreen.compose = compose
        StationApp(Station.open({str(sample.db_path)!r}), reviewer="张老师", watch=False).run(headless=True)
        """
    )
    p = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=dict(os.environ, LANG="C.UTF-8")
    )
    assert p.returncode == 1
    assert "评审工作站遇到内部错误，已退出：RuntimeError: broken screen" in p.stderr
    assert "Traceback" not in p.stderr and "locals" not in p.stderr


# --- item 3: decisions are conditional on what the reviewer saw -----------------------------------


def test_a_change_read_but_not_yet_painted_is_a_conflict_not_an_overwrite(sample):
    """The poll has just read another reviewer's decision, the screen has not shown it yet: a key pressed in
    that moment must be refused (it was meant for the state on screen), not silently overwrite it."""

    async def go():
        app = StationApp(sample, reviewer="甲", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            await pilot.pause()
            sid = screen.model.current_id()
            review.decide(sample, [sid], "pending", None, "乙")
            screen.model.reload()  # what the poll does; the repaint comes later
            screen.action_decide("reject")
            await settle(pilot, app)
            assert isinstance(app.screen, ErrorModal) and app.screen.title_text == S.CONFLICT_TITLE
            assert state(sample, sid).decision == "pending" and state(sample, sid).reviewer == "乙"
            await pilot.press("escape")
            await pilot.press("x")  # now the reviewer has seen 乙's decision: deciding again is deliberate
            await settle(pilot, app)
            assert state(sample, sid).decision == "reject"

    run(go())


def test_every_decision_from_the_tui_passes_the_revision_it_showed(sample, monkeypatch):
    calls = []
    real = review.decide

    def spy(*args, **kwargs):
        calls.append(kwargs.get("expected"))
        return real(*args, **kwargs)

    monkeypatch.setattr(review, "decide", spy)

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            ids = row_ids(app)
            await pilot.press("x")  # single
            await settle(pilot, app)
            await pilot.press("x")  # twice in a row on our own fresh write: not a conflict with ourselves
            await settle(pilot, app)
            await pilot.press("space", "space", "p", "y")  # bulk
            await settle(pilot, app)
            await pilot.press("a", "x", "y")  # everything, marked without being painted
            await settle(pilot, app)
            assert not isinstance(app.screen, ErrorModal)
            assert len(calls) == 4 and all(c is not None for c in calls)
            assert set(calls[-1]) == set(ids)
            assert {state(sample, i).decision for i in ids} == {"reject"}

    run(go())


# --- item 4 and 15: refused archives, failing works, refusals --------------------------------------


def rejected_id(station) -> int:
    return next(s["id"] for s in queries.submissions(station.db()) if s["status"] == "rejected")


def test_queue_marks_refused_archives_and_never_recommends_them(sample):
    rid = rejected_id(sample)

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(120, 30)) as pilot:
            screen = app.screen
            index = row_ids(app).index(rid)
            screen.model.move_to(index)
            screen.redraw()
            await pilot.pause()
            line = screen.view.render_line(index - screen.view.top + 1).text
            assert S.CHECK_REFUSED in line
            await pilot.press("r")
            await pilot.pause()
            assert isinstance(app.screen, RefusalModal) and str(rid) in app.screen.text
            await pilot.press("escape")
            assert screen.model.current_id() == rid and state(sample, rid).decision is None
            await pilot.press("x")  # 不推荐 is allowed
            await settle(pilot, app)
            assert state(sample, rid).decision == "reject"

    run(go())


def test_recommending_a_work_failing_checks_asks_first(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            sid = app.screen.model.current_id()
            fails = app.screen.model.current()["fails"]
            assert fails
            await pilot.press("r")
            assert isinstance(app.screen, ConfirmModal)
            assert app.screen.question == S.CONFIRM_FAILING_ONE.format(id=sid, n=fails)
            await pilot.press("n")
            await settle(pilot, app)
            assert state(sample, sid).decision is None and app.screen.model.current_id() == sid
            await recommend(pilot, app)
            assert state(sample, sid).decision == "recommend"

    run(go())


def test_a_hard_rule_refusal_offers_the_override_in_the_tui(sample):
    from workflows.quotas import rules as quotas

    quotas.set_rule(sample, "精品课", "share_cap", "34%")
    t = {s["title"]: s["id"] for s in queries.submissions(sample.db())}

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            app.screen.model.move_to(row_ids(app).index(t["春晓"]))
            await recommend(pilot, app)
            assert isinstance(app.screen, RefusalModal) and app.screen.overridable
            await pilot.press("o")
            await pilot.press(*"县局特批")
            await pilot.press("enter")
            await settle(pilot, app)
            assert state(sample, t["春晓"]).decision == "recommend"

    run(go())


# --- items 13 and 19: who and in which mode, help by task, ? always in the footer ---------------------


def test_header_at_80_columns_always_shows_who_and_the_mode(sample):
    from workflows import reviewers

    reviewers.add(sample, "观察员", unit="实验小学", read_only=True)

    async def go():
        app = StationApp(sample, reviewer="观察员", anonymous=True, watch=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            bar = str(app.screen.query_one("SectionBar").render())
            assert "观察员" in bar and "只读" in bar and "匿名" in bar and "回避" in bar
            await pilot.press("r")
            assert S.READ_ONLY_REFUSED in [n.message for n in app._notifications]

    run(go())


def test_help_groups_keys_by_task_and_question_mark_stays_in_the_footer(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            footer = app.screen.query_one("Footer")
            shown = [b.binding.id for b in app.screen.active_bindings.values() if b.binding.show]
            assert "app.help" in shown and "app.quit" in shown
            assert footer.size.width == 80
            await pilot.press("question_mark")
            help_ = app.screen
            tasks = [task for task, _ in help_.groups]
            assert tasks[:3] == ["移动", "评审决定", "筛选与搜索"] and "全局" in tasks
            assert ("Ctrl+Q", "退出") in help_.keys
            assert len(help_.keys) >= 30  # every key, not the first 16

    run(go())


# --- items 6, 12 and 14: the detail view is built for deciding, and anonymous everywhere ------------------


def test_detail_puts_the_verdict_first_and_decides_and_steps_like_a_pager(sample):
    t = {s["title"]: s["id"] for s in queries.submissions(sample.db())}

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(80, 24)) as pilot:
            app.screen.model.move_to(row_ids(app).index(t["春晓"]))
            await pilot.press("enter")
            detail = app.screen
            body = str(detail.query_one("#body").render())
            assert body.index("检查结论") < body.index("基本信息")  # findings before metadata
            # 精品课 (Zhengzhou 001) gives neither an awards rule nor lengths: both are hints
            assert "[警告] 往年获奖作品" in body and "[警告] 时长（春晓（第1课时）.mp4）" in body
            assert "dup.awarded" not in body and "media.duration" not in body  # no English rule ids
            assert "实测 00:09:00，要求 10-15 分钟" in body  # a lesson split into two 课时 of 9 and 8 minutes
            assert all(len(line) <= 78 for line in body.splitlines())
            await pilot.press("x")  # decide from the detail view, as in the queue
            await settle(pilot, app)
            assert state(sample, t["春晓"]).decision == "reject"
            assert app.screen is detail and "评审决定：不推荐" in str(detail.query_one("#body").render())
            await pilot.press("K")  # the previous work, without leaving the detail view
            assert detail.submission_id == t["分数的初步认识"]
            assert "分数的初步认识" in str(detail.query_one("#body").render())
            await pilot.press("escape")
            assert app.screen.model.current_id() == t["分数的初步认识"]

    run(go())


def test_detail_scrolls_without_animation(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("G", "enter")
            scroll = app.screen.query_one("#scroll")
            await pilot.press("pagedown")
            assert scroll.scroll_y == scroll.scroll_target_y > 0  # already there: no frames in between
            await pilot.press("end")
            assert scroll.scroll_y == scroll.max_scroll_y
            await pilot.press("home")
            assert scroll.scroll_y == 0

    run(go())


def test_anonymous_reviewer_never_sees_a_school_in_findings_or_history(sample):
    from workflows import reviewers

    reviewers.add(sample, "匿名专家", unit="实验小学", anonymous=True)
    t = {s["title"]: s["id"] for s in queries.submissions(sample.db()) if s["school"] == "中牟县新华路小学"}

    async def go():
        app = StationApp(sample, reviewer="匿名专家", watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            sid = t["快乐足球"]  # its video is also 东风路小学's
            app.screen.model.move_to(row_ids(app).index(sid))
            await pilot.press("enter")
            body = str(app.screen.query_one("#body").render())
            assert "一稿多投" in body and S.REDACTED in body
            assert "实验小学" not in body and "新华路小学" not in body and "中牟县" not in body
            assert "东风路小学" not in body
            bar = str(app.screen.query_one("SectionBar").render())
            assert "匿名评审" in bar and "回避单位：实验小学" in bar

    run(go())


# --- item 11: no ambiguous-width glyph reaches the screen, finding texts included --------------------------


def test_rendered_findings_and_overview_have_no_ambiguous_width_glyphs(sample):
    import unicodedata

    def ambiguous(text: str) -> set[str]:
        return {c for c in text if unicodedata.east_asian_width(c) == "A"}

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(100, 40)) as pilot:
            seen = set()
            for index in range(app.screen.model.total):
                app.screen.model.move_to(index)
                await pilot.press("enter")
                body = str(app.screen.query_one("#body").render())
                seen |= ambiguous(body)
                await pilot.press("escape")
            await pilot.press("1")
            seen |= ambiguous(str(app.screen.query_one("#body").render()))
            assert seen == set()

    run(go())
