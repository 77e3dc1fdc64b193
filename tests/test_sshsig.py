"""SSHSIG Ed25519: our signatures verify with `ssh-keygen -Y verify`, and ssh-keygen's with ours."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from exporters import sshsig

needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed (make setup)"
)
MESSAGE = "标签清单\n".encode() * 1000


def ssh_verify(
    tmp_path, key: sshsig.PublicKey, message: bytes, signature: str, namespace: str, principal: str = "410102"
) -> subprocess.CompletedProcess:
    (tmp_path / "allowed_signers").write_text(f"{principal} {key.openssh()}\n")
    (tmp_path / "msg.sig").write_text(signature)
    return subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(tmp_path / "allowed_signers"),
            "-I",
            principal,
            "-n",
            namespace,
            "-s",
            str(tmp_path / "msg.sig"),
        ],
        input=message,
        capture_output=True,
    )


def test_sign_and_verify():
    key = sshsig.SigningKey.generate()
    sig = sshsig.sign(key, "bundle-outer", MESSAGE)
    assert sshsig.verify(sig, MESSAGE, "bundle-outer") == key.public
    with pytest.raises(sshsig.SignatureError, match="namespace"):
        sshsig.verify(sig, MESSAGE, "bundle-inner")
    with pytest.raises(sshsig.SignatureError, match="does not match"):
        sshsig.verify(sig, MESSAGE + b"x", "bundle-outer")
    with pytest.raises(sshsig.SignatureError):
        sshsig.verify(sig.replace("A", "B", 1), MESSAGE, "bundle-outer")


@needs_ssh_keygen
def test_our_signature_verifies_with_ssh_keygen(tmp_path):
    key = sshsig.SigningKey.generate()
    sig = sshsig.sign(key, "bundle-outer", MESSAGE)
    p = ssh_verify(tmp_path, key.public, MESSAGE, sig, "bundle-outer")
    assert p.returncode == 0, p.stderr
    assert key.public.fingerprint.encode() in p.stdout + p.stderr
    assert ssh_verify(tmp_path, key.public, MESSAGE + b"x", sig, "bundle-outer").returncode != 0
    assert ssh_verify(tmp_path, key.public, MESSAGE, sig, "bundle-inner").returncode != 0


@needs_ssh_keygen
def test_ssh_keygen_signature_verifies_with_ours(tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    (tmp_path / "msg").write_bytes(MESSAGE)
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(tmp_path / "k"), "-n", "bundle-outer", str(tmp_path / "msg")],
        check=True,
        capture_output=True,
    )
    signer = sshsig.verify((tmp_path / "msg.sig").read_text(), MESSAGE, "bundle-outer")
    assert signer == sshsig.PublicKey.parse((tmp_path / "k.pub").read_text())
    fp = subprocess.run(
        ["ssh-keygen", "-lf", str(tmp_path / "k.pub")], capture_output=True, text=True, check=True
    ).stdout
    assert signer.fingerprint in fp


@needs_ssh_keygen
def test_exported_private_key_signs_with_ssh_keygen(tmp_path):
    """The OpenSSH form of our seed is the same key to ssh-keygen (emergency signing without the station)."""
    key = sshsig.SigningKey.generate()
    path = tmp_path / "k"
    path.write_text(key.openssh_private())
    path.chmod(0o600)
    (tmp_path / "msg").write_bytes(MESSAGE)
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-f", str(path), "-n", "bundle-outer", str(tmp_path / "msg")],
        check=True,
        capture_output=True,
    )
    assert sshsig.verify((tmp_path / "msg.sig").read_text(), MESSAGE, "bundle-outer") == key.public
