"""Human output of the `station` commands cannot drive the terminal; `--json` stays exact JSON.

Issue 13 (injection): file names and teacher text with CR, BEL, BS, ESC and OSC sequences were printed raw.
"""

import json
import re

import pytest
from conftest import tree, write_zip

# Everything a terminal acts on, except the newline the commands print themselves.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = "\x1b]0;已被接管\x07\x1b[2J\r\x08\u202e"


@pytest.fixture
def hostile_station(cli, tmp_path, video):
    """A real import of a package and a file whose names carry ESC, OSC, BEL, CR, BS and a bidi override."""
    cli("campaign", "add", "课后服务2024", "--profile", "after-school-2024")
    share = tree(
        tmp_path / "share",
        {
            f"实验小学{HOSTILE}课后服务课程资源/课程{HOSTILE}.mp4": video,
        },
    )
    write_zip(share / f"坏的{HOSTILE}课程资源.zip", {f"../{HOSTILE}x": b"1"})
    code, out, err = cli("import", share)
    assert code == 1, err  # the zip escaping its folder is refused
    assert not CONTROL.search(out + err), (out, err)
    return out


def test_import_list_show_check_print_no_raw_control_characters(cli, hostile_station):
    assert "导入完成" in hostile_station
    code, rows, _ = cli("list", "--json", check_json=True)
    assert code == 0 and len(rows) == 2
    good = next(r for r in rows if r["status"] != "rejected")
    bad = next(r for r in rows if r["status"] == "rejected")
    # --json carries the names exactly (json escapes the control characters itself)
    assert any(HOSTILE in f["path"] for f in good["files"])
    outputs = []
    for args in (["list"], ["show", good["id"]], ["show", bad["id"]], ["check"], ["check", good["id"]]):
        code, out, err = cli(*args)
        assert code in (0, 1), (args, err)
        assert "Traceback" not in err
        assert not CONTROL.search(out + err), (args, out, err)
        outputs.append(out)
    listing, shown = outputs[0], outputs[1]
    # the names are shown, escaped visibly, not dropped
    assert "\\x1b]0;已被接管\\x07\\x1b[2J\\r\\x08\\u202e" in shown
    assert "\\x1b" in listing


def test_error_messages_are_escaped_too(cli, tmp_path):
    cli("campaign", "add", "课后服务2024", "--profile", "after-school-2024")
    code, out, err = cli("import", tmp_path / f"没有{HOSTILE}这个文件夹")
    assert code in (1, 2)
    assert not CONTROL.search(out + err), (out, err)
    code, out, err = cli("show", f"1{HOSTILE}")  # a usage error that quotes the argument
    assert code == 2 and "错误" in err
    assert not CONTROL.search(out + err), (out, err)


def test_json_error_objects_stay_exact_json(cli):
    code, out, _ = cli("campaign", "add", f"x{HOSTILE}", "--profile", f"没有{HOSTILE}", "--json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "profile.unknown"


def test_safe_escapes_every_control_character_and_keeps_text():
    from tui.cli.kit import printable, safe

    assert safe("课程\x1b[31m红\x07\r\x08\x9b\u202e.mp4") == "课程\\x1b[31m红\\x07\\r\\x08\\x9b\\u202e.mp4"
    assert safe("两行\n文字", keep_newlines=True) == "两行\n文字"
    assert safe("两行\n文字") == "两行\\n文字"
    assert printable({"名\x1b": ["a\x07", ("b\r", 3)], "n": None}) == {"名\\x1b": ["a\\x07", ("b\\r", 3)], "n": None}
