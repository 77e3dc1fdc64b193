"""Build the offline install kit on a connected Debian 12 machine (`make kit`).

dist/review-station-offline-<version>-debian12-<arch>.tar.gz holds:
  install.sh, SHA256SUMS, kit.json (what is inside and what it assumes is already there),
  wheels/  the project and every pin of requirements.lock, as wheels,
  debs/    ffmpeg, unar, libarchive13, tmux, age, python3-venv and, with --no-install-recommends,
           everything they need that a minimal Debian 12 (Priority: required and its
           dependencies, what `mmdebstrap --variant=minbase` makes) does not have,
  sample_data/build.py  the sample station, for training and for the kit test.
Downloads are cached (--cache): .debs by file name, wheels by the lock file's hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
# antiword: .doc/.wps forms; libgl1, libglib2.0-0: OpenCV (opencv-python, under the title-card OCR) links them
TARGETS = ("ffmpeg", "unar", "libarchive13", "tmux", "age", "antiword", "python3-venv", "libgl1", "libglib2.0-0")
DEFAULT_CACHE = Path.home() / ".cache" / "review-station-kit"


@dataclass(frozen=True)
class Deb:
    name: str
    version: str
    arch: str

    @property
    def filename(self) -> str:  # as `apt-get download` names it
        return f"{self.name}_{self.version.replace(':', '%3a')}_{self.arch}.deb"


def log(message: str) -> None:
    print(f"[kit] {message}", file=sys.stderr, flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def debian_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


# --- Debian packages -------------------------------------------------------------------------


def _simulate(status: Path, packages: list[str]) -> list[Deb]:
    """What `apt-get install --no-install-recommends PACKAGES` would install on a system whose
    dpkg status file is STATUS."""
    p = subprocess.run(
        [
            "apt-get",
            "-s",
            "-y",
            "-o",
            f"Dir::State::status={status}",
            "-o",
            "Debug::NoLocking=1",
            "install",
            "--no-install-recommends",
            *packages,
        ],
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        sys.exit(
            f"[kit] apt-get cannot resolve {' '.join(packages[:8])}...: {p.stderr.strip()}\n"
            "[kit] Is this Debian 12 with `apt-get update` done?"
        )
    return [Deb(n, v, a) for n, v, a in re.findall(r"^Inst (\S+) \((\S+) .*?\[(\S+)\]\)", p.stdout, re.M)]


def _required() -> list[str]:
    out = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    names = set()
    for stanza in out.split("\n\n"):
        if re.search(r"^(Priority: required|Essential: yes)$", stanza, re.M):
            names.add(re.search(r"^Package: (\S+)", stanza, re.M).group(1))
    return sorted(names)


def minimal_debian(work: Path) -> tuple[Path, list[Deb]]:
    """A dpkg status file for a minimal Debian 12: the required packages and their dependencies."""
    empty = work / "empty-status"
    empty.write_text("")
    base = _simulate(empty, _required())
    shown = subprocess.run(
        ["apt-cache", "show", *[f"{d.name}={d.version}" for d in base]], capture_output=True, text=True, check=True
    ).stdout
    stanzas = [s.strip() for s in shown.split("\n\n") if s.strip()]
    status = work / "minimal-status"
    status.write_text("".join(f"{s}\nStatus: install ok installed\n\n" for s in stanzas))
    return status, base


def download_debs(debs: list[Deb], cache: Path) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    missing = [d for d in debs if not (cache / d.filename).exists()]
    if missing:
        log(f"downloading {len(missing)} of {len(debs)} .deb files")
        p = subprocess.run(
            ["apt-get", "download", *[f"{d.name}={d.version}" for d in missing]],
            cwd=cache,
            capture_output=True,
            text=True,
        )
        if p.returncode != 0:
            sys.exit(f"[kit] apt-get download failed: {p.stderr.strip()[-2000:]}")
    absent = [d.filename for d in debs if not (cache / d.filename).exists()]
    if absent:
        sys.exit(f"[kit] not downloaded: {', '.join(absent)}")
    return [cache / d.filename for d in debs]


# --- Python wheels -----------------------------------------------------------------------------


def dependency_wheels(cache: Path) -> Path:
    """Every pin of requirements.lock as a wheel, checked against its hashes; cached by the lock's hash."""
    if sys.version_info[:2] != (3, 11):
        sys.exit("[kit] build with Python 3.11, the python3 of Debian 12")
    folder = cache / f"wheels-{sha256(LOCK)[:16]}"
    if not (folder / ".complete").exists():
        log("downloading wheels for requirements.lock")
        tmp = Path(tempfile.mkdtemp(prefix="wheels-", dir=cache))
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "-r",
                str(LOCK),
                "-d",
                str(tmp),
            ],
            capture_output=True,
            text=True,
        )
        if p.returncode != 0:
            sys.exit(f"[kit] pip download failed (every pin needs a wheel for Python 3.11):\n{p.stderr[-3000:]}")
        (tmp / ".complete").touch()
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


