"""The layering the README's developer section describes, enforced on every module's imports (ast, local imports too).

- no import cycles between modules, nor between capability packages;
- `store` imports nothing of the project; `exporters` only `exporters`; `workflows` never `tui`;
- `store`, `exporters` and `workflows` never import textual or rich;
- `tui` screens and widgets never import `store` nor run SQL (one documented exception: the queue's paged read model);
- a capability package imports only packages below it in `ORDER`;
- no import-time side effects on other modules (no module-level calls, no assignment to another module's attributes).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("store", "exporters", "workflows", "tui")

# workflows' capability packages and top-level modules, lowest first: a unit may import units at its own level or below.
ORDER: list[tuple[str, ...]] = [
    ("workflows.errors", "workflows.station", "workflows.configure", "workflows.progress", "workflows.joblog"),
    ("workflows.rules",),
    ("workflows.profiles",),
    ("workflows.campaigns", "workflows.reviewers", "workflows.submissions", "workflows.keys", "workflows.deadlines"),
    ("workflows.ingest",),
    ("workflows.checks",),
    ("workflows.quotas",),
    ("workflows.scoring",),
    ("workflows.review",),
    ("workflows.recommend",),
    ("workflows.bundles",),
    ("workflows.intake", "workflows.doctor", "workflows.overview"),
]
# The queue's paged read model reads SQLite directly for speed (documented in the README).
STORE_IN_TUI_ALLOWED = {"tui.widgets.queue_model"}
# The Chinese names of stored values and sizes: vocabulary, not data access, usable from every layer.
VOCABULARY = "store.labels"
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WITH|CREATE|DROP|BEGIN)\b", re.I)
UI_LIBS = ("textual", "rich")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for top in TOPS:
        for path in sorted((ROOT / top).rglob("*.py")):
            found[module_name(path)] = path
    return found


MODULES = project_modules()


def imports_of(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module NAME imports (project modules resolved to the most specific module; others by top name)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                full = base + ("." + node.module if node.module else "")
            else:
                full = node.module or ""
            for a in node.names:
                candidate = f"{full}.{a.name}"
                out.append((candidate if candidate in MODULES else full, node.lineno))
    return out


def project_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        graph[name]
        for target, _ in imports_of(name, path):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def unit_of(module: str) -> str | None:
    """The capability package or top-level module of a workflows module (None outside workflows)."""
    parts = module.split(".")
    if parts[0] != "workflows" or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def level_of(unit: str) -> int:
    for i, units in enumerate(ORDER):
        if unit in units:
            return i
    raise AssertionError(
        f"{unit} is not placed in ORDER (tests/test_architecture.py and the README's developer section)"
    )


def test_no_module_cycles():
    assert cycles(project_graph()) == []


def test_no_package_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for src, targets in project_graph().items():
        for dst in targets:
            a, b = ".".join(src.split(".")[:2]), ".".join(dst.split(".")[:2])
            if a != b:
                graph[a].add(b)
    assert cycles(graph) == []


def test_every_workflows_unit_is_placed():
    units = {unit_of(m) for m in MODULES if unit_of(m)}
    for unit in sorted(units):
        level_of(unit)


def test_capability_packages_import_only_downwards():
    wrong = []
    for name, path in MODULES.items():
        src = unit_of(name)
        if not src:
            continue
        for target, line in imports_of(name, path):
            dst = unit_of(target)
            if dst and dst != src and level_of(dst) > level_of(src):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {src} imports {dst}, which is above it")
    assert wrong == []


@pytest.mark.parametrize(
    "top, allowed",
    [("store", ("store",)), ("exporters", ("exporters",)), ("workflows", ("store", "exporters", "workflows"))],
)
def test_lower_layers_import_only_what_they_may(top, allowed):
    wrong = []
    for name, path in MODULES.items():
        if name.split(".")[0] != top:
            continue
        for target, line in imports_of(name, path):
            first = target.split(".")[0]
            if target == VOCABULARY:
                continue
            if first in UI_LIBS or (first in TOPS and first not in allowed):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
    assert wrong == []


def test_screens_and_widgets_neither_import_store_nor_run_sql():
    wrong = []
    for name, path in MODULES.items():
        if not name.startswith(("tui.screens", "tui.widgets", "tui.app", "tui.palette")):
            continue
        if name in STORE_IN_TUI_ALLOWED:
            continue
        for target, line in imports_of(name, path):
            if target != VOCABULARY and (target.split(".")[0] == "store" or target in ("sqlite3", "sqlite_utils")):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("execute", "executemany", "executescript"):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: runs SQL (.{node.func.attr})")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: SQL text {node.value[:30]!r}")
    assert wrong == []


def test_no_import_time_side_effects():
    """Module bodies define things; they do not call into or patch other modules when imported."""
    wrong = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text("utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: module-level call")
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign | ast.AugAssign)
                else []
            )
            for t in targets:
                if isinstance(t, ast.Attribute | ast.Subscript):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: module-level assignment to {ast.unparse(t)}")
    assert wrong == []


def test_package_inits_only_reexport():
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        for node in ast.parse(path.read_text("utf-8")).body:
            ok = (
                isinstance(node, ast.ImportFrom | ast.Import)
                or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
                or (isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"])
            )
            assert ok, f"{path.relative_to(ROOT)}:{node.lineno}: __init__.py holds code"


def test_the_checker_sees_a_back_edge(tmp_path):
    """The cycle finder and the order check fail on a deliberately added back-edge (so the tests above can fail)."""
    graph = project_graph()
    graph["workflows.quotas.rules"].add("workflows.review.decide")
    assert any("workflows.review.decide" in c and "workflows.quotas.rules" in c for c in cycles(graph))
    assert level_of("workflows.review") > level_of("workflows.quotas")
