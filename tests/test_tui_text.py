"""Text from teachers never reaches the terminal as control sequences in the TUI either (issue 13, injection)."""

from sample_station import sample, sample_master  # noqa: F401

from tui.widgets.cells import fit, message, plain

HOSTILE = "作品\x1b]0;pwned\x07\r\x08\x1b[2J\u202e名"


def test_plain_message_and_fit_write_control_characters_out():
    for shown in (plain(HOSTILE).plain, message(HOSTILE), fit(HOSTILE, 60)):
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in shown), repr(shown)
        assert "\\x1b]0;pwned\\x07" in shown and "\\u202e" in shown
    assert message("第一行\n第二行") == "第一行\n第二行"  # a message keeps its lines


# --- issue 14 item 20: a cut cell ends with a safe marker; a non-UTF-8 locale is named before the TUI starts ---


def test_a_cut_cell_ends_with_an_unambiguous_marker():
    import unicodedata

    from tui.widgets.cells import CUT

    assert unicodedata.east_asian_width(CUT) == "Na"  # not "…" (ambiguous: two cells over some SSH clients)
    assert fit("物理实验的数字化探究", 8) == "物理实" + CUT + " "  # a wide character never split: padded
    assert fit("物理实验的数字化探究", 9) == "物理实验" + CUT
    assert fit("abcdefgh", 5) == "abcd" + CUT
    assert fit("abcd", 4) == "abcd" and fit("abc", 4) == "abc "  # fits: no marker
    assert fit("abcdef", 1) == CUT


def test_queue_rows_show_where_a_title_was_cut(sample):
    import asyncio

    from tui.app import StationApp
    from tui.widgets.cells import CUT

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(80, 24)):
            view = app.screen.view
            model = app.screen.model
            cut = 0
            for y in range(1, min(view.size.height, model.total + 1)):
                line, row = view.render_line(y).text, model.row(view.top + y - 1)
                for value in (row["title"] or "", row["school"] or ""):
                    if (
                        len(value) > 2 and value not in line
                    ):  # did not fit: its visible beginning is followed by the marker
                        head = line[line.index(value[:2]) :].split(CUT)[0]
                        assert value.startswith(head) and head + CUT in line, (value, line)
                        cut += 1
            assert cut  # the sample has names longer than their columns at 80 columns

    asyncio.run(go())


def test_queue_names_a_long_stage_by_its_short_name(sample):
    """学前教育 did not fit the 4-cell 学段 column and showed as a cut `学>`; it shows 学前 (the quota tables'
    short name), and a 学段 that fits is shown as written."""
    import asyncio

    from tui.app import StationApp
    from tui.widgets.cells import CUT

    async def go():
        app = StationApp(sample, reviewer="张老师", watch=False)
        async with app.run_test(size=(80, 24)):
            view, model = app.screen.view, app.screen.model
            shown = {}
            for index in range(model.total):
                row = model.row(index)
                if row["stage"]:
                    view.move(index)
                    shown[row["stage"]] = view.render_line(index - view.top + 1).text
            assert "学前教育" in shown, shown.keys()  # the sample has a 幼儿园 work ticked 学前教育
            assert " 学前 " in shown["学前教育"] and "学" + CUT not in shown["学前教育"]
            for written, line in shown.items():
                if len(written) == 2:
                    assert f" {written} " in line

    asyncio.run(go())


def test_a_non_utf8_locale_gets_one_ascii_line_before_the_tui():
    from tui.app import locale_warning

    for env in ({"LANG": "C"}, {}, {"LANG": "zh_CN.GBK"}, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}):
        line = locale_warning(env)
        assert line and line.isascii() and "\n" not in line, env
    coerced = {"LANG": "C", "LC_CTYPE": "C.UTF-8"}  # what Python's PEP 538 coercion leaves behind
    assert locale_warning(coerced)
    for env in ({"LANG": "zh_CN.UTF-8"}, {"LC_ALL": "C.UTF-8"}, {"LANG": "C", "LC_CTYPE": "zh_CN.utf8"}):
        assert locale_warning(env) == "", env