def project_wheel(dest: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "-w",
                tmp,
                str(ROOT),
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        (wheel,) = Path(tmp).glob("review_station-*.whl")
        return Path(shutil.copy2(wheel, dest))


# --- assembling --------------------------------------------------------------------------------


def write_sums(top: Path) -> None:
    files = sorted(p for p in top.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    lines = [f"{sha256(p)}  {p.relative_to(top).as_posix()}\n" for p in files]
    (top / "SHA256SUMS").write_text("".join(lines))


def build(out: Path, cache: Path) -> Path:
    version, arch = project_version(), debian_arch()
    name = f"review-station-offline-{version}-debian12-{arch}"
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kit-") as tmp:
        work = Path(tmp)
        status, base = minimal_debian(work)
        debs = _simulate(status, list(TARGETS))
        log(f"{len(debs)} Debian packages beyond a minimal Debian 12 ({len(base)} packages)")
        top = work / name
        for sub in ("debs", "wheels", "sample_data"):
            (top / sub).mkdir(parents=True)
        for path in download_debs(debs, cache / "debs"):
            shutil.copy2(path, top / "debs" / path.name)
        for wheel in sorted(dependency_wheels(cache).glob("*.whl")):
            shutil.copy2(wheel, top / "wheels" / wheel.name)
        project = project_wheel(top / "wheels")
        shutil.copy2(LOCK, top / "requirements.lock")
        shutil.copy2(ROOT / "kit" / "install.sh", top / "install.sh")
        (top / "install.sh").chmod(0o755)
        # the sample builder, its media module and its two Word 97 forms
        shutil.copytree(
            ROOT / "sample_data", top / "sample_data", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
        )
        manifest = {
            "name": "review-station",
            "version": version,
            "arch": arch,
            "debian": "12",
            "project_wheel": project.name,
            "debs": [f"{d.name}={d.version}" for d in debs],
            "assumes_installed": [f"{d.name}={d.version}" for d in base],
        }
        (top / "kit.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
        write_sums(top)
        out.mkdir(parents=True, exist_ok=True)
        tarball = out / f"{name}.tar.gz"
        partial = tarball.with_suffix(".partial")
        subprocess.run(
            [
                "tar",
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "-I",
                "gzip -n -1",
                "-cf",
                str(partial),
                "-C",
                str(work),
                name,
            ],
            check=True,
        )
        partial.rename(tarball)
    size = tarball.stat().st_size
    log(f"{tarball} ({size / 1e6:.0f} MB = {size / 2**20:.0f} MiB; {len(debs)} .deb files)")
    return tarball


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the Review Station offline install kit.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .tar.gz goes")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download cache (.debs, wheels)")
    args = parser.parse_args(argv)
    print(build(args.out.resolve(), args.cache.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
