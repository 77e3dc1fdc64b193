"""`station doctor`: is this station healthy? One item per check, each with a fix.

`run(station)` never changes the station (it does not create, migrate or write anything) and
imports no optional library at module level, so it still reports when one of them is missing.
"""

from __future__ import annotations

import locale
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from importlib import metadata
from typing import Mapping, TextIO

from store import schema
from workflows.station import Station

LEVELS = ("ok", "warn", "problem")
LEVEL_ZH = {"ok": "正常", "warn": "警告", "problem": "问题"}
MIN_COLUMNS, MIN_LINES = 80, 24  # the TUI is built for 80x24
ESCAPE_TIME_MAX_MS = 50
EXPIRY_WARNING = timedelta(days=30)
GIB = 2**30
MIN_FREE = 1 * GIB  # below this: a problem whatever the campaigns hold
COMFORTABLE_FREE = 5 * GIB
KEYS_INIT = "station keys init --org 单位名称 --code 单位代码"
REINSTALL = "以 root 运行离线安装包中的 install.sh（联网电脑：apt-get install --no-install-recommends {}）"


@dataclass
class Item:
    id: str
    level: str  # ok | warn | problem
    title: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def overall(items: list[Item]) -> str:
    return max((i.level for i in items), key=LEVELS.index, default="ok")


def exit_code(items: list[Item]) -> int:
    """0 healthy, 1 warnings, 2 problems."""
    return LEVELS.index(overall(items))


def run(
    station: Station, env: Mapping[str, str] | None = None, stream: TextIO | None = None, pictures: str = ""
) -> list[Item]:
    """Every check, in the order shown. STATION need not exist yet (it is then not created).

    STREAM is the terminal the TUI draws on (default sys.stdout); ENV the environment it runs in; PICTURES
    how the TUI would draw pictures there (asked of the terminal by the caller, tui.graphics).
    """
    env = os.environ if env is None else env
    stream = sys.stdout if stream is None else stream
    items = [program(), media_tools(), unar(), libarchive(), ocr_engine(), utf8_locale(env)]
    items.append(terminal(env, stream, pictures))
    items += station_items(station)
    return items


# --- programs ---------------------------------------------------------------------------


def program() -> Item:
    try:
        version = metadata.version("review-station")
    except metadata.PackageNotFoundError:
        version = "未知（未安装）"
    py = ".".join(map(str, sys.version_info[:3]))
    return Item("program", "ok", "评审工作站程序", f"版本 {version}，Python {py}，{sys.prefix}")


def _tool_version(cmd: list[str], pattern: str) -> str | None:
    """The version CMD reports, or None when it is missing or does not run."""
    if not shutil.which(cmd[0]):
        return None
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20, errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, p.stdout + p.stderr)
    return m.group(1) if m else ("未知版本" if p.returncode == 0 else None)


def media_tools() -> Item:
    found = {t: _tool_version([t, "-version"], rf"{t} version (\S+)") for t in ("ffmpeg", "ffprobe")}
    missing = [t for t, v in found.items() if v is None]
    if missing:
        return Item(
            "ffmpeg",
            "problem",
            "视频工具 ffmpeg/ffprobe",
            f"找不到或无法运行：{'、'.join(missing)}；无法检测音视频",
            REINSTALL.format("ffmpeg"),
        )
    return Item("ffmpeg", "ok", "视频工具 ffmpeg/ffprobe", f"ffmpeg {found['ffmpeg']}，ffprobe {found['ffprobe']}")


def unar() -> Item:
    version = _tool_version(["unar", "-v"], r"(v?\d+(?:\.\d+)+)")
    if version is None:
        return Item(
            "rar.unar", "problem", "RAR 解压（unar）", "找不到 unar：无法读取 RAR 压缩包", REINSTALL.format("unar")
        )
    return Item("rar.unar", "ok", "RAR 解压（unar）", f"unar {version}")


