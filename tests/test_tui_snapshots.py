"""Snapshots of the main screens at 80x24 and 160x45 (update with `pytest --snapshot-update`)."""

import pytest
from sample_station import sample, sample_master  # noqa: F401

import store
from tui.app import StationApp

SIZES = [(80, 24), (160, 45)]


@pytest.fixture
def steady(sample):
    """The sample with its machine-specific values (source paths) fixed, so pictures compare across runs."""
    db = sample.db()
    with store.write(db):
        db.execute("UPDATE submissions SET source = '/srv/ftp/share'")
    return sample


def app_for(station, **kw):
    return StationApp(station, reviewer="张老师", watch=False, **kw)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x45"])
def test_queue(snap_compare, steady, size):
    assert snap_compare(app_for(steady), terminal_size=size, press=["j", "j", "space", "space"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x45"])
def test_detail(snap_compare, steady, size):
    # anonymous: the history (import times) is not on screen, names are hidden
    assert snap_compare(app_for(steady, anonymous=True), terminal_size=size, press=["G", "enter"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x45"])
def test_bulk_confirmation_over_cjk(snap_compare, steady, size):
    assert snap_compare(app_for(steady), terminal_size=size, press=["b", "a", "x"])


def test_reason_dialog(snap_compare, steady):
    async def type_reason(pilot):
        await pilot.press("f")
        await pilot.press(*"abc")

    assert snap_compare(app_for(steady), terminal_size=(80, 24), run_before=type_reason)


def test_help(snap_compare, steady):
    assert snap_compare(app_for(steady), terminal_size=(80, 24), press=["question_mark"])


def test_import_screen(snap_compare, steady):
    assert snap_compare(app_for(steady), terminal_size=(80, 24), press=["2"])


def test_read_only_anonymous_queue(snap_compare, steady):
    assert snap_compare(app_for(steady, read_only=True, anonymous=True), terminal_size=(80, 24))
