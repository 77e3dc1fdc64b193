"""Bundles end to end: a county exports its recommended works, the city verifies and receives them.

Real stations (SQLite files, content stores), real `age`, `ssh-keygen` and bagit-python as the
independent checkers, real subprocesses killed with SIGKILL.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import tree

from exporters import age, bagit, bundle, sshsig
from exporters.bundle import Rejected
from workflows import campaigns, doctor, keys
from workflows.bundles import export, receive
from workflows.errors import StationError
from workflows.ingest import importer as ingest
from workflows.review import decide as review
from workflows.station import Station

COUNTY_PASS = b"county-pass-1"
CITY_PASS = b"city-pass-123"
needs_age = pytest.mark.skipif(shutil.which("age") is None, reason="the age CLI is not installed (make setup)")
needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed (make setup)"
)


@dataclass
class Net:
    tmp: Path
    county: Station
    city: Station
    recommended: int
    rejected: int

    def pw(self, who: str) -> Path:
        p = self.tmp / f"{who}.pass"
        p.write_bytes((COUNTY_PASS if who == "county" else CITY_PASS) + b"\n")
        return p


def new_station(tmp: Path, name: str, org: str, code: str, passphrase: bytes) -> Station:
    st = Station.open(tmp / name / "station.db")
    keys.init(st, org, code, passphrase)
    keys.export_public(st, tmp / f"{name}.pub")
    return st


def recommend(station: Station, ids: list[int], value: str = "recommend", reason: str | None = None) -> None:
    review.decide(station, ids, value, reason, reviewer="李评审")


@pytest.fixture
def net(tmp_path, video) -> Net:
    county = new_station(tmp_path, "county", "某某县教育局", "410102", COUNTY_PASS)
    city = new_station(tmp_path, "city", "某某市教育局", "4101", CITY_PASS)
    keys.trust(county, tmp_path / "city.pub", "recipient")
    keys.trust(city, tmp_path / "county.pub", "sender")
    campaigns.add(county, "课后服务2024", "after-school-2024")
    share = tree(
        tmp_path / "share",
        {
            "第一小学课后服务课程资源/趣味数学/课程视频.mp4": video,
            "第一小学课后服务课程资源/趣味数学/教学设计 #1.txt": "教学设计：趣味数学\n".encode() * 50,
            "第一小学课后服务课程资源/趣味数学/素材/资料.bin": os.urandom(3 * age.CHUNK + 5),
            "第一小学课后服务课程资源/创意美术/课程视频.mp4": video.read_bytes() + b"\0",
        },
    )
    summary = ingest.run(county, [str(share)])
    by_title = {s["title"]: s["id"] for s in county.db().query("SELECT id, title FROM submissions")}
    assert summary.submissions == 2, by_title
    recommend(county, [by_title["趣味数学"]], reason="选题新颖")
    recommend(county, [by_title["创意美术"]], "reject", "画面模糊")
    return Net(tmp_path, county, city, by_title["趣味数学"], by_title["创意美术"])


def do_export(net: Net, to: str = "4101", out: Path | None = None, **kw) -> dict:
    return export.export(net.county, None, to, out or net.tmp / "out", COUNTY_PASS, **kw)


def do_receive(net: Net, path, station: Station | None = None, passphrase: bytes = CITY_PASS, **kw) -> dict:
    return receive.receive(station or net.city, Path(path), passphrase, **kw)


def rejected(fn, *args, **kw) -> list[bundle.Problem]:
    with pytest.raises(Rejected) as e:
        fn(*args, **kw)
    return e.value.problems


def codes(problems) -> set[str]:
    return {p.code if isinstance(p, bundle.Problem) else p["code"] for p in problems}


def city_identity(net: Net) -> age.Identity:
    return keys.unlock(net.city, CITY_PASS).enc


def db_state(station: Station) -> dict:
    db = station.db()
    return {
        t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("submissions", "files", "findings", "sender_decisions", "received_bundles", "audit", "campaigns")
    }


def station_cli(db: Path, *args, passfile: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8")
    env.pop("STATION_PASSPHRASE_FILE", None)
    if passfile:
        env["STATION_PASSPHRASE_FILE"] = str(passfile)
    return subprocess.run(
        [str(Path(sys.executable).parent / "station"), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# --- the happy path ---------------------------------------------------------------------------------


def test_cli_export_verify_receive(net):
    county_db, city_db = net.county.db_path, net.city.db_path
    p = station_cli(
        county_db,
        "export",
        "--campaign",
        "课后服务2024",
        "--to",
        "4101",
        "--out",
        net.tmp / "out",
        "--json",
        passfile=net.pw("county"),
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    path = Path(out["path"])
    assert path.is_dir() and path.name.endswith(".bundle") and path.parent == net.tmp / "out"
    assert out["submissions"] == 1 and out["seq"] == 1
    assert [x.name for x in (net.tmp / "out").iterdir()] == [path.name]

    p = station_cli(city_db, "verify", path, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    v = json.loads(p.stdout)
    assert v["ok"] and v["sender"] == "410102" and v["seq"] == 1 and v["problems"] == []

    p = station_cli(city_db, "receive", path, "--json", passfile=net.pw("city"))
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(p.stdout)
    assert r["imported"] == 1 and r["campaign"] == "课后服务2024"

    city = {s["title"]: s for s in json.loads(station_cli(city_db, "list", "--json").stdout)}
    assert set(city) == {"趣味数学"}
    work = city["趣味数学"]
    county_work = next(
        s for s in json.loads(station_cli(county_db, "list", "--json").stdout) if s["title"] == "趣味数学"
    )
    assert [(f["path"], f["sha256"], f["size"]) for f in work["files"]] == [
        (f["path"], f["sha256"], f["size"]) for f in county_work["files"]
    ]
    for f in work["files"]:
        data = net.city.objects.path(f["sha256"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
    assert work["county"] == "某某县教育局" and work["meta"]["bundle"]["decision"] == "recommend"
    assert work["decision"] is None  # the county's decision is the county's, not the city's
    sd = list(net.city.db().query("SELECT * FROM sender_decisions"))
    assert [(d["sender"], d["value"], d["reason"], d["reviewer"]) for d in sd] == [
        ("410102", "recommend", "选题新颖", "李评审")
    ]
    assert {(f["rule"], f["status"]) for f in work["findings"]} == {
        (f["rule"], f["status"]) for f in county_work["findings"]
    }

    before = db_state(net.city)
    p = station_cli(city_db, "receive", path, "--json", passfile=net.pw("city"))
    assert p.returncode == 0 and json.loads(p.stdout)["duplicate"] is True
    assert db_state(net.city) == before


def test_bundle_contents_and_second_bundle_chains(net):
    first = do_export(net)
    do_receive(net, first["path"])
    assert net.city.db().execute("SELECT seq, prev FROM received_bundles").fetchall() == [(1, "none")]
    # a second round: another work recommended, the next bundle names the first one
    recommend(net.county, [net.rejected], "recommend", "复议后推荐")
    second = do_export(net)
    assert second["seq"] == 2
    outer, problems = bundle.intake(Path(second["path"]))
    assert problems == [] and outer.get("Bundle-Prev") == first["tagmanifest_sha256"]
    r = do_receive(net, second["path"])
    # the work received in the first bundle comes again with the same files and decisions: unchanged, not a version
    assert (r["imported"], r["unchanged"], r["versions"]) == (1, 1, 0)
    titles = {row[0] for row in net.city.db().execute("SELECT title FROM submissions WHERE status = 'imported'")}
    assert titles == {"趣味数学", "创意美术"}


def test_inner_records(net):
    calls = []
    path = Path(do_export(net, progress=calls.append)["path"])
    last = calls[-1]
    assert last.job == "export" and last.bytes_done == last.bytes_total > 0 and last.done == last.total > 5
    assert [c.bytes_done for c in calls] == sorted(c.bytes_done for c in calls)
    inner = bundle.open_index(bundle.intake(path)[0], city_identity(net))
    names = set(inner.manifest)
    assert {
        "data/metadata.jsonl",
        "data/decisions.jsonl",
        "data/findings.jsonl",
        "data/summary/汇总表.xlsx",
        "data/audit/log.jsonl",
        "data/audit/checkpoint.json",
        "data/audit/checkpoint.json.sig",
    } <= names
    assert f"data/submissions/{net.recommended}/教学设计 #1.txt" in names
    assert not any(n.startswith(f"data/submissions/{net.rejected}/") for n in names)
    assert bagit.info_get(inner.info, "Bundle-Recipient") == "4101"
    assert bagit.info_get(inner.info, "Bundle-Campaign") == "课后服务2024"


# --- independent checkers -------------------------------------------------------------------------


def rebuild_inner(path: Path, ident: age.Identity, dest: Path) -> None:
    """The inner bag on disk, made with plain tools: tarfile and our age decrypt."""
    tar_bytes = age.decrypt_bytes((path / bundle.INDEX).read_bytes(), [ident])
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        tar.extractall(dest, filter="data")
    for line in (dest / "objects.txt").read_text("utf-8").splitlines():
        obj, _, inner_path = line.split("  ", 2)
        target = dest / bagit.decode_path(inner_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "ab") as f:
            f.write(age.decrypt_bytes((path / obj).read_bytes(), [ident]))


def test_both_layers_validate_with_bagit_python(net, tmp_path):
    import bagit as bagit_py

    path = Path(do_export(net, part_size=100_000)["path"])
    copy = tmp_path / "outer"
    shutil.copytree(path, copy)
    outer = bagit_py.Bag(str(copy))
    outer.validate()
    assert outer.info["Bundle-Sender"] == "410102" and outer.info["Bundle-Seq"] == "1"
    rebuild_inner(path, city_identity(net), tmp_path / "inner")
    inner = bagit_py.Bag(str(tmp_path / "inner"))
    inner.validate()
    assert inner.info["External-Identifier"] == outer.info["External-Identifier"]
    # and bagit-python notices damage, so the checks above are not vacuous
    target = next((tmp_path / "inner" / "data" / "submissions").rglob("资料.bin"))
    data = target.read_bytes()
    target.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # always a change (the file is random bytes)
    with pytest.raises(bagit_py.BagValidationError):
        bagit_py.Bag(str(tmp_path / "inner")).validate()


@needs_age
def test_every_object_opens_with_age_cli(net, tmp_path):
    path = Path(do_export(net, part_size=100_000)["path"])
    p = station_cli(
        net.city.db_path, "keys", "export-identity", "--plaintext", tmp_path / "id.txt", passfile=net.pw("city")
    )
    assert p.returncode == 2 and "confirm.required" in p.stderr and not (tmp_path / "id.txt").exists()
    p = station_cli(
        net.city.db_path,
        "keys",
        "export-identity",
        "--plaintext",
        tmp_path / "id.txt",
        "--yes",
        passfile=net.pw("city"),
    )
    assert p.returncode == 0, p.stderr
    assert "未加密" in p.stdout and (tmp_path / "id.txt").stat().st_mode & 0o777 == 0o600
    plain = {}
    for obj in sorted((path / "data").iterdir()):
        r = subprocess.run(["age", "-d", "-i", str(tmp_path / "id.txt"), str(obj)], capture_output=True)
        assert r.returncode == 0, (obj.name, r.stderr)
        plain[f"data/{obj.name}"] = r.stdout
    with tarfile.open(fileobj=io.BytesIO(plain.pop(bundle.INDEX))) as tar:
        objects_txt = tar.extractfile("objects.txt").read().decode()
    parts: dict[str, list[str]] = {}
    for line in objects_txt.splitlines():
        obj, _, inner_path = line.split("  ", 2)
        parts.setdefault(inner_path, []).append(obj)
    video = next(f for f in parts if f.endswith("资料.bin"))
    assert len(parts[video]) == 2  # split at the part size, each part a whole age file
    sha = next(
        f["sha256"]
        for s in export.recommended(net.county.db(), 1)
        for f in s["files"]
        if f["path"].endswith("资料.bin")
    )
    assert hashlib.sha256(b"".join(plain[o] for o in parts[video])).hexdigest() == sha
    r = do_receive(net, path)
    assert r["imported"] == 1


@needs_age
def test_identity_file_opens_with_age_cli_and_is_private(net, tmp_path):
    from test_age import age_with_passphrase

    key_file = keys.key_path(net.county)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert b"AGE-SECRET-KEY" not in key_file.read_bytes()
    assert age_with_passphrase(["-d", "-o", str(tmp_path / "id.txt"), str(key_file)], COUNTY_PASS) == 0
    ident = age.parse_identities((tmp_path / "id.txt").read_text())[0]
    assert ident.recipient == keys.public(net.county).enc


@needs_ssh_keygen
def test_signatures_verify_with_ssh_keygen(net, tmp_path):
    path = Path(do_export(net)["path"])
    pub = keys.public(net.county)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"410102 {pub.sign.openssh()}\n")

    def ssh_verify(namespace: str, sig: Path, data: bytes) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "410102", "-n", namespace, "-s", str(sig)],
            input=data,
            capture_output=True,
        )

    p = ssh_verify("bundle-outer", path / bundle.SIG_PATH, (path / "tagmanifest-sha256.txt").read_bytes())
    assert p.returncode == 0, p.stderr
    rebuild_inner(path, city_identity(net), tmp_path / "inner")
    inner = tmp_path / "inner"
    p = ssh_verify("bundle-inner", inner / bundle.SIG_PATH, (inner / "tagmanifest-sha256.txt").read_bytes())
    assert p.returncode == 0, p.stderr
    p = ssh_verify(
        "audit-checkpoint",
        inner / "data/audit/checkpoint.json.sig",
        (inner / "data/audit/checkpoint.json").read_bytes(),
    )
    assert p.returncode == 0, p.stderr
    assert (
        ssh_verify("bundle-inner", path / bundle.SIG_PATH, (path / "tagmanifest-sha256.txt").read_bytes()).returncode
        != 0
    )


def test_keys_public_file_and_registry(net, tmp_path):
    p = station_cli(net.county.db_path, "keys", "export-public", tmp_path / "k.pub")
    assert p.returncode == 0
    lines = [l for l in (tmp_path / "k.pub").read_text().splitlines() if l and not l.startswith("#")]
    assert lines[0] == "station-code: 410102" and lines[1] == "station-name: 某某县教育局"
    assert (
        len([l for l in lines if l.startswith("ssh-ed25519 ")]) == 1
        and len([l for l in lines if l.startswith("age1")]) == 1
    )
    show = json.loads(station_cli(net.city.db_path, "keys", "show", "--json").stdout)
    assert show["station"]["code"] == "4101" and show["trusted"][0]["code"] == "410102"
    assert "SECRET" not in json.dumps(show) and "seed" not in json.dumps(show)
    p = station_cli(net.city.db_path, "keys", "init", "--org", "x", "--code", "9", passfile=net.pw("city"))
    assert p.returncode == 2 and "keys.exists" in p.stderr
    p = station_cli(net.city.db_path, "keys", "trust", net.tmp / "county.pub", "--role", "sender", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["added"] is False


# --- export refusals --------------------------------------------------------------------------------


def test_changed_source_aborts_export_naming_the_file(net):
    sha = next(
        f["sha256"] for s in export.recommended(net.county.db(), 1) for f in s["files"] if f["path"].endswith(".txt")
    )
    obj = net.county.objects.path(sha)
    obj.chmod(0o644)
    obj.write_bytes(obj.read_bytes().replace("趣味".encode(), "无趣".encode(), 1))
    with pytest.raises(StationError) as e:
        do_export(net)
    assert e.value.code == "export.source_changed"
    assert "教学设计 #1.txt" in e.value.message and "趣味数学" in e.value.message
    assert list((net.tmp / "out").iterdir()) == []
    assert net.county.db().execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0


def test_export_needs_a_trusted_recipient_and_the_passphrase(net):
    with pytest.raises(StationError) as e:
        do_export(net, to="4199")
    assert e.value.code == "export.recipient_unknown"
    with pytest.raises(StationError) as e:
        export.export(net.county, None, "4101", net.tmp / "out", b"wrong passphrase")
    assert e.value.code == "passphrase.wrong" and "口令错误" in e.value.message
    p = station_cli(net.county.db_path, "export", "--to", "4101", "--out", net.tmp / "out")
    assert p.returncode == 2 and "passphrase.missing" in p.stderr


# --- tampering: each one refused with its own message ---------------------------------------------------


def object_of(net: Net, path: Path, suffix: str) -> str:
    inner = bundle.open_index(bundle.intake(path)[0], city_identity(net))
    return next(objs[0] for p, objs in inner.objects.items() if p.endswith(suffix))


def both_refuse(net: Net, path: Path, code: str, text: str, obj: str | None = None) -> None:
    v = receive.verify(net.city, path)
    assert not v["ok"] and code in codes(v["problems"]), v["problems"]
    hit = [p for p in v["problems"] if p["code"] == code]
    assert any(text in p["message"] for p in hit), hit
    if obj:
        assert any(p["object"] == obj for p in hit)
    before = db_state(net.city)
    problems = rejected(do_receive, net, path)
    assert code in codes(problems), problems
    assert any(text in p.message for p in problems if p.code == code)
    assert db_state(net.city) == before


def test_flipped_byte_in_object(net):
    path = Path(do_export(net)["path"])
    obj = object_of(net, path, "资料.bin")
    data = bytearray((path / obj).read_bytes())
    data[len(data) // 2] ^= 0x01
    (path / obj).write_bytes(bytes(data))
    both_refuse(net, path, "bundle.damaged", obj, obj)
    p = station_cli(net.city.db_path, "verify", path)
    assert p.returncode == 1 and f"需要重新拷贝的对象：{obj}" in p.stderr


def test_truncated_object(net):
    path = Path(do_export(net)["path"])
    obj = object_of(net, path, "资料.bin")
    data = (path / obj).read_bytes()
    (path / obj).write_bytes(data[:-1000])
    both_refuse(net, path, "bundle.truncated", "不完整（被截断）", obj)
    assert {"bundle.oxum", "bundle.damaged"} <= codes(receive.verify(net.city, path)["problems"])


def test_missing_object(net):
    path = Path(do_export(net)["path"])
    obj = object_of(net, path, "课程视频.mp4")
    (path / obj).unlink()
    both_refuse(net, path, "bundle.missing", obj, obj)


def test_extra_object(net):
    path = Path(do_export(net)["path"])
    (path / "data" / "999999.age").write_bytes(b"age-encryption.org/v1\n")
    both_refuse(net, path, "bundle.extra", "data/999999.age", "data/999999.age")


@pytest.mark.parametrize("tag", ["bag-info.txt", "manifest-sha256.txt"])
def test_edited_tag_file(net, tag):
    path = Path(do_export(net)["path"])
    text = (path / tag).read_text()
    edited = text.replace("Bundle-Seq: 1", "Bundle-Seq: 7") if tag == "bag-info.txt" else "0" * 64 + text[64:]
    (path / tag).write_text(edited)
    both_refuse(net, path, "bundle.tag_altered", tag)


def test_edited_tag_manifest_breaks_the_signature(net):
    path = Path(do_export(net)["path"])
    info = path / "bag-info.txt"
    old = hashlib.sha256(info.read_bytes()).hexdigest()
    info.write_text(info.read_text().replace("Bundle-Seq: 1", "Bundle-Seq: 9"))
    tm = path / "tagmanifest-sha256.txt"  # made consistent again, as a careful forger would
    tm.write_text(tm.read_text().replace(old, hashlib.sha256(info.read_bytes()).hexdigest()))
    assert not bagit.check_tags(path)[1]
    both_refuse(net, path, "bundle.signature", "外层签名无效")


def test_untrusted_and_revoked_signers(net, tmp_path):
    rogue = new_station(tmp_path, "rogue", "冒名县教育局", "410102", b"rogue-pass-1")  # claims the county's code
    keys.trust(rogue, tmp_path / "city.pub", "recipient")
    campaigns.add(rogue, "课后服务2024", "after-school-2024")
    share = tree(tmp_path / "rshare", {"第二小学课后服务课程资源/冒名/课程视频.mp4": b"fake video"})
    ingest.run(rogue, [str(share)])
    recommend(rogue, [1])
    path = Path(export.export(rogue, None, "4101", tmp_path / "rout", b"rogue-pass-1")["path"])
    both_refuse(net, path, "bundle.untrusted", "不受本站信任")

    good = Path(do_export(net)["path"])
    keys.revoke(net.city, "410102", "sender", "密钥遗失")
    both_refuse(net, good, "bundle.untrusted", "吊销")


def test_bundle_for_another_city(net, tmp_path):
    other = new_station(tmp_path, "other", "另一市教育局", "4102", b"other-pass-1")
    keys.trust(net.county, tmp_path / "other.pub", "recipient")
    path = Path(do_export(net, to="4102")["path"])
    both_refuse(net, path, "bundle.not_for_us", "不是本站")
    keys.trust(other, net.tmp / "county.pub", "sender")
    assert do_receive(net, path, station=other, passphrase=b"other-pass-1")["imported"] == 1


def forget_last_export(net: Net) -> None:
    """The county restored an old backup: its record of the last bundle sent is gone."""
    db = net.county.db()
    db.execute("DELETE FROM exports WHERE id = (SELECT MAX(id) FROM exports)")


def test_replayed_bundle(net):
    do_receive(net, do_export(net)["path"])
    forget_last_export(net)
    again = Path(do_export(net, out=net.tmp / "out2")["path"])  # seq 1 again, another bundle id
    both_refuse(net, again, "bundle.replay", "疑似重放")


def test_older_bundle_and_gap_override(net):
    a = do_export(net)
    b = do_export(net, out=net.tmp / "b")
    c = do_export(net, out=net.tmp / "c")
    assert (a["seq"], b["seq"], c["seq"]) == (1, 2, 3)
    do_receive(net, a["path"])
    problems = rejected(do_receive, net, c["path"])
    assert codes(problems) == {"bundle.gap"} and "不衔接" in problems[0].message
    r = do_receive(net, c["path"], override="2 号包的U盘损坏，先收 3 号（王科长批准）")
    # both gaps are overridden and named: the missing bundle 2 and the audit segment it carried
    assert [w["code"] for w in r["warnings"]] == ["bundle.gap", "bundle.audit_gap"]
    logged = list(
        net.city.db().query("SELECT detail FROM audit WHERE action = 'bundle.received' ORDER BY id DESC LIMIT 1")
    )
    assert "王科长批准" in logged[0]["detail"]
    both_refuse(net, Path(b["path"]), "bundle.rollback", "疑似回滚")


def test_same_id_different_content(net):
    path = Path(do_export(net)["path"])
    do_receive(net, path)
    outer = bundle.intake(path)[0]
    objects = {p: (sha, (path / p).stat().st_size) for p, sha in outer.manifest.items()}
    info = [(k, v) for k, v in outer.info if k != "Payload-Oxum"] + [("Bundle-Note", "重新签名")]
    bundle.seal_outer(path, info, objects, keys.unlock(net.county, COUNTY_PASS).signing)
    both_refuse(net, path, "bundle.equivocation", "内容不同")


def test_readdressed_inner_bag(net, tmp_path):
    """The city re-wraps the county's signed inner bag for the province under its own outer signature."""
    province = new_station(tmp_path, "province", "某某省教育厅", "41", b"province-pass")
    keys.trust(province, net.tmp / "city.pub", "sender")
    src = Path(do_export(net)["path"])
    city = keys.unlock(net.city, CITY_PASS)
    target = keys.public(province).enc
    dst = tmp_path / "forged.bundle"
    (dst / "data").mkdir(parents=True)
    outer = bundle.intake(src)[0]
    objects = {}
    for rel in outer.manifest:
        plain = age.decrypt_bytes((src / rel).read_bytes(), [city.enc])
        objects[rel] = bundle.encrypt_object(dst / rel, plain, [target])
    address = bundle.Address(
        str(uuid.uuid4()),
        "4101",
        "某某市教育局",
        city.signing.public.fingerprint,
        [target],
        ["41"],
        1,
        "none",
        "2026-11-21T00:00:00+00:00",
    )
    bundle.seal_outer(dst, address.outer_info(), objects, city.signing)
    assert receive.verify(province, dst)["ok"]  # the outer layer alone looks fine
    problems = rejected(do_receive, net, dst, station=province, passphrase=b"province-pass")
    assert "bundle.readdressed" in codes(problems)
    assert any("重新寻址或转寄" in p.message for p in problems)
    assert db_state(province)["submissions"] == 0


