"""Jobs started from the TUI: the same use case as the CLI, one job at a time, progress in works and bytes,
Chinese summaries, fields that never swallow the section keys, cancel and quit that ask first."""

import asyncio

from sample_station import sample_master  # noqa: F401
from textual.widgets import Input, Static

from store import queries
from tui import strings as S
from tui.app import StationApp
from tui.screens.jobs import Tick, eta_text, progress_text
from tui.widgets.modals import ConfirmModal, ErrorModal


async def wait_job(pilot, screen, seconds=120):
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        if screen.job is not None and screen.job.finished:
            await pilot.pause(0.1)
            return
    raise AssertionError("job did not finish")


def state_line(screen) -> str:
    return str(screen.query_one("#state", Static).render())


def test_import_job_runs_the_quick_checks_like_station_import(station, campaign, sample_master):
    campaign("after-school-2024", "课后服务2024")
    source = sample_master / "share" / "课后服务2024"

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            assert app.current_mode == "import" and "课后服务2024" in str(jobs.query_one("#campaign", Static).render())
            assert jobs.focused is None  # no field takes keys before it is chosen
            await pilot.press("enter")  # chooses the field
            assert jobs.focused is jobs.query_one("#source", Input)
            await pilot.press(*str(source))
            await pilot.press("enter")  # starts
            assert jobs.job is not None
            await wait_job(pilot, jobs)
            subs = queries.submissions(station.db())
            entry = app.jobs[-1]
            assert entry["state"] == "done" and f"新作品 {len(subs)} 件" in entry["summary"]
            assert "快速检查：不通过" in entry["summary"]
            assert "导入完成" in state_line(jobs)
            # every imported work was checked: none shows 未检 (issue 14 item 7)
            assert all(s["findings"] for s in subs if s["status"] == "imported")
            assert jobs.last_tick is not None and "." not in str(jobs.last_tick.done)
            assert jobs.focused is None
            await pilot.press("enter")  # after a job Enter chooses the field again, it never re-runs the import
            assert jobs.job.finished and len(app.jobs) == 1
            await pilot.press("escape", "4")  # Esc gives the keys back: 4 is the queue, not typed
            assert app.current_mode == "queue"
            assert app.screen.model.total == len(subs) >= 6

    asyncio.run(go())


def test_section_keys_are_never_typed_into_fields(station, campaign):
    campaign("after-school-2024", "课后服务2024")

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("6")
            jobs = app.screen
            recipient = jobs.query_one("#recipient", Input)
            recipient.value = "4101"
            await pilot.press("4", "1", "5", "6")  # 4 queue, 1 overview, 5 quota, 6 export again
            assert app.current_mode == "export" and recipient.value == "4101"
            await pilot.press("enter")
            assert jobs.focused is recipient
            await pilot.press("escape")  # gives the keys back ...
            assert jobs.focused is None
            await pilot.press("question_mark")  # ... so ? is help, not a character
            assert recipient.value == "4101" and app.screen is not jobs
            await pilot.press("escape", "escape")  # Esc closes help, then goes back
            assert app.current_mode == "queue"

    asyncio.run(go())


def test_a_bad_source_opens_an_error_dialog(station, campaign):
    campaign("after-school-2024", "课后服务2024")

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            jobs.query_one("#source", Input).value = "/nonexistent/共享目录"
            jobs.action_start(from_field=True)
            await wait_job(pilot, jobs)
            assert isinstance(app.screen, ErrorModal) and "source.missing" in " ".join(app.screen.details)
            assert app.jobs[-1]["state"] == "failed"
            await pilot.press("escape")
            assert app.screen is jobs and app.is_running

    asyncio.run(go())


