"""Snapshots of the main screens at 80x24 and 160x45 (update with `pytest --snapshot-update`)."""

import pytest
from sample_station import sample, sample_master  # noqa: F401

import store
from tui.app import StationApp

SIZES = [(80, 24), (160, 45)]


@pytest.fixture
def steady(sample):
    """The sample with its machine-specific values (source paths, the times and OS user of its history) fixed, so pictures
    compare across runs. The history's times are when the sample was built: this private copy's audit log is
    rewritten to one fixed instant (its append-only trigger dropped for that; nothing here verifies the chain)."""
    db = sample.db()
    with store.write(db):
        db.execute("UPDATE submissions SET source = '/srv/ftp/share'")
        trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_no_update'").fetchone()[0]
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET at = '2024-06-01T12:00:00.000000+00:00', actor = 'admin'")
        db.execute(trigger)
    return sample


def app_for(station, **kw):
    return StationApp(station, reviewer="张老师", watch=False, **kw)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x45"])
def test_queue(snap_compare, steady, size):
    assert snap_compare(app_for(steady), terminal_size=size, press=["j", "j", "space", "space"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x45"])
def test_detail(snap_compare, steady, size):
    # anonymous: names are hidden (the history's times are fixed by `steady`)
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


# --- issue 14 item 10: every screen under 16 colours and on the light theme --------------------------------


class SixteenColourApp(StationApp):
    """The app as a 16-colour terminal shows it: the screenshot's colours are downgraded to the 16 standard
    ones the way Textual's driver writes them under TEXTUAL_COLOR_SYSTEM=standard (SVGs are truecolor)."""

    def export_screenshot(self, *, title=None, simplify=False):
        import io

        from rich.color import ColorSystem
        from rich.console import Console
        from rich.segment import Segment, Segments
        from rich.style import Style

        def standard(style):
            if style is None:
                return None
            color = style.color.downgrade(ColorSystem.STANDARD) if style.color else None
            bgcolor = style.bgcolor.downgrade(ColorSystem.STANDARD) if style.bgcolor else None
            return style + Style(color=color, bgcolor=bgcolor)

        width, height = self.size
        console = Console(
            width=width,
            height=height,
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
            record=True,
            legacy_windows=False,
            safe_box=False,
        )
        update = self.screen._compositor.render_update(full=True, screen_stack=self._background_screens)
        segments = [Segment(s.text, standard(s.style), s.control) for s in console.render(update)]
        console.print(Segments(segments))
        return console.export_svg(title=title or self.title)


SCREENS = {
    "queue": ["x"],
    "detail": ["b", "enter"],
    "overview": ["1"],
    "import": ["2"],
    "checks": ["3"],
    "quota": ["5"],
    "export": ["6"],
    "help": ["question_mark"],
}


def showing(screen: str, theme: str = ""):
    """Press the keys that open SCREEN, then wait until its background work (the overview's doctor) is done."""

    async def run_before(pilot):
        if theme:
            pilot.app.theme = theme
            await pilot.pause()
        await pilot.press(*SCREENS[screen])
        await pilot.app.workers.wait_for_complete()
        if screen == "export":  # the default folder is inside the (temporary) station
            pilot.app.screen.query_one("#out").value = "/srv/station/exports"
        await pilot.pause(0.2)

    return run_before


@pytest.mark.parametrize("screen", list(SCREENS))
def test_sixteen_colours(snap_compare, steady, screen):
    app = SixteenColourApp(steady, reviewer="张老师", watch=False, anonymous=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=showing(screen))


@pytest.mark.parametrize("screen", list(SCREENS))
def test_light_theme(snap_compare, steady, screen):
    app = app_for(steady, anonymous=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=showing(screen, "textual-light"))