def _reseal_index(net: Net, path: Path, edit) -> None:
    """Rewrite the index as a (compromised) county would, and sign the outer bag again with its key."""
    outer = bundle.intake(path)[0]
    county = keys.unlock(net.county, COUNTY_PASS)
    tar_bytes = age.decrypt_bytes((path / bundle.INDEX).read_bytes(), [city_identity(net)])
    members = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for m in tar.getmembers():
            members[m.name] = tar.extractfile(m).read()
    members = edit(members, county)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    objects = {p: (sha, (path / p).stat().st_size) for p, sha in outer.manifest.items()}
    objects[bundle.INDEX] = bundle.encrypt_object(path / bundle.INDEX, buf.getvalue(), [keys.public(net.city).enc])
    bundle.seal_outer(path, [(k, v) for k, v in outer.info if k != "Payload-Oxum"], objects, county.signing)


def test_path_traversal_in_index_tar(net, tmp_path):
    path = Path(do_export(net)["path"])
    _reseal_index(net, path, lambda m, _: {**m, "../../escape.txt": b"owned"})
    assert receive.verify(net.city, path)["ok"]
    problems = rejected(do_receive, net, path)
    assert codes(problems) == {"bundle.inner_unsafe"} and "路径穿越" in problems[0].message
    assert not list(net.tmp.rglob("escape.txt"))


