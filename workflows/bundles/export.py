"""Export the campaign's recommended works to a trusted recipient station as a bundle.

Recommended: `store.decisions.RECOMMENDED` (the one definition export, quotas and the summary share).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import store
from exporters import age, bagit, bundle, sshsig, summary_xlsx
from store import audit, decisions, queries
from workflows import campaigns, keys
from workflows.bundles import forward as forward_wf
from workflows.errors import StationError
from workflows.progress import ProgressFn, files_progress
from workflows.quotas import rules as quotas
from workflows.recommend import summary
from workflows.station import Station, actor


def recommended(db, campaign_id: int) -> list[dict]:
    ids = decisions.recommended_ids(db, campaign_id)
    return queries.submissions(db, ids=ids) if ids else []


def _jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


def reconcile(station: Station) -> list[dict]:
    """Bundles this station recorded whose final rename never happened (export killed between the commit and the
    rename): the complete, signed build is still in its hidden directory next to the recorded path, and is renamed
    into place now. Nothing is rebuilt, nothing re-signed: the record and the bundle are the ones already made."""
    done = []
    for row in station.db().query("SELECT * FROM exports WHERE bundle_id IS NOT NULL ORDER BY id"):
        final = Path(row["path"] or "")
        if not row["path"] or final.exists() or final.is_symlink() or not final.parent.is_dir():
            continue
        for partial in bundle.partials_of(final):
            m = partial.name.split("-", 2)
            if len(m) == 3 and m[1].isdigit() and bundle.pid_alive(int(m[1])):
                continue  # still being written (by this very export, in a moment)
            try:
                tm = bagit.read_tag(partial / "tagmanifest-sha256.txt")
            except bagit.BagError:
                continue
            if hashlib.sha256(tm).hexdigest() == row["sha256"]:
                bundle.finish_partial(partial, final)
                done.append(dict(row))
                break
    return done


def clean_leftovers(station: Station, out_dir: Path | None = None) -> list[Path]:
    """What killed exports left: spool folders of dead processes and unrecorded partial bundles in OUT_DIR
    (run after `reconcile`, which completes the recorded ones)."""
    removed = bundle.clean_partials(out_dir) if out_dir is not None and out_dir.is_dir() else []
    spool = station.spool
    if spool.is_dir():
        for p in spool.glob("export-*"):
            pid = p.name.split("-")[1] if p.name.count("-") >= 2 else ""
            if p.is_dir() and not p.is_symlink() and pid.isdigit() and not bundle.pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def _completed(db, row: dict, camp: dict) -> dict:
    """The result of an export a kill interrupted after recording it: the counts its audit entry recorded (a file
    over PART_SIZE is several objects, so the objects alone do not give the files)."""
    entry = db.execute(
        "SELECT detail FROM audit WHERE action = 'bundle.exported' AND json_extract(detail, '$.bundle_id') = ?",
        [row["bundle_id"]],
    ).fetchone()
    recorded = json.loads(entry[0]) if entry else {}
    outer, _ = bundle.intake(Path(row["path"]))
    return {
        "path": row["path"],
        "bundle_id": row["bundle_id"],
        "seq": row["seq"],
        "to": row["recipient"],
        "campaign": camp["name"],
        "submissions": row["submissions"],
        "files": recorded.get("files", len(outer.manifest) - 1 if outer else 0),
        "objects": recorded.get("objects", len(outer.manifest) if outer else 0),
        "bytes": row["bytes"],
        "tagmanifest_sha256": row["sha256"],
        "forwarded": 0,
        "resumed": True,
    }


def last_sent(db, recipient: str) -> dict | None:
    return next(
        db.query(
            "SELECT * FROM exports WHERE recipient = ? AND bundle_id IS NOT NULL ORDER BY seq DESC LIMIT 1", [recipient]
        ),
        None,
    )


def export(
    station: Station,
    campaign: str | None,
    to: str,
    out_dir: Path,
    passphrase: bytes,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    part_size: int = bundle.PART_SIZE,
    forward: bool = False,
) -> dict:
    """FORWARD: carry the received inner bags the works came from unchanged (see workflows.forward)."""
    db = station.db()
    camp = campaigns.get(station, campaign)
    targets = keys.trusted(station, "recipient", to)
    if not targets:
        raise StationError(
            "export.recipient_unknown",
            f"没有登记接收单位 {to} 的公钥：请先 station keys trust 公钥文件 --role recipient",
        )
    # an export killed after recording its bundle but before renaming it into place: complete that one
    finished = [r for r in reconcile(station) if r["recipient"] == to and r["campaign_id"] == camp["id"]]
    if finished:
        return _completed(db, finished[-1], camp)
    ident = keys.unlock(station, passphrase)
    subs = recommended(db, camp["id"])
    if not subs:
        raise StationError("export.empty", f"征集活动“{camp['name']}”还没有推荐的作品，无可导出")
    blocking = quotas.hard_violations(station, camp["id"])
    if blocking:
        raise StationError(
            "export.rules",
            "推荐名单违反规则，不能导出："
            + "；".join(v.message for v in blocking)
            + "。请调整推荐，或由管理员 station decide … --override --reason 特批（station rules check 查看）",
        )
    prev_row = last_sent(db, to)
    seq = prev_row["seq"] + 1 if prev_row else 1
    bundle_id = str(uuid.uuid4())
    now = audit.now()
    address = bundle.Address(
        bundle_id=bundle_id,
        sender=ident.code,
        sender_name=ident.name,
        sender_key=ident.signing.public.fingerprint,
        recipients=[age.Recipient.parse(t["age_recipient"]) for t in targets],
        recipient_codes=[to],
        seq=seq,
        prev=prev_row["sha256"] if prev_row else "none",
        date=now,
        inner_extra=[
            ("Bundle-Campaign", camp["name"]),
            ("Bundle-Campaign-Profile", camp["profile"]),
            ("Bundle-Campaign-Year", str(camp["year"] or "")),
        ],
    )
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StationError("export.out_dir", f"无法创建输出目录 {out_dir}：{e.strerror}") from e
    clean_leftovers(station, out_dir)
    name = bundle.bundle_name(ident.code, f"c{camp['id']}", seq, bundle_id)
    taken = [p.name for p in out_dir.glob(f"{ident.code}_c{camp['id']}_{seq:06d}_*.bundle")]
    if taken:
        raise StationError(
            "export.seq_exists",
            f"输出目录中已有序号 {seq} 的报送包 {taken[0]}，但本站没有它的导出记录（数据库可能被还原过）："
            "为免同一序号出现两个包，导出已中止。请核实后移走该包再导出",
        )
    station.spool.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=station.spool, prefix=f"export-{os.getpid()}-") as tmp:
        sources, audit_upto, forwarded = _sources(station, db, camp, subs, Path(tmp), ident, prev_row, forward)
        try:
            built = bundle.build(
                out_dir, name, sources, address, ident.signing, files_progress("export", progress), workers, part_size
            )
        except bundle.SourceChanged as e:
            _remove_partial(out_dir, name)
            raise StationError(
                "export.source_changed", f"{e.label} 在审核之后被改动（SHA-256 与导入时不同），导出已中止"
            ) from None
        except OSError as e:
            _remove_partial(out_dir, name)
            raise StationError(
                "export.write", f"写入报送包失败：{e.strerror or e}（{getattr(e, 'filename', '')}）"
            ) from None
        except BaseException:
            _remove_partial(out_dir, name)
            raise
    # Record first, then rename: a kill between the two leaves a recorded bundle in its hidden directory, which
    # `reconcile` renames into place on the next start; a kill before the commit leaves only an unrecorded
    # partial, which `clean_leftovers` removes. Never a complete-looking bundle the station did not record.
    try:
        if built.final.exists() or built.final.is_symlink():
            raise FileExistsError(built.final)
        with store.write(db):
            db.execute(
                "INSERT INTO exports (campaign_id, recipient, path, sha256, created_at, bundle_id, seq, prev, "
                "audit_upto, submissions, bytes) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    camp["id"],
                    to,
                    str(built.final),
                    built.tagmanifest_sha256,
                    now,
                    bundle_id,
                    seq,
                    address.prev,
                    audit_upto,
                    len(subs),
                    built.payload_bytes,
                ],
            )
            audit.append(
                db,
                actor(),
                "bundle.exported",
                f"campaign:{camp['id']}",
                bundle_id=bundle_id,
                to=to,
                seq=seq,
                path=str(built.final),
                submissions=[s["id"] for s in subs],
                files=built.files,
                objects=built.objects,
                tagmanifest_sha256=built.tagmanifest_sha256,
            )
    except BaseException:
        shutil.rmtree(built.partial, ignore_errors=True)
        raise
    bundle.finish(built)
    return {
        "path": str(built.final),
        "bundle_id": bundle_id,
        "seq": seq,
        "to": to,
        "campaign": camp["name"],
        "submissions": len(subs),
        "files": built.files,
        "objects": built.objects,
        "bytes": built.payload_bytes,
        "tagmanifest_sha256": built.tagmanifest_sha256,
        "forwarded": forwarded,
    }


def _remove_partial(out_dir: Path, name: str) -> None:
    shutil.rmtree(out_dir / bundle.partial_name(name), ignore_errors=True)


def _sources(
    station: Station,
    db,
    camp: dict,
    subs: list[dict],
    tmp: Path,
    ident: keys.Identity,
    prev_row: dict | None,
    forward: bool,
) -> tuple[list[bundle.Source], int, int]:
    """The inner payload: the works' files from the content store, and the generated records in TMP."""
    objects = station.objects
    sources, files_in = forward_wf.sources(station, subs, tmp) if forward else ([], {})
    forwarded = len({src.path.split("/")[2] for src in sources})
    for s in subs:
        if s["id"] in files_in:
            s["files_in"] = files_in[s["id"]]
            continue
        for f in s["files"]:
            inner = f"data/submissions/{s['id']}/{f['path']}"
            label = f"作品 #{s['id']}“{s['title']}”的文件 {f['path']}"
            if not bagit.safe_relpath(inner):
                raise StationError("export.path", f"{label} 的路径不安全，无法导出")
            path = objects.path(f["sha256"])
            if not path.is_file():
                raise StationError("export.object_missing", f"{label} 在内容库中缺失（{path}），导出已中止")
            sources.append(bundle.Source(inner, str(path), f["size"], f["sha256"], label))
    ids = [s["id"] for s in subs]
    marks = ",".join("?" * len(ids))
    decision_rows = list(
        db.query(
            f"SELECT submission_id, value, reason, reviewer, decided_at FROM decisions "
            f"WHERE submission_id IN ({marks}) ORDER BY id",
            ids,
        )
    )
    latest = {d["submission_id"]: d for d in decision_rows}
    _jsonl(tmp / "metadata.jsonl", ({k: v for k, v in s.items() if k != "findings"} for s in subs))
    _jsonl(tmp / "decisions.jsonl", decision_rows)
    _jsonl(tmp / "findings.jsonl", ({"submission_id": s["id"], **f} for s in subs for f in s["findings"]))
    (tmp / "summary").mkdir()
    summary_xlsx.write(
        tmp / "summary" / "汇总表.xlsx",
        f"{ident.name} {camp['name']} 推荐作品汇总表",
        summary.enrich(station, camp, [dict(s, decision_row=latest.get(s["id"])) for s in subs]),
        quota=quotas.status(station, camp["name"]),
    )
    since = prev_row["audit_upto"] if prev_row and prev_row["audit_upto"] else 0
    audit_upto = _audit_segment(db, tmp / "audit", since, ident)
    for rel in (
        "metadata.jsonl",
        "decisions.jsonl",
        "findings.jsonl",
        "summary/汇总表.xlsx",
        "audit/log.jsonl",
        "audit/checkpoint.json",
        "audit/checkpoint.json.sig",
    ):
        p = tmp / rel
        sources.append(bundle.Source(f"data/{rel}", str(p), p.stat().st_size))
    return sources, audit_upto, forwarded


def _audit_segment(db, folder: Path, since: int, ident: keys.Identity) -> int:
    """The audit log after entry SINCE, and a checkpoint of its head signed by this station."""
    folder.mkdir()
    first = last = None
    count = 0
    with open(folder / "log.jsonl", "w", encoding="utf-8") as f:
        for r in db.query(
            "SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit WHERE id > ? ORDER BY id",
            [since],
        ):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            first = first or r
            last = r
            count += 1
    checkpoint = {
        "station": ident.code,
        "from": first["id"] if first else None,
        "upto": last["id"] if last else since,
        "entries": count,
        "prev": first["prev_hash"] if first else None,
        "head": last["hash"] if last else None,
        "created": audit.now(),
    }
    data = json.dumps(checkpoint, ensure_ascii=False, sort_keys=True).encode()
    (folder / "checkpoint.json").write_bytes(data)
    (folder / "checkpoint.json.sig").write_text(sshsig.sign(ident.signing, bundle.CHECKPOINT_NS, data), "ascii")
    return int(checkpoint["upto"] or 0)
