"""The size of a store, counted once per generation: its documents, its quads and its named graphs."""

from __future__ import annotations

from graph.model.snapshot import Snapshot, View, snapshot
from graph.store.core import Store

__all__ = ["COUNTS", "GRAPHS", "counts"]


def _count(snap: Snapshot) -> tuple[int, int]:
    assert snap.store is not None
    return snap.store.document_count(), snap.store.triple_count()


#: (documents, quads): /health is polled, and counting is a query over the whole store.
COUNTS: View[tuple[int, int]] = View("counts", build=_count)


def _graphs(snap: Snapshot) -> tuple[str, ...]:
    assert snap.store is not None
    return tuple(str(name) for name in snap.store.graph_names())


#: The named graphs' IRIs: a remote store's /sparql sends them as the dataset of a query naming none.
GRAPHS: View[tuple[str, ...]] = View("graphs", build=_graphs)


def counts(store: Store) -> tuple[int, int]:
    """Return the number of guiding documents and of quads in *store*, counted once per write."""
    return snapshot(store)[COUNTS]