def test_path_traversal_in_inner_manifest(net):
    path = Path(do_export(net)["path"])

    def edit(m, county):
        evil = "data/submissions/../../../../escape.txt"
        m["manifest-sha256.txt"] = m["manifest-sha256.txt"].replace("data/metadata.jsonl".encode(), evil.encode())
        m["objects.txt"] = m["objects.txt"].replace("data/metadata.jsonl".encode(), evil.encode())
        tags = {k: v for k, v in m.items() if k in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "objects.txt")}
        m["tagmanifest-sha256.txt"] = bagit.manifest_text({k: hashlib.sha256(v).hexdigest() for k, v in tags.items()})
        m[bundle.SIG_PATH] = sshsig.sign(county.signing, bundle.INNER_NS, m["tagmanifest-sha256.txt"]).encode()
        return m

    _reseal_index(net, path, edit)
    problems = rejected(do_receive, net, path)
    assert "bundle.inner_unsafe" in codes(problems) and any("escape.txt" in p.message for p in problems)
    assert not list(net.tmp.rglob("escape.txt"))


def _export_with(net: Net, monkeypatch, change) -> Path:
    """Export as a (compromised or buggy) county would: CHANGE edits the inner payload before it is signed."""
    real = export._sources

    def sources(*args, **kw):
        out, upto, forwarded = real(*args, **kw)
        return change(out, args[4]), upto, forwarded

    monkeypatch.setattr(export, "_sources", sources)
    path = Path(do_export(net)["path"])
    monkeypatch.setattr(export, "_sources", real)
    return path


