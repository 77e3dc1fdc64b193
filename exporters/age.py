"""age v1 (C2SP age spec) on `cryptography`: X25519 recipients, scrypt passphrases, STREAM payload.

Streaming both ways: `Encryptor` is a writable sink that emits 64 KiB STREAM chunks as
data arrives; `decrypt` copies a source to a sink releasing each chunk only once its tag
has verified. Interoperates with the `age` CLI in both directions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

VERSION_LINE = b"age-encryption.org/v1"
CHUNK = 64 * 1024
TAG = 16
X25519_LABEL = b"age-encryption.org/v1/X25519"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
SCRYPT_LOG_N = 16  # 64 MiB of scrypt memory: keeps every station process under 200 MB
MAX_SCRYPT_LOG_N = 22
MAX_HEADER_LINE = 4096


class AgeError(Exception):
    """The file cannot be decrypted."""


class HeaderError(AgeError):
    """Malformed header."""


class NoMatch(AgeError):
    """None of the identities (or the passphrase) opens this file."""


class MacError(AgeError):
    """The header MAC is wrong: the header was altered."""


class PayloadError(AgeError):
    """The payload is damaged or truncated (some plaintext may have been released)."""


# --- Bech32 (BIP 173) for age1… recipients and AGE-SECRET-KEY-1… identities ------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: Iterable[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: Iterable[int], frm: int, to: int, pad: bool) -> list[int]:
    acc = bits = 0
    out = []
    maxv = (1 << to) - 1
    for v in data:
        acc = (acc << frm) | v
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (to - bits)) & maxv)
    elif not pad and (bits >= frm or (acc << (to - bits)) & maxv):
        raise ValueError("invalid bech32 padding")
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    values = _convert(data, 8, 5, True)
    poly = _polymod(_hrp_expand(hrp) + values + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[v] for v in values + checksum)


def bech32_decode(text: str) -> tuple[str, bytes]:
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise ValueError("no separator")
    hrp, rest = text[:pos], text[pos + 1 :]
    try:
        values = [_CHARSET.index(c) for c in rest]
    except ValueError:
        raise ValueError("invalid character") from None
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise ValueError("bad checksum")
    return hrp, bytes(_convert(values[:-6], 5, 8, False))


# --- keys -------------------------------------------------------------------------------------


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


@dataclass(frozen=True)
class Recipient:
    public: bytes  # 32-byte X25519 public key

    @classmethod
    def parse(cls, text: str) -> "Recipient":
        try:
            hrp, data = bech32_decode(text.strip())
        except ValueError as e:
            raise ValueError(f"not an age recipient: {e}") from None
        if hrp != "age" or len(data) != 32 or text.strip() != text.strip().lower():
            raise ValueError("not an age X25519 recipient")
        return cls(data)

    def __str__(self) -> str:
        return bech32_encode("age", self.public)

    @property
    def fingerprint(self) -> str:
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.public).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class Identity:
    private: bytes  # 32-byte X25519 scalar

    @classmethod
    def generate(cls) -> "Identity":
        return cls(_raw_private(X25519PrivateKey.generate()))

    @classmethod
    def parse(cls, text: str) -> "Identity":
        try:
            hrp, data = bech32_decode(text.strip())
        except ValueError as e:
            raise ValueError(f"not an age identity: {e}") from None
        if hrp != "age-secret-key-" or len(data) != 32:
            raise ValueError("not an age X25519 identity")
        return cls(data)

    def __str__(self) -> str:
        return bech32_encode("age-secret-key-", self.private).upper()

    @property
    def recipient(self) -> Recipient:
        return Recipient(_raw_public(X25519PrivateKey.from_private_bytes(self.private).public_key()))


def parse_identities(text: str) -> list[Identity]:
    """An age identity file: one AGE-SECRET-KEY-1… per line, # comments and blank lines ignored."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(Identity.parse(line))
    if not out:
        raise ValueError("no identities in file")
    return out


# --- header -----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


_B64_CHARS = re.compile(rb"^[A-Za-z0-9+/]*$")


