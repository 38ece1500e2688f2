"""Loaders: one per source format, each a pure, offline ``load(path, minter, context) -> Graph``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rdflib import Graph

from graph.store.core import TripleBatch
from graph.store.namespaces import Minter
from loaders import rdf_file, spreadsheet, yaml_registry
from loaders.records import RECORD_MAX_BYTES, Context, LoadError, Problem, check_file

__all__ = ["LIMITS", "LOADERS", "MAX_BYTES", "RECORD_MAX_BYTES", "Context", "LoadError", "Problem", "loader_for"]

Loader = Callable[[Path, Minter, Context], "Graph | TripleBatch"]

LOADERS: dict[str, Loader] = {
    ".yaml": yaml_registry.load,
    ".yml": yaml_registry.load,
    ".csv": spreadsheet.load,
    ".xlsx": spreadsheet.load,
    **{suffix: rdf_file.load for suffix in rdf_file.FORMATS},
}

# 100,000 documents (the largest landscape the benchmarks load) are 190 MB of Turtle; far more is a
# mistake or an attack.
MAX_BYTES = 256 * 1024 * 1024
# Record files cost far more memory per byte than RDF (see RECORD_MAX_BYTES), so they get less.
LIMITS = {suffix: RECORD_MAX_BYTES for suffix in (".yaml", ".yml", ".csv", ".xlsx")}


def loader_for(path: Path) -> Loader:
    """Return the loader for *path* by its suffix.

    Raises:
        LoadError: if the file is missing, too large or of an unknown format.
    """
    check_file(path, LIMITS.get(path.suffix.lower(), MAX_BYTES))
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(
            str(path),
            [Problem("file", None, f"unknown format; use one of {', '.join(sorted(LOADERS))}")],
        )
    return loader