def test_signed_inner_bag_with_a_file_no_work_refers_to(net, monkeypatch):
    def change(sources, tmp):
        (tmp / "extra.bin").write_bytes(b"smuggled")
        return [*sources, bundle.Source("data/submissions/999/extra.bin", str(tmp / "extra.bin"), 8)]

    path = _export_with(net, monkeypatch, change)
    assert receive.verify(net.city, path)["ok"]  # signed by the county: the outer layer is fine
    before = db_state(net.city)
    problems = rejected(do_receive, net, path)
    assert codes(problems) == {"bundle.inner_mismatch"}
    assert "data/submissions/999/extra.bin" in problems[0].message and problems[0].object.endswith("extra.bin")
    assert db_state(net.city) == before


def test_signed_decisions_naming_a_work_the_bundle_does_not_carry(net, monkeypatch):
    def change(sources, tmp):
        with open(tmp / "decisions.jsonl", "a", encoding="utf-8") as f:
            row = {"submission_id": 999, "value": "recommend", "reason": None, "reviewer": "x", "decided_at": "2026"}
            f.write(json.dumps(row) + "\n")
        return [
            bundle.Source(s.path, s.file, (tmp / "decisions.jsonl").stat().st_size)
            if s.path == "data/decisions.jsonl"
            else s
            for s in sources
        ]

    path = _export_with(net, monkeypatch, change)
    before = db_state(net.city)
    problems = rejected(do_receive, net, path)
    assert codes(problems) == {"bundle.inner_mismatch"}
    assert "#999" in problems[0].message and problems[0].object == "data/decisions.jsonl"
    assert db_state(net.city) == before


