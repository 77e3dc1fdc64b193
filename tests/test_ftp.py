"""workflows.ftp against real pyftpdlib servers on 127.0.0.1 (one IOLoop each)."""

import ftplib
import logging
import os
import random
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

logging.basicConfig(level=logging.WARNING)  # before pyftpdlib, or it logs every transfer

from pyftpdlib.authorizers import DummyAuthorizer  # noqa: E402
from pyftpdlib.filesystems import AbstractedFS  # noqa: E402
from pyftpdlib.handlers import DTPHandler, FTPHandler  # noqa: E402
from pyftpdlib.ioloop import IOLoop  # noqa: E402
from pyftpdlib.servers import FTPServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workflows.ingest.ftp import (  # noqa: E402
    FtpError,
    pull,
    redact,  # noqa: E402
)

USER, PASSWORD = "teacher", "S3cret-pw!"
TEACHER = "小学+实验小学+张三"
VIDEO = f"{TEACHER}/精品课后服务资源/巧手做风筝/作品演示视频.mp4"
FILES = {
    VIDEO: random.Random(1).randbytes(300_000),
    f"{TEACHER}/精品课后服务资源/巧手做风筝/教学设计.docx": random.Random(2).randbytes(5_000),
    f"{TEACHER}/报名表 · 汇总.xlsx": b"xlsx" * 100,
    f"{TEACHER}/空文件.txt": b"",
}
NO_MLSD = {k: v for k, v in FTPHandler.proto_cmds.items() if k not in ("MLSD", "MLST")}


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "srv"
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / TEACHER / "空文件夹").mkdir()
    return root


class DosListingFS(AbstractedFS):
    """LIST in the MS-DOS/IIS style of Windows FTP servers: `01-15-24  10:30AM  <DIR>  课程资源`."""

    def format_list(self, basedir, listing, ignore_err=True):
        for name in listing:
            st = self.lstat(os.path.join(basedir, name))
            when = time.strftime("%m-%d-%y  %I:%M%p", time.localtime(st.st_mtime))
            size = "<DIR>" if stat.S_ISDIR(st.st_mode) else str(st.st_size)
            yield f"{when} {size:>20} {name}\r\n".encode(self.cmd_channel.encoding, self.cmd_channel.unicode_errors)


class GarbageListingFS(AbstractedFS):
    """A LIST reply in a format nobody parses."""

    def format_list(self, basedir, listing, ignore_err=True):
        for name in listing:
            yield f"?? {name} ??\r\n".encode(self.cmd_channel.encoding, self.cmd_channel.unicode_errors)


@pytest.fixture
def serve():
    """serve(root, encoding=..., mlsd=...) -> (port, sent, commands).

    sent: bytes sent by each RETR; commands: command lines received (PASS hidden).
    """
    running = []

    def start(root, encoding="utf8", mlsd=True, listing="unix"):
        sent, commands = [], []

        class CountingDTP(DTPHandler):
            def close(self):
                # Runs before the server replies 226, so the client sees the count.
                if not self._closed and self.file_obj is not None:
                    sent.append(self.tot_bytes_sent)
                super().close()

        class Handler(FTPHandler):
            authorizer = DummyAuthorizer()
            dtp_handler = CountingDTP
            auth_failed_timeout = 0.05
            proto_cmds = FTPHandler.proto_cmds if mlsd else NO_MLSD
            abstracted_fs = {"unix": AbstractedFS, "dos": DosListingFS, "garbage": GarbageListingFS}[listing]

            def pre_process_command(self, line, cmd, arg):
                commands.append("PASS" if cmd == "PASS" else line)
                super().pre_process_command(line, cmd, arg)

        Handler.encoding = encoding  # "gbk": names on the wire in GBK, no UTF8 in FEAT
        Handler.authorizer.add_user(USER, PASSWORD, str(root), perm="elr")
        server = FTPServer(("127.0.0.1", 0), Handler, ioloop=IOLoop())
        stop = threading.Event()

        def loop():
            while not stop.is_set():
                server.serve_forever(timeout=0.01, blocking=False, handle_exit=False)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        running.append((server, stop, thread))
        return server.address[1], sent, commands

    yield start
    for server, stop, thread in running:
        stop.set()
        thread.join(5)
        server.close_all()


