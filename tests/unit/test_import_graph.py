"""No import cycles between feature packages (DESIGN.md section 4).

Every ``import`` in ``feedback_service/`` is read with ``ast``, including those
inside functions and under ``TYPE_CHECKING``: a lazy import hides a cycle from
Python, not from the reader. Each import from one feature package into another
is an edge of the package graph; the graph must have no cycle. And no module
borrows from another package's HTTP layer (``routes``): what two packages share
lives in a service or in the shared plumbing.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = "feedback_service"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE
FEATURES = (
    "helpdesk",
    "surveys",
    "analysis",
    "scores",
    "patterns",
    "alerts",
    "dashboard",
    "customers",
    "demo",
    "auth",
)

# An edge is (importing feature, imported feature); where is "path:line".
Edges = dict[tuple[str, str], list[str]]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _feature_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == PACKAGE and parts[1] in FEATURES:
        return parts[1]
    return None


def _imported_modules(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The absolute names an import statement brings in (``from a import b`` gives
    ``a.b`` too, since ``b`` may be a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        if not is_package:
            anchor.pop()
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


@functools.cache
def imports(root: Path = ROOT) -> list[tuple[str, str, str]]:
    """``(importing module's package, imported name, "path:line")`` for every import."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        package = module if is_package else module.rpartition(".")[0]
        for node in ast.walk(tree):
            where = f"{path.relative_to(root.parent)}:{getattr(node, 'lineno', 0)}"
            found.extend(
                (package, name, where) for name in _imported_modules(node, module, is_package)
            )
    return found


def feature_edges(root: Path = ROOT) -> Edges:
    edges: Edges = defaultdict(list)
    for package, name, where in imports(root):
        source, target = _feature_of(package), _feature_of(name)
        if source is None or target is None or source == target:
            continue
        if where not in edges[(source, target)]:
            edges[(source, target)].append(where)
    return dict(edges)


def borrowed_routes(root: Path = ROOT) -> list[str]:
    """Imports of a ``routes`` module (``routes``, ``*_routes``) from outside its
    own package; the app factory, which registers the blueprints, may."""
    borrowed = []
    for package, name, where in imports(root):
        owner, _, last = name.rpartition(".")
        if last != "routes" and not last.endswith("_routes"):
            continue
        if package not in (PACKAGE, owner):
            borrowed.append(f"{where} imports {name}")
    return borrowed


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    graph: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        graph[source].append(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def describe(component: list[str], edges: Edges) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    for (source, target), places in sorted(edges.items()):
        if source in members and target in members:
            lines.append(f"  {source} -> {target}: {', '.join(places)}")
    return "\n".join(lines)


def test_feature_packages_import_each_other_without_cycles() -> None:
    edges = feature_edges()
    found = cycles(edges)
    assert not found, "import cycles between feature packages:\n" + "\n".join(
        describe(component, edges) for component in found
    )


def test_no_package_imports_another_packages_routes() -> None:
    assert borrowed_routes() == []


# --- the checker itself: it must see a cycle when there is one --------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    """A package ``feedback_service`` under ``root`` with two feature packages,
    alerts and analysis, plus ``files`` (path -> source)."""
    package = root / PACKAGE
    empty = {"__init__.py": "", "alerts/__init__.py": "", "analysis/__init__.py": ""}
    for name, body in {**empty, **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    return package


@pytest.mark.parametrize(
    "import_line",
    [
        "from feedback_service.alerts.service import raise_alert",
        "from feedback_service import alerts",
        "import feedback_service.alerts.service",
        "from ..alerts import service",
        "def late():\n    from feedback_service.alerts import service\n",
    ],
)
def test_a_cycle_is_found_however_it_is_imported(tmp_path: Path, import_line: str) -> None:
    package = _write(
        tmp_path,
        {
            "alerts/service.py": "from feedback_service.analysis.reports import summary\n",
            "analysis/tasks.py": import_line + "\n",
        },
    )
    edges = feature_edges(package)
    assert cycles(edges) == [["alerts", "analysis"]]
    assert "feedback_service/analysis/tasks.py:" in describe(["alerts", "analysis"], edges)


def test_one_way_imports_are_no_cycle_and_a_borrowed_route_helper_is_found(
    tmp_path: Path,
) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "from feedback_service.analysis import routes\n",
            "db.py": "from feedback_service.alerts import service\n",
            "alerts/service.py": "from feedback_service.analysis import signals\n",
            "alerts/mail.py": "from feedback_service.analysis.routes import csv_response\n",
            "analysis/__init__.py": "def init_app():\n    from .routes import bp\n",
            "analysis/routes.py": "from feedback_service.db import get_session\n",
            "analysis/signals.py": "from feedback_service.db import after_commit\n",
        },
    )
    assert cycles(feature_edges(package)) == []
    # The app factory and the package's own init_app register routes; others borrow.
    assert borrowed_routes(package) == [
        "feedback_service/alerts/mail.py:1 imports feedback_service.analysis.routes"
    ]
