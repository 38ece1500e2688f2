"""A write that lands while the landscape is being built is never lost from the read model.

Seen in the load test: one acknowledged POST /documents of 33 answered 404 ever after.  A
reader building the landscape from the store, and a writer committing meanwhile, left the
reader's older build cached as current, so the new document was missing until restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import graph.model.landscape
from graph.model.landscape import landscape
from graph.store.spec import open_store
from loaders import edits
from loaders.ingest import ensure_seeded


def _document(doc_id: str) -> dict[str, object]:
    return {
        "id": doc_id,
        "title": "Behandling af depression hos voksne",
        "kind": "RegionalGuideline",
        "owners": ["region-h"],
        "disease_areas": ["F32"],
        "status": "published",
        "sources": ["https://example.org/retningslinje"],
    }


@pytest.mark.parametrize("build", ["_load", "_update"])
def test_a_document_written_during_a_landscape_build_is_in_the_next_landscape(
    build: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store("memory")
    try:
        ensure_seeded(store)
        landscape(store)
        if build == "_update":  # a first write, so the next build is an update, not a full load
            edits.save_record(store, "document", _document("first-write"), "alice", creating=True)
        original: Callable[..., Any] = getattr(graph.model.landscape, build)
        wrote: list[str] = []

        def build_then_write(*args: Any) -> Any:
            built = original(*args)  # read from the store before the write below
            if not wrote:
                wrote.append("meanwhile")
                edits.save_record(store, "document", _document("meanwhile"), "bob", creating=True)
            return built

        monkeypatch.setattr(graph.model.landscape, build, build_then_write)
        if build == "_load":
            store._written(None)  # as after a large load: the next reader builds from scratch
        landscape(store)  # the build that the write overtakes
        assert "meanwhile" in landscape(store).documents, "the write was acknowledged, so the next read shows it"
    finally:
        store.close()
