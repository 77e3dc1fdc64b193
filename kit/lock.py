"""The lock files: exact, hashed pins of every Python dependency.

`make lock` (with network) regenerates them from pyproject.toml with pip-compile:
  requirements-test.lock  runtime + [test] extras, what `make setup` installs;
  requirements.lock       runtime only, the same pins, what the offline kit ships.
Each starts with a digest of pyproject's dependency lists, so `make setup` can refuse a
pyproject that changed since the last `make lock` (`--check`).
Standard library only: `--check` runs with the system python3 before any venv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ROOT / "requirements.lock"
TEST = ROOT / "requirements-test.lock"
STAMP = "# pyproject-dependencies-sha256: "
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.M)


def deps_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    project = tomllib.loads(pyproject.read_text("utf-8"))["project"]
    deps = {
        "runtime": sorted(project.get("dependencies", [])),
        "test": sorted(project.get("optional-dependencies", {}).get("test", [])),
    }
    return hashlib.sha256(json.dumps(deps, sort_keys=True).encode()).hexdigest()


def stamp_of(lock: Path) -> str | None:
    if not lock.exists():
        return None
    first = lock.read_text("utf-8").splitlines()[:1]
    return first[0][len(STAMP) :].strip() if first and first[0].startswith(STAMP) else None


def pins(lock: Path) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(lock.read_text("utf-8"))}


def check() -> int:
    digest = deps_digest()
    stale = [p.name for p in (RUNTIME, TEST) if stamp_of(p) != digest]
    if stale:
        print(
            f"ERROR: {', '.join(stale)} do not match the dependencies in pyproject.toml.\n"
            "       Run `make lock` (needs network) and commit the lock files.",
            file=sys.stderr,
        )
        return 2
    return 0


def compile_lock(pip_compile: str, out: Path, extras: list[str]) -> None:
    cmd = [
        pip_compile,
        "--quiet",
        "--generate-hashes",
        "--allow-unsafe",
        "--strip-extras",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--resolver=backtracking",
        *[a for e in extras for a in ("--extra", e)],
        "-o",
        out.name,
        "pyproject.toml",
    ]
    subprocess.run(cmd, check=True, cwd=ROOT)


def stamp(out: Path, digest: str) -> None:
    text = out.read_text("utf-8")
    if text.startswith(STAMP):
        text = text.split("\n", 1)[1]
    out.write_text(f"{STAMP}{digest}\n{text}", "utf-8")


def lock(pip_compile: str) -> int:
    digest = deps_digest()
    compile_lock(pip_compile, TEST, ["test"])
    # pip-compile keeps pins already in its output file: seeding the runtime lock with the
    # test lock makes its pins a subset of the tested ones.
    shutil.copyfile(TEST, RUNTIME)
    compile_lock(pip_compile, RUNTIME, [])
    tested, shipped = pins(TEST), pins(RUNTIME)
    differ = {n: (v, tested.get(n)) for n, v in shipped.items() if tested.get(n) != v}
    if differ:
        print(f"ERROR: runtime pins differ from the tested ones: {differ}", file=sys.stderr)
        return 2
    for out in (TEST, RUNTIME):
        stamp(out, digest)
    print(f"{RUNTIME.name}: {len(shipped)} packages; {TEST.name}: {len(tested)} packages")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the lock files match pyproject.toml")
    parser.add_argument("--pip-compile", default="pip-compile", help="the pip-compile to run")
    args = parser.parse_args(argv)
    return check() if args.check else lock(args.pip_compile)


if __name__ == "__main__":
    sys.exit(main())