def _unb64(text: bytes) -> bytes:
    """Strict, canonical, unpadded base64."""
    if not _B64_CHARS.match(text) or len(text) % 4 == 1:
        raise HeaderError("invalid base64")
    data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    if _b64(data).encode() != text:
        raise HeaderError("non-canonical base64")
    return data


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


@dataclass
class Stanza:
    type: str
    args: list[str]
    body: bytes

    def encode(self) -> bytes:
        text = "-> " + " ".join([self.type, *self.args]) + "\n"
        b = _b64(self.body)
        lines = [b[i : i + 64] for i in range(0, len(b), 64)]
        if not lines or len(lines[-1]) == 64:
            lines.append("")
        return (text + "\n".join(lines) + "\n").encode()


_ARG = re.compile(rb"^[\x21-\x7e]+$")


def _readline(src: BinaryIO) -> bytes:
    line = src.readline(MAX_HEADER_LINE)
    if not line.endswith(b"\n"):
        raise HeaderError("header line too long or file truncated")
    line = line[:-1]
    if b"\r" in line:
        raise HeaderError("carriage return in header")
    return line


def read_header(src: BinaryIO) -> tuple[list[Stanza], bytes, bytes]:
    """(stanzas, the header bytes the MAC covers, the MAC)."""
    first = _readline(src)
    if first != VERSION_LINE:
        raise HeaderError("not an age v1 file")
    covered = first + b"\n"
    stanzas: list = []
    line = _readline(src)
    while True:
        if line.startswith(b"---"):
            if not line.startswith(b"--- "):
                raise HeaderError("malformed MAC line")
            mac = _unb64(line[4:])
            if len(mac) != 32:
                raise HeaderError("MAC has the wrong length")
            covered += b"---"
            return stanzas, covered, mac
        if not line.startswith(b"-> "):
            raise HeaderError("malformed stanza")
        covered += line + b"\n"
        parts = line[3:].split(b" ")
        if not all(_ARG.match(p) for p in parts):
            raise HeaderError("empty or invalid stanza argument")
        body = b""
        while True:
            bl = _readline(src)
            covered += bl + b"\n"
            if len(bl) > 64:
                raise HeaderError("stanza body line longer than 64 columns")
            body_part = _unb64(bl)
            body += body_part
            if len(bl) < 64:
                break
        stanzas.append(Stanza(parts[0].decode(), [p.decode() for p in parts[1:]], body))
        line = _readline(src)


def _header(file_key: bytes, stanzas: list[Stanza]) -> bytes:
    covered = VERSION_LINE + b"\n" + b"".join(s.encode() for s in stanzas) + b"---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), covered, hashlib.sha256).digest()
    return covered + b" " + _b64(mac).encode() + b"\n"


def _x25519_stanza(file_key: bytes, recipient: Recipient) -> Stanza:
    eph = X25519PrivateKey.generate()
    share = _raw_public(eph.public_key())
    shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient.public))
    key = _hkdf(shared, share + recipient.public, X25519_LABEL)
    return Stanza("X25519", [_b64(share)], ChaCha20Poly1305(key).encrypt(b"\0" * 12, file_key, None))


def _scrypt_key(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    return Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=2**log_n, r=8, p=1).derive(passphrase)


def _scrypt_stanza(file_key: bytes, passphrase: bytes, log_n: int) -> Stanza:
    salt = os.urandom(16)
    key = _scrypt_key(passphrase, salt, log_n)
    return Stanza("scrypt", [_b64(salt), str(log_n)], ChaCha20Poly1305(key).encrypt(b"\0" * 12, file_key, None))


def _unwrap(key: bytes, body: bytes) -> bytes | None:
    if len(body) != 32:
        raise HeaderError("wrapped file key must be 16 bytes")
    try:
        return ChaCha20Poly1305(key).decrypt(b"\0" * 12, body, None)
    except InvalidTag:
        return None


