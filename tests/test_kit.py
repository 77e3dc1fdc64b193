"""The offline install kit, built for real and installed into a fresh minimal Debian 12 with no network.

Building needs a connected Debian 12 machine; installing needs root, `unshare` and `mmdebstrap`
(for the fresh Debian). Downloads (.debs, wheels, the minimal Debian) are cached in
STATION_KIT_CACHE (default ~/.cache/review-station-kit), so only the first run is slow.
"""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

CACHE = Path(os.environ.get("STATION_KIT_CACHE", Path.home() / ".cache" / "review-station-kit"))
PREFIX = "/opt/review-station-test"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.timeout(1200)


def _debian12() -> str | None:
    try:
        release = Path("/etc/debian_version").read_text().strip()
    except OSError:
        return "not Debian: the kit is built with apt-get on Debian 12"
    if not release.startswith("12") or not shutil.which("apt-get"):
        return f"the kit is built on Debian 12 with apt-get (this is Debian {release})"
    return None


def _fresh_debian_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "installing into a fresh Debian needs root (chroot, unshare -n); CI runs as root"
    for tool in ("unshare", "mmdebstrap", "chroot"):
        if not shutil.which(tool):
            return f"installing into a fresh Debian needs `{tool}` (make setup installs it)"
    if subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "true"], capture_output=True).returncode:
        return "`unshare --net --mount --pid` is not permitted here (a container without CAP_SYS_ADMIN?)"
    return _debian12()


