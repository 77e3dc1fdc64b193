"""The sample station from sample_data/build.py, built once per session and copied for each test."""

import hashlib
import importlib.util
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from workflows.station import Station


def _build(dest: Path) -> None:
    spec = importlib.util.spec_from_file_location("sample_build", ROOT / "sample_data" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.build_station(dest)


CACHE = ROOT / ".cache" / "test-sample-station"
# Real RAR packages for the sample (RAR cannot be written with free tools); the sample skips them when absent.
RAR_SAMPLES = ROOT.parent / "shared" / "fixtures" / "rar"


def cache_key() -> str:
    """Changes whenever anything that shapes the sample station changes: the builder, the station's code and
    profiles, and the ffmpeg that made its media."""
    h = hashlib.sha256()
    for top in ("sample_data", "store", "workflows", "exporters"):
        for path in sorted((ROOT / top).rglob("*")):
            if (
                path.is_file()
                and (top == "sample_data" or path.suffix in (".py", ".toml"))
                and "__pycache__" not in path.parts
            ):
                h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    try:
        version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        version = "no ffmpeg"
    h.update(version.splitlines()[0].encode() if version else b"")
    h.update(b"rar" if RAR_SAMPLES.is_dir() else b"no rar")
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def sample_master(tmp_path_factory) -> Path:
    """The built sample station directory (shared: never write to it).

    Cached across test runs in .cache/test-sample-station/<key>, keyed on the generating code and ffmpeg's version;
    a build that did not finish has no `.built` marker and is made again.
    """
    master = CACHE / cache_key()
    if not (master / ".built").exists():
        if CACHE.exists():
            for old in CACHE.iterdir():  # keep only the current key (and drop an unfinished build)
                shutil.rmtree(old, ignore_errors=True)
        # Built in place: the station records absolute share paths, which must stay valid.
        _build(master)
        (master / ".built").touch()
    return master


def copy_station(master: Path, dest: Path) -> Station:
    """A private copy of the sample station: its own database, the master's objects and share."""
    dest.mkdir(parents=True)
    src = sqlite3.connect(master / "station.db")
    out = sqlite3.connect(dest / "station.db")
    src.backup(out)
    src.close()
    out.close()
    for name in ("objects", "share"):
        (dest / name).symlink_to(master / name, target_is_directory=True)
    return Station.open(dest / "station.db")


@pytest.fixture
def sample(sample_master, tmp_path) -> Station:
    return copy_station(sample_master, tmp_path / "station")