def _open_x25519(stanza: Stanza, identity: Identity) -> bytes | None:
    if len(stanza.args) != 1:
        raise HeaderError("X25519 stanza needs exactly one argument")
    share = _unb64(stanza.args[0].encode())
    if len(share) != 32:
        raise HeaderError("X25519 share must be 32 bytes")
    if len(stanza.body) != 32:
        raise HeaderError("wrapped file key must be 16 bytes")
    own = X25519PrivateKey.from_private_bytes(identity.private)
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:  # cryptography refuses the all-zero shared secret of low-order points
        raise HeaderError("X25519 share is a low-order point") from None
    if shared == b"\0" * 32:
        raise HeaderError("X25519 share is a low-order point")
    key = _hkdf(shared, share + _raw_public(own.public_key()), X25519_LABEL)
    return _unwrap(key, stanza.body)


_WORK_FACTOR = re.compile(r"^[1-9][0-9]*$")


def _open_scrypt(stanza: Stanza, passphrase: bytes, max_log_n: int) -> bytes | None:
    if len(stanza.args) != 2:
        raise HeaderError("scrypt stanza needs salt and work factor")
    salt = _unb64(stanza.args[0].encode())
    if len(salt) != 16:
        raise HeaderError("scrypt salt must be 16 bytes")
    if not _WORK_FACTOR.match(stanza.args[1]) or len(stanza.args[1]) > 2:
        raise HeaderError("invalid scrypt work factor")
    log_n = int(stanza.args[1])
    if log_n > max_log_n:
        raise HeaderError(f"scrypt work factor {log_n} is above the limit {max_log_n}")
    if len(stanza.body) != 32:
        raise HeaderError("wrapped file key must be 16 bytes")
    return _unwrap(_scrypt_key(passphrase, salt, log_n), stanza.body)


def file_key_from_header(
    stanzas: list[Stanza],
    identities: Iterable[Identity] = (),
    passphrase: bytes | None = None,
    max_log_n: int = MAX_SCRYPT_LOG_N,
) -> bytes:
    identities = list(identities)
    if any(s.type == "scrypt" for s in stanzas) and len(stanzas) != 1:
        raise HeaderError("an scrypt stanza must be alone in the header")
    for s in stanzas:
        key = None
        if s.type == "X25519":
            for identity in identities:
                key = _open_x25519(s, identity)
                if key is not None:
                    break
        elif s.type == "scrypt" and passphrase is not None:
            key = _open_scrypt(s, passphrase, max_log_n)
        if key is not None:
            return key
    raise NoMatch("no identity matched any of the recipients")


# --- payload ----------------------------------------------------------------------------------


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class Encryptor:
    """A writable sink: bytes written are encrypted to OUT as age v1; close() writes the final chunk.

    Not closing it leaves a file without its final chunk, which every reader rejects as truncated.
    """

    def __init__(
        self,
        out: BinaryIO,
        recipients: Iterable[Recipient] = (),
        passphrase: bytes | None = None,
        log_n: int = SCRYPT_LOG_N,
    ):
        recipients = list(recipients)
        if bool(recipients) == (passphrase is not None):
            raise ValueError("give recipients or a passphrase, not both")
        file_key = os.urandom(16)
        stanzas = (
            [_x25519_stanza(file_key, r) for r in recipients]
            if recipients
            else [_scrypt_stanza(file_key, passphrase or b"", log_n)]
        )
        nonce = os.urandom(16)
        self._out = out
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._counter = 0
        self._pending = bytearray()
        self._finished = False
        out.write(_header(file_key, stanzas))
        out.write(nonce)

    def writable(self) -> bool:
        return True

    def _emit(self, data, last: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._counter, last), bytes(data), None))
        self._counter += 1

    def write(self, data) -> int:
        mv = memoryview(data).cast("B")
        n = len(mv)
        if self._finished:
            raise ValueError("write after close")
        if not n:
            return 0
        if self._pending:
            need = CHUNK - len(self._pending)
            if n <= need:
                self._pending += mv
                return n
            self._pending += mv[:need]
            mv = mv[need:]
            self._emit(self._pending, False)
            self._pending = bytearray()
        full = (len(mv) - 1) // CHUNK  # always keep 1..CHUNK bytes back: the last chunk is marked
        for i in range(full):
            self._emit(mv[i * CHUNK : (i + 1) * CHUNK], False)
        self._pending = bytearray(mv[full * CHUNK :])
        return n

    def close(self) -> None:
        if not self._finished:
            self._finished = True
            self._emit(self._pending, True)
            self._pending = bytearray()


