"""The sample station from sample_data/build.py, built once per session and copied for each test."""

import importlib.util
import sqlite3
from pathlib import Path

import pytest
from conftest import ROOT

from workflows.station import Station


def _build(dest: Path) -> None:
    spec = importlib.util.spec_from_file_location("sample_build", ROOT / "sample_data" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.build_station(dest)


@pytest.fixture(scope="session")
def sample_master(tmp_path_factory) -> Path:
    """The built sample station directory (shared: never write to it)."""
    master = tmp_path_factory.getbasetemp() / "sample-station-master"
    if not (master / ".built").exists():
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
