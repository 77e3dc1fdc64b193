"""`station keys …`, `station export`, `station verify`, `station receive`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from exporters.bundle import Rejected
from tui.cli.kit import emit, errors, json_option, station
from workflows import keys as keys_wf
from workflows.bundles import export as export_wf
from workflows.bundles import receive as receive_wf
from workflows.errors import EXIT_OK, EXIT_REJECTED, StationError

passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False),
    envvar="STATION_PASSPHRASE_FILE",
    help="Read the key passphrase from this file (env STATION_PASSPHRASE_FILE); otherwise it is asked for on a TTY.",
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

    def show(done: int, total: int, files: int, files_total: int) -> None:
        pct = int(done * 100 / total) if total else 100
        if (pct, files) != state["last"]:
            state["last"] = (pct, files)
            click.echo(
                f"\r  文件 {files}/{files_total}，{done / 2**20:,.0f} / {total / 2**20:,.0f} MB（{pct}%）",
                nl=False,
                err=True,
            )

    return show


def _rejected(e: Rejected, as_json: bool, extra: dict | None = None) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {"ok": False, **(extra or {}), "problems": [p.as_dict() for p in e.problems]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for p in e.problems:
            click.echo(f"拒收：{p.message}（{p.code}）", err=True)
    sys.exit(EXIT_REJECTED)


# --- keys --------------------------------------------------------------------------------------


@click.group()
def keys() -> None:
    """本站密钥与受信任单位的公钥 keys."""


@keys.command("init")
@click.option("--org", required=True, help="Unit name, e.g. 某某县教育局.")
@click.option("--code", required=True, help="Unit code, e.g. 410102.")
@passphrase_option
@json_option
@click.pass_context
@errors
def keys_init(ctx, org, code, passphrase_file, as_json):
    pub = keys_wf.init(station(ctx), org, code, read_passphrase(passphrase_file, confirm=True))
    emit(
        pub.as_dict(),
        as_json,
        lambda d: click.echo(
            f"已创建本站密钥：{d['name']}（{d['code']}）\n  签名公钥指纹：{d['sign_fingerprint']}\n"
            f"  加密公钥指纹：{d['age_fingerprint']}\n请牢记口令：丢失口令将无法解开发给本站的报送包。"
        ),
    )


@keys.command("show")
@json_option
@click.pass_context
@errors
def keys_show(ctx, as_json):
    st = station(ctx)
    data = {
        "station": keys_wf.public(st).as_dict() if keys_wf.has_identity(st) else None,
        "trusted": keys_wf.trusted(st, active=False),
    }

    def human(d):
        s = d["station"]
        if s:
            click.echo(
                f"本站：{s['name']}（{s['code']}）\n  签名公钥：{s['sign_key']}\n  签名指纹：{s['sign_fingerprint']}\n"
                f"  加密公钥：{s['age_recipient']}\n  加密指纹：{s['age_fingerprint']}"
            )
        else:
            click.echo("本站还没有密钥（station keys init）")
        for t in d["trusted"]:
            role = {"sender": "报送单位", "recipient": "接收单位"}[t["role"]]
            state = f"已吊销（{t['revoked_reason']}）" if t["revoked_at"] else "有效"
            click.echo(
                f"{role} {t['code']} {t['name']}  签名 {t['sign_fingerprint']}  加密 {t['age_fingerprint']}  {state}"
            )

    emit(data, as_json, human)


@keys.command("export-public")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
@errors
def keys_export_public(ctx, file, as_json):
    pub = keys_wf.export_public(station(ctx), Path(file))
    emit(
        dict(pub.as_dict(), path=file),
        as_json,
        lambda d: click.echo(
            f"已写出本站公钥：{file}\n请通过电话或加盖公章的纸件核对指纹：签名 {d['sign_fingerprint']}，加密 {d['age_fingerprint']}"
        ),
    )


@keys.command("trust")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--role",
    type=click.Choice(["sender", "recipient"]),
    required=True,
    help="sender: a station that sends us bundles; recipient: a station we send bundles to.",
)
@json_option
@click.pass_context
@errors
def keys_trust(ctx, file, role, as_json):
    row = keys_wf.trust(station(ctx), Path(file), role)
    role_zh = {"sender": "报送单位", "recipient": "接收单位"}[role]
    emit(
        row,
        as_json,
        lambda r: click.echo(
            f"{'已登记' if r['added'] else '已登记过'}{role_zh} {r['code']} {r['name']}\n"
            f"  签名指纹：{r['sign_fingerprint']}\n  加密指纹：{r['age_fingerprint']}\n请与对方核对以上指纹。"
        ),
    )


@keys.command("revoke")
@click.argument("code")
@click.option("--role", type=click.Choice(["sender", "recipient"]))
@click.option("--reason", required=True)
@json_option
@click.pass_context
@errors
def keys_revoke(ctx, code, role, reason, as_json):
    n = keys_wf.revoke(station(ctx), code, role, reason)
    emit({"code": code, "revoked": n}, as_json, lambda d: click.echo(f"已吊销单位 {code} 的 {n} 组公钥"))


@keys.command("export-identity")
@click.option(
    "--plaintext",
    "file",
    type=click.Path(dir_okay=False),
    required=True,
    help="Write the UNENCRYPTED age identity here (disaster recovery).",
)
@click.option("--yes", is_flag=True, help="Confirm that an unencrypted private key file is wanted.")
@passphrase_option
@json_option
@click.pass_context
@errors
def keys_export_identity(ctx, file, yes, passphrase_file, as_json):
    warning = (
        "此文件是未加密的本站私钥：任何拿到它的人都能解开发给本站的报送包，并以本站名义签名。"
        "只在灾难恢复时使用，用后离线保存或销毁。"
    )
    if not yes:
        raise StationError("confirm.required", warning + "确认无误请加 --yes 重新运行")
    pub = keys_wf.export_identity(station(ctx), read_passphrase(passphrase_file), Path(file))
    emit(
        dict(pub.as_dict(), path=file, warning=warning),
        as_json,
        lambda d: click.echo(
            f"已写出未加密的本站私钥：{file}（权限 0600）\n{warning}\n用法：age -d -i {file} 对象.age"
        ),
    )


# --- export / verify / receive -------------------------------------------------------------------


@click.command("export")
@click.option("--campaign", help="Campaign name or id (default: the only one).")
@click.option("--to", "to", required=True, help="Recipient station code (registered with keys trust --role recipient).")
@click.option("--out", "out", type=click.Path(file_okay=False), default=".", show_default=True)
@click.option(
    "--forward",
    is_flag=True,
    help="Carry the received inner bags the works came from unchanged, so the next level can check their senders' signatures.",
)
@passphrase_option
@json_option
@click.pass_context
@errors
def export(ctx, campaign, to, out, forward, passphrase_file, as_json):
    """Pack the recommended works into a signed, encrypted bundle for TO."""
    st = station(ctx)
    bar = _bar(not as_json and sys.stderr.isatty())
    result = export_wf.export(
        st, campaign, to, Path(out), read_passphrase(passphrase_file), progress=bar, forward=forward
    )
    if bar:
        click.echo("", err=True)
    emit(
        result,
        as_json,
        lambda r: click.echo(
            f"{r['path']}\n已导出推荐作品 {r['submissions']} 件，文件 {r['files']} 个，{r['bytes'] / 2**20:.1f} MB，"
            f"对象 {r['objects']} 个（序号 {r['seq']}，发往 {r['to']}）"
            + (
                "\n上一次导出已记录此包、但在改名到位前被中断：现已补全（未重新打包）。如推荐名单此后有变化，请再导出一次"
                if r.get("resumed")
                else ""
            )
        ),
    )


@click.command("verify")
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path())
@json_option
@click.pass_context
@errors
def verify(ctx, bundle_path, as_json):
    """Check a bundle without any private key: files, manifests, signature, addressing, sequence."""
    result = receive_wf.verify(station(ctx), Path(bundle_path))

    def human(r):
        for p in r["problems"]:
            click.echo(f"问题：{p['message']}（{p['code']}）", err=True)
        for p in r["warnings"]:
            click.echo(f"提示：{p['message']}", err=True)
        if r["ok"]:
            note = "（此包已接收过）" if r["duplicate"] else ""
            click.echo(
                f"报送包完整：发送方 {r['sender_name']}（{r['sender']}），序号 {r['seq']}，对象 {r['objects']} 个{note}"
            )
        else:
            bad = sorted({p["object"] for p in r["problems"] if p["object"] and p["object"].startswith("data/")})
            if bad:
                click.echo("需要重新拷贝的对象：" + "、".join(bad), err=True)

    emit(result, as_json, human)
    sys.exit(EXIT_OK if result["ok"] else EXIT_REJECTED)


@click.command("receive")
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path())
@click.option("--campaign", help="Campaign to receive into (default: the sender's campaign name, created if missing).")
@click.option(
    "--override-reason",
    help="Admin: accept a replayed, older, out-of-sequence or conflicting bundle, giving the reason (audit-logged).",
)
@passphrase_option
@json_option
@click.pass_context
@errors
def receive(ctx, bundle_path, campaign, override_reason, passphrase_file, as_json):
    """Verify, decrypt and import a bundle addressed to this station."""
    st = station(ctx)
    bar = _bar(not as_json and sys.stderr.isatty())
    try:
        # the passphrase is asked for only once the checks that need no key have passed
        result = receive_wf.receive(
            st, Path(bundle_path), lambda: read_passphrase(passphrase_file), campaign, override_reason, bar
        )
    except Rejected as e:
        if bar:
            click.echo("", err=True)
        _rejected(e, as_json, {"path": bundle_path})
    if bar:
        click.echo("", err=True)

    def human(r):
        for p in r["warnings"]:
            click.echo(f"注意：{p['message']}（{p['code']}，已由管理员放行）", err=True)
        if r["duplicate"]:
            click.echo(f"此包已接收过（{r['bundle_id']}），未做任何改动")
        else:
            click.echo(
                f"已接收 {r['sender_name']}（{r['sender']}）的报送包（序号 {r['seq']}）：作品 {r['imported']} 件"
                f"（新版本 {r['versions']}，未变化 {r['unchanged']}），文件 {r['files']} 个，"
                f"导入征集活动“{r['campaign']}”"
            )
            for f in r.get("forwarded", []):
                state = "签名已核对" if f["signer_known"] else "签名完整，签名者未登记"
                click.echo(f"  转报的 {f['sender']} 报送包（序号 {f['seq']}）：{state}（{f['signer']}）")

    emit(result, as_json, human)


COMMANDS = [keys, export, verify, receive]
