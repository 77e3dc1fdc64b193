import io
import os
import re
import subprocess
import zipfile
import zlib
from pathlib import Path

import py7zr
import pytest
from conftest import FIXTURES, needs_shared, write_zip

from workflows.ingest import archives
from workflows.station import Limits

RAR = FIXTURES / "rar"
needs_rar = needs_shared(RAR)


class Collect:
    def __init__(self):
        self.files = {}

    def open(self, name):
        buf = io.BytesIO()
        buf.name = name
        return buf

    def close(self, name, sink):
        self.files[name] = sink.getvalue()


def extract(path) -> dict[str, bytes]:
    c = Collect()
    archives.open_reader(Path(path)).extract(c.open, c.close)
    return c.files


def problems(entries, **limits):
    return [p.rule for p in archives.judge(entries, Limits(**limits))]


def test_gbk_zip_names_come_out_right(tmp_path):
    z = write_zip(tmp_path / "a.zip", {"张三/巧手做风筝/作品登记表.pdf": b"%PDF", "张三/说明.txt": b"hi"}, gbk=True)
    with zipfile.ZipFile(z) as raw:  # proof the fixture is really GBK without the flag
        assert not raw.infolist()[0].flag_bits & 0x800
        assert raw.namelist()[0] != "张三/巧手做风筝/作品登记表.pdf"
    assert [e.name for e in archives.open_reader(z).entries()] == ["张三/巧手做风筝/作品登记表.pdf", "张三/说明.txt"]
    assert extract(z)["张三/说明.txt"] == b"hi"


def test_utf8_zip_without_flag_stays_utf8(tmp_path):
    z = tmp_path / "mac.zip"
    with zipfile.ZipFile(z, "w") as out:
        info = zipfile.ZipInfo("x")
        out.writestr(info, b"1")
    data = z.read_bytes().replace(b"x", b"X")  # keep the structure, then rename via raw bytes below
    name = "课件.pptx".encode("utf-8")

    class Utf8NoFlag(zipfile.ZipInfo):
        def _encodeFilenameFlags(self):
            return name, self.flag_bits & ~0x800

    with zipfile.ZipFile(z, "w") as out:
        out.writestr(Utf8NoFlag("课件.pptx"), b"1")
    assert [e.name for e in archives.open_reader(z).entries()] == ["课件.pptx"]
    assert data


@pytest.mark.parametrize("name", ["../../逃逸.txt", "/etc/passwd", "a/../../b", "C:\\Windows\\x", "..\\x"])
def test_unsafe_names_are_refused(name):
    assert "archive.unsafe" in problems([archives.Entry(name, 1)])


def test_links_devices_and_collisions_are_refused():
    assert problems([archives.Entry("a", 1, is_link=True)]) == ["archive.unsafe"]
    assert problems([archives.Entry("a", 1, is_special=True)]) == ["archive.unsafe"]
    # é composed and decomposed, and case: all the same file once extracted on Windows or macOS
    assert problems([archives.Entry("Caf\u00e9.txt", 1), archives.Entry("cafe\u0301.TXT", 1)]) == ["archive.unsafe"]
    assert problems([archives.Entry("课件.pptx", 1), archives.Entry("课件.PPTX", 1)]) == ["archive.unsafe"]
    assert problems([archives.Entry("a.txt", 1), archives.Entry("b.txt", 1)]) == []


def test_size_count_and_ratio_limits():
    many = [archives.Entry(f"{i}.txt", 1) for i in range(11)]
    assert problems(many, max_entries=10) == ["archive.too_large"]
    assert problems([archives.Entry("big", 11)], max_total_bytes=10) == ["archive.too_large"]
    bomb = archives.Entry("bomb.bin", 10 * 2**30, compressed=10 * 2**20)
    assert problems([bomb]) == ["archive.too_large"]


def _set_encrypted_flag(path: Path, name: bytes) -> None:
    """zipfile cannot write encrypted entries: set bit 0 in the local and central headers of NAME."""
    data = bytearray(path.read_bytes())
    for sig, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = data.find(sig)
        while pos != -1:
            if data[pos + name_at : pos + name_at + len(name)] == name:
                data[pos + flags_at] |= 0x1
            pos = data.find(sig, pos + 1)
    path.write_bytes(bytes(data))


def test_zip_symlink_and_encrypted_flags_are_read(tmp_path):
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as out:
        link = zipfile.ZipInfo("link")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        out.writestr(link, "/etc/passwd")
        out.writestr("secret.txt", b"ciphertext")
    _set_encrypted_flag(z, b"secret.txt")
    entries = {e.name: e for e in archives.open_reader(z).entries()}
    assert entries["link"].is_link and entries["secret.txt"].encrypted
    assert set(problems(list(entries.values()))) == {"archive.unsafe", "archive.encrypted"}


