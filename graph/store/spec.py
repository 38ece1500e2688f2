"""Open the store a ``--store`` spec names: in memory, an Oxigraph folder, or a remote SPARQL server.

Beside the stores rather than in ``core``: choosing among them imports each, and ``remote`` builds on ``core``.
"""

from __future__ import annotations

from pathlib import Path

from graph.store.core import OxigraphStore, Store, StoreError
from graph.store.namespaces import Minter

__all__ = ["open_store"]


def open_store(spec: str, minter: Minter | None = None) -> Store:
    """Open the store named by *spec*: ``memory``, ``oxigraph:DIR`` or ``sparql:QUERY_URL[,UPDATE_URL]``.

    Args:
        spec: the ``--store`` value of the CLI.
        minter: the IRI minter; defaults to the configured base.

    Returns:
        The opened store, still empty if it is new (see ``loaders.ingest.ensure_seeded``).
    """
    if spec == "memory":
        return OxigraphStore(None, minter)
    if spec.startswith("oxigraph:") and len(spec) > len("oxigraph:"):
        return OxigraphStore(Path(spec.removeprefix("oxigraph:")), minter)
    if spec.startswith("sparql:") and len(spec) > len("sparql:"):
        from graph.store.remote import SparqlStore  # only remote mode needs an HTTP client

        query_url, _, update_url = spec.removeprefix("sparql:").partition(",")
        return SparqlStore(query_url, update_url or None, minter)
    raise StoreError(f"unknown store {spec!r}: use 'memory', 'oxigraph:DIR' or 'sparql:QUERY_URL[,UPDATE_URL]'")
