"""Text from teachers never reaches the terminal as control sequences in the TUI either (issue 13, injection)."""

from tui.widgets.cells import fit, message, plain

HOSTILE = "作品\x1b]0;pwned\x07\r\x08\x1b[2J\u202e名"


def test_plain_message_and_fit_write_control_characters_out():
    for shown in (plain(HOSTILE).plain, message(HOSTILE), fit(HOSTILE, 60)):
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in shown), repr(shown)
        assert "\\x1b]0;pwned\\x07" in shown and "\\u202e" in shown
    assert message("第一行\n第二行") == "第一行\n第二行"  # a message keeps its lines
