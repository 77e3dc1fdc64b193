"""docs/requirements.md: one row per requirement of the five notices, and the tests that pin each one.

    python scripts/requirements.py --sync      rewrite the tests column from the @pytest.mark.req markers in tests/
    python scripts/requirements.py --check     exit 1 when the document and the tests disagree (what the test runs)

Statuses: implemented (a rule or reading does it; a test carrying the id pins it), decided (the notice gives no
number or contradicts itself: the station applies a documented default, at most a warn, the reason is in the row),
human (only a person can judge; the station shows what helps), n/a (not the county station's job), open (not yet
right: the row says what is wrong).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "requirements.md"
STATUSES = ("implemented", "decided", "human", "n/a", "open")
ROW = re.compile(r"^\| (?P<id>\d{3}-\d{2}) \|")
COLUMNS = ["id", "clause", "rule / profile key", "status", "note", "tests"]


def markers() -> dict[str, list[str]]:
    """requirement id -> test names (file::function) carrying @pytest.mark.req(id, ...)."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        module_ids: list[str] = []
        for node in tree.body:  # pytestmark = pytest.mark.req(...)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
                module_ids += _req_ids(node.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                ids = list(module_ids)
                for deco in node.decorator_list:
                    ids += _req_ids(deco)
                for rid in ids:
                    found.setdefault(rid, []).append(f"{path.name}::{node.name}")
    return found


def _req_ids(node: ast.AST) -> list[str]:
    out = []
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "req"
            and "mark" in ast.unparse(call.func.value)
        ):
            out += [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return out


def rows(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        if ROW.match(line):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            out.append(dict(zip(COLUMNS, cells, strict=False)))
    return out


def problems(text: str, tests: dict[str, list[str]]) -> list[str]:
    out = []
    seen = set()
    for r in rows(text):
        rid, status = r["id"], r.get("status", "")
        seen.add(rid)
        if status not in STATUSES:
            out.append(f"{rid}: unknown status {status!r}")
        if status == "implemented" and not tests.get(rid):
            out.append(f"{rid}: implemented, but no test carries @pytest.mark.req({rid!r})")
        if status == "decided" and not r.get("note"):
            out.append(f"{rid}: decided without a reason in the note column")
        listed = sorted(t for t in r.get("tests", "").replace("`", "").split("<br>") if t.strip())
        if listed != sorted(tests.get(rid, [])):
            out.append(f"{rid}: the tests column is out of date (python scripts/requirements.py --sync)")
    for rid in sorted(set(tests) - seen):
        out.append(f"{rid}: a test carries this id, but docs/requirements.md has no such row")
    return out


def sync(text: str, tests: dict[str, list[str]]) -> str:
    lines = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            cells += [""] * (len(COLUMNS) - len(cells))
            cells[5] = "<br>".join(f"`{t}`" for t in sorted(tests.get(m["id"], [])))
            line = "| " + " | ".join(cells) + " |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = DOC.read_text("utf-8")
    tests = markers()
    if "--sync" in argv:
        DOC.write_text(sync(text, tests), "utf-8")
        return 0
    found = problems(text, tests)
    for p in found:
        print(p)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
