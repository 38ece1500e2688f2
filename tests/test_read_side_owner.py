"""Derived state has one owner: outside graph/model/snapshot.py nothing caches or locks, but what the list below allows.

Read from each module's syntax (as tests/test_layers.py reads imports): functools' ``cache``,
``lru_cache`` and ``cached_property`` (and ``read_model``, the one that extends it), the locks of
threading and asyncio, an attribute named ``cache`` and memos kept with ``__dict__.setdefault``.
Each use allowed below says why it is not a second read model beside the snapshot; one not
listed fails the test, and so does a listed one that is gone, so the list stays true.
"""

from __future__ import annotations

import ast

from tests.test_layers import MODULES

OWNER = "graph.model.snapshot"
_FUNCTOOLS = {"cache", "lru_cache", "cached_property"}
_LOCKS = {"Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition"}

# (module, what) -> why it may stay.
ALLOWED: dict[tuple[str, str], str] = {
    # Files shipped with the code, read once per process: constant, never store data.
    ("graph.store.core", "cache"): "query(): the text of a shipped .rq file",
    ("graph.store.sparql", "cache"): "examples(): the shipped example .rq files",
    ("graph.model.vocabulary", "cache"): "vocabulary(): parsed from the shipped ontology/*.ttl",
    ("graph.validation.validate", "cache"): "the shipped shapes and vocabulary, parsed and compiled once",
    ("graph.validation.gaps", "cache"): "the gap rules and examples, read from the shipped shapes",
    ("graph.analysis.planning", "cache"): "labels(): the concept labels of the shipped vocabulary",
    # Pure functions of their arguments: an answer cannot go stale, only be evicted.
    ("graph.validation.validate", "lru_cache"): "_prepared(): the parse of a query text (the shapes' own)",
    ("graph.model.textsim", "lru_cache"): "_stem() of a word and _split() of a word by a lexicon given as argument",
    # Parts of a view's value, built lazily from that value alone and living and dying with it
    # (the landscape is the LANDSCAPE view's value, immutable once readers see it; its update,
    # Landscape._adopt, carries these over and is held to the update-equals-rebuild contract).
    ("graph.model.heap", "cached_property"): "read_model: the decorator of the landscape's lazily built indexes",
    ("graph.model.landscape", "read_model"): "the landscape's indexes (by_area, doc_terms, ...): see the class",
    ("graph.model.landscape", "__dict__ memo"): "title areas and covering sets per document, of this landscape",
    ("graph.model.textsim", "__dict__ memo"): "TermIndex weights of the landscape's term index, emptied by its refit",
    ("graph.analysis.scope_index", "__dict__ memo"): "the title areas each document of the SCOPE_INDEX value is under",
    ("graph.store.core", "__dict__ memo"): "not derived state: the log of which subjects each write changed",
    # Locks that guard writes or resources, not a copy of what the store holds.
    ("graph.store.core", "threading.Lock"): "the write lock: one write at a time in a store",
    ("loaders.edits", "threading.Lock"): "the write path: read-check-write of one record",
    ("graph.analysis.verdicts", "threading.Lock"): "the write path: the verdicts graph is read, extended, written back",
    ("graph.model.heap", "threading.Lock"): "gc.freeze/unfreeze, which must not interleave",
    ("graph.store.sparql", "threading.BoundedSemaphore"): "admission: how many long queries run at once",
    ("graph.store.sparql_proxy", "threading.BoundedSemaphore"): "admission: how many queries are sent to the engine",
    ("graph.store.sparql", "threading.Lock"): "the N-Quads file its worker processes load: written once per store "
    "change, the previous one kept until no worker can be loading it (files, in a layer below the snapshot)",
    ("api.routers.sparql", "threading.Lock"): "creating the app's one query service on the first query",
    ("api.jobs", "threading.Lock"): "the list of export jobs, which request threads and the worker both change",
}


def uses(module: str) -> set[str]:
    """What *module* uses of the caching and locking tools, as named in ``ALLOWED``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    imported = {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in imported:
            origin = imported[node.id]
            source, _, name = origin.rpartition(".")
            if source == "functools" and name in _FUNCTOOLS:
                found.add(name)
            elif source in ("threading", "asyncio") and name in _LOCKS:
                found.add(origin)
            elif name == "read_model":
                found.add(name)
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if base == "functools" and node.attr in _FUNCTOOLS:
                found.add(node.attr)
            elif base in ("threading", "asyncio") and node.attr in _LOCKS:
                found.add(f"{base}.{node.attr}")
            elif node.attr == "cache" and base != "functools":
                found.add(".cache")
            elif node.attr == "setdefault" and isinstance(node.value, ast.Attribute) and node.value.attr == "__dict__":
                found.add("__dict__ memo")
    return found


def test_nothing_outside_the_snapshot_caches_or_locks_unless_listed_with_a_reason() -> None:
    found = {(module, what) for module in MODULES if module != OWNER for what in uses(module)}
    assert sorted(found - ALLOWED.keys()) == []
    assert sorted(ALLOWED.keys() - found) == [], "a listed use is gone: take it off the list"


def test_the_store_keeps_no_derived_state() -> None:
    store_modules = [m for m in MODULES if m.startswith("graph.store")]
    assert not any(".cache" in uses(m) for m in store_modules)
    from graph.store.core import Store

    assert not hasattr(Store, "cache") and not hasattr(Store, "counts")


def test_the_reader_sees_each_kind_of_use() -> None:
    # Guards the reader itself: were it blind, the test above would pass on anything.
    assert {"cache", "threading.Lock"} <= uses("graph.store.core")
    assert "lru_cache" in uses("graph.model.textsim")
    assert "read_model" in uses("graph.model.landscape")
    assert "__dict__ memo" in uses("graph.model.landscape")
    assert "threading.Lock" in uses(OWNER)