def libarchive() -> Item:
    try:
        import libarchive.ffi as ffi  # loads libarchive.so.13 through ctypes

        number = ffi.version_number()
    except Exception as e:  # ImportError, OSError, AttributeError: the library is unusable
        return Item(
            "rar.libarchive",
            "problem",
            "RAR5 解压（libarchive）",
            f"无法加载 libarchive：{e}；RAR5 固实压缩包无法读取，工作站程序可能无法启动",
            REINSTALL.format("libarchive13"),
        )
    version = f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"
    return Item("rar.libarchive", "ok", "RAR5 解压（libarchive）", f"libarchive {version}")


def ocr_engine() -> Item:
    """Load the OCR engine and its bundled models as the deep check does; nothing is downloaded."""
    from workflows.checks.media import ocr

    title = "片头文字识别（OCR）"
    try:
        name = ocr.load()
    except ocr.OcrUnavailable as e:
        return Item(
            "ocr",
            "warn",
            title,
            f"无法加载文字识别引擎：{str(e)[:160]}；深度检查不识别片头文字，片头文字只能人工核对",
            REINSTALL.format("libgl1 libglib2.0-0") + "；并重新安装本程序（含 rapidocr-onnxruntime）",
        )
    models = ocr.models()
    size = sum(p.stat().st_size for p in models) / 2**20
    return Item("ocr", "ok", title, f"{name}，模型 {len(models)} 个（{size:.0f} MiB）随程序安装，运行时不联网下载")


# --- locale and terminal -----------------------------------------------------------------


def _locale_works(name: str) -> bool:
    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, name)
        return True
    except locale.Error:
        return False
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)