def test_cancel_asks_and_one_job_at_a_time(station, campaign, sample_master):
    campaign("after-school-2024", "课后服务2024")
    source = sample_master / "share" / "课后服务2024"

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            jobs.query_one("#source", Input).value = str(source)
            jobs.action_start(from_field=True)
            await pilot.press("3", "enter")  # a second job while the import runs: refused, logged nowhere
            assert app.current_mode == "checks" and app.screen.job is None
            assert any(S.JOB_BUSY.format(kind="导入") == n.message for n in app._notifications)
            await pilot.press("2", "ctrl+x")
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("y")
            await wait_job(pilot, jobs)
            assert [j["state"] for j in app.jobs] == ["cancelled"]
            assert S.JOB_CANCELLED.format(kind="导入") in state_line(jobs)

    asyncio.run(go())


def test_ctrl_q_during_a_job_asks_stops_it_and_then_exits(station, campaign, sample_master):
    campaign("after-school-2024", "课后服务2024")
    source = sample_master / "share" / "课后服务2024"

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            jobs.query_one("#source", Input).value = str(source)
            jobs.action_start(from_field=True)
            await pilot.press("ctrl+q")
            assert isinstance(app.screen, ConfirmModal) and "导入正在进行" in app.screen.question
            await pilot.press("n")
            assert app.is_running and not jobs.job.cancelled
            await pilot.press("ctrl+q", "y")
            assert jobs.job.cancelled
            assert isinstance(app.screen, ErrorModal) and app.screen.text == S.QUIT_STOPPING.format(kind="导入")
            for _ in range(2400):
                if not app.is_running:
                    break
                await pilot.pause(0.05)
            assert not app.is_running and jobs.job.finished
        assert app.return_code in (0, None)

    asyncio.run(go())


def test_checks_job_summary_is_a_chinese_sentence_and_export_errors_open_a_dialog(station, campaign):
    campaign("after-school-2024", "课后服务2024")

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3", "enter")
            jobs = app.screen
            assert jobs.job is not None
            await wait_job(pilot, jobs)
            assert app.jobs[-1]["kind"] == "checks" and app.jobs[-1]["state"] == "done"
            assert app.jobs[-1]["summary"] == S.JOB_CHECKS_SUMMARY.format(n=0, fail=0, warn=0)
            await pilot.press("6")
            jobs = app.screen
            assert jobs.query_one("#out", Input).value.endswith("exports")
            await pilot.press("enter")
            jobs.query_one("#recipient", Input).value = "410100"
            await pilot.press("enter", "enter")  # recipient -> out -> passphrase
            await pilot.press(*"secret")
            assert str(jobs.query_one("#passphrase", Input)._value) == "******"  # no ambiguous-width bullet
            await pilot.press("enter")
            await wait_job(pilot, jobs)
            assert isinstance(app.screen, ErrorModal)  # no such recipient registered: told, not crashed
            assert S.ERROR_CODE.format(code="export.recipient_unknown") in app.screen.details
            assert app.jobs[-1]["state"] == "failed" and app.is_running

    asyncio.run(go())


def test_progress_is_in_works_and_bytes_never_floats_or_past_100_percent():
    tick = Tick("checks", done=3, fraction=0.44000000000000006 / 8.359999999999998 * 200)  # a report past the end
    text = progress_text("checks", tick, elapsed=10)
    assert "已处理 3 个文件" in text and "100%" in text and "0.44" not in text
    imp = progress_text("import", Tick("import", 2, 7, 3 * 2**20, 10 * 2**20, 0.3), elapsed=1)
    assert imp.startswith("导入进行中：第 2/7 个，3.0 MB/10.0 MB（30%）") and S.JOB_ETA_UNKNOWN in imp
    assert eta_text(2, 0.5) == S.JOB_ETA_UNKNOWN  # too early to say
    assert eta_text(60, 0.01) == S.JOB_ETA_UNKNOWN  # too little done to say
    assert eta_text(600, 0.1) == S.JOB_ETA_HOURS.format(h=1, m=31)
    assert eta_text(30, 0.5) == S.JOB_ETA_SECONDS