def url(port, path, password=PASSWORD):
    return f"ftp://{USER}:{password}@127.0.0.1:{port}/{path}"


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def expected_under(prefix: str) -> dict:
    return {k[len(prefix) + 1 :]: v for k, v in FILES.items() if k.startswith(prefix + "/")}


def feats(port) -> str:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=5)
        return ftp.sendcmd("FEAT")


@pytest.mark.parametrize("encoding", ["utf8", "gbk"])
@pytest.mark.parametrize("mlsd", [True, False], ids=["mlsd", "list"])
def test_full_mirror_with_chinese_names(tree, serve, tmp_path, encoding, mlsd):
    port, sent, commands = serve(tree, encoding=encoding, mlsd=mlsd)
    features = feats(port)
    assert ("UTF8" in features) == (encoding == "utf8")  # a GBK server must not announce UTF8
    assert ("MLST" in features) == mlsd
    commands.clear()
    calls = []
    spool = tmp_path / "spool"

    root = pull(url(port, TEACHER), spool, progress=lambda *a: calls.append(a))

    assert root == spool / f"127.0.0.1_{port}" / TEACHER
    assert snapshot(root) == expected_under(TEACHER)
    assert (root / "空文件夹").is_dir()
    assert not list(spool.rglob("*.part"))
    assert sum(sent) == sum(len(v) for v in FILES.values())
    assert ("OPTS UTF8 ON" in commands) == (encoding == "utf8")
    assert any(c.startswith("MLSD") for c in commands) == mlsd
    last = {name: (done, total) for name, done, total in calls}
    assert last["精品课后服务资源/巧手做风筝/作品演示视频.mp4"] == (len(FILES[VIDEO]),) * 2


def test_second_pull_transfers_nothing(tree, serve, tmp_path):
    port, sent, _ = serve(tree)
    pull(url(port, TEACHER), tmp_path / "spool")
    assert sum(sent) > 0
    sent.clear()
    calls = []

    root = pull(url(port, TEACHER), tmp_path / "spool", progress=lambda *a: calls.append(a))

    assert sent == [] and calls == []
    assert snapshot(root) == expected_under(TEACHER)


def test_resume_from_part_transfers_only_the_rest(tree, serve, tmp_path):
    port, sent, _ = serve(tree)
    data = FILES[VIDEO]
    half = len(data) // 2
    dest = tmp_path / "spool" / f"127.0.0.1_{port}" / VIDEO
    dest.parent.mkdir(parents=True)
    dest.with_name(dest.name + ".part").write_bytes(data[:half])
    calls = []

    pull(url(port, VIDEO), tmp_path / "spool", progress=lambda *a: calls.append(a))

    assert dest.read_bytes() == data
    assert not dest.with_name(dest.name + ".part").exists()
    assert sent == [len(data) - half]
    assert calls[0][1] > half and calls[-1] == ("作品演示视频.mp4", len(data), len(data))