def utf8_locale(env: Mapping[str, str]) -> Item:
    title = "UTF-8 区域设置（locale）"
    name = next((env[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if env.get(k)), "C")
    utf8 = re.search(r"utf-?8", name, re.I) is not None
    fix = "在 ~/.profile 末尾加入 export LANG=C.UTF-8，重新登录"
    if not _locale_works("C.UTF-8"):
        if utf8 and _locale_works(name):
            return Item("locale", "ok", title, f"当前 {name}（系统缺少 C.UTF-8，但当前设置可用）")
        return Item(
            "locale",
            "problem",
            title,
            f"当前 {name}，且系统没有 C.UTF-8：libarchive 读不出中文文件名",
            REINSTALL.format("libc-bin"),
        )
    if not utf8:
        return Item(
            "locale",
            "warn",
            title,
            f"当前 {name}，不是 UTF-8：终端中文可能显示为乱码（读取压缩包时程序自行使用 C.UTF-8）",
            fix,
        )
    if not _locale_works(name):
        return Item("locale", "warn", title, f"当前 {name}，但系统没有这个区域设置", fix)
    return Item("locale", "ok", title, f"当前 {name}")


def _colours(env: Mapping[str, str]) -> int:
    term = env.get("TERM", "")
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return 2**24
    if "256color" in term:
        return 256
    if term in ("", "dumb", "unknown"):
        return 0
    return 16 if term.startswith(("xterm", "screen", "tmux", "rxvt", "linux", "vt")) else 8


def _tmux_escape_time() -> int | None:
    try:
        p = subprocess.run(["tmux", "show-options", "-sv", "escape-time"], capture_output=True, text=True, timeout=5)
        return int(p.stdout.strip()) if p.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def terminal(env: Mapping[str, str], stream: TextIO, pictures: str = "") -> Item:
    title = "终端（颜色、大小、TERM）"
    try:
        tty = stream.isatty()
        size = os.get_terminal_size(stream.fileno()) if tty else None  # the size Textual would get
    except (AttributeError, OSError, ValueError):
        tty, size = False, None
    if size and not (size.columns and size.lines):
        size = None  # a pseudo-terminal that does not know its size
    term = env.get("TERM", "")
    if not tty:
        return Item("terminal", "ok", title, f"输出不是终端，未检查（TERM={term or '未设置'}）")
    colours = _colours(env)
    facts = [f"TERM={term or '（未设置）'}", f"{colours if colours < 2**24 else '真彩色'} 色" if colours else "无颜色"]
    if size:
        facts.append(f"{size.columns}x{size.lines}")
    if pictures:
        facts.append(pictures)
    warnings, fixes = [], []
    if colours < 16:
        warnings.append("颜色不足 16 色，界面难以分辨状态")
        fixes.append("使用支持颜色的终端，并设置 export TERM=xterm-256color")
    if size and (size.columns < MIN_COLUMNS or size.lines < MIN_LINES):
        warnings.append(f"窗口小于 {MIN_COLUMNS}x{MIN_LINES}，列表显示不全")
        fixes.append("把终端窗口放大或最大化")
    if env.get("TMUX"):
        escape = _tmux_escape_time()
        if escape is not None:
            facts.append(f"tmux escape-time {escape} 毫秒")
            if escape > ESCAPE_TIME_MAX_MS:
                warnings.append("tmux 的 escape-time 太长，按 Esc 反应迟缓")
                fixes.append("在 ~/.tmux.conf 中加入 set -sg escape-time 10，然后运行 tmux source-file ~/.tmux.conf")
    detail = "，".join(facts)
    if warnings:
        return Item("terminal", "warn", title, detail + "：" + "；".join(warnings), "；".join(fixes))
    return Item("terminal", "ok", title, detail)


# --- the station ---------------------------------------------------------------------------


def station_items(station: Station) -> list[Item]:
    path = station.db_path
    if not path.exists():
        return [Item("station", "ok", "工作站", f"{path} 尚不存在，首次运行 station 时自动建立"), disk(station, None)]
    try:
        conn = sqlite3.connect(str(path), timeout=30)
        conn.execute("PRAGMA schema_version").fetchone()  # fails on a file that is not a database
    except sqlite3.Error as e:
        return [
            Item(
                "station",
                "problem",
                "工作站数据库",
                f"{path} 无法打开：{e}",
                "停止使用此工作站，从备份恢复 station.db 后再运行 station doctor",
            )
        ]
    try:
        items = [Item("station", "ok", "工作站", str(station.root))]
        items += database(conn)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        items.append(disk(station, conn if "files" in tables else None))
        items.append(
            audit_chain(conn)
            if "audit" in tables
            else Item("audit", "ok", "审计日志", "数据库中还没有审计日志表（首次打开时建立）")
        )
        items.append(leftovers(station))
        items += keys(station)
        if "campaigns" in tables:
            items.append(deadlines_item(station, conn, "campaign_deadlines" in tables))
        items.append(
            trusted(conn)
            if "trusted_keys" in tables
            else Item("trusted", "ok", "可信工作站公钥", "不适用：此版本数据库没有公钥登记表")
        )
        return items
    finally:
        conn.close()


def database(conn: sqlite3.Connection) -> list[Item]:
    backup_fix = "停止使用此工作站，从备份恢复 station.db；联系技术支持"
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as e:
        result = [str(e)]
    if result == ["ok"]:
        integrity = Item("db.integrity", "ok", "数据库完整性", "PRAGMA integrity_check：ok")
    else:
        integrity = Item(
            "db.integrity", "problem", "数据库完整性", "数据库已损坏：" + "；".join(result[:3]), backup_fix
        )
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > schema.VERSION:
        ver = Item(
            "db.schema",
            "problem",
            "数据库版本",
            f"数据库版本 {version} 比程序支持的 {schema.VERSION} 新",
            "安装与这个数据库相同或更新版本的评审工作站（不要用旧版本打开）",
        )
    elif version < schema.VERSION:
        ver = Item("db.schema", "ok", "数据库版本", f"数据库版本 {version}，下次打开时自动升级到 {schema.VERSION}")
    else:
        ver = Item("db.schema", "ok", "数据库版本", f"数据库版本 {version}（最新）")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode.lower() == "wal":
        wal = Item("db.wal", "ok", "数据库日志模式", "WAL")
    else:
        wal = Item(
            "db.wal",
            "warn",
            "数据库日志模式",
            f"{mode}，不是 WAL：多人同时评审时容易互相等待",
            "运行一次 station（例如 station list），程序会自动切换为 WAL",
        )
    return [integrity, ver, wal]


def _campaign_sizes(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    return conn.execute(
        "SELECT c.name, COALESCE(SUM(f.size), 0) AS bytes FROM campaigns c "
        "JOIN submissions s ON s.campaign_id = c.id AND s.status != 'superseded' "
        "JOIN files f ON f.submission_id = s.id GROUP BY c.id ORDER BY bytes DESC"
    ).fetchall()


def disk(station: Station, conn: sqlite3.Connection | None) -> Item:
    title = "磁盘空间"
    where = station.root
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    sizes = _campaign_sizes(conn) if conn is not None else []
    name, need = sizes[0] if sizes else (None, 0)
    detail = f"{where} 所在磁盘可用 {free / GIB:.1f} GB"
    if name is not None:
        detail += f"；最大的征集活动“{name}”共 {need / GIB:.1f} GB"
    fix = "清理磁盘，或把工作站放到更大的磁盘上（station --db 新位置/station.db）"
    if free < max(MIN_FREE, need):
        return Item("disk", "problem", title, detail + "：不够再导入或导出一次这么多作品", fix)
    if free < max(COMFORTABLE_FREE, 2 * need):
        return Item("disk", "warn", title, detail + "：余量不多", fix)
    return Item("disk", "ok", title, detail)


def audit_chain(conn: sqlite3.Connection) -> Item:
    import sqlite_utils

    from store import audit

    verdict = audit.verify(sqlite_utils.Database(conn))
    if verdict.ok:
        notes = f"；{'；'.join(verdict.notes)}" if verdict.notes else ""
        return Item(
            "audit", "ok", "审计日志", f"共 {verdict.entries} 条，哈希链完整，与库外检查点和各记录表一致{notes}"
        )
    if verdict.problems:
        what = "；".join(p["message"] for p in verdict.problems)
        return Item(
            "audit",
            "problem",
            "审计日志",
            f"审计日志被改动：{what}",
            "不要再写入此工作站；保留现场并报告上级，用备份核对（station audit verify 可复查）",
        )
    return Item(
        "audit",
        "problem",
        "审计日志",
        f"审计日志被改动：第 {verdict.broken_at} 条起哈希链断开（{verdict.reason}）",
        "不要再写入此工作站；保留现场并报告上级，用备份核对（station audit verify 可复查）",
    )


def leftovers(station: Station) -> Item:
    """What killed imports, exports and receives left in the station directory (the next run of each removes it)."""
    found = []
    tmp = station.root / "objects" / "tmp"
    if tmp.is_dir():
        found += [p for p in tmp.glob("in-*") if not _pid_alive(p.name.split("-")[1] if p.name.count("-") >= 2 else "")]
    spool = station.spool
    if spool.is_dir():
        found += [
            p for p in spool.glob("export-*") if not _pid_alive(p.name.split("-")[1] if p.name.count("-") >= 2 else "")
        ]
        receive = spool / "receive"
        if receive.is_dir():
            found += [p for p in receive.iterdir() if not _pid_alive(p.name.split("-", 1)[0])]
    if not found:
        return Item("leftovers", "ok", "中断遗留文件", "没有被中断的导入、导出或接收留下的临时文件")
    size = sum(f.stat().st_size for p in found for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    return Item(
        "leftovers",
        "warn",
        "中断遗留文件",
        f"有 {len(found)} 项被中断的导入、导出或接收留下的临时文件（{size / 2**20:.1f} MB），例如 {found[0]}",
        "再次运行被中断的命令（station import / export / receive）即可补全并清理",
    )


def _pid_alive(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def deadlines_item(station: Station, conn: sqlite3.Connection, has_edits: bool, today=None) -> Item:
    """Deadlines of any campaign falling within the next 7 days (a warn), read without migrating."""
    import json

    from workflows import deadlines

    conn.row_factory = sqlite3.Row
    try:
        camps = [dict(r) for r in conn.execute("SELECT * FROM campaigns ORDER BY id")]
        edits = (
            {r["campaign_id"]: json.loads(r["data"]) for r in conn.execute("SELECT * FROM campaign_deadlines")}
            if has_edits
            else {}
        )
    finally:
        conn.row_factory = None
    near = [
        f"{c['name']}：{d['name']}（{d['at']}，{deadlines.days_text(d['days_left'])}）"
        for c in camps
        for d in deadlines.resolve(station, c, edits.get(c["id"], {}), today)
        if 0 <= d["days_left"] <= deadlines.WARN_DAYS and not d["passed"]
    ]
    if near:
        return Item(
            "deadlines",
            "warn",
            "时间节点",
            f"{len(near)} 个时间节点在 {deadlines.WARN_DAYS} 天内到期：" + "；".join(near),
            "按期完成上报：station submit --campaign 活动 --out 文件夹；日期有变用 station campaign dates 活动 --set 名称 --at 日期",
        )
    return Item("deadlines", "ok", "时间节点", f"没有 {deadlines.WARN_DAYS} 天内到期的时间节点")


def keys(station: Station) -> list[Item]:
    folder = station.root / "keys"
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    private = [p for p in files if p.suffix != ".pub" and not p.name.startswith(".")]
    loose = [p for p in private if p.stat().st_mode & 0o077]
    if loose:
        modes = "、".join(f"{p.name}（{p.stat().st_mode & 0o777:o}）" for p in loose)
        perms = Item(
            "keys.permissions",
            "problem",
            "密钥文件权限",
            f"其他用户可以读取：{modes}",
            "chmod 600 " + " ".join(str(p) for p in loose),
        )
    else:
        perms = Item(
            "keys.permissions",
            "ok",
            "密钥文件权限",
            f"{len(private)} 个私钥文件均为 600" if private else "没有私钥文件",
        )
    pub = folder / "identity.pub"
    if (folder / "identity.age").exists() and pub.exists():
        code = re.search(r"^station-code:\s*(\S+)", pub.read_text("utf-8", errors="replace"), re.M)
        init = Item("keys.init", "ok", "本站密钥", f"已建立（单位代码 {code.group(1) if code else '未知'}）")
    else:
        init = Item("keys.init", "warn", "本站密钥", "尚未初始化：无法签名或加密导出的成果包", KEYS_INIT)
    return [perms, init]


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def trusted(conn: sqlite3.Connection, now: datetime | None = None) -> Item:
    title = "可信工作站公钥"
    now = now or datetime.now(timezone.utc)
    rows = conn.execute(
        "SELECT code, name, role, valid_until FROM trusted_keys WHERE revoked_at IS NULL ORDER BY id"
    ).fetchall()
    if not rows:
        return Item("trusted", "ok", title, "尚未登记其他工作站的公钥（接收或发送成果包前需要登记）")
    expired, soon = [], []
    for code, name, role, until in rows:
        if not until:
            continue
        try:
            when = _when(until)
        except ValueError:
            expired.append(f"{name or code}（有效期无法识别：{until}）")
            continue
        label = f"{name or code}（{code}，{'发送方' if role == 'sender' else '接收方'}，有效期至 {until[:10]}）"
        if when <= now:
            expired.append(label)
        elif when - now <= EXPIRY_WARNING:
            soon.append(label)
    detail = f"共 {len(rows)} 个有效公钥"
    if expired or soon:
        parts = ([f"已过期：{'、'.join(expired)}"] if expired else []) + (
            [f"30 天内到期：{'、'.join(soon)}"] if soon else []
        )
        return Item(
            "trusted",
            "warn",
            title,
            detail + "；" + "；".join(parts),
            "向对方索取新的公钥文件，用 station keys trust 公钥文件 --role sender（或 recipient）重新登记",
        )
    return Item("trusted", "ok", title, detail + "，均在有效期内")
