"""The `station` command line as a whole: lazy start-up, one decorator, Chinese help with examples, ctrl+c.

Issue 11 (item 4: one CLI decorator, help in one language with an example per command) and issue 14
(start-up time: the entry point does not import what a command does not use; the TUI does not import the CLI).
"""

import ast
import importlib
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time

import click
from click.testing import CliRunner
from conftest import ROOT, STATION

from tui.cli import kit, main

HEAVY = ("textual", "openpyxl", "cryptography", "workflows.checks", "rich", "py7zr", "exporters.bundle")


def imported_modules(args: list[str], env: dict | None = None) -> set[str]:
    """The modules a fresh `python -X importtime …` run imports (from its import-time report)."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules for h in HEAVY if m == h or m.startswith(h + "."))


def test_version_and_list_import_neither_textual_nor_openpyxl_nor_cryptography_nor_the_checks(tmp_path):
    version = imported_modules(["-m", "tui.cli.main", "--version"])
    assert "click" in version  # the report is real
    assert heavy(version) == []
    assert sorted(m for m in version if m.startswith(("workflows.", "store"))) == ["workflows.errors"]
    listing = imported_modules(
        ["-m", "tui.cli.main", "list", "--json"], env={"STATION_DB": str(tmp_path / "s" / "station.db")}
    )
    assert "workflows.submissions" in listing
    assert heavy(listing) == []
    assert not any(
        m.startswith("tui.cli.") and m not in ("tui.cli.main", "tui.cli.kit", "tui.cli.core") for m in listing
    )


def test_the_tui_does_not_import_the_command_line():
    modules = imported_modules(["-c", "import tui.app"])
    assert "textual" in modules
    assert sorted(m for m in modules if m.startswith("tui.cli")) == []


def test_areas_list_exactly_each_modules_commands():
    for module_name, names in main.AREAS:
        module = importlib.import_module(module_name)
        assert tuple(c.name for c in module.COMMANDS) == names, module_name
    declared = [n for _, names in main.AREAS for n in names]
    assert len(declared) == len(set(declared))


def all_commands():
    root = main.build(eager=True)

    def walk(cmd: click.Command, path: list[str]):
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(click.Context(cmd)):
                yield from walk(cmd.get_command(click.Context(cmd), name), path + [name])

    return list(walk(root, []))


CJK = re.compile("[\u4e00-\u9fff]")


def test_every_command_is_declared_with_the_one_decorator_and_has_chinese_help_and_an_example():
    commands = all_commands()
    assert len(commands) > 40
    for path, cmd in commands:
        where = "station " + " ".join(path)
        assert isinstance(cmd, kit.Command), where
        assert cmd.help and CJK.search(cmd.help), where
        assert cmd.examples, where
        for example in cmd.examples:
            assert example.startswith(where.strip()), (where, example)
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert param.help and CJK.search(param.help), (where, param.name)
        if path and not isinstance(cmd, click.Group):
            assert "as_json" in [p.name for p in cmd.params], where


def test_help_is_in_chinese_with_an_examples_section_and_fits_80_columns():
    runner = CliRunner()
    root = main.build(eager=True)
    for path, cmd in all_commands():
        result = runner.invoke(root, [*path, "--help"], terminal_width=80)
        assert result.exit_code == 0, (path, result.output)
        text = result.output
        assert text.startswith("用法：station"), (path, text)
        assert "示例:" in text and "选项:" in text, (path, text)
        for english in ("Usage", "Options", "Commands", "Show this message", "TEXT", "INTEGER", "default:"):
            assert english not in text, (path, english, text)
        for line in text.splitlines():
            assert kit.cells(line) <= 80, (path, line)


def test_usage_errors_are_in_chinese_with_exit_2():
    for args, expected in (
        (["show"], "错误：缺少参数 '编号'"),
        (["show", "abc"], "“abc”不是整数"),
        (["nope"], "没有“nope”这个命令"),
        (["list", "--nope"], "没有 --nope 这个选项"),
        (["decide", "1", "recommend", "--reason"], "选项 --reason 需要一个值"),
        (["rubric", "method", "best"], "“best”不是可选的值"),
    ):
        p = subprocess.run([*STATION, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert p.returncode == 2, (args, p.stderr)
        assert expected in p.stderr, (args, p.stderr)
        assert "Usage" not in p.stderr and "Error" not in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run([*STATION, "campaign"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith("用法：station campaign") and "错误" not in p.stderr
    assert "station campaign list" in p.stderr  # a group without its command shows its help, examples included


def test_human_output_goes_only_through_the_safe_helpers():
    """No command module prints by itself: `kit.echo`/`Run.emit` escape control characters for every command."""
    wrong = []
    for path in sorted((ROOT / "tui" / "cli").glob("*.py")):
        if path.name == "kit.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("click.echo", "click.secho", "print", "sys.stdout.write", "sys.stderr.write"):
                    wrong.append(f"{path.name}:{node.lineno}: {name}")
    assert wrong == []


def run_in_pty(args: list[str], env: dict) -> tuple[int, bytes]:
    """Start `station ARGS` in a new pseudo-terminal; returns (pid, master fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec the real command line
        os.chdir(ROOT)
        os.execve(STATION[0], [*STATION, *args], env)
    return pid, fd


def read_until(fd: int, needle: bytes, timeout: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def finish(pid: int, fd: int) -> tuple[int, bytes]:
    rest = read_until(fd, b"\0never\0", timeout=30)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), rest


def test_ctrl_c_at_a_prompt_says_so_in_chinese_and_exits_130(tmp_path):
    env = dict(os.environ, STATION_DB=str(tmp_path / "s" / "station.db"), LANG="C.UTF-8")
    env.pop("STATION_PASSPHRASE_FILE", None)
    pid, fd = run_in_pty(["keys", "init", "--org", "某某县教育局", "--code", "410102"], env)
    seen = read_until(fd, "本站密钥口令".encode())
    assert "本站密钥口令".encode() in seen, seen
    os.write(fd, b"\x03")  # ctrl+c, as typed: the terminal sends SIGINT
    code, rest = finish(pid, fd)
    text = rest.decode("utf-8", "replace")
    assert code == 130, text
    assert "已中断" in text and "Aborted" not in text and "Traceback" not in text


def test_sigint_while_a_command_waits_says_so_in_chinese_and_exits_130(tmp_path):
    """An FTP server that accepts and never greets: the import waits in recv until ctrl+c."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    env = dict(os.environ, STATION_DB=str(tmp_path / "s" / "station.db"), LANG="C.UTF-8")
    subprocess.run(
        [*STATION, "campaign", "add", "课后服务2024", "--profile", "after-school-2024"], env=env, cwd=ROOT, check=True
    )
    p = subprocess.Popen(
        [*STATION, "import", f"ftp://u:p@127.0.0.1:{port}/课程资源"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server.settimeout(60)
    conn, _ = server.accept()  # the station is now waiting for the greeting
    try:
        time.sleep(0.3)  # let it reach recv; the signal is delivered whatever it is doing
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        conn.close()
        server.close()
    assert p.returncode == 130, err
    assert "已中断" in err and "Aborted" not in err and "Traceback" not in err
