"""Pilot tests: every queue key, detail, filters, 回避, read-only, anonymous, two reviewers at once."""

import asyncio

from rich.cells import cell_len
from sample_station import copy_station, sample, sample_master  # noqa: F401
from textual.widgets import Input, Static

from store import audit, queries
from tui import strings as S
from tui.app import StationApp
from tui.widgets.messages import DecisionWritten
from tui.widgets.modals import ChoiceModal, ConfirmModal, ErrorModal, HelpModal, InputModal, RefusalModal
from workflows import reviewers
from workflows.review import decide as review

SIZE = (100, 30)


def run(coro):
    return asyncio.run(coro)


def by_title(station):
    return {s["title"]: s["id"] for s in queries.submissions(station.db())}


def lines(app):
    view = app.screen.view
    return [view.render_line(y).text for y in range(view.size.height)]


def row_ids(app):
    m = app.screen.model
    return [m.row(i)["id"] for i in range(m.total)]


def status(app):
    return str(app.screen.query_one("#status").render())


async def settle(pilot, app):
    """Wait for the writer thread and the messages it posts back."""
    for _ in range(200):
        await pilot.pause(0.02)
        screen = app.queue_screen()
        if screen is None or not screen.pending:
            await pilot.pause()
            return
    raise AssertionError("writes did not finish")


async def recommend(pilot, app):
    """`r` on the current work; every sample work but one fails a check, which the TUI asks about first."""
    await pilot.press("r")
    if isinstance(app.screen, ConfirmModal):
        await pilot.press("y")
    await settle(pilot, app)


async def other_reviewer(station, ids, value):
    """A decision from another session: its own thread, so its own connection (as another process would)."""
    await asyncio.to_thread(review.decide, station, ids, value, None, "李老师")


def state(station, sid):
    return review.current(station.db(), [sid])[sid]


