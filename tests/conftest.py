import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workflows import campaigns
from workflows.station import Station

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
STATION = [sys.executable, "-m", "tui.cli.main"]


def pytest_configure(config):
    os.environ.setdefault("LANG", "C.UTF-8")


def needs_shared(path: Path) -> pytest.MarkDecorator:
    """Mark a test that reads PATH under ../shared/fixtures: skipped when it is absent, but failed when CI is set,
    so that a CI machine without the fixtures cannot pass by silently skipping the real-archive and age tests."""
    return pytest.mark.shared_fixture(str(path))


def pytest_runtest_setup(item):
    for mark in item.iter_markers("shared_fixture"):
        path = Path(mark.args[0])
        if not path.exists():
            if os.environ.get("CI"):
                pytest.fail(f"{path} is missing and CI is set: the shared fixtures must be present", pytrace=False)
            pytest.skip(f"{path} is absent")


@pytest.fixture
def station(tmp_path) -> Station:
    return Station.open(tmp_path / "station" / "station.db")


@pytest.fixture
def campaign(station):
    def make(profile="after-school-2024", name=None):
        return campaigns.add(station, name or profile, profile)

    return make


@pytest.fixture
def cli(tmp_path):
    """Run the real `station` command; returns (exit code, stdout, stderr)."""
    db = tmp_path / "station" / "station.db"

    def run(*args, check_json=False):
        env = dict(os.environ, STATION_DB=str(db), LANG="C.UTF-8")
        p = subprocess.run(
            [str(Path(sys.executable).parent / "station"), *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        out = json.loads(p.stdout) if check_json else p.stdout
        return p.returncode, out, p.stderr

    return run


@pytest.fixture(scope="session")
def video(tmp_path_factory) -> Path:
    """One tiny real H.264/AAC MP4, made once per test session."""
    out = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x180:r=25:d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(out),
        ],
        check=True,
    )
    return out


class GbkInfo(zipfile.ZipInfo):
    """A ZIP entry named in GBK without the UTF-8 flag, as Chinese Windows writes them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def write_zip(path: Path, files: dict[str, bytes], gbk: bool = False) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = GbkInfo(name) if gbk else zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def tree(root: Path, files: dict[str, bytes | Path]) -> Path:
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, p)
        else:
            p.write_bytes(data)
    return root


def snapshot(root: Path) -> dict:
    """Every file's bytes and mtime: proof the importer never touched the originals."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()
    }
