"""`station doctor`: real tools, real SQLite files, a real pty and a real tmux server."""

import fcntl
import os
import pty
import shutil
import sqlite3
import struct
import subprocess
import sys
import termios
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from store import schema
from workflows import doctor
from workflows.station import Station


def by_id(items):
    return {i["id"] if isinstance(i, dict) else i.id: i for i in items}


def test_healthy_station_reports_every_check_and_warns_about_missing_keys(cli, station, campaign):
    campaign()
    code, data, _ = cli("--db", station.db_path, "doctor", "--json", check_json=True)
    items = by_id(data["items"])
    assert {
        "program",
        "ffmpeg",
        "rar.unar",
        "rar.libarchive",
        "locale",
        "terminal",
        "station",
        "disk",
        "db.integrity",
        "db.schema",
        "db.wal",
        "audit",
        "keys.permissions",
        "keys.init",
        "trusted",
    } <= set(items)
    for key in ("ffmpeg", "rar.unar", "rar.libarchive", "db.integrity", "db.wal", "audit", "db.schema"):
        assert items[key]["level"] == "ok", items[key]
    assert "ffmpeg 5" in items["ffmpeg"]["detail"] and items["audit"]["detail"].startswith("共 1 条")
    assert items["keys.init"]["level"] == "warn" and "station keys init" in items["keys.init"]["fix"]
    assert data["status"] == "warn" and code == 1
    assert all(set(i) == {"id", "level", "title", "detail", "fix"} for i in data["items"])


def test_missing_station_is_not_created(cli, tmp_path):
    db = tmp_path / "nowhere" / "station.db"
    code, data, _ = cli("--db", db, "doctor", "--json", check_json=True)
    assert by_id(data["items"])["station"]["level"] == "ok" and "尚不存在" in by_id(data["items"])["station"]["detail"]
    assert code == 0 and data["status"] == "ok"
    assert not db.parent.exists()


def test_missing_tools_are_problems_with_a_fix(cli, tmp_path):
    env_bin = tmp_path / "bin"
    env_bin.mkdir()
    os.symlink(sys.executable, env_bin / "python")
    p = subprocess.run(
        [str(Path(sys.executable).parent / "station"), "--db", str(tmp_path / "s" / "station.db"), "doctor"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=str(env_bin)),
    )
    assert p.returncode == 2
    assert "[问题] 视频工具 ffmpeg/ffprobe：找不到或无法运行：ffmpeg、ffprobe" in p.stdout
    assert "[问题] RAR 解压（unar）" in p.stdout and "处理办法：以 root 运行离线安装包中的 install.sh" in p.stdout
    assert "结论：有问题，请先处理" in p.stdout


def test_tampered_audit_log_is_a_problem(cli, station, campaign):
    campaign()
    campaign("jpk-subject")
    conn = sqlite3.connect(station.db_path)
    conn.executescript("DROP TRIGGER audit_no_update; UPDATE audit SET actor = '某人' WHERE id = 2;")
    conn.close()
    code, data, _ = cli("--db", station.db_path, "doctor", "--json", check_json=True)
    audit = by_id(data["items"])["audit"]
    assert code == 2 and audit["level"] == "problem" and "第 2 条" in audit["detail"]


def test_unreadable_and_newer_databases(tmp_path):
    bad = tmp_path / "bad" / "station.db"
    bad.parent.mkdir()
    bad.write_bytes(b"this is not a database" * 100)
    items = by_id(doctor.run(Station(bad)))
    assert items["station"].level == "problem" and "无法打开" in items["station"].detail

    newer = Station.open(tmp_path / "newer" / "station.db")
    newer.db().execute(f"PRAGMA user_version = {schema.VERSION + 3}")
    items = by_id(doctor.run(Station(newer.db_path)))
    assert items["db.schema"].level == "problem" and str(schema.VERSION + 3) in items["db.schema"].detail


def test_key_file_permissions_and_initialisation(station):
    keys = station.root / "keys"
    items = by_id(doctor.run(station))
    assert items["keys.init"].level == "warn" and items["keys.permissions"].level == "ok"

    (keys / "identity.age").write_bytes(b"age-encryption.org/v1\n")
    (keys / "identity.age").chmod(0o644)
    (keys / "identity.pub").write_text("station-code: 410122\nstation-name: 中牟县教育局\n", "utf-8")
    items = by_id(doctor.run(station))
    assert items["keys.permissions"].level == "problem"
    assert (
        items["keys.permissions"].fix == f"chmod 600 {keys / 'identity.age'}"
        and "644" in items["keys.permissions"].detail
    )

    (keys / "identity.age").chmod(0o600)
    items = by_id(doctor.run(station))
    assert items["keys.permissions"].level == "ok" and items["keys.init"].level == "ok"
    assert "410122" in items["keys.init"].detail