def test_queue_opens_with_every_submission_and_position(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            total = len(queries.submissions(sample.db()))
            assert app.screen.model.total == total
            assert f"第 1/{total} 条" in status(app)
            text = lines(app)
            assert text[0].split()[:2] == ["编号", "作品名称"]
            assert all(cell_len(line) == 80 for line in text)
            fails = sum(
                f["status"] == "fail"
                for s in queries.submissions(sample.db())
                if s["title"] == "光合作用"
                for f in s["findings"]
            )
            assert fails and any("光合作用" in line and f"不通过{fails}" in line and "未审" in line for line in text)
            await pilot.press("ctrl+q")

    run(go())


def test_navigation_keys(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=(100, 10)) as pilot:  # 7 rows visible
            m = app.screen.model
            await pilot.press("j", "j", "down")
            assert m.cursor == 3
            await pilot.press("k", "up")
            assert m.cursor == 1
            await pilot.press("G")
            total = len(queries.submissions(sample.db()))
            assert m.cursor == total - 1 and f"第 {total}/{total} 条" in status(app)
            assert m.row(total - 1)["title"] in lines(app)[-1]  # scrolled to the end
            await pilot.press("g")
            assert m.cursor == 0
            await pilot.press("pagedown")
            assert m.cursor == app.screen.view.rows_visible
            await pilot.press("pageup")
            assert m.cursor == 0
            await pilot.press("end", "home")
            assert m.cursor == 0

    run(go())


def test_decide_moves_to_next_undecided_and_undo_returns(sample):
    t = by_title(sample)

    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            m = app.screen.model
            ids = row_ids(app)
            await other_reviewer(sample, [ids[1]], "pending")  # already decided: skipped over
            await pilot.pause(1.2)  # the poll picks it up
            await recommend(pilot, app)
            assert state(sample, ids[0]).decision == "recommend" and state(sample, ids[0]).reviewer == "张老师"
            assert m.cursor == 2
            await pilot.press("x")
            await settle(pilot, app)
            assert state(sample, ids[2]).decision == "reject" and m.cursor == 3
            await pilot.press("p")
            await settle(pilot, app)
            await pilot.press("u")
            await settle(pilot, app)
            assert state(sample, ids[3]).decision is None and m.current_id() == ids[3]
            await pilot.press("u")
            await settle(pilot, app)
            assert state(sample, ids[2]).decision is None and m.current_id() == ids[2]
            await pilot.press("u")
            await settle(pilot, app)
            assert state(sample, ids[0]).decision is None and m.current_id() == ids[0]
            await pilot.press("u")
            await settle(pilot, app)
            assert state(sample, ids[1]).decision == "pending"  # someone else's is not ours to undo

    run(go())
    actions = [e["action"] for e in audit.entries(sample.db()) if e["action"].startswith("decision.")]
    assert actions.count("decision.made") == 4 and actions.count("decision.undone") == 3
    assert t  # sample has titles


def test_fix_requires_a_reason(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            sid = app.screen.model.current_id()
            await pilot.press("f")
            assert isinstance(app.screen, InputModal)
            await pilot.press("enter")
            assert isinstance(app.screen, InputModal)  # still asking
            assert S.REASON_REQUIRED in str(app.screen.query_one("#error", Static).render())
            await pilot.press(*"gai")
            app.screen.query_one(Input).value = "片头缺少课程名称"
            await pilot.press("enter")
            await settle(pilot, app)
            s = state(sample, sid)
            assert s.decision == "fix" and s.reason == "片头缺少课程名称"
            await pilot.press("g", "f", "escape")  # cancelled: nothing changes
            await settle(pilot, app)
            assert state(sample, sid).reason == "片头缺少课程名称"

    run(go())


def test_note_key(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            sid = app.screen.model.current_id()
            await pilot.press("n")
            app.screen.query_one(Input).value = "视频声音偏小"
            await pilot.press("enter")
            await settle(pilot, app)
            assert review.note(sample.db(), sid)["text"] == "视频声音偏小"

    run(go())


def test_marks_and_bulk_decision_ask_with_the_count(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            ids = row_ids(app)
            await pilot.press("space", "space")
            assert app.screen.model.marked == {ids[0], ids[1]} and lines(app)[1].startswith("*")
            await pilot.press("r")
            assert isinstance(app.screen, ConfirmModal)
            assert "2 件" in app.screen.question
            await pilot.press("n")
            await settle(pilot, app)
            assert state(sample, ids[0]).decision is None
            await pilot.press("x")
            await pilot.press("y")
            await settle(pilot, app)
            assert state(sample, ids[0]).decision == "reject" and state(sample, ids[1]).decision == "reject"
            assert not app.screen.model.marked
            await pilot.press("u")  # one undo takes back the whole bulk decision
            await settle(pilot, app)
            assert state(sample, ids[0]).decision is None and state(sample, ids[1]).decision is None
            # `a` marks what the filter shows
            await pilot.press("b")  # 检查不通过
            failed = set(row_ids(app))
            await pilot.press("a")
            assert app.screen.model.marked == failed
            await pilot.press("p", "y")
            await settle(pilot, app)
            assert {i for i in ids if state(sample, i).decision == "pending"} == failed

    run(go())


def test_search_and_filters_compose_and_keep_the_cursor(sample):
    t = by_title(sample)

    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            m = app.screen.model
            await pilot.press("slash")
            await pilot.press(*"王芳")
            await pilot.press("enter")
            assert row_ids(app) == [t["物理实验的数字化探究"]] and "王芳" in status(app)
            await pilot.press("slash", "escape")
            assert m.total == len(queries.submissions(sample.db()))
            # the cursor stays on its submission when the list changes
            m.move_to(row_ids(app).index(t["光合作用"]))
            await pilot.press("b")  # 检查不通过
            assert m.current_id() == t["光合作用"] and set(row_ids(app)) == {
                s["id"] for s in queries.submissions(sample.db()) if any(f["status"] == "fail" for f in s["findings"])
            }
            await pilot.press("o")  # sort by title
            assert m.current_id() == t["光合作用"]
            titles = [m.row(i)["title"] for i in range(m.total)]
            assert titles == sorted(titles)
            await pilot.press("c")
            assert m.total == len(queries.submissions(sample.db())) and m.current_id() == t["光合作用"]
            # facet menu: 学段 = 初中
            await pilot.press("t")
            assert isinstance(app.screen, ChoiceModal)
            labels = [label for label, _ in app.screen.options]
            await pilot.press(*["down"] * labels.index(S.FACET_MORE.format(name="学段")), "enter")
            stages = [v for _, v in app.screen.options]
            await pilot.press(*["down"] * stages.index("初中"), "enter")
            junior = sorted(s["id"] for s in queries.submissions(sample.db()) if s["stage"] == "初中")
            assert {m.row(i)["stage"] for i in range(m.total)} == {"初中"} and sorted(row_ids(app)) == junior
            await pilot.press("v")  # and 未审
            assert m.total == len(junior) > 2
            await other_reviewer(sample, [t["光合作用"]], "recommend")
            await pilot.pause(1.3)  # another reviewer's decision leaves the 未审 list
            assert sorted(row_ids(app)) == [i for i in junior if i != t["光合作用"]]

    run(go())


def test_detail_shows_findings_as_words_and_escape_returns(sample):
    t = by_title(sample)

    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            m = app.screen.model
            m.move_to(row_ids(app).index(t["春晓"]))
            await recommend(pilot, app)
            m.move_to(row_ids(app).index(t["春晓"]))
            await pilot.press("enter")
            body = str(app.screen.query_one("#body", Static).render())
            # 精品课 notices do not exclude awarded works: the award is a hint (通知未规定)
            assert "作品" in body and "春晓" in body and "[警告] 往年获奖作品" in body
            assert "评审决定：推荐" in body and "张老师" in body and "评审决定" in body
            assert "申报表" in body and "春晓（第1课时）.mp4" in body  # the files of the work, by name
            await pilot.press("escape")
            assert app.screen.model.current_id() == t["春晓"]

    run(go())


def test_titles_are_never_markup(sample):
    t = by_title(sample)
    import store

    db = sample.db()
    with store.write(db):
        db.execute("UPDATE submissions SET title = '作品[/b] [red]x' WHERE id = ?", [t["春晓"]])

    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            assert any("作品[/b] [red]x" in line for line in lines(app))
            app.screen.model.move_to(row_ids(app).index(t["春晓"]))
            await pilot.press("enter")
            assert "作品[/b] [red]x" in str(app.screen.query_one("#body", Static).render())

    run(go())


def test_recusal_hides_own_unit(sample):
    reviewers.add(sample, "王老师", unit="实验小学")

    async def go():
        app = StationApp(sample, reviewer="王老师")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            schools = {app.screen.model.row(i)["school"] for i in range(app.screen.model.total)}
            own = [s for s in queries.submissions(sample.db()) if "实验小学" in (s["school"] or "")]
            assert own and app.screen.model.total == len(queries.submissions(sample.db())) - len(own)
            assert not any("实验小学" in (s or "") for s in schools)

    run(go())


def test_read_only_refuses_every_changing_key_and_says_why(sample):
    reviewers.add(sample, "观察员", read_only=True)

    async def go():
        app = StationApp(sample, reviewer="观察员")
        async with app.run_test(size=SIZE) as pilot:
            sid = app.screen.model.current_id()
            shown = {b.binding.id for b in app.screen.active_bindings.values() if b.enabled}
            assert not shown & {"queue.mark", "queue.mark_all"}
            for key in ("r", "x", "p", "n", "space", "u"):
                await pilot.press(key)
            await pilot.pause(0.2)
            told = [n.message for n in app._notifications if n.message == S.READ_ONLY_REFUSED]
            assert len(told) == 5  # r x p n u each say why they do nothing
            assert isinstance(app.screen.view, object) and state(sample, sid).decision is None
            assert not app.screen.model.marked and "只读" in str(app.screen.query_one("SectionBar").render())

    run(go())


def test_anonymous_mode_hides_teacher_and_school(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师", anonymous=True)
        async with app.run_test(size=SIZE) as pilot:
            text = "\n".join(lines(app))
            assert "教师" not in text and "学校" not in text and "中牟县" not in text and "赵敏" not in text
            await pilot.press("G", "enter")
            body = str(app.screen.query_one("#body", Static).render())
            assert "赵敏" not in body and "实验小学" not in body and S.DETAIL_HIDDEN in body

    run(go())


def test_two_reviewers_at_once(sample):
    """Two app instances on one database: each sees the other's decisions; a stale decision is refused."""

    async def go():
        a, b = StationApp(sample, reviewer="甲"), StationApp(sample, reviewer="乙")
        async with a.run_test(size=SIZE) as pa, b.run_test(size=SIZE) as pb:
            sid = a.screen.model.current_id()
            # 乙 pauses its watch so its screen is stale when it decides
            b.screen.pending += 1
            await recommend(pa, a)
            await pb.pause(1.2)
            b.screen.pending -= 1
            assert b.screen.model.row(0)["decision"] is None  # stale on purpose
            await pb.press("x")
            await settle(pb, b)
            assert isinstance(b.screen, ErrorModal) and "甲" in b.screen.text
            assert state(sample, sid).decision == "recommend"
            await pb.press("escape")
            assert b.screen.model.row(0)["decision"] == "recommend"  # shown the current state
            # and 乙's own decision on another item reaches 甲 without a restart
            b.screen.model.move_to(5)
            other = b.screen.model.current_id()
            await pb.press("p")
            await settle(pb, b)
            await pa.pause(1.3)
            row = next(
                a.screen.model.row(i) for i in range(a.screen.model.total) if a.screen.model.row(i)["id"] == other
            )
            assert row["decision"] == "pending"

    run(go())


def test_help_and_palette_are_chinese(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpModal)
            described = dict((d, k) for k, d in app.screen.keys)
            assert described["推荐"] == "r" and described["撤销"] == "u" and "Focus Next" not in described
            await pilot.press("escape", "ctrl+p")
            await pilot.pause()
            palette = app.screen
            assert palette.query_one(Input).placeholder == S.PALETTE_PLACEHOLDER
            await pilot.press(*"未审")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            assert "undecided" in app.queue_screen().model.filter.quick
            await pilot.press("ctrl+p", *"zzzq")
            await pilot.pause(0.9)
            from textual.command import CommandList

            options = app.screen.query_one(CommandList)
            texts = [str(options.get_option_at_index(i).prompt.renderable) for i in range(options.option_count)]
            assert S.PALETTE_NO_MATCHES in "".join(texts) and "No matches" not in "".join(texts)
            await pilot.press("escape")
            await pilot.press("ctrl+c")  # Textual's English quit hint, in Chinese
            await pilot.pause()
            assert any(S.QUIT_TITLE == n.title for n in app._notifications)

    run(go())


def test_sections_switch_and_overview_counts(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            await recommend(pilot, app)
            await pilot.press("1")
            body = str(app.screen.query_one("#body", Static).render())
            assert (
                "课后服务2024" in body
                and "推荐 1" in body
                and "一稿多投（相同文件）" in body
                and "dup.same_file" not in body
            )
            await pilot.press("5")
            assert app.current_mode == "quota"
            await pilot.press("4")
            assert app.current_mode == "queue" and app.screen.model.cursor == 1

    run(go())


def test_keymap_from_config(sample):
    (sample.config_dir / "keys.toml").write_text('[keys]\n"queue.recommend" = "y"\n"jobs.cancel" = "c"\n', "utf-8")

    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            sid = app.screen.model.current_id()
            await pilot.press("r")  # not bound any more
            assert not isinstance(app.screen, ConfirmModal)
            await pilot.press("y")  # the technical failures are asked about
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("y")
            await settle(pilot, app)
            assert state(sample, sid).decision == "recommend"
            assert any("jobs.cancel" in n.message for n in app._notifications)  # refused: lowercase + destructive

    run(go())


def test_string_catalogue_is_the_only_source_of_ui_text():
    import re
    import unicodedata
    from pathlib import Path

    import tui

    values = []

    def walk(v):
        if isinstance(v, str):
            values.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, (list, tuple, set, frozenset)):
            for x in v:
                walk(x)

    for name, value in vars(S).items():
        if not name.startswith("_"):
            walk(value)
    ambiguous = {ch for v in values for ch in v if unicodedata.east_asian_width(ch) == "A"}
    assert not ambiguous
    for path in Path(tui.__file__).parent.glob("*.py"):
        if path.name == "strings.py" or path.name.startswith("cli"):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            code = re.sub(r'""".*?"""|#.*$', "", line)
            if not code.lstrip().startswith(('"""', "'")):
                assert not re.search(r"[\u4e00-\u9fff]", code), f"{path.name}:{number} {line.strip()}"


def test_reviewer_is_asked_when_not_given(sample):
    reviewers.add(sample, "王老师", unit="实验小学")

    async def go():
        app = StationApp(sample)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, InputModal) and app.screen.query_one(Input).value  # the OS user
            app.screen.query_one(Input).value = "王老师"
            await pilot.press("enter")
            await pilot.pause()
            assert app.reviewer.name == "王老师" and app.reviewer.unit == "实验小学"
            own = [s for s in queries.submissions(sample.db()) if "实验小学" in (s["school"] or "")]
            assert app.screen.model.total == len(queries.submissions(sample.db())) - len(own)  # 回避: chosen reviewer
            await recommend(pilot, app)
            sid = row_ids(app)[0]
            assert state(sample, sid).reviewer == "王老师"

    run(go())


def test_changes_seen_while_writing_are_read_when_the_write_is_back(sample):
    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            ids = row_ids(app)
            screen.pending += 1  # as if one of our decisions were still on the writer thread
            await other_reviewer(sample, [ids[5]], "reject")
            await pilot.pause(1.3)
            assert screen.model.row(5)["decision"] is None  # not read while our write is out
            screen.on_decision_written(DecisionWritten([ids[0]], review.Outcome(), "recommend", None))
            assert screen.model.row(5)["decision"] == "reject"

    run(go())


def test_a_quota_rule_refusal_opens_a_dialog_and_changes_nothing(sample):
    from workflows.quotas import rules as quotas

    t = by_title(sample)
    quotas.set_rule(sample, "精品课", "share_cap", "34%")  # of 2 小学 works: none may be recommended

    async def go():
        app = StationApp(sample, reviewer="张老师")
        async with app.run_test(size=SIZE) as pilot:
            app.screen.model.move_to(row_ids(app).index(t["春晓"]))
            await recommend(pilot, app)
            assert isinstance(app.screen, RefusalModal) and app.screen.title_text == S.REFUSED_TITLE
            assert any("推荐比例上限" in line for line in app.screen.details)
            assert "--override" not in app.screen.text + "".join(app.screen.details)  # no CLI instruction
            await pilot.press("escape")
            assert app.screen.model.current_id() == t["春晓"]  # the cursor stays on the refused work
            assert state(sample, t["春晓"]).decision is None
            assert app.screen.model.row(app.screen.model.cursor) is not None
            row = next(
                app.screen.model.row(i)
                for i in range(app.screen.model.total)
                if app.screen.model.row(i)["id"] == t["春晓"]
            )
            assert row["decision"] is None  # the overlay was taken back

    run(go())


def test_palette_matches_pinyin_initials_and_english_names(sample):
    """Issue 14 item 20: 筛选：未审 is found by sxws and by "filter undecided"; every character of every
    command name has its initial in the explicit table."""
    from textual.command import CommandList

    from tui.palette import StationCommands

    async def top_hit(pilot, app, query: str) -> str:
        await pilot.press("ctrl+p", *query)
        await pilot.pause(0.6)
        options = app.screen.query_one(CommandList)
        text = str(options.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.pause()
        return text

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=SIZE) as pilot:
            provider = StationCommands(app.screen)
            names = [name for name, *_ in provider._commands()]
            missing = {c for name in names for c in name if "\u4e00" <= c <= "\u9fff" and c not in S.PINYIN_INITIALS}
            assert not missing
            assert all(cid in S.CMD_ENGLISH for *_, cid in provider._commands())
            assert "筛选：未审" in await top_hit(pilot, app, "sxws")
            assert "筛选：未审" in await top_hit(pilot, app, "filter undecided")
            assert "退出评审工作站" in await top_hit(pilot, app, "quit")
            assert "转到：导出" in await top_hit(pilot, app, "zddc")

    run(go())


def test_queue_columns_for_note_scorers_and_decider_are_toggled_and_kept(sample):
    """Issue 14 item 20: `l` shows or hides the note, the number of experts who scored and who decided; the
    choice is kept in the station for the next session."""
    first = queries.submissions(sample.db())[0]["id"]

    async def go(toggle: bool):
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(160, 30)) as pilot:
            view = app.screen.view
            if toggle:
                assert "备注" not in view.render_line(0).text
                for column in range(3):  # each of the three, one after another
                    await pilot.press("l")
                    assert isinstance(app.screen, ChoiceModal)
                    for _ in range(column):
                        await pilot.press("down")
                    await pilot.press("enter")
                    await pilot.pause()
            header = view.render_line(0).text
            assert "备注" in header and "评分" in header and "决定人" in header
            row = view.render_line(1 + app.screen.model.all_ids().index(first)).text
            assert "记得看片头" in row and "张老师" in row
            return header, row

    review.decide(sample, [first], "reject", reviewer="张老师")
    review.set_note(sample, first, "记得看片头", reviewer="张老师")
    run(go(True))
    run(go(False))  # a new session keeps the columns