def test_interrupted_pull_leaves_no_truncated_file_and_resumes(tree, serve, tmp_path):
    port, sent, _ = serve(tree)
    spool = tmp_path / "spool"

    def kill(name, done, total):
        if name.endswith("作品演示视频.mp4"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pull(url(port, TEACHER), spool, progress=kill)
    dest = spool / f"127.0.0.1_{port}" / VIDEO
    part = dest.with_name(dest.name + ".part")
    assert not dest.exists()
    kept = part.stat().st_size
    assert 0 < kept < len(FILES[VIDEO])
    sent.clear()

    root = pull(url(port, TEACHER), spool)

    assert snapshot(root) == expected_under(TEACHER)
    assert sent.count(len(FILES[VIDEO]) - kept) == 1 and len(FILES[VIDEO]) not in sent


def test_single_file_with_percent_encoded_url(tree, serve, tmp_path):
    port, _, _ = serve(tree, encoding="gbk")
    local = pull(url(port, quote(VIDEO)), tmp_path / "spool")
    assert local == tmp_path / "spool" / f"127.0.0.1_{port}" / VIDEO
    assert local.read_bytes() == FILES[VIDEO]


def test_wrong_password_is_a_login_error_without_the_password(tree, serve, tmp_path):
    port, _, _ = serve(tree)
    wrong = "Wr0ng-secret"
    with pytest.raises(FtpError) as info:
        pull(url(port, TEACHER, password=wrong), tmp_path / "spool")
    assert info.value.code == "ftp.login"
    for text in (str(info.value), info.value.message, repr(info.value), repr(info.value.__context__)):
        assert wrong not in text
    assert f"127.0.0.1:{port}" in info.value.message


def test_missing_path_is_not_found(tree, serve, tmp_path):
    port, _, _ = serve(tree)
    with pytest.raises(FtpError) as info:
        pull(url(port, f"{TEACHER}/不存在的作品"), tmp_path / "spool")
    assert info.value.code == "ftp.not_found"
    assert "不存在的作品" in info.value.message


def test_unsafe_names_are_refused(tree, serve, tmp_path):
    (tree / TEACHER / "..\\逃逸.txt").write_bytes(b"x")  # a legal name on Linux
    port, _, _ = serve(tree)
    spool = tmp_path / "spool"
    with pytest.raises(FtpError) as info:
        pull(url(port, TEACHER), spool)
    assert info.value.code == "ftp.unsafe_name"
    with pytest.raises(FtpError) as info:
        pull(url(port, f"{TEACHER}/../x"), spool)
    assert info.value.code == "ftp.unsafe_name"
    assert not [p for p in tmp_path.rglob("*逃逸*") if spool not in p.parents and tree not in p.parents]


@pytest.mark.timeout(10)
def test_connection_refused_and_silent_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FtpError) as info:
        pull(url(port, TEACHER), tmp_path / "spool")
    assert info.value.code == "ftp.connect"
    assert f"127.0.0.1:{port}" in info.value.message

    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        start = time.monotonic()
        with pytest.raises(FtpError) as info:
            pull(url(silent.getsockname()[1], TEACHER), tmp_path / "spool", timeout=0.5)
        assert info.value.code == "ftp.connect"
        assert time.monotonic() - start < 5


def test_redact_drops_the_password():
    assert redact("ftp://user:pa%40ss@10.0.0.5:2121/小学/作品") == "ftp://user@10.0.0.5:2121/小学/作品"
    assert redact("ftp://user@host/x") == "ftp://user@host/x"
    assert redact("ftp://host:21/x") == "ftp://host:21/x"
    assert "secret" not in redact("ftp://a:secret@h/")


def test_station_imports_from_ftp_with_chinese_names(tree, serve, station, campaign, video):
    from store import queries
    from workflows.ingest import importer as ingest

    campaign("infotech-exchange")
    work = tree / TEACHER / "精品课后服务资源" / "巧手做风筝"
    (work / "作品演示视频.mp4").write_bytes(video.read_bytes())
    port, sent, _ = serve(tree, encoding="gbk")
    summary = ingest.run(station, [url(port, "")])
    assert summary.submissions >= 1
    subs = {s["title"]: s for s in queries.submissions(station.db())}
    s = subs["巧手做风筝"]
    assert (s["stage"], s["school"], s["project"]) == ("小学", "实验小学", "精品课后服务资源")
    assert {f["path"] for f in s["files"]} == {"作品演示视频.mp4", "教学设计.docx"}
    assert s["source"] == f"ftp://{USER}@127.0.0.1:{port}/" and PASSWORD not in s["source"]
    transferred = len(sent)
    again = ingest.run(station, [url(port, "")])
    assert again.submissions == 0 and len(sent) == transferred  # the spool is current: nothing fetched again
    station.db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert PASSWORD.encode() not in station.db_path.read_bytes()


def test_windows_server_listing_in_dos_style_is_mirrored(tree, serve, tmp_path):
    """A server without MLSD that lists like IIS (`01-15-24  10:30AM  <DIR>  name`) still gives every file."""
    port, _, commands = serve(tree, mlsd=False, listing="dos")
    root = pull(url(port, "/"), tmp_path / "spool")
    assert not any(c.startswith("MLSD") for c in commands)
    assert snapshot(root) == snapshot(tree)


def test_a_listing_nobody_understands_is_an_error_not_an_empty_share(tree, serve, tmp_path):
    port, _, _ = serve(tree, mlsd=False, listing="garbage")
    with pytest.raises(FtpError) as e:
        pull(url(port, "/"), tmp_path / "spool")
    assert e.value.code == "ftp.listing"
    assert "无法识别" in e.value.message
