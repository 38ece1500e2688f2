"""The layers of the code: no module imports one above it, and no two modules import each other.

graph/store < graph/model < graph/validation, graph/analysis < loaders < api < api/cli.py, read from
each module's own import statements (those inside functions and ``TYPE_CHECKING`` blocks too: a lazy
import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("graph", "loaders", "api")
# The rank of each layer, lowest first; a module may import its own rank or a lower one.  The most
# specific prefix decides, so api.cli ranks above the rest of api.
LAYERS = {
    "graph.budget": 0,  # a request's work budget: imports nothing of ours, checked from every layer
    "graph.store": 0,
    "graph.model": 1,
    "graph.validation": 2,
    "graph.analysis": 2,
    "loaders": 3,
    "api": 4,
    "api.cli": 5,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def layer(module: str) -> int | None:
    """The rank of *module*, or None for a package's own ``__init__`` above the layers (``graph``)."""
    matches = [prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")]
    return LAYERS[max(matches, key=len)] if matches else None


def imported(module: str) -> set[str]:
    """The project modules *module* imports, resolved to modules rather than the names taken from them."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # "from api.routers import coverage" imports the module api.routers.coverage.
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


def import_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    graph.add_edges_from((module, target) for module in MODULES for target in imported(module))
    return graph


def test_every_module_is_in_a_layer() -> None:
    assert sorted(m for m in MODULES if layer(m) is None and MODULES[m].name != "__init__.py") == []


def test_no_module_imports_one_in_a_higher_layer() -> None:
    upward = sorted(
        f"{source} -> {target}"
        for source, target in import_graph().edges
        if (layer(source) or 0) < (layer(target) or 0)
    )
    assert upward == []


def test_no_modules_import_each_other_in_a_cycle() -> None:
    cycles = sorted(sorted(cycle) for cycle in nx.simple_cycles(import_graph()))
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "target"),
    [("graph.store.core", "graph.store.namespaces"), ("api.main", "api.routers.coverage"), ("api.cli", "api.main")],
)
def test_the_import_reader_sees_known_imports(source: str, target: str) -> None:
    # Guards the reader itself: were it blind, the layer tests above would pass on anything.
    assert target in imported(source)