def test_with_two_campaigns_the_job_asks_and_remembers_the_choice(station, campaign):
    from textual.widgets import OptionList

    from tui.widgets.modals import ChoiceModal

    campaign("after-school-2024", "课后服务2024")
    campaign("after-school-2024", "课后服务2025")

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            assert jobs.campaign is None and S.JOB_CHOOSE_CAMPAIGN in str(jobs.query_one("#campaign", Static).render())
            await pilot.press("enter", *"/nonexistent", "enter")
            assert isinstance(app.screen, ChoiceModal)  # asked, not the most recent one taken silently
            await pilot.press("down", "enter")
            await wait_job(pilot, jobs)
            assert jobs.campaign == "课后服务2025"
            await pilot.press("escape")  # the error dialog
            await pilot.press("f2")
            assert isinstance(app.screen, ChoiceModal)
            assert app.screen.query_one(OptionList).highlighted == 1  # the current choice is highlighted

    asyncio.run(go())


# --- item 18: campaign choice; item 20: the job log is kept in the database, with dates ---------------------


def test_campaign_is_asked_remembered_per_screen_and_highlighted(station, campaign, tmp_path):
    from textual.widgets import OptionList

    from tui.widgets.modals import ChoiceModal
    from workflows import joblog

    campaign("after-school-2024", "课后服务2024")
    campaign("after-school-2024", "课后服务2025")
    campaign("after-school-2024", "课后服务2026")
    empty = tmp_path / "share"
    empty.mkdir()

    async def session(expect_highlighted: str | None, choose: str):
        app = StationApp(station, reviewer="张老师", watch=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            assert jobs.campaign is None  # three campaigns: never a silent default
            shown = str(jobs.query_one("#campaign", Static).render())
            if expect_highlighted:
                assert f"上次为 {expect_highlighted}" in shown
            await pilot.press("enter")
            await pilot.press(*str(empty))
            await pilot.press("enter")  # starting asks which campaign
            modal = app.screen
            assert isinstance(modal, ChoiceModal)
            options = modal.query_one(OptionList)
            names = [label for label, _ in modal.options]
            if expect_highlighted:
                assert options.highlighted == names.index(expect_highlighted)
            else:
                assert options.highlighted in (None, 0)
            target = names.index(choose)
            for _ in range(target - (options.highlighted or 0)):
                await pilot.press("down")
            await pilot.press("enter")
            await wait_job(pilot, jobs)
            assert jobs.campaign == choose
            await pilot.press("6")  # the export screen keeps its own choice
            assert app.screen.campaign is None and app.screen.last_campaign is None

    asyncio.run(session(None, "课后服务2025"))
    assert joblog.setting(station, "tui.campaign.import") == "课后服务2025"
    asyncio.run(session("课后服务2025", "课后服务2026"))  # a new session highlights the last choice
    assert joblog.setting(station, "tui.campaign.import") == "课后服务2026"
    assert joblog.setting(station, "tui.campaign.export") is None


def test_job_log_is_kept_in_the_database_with_dates(station, campaign, tmp_path):
    from workflows import joblog

    campaign("after-school-2024", "课后服务2024")
    empty = tmp_path / "share"
    empty.mkdir()

    async def run_import():
        app = StationApp(station, reviewer="张老师", watch=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2", "enter", *str(empty), "enter")
            await wait_job(pilot, app.screen)

    asyncio.run(run_import())
    [entry] = joblog.recent(station)
    assert entry["kind"] == "import" and entry["state"] in ("done", "failed") and entry["campaign"] == "课后服务2024"
    assert entry["reviewer"] == "张老师" and entry["finished_at"] >= entry["started_at"]

    async def later_session():  # another session (a new app) shows the earlier job with its date
        app = StationApp(station, reviewer="李老师", watch=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            log = str(app.screen.query_one("#log", Static).render())
            from datetime import datetime

            day = datetime.fromisoformat(entry["started_at"]).astimezone().strftime("%Y-%m-%d")
            assert day in log and "导入" in log and "[课后服务2024]" in log
            assert app.jobs == []  # nothing of this session: the line came from the database

    asyncio.run(later_session())
