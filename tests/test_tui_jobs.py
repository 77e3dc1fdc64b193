"""Jobs started from the TUI: import in a thread worker with progress, errors in a dialog, Esc cancels."""

import asyncio

from sample_station import sample_master  # noqa: F401
from textual.widgets import Input, Static

from store import queries
from tui import strings as S
from tui.app import StationApp
from tui.widgets.modals import ErrorModal


async def wait_job(pilot, screen, seconds=60):
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        if screen.worker is not None and screen.worker.is_finished:
            await pilot.pause(0.1)
            return
    raise AssertionError("job did not finish")


def test_import_job_runs_in_a_worker_with_progress(station, campaign, sample_master):
    campaign("after-school-2024", "课后服务2024")
    source = sample_master / "share" / "课后服务2024"

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            assert app.current_mode == "import" and "课后服务2024" in str(jobs.query_one("#campaign", Static).render())
            jobs.query_one("#source", Input).value = str(source)
            await pilot.press("enter")
            assert jobs.worker is not None
            await wait_job(pilot, jobs)
            imported = len(queries.submissions(station.db()))
            assert app.jobs[-1]["state"] == "done" and f"新作品 {imported} 件" in app.jobs[-1]["summary"]
            assert "导入完成" in str(jobs.query_one("#state", Static).render())
            assert jobs.last_tick.count_total >= 6 and jobs.last_tick.bytes_total > 0
            await pilot.press("4")  # the queue shows what was imported
            await pilot.pause(0.2)
            assert app.screen.model.total == imported >= 6

    asyncio.run(go())


def test_a_bad_source_opens_an_error_dialog(station, campaign):
    campaign("after-school-2024", "课后服务2024")

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            jobs.query_one("#source", Input).value = "/nonexistent/共享目录"
            await pilot.press("enter")
            await wait_job(pilot, jobs)
            assert isinstance(app.screen, ErrorModal) and "source.missing" in app.screen.text
            assert app.jobs[-1]["state"] == "failed"
            await pilot.press("escape")
            assert app.screen is jobs and app.is_running

    asyncio.run(go())


def test_escape_cancels_a_running_import(station, campaign, sample_master):
    campaign("after-school-2024", "课后服务2024")
    source = sample_master / "share" / "课后服务2024"

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("2")
            jobs = app.screen
            jobs.query_one("#source", Input).value = str(source)
            jobs.action_start()
            jobs.action_cancel()  # Esc, before the first package is done
            await wait_job(pilot, jobs)
            assert app.jobs[-1]["state"] == "cancelled"
            assert S.JOB_CANCELLED.format(kind="导入") in str(jobs.query_one("#state", Static).render())
            assert len(queries.submissions(station.db())) < 7

    asyncio.run(go())


def test_checks_job_runs_and_export_errors_open_a_dialog(station, campaign):
    campaign("after-school-2024", "课后服务2024")

    async def go():
        app = StationApp(station, reviewer="张老师")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("3", "enter")
            jobs = app.screen
            assert jobs.worker is not None
            await wait_job(pilot, jobs)
            assert app.jobs[-1]["kind"] == "checks" and app.jobs[-1]["state"] == "done"
            await pilot.press("6")
            jobs = app.screen
            assert jobs.query_one("#out", Input).value.endswith("exports")
            jobs.query_one("#recipient", Input).value = "410100"
            await pilot.press("enter", "enter")  # recipient -> out -> passphrase
            await pilot.press(*"secret", "enter")
            await wait_job(pilot, jobs)
            assert isinstance(app.screen, ErrorModal)  # no such recipient registered: told, not crashed
            assert "export.recipient_unknown" in app.screen.text or "keys." in app.screen.text
            assert app.jobs[-1]["state"] == "failed" and app.is_running

    asyncio.run(go())