def test_corrupt_and_unknown_files(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04" + os.urandom(100))
    with pytest.raises(archives.ArchiveCorrupt):
        archives.open_reader(bad).entries()
    other = tmp_path / "x.rar"
    other.write_bytes(b"not an archive")
    with pytest.raises(archives.ArchiveCorrupt):
        archives.open_reader(other)


def test_zip_crc_error_is_corrupt(tmp_path):
    z = write_zip(tmp_path / "crc.zip", {"a.txt": b"hello world" * 100})
    data = bytearray(z.read_bytes())
    pos = data.index(b"a.txt") + 5 + 10  # inside the deflated payload
    data[pos] ^= 0xFF
    z.write_bytes(bytes(data))
    with pytest.raises(archives.ArchiveCorrupt):
        extract(z)


def test_7z_with_chinese_names_streams(tmp_path):
    path = tmp_path / "a.7z"
    with py7zr.SevenZipFile(path, "w") as z:
        z.writestr(b"video" * 1000, "初中+第二中学+李华/案例/录像.mp4")
        z.writestr(b"doc", "初中+第二中学+李华/案例/案例介绍.docx")
    reader = archives.open_reader(path)
    assert {e.name for e in reader.entries() if not e.is_dir} == {
        "初中+第二中学+李华/案例/案例介绍.docx",
        "初中+第二中学+李华/案例/录像.mp4",
    }
    files = extract(path)
    assert files["初中+第二中学+李华/案例/录像.mp4"] == b"video" * 1000


def test_encrypted_7z_is_reported(tmp_path):
    path = tmp_path / "secret.7z"
    with py7zr.SevenZipFile(path, "w", password="secret") as z:
        z.writestr(b"data", "a.txt")
    assert problems(archives.open_reader(path).entries()) == ["archive.encrypted"]
    hidden = tmp_path / "hidden.7z"
    with py7zr.SevenZipFile(hidden, "w", password="secret", header_encryption=True) as z:
        z.writestr(b"data", "a.txt")
    with pytest.raises(archives.ArchiveEncrypted):
        archives.open_reader(hidden).entries()


def _expected_crcs(exp: Path) -> dict[str, int]:
    """name -> CRC32 from rarfile's .exp listing (one FILE: block per entry)."""
    out = {}
    for block in exp.read_text("utf-8", errors="replace").split("FILE:")[1:]:
        crc = re.search(r"\bcrc=(0x[0-9a-f]+)", block)
        name = re.search(r"^\s*name=(.*)$", block, re.M)
        if crc and name:
            out[name.group(1).strip()] = int(crc.group(1), 16)
    return out


@needs_rar
@pytest.mark.parametrize(
    "name",
    [
        "rar3-solid.rar",
        "rar5-solid.rar",
        "rar3-subdirs.rar",
        "rar5-subdirs.rar",
        "rar5-vols.part1.rar",
        "seektest.rar",
        "unicode.rar",
        "rar2-unix-owner.rar",
    ],
)
def test_rar_archives_extract_with_correct_content(name):
    path = RAR / "rarfile" / name
    files = extract(path)
    crcs = _expected_crcs(path.with_name(name + ".exp"))
    assert files, "nothing extracted"
    checked = 0
    for fname, data in files.items():
        if fname in crcs:
            assert zlib.crc32(data) == crcs[fname], fname
            checked += 1
    assert checked == len(files)


@needs_rar
def test_rar4_cjk_names_and_rar5_from_windows():
    files = extract(RAR / "libarchive" / "test_read_format_rar_unicode.rar")
    assert "表だよ/漢字長いファイル名long-filename-in-漢字.txt" in files
    names = [e.name for e in archives.open_reader(RAR / "libarchive" / "test_read_format_rar5_win32.rar").entries()]
    assert "test.bin" in names


@needs_rar
@pytest.mark.parametrize(
    "name", ["rarfile/rar5-psw.rar", "rarfile/rar3-comment-psw.rar", "libarchive/test_read_format_rar4_encrypted.rar"]
)
def test_encrypted_rar_entries_are_flagged(name):
    entries = archives.open_reader(RAR / name).entries()
    assert "archive.encrypted" in problems(entries)


@needs_rar
def test_rar_with_encrypted_headers():
    with pytest.raises(archives.ArchiveEncrypted):
        archives.open_reader(RAR / "rarfile" / "rar5-hpsw.rar").entries()


@needs_rar
@pytest.mark.parametrize(
    "name",
    ["rarfile/rar5-evil-symlink-traversal.rar", "rarfile/rar3-symlink-unix.rar", "rarfile/rar5-symlink-unix.rar"],
)
def test_rar_symlinks_are_unsafe(name):
    assert "archive.unsafe" in problems(archives.open_reader(RAR / name).entries())


@needs_rar
def test_corrupt_rar_and_lone_later_volume():
    with pytest.raises(archives.ArchiveCorrupt):
        archives.open_reader(RAR / "libarchive" / "test_read_format_rar5_bad_tables.rar").entries()
    with pytest.raises(archives.ArchiveCorrupt, match="第一卷"):
        archives.open_reader(RAR / "rarfile" / "rar5-vols.part2.rar")
    assert archives.is_later_volume(Path("x.part2.rar")) and not archives.is_later_volume(Path("x.part1.rar"))


@needs_rar
def test_an_unar_that_hangs_is_stopped_and_the_archive_reported(tmp_path, monkeypatch):
    """unar is a separate program: a crafted RAR 2-4 that makes it stall must not hang the import."""
    real = subprocess.run(["sh", "-c", "command -v unar"], capture_output=True, text=True, check=True).stdout.strip()
    shim = tmp_path / "bin" / "unar"
    shim.parent.mkdir()
    # Extraction to stdout (`-o -`) hangs the way a looping decoder would; anything else is the real unar.
    pause = str(600 + os.getpid() % 1000)  # names this test's sleeper among concurrent runs
    shim.write_text(f'#!/bin/sh\nfor a; do [ "$a" = "-o" ] && exec sleep {pause}; done\nexec {real} "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(archives, "UNAR_STALL_SECONDS", 1.0)
    with pytest.raises(archives.ArchiveCorrupt, match="超时") as caught:
        extract(RAR / "rarfile" / "rar3-solid.rar")
    assert caught.value.rule == "archive.corrupt"
    # stopped by the watchdog (without it, extraction waits for the sleep to end and then fails its CRC)
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
    assert f"sleep {pause}" not in running
