"""After a write the landscape and its indexes are updated, not rebuilt, and answer exactly as a fresh build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph.analysis import views
from graph.analysis.overlap import Draft, candidate_mask, check_draft
from graph.analysis.scope_index import scope_index, shared_scope_pairs
from graph.model.landscape import Landscape, _load, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders import edits
from loaders.ingest import ensure_seeded, load_files
from loaders.synth import write_synthetic

DRAFTS = [
    Draft(title="Behandling af depression hos voksne", disease_areas=["F32"], topics=["treatment"]),
    Draft(title="Udredning af ADHD hos børn", disease_areas=["F90"], populations=["children"]),
    Draft(title="Angst og OCD: psykoterapi", disease_areas=["F40-F48"], topics=["non-pharmacological"]),
    Draft(title="Skizofreni: medicinsk behandling", disease_areas=["F20"], topics=["pharmacological"]),
]


def record(doc_id: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": doc_id,
        "title": "Behandling af depression hos voksne",  # words every landscape has: the lexicon stays
        "kind": "RegionalGuideline",
        "owners": ["region-h"],
        "disease_areas": ["F32"],
        "populations": ["adults"],
        "topics": ["treatment"],
        "status": "published",
        "issued": "2024-05-01",
        "sources": ["https://example.org/retningslinje"],
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def synthetic_400(registry_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 synthetic documents (seed 11) drawn from the registry, written once for the module."""
    path = tmp_path_factory.mktemp("updates") / "synth.ttl"
    write_synthetic(landscape(registry_store), 400, 11, path)
    return path


@pytest.fixture
def warm_store(synthetic_400: Path) -> Store:
    """The registry and 400 synthetic documents, with every read model built (so a write has something to update)."""
    store = open_store("memory")
    ensure_seeded(store)
    load_files(store, [synthetic_400], progress=False)
    warm(landscape(store))
    return store


def warm(land: Landscape) -> None:
    land.doc_terms, land.by_area, land.by_area_exact, land.by_term, land.by_title_block  # noqa: B018
    scope_index(land)
    views.coverage(land)


def answers(land: Landscape) -> dict[str, Any]:
    """What a user can ask of the landscape, in a comparable form."""
    index = scope_index(land)
    return {
        "documents": land.documents,
        "organisations": land.organisations,
        "doc_terms": land.doc_terms,
        "frequency": dict(land.text._frequency),
        "indexes": {
            name: {k: v for k, v in getattr(land, name).items() if v}
            for name in ("by_area", "by_area_exact", "by_term", "by_title_block")
        },
        "drafts": [[(c.b, c.rank, c.relation) for c in check_draft(land, draft)] for draft in DRAFTS],
        "candidates": {
            doc.id: {index.ids[s] for s in np.flatnonzero(candidate_mask(index, doc))}
            for doc in list(land.documents.values())[::25]
        },
        "screen": {(index.ids[a], index.ids[b]) for a, b in shared_scope_pairs(index)},
        "coverage": views.coverage(land),
    }


def test_created_changed_and_deleted_documents_update_the_landscape_as_a_rebuild_would(warm_store: Store) -> None:
    before = landscape(warm_store)
    edits.save_record(warm_store, "document", record("rh-depression-2024"), "test", creating=True)
    created = landscape(warm_store)
    assert created is not before and "rh-depression-2024" in created.documents
    assert answers(created) == answers(_load(warm_store))

    etag = edits.current_etag(warm_store, "document", "rh-depression-2024")
    changed = record("rh-depression-2024", disease_areas=["F33"], topics=["pharmacological"], populations=["all"])
    edits.save_record(warm_store, "document", changed, "test", creating=False, if_match=etag)
    assert answers(landscape(warm_store)) == answers(_load(warm_store))

    edits.delete_record(
        warm_store,
        "document",
        "rh-depression-2024",
        "test",
        edits.current_etag(warm_store, "document", "rh-depression-2024"),
    )
    deleted = landscape(warm_store)
    assert "rh-depression-2024" not in deleted.documents
    assert answers(deleted) == answers(_load(warm_store))


def test_editing_a_registry_document_updates_it_in_place(warm_store: Store) -> None:
    land = landscape(warm_store)
    doc = land.documents["nkr-ocd"]
    body = record(
        "nkr-ocd",
        title=doc.title,
        kind=doc.kind,
        owners=doc.owners,
        disease_areas=[land.notation(a) for a in doc.disease_areas],
        populations=doc.populations,
        topics=[*doc.topics, "assessment"],
        status=doc.status,
        sources=doc.sources,
    )
    body.pop("issued")
    if doc.issued:
        body["issued"] = doc.issued
    edits.save_record(
        warm_store,
        "document",
        body,
        "test",
        creating=False,
        if_match=edits.current_etag(warm_store, "document", "nkr-ocd"),
    )
    updated = landscape(warm_store)
    assert "assessment" in updated.documents["nkr-ocd"].topics
    assert answers(updated) == answers(_load(warm_store))


def test_a_title_with_a_new_word_rebuilds_the_title_index_and_still_answers_as_a_rebuild(warm_store: Store) -> None:
    edits.save_record(
        warm_store, "document", record("rh-xylofon", title="Xylofonterapi ved depression"), "test", creating=True
    )
    land = landscape(warm_store)
    assert "xylofonterapi" in land.text.words
    assert answers(land) == answers(_load(warm_store))


def test_two_writes_before_a_read_are_both_seen(warm_store: Store) -> None:
    edits.save_record(warm_store, "document", record("rh-one"), "test", creating=True)
    edits.save_record(warm_store, "document", record("rh-two", disease_areas=["F20"]), "test", creating=True)
    land = landscape(warm_store)
    assert {"rh-one", "rh-two"} <= set(land.documents)
    assert answers(land) == answers(_load(warm_store))