def encrypt(
    src: BinaryIO,
    out: BinaryIO,
    recipients: Iterable[Recipient] = (),
    passphrase: bytes | None = None,
    log_n: int = SCRYPT_LOG_N,
    block: int = 1 << 20,
) -> None:
    enc = Encryptor(out, recipients, passphrase, log_n)
    while data := src.read(block):
        enc.write(data)
    enc.close()


def encrypt_bytes(
    data: bytes, recipients: Iterable[Recipient] = (), passphrase: bytes | None = None, log_n: int = SCRYPT_LOG_N
) -> bytes:
    out = io.BytesIO()
    encrypt(io.BytesIO(data), out, recipients, passphrase, log_n)
    return out.getvalue()


def _read_full(src: BinaryIO, n: int) -> bytes:
    data = src.read(n)
    if data is None:
        data = b""
    while len(data) < n:
        more = src.read(n - len(data))
        if not more:
            break
        data += more
    return data


def decrypt(
    src: BinaryIO,
    out: BinaryIO,
    identities: Iterable[Identity] = (),
    passphrase: bytes | None = None,
    max_log_n: int = MAX_SCRYPT_LOG_N,
) -> int:
    """Decrypt SRC into OUT; returns the plaintext size. Raises an AgeError subclass."""
    if not hasattr(src, "readline") or not hasattr(src, "peek"):
        src = io.BufferedReader(src) if isinstance(src, io.RawIOBase) else src
    stanzas, covered, mac = read_header(src)
    file_key = file_key_from_header(stanzas, identities, passphrase, max_log_n)
    expected = hmac.new(_hkdf(file_key, b"", b"header"), covered, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise MacError("header MAC mismatch")
    nonce = _read_full(src, 16)
    if len(nonce) != 16:
        raise HeaderError("payload nonce missing or short")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    size = CHUNK + TAG
    buf = _read_full(src, size)
    if not buf:
        raise PayloadError("payload has no chunks")
    counter = total = 0
    while True:
        if len(buf) < TAG:
            raise PayloadError(f"chunk {counter} is too short")
        last = len(buf) < size
        plain = None
        if not last:
            plain = _open_chunk(aead, counter, False, buf)
        if plain is None:  # a short chunk, or a full one that may be the final one
            last = True
            plain = _open_chunk(aead, counter, True, buf)
        if plain is None:
            raise PayloadError(f"chunk {counter} failed authentication (damaged or altered)")
        if last and not plain and counter:
            raise PayloadError("final chunk is empty")
        out.write(plain)
        total += len(plain)
        if last:
            if src.read(1):
                raise PayloadError("data after the final chunk")
            return total
        buf = _read_full(src, size)
        counter += 1
        if not buf:
            raise PayloadError("payload truncated: no final chunk")


def _open_chunk(aead: ChaCha20Poly1305, counter: int, last: bool, data: bytes) -> bytes | None:
    try:
        return aead.decrypt(_nonce(counter, last), data, None)
    except InvalidTag:
        return None


def decrypt_bytes(
    data: bytes, identities: Iterable[Identity] = (), passphrase: bytes | None = None, max_log_n: int = MAX_SCRYPT_LOG_N
) -> bytes:
    out = io.BytesIO()
    decrypt(io.BytesIO(data), out, identities, passphrase, max_log_n)
    return out.getvalue()


def ciphertext_size(plain_size: int, recipients: int = 1) -> int:
    """Exact size of an X25519-encrypted file with RECIPIENTS stanzas (each stanza is 98 bytes)."""
    chunks = max(1, -(-plain_size // CHUNK))
    header = len(VERSION_LINE) + 1 + 98 * recipients + 4 + 43 + 1
    return header + 16 + plain_size + TAG * chunks
