"""Shared fixtures: stores with the vocabulary, with test data, or with the shipped registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.ingest import ensure_seeded, load_files, vocabulary_writes
from graph.store import Store, open_store

DATA = Path(__file__).parent / "data"


@pytest.fixture
def store() -> Store:
    """An in-memory store holding only the ontology and schemes."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    return store


@pytest.fixture
def family_store(store: Store) -> Store:
    """The vocabulary plus the small test registry file with its own organisations."""
    load_files(store, [DATA / "loaders" / "family.yaml"], progress=False)
    return store


@pytest.fixture(scope="session")
def registry_store() -> Store:
    """The shipped registry in memory, as `retningsgraf serve` serves it (do not write to it)."""
    store = open_store("memory")
    ensure_seeded(store)
    return store