@pytest.fixture(scope="session")
def kit(tmp_path_factory) -> Path:
    reason = _debian12()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("dist")
    p = subprocess.run(
        [sys.executable, str(ROOT / "kit" / "build.py"), "--out", str(out), "--cache", str(CACHE)],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert p.returncode == 0, p.stderr[-4000:]
    (tarball,) = out.glob("*.tar.gz")
    return tarball


@pytest.fixture(scope="session")
def manifest(kit) -> dict:
    with tarfile.open(kit) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/kit.json"))
        return json.load(tar.extractfile(member))


@pytest.fixture(scope="session")
def minimal_debian(manifest) -> Path:
    """A `mmdebstrap --variant=minbase` Debian 12, as a tarball cached by the package set the kit assumes."""
    reason = _fresh_debian_unavailable()
    if reason:
        pytest.skip(reason)
    key = hashlib.sha256("\n".join(sorted(manifest["assumes_installed"])).encode()).hexdigest()[:16]
    tarball = CACHE / f"minbase-bookworm-{key}.tar"
    if not tarball.exists():
        partial = tarball.with_suffix(".partial.tar")
        subprocess.run(
            ["mmdebstrap", "--quiet", "--variant=minbase", "bookworm", str(partial)], check=True, timeout=900
        )
        partial.rename(tarball)
    return tarball


def fresh_root(minimal_debian: Path, tmp_path: Path, kit: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    subprocess.run(["tar", "-xf", str(minimal_debian), "-C", str(root)], check=True)
    # A throwaway root needs no fsync per file (Debian's container images do the same); halves the time.
    (root / "etc/dpkg/dpkg.cfg.d/unsafe-io").write_text("force-unsafe-io\n")
    shutil.copy2(kit, root / "tmp" / "kit.tar.gz")
    return root


def offline(root: Path, script: str) -> subprocess.CompletedProcess:
    """Run SCRIPT as root inside ROOT, in a network namespace with no network at all."""
    inner = (
        f'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && '
        f'exec chroot "$1" /usr/bin/env -i PATH={PATH} HOME=/root LANG=C.UTF-8 /bin/bash -ec "$2"'
    )
    return subprocess.run(
        ["unshare", "--net", "--mount", "--pid", "--fork", "sh", "-c", inner, "sh", str(root), script],
        capture_output=True,
        text=True,
        timeout=900,
    )


def ok(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout


def test_kit_holds_the_locked_wheels_and_the_deb_closure(kit, manifest):
    assert re.fullmatch(r"review-station-offline-[\w.]+-debian12-(amd64|arm64)\.tar\.gz", kit.name)
    assert kit.name == f"review-station-offline-{manifest['version']}-debian12-{manifest['arch']}.tar.gz"
    with tarfile.open(kit) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if m.isfile()}
        sums = dict(
            reversed(line.split("  ", 1))
            for line in tar.extractfile(members["SHA256SUMS"]).read().decode().splitlines()
        )
        lock = tar.extractfile(members["requirements.lock"]).read().decode()
        ocr = next(m for n, m in members.items() if Path(n).name.startswith("rapidocr_onnxruntime-"))
        with zipfile.ZipFile(io.BytesIO(tar.extractfile(ocr).read())) as wheel:
            models = sorted(Path(n).name for n in wheel.namelist() if n.endswith(".onnx"))
    # the title-card OCR's detection, direction and recognition models travel inside its wheel
    assert models == ["ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"]
    assert set(sums) == set(members) - {"SHA256SUMS"}
    assert {"install.sh", "kit.json", "requirements.lock", "sample_data/build.py"} <= set(members)
    assert members["install.sh"].mode & 0o111
    assert lock == (ROOT / "requirements.lock").read_text()

    pins = {n.lower().replace("_", "-"): v for n, v in re.findall(r"^([\w.-]+)==(\S+)", lock, re.M)}
    wheels = {}
    for name in members:
        if name.startswith("wheels/"):
            dist, version = Path(name).name.split("-")[:2]
            wheels[dist.lower().replace("_", "-").replace(".", "-")] = version
    assert wheels.pop("review-station") == manifest["version"]
    assert wheels == {n.replace(".", "-"): v for n, v in pins.items()}  # exactly the tested pins
    assert not {"pytest", "pyftpdlib", "pip-tools"} & set(wheels)  # no test-only packages

    debs = {d.split("=")[0] for d in manifest["debs"]}
    assert {"ffmpeg", "unar", "libarchive13", "tmux", "age", "python3-venv", "python3.11", "libgl1"} <= debs
    assert not debs & {d.split("=")[0] for d in manifest["assumes_installed"]}
    assert {"libc6", "dpkg", "apt"} <= {d.split("=")[0] for d in manifest["assumes_installed"]}
    assert len([n for n in members if n.startswith("debs/")]) == len(manifest["debs"])
    assert not any(re.match(r"debs/(.*-dev|gcc|g\+\+|make)_", n) for n in members)  # no build-only packages


def test_kit_installs_offline_on_a_fresh_debian_and_upgrades_in_place(kit, manifest, minimal_debian, tmp_path):
    root = fresh_root(minimal_debian, tmp_path, kit)
    unpack = f"cd /tmp && tar xzf kit.tar.gz && cd {kit.name[: -len('.tar.gz')]}"
    assert not (root / "usr/bin/ffmpeg").exists() and not (root / "usr/bin/python3").exists()

    first = ok(offline(root, f'test -z "$(tail -n +2 /proc/net/route)"; {unpack}; ./install.sh --prefix {PREFIX}'))
    assert f"新安装或升级 {len(manifest['debs'])} 个" in first and "评审工作站" in first and "已安装到" in first
    assert "结论：" in first  # install.sh ran station doctor

    version = ok(offline(root, "station --version"))
    assert manifest["version"] in version

    p = offline(root, "station --db /srv/station/station.db doctor --json")
    assert p.returncode in (0, 1), p.stderr
    items = {i["id"]: i for i in json.loads(p.stdout)["items"]}
    for key in ("ffmpeg", "rar.unar", "rar.libarchive", "locale", "ocr"):  # ocr: engine and models, no network
        assert items[key]["level"] == "ok", items[key]
    assert PREFIX in items["program"]["detail"]
    assert not (root / "srv/station").exists()  # the doctor looked and created nothing

    sample = f"{PREFIX}/current/venv/bin/python /tmp/{kit.name[: -len('.tar.gz')]}/sample_data/build.py --station /srv/station"
    ok(offline(root, sample))
    listing = json.loads(ok(offline(root, "station --db /srv/station/station.db list --json")))
    titles = {s["title"] for s in listing}
    assert {"剪纸艺术", "春晓", "《函数的图像》教学案例"} <= titles  # GBK ZIP, awards match, 7z
    report = json.loads(offline(root, "station --db /srv/station/station.db doctor --json").stdout)
    items = {i["id"]: i for i in report["items"]}
    assert items["db.integrity"]["level"] == items["audit"]["level"] == "ok"

    first_release = os.readlink(root / PREFIX.lstrip("/") / "current")
    second = ok(offline(root, f"{unpack}; ./install.sh --prefix {PREFIX}"))
    assert "新安装或升级 0 个" in second and "上一版本保留在" in second
    prefix = root / PREFIX.lstrip("/")
    assert os.readlink(prefix / "previous") == first_release != os.readlink(prefix / "current")
    again = json.loads(ok(offline(root, "station --db /srv/station/station.db list --json")))
    assert len(again) == len(listing)  # the station's data survived the upgrade

    broken = root / "tmp" / "broken"  # a kit whose wheels cannot be installed
    shutil.copytree(root / "tmp" / kit.name[: -len(".tar.gz")], broken, symlinks=True)
    next((broken / "wheels").glob("textual-*.whl")).unlink()
    files = sorted(
        p.relative_to(broken).as_posix() for p in broken.rglob("*") if p.is_file() and p.name != "SHA256SUMS"
    )
    (broken / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256((broken / f).read_bytes()).hexdigest()}  {f}\n" for f in files)
    )
    p = offline(root, f"cd /tmp/broken && ./install.sh --prefix {PREFIX}")
    assert p.returncode == 2 and "建立 Python 环境失败，原有版本未改动" in p.stderr
    assert os.readlink(prefix / "current") != first_release and len(list((prefix / "releases").iterdir())) == 2
    assert manifest["version"] in ok(offline(root, "station --version"))

    ok(offline(root, f"{unpack}; ./install.sh --rollback --prefix {PREFIX}"))
    assert os.readlink(prefix / "current") == first_release
    assert manifest["version"] in ok(offline(root, "station --version"))


def test_damaged_kit_is_refused_before_anything_is_installed(kit, minimal_debian, tmp_path):
    root = fresh_root(minimal_debian, tmp_path, kit)
    top = kit.name[: -len(".tar.gz")]
    ok(offline(root, "cd /tmp && tar xzf kit.tar.gz"))
    deb = sorted((root / "tmp" / top / "debs").glob("ffmpeg_*.deb"))[0]
    data = bytearray(deb.read_bytes())
    data[len(data) // 2] ^= 0xFF
    deb.write_bytes(bytes(data))
    status = (root / "var/lib/dpkg/status").read_bytes()

    p = offline(root, f"cd /tmp/{top} && ./install.sh --prefix {PREFIX}")
    assert p.returncode == 3
    assert "安装包已损坏，未安装任何内容" in p.stderr and f"校验失败：debs/{deb.name}" in p.stderr
    assert not (root / PREFIX.lstrip("/")).exists() and not (root / "usr/local/bin/station").exists()
    assert (root / "var/lib/dpkg/status").read_bytes() == status

    (
        root / "tmp" / top / "wheels" / json.loads((root / "tmp" / top / "kit.json").read_text())["project_wheel"]
    ).unlink()
    p = offline(root, f"cd /tmp/{top} && ./install.sh --prefix {PREFIX}")
    assert p.returncode == 3 and "校验失败：wheels/review_station-" in p.stderr


def test_setup_refuses_a_lock_that_does_not_match_pyproject(tmp_path):
    for name in ("pyproject.toml", "requirements.lock", "requirements-test.lock", "kit/lock.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    sys.path.insert(0, str(ROOT / "kit"))
    try:
        import lock
    finally:
        sys.path.pop(0)
    pyproject = tmp_path / "pyproject.toml"
    for name in ("requirements.lock", "requirements-test.lock"):  # as `make lock` leaves them
        lock.stamp(tmp_path / name, lock.deps_digest(pyproject))
    check = [sys.executable, str(tmp_path / "kit" / "lock.py"), "--check"]
    assert subprocess.run(check, capture_output=True).returncode == 0
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = [\n", 'dependencies = [\n    "bagit>=1.8",\n', 1)
    )
    p = subprocess.run(check, capture_output=True, text=True)
    assert p.returncode == 2 and "Run `make lock`" in p.stderr and "requirements.lock" in p.stderr
