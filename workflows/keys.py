"""The station's identity (signing + encryption keys) and the registry of other stations' public keys.

The identity is one age file encrypted with an scrypt passphrase stanza (`keys/identity.age`,
mode 0600): `age -d keys/identity.age` with the passphrase gives a plain age identity file whose
comment lines also carry the Ed25519 signing seed. `keys/identity.pub` holds the public half in the
format `keys export-public` writes, so showing and verifying never need the passphrase.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import store
from exporters import age, sshsig
from store import audit
from workflows.errors import StationError, regular_file
from workflows.station import Station, actor

KEY_FILE = "identity.age"
PUB_FILE = "identity.pub"
ROLES = ("sender", "recipient")
MIN_PASSPHRASE = 8
_CODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


@dataclass(frozen=True)
class PublicKeys:
    code: str
    name: str
    sign: sshsig.PublicKey
    enc: age.Recipient

    def text(self) -> str:
        return (
            f"# 评审工作站公钥 Review Station public keys\n"
            f"station-code: {self.code}\nstation-name: {self.name}\n"
            f"{self.sign.openssh(self.code)}\n{self.enc}\n"
        )

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "sign_key": self.sign.openssh(),
            "sign_fingerprint": self.sign.fingerprint,
            "age_recipient": str(self.enc),
            "age_fingerprint": self.enc.fingerprint,
        }

    @classmethod
    def parse(cls, text: str, where: str) -> "PublicKeys":
        code = name = sign = enc = None
        try:
            for line in text.splitlines():
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("station-code:"):
                    code = line.split(":", 1)[1].strip()
                elif line.startswith("station-name:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("ssh-ed25519 "):
                    sign = sshsig.PublicKey.parse(line)
                elif line.startswith("age1"):
                    enc = age.Recipient.parse(line)
                else:
                    raise ValueError(f"unexpected line {line[:40]!r}")
        except ValueError as e:
            raise StationError("keys.invalid", f"公钥文件 {where} 格式有误：{e}") from None
        if not (code and _CODE.match(code) and sign and enc):
            raise StationError("keys.invalid", f"公钥文件 {where} 缺少单位代码、ssh-ed25519 签名公钥或 age1 加密公钥")
        return cls(code, name or code, sign, enc)


@dataclass(frozen=True)
class Identity:
    code: str
    name: str
    signing: sshsig.SigningKey
    enc: age.Identity

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(self.code, self.name, self.signing.public, self.enc.recipient)

    def plaintext(self, created: str) -> str:
        seed = base64.b64encode(self.signing.seed).decode()
        return (
            f"# 评审工作站本站密钥 Review Station identity (age identity file)\n"
            f"# station-code: {self.code}\n# station-name: {self.name}\n# created: {created}\n"
            f"# public: {self.signing.public.openssh()}\n# public: {self.enc.recipient}\n"
            f"# ed25519-seed: {seed}\n{self.enc}\n"
        )

    @classmethod
    def parse(cls, text: str) -> "Identity":
        fields: dict[str, str] = {}
        for line in text.splitlines():
            m = re.match(r"^# ([a-z0-9-]+): (.*)$", line.strip())
            if m:
                fields.setdefault(m.group(1), m.group(2))
        seed = base64.b64decode(fields["ed25519-seed"])
        return cls(
            fields["station-code"],
            fields.get("station-name", ""),
            sshsig.SigningKey(seed),
            age.parse_identities(text)[0],
        )


def key_path(station: Station) -> Path:
    return station.root / "keys" / KEY_FILE


def pub_path(station: Station) -> Path:
    return station.root / "keys" / PUB_FILE


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def init(station: Station, org: str, code: str, passphrase: bytes) -> PublicKeys:
    if key_path(station).exists():
        raise StationError("keys.exists", f"本站密钥已存在（{key_path(station)}），不会覆盖")
    if not _CODE.match(code or ""):
        raise StationError("keys.code", f"单位代码“{code}”无效：只能用字母、数字、-、_")
    org = " ".join((org or "").split())
    if not org:
        raise StationError("keys.org", "请用 --org 填写单位名称")
    if len(passphrase) < MIN_PASSPHRASE:
        raise StationError("passphrase.weak", f"口令太短：至少 {MIN_PASSPHRASE} 个字符")
    ident = Identity(code, org, sshsig.SigningKey.generate(), age.Identity.generate())
    created = audit.now()
    _write_private(key_path(station), age.encrypt_bytes(ident.plaintext(created).encode(), passphrase=passphrase))
    pub = ident.public
    tmp = pub_path(station).with_suffix(".tmp")
    tmp.write_text(pub.text(), "utf-8")
    os.replace(tmp, pub_path(station))
    db = station.db()
    with store.write(db):
        audit.append(
            db,
            actor(),
            "keys.created",
            f"station:{code}",
            name=org,
            sign_fingerprint=pub.sign.fingerprint,
            age_fingerprint=pub.enc.fingerprint,
        )
    return pub


def public(station: Station) -> PublicKeys:
    path = pub_path(station)
    if not path.exists():
        raise StationError("keys.missing", "本站还没有密钥：请先运行 station keys init --org 单位名称 --code 单位代码")
    return PublicKeys.parse(path.read_text("utf-8"), str(path))


def has_identity(station: Station) -> bool:
    return pub_path(station).exists()


def unlock(station: Station, passphrase: bytes) -> Identity:
    path = key_path(station)
    if not path.exists():
        raise StationError("keys.missing", "本站还没有密钥：请先运行 station keys init --org 单位名称 --code 单位代码")
    try:
        text = age.decrypt_bytes(path.read_bytes(), passphrase=passphrase).decode("utf-8")
    except age.NoMatch:
        raise StationError("passphrase.wrong", "口令错误，无法打开本站密钥") from None
    except age.AgeError as e:
        raise StationError("keys.damaged", f"本站密钥文件 {path} 已损坏：{e}") from None
    try:
        ident = Identity.parse(text)
    except (KeyError, ValueError) as e:
        raise StationError("keys.damaged", f"本站密钥文件 {path} 内容有误：{e}") from None
    pub = public(station)
    if (pub.sign, pub.enc) != (ident.public.sign, ident.public.enc):
        raise StationError("keys.mismatch", f"{pub_path(station)} 与本站私钥不对应，可能被替换")
    return ident


def export_public(station: Station, path: Path) -> PublicKeys:
    pub = public(station)
    path.write_text(pub.text(), "utf-8")
    return pub


def export_identity(station: Station, passphrase: bytes, path: Path) -> PublicKeys:
    ident = unlock(station, passphrase)
    _write_private(path, ident.plaintext(audit.now()).encode())
    db = station.db()
    with store.write(db):
        audit.append(db, actor(), "keys.identity_exported", f"station:{ident.code}", path=str(path))
    return ident.public


# --- trust registry ---------------------------------------------------------------------------


def trust(station: Station, path: Path, role: str) -> dict:
    if role not in ROLES:
        raise StationError("trust.role", "角色只能是 sender（下级报送单位）或 recipient（上级接收单位）")
    if not os.path.lexists(path):
        raise StationError("keys.file_missing", f"找不到公钥文件：{path}")
    regular_file(path, "keys.file_unreadable", "公钥文件", 64 * 1024)
    pub = PublicKeys.parse(path.read_text("utf-8", errors="replace"), str(path))
    if has_identity(station) and public(station).code == pub.code:
        raise StationError("trust.self", f"单位代码 {pub.code} 是本站自己的代码")
    db = station.db()
    with store.write(db):
        for row in db.query(
            "SELECT * FROM trusted_keys WHERE code = ? AND role = ? AND revoked_at IS NULL", [pub.code, role]
        ):
            if row["sign_key"] == pub.sign.openssh() and row["age_recipient"] == str(pub.enc):
                return dict(_row(row), added=False)
            raise StationError(
                "trust.conflict",
                f"已登记 {pub.code}（{row['name']}）的另一组公钥；"
                f"如确需更换，请先 station keys revoke {pub.code} --role {role}",
            )
        row_id = db.execute(
            "INSERT INTO trusted_keys (code, name, role, sign_key, sign_fpr, age_recipient, age_fpr, valid_from) "
            "VALUES (?,?,?,?,?,?,?,?)",
            [
                pub.code,
                pub.name,
                role,
                pub.sign.openssh(),
                pub.sign.fingerprint,
                str(pub.enc),
                pub.enc.fingerprint,
                audit.now(),
            ],
        ).lastrowid
        audit.append(
            db,
            actor(),
            "keys.trusted",
            f"station:{pub.code}",
            role=role,
            name=pub.name,
            sign_fingerprint=pub.sign.fingerprint,
            age_fingerprint=pub.enc.fingerprint,
        )
        row = next(db.query("SELECT * FROM trusted_keys WHERE id = ?", [row_id]))
    return dict(_row(row), added=True)


def revoke(station: Station, code: str, role: str | None, reason: str) -> int:
    if not (reason or "").strip():
        raise StationError("revoke.reason", "吊销公钥必须用 --reason 说明原因")
    db = station.db()
    where, params = "code = ? AND revoked_at IS NULL", [code]
    if role:
        where += " AND role = ?"
        params.append(role)
    with store.write(db):
        n = db.execute(
            f"UPDATE trusted_keys SET revoked_at = ?, revoked_reason = ? WHERE {where}", [audit.now(), reason, *params]
        ).rowcount
        if not n:
            raise StationError("trust.unknown", f"没有登记单位 {code} 的有效公钥")
        audit.append(db, actor(), "keys.revoked", f"station:{code}", role=role, reason=reason, keys=n)
    return n


def trusted(station: Station, role: str | None = None, code: str | None = None, active: bool = True) -> list[dict]:
    where, params = [], []
    if role:
        where.append("role = ?")
        params.append(role)
    if code:
        where.append("code = ?")
        params.append(code)
    if active:
        where.append("revoked_at IS NULL AND (valid_until IS NULL OR valid_until > ?)")
        params.append(audit.now())
    sql = "SELECT * FROM trusted_keys" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [_row(r) for r in station.db().query(sql, params)]


def _row(r: dict) -> dict:
    return {
        "code": r["code"],
        "name": r["name"],
        "role": r["role"],
        "sign_key": r["sign_key"],
        "sign_fingerprint": r["sign_fpr"],
        "age_recipient": r["age_recipient"],
        "age_fingerprint": r["age_fpr"],
        "valid_from": r["valid_from"],
        "valid_until": r["valid_until"],
        "revoked_at": r["revoked_at"],
        "revoked_reason": r["revoked_reason"],
    }


def sender_for(station: Station, sign_key: sshsig.PublicKey) -> dict | None:
    """The active trusted sender whose signing key this is."""
    for row in trusted(station, "sender"):
        if row["sign_key"].split()[:2] == sign_key.openssh().split()[:2]:
            return row
    return None
