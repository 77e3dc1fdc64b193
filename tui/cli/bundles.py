"""`station keys …`, `station export`, `station verify`, `station receive`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from exporters.bundle import Rejected
from tui.cli.kit import command, echo, echo_json, group, status
from workflows import keys as keys_wf
from workflows.bundles import export as export_wf
from workflows.bundles import receive as receive_wf
from workflows.errors import EXIT_OK, EXIT_REJECTED, StationError

passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False),
    envvar="STATION_PASSPHRASE_FILE",
    help="从此文件读取本站密钥口令（或环境变量 STATION_PASSPHRASE_FILE）；否则在终端上询问。",
)


def read_passphrase(path: str | None, confirm: bool = False) -> bytes:
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise StationError("passphrase.file", f"无法读取口令文件 {path}：{e.strerror}") from None
        if data.endswith(b"\n"):
            data = data[:-1]
        if data.endswith(b"\r"):
            data = data[:-1]
        return data
    if sys.stdin.isatty():
        return click.prompt("本站密钥口令", hide_input=True, confirmation_prompt=confirm, err=True).encode()
    raise StationError(
        "passphrase.missing", "需要本站密钥口令：请用 --passphrase-file 文件 或环境变量 STATION_PASSPHRASE_FILE 提供"
    )


def _bar(enabled: bool):
    if not enabled:
        return None
    state = {"last": -1}

    def show(p) -> None:  # a workflows.progress.Progress
        done, total, files = p.bytes_done, p.bytes_total, int(p.done)
        pct = int(done * 100 / total) if total else 100
        if (pct, files) != state["last"]:
            state["last"] = (pct, files)
            status(f"  文件 {files}/{int(p.total)}，{done / 2**20:,.0f} / {total / 2**20:,.0f} MB（{pct}%）")

    return show


def _rejected(e: Rejected, as_json: bool, extra: dict | None = None) -> None:
    if as_json:
        echo_json({"ok": False, **(extra or {}), "problems": [p.as_dict() for p in e.problems]})
    else:
        for p in e.problems:
            echo(f"拒收：{p.message}（{p.code}）", err=True)
    sys.exit(EXIT_REJECTED)


# --- keys --------------------------------------------------------------------------------------


keys = group(
    None,
    "keys",
    help="本站密钥与受信任单位的公钥：报送包的签名和加密。",
    examples=[
        "station keys init --org 某某县教育局 --code 410102",
        "station keys export-public 本站公钥.toml",
        "station keys trust 市教育局公钥.toml --role recipient",
    ],
)


@command(keys, "init", examples=["station keys init --org 某某县教育局 --code 410102"])
@click.option("--org", required=True, help="单位名称，如 某某县教育局。")
@click.option("--code", required=True, help="单位代码，如 410102。")
@passphrase_option
def keys_init(run, org, code, passphrase_file):
    """创建本站密钥（签名和加密各一对），私钥用口令保护。"""
    pub = keys_wf.init(run.station, org, code, read_passphrase(passphrase_file, confirm=True))
    run.emit(
        pub.as_dict(),
        lambda d: echo(
            f"已创建本站密钥：{d['name']}（{d['code']}）\n  签名公钥指纹：{d['sign_fingerprint']}\n"
            f"  加密公钥指纹：{d['age_fingerprint']}\n请牢记口令：丢失口令将无法解开发给本站的报送包。"
        ),
    )


@command(keys, "show", examples=["station keys show", "station keys show --json"])
def keys_show(run):
    """显示本站公钥和指纹，以及登记过的各单位公钥。"""
    st = run.station
    data = {
        "station": keys_wf.public(st).as_dict() if keys_wf.has_identity(st) else None,
        "trusted": keys_wf.trusted(st, active=False),
    }

    def human(d):
        s = d["station"]
        if s:
            echo(
                f"本站：{s['name']}（{s['code']}）\n  签名公钥：{s['sign_key']}\n  签名指纹：{s['sign_fingerprint']}\n"
                f"  加密公钥：{s['age_recipient']}\n  加密指纹：{s['age_fingerprint']}"
            )
        else:
            echo("本站还没有密钥（station keys init）")
        for t in d["trusted"]:
            role = {"sender": "报送单位", "recipient": "接收单位"}[t["role"]]
            state = f"已吊销（{t['revoked_reason']}）" if t["revoked_at"] else "有效"
            echo(f"{role} {t['code']} {t['name']}  签名 {t['sign_fingerprint']}  加密 {t['age_fingerprint']}  {state}")

    run.emit(data, human)


@command(keys, "export-public", examples=["station keys export-public 本站公钥.toml"])
@click.argument("file", type=click.Path(dir_okay=False), metavar="文件")
def keys_export_public(run, file):
    """把本站公钥写到文件，交给上级或下级单位登记。"""
    pub = keys_wf.export_public(run.station, Path(file))
    run.emit(
        dict(pub.as_dict(), path=file),
        lambda d: echo(
            f"已写出本站公钥：{file}\n请通过电话或加盖公章的纸件核对指纹：签名 {d['sign_fingerprint']}，加密 {d['age_fingerprint']}"
        ),
    )


@command(
    keys,
    "trust",
    examples=[
        "station keys trust 市教育局公钥.toml --role recipient",
        "station keys trust 某县公钥.toml --role sender",
    ],
)
@click.argument("file", type=click.Path(dir_okay=False), metavar="公钥文件")
@click.option(
    "--role",
    type=click.Choice(["sender", "recipient"]),
    required=True,
    help="sender：向本站报送的单位；recipient：本站报送的对象。",
)
def keys_trust(run, file, role):
    """登记另一单位的公钥（请与对方核对指纹）。"""
    row = keys_wf.trust(run.station, Path(file), role)
    role_zh = {"sender": "报送单位", "recipient": "接收单位"}[role]
    run.emit(
        row,
        lambda r: echo(
            f"{'已登记' if r['added'] else '已登记过'}{role_zh} {r['code']} {r['name']}\n"
            f"  签名指纹：{r['sign_fingerprint']}\n  加密指纹：{r['age_fingerprint']}\n请与对方核对以上指纹。"
        ),
    )


@command(keys, "revoke", examples=["station keys revoke 410103 --role sender --reason 密钥丢失"])
@click.argument("code", metavar="单位代码")
@click.option("--role", type=click.Choice(["sender", "recipient"]), help="只吊销这一类公钥（默认：两类都吊销）。")
@click.option("--reason", required=True, help="吊销理由（记入审计日志）。")
def keys_revoke(run, code, role, reason):
    """吊销一个单位的公钥：此后不再接收或发往该公钥。"""
    n = keys_wf.revoke(run.station, code, role, reason)
    run.emit({"code": code, "revoked": n}, lambda d: echo(f"已吊销单位 {code} 的 {n} 组公钥"))


@command(keys, "export-identity", examples=["station keys export-identity --plaintext /media/u盘/本站私钥.txt --yes"])
@click.option(
    "--plaintext",
    "file",
    type=click.Path(dir_okay=False),
    required=True,
    help="把未加密的 age 私钥写到这里（灾难恢复用）。",
)
@click.option("--yes", is_flag=True, help="确认确实需要一个未加密的私钥文件。")
@passphrase_option
def keys_export_identity(run, file, yes, passphrase_file):
    """导出未加密的本站私钥（仅供灾难恢复）。"""
    warning = (
        "此文件是未加密的本站私钥：任何拿到它的人都能解开发给本站的报送包，并以本站名义签名。"
        "只在灾难恢复时使用，用后离线保存或销毁。"
    )
    if not yes:
        raise StationError("confirm.required", warning + "确认无误请加 --yes 重新运行")
    pub = keys_wf.export_identity(run.station, read_passphrase(passphrase_file), Path(file))
    run.emit(
        dict(pub.as_dict(), path=file, warning=warning),
        lambda d: echo(f"已写出未加密的本站私钥：{file}（权限 0600）\n{warning}\n用法：age -d -i {file} 对象.age"),
    )


# --- export / verify / receive -------------------------------------------------------------------


@command(
    None,
    "export",
    examples=[
        "station export --to 410100 --out /media/u盘",
        "station export --campaign 课后服务2024 --to 410100 --forward",
    ],
)
@click.option("--campaign", help="征集活动名称或编号（默认：唯一的那个）。")
@click.option("--to", "to", required=True, help="接收单位代码（须已用 keys trust --role recipient 登记）。")
@click.option(
    "--out", "out", type=click.Path(file_okay=False), default=".", show_default=True, help="报送包写入的文件夹。"
)
@click.option(
    "--forward",
    is_flag=True,
    help="原样附上作品来自的下级报送包，以便上级核对下级的签名。",
)
@passphrase_option
def export(run, campaign, to, out, forward, passphrase_file):
    """导出报送包：把推荐作品打包、签名并加密给接收单位。"""
    st = run.station
    bar = _bar(not run.json and sys.stderr.isatty())
    result = export_wf.export(
        st, campaign, to, Path(out), read_passphrase(passphrase_file), progress=bar, forward=forward
    )
    if bar:
        echo("", err=True)
    run.emit(
        result,
        lambda r: echo(
            f"{r['path']}\n已导出推荐作品 {r['submissions']} 件，文件 {r['files']} 个，{r['bytes'] / 2**20:.1f} MB，"
            f"对象 {r['objects']} 个（序号 {r['seq']}，发往 {r['to']}）"
            + (
                "\n上一次导出已记录此包、但在改名到位前被中断：现已补全（未重新打包）。如推荐名单此后有变化，请再导出一次"
                if r.get("resumed")
                else ""
            )
        ),
    )


@command(None, "verify", examples=["station verify /media/u盘/410102-0003.bundle"])
@click.argument("bundle_path", metavar="报送包", type=click.Path())
def verify(run, bundle_path):
    """核对报送包（不需要私钥）：文件、清单、签名、收发单位和序号（退出码 1：有问题）。"""
    result = receive_wf.verify(run.station, Path(bundle_path))

    def human(r):
        for p in r["problems"]:
            echo(f"问题：{p['message']}（{p['code']}）", err=True)
        for p in r["warnings"]:
            echo(f"提示：{p['message']}", err=True)
        if r["ok"]:
            note = "（此包已接收过）" if r["duplicate"] else ""
            echo(
                f"报送包完整：发送方 {r['sender_name']}（{r['sender']}），序号 {r['seq']}，对象 {r['objects']} 个{note}"
            )
        else:
            bad = sorted({p["object"] for p in r["problems"] if p["object"] and p["object"].startswith("data/")})
            if bad:
                echo("需要重新拷贝的对象：" + "、".join(bad), err=True)

    run.emit(result, human)
    return EXIT_OK if result["ok"] else EXIT_REJECTED


@command(
    None,
    "receive",
    examples=[
        "station receive /media/u盘/410102-0003.bundle",
        "station receive 410102-0002.bundle --override-reason 原包损坏，县里重发",
    ],
)
@click.argument("bundle_path", metavar="报送包", type=click.Path())
@click.option("--campaign", help="接收到哪个征集活动（默认：与发送方的活动同名，没有则新建）。")
@click.option(
    "--override-reason",
    help="管理员：接收重放、较旧、序号不连续或有冲突的报送包，并写明理由（记入审计日志）。",
)
@passphrase_option
def receive(run, bundle_path, campaign, override_reason, passphrase_file):
    """接收报送包：核对、解密并导入发给本站的作品。"""
    st = run.station
    as_json = run.json
    bar = _bar(not as_json and sys.stderr.isatty())
    try:
        # the passphrase is asked for only once the checks that need no key have passed
        result = receive_wf.receive(
            st, Path(bundle_path), lambda: read_passphrase(passphrase_file), campaign, override_reason, bar
        )
    except Rejected as e:
        if bar:
            echo("", err=True)
        _rejected(e, as_json, {"path": bundle_path})
    if bar:
        echo("", err=True)

    def human(r):
        for p in r["warnings"]:
            echo(f"注意：{p['message']}（{p['code']}，已由管理员放行）", err=True)
        if r["duplicate"]:
            echo(f"此包已接收过（{r['bundle_id']}），未做任何改动")
        else:
            echo(
                f"已接收 {r['sender_name']}（{r['sender']}）的报送包（序号 {r['seq']}）：作品 {r['imported']} 件"
                f"（新版本 {r['versions']}，未变化 {r['unchanged']}），文件 {r['files']} 个，"
                f"导入征集活动“{r['campaign']}”"
            )
            for f in r.get("forwarded", []):
                state = "签名已核对" if f["signer_known"] else "签名完整，签名者未登记"
                echo(f"  转报的 {f['sender']} 报送包（序号 {f['seq']}）：{state}（{f['signer']}）")

    run.emit(result, human)


COMMANDS = [keys, export, verify, receive]
