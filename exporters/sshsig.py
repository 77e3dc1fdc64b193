"""OpenSSH SSHSIG signatures (PROTOCOL.sshsig) with Ed25519 keys, armored.

Verifiable with `ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n NAMESPACE -s FILE.sig < FILE`.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MAGIC = b"SSHSIG"
KEY_TYPE = b"ssh-ed25519"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
HASHES = {b"sha512": hashlib.sha512, b"sha256": hashlib.sha256}


class SignatureError(Exception):
    """The signature is malformed, for another namespace or key, or does not match."""


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError("signature is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def string(self) -> bytes:
        return self.take(struct.unpack(">I", self.take(4))[0])

    def done(self) -> bool:
        return self.pos == len(self.data)


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # 32-byte Ed25519 public key

    @property
    def blob(self) -> bytes:
        return _string(KEY_TYPE) + _string(self.raw)

    @property
    def fingerprint(self) -> str:
        """As `ssh-keygen -l` prints it."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

    def openssh(self, comment: str = "") -> str:
        line = "ssh-ed25519 " + base64.b64encode(self.blob).decode()
        return f"{line} {comment}" if comment else line

    @classmethod
    def parse(cls, line: str) -> "PublicKey":
        parts = line.strip().split()
        if len(parts) < 2 or parts[0] != KEY_TYPE.decode():
            raise ValueError("not an ssh-ed25519 public key line")
        try:
            return cls.from_blob(base64.b64decode(parts[1], validate=True))
        except (ValueError, SignatureError) as e:
            raise ValueError(f"invalid ssh-ed25519 key: {e}") from None

    @classmethod
    def from_blob(cls, blob: bytes) -> "PublicKey":
        r = _Reader(blob)
        if r.string() != KEY_TYPE:
            raise SignatureError("not an Ed25519 key")
        raw = r.string()
        if len(raw) != 32 or not r.done():
            raise SignatureError("malformed Ed25519 key")
        return cls(raw)


@dataclass(frozen=True)
class SigningKey:
    seed: bytes  # 32-byte Ed25519 private seed

    @classmethod
    def generate(cls) -> "SigningKey":
        key = Ed25519PrivateKey.generate()
        return cls(
            key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        )

    @property
    def public(self) -> PublicKey:
        pub = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return PublicKey(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

    def openssh_private(self, comment: str = "") -> str:
        """Unencrypted OpenSSH private key (for `ssh-keygen -Y sign` in an emergency)."""
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()


def _signed_data(namespace: str, digest: bytes, hash_alg: bytes) -> bytes:
    return MAGIC + _string(namespace.encode()) + _string(b"") + _string(hash_alg) + _string(digest)


def _digest_stream(stream: BinaryIO, hash_alg: bytes) -> bytes:
    h = HASHES[hash_alg]()
    while chunk := stream.read(1 << 20):
        h.update(chunk)
    return h.digest()


def sign_digest(key: SigningKey, namespace: str, digest: bytes) -> str:
    """Armored SSHSIG over a message whose SHA-512 is DIGEST."""
    if not namespace:
        raise ValueError("a namespace is required")
    signature = Ed25519PrivateKey.from_private_bytes(key.seed).sign(_signed_data(namespace, digest, b"sha512"))
    blob = (
        MAGIC
        + struct.pack(">I", 1)
        + _string(key.public.blob)
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(_string(KEY_TYPE) + _string(signature))
    )
    text = base64.b64encode(blob).decode()
    return BEGIN + "\n" + "\n".join(text[i : i + 70] for i in range(0, len(text), 70)) + "\n" + END + "\n"


def sign(key: SigningKey, namespace: str, message: bytes) -> str:
    return sign_digest(key, namespace, hashlib.sha512(message).digest())


@dataclass(frozen=True)
class Parsed:
    public: PublicKey
    namespace: str
    hash_alg: bytes
    signature: bytes


def parse(armored: str) -> Parsed:
    lines = [l.strip() for l in armored.strip().splitlines()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise SignatureError("not an armored SSH signature")
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError:
        raise SignatureError("signature is not valid base64") from None
    r = _Reader(blob)
    if r.take(6) != MAGIC or struct.unpack(">I", r.take(4))[0] != 1:
        raise SignatureError("not an SSHSIG version 1 signature")
    public = PublicKey.from_blob(r.string())
    namespace = r.string().decode("utf-8", "replace")
    r.string()  # reserved
    hash_alg = r.string()
    sig = _Reader(r.string())
    if not r.done():
        raise SignatureError("trailing data in signature")
    if sig.string() != KEY_TYPE:
        raise SignatureError("not an Ed25519 signature")
    raw = sig.string()
    if len(raw) != 64 or not sig.done():
        raise SignatureError("malformed Ed25519 signature")
    if hash_alg not in HASHES:
        raise SignatureError(f"unsupported hash {hash_alg!r}")
    return Parsed(public, namespace, hash_alg, raw)


def verify(armored: str, message: bytes | BinaryIO, namespace: str) -> PublicKey:
    """Check ARMORED over MESSAGE in NAMESPACE; return the signer's key (the caller decides whether to trust it)."""
    parsed = parse(armored)
    if parsed.namespace != namespace:
        raise SignatureError(f"signature is for namespace {parsed.namespace!r}, expected {namespace!r}")
    if isinstance(message, (bytes, bytearray)):
        digest = HASHES[parsed.hash_alg](message).digest()
    else:
        digest = _digest_stream(message, parsed.hash_alg)
    try:
        Ed25519PublicKey.from_public_bytes(parsed.public.raw).verify(
            parsed.signature, _signed_data(namespace, digest, parsed.hash_alg)
        )
    except InvalidSignature:
        raise SignatureError("signature does not match the signed data") from None
    return parsed.public