@pytest.mark.parametrize("tag", ["bag-info.txt", "sizes.txt", "tagmanifest-sha256.txt", bundle.SIG_PATH])
def test_special_file_as_tag_file_is_refused_without_hanging(net, tag):
    """A FIFO is never opened (opening one for reading blocks until a writer comes): refused with a code."""
    path = Path(do_export(net)["path"])
    (path / tag).unlink()
    os.mkfifo(path / tag)
    p = station_cli(net.city.db_path, "verify", path, "--json", timeout=60)
    assert p.returncode == 1, p.stderr
    result = json.loads(p.stdout)
    assert result["ok"] is False and "bundle.layout" in codes(result["problems"]), result
    p = station_cli(net.city.db_path, "receive", path, "--json", passfile=net.pw("city"), timeout=60)
    assert p.returncode == 1 and "bundle.layout" in p.stdout + p.stderr, (p.stdout, p.stderr)
    assert db_state(net.city)["received_bundles"] == 0


def test_wrong_passphrase(net):
    path = Path(do_export(net)["path"])
    before = db_state(net.city)
    with pytest.raises(StationError) as e:
        do_receive(net, path, passphrase=b"not the passphrase")
    assert e.value.code == "passphrase.wrong"
    bad = net.tmp / "bad.pass"
    bad.write_text("not the passphrase\n")
    p = station_cli(net.city.db_path, "receive", path, passfile=bad)
    assert p.returncode == 2 and "口令错误" in p.stderr and "passphrase.wrong" in p.stderr
    assert db_state(net.city) == before


