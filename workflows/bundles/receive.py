"""Verify a bundle (no private key) and receive it into this station.

Receiving runs in the format's strict order: intake and layout, outer signature by a trusted
sender, addressed to us and in sequence; only then the index is decrypted and checked, every
file decrypted into staging against both manifests, the audit segment checked; and only then
one transaction imports everything and records the bundle. A crash before the commit leaves
the database as it was; staging is cleared on the next receive.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import store
from exporters import bagit, bundle, sshsig
from exporters.bundle import Problem, Rejected
from store import audit, versions
from workflows import campaigns, keys
from workflows.errors import StationError
from workflows.profiles import load as profiles
from workflows.progress import ProgressFn, bytes_progress, files_progress
from workflows.station import Station, actor

OVERRIDABLE = {"bundle.replay", "bundle.rollback", "bundle.gap", "bundle.equivocation", "bundle.audit_gap"}


@dataclass
class Checked:
    outer: bundle.Outer | None
    signer: sshsig.PublicKey | None = None
    sender: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicate: bool = False

    def as_dict(self, path: Path) -> dict:
        o = self.outer
        return {
            "ok": not self.problems,
            "path": str(path),
            "duplicate": self.duplicate,
            "bundle_id": o.get("External-Identifier") if o else None,
            "sender": o.get("Bundle-Sender") if o else None,
            "sender_name": self.sender["name"] if self.sender else None,
            "seq": int(o.get("Bundle-Seq") or 0) if o and (o.get("Bundle-Seq") or "").isdigit() else None,
            "objects": len(o.manifest) if o else 0,
            "problems": [p.as_dict() for p in self.problems],
            "warnings": [p.as_dict() for p in self.warnings],
        }


def _check(station: Station, path: Path, override: str | None) -> Checked:
    """Steps 1-3: intake, outer signature and sender, addressing and sequence. Nothing is decrypted."""
    outer, problems = bundle.intake(path)
    c = Checked(outer, problems=problems)
    if outer is None:
        return c
    signer, sig_problems = bundle.check_signature(outer)
    c.signer = signer
    c.problems += sig_problems
    if signer is not None and not sig_problems:
        c.sender = keys.sender_for(station, signer)
        claimed = outer.get("Bundle-Sender")
        if c.sender is None:
            revoked = [
                r
                for r in keys.trusted(station, "sender", active=False)
                if r["sign_fingerprint"] == signer.fingerprint and r["revoked_at"]
            ]
            why = f"（该密钥已于 {revoked[0]['revoked_at'][:10]} 吊销）" if revoked else "（未登记为报送单位）"
            c.problems.append(Problem("bundle.untrusted", f"签名密钥 {signer.fingerprint} 不受本站信任{why}，拒收"))
        elif c.sender["code"] != claimed:
            c.problems.append(
                Problem(
                    "bundle.sender_mismatch",
                    f"bag-info.txt 声称发送方是 {claimed}，但签名者是 {c.sender['code']}（{c.sender['name']}）",
                )
            )
    if keys.has_identity(station):
        mine = keys.public(station).enc.fingerprint
        if mine not in outer.address["recipients"]:
            c.problems.append(
                Problem(
                    "bundle.not_for_us",
                    f"此包发给的接收方（{'、'.join(outer.address['recipients'])}）不是本站（{mine}），拒收",
                )
            )
    else:
        c.warnings.append(Problem("keys.missing", "本站没有密钥，未检查此包是否发给本站"))
    if not c.problems:
        for p in _sequence(station, outer):
            if p.code == "bundle.duplicate":
                c.duplicate = True
            elif p.code in OVERRIDABLE and override:
                c.warnings.append(p)
            else:
                c.problems.append(p)
    return c


def _sequence(station: Station, outer: bundle.Outer) -> list[Problem]:
    sender, bundle_id = outer.get("Bundle-Sender"), outer.get("External-Identifier")
    seq, prev, digest = int(outer.get("Bundle-Seq") or 0), outer.get("Bundle-Prev"), outer.tagmanifest_sha256
    rows = list(station.db().query("SELECT * FROM received_bundles WHERE sender = ? ORDER BY id", [sender]))
    same = [r for r in rows if r["bundle_id"] == bundle_id]
    if same:
        if any(r["tagmanifest_sha256"] == digest for r in same):
            return [Problem("bundle.duplicate", f"此包（{bundle_id}）已接收过，无需再次接收")]
        return [
            Problem("bundle.equivocation", f"警告：包编号 {bundle_id} 已接收过，但内容不同（同一编号两个版本），拒收")
        ]
    if not rows:
        if seq != 1 or prev != "none":
            return [Problem("bundle.gap", f"这是本站第一次收到 {sender} 的包，但其序号为 {seq}：之前的包缺失")]
        return []
    last = max(rows, key=lambda r: (r["seq"], r["id"]))
    if seq <= last["seq"]:
        if any(r["seq"] == seq for r in rows):
            return [Problem("bundle.replay", f"序号 {seq} 已收到过另一个包：疑似重放，拒收")]
        return [Problem("bundle.rollback", f"序号 {seq} 比已接收的最新序号 {last['seq']} 旧：疑似回滚，拒收")]
    if seq != last["seq"] + 1 or prev != last["tagmanifest_sha256"]:
        return [
            Problem("bundle.gap", f"序号 {seq} 与已接收的最新序号 {last['seq']} 不衔接（中间的包缺失或被替换），拒收")
        ]
    return []


def verify(station: Station, path: Path, progress: ProgressFn | None = None) -> dict:
    """Everything that can be checked without a private key, every object hashed."""
    path = Path(path)
    c = _check(station, path, None)
    if c.outer is not None:
        c.problems += bundle.hash_objects(c.outer, bytes_progress("verify", progress))
    return c.as_dict(path)


def receive(
    station: Station,
    path: Path,
    passphrase: bytes | Callable[[], bytes] | None,
    campaign: str | None = None,
    override: str | None = None,
    progress: ProgressFn | None = None,
    workers: int | None = None,
) -> dict:
    path = Path(path)
    override = (override or "").strip() or None
    staging_root = station.spool / "receive"
    clean_staging(staging_root)  # what a killed receive left, whatever this run then does
    station.objects.clean_tmp()  # and the object it was writing when it was killed
    c = _check(station, path, override)
    if c.problems:
        raise Rejected(c.problems)
    if c.duplicate:
        return dict(c.as_dict(path), imported=0)
    if callable(passphrase):
        passphrase = passphrase()
    if passphrase is None:
        raise StationError(
            "passphrase.missing", "需要本站密钥口令：请用 --passphrase-file 或 STATION_PASSPHRASE_FILE 提供"
        )
    ident = keys.unlock(station, passphrase)
    outer = c.outer
    assert outer is not None and c.signer is not None  # a bundle without problems has both
    inner = bundle.open_index(outer, ident.enc)
    problems = bundle.check_inner(outer, inner, c.signer)
    if problems:
        raise Rejected(problems)
    staging = staging_root / f"{os.getpid()}-{outer.get('External-Identifier')}"
    staging.mkdir(parents=True)
    try:
        need = sum((outer.root / o).stat().st_size for o in outer.manifest)
        free = shutil.disk_usage(staging).free
        if free < need + 2**26:
            raise StationError(
                "receive.space", f"磁盘空间不足：需要约 {need / 2**30:.1f} GB，只剩 {free / 2**30:.1f} GB"
            )
        files, problems = bundle.decrypt_files(
            outer, inner, ident.enc, staging, files_progress("receive", progress), workers
        )
        if problems:
            raise Rejected(problems)
        records = _records(files)
        _check_references(inner, records)
        c.warnings += _check_audit(station, outer, c.signer, files, records, override)
        forwarded = _check_forwarded(station, c, inner, files)
        result = _commit(station, c, inner, files, records, campaign, override)
        result["forwarded"] = forwarded
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging_root.rmdir()  # empty unless another receive is running
    return dict(c.as_dict(path), **result)


def clean_staging(staging_root: Path) -> None:
    """Remove the staging folders of receives whose process is gone (killed before or after their commit)."""
    if not staging_root.is_dir():
        return
    for p in staging_root.iterdir():
        pid = p.name.split("-", 1)[0]
        if not pid.isdigit() or not bundle.pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        staging_root.rmdir()


def _records(files: dict) -> dict:
    def jsonl(name: str) -> list[dict]:
        if name not in files:
            raise Rejected([Problem("bundle.content", f"包中缺少 {name}")])
        try:
            with open(files[name][0], encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise Rejected([Problem("bundle.content", f"{name} 无法读取：{e}")]) from None

    return {
        "metadata": jsonl("data/metadata.jsonl"),
        "decisions": jsonl("data/decisions.jsonl"),
        "findings": jsonl("data/findings.jsonl"),
    }


RECORDS = (
    "data/metadata.jsonl",
    "data/decisions.jsonl",
    "data/findings.jsonl",
    "data/summary/汇总表.xlsx",
    "data/audit/log.jsonl",
    "data/audit/checkpoint.json",
    "data/audit/checkpoint.json.sig",
)


def _check_references(inner: bundle.Inner, records: dict) -> None:
    """Every payload file is a record, a file of a work the bundle carries, or part of a forwarded inner bag; and
    every decision and finding names a work the bundle carries. Anything else was slipped into a signed bag."""
    carried = {s.get("id") for s in records["metadata"]}
    referenced = set(RECORDS)
    for s in records["metadata"]:
        base = s.get("files_in") or f"data/submissions/{s.get('id')}/"
        referenced |= {base + f.get("path", "") for f in s.get("files") or [] if isinstance(f, dict)}
    forwarded = tuple(bundle.forwarded_prefixes(inner.manifest))
    stray = sorted(p for p in inner.manifest if p not in referenced and not p.startswith(forwarded))
    problems = [
        Problem("bundle.inner_mismatch", f"内层包中的文件 {p} 不属于包中任何作品或记录，拒收", p) for p in stray[:20]
    ]
    for name in ("decisions", "findings"):
        unknown = sorted({str(r.get("submission_id")) for r in records[name]} - {str(i) for i in carried})
        if unknown:
            problems.append(
                Problem(
                    "bundle.inner_mismatch",
                    f"{name}.jsonl 中的作品 #{'、#'.join(unknown[:10])} 不在此包中，拒收",
                    f"data/{name}.jsonl",
                )
            )
    if problems:
        raise Rejected(problems)


def _check_audit(
    station: Station, outer: bundle.Outer, signer: sshsig.PublicKey, files: dict, records: dict, override: str | None
) -> list[Problem]:
    """The audit segment is an unbroken chain ending at the signed checkpoint, continuing the last one received."""
    try:
        cp_bytes = files["data/audit/checkpoint.json"][0].read_bytes()
        sig = files["data/audit/checkpoint.json.sig"][0].read_text("ascii")
        log = files["data/audit/log.jsonl"][0]
    except (KeyError, OSError, UnicodeDecodeError):
        raise Rejected([Problem("bundle.audit", "包中缺少审计日志或其签名检查点")]) from None
    try:
        if sshsig.verify(sig, cp_bytes, bundle.CHECKPOINT_NS) != signer:
            raise sshsig.SignatureError("signed by another key")
        checkpoint = json.loads(cp_bytes)
    except (sshsig.SignatureError, json.JSONDecodeError) as e:
        raise Rejected([Problem("bundle.audit", f"审计检查点的签名无效：{e}")]) from None
    sender = outer.get("Bundle-Sender")
    row = (
        station.db()
        .execute(
            "SELECT audit_head FROM received_bundles WHERE sender = ? AND audit_head IS NOT NULL "
            "ORDER BY seq DESC, id DESC LIMIT 1",
            [sender],
        )
        .fetchone()
    )
    expected_prev = row[0] if row else audit.GENESIS
    prev, count, first_prev = None, 0, None
    with open(log, encoding="utf-8") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                raise Rejected([Problem("bundle.audit", f"发送方审计日志第 {count + 1} 行无法读取")]) from None
            count += 1
            if first_prev is None:
                first_prev = prev = entry["prev_hash"]
            if (
                entry["prev_hash"] != prev
                or audit._digest(
                    entry["prev_hash"], entry["at"], entry["actor"], entry["action"], entry["subject"], entry["detail"]
                )
                != entry["hash"]
            ):
                raise Rejected(
                    [Problem("bundle.audit", f"发送方审计日志第 {entry['id']} 条的哈希链断裂（日志被改动）")]
                )
            prev = entry["hash"]
    if count != checkpoint.get("entries") or (count and prev != checkpoint.get("head")):
        raise Rejected([Problem("bundle.audit", "发送方审计日志与其签名检查点不符")])
    if count and first_prev != expected_prev:
        p = Problem("bundle.audit_gap", "发送方审计日志没有接续上一次收到的检查点（中间有缺失）")
        if not override:
            raise Rejected([p])
        return [p]
    return []


def _check_forwarded(station: Station, c: Checked, inner: bundle.Inner, files: dict) -> list[dict]:
    """Inner bags the sender forwarded from its own senders: signed by them and addressed to the sender."""
    assert c.sender is not None  # a verified bundle has a known sender
    found, problems = bundle.check_forwarded(
        inner.manifest, lambda p: files[p][0].read_bytes(), c.sender["age_fingerprint"]
    )
    if problems:
        raise Rejected(problems)
    known = {r["sign_fingerprint"]: r for r in keys.trusted(station)}
    for f in found:
        row = known.get(f["signer"])
        f["signer_known"] = row is not None and row["code"] == f["sender"]
        if not f["signer_known"]:
            c.warnings.append(
                Problem(
                    "bundle.forwarded_signer",
                    f"转报的 {f['sender']} 报送包签名完整，但其签名密钥 {f['signer']} 未在本站登记，请与该单位核对指纹",
                )
            )
    return found


def _campaign(station: Station, db, inner: bundle.Inner, ref: str | None) -> dict:
    if ref:
        return campaigns.get(station, ref)
    name = bagit.info_get(inner.info, "Bundle-Campaign") or "报送作品"
    row = next(db.query("SELECT * FROM campaigns WHERE name = ?", [name]), None)
    if row:
        return row
    profile_id = bagit.info_get(inner.info, "Bundle-Campaign-Profile") or ""
    try:
        profile = profiles.load(profile_id, station.config_dir)
    except StationError:
        raise StationError(
            "receive.campaign", f"本站没有项目配置 {profile_id}：请用 --campaign 指定接收到哪个征集活动"
        ) from None
    year = bagit.info_get(inner.info, "Bundle-Campaign-Year")
    camp_id = db.execute(
        "INSERT INTO campaigns (name, profile, profile_version, year, created_at) VALUES (?,?,?,?,?)",
        [name, profile.id, profile.version, int(year) if year and year.isdigit() else None, audit.now()],
    ).lastrowid
    audit.append(
        db,
        actor(),
        "campaign.added",
        f"campaign:{camp_id}",
        name=name,
        profile=profile.id,
        profile_version=profile.version,
        year=year,
        by="bundle",
    )
    return next(db.query("SELECT * FROM campaigns WHERE id = ?", [camp_id]))


def _commit(
    station: Station,
    c: Checked,
    inner: bundle.Inner,
    files: dict,
    records: dict,
    campaign_ref: str | None,
    override: str | None,
) -> dict:
    outer = c.outer
    assert outer is not None and c.sender is not None  # a verified bundle
    sender, sender_name = c.sender["code"], c.sender["name"]
    bundle_id, seq = outer.get("External-Identifier"), int(outer.get("Bundle-Seq") or 0)
    decisions: dict[int, list[dict]] = {}
    for d in records["decisions"]:
        decisions.setdefault(d["submission_id"], []).append(d)
    findings: dict[int, list[dict]] = {}
    for f in records["findings"]:
        findings.setdefault(f["submission_id"], []).append(f)
    db = station.db()
    now = audit.now()
    who = actor()
    imported, new_versions, unchanged, moved = [], 0, 0, set()
    objects = station.objects
    tar_sha = hashlib.sha256(inner.tar).hexdigest()
    with store.write(db):
        late = [p for p in _sequence(station, outer) if not (override and p.code in OVERRIDABLE)]
        if late:  # another receive of the same sender committed while this one was decrypting
            raise Rejected(late)
        camp = _campaign(station, db, inner, campaign_ref)
        for s in records["metadata"]:
            rows = []
            base = s.get("files_in") or f"data/submissions/{s['id']}/"
            if not (base.endswith("/") and bagit.safe_relpath(base[:-1])):
                raise Rejected([Problem("bundle.inner_unsafe", f"作品 #{s['id']} 的文件位置不安全：{base!r}")])
            for f in s["files"]:
                inner_path = base + f["path"]
                staged = files.get(inner_path)
                if staged is None or staged[1] != f["sha256"]:
                    raise Rejected(
                        [Problem("bundle.content", f"作品 #{s['id']} 的文件 {f['path']} 与元数据不符或缺失")]
                    )
                rows.append(f)
            source_key = f"bundle/{sender}/{s['id']}"
            fingerprint = hashlib.sha256(
                json.dumps(
                    [[f["path"], f["sha256"]] for f in rows]
                    + [[d["value"], d["decided_at"]] for d in decisions.get(s["id"], [])],
                    ensure_ascii=False,
                ).encode()
            ).hexdigest()
            own = decisions.get(s["id"], [])
            meta = dict(s.get("meta") or {})
            if meta.get("bundle"):
                meta["bundle_origin"] = meta["bundle"]  # where the sender had it from
            meta["bundle"] = {
                "sender": sender,
                "sender_name": sender_name,
                "bundle_id": bundle_id,
                "seq": seq,
                "submission_id": s["id"],
                "decision": own[-1]["value"] if own else None,
            }
            values = {k: s.get(k) for k in versions.COLUMNS}
            values["title"] = s["title"]
            values["county"] = s.get("county") or sender_name
            saved = versions.save_version(
                db,
                camp["id"],
                source_key,
                fingerprint,
                values,
                meta=meta,
                source=f"{sender_name}（{sender}）报送包 {bundle_id}",
                at=now,
                authors=[(a["name"], a.get("role"), a.get("unit")) for a in s.get("author_roles") or []],
                files=[
                    dict(
                        f,
                        listing=json.dumps(f["listing"], ensure_ascii=False) if f.get("listing") is not None else None,
                    )
                    for f in rows
                ],
                findings=findings.get(s["id"], []),
            )
            if saved is None:
                unchanged += 1
                continue
            sub_id = saved.id
            if saved.supersedes:
                new_versions += 1
            for d in own:
                db.execute(
                    "INSERT INTO sender_decisions (submission_id, sender, bundle_id, value, reason, reviewer, "
                    "decided_at) VALUES (?,?,?,?,?,?,?)",
                    [sub_id, sender, bundle_id, d["value"], d.get("reason"), d["reviewer"], d["decided_at"]],
                )
            audit.append(
                db,
                who,
                "submission.received",
                f"submission:{sub_id}",
                sender=sender,
                bundle_id=bundle_id,
                sender_submission=s["id"],
                version=saved.version,
                supersedes=saved.supersedes,
                files=len(rows),
            )
            imported.append(sub_id)
        checkpoint = json.loads(files["data/audit/checkpoint.json"][0].read_bytes())
        for _, (staged, sha, _size) in sorted(files.items()):
            if sha not in moved:
                _store(objects, staged, sha)
                moved.add(sha)
        index = objects.path(tar_sha)
        if not index.exists():
            with objects.writer() as w:
                w.write(inner.tar)
                w.commit()
        total = sum(size for _, _, size in files.values())
        db.execute(
            "INSERT INTO received_bundles (bundle_id, sender, seq, prev, tagmanifest_sha256, campaign_id, "
            "inner_tags, audit_head, submissions, bytes, override_reason, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                bundle_id,
                sender,
                seq,
                outer.get("Bundle-Prev"),
                outer.tagmanifest_sha256,
                camp["id"],
                tar_sha,
                checkpoint.get("head") or _last_head(db, sender),
                len(imported),
                total,
                override,
                now,
            ],
        )
        audit.append(
            db,
            who,
            "bundle.received",
            f"campaign:{camp['id']}",
            bundle_id=bundle_id,
            sender=sender,
            seq=seq,
            submissions=imported,
            unchanged=unchanged,
            tagmanifest_sha256=outer.tagmanifest_sha256,
            override_reason=override,
            overridden=[w.code for w in c.warnings if w.code in OVERRIDABLE],
        )
    return {
        "campaign": camp["name"],
        "imported": len(imported),
        "versions": new_versions,
        "unchanged": unchanged,
        "ids": imported,
        "files": len(files),
        "bytes": total,
    }


def _last_head(db, sender: str) -> str | None:
    row = db.execute(
        "SELECT audit_head FROM received_bundles WHERE sender = ? ORDER BY seq DESC, id DESC LIMIT 1", [sender]
    ).fetchone()
    return row[0] if row else None


def _store(objects, staged: Path, sha: str) -> None:
    final = objects.path(sha)
    if final.exists():
        staged.unlink()
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(staged, 0o444)
    os.replace(staged, final)