def test_trusted_station_expiry(station):
    db = station.db()
    if "trusted_keys" not in db.table_names():
        pytest.skip("this schema has no trusted_keys table")
    now = datetime.now(timezone.utc)
    columns = "code, name, role, sign_key, sign_fpr, age_recipient, age_fpr, valid_from, valid_until"

    def add(code, until):
        db.execute(
            f"INSERT INTO trusted_keys ({columns}) VALUES (?,?,?,?,?,?,?,?,?)",
            [code, f"{code}站", "recipient", "ssh-ed25519 AAAA", "fpr", "age1x", "fpr", now.isoformat(), until],
        )

    assert by_id(doctor.run(station))["trusted"].level == "ok"
    add("city", (now + timedelta(days=400)).isoformat())
    item = by_id(doctor.run(station))["trusted"]
    assert item.level == "ok" and "均在有效期内" in item.detail
    add("old", (now - timedelta(days=1)).isoformat())
    add("soon", (now + timedelta(days=10)).isoformat())
    item = by_id(doctor.run(station))["trusted"]
    assert item.level == "warn" and "已过期：old站" in item.detail and "30 天内到期：soon站" in item.detail


def test_disk_space_against_the_largest_campaign(station, campaign):
    row = campaign()
    db = station.db()
    db.execute(
        "INSERT INTO submissions (campaign_id, source_key, fingerprint, title, source, imported_at, status) "
        "VALUES (?, 'k', 'f', '大作品', 's', 'now', 'imported')",
        [row["id"]],
    )
    sub = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    db.execute(
        "INSERT INTO files (submission_id, path, size, sha256, kind) VALUES (?, 'a.mp4', ?, 'x', 'video')", [sub, 2**60]
    )
    item = by_id(doctor.run(station))["disk"]
    assert item.level == "problem" and "最大的征集活动" in item.detail and item.fix


def test_locale(station):
    assert doctor.utf8_locale({"LANG": "C.UTF-8"}).level == "ok"
    assert doctor.utf8_locale({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}).level == "warn"
    assert doctor.utf8_locale({}).level == "warn"
    missing = doctor.utf8_locale({"LANG": "xx_YY.UTF-8"})
    assert missing.level == "warn" and "没有这个区域设置" in missing.detail


def _pty(columns, lines):
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    return os.fdopen(leader, "w"), os.fdopen(follower, "w")


def test_terminal_colours_and_size_on_a_real_pty():
    leader, follower = _pty(79, 24)
    with leader, follower:
        small = doctor.terminal({"TERM": "dumb", "COLORTERM": ""}, follower)
        assert small.level == "warn" and "79x24" in small.detail and "无颜色" in small.detail
        assert "xterm-256color" in small.fix and "放大" in small.fix
        fcntl.ioctl(follower.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        vt = doctor.terminal({"TERM": "xterm"}, follower)  # 80x24 with 8 or 16 colours is what the TUI is built for
        assert vt.level == "ok" and "80x24" in vt.detail and "16 色" in vt.detail
        fcntl.ioctl(follower.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        big = doctor.terminal({"TERM": "xterm-256color"}, follower)
        assert big.level == "ok" and "160x40" in big.detail
    assert doctor.terminal({"TERM": "dumb"}, open(os.devnull, "w")).level == "ok"  # not a terminal: not judged


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")
def test_tmux_escape_time_hint(tmp_path):
    sock = tmp_path / "tmux.sock"
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "sleep 60"], check=True)
    try:
        pid = subprocess.run(
            ["tmux", "-S", sock, "display-message", "-p", "#{pid}"], capture_output=True, text=True, check=True
        ).stdout.strip()
        env = {"TERM": "tmux-256color", "TMUX": f"{sock},{pid},0"}
        leader, follower = _pty(120, 40)
        with leader, follower:
            os.environ["TMUX"] = env["TMUX"]
            try:
                subprocess.run(["tmux", "set", "-sg", "escape-time", "500"], check=True)
                slow = doctor.terminal(env, follower)
                subprocess.run(["tmux", "set", "-sg", "escape-time", "10"], check=True)
                fast = doctor.terminal(env, follower)
            finally:
                del os.environ["TMUX"]
        assert slow.level == "warn" and "escape-time 500" in slow.detail and "set -sg escape-time 10" in slow.fix
        assert fast.level == "ok" and "escape-time 10" in fast.detail
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