# --- crashes ------------------------------------------------------------------------------------


@pytest.fixture
def big_net(net, tmp_path):
    """The recommended work also holds a 320 MB file, so export and receive take long enough to be killed."""
    block = os.urandom(1 << 20)
    big = tmp_path / "share2" / "第一小学课后服务课程资源" / "趣味数学"
    shutil.copytree(tmp_path / "share" / "第一小学课后服务课程资源" / "趣味数学", big)
    with open(big / "长视频.bin", "wb") as f:
        for i in range(320):
            f.write(block[:-8] + i.to_bytes(8, "big"))
    ingest.run(net.county, [str(tmp_path / "share2")])
    new = net.county.db().execute("SELECT MAX(id) FROM submissions").fetchone()[0]
    recommend(net.county, [new])
    return net


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        time.sleep(0.01)
    proc.kill()
    pytest.fail(f"the process ended before it could be killed: {proc.communicate()}")


def _spawn(db: Path, passfile: Path, *args) -> subprocess.Popen:
    env = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8", STATION_PASSPHRASE_FILE=str(passfile))
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "station"), *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _bytes_under(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def test_kill_during_export_leaves_no_bundle(big_net):
    net = big_net
    out = net.tmp / "out"
    proc = _spawn(net.county.db_path, net.pw("county"), "export", "--to", "4101", "--out", out)
    _kill_when(proc, lambda: any(_bytes_under(p) > 50 * 2**20 for p in out.glob(".partial-*")))
    assert not list(out.glob("*.bundle"))
    partial = list(out.glob(".partial-*"))
    assert partial and not (partial[0] / "tagmanifest-sha256.txt").exists()
    assert receive.verify(net.city, partial[0])["ok"] is False
    assert net.county.db().execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 0
    result = do_export(net)
    assert result["seq"] == 1 and [p.name for p in out.iterdir()] == [Path(result["path"]).name]
    assert do_receive(net, result["path"])["imported"] == 2


def test_export_killed_between_record_and_rename_is_completed_by_the_next_run(net):
    """The test-only hook kills export right after its record commits, before the bundle is renamed into place."""
    out = net.tmp / "out"
    env = dict(os.environ, STATION_DB=str(net.county.db_path), LANG="C.UTF-8", STATION_TEST_KILL_AT="1:after")
    env["STATION_PASSPHRASE_FILE"] = str(net.pw("county"))
    p = subprocess.run(
        [str(Path(sys.executable).parent / "station"), "export", "--to", "4101", "--out", str(out)],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert p.returncode == -signal.SIGKILL
    assert not list(out.glob("*.bundle")) and len(list(out.glob(".partial-*"))) == 1
    recorded = net.county.db().execute("SELECT seq, path, sha256 FROM exports").fetchall()
    assert [r[0] for r in recorded] == [1]
    p = station_cli(net.county.db_path, "export", "--to", "4101", "--out", out, passfile=net.pw("county"))
    assert p.returncode == 0 and "现已补全" in p.stdout, p.stderr
    assert [x.name for x in out.iterdir()] == [Path(recorded[0][1]).name]  # the recorded one, nothing else
    assert bundle.intake(Path(recorded[0][1]))[0].tagmanifest_sha256 == recorded[0][2]
    assert net.county.db().execute("SELECT COUNT(*) FROM exports").fetchone()[0] == 1
    assert do_receive(net, recorded[0][1])["imported"] == 1


def test_a_completed_export_reports_the_files_and_objects_of_the_run_that_was_killed(net):
    """Files over the part size are several objects: the completing run reports the killed run's own counts."""
    clean = do_export(net, part_size=100_000)
    assert clean["objects"] > clean["files"] + 1  # some file really was split
    final = Path(clean["path"])
    # the state a kill between the record's commit and the rename leaves: recorded, still in its hidden directory
    final.rename(final.with_name(bundle.partial_name(final.name, pid=999_999)))
    completed = do_export(net)
    assert completed["resumed"] is True and completed["path"] == clean["path"]
    assert (completed["files"], completed["objects"]) == (clean["files"], clean["objects"])


def test_export_refuses_a_sequence_number_whose_bundle_is_already_in_out(net):
    first = do_export(net)
    conn = sqlite3.connect(net.county.db_path)
    conn.execute("DELETE FROM exports")  # as if the database had been restored from an older backup
    conn.commit()
    conn.close()
    with pytest.raises(StationError) as e:
        do_export(net)
    assert e.value.code == "export.seq_exists" and Path(first["path"]).name in e.value.message
    assert [p.name for p in (net.tmp / "out").iterdir()] == [Path(first["path"]).name]


def test_dead_exports_spool_and_partials_are_cleaned_on_the_next_start(net):
    out = net.tmp / "out"
    (out / ".partial-999999-410102_c1_000001_deadbeef" / "data").mkdir(parents=True)
    (net.county.spool / "export-999999-x").mkdir(parents=True)
    (net.county.spool / f"export-{os.getpid()}-live").mkdir()  # a live process's: kept
    assert doctor.leftovers(net.county).level == "warn" and "export-999999-x" in doctor.leftovers(net.county).detail
    do_export(net)
    assert doctor.leftovers(net.county).level == "ok"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert sorted(p.name for p in net.county.spool.glob("export-*")) == [f"export-{os.getpid()}-live"]


def test_kill_during_receive_changes_nothing(big_net):
    net = big_net
    path = Path(do_export(net)["path"])
    before = db_state(net.city)
    staging = net.city.spool / "receive"
    proc = _spawn(net.city.db_path, net.pw("city"), "receive", path)
    _kill_when(proc, lambda: _bytes_under(staging) > 50 * 2**20)
    assert db_state(net.city) == before
    r = do_receive(net, path)
    assert r["imported"] == 2 and not staging.exists()
    sizes = [row[0] for row in net.city.db().execute("SELECT size FROM files WHERE path = '长视频.bin'")]
    assert sizes == [320 * 2**20]


def test_a_receive_removes_the_object_a_killed_receive_was_writing(net):
    """A receive killed while it stored an object left `objects/tmp/in-<pid>-…` behind, and the re-run kept it:
    the station then differed from a clean run (seen by test_interrupts under load)."""
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    tmp = net.city.objects.tmp
    tmp.mkdir(parents=True, exist_ok=True)
    leftover = tmp / f"in-{dead.pid}-half"
    leftover.write_bytes(b"half an object")
    live = tmp / f"in-{os.getpid()}-writing"  # a writer still running keeps its file
    live.write_bytes(b"still writing")
    r = do_receive(net, Path(do_export(net)["path"]))
    assert r["imported"] >= 1
    assert not leftover.exists() and live.exists()
    live.unlink()


def test_manifest_paths_are_percent_encoded_as_rfc_8493_says():
    """RFC 8493 2.1.3 encodes CR, LF and %; bagit-python 1.9 encodes only CR and LF, so the fixtures avoid %."""
    path = "data/submissions/1/满分 100%\n说明.txt"
    text = bagit.manifest_text({path: "a" * 64})
    assert text == ("a" * 64 + "  data/submissions/1/满分 100%25%0A说明.txt\n").encode()
    assert bagit.parse_manifest(text, "m") == {path: "a" * 64}


# --- forwarding upward ------------------------------------------------------------------------------


@pytest.fixture
def chain(net, tmp_path):
    """County -> city received; the city recommends the work; a province trusts the city (and the county)."""
    do_receive(net, do_export(net)["path"])
    province = new_station(tmp_path, "province", "某某省教育厅", "41", b"province-pass")
    keys.export_public(net.city, tmp_path / "city.pub")
    keys.trust(net.city, tmp_path / "province.pub", "recipient")
    keys.trust(province, tmp_path / "city.pub", "sender")
    city_work = net.city.db().execute("SELECT id FROM submissions").fetchone()[0]
    review.decide(net.city, [city_work], "recommend", "市级推荐", reviewer="市评审")
    return net, province


def test_forwarding_carries_the_county_inner_bag(chain, tmp_path):
    net, province = chain
    keys.trust(province, tmp_path / "county.pub", "sender")  # the province knows the county's key too
    r = export.export(net.city, None, "41", tmp_path / "up", CITY_PASS, forward=True)
    assert r["forwarded"] == 1
    path = Path(r["path"])
    inner = bundle.open_index(bundle.intake(path)[0], keys.unlock(province, b"province-pass").enc)
    forwarded = [p for p in inner.manifest if p.startswith("data/forwarded/")]
    assert any(p.endswith("/signatures/tagmanifest-sha256.txt.sig") for p in forwarded)
    assert not any(p.startswith("data/submissions/") for p in inner.manifest)  # the works are not packed twice
    got = do_receive(net, path, station=province, passphrase=b"province-pass")
    assert got["imported"] == 1
    assert [(f["sender"], f["signer_known"]) for f in got["forwarded"]] == [("410102", True)]
    work = next(province.db().query("SELECT * FROM submissions"))
    meta = json.loads(work["meta"])
    assert meta["bundle"]["sender"] == "4101" and meta["bundle_origin"]["sender"] == "410102"
    for f in province.db().query("SELECT sha256 FROM files"):
        assert province.objects.path(f["sha256"]).is_file()
    assert [
        (d["sender"], d["value"], d["reviewer"]) for d in province.db().query("SELECT * FROM sender_decisions")
    ] == [("4101", "recommend", "市评审")]
    # the county's signature on its inner bag, as the province now holds it, verifies with ssh-keygen
    tm = next(p for p in forwarded if p.endswith("/tagmanifest-sha256.txt") and "/signatures/" not in p)
    assert tm.startswith("data/forwarded/410102_")
    sig = tm.replace("/tagmanifest-sha256.txt", "/" + bundle.SIG_PATH)
    if shutil.which("ssh-keygen"):
        allowed = tmp_path / "allowed"
        allowed.write_text(f"410102 {keys.public(net.county).sign.openssh()}\n")
        p = subprocess.run(
            [
                "ssh-keygen",
                "-Y",
                "verify",
                "-f",
                str(allowed),
                "-I",
                "410102",
                "-n",
                "bundle-inner",
                "-s",
                str(province.objects.path(inner.manifest[sig])),
            ],
            stdin=open(province.objects.path(inner.manifest[tm]), "rb"),
            capture_output=True,
        )
        assert p.returncode == 0, p.stderr


def test_forwarded_bag_altered_by_the_city_is_refused(chain, tmp_path):
    net, province = chain
    row = next(net.city.db().query("SELECT inner_tags FROM received_bundles"))
    stored = net.city.objects.path(row["inner_tags"])
    tags = bundle.untar_tags(stored.read_bytes())
    tags["bag-info.txt"] = tags["bag-info.txt"].replace("某某县教育局".encode(), "某某市教育局".encode())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in tags.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    stored.chmod(0o644)
    stored.write_bytes(buf.getvalue())
    r = export.export(net.city, None, "41", tmp_path / "up", CITY_PASS, forward=True)
    problems = rejected(do_receive, net, r["path"], station=province, passphrase=b"province-pass")
    assert codes(problems) == {"bundle.forwarded"} and "bag-info.txt 与其标签清单不符" in problems[0].message
    assert db_state(province)["submissions"] == 0


def test_forwarding_without_knowing_the_county_warns(chain, tmp_path):
    net, province = chain
    r = export.export(net.city, None, "41", tmp_path / "up", CITY_PASS, forward=True)
    got = do_receive(net, r["path"], station=province, passphrase=b"province-pass")
    assert got["imported"] == 1 and "bundle.forwarded_signer" in codes(got["warnings"])


def test_changed_source_stops_a_parallel_export(big_net):
    net = big_net
    sha = next(
        f["sha256"] for s in export.recommended(net.county.db(), 1) for f in s["files"] if f["path"].endswith(".txt")
    )
    obj = net.county.objects.path(sha)
    obj.chmod(0o644)
    obj.write_bytes(b"changed after review")
    with pytest.raises(StationError) as e:
        do_export(net, workers=2)
    assert e.value.code == "export.source_changed" and "教学设计 #1.txt" in e.value.message
    assert list((net.tmp / "out").iterdir()) == []


@pytest.mark.parametrize(
    "field,value,code,text",
    [
        ("Bundle-Suite", "sm2-sm3-sm4/1", "bundle.suite", "不支持的密码套件"),
        ("Bundle-Sender", "410199", "bundle.sender_mismatch", "声称发送方是 410199"),
    ],
)
def test_resigned_outer_fields_are_still_checked(net, field, value, code, text):
    """Even correctly signed by a trusted county, an unknown suite or a claimed other sender is refused."""
    path = Path(do_export(net)["path"])
    outer = bundle.intake(path)[0]
    objects = {p: (sha, (path / p).stat().st_size) for p, sha in outer.manifest.items()}
    info = [(k, value if k == field else v) for k, v in outer.info if k != "Payload-Oxum"]
    bundle.seal_outer(path, info, objects, keys.unlock(net.county, COUNTY_PASS).signing)
    both_refuse(net, path, code, text)


def test_default_parts_stay_below_the_fat32_limit():
    assert age.ciphertext_size(bundle.PART_SIZE) <= bundle.OBJECT_LIMIT < 4 * 2**30
    assert bundle.PART_SIZE % age.CHUNK == 0
