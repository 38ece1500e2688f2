"""The scope index ranks a draft exactly as comparing it with every candidate would, at a fraction of the cost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from graph.analysis.overlap import Draft, _candidates, candidate_mask, check_draft, compare, draft_document
from graph.analysis.scope_index import scope_index
from graph.analysis.scoring import RELEVANCE_FLOOR
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import ensure_seeded, load_files
from loaders.synth import write_synthetic

EVALUATION = Path(__file__).parents[1] / "data" / "evaluation" / "drafts.yaml"
EXTRA_DRAFTS = [
    {"title": "Behandling af depression hos voksne", "disease_areas": ["F32"], "topics": ["treatment"]},
    {"title": "Udredning af ADHD hos børn og unge", "disease_areas": ["F90"], "populations": ["children"]},
    {"title": "Psykiatri generelt", "disease_areas": ["F00-F99"], "topics": ["organisation"]},
    {"title": "Angst og OCD: psykoterapi", "disease_areas": ["F40-F48"], "topics": ["non-pharmacological"]},
    {"title": "Spiseforstyrrelser hos unge"},  # a bare title: areas and topics are read from it
    {"title": "Xyzzy plugh", "populations": ["all"]},  # no candidate at all: every document is compared
]


def drafts() -> list[Draft]:
    items = [entry["draft"] for entry in yaml.safe_load(EVALUATION.read_text(encoding="utf-8"))["drafts"]]
    return [Draft(**item) for item in [*items, *EXTRA_DRAFTS]]


def exhaustive(land: Landscape, draft: Draft, limit: int = 10) -> list[tuple[str, float]]:
    """The draft check as it was: compare the draft with every candidate, then sort."""
    doc = draft_document(land, draft)
    ranked = []
    for other_id in _candidates(land, doc) or set(land.documents):
        other = land.documents[other_id]
        quick = compare(land, doc, other, explain=False)
        if quick.relation is not None and quick.score >= RELEVANCE_FLOOR:
            ranked.append((quick.score, other_id))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [(other_id, round(rank, 3)) for rank, other_id in ranked[:limit]]


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The registry plus 1,500 synthetic documents: blocks with hundreds of candidates each."""
    store = open_store("memory")
    ensure_seeded(store)
    path = tmp_path_factory.mktemp("synth") / "landscape.ttl"
    write_synthetic(landscape(store), 1500, 3, path)
    load_files(store, [path], progress=False)
    return store


# The synthetic landscape takes seconds to build: `make test-fast` runs the registry only.
WHICH = ["registry", pytest.param("synthetic", marks=pytest.mark.slow)]


@pytest.mark.parametrize("which", WHICH)
def test_draft_check_returns_what_comparing_every_candidate_returns(which: str, request: pytest.FixtureRequest) -> None:
    land = landscape(request.getfixturevalue(f"{which}_store"))
    for draft in drafts():
        found = [(c.b, c.rank) for c in check_draft(land, draft)]
        assert found == exhaustive(land, draft), draft.title


@pytest.mark.slow  # the synthetic landscape
def test_draft_check_with_a_small_limit_returns_the_top_of_the_full_ranking(synthetic_store: Store) -> None:
    land = landscape(synthetic_store)
    for draft in drafts()[:8]:
        assert [(c.b, c.rank) for c in check_draft(land, draft, limit=3)] == exhaustive(land, draft, limit=3)


def test_index_candidates_are_the_documents_the_engine_compares(registry_store: Store) -> None:
    land = landscape(registry_store)
    index = scope_index(land)
    for doc in land.documents.values():
        mask = candidate_mask(index, doc)
        assert {index.ids[slot] for slot in np.flatnonzero(mask)} == _candidates(land, doc), doc.id


def test_index_scores_every_document_as_compare_does(registry_store: Store) -> None:
    land = landscape(registry_store)
    index = scope_index(land)
    for doc in list(land.documents.values())[::7]:
        scores = index.scores(doc, land.doc_terms[doc.id], land.title_areas(doc))
        for other in land.documents.values():
            if other.id == doc.id or any(target in (doc.id, other.id) for _, target in doc.links + other.links):
                continue  # a link lifts compare's score; the index bounds drafts, which have none
            expected = compare(land, doc, other, explain=False).score
            assert abs(round(float(scores[index.slot[other.id]]), 3) - expected) <= 0.0011, (doc.id, other.id)


def test_one_documents_pairs_are_its_pairs_in_the_whole_landscape(registry_store: Store) -> None:
    from graph.analysis.overlap import pairs, related
    from graph.model.landscape import _load

    everything = pairs(_load(registry_store))
    fresh = _load(registry_store)  # no pairs cached: related() must find them from the document's side
    chapter = [d.id for d in fresh.documents.values() if "F00-F99" in " ".join(d.disease_areas)]
    assert chapter  # whole-psychiatry documents are everyone's candidates: the hard case
    for doc_id in fresh.documents:
        expected = [(c.a, c.b, c.relation, c.score) for c in everything if doc_id in (c.a, c.b)]
        assert [(c.a, c.b, c.relation, c.score) for c in related(fresh, doc_id)] == expected, doc_id


@pytest.mark.parametrize("which", WHICH)
def test_overlap_screen_finds_the_pairs_the_sparql_self_join_finds(which: str, request: pytest.FixtureRequest) -> None:
    from graph.analysis.scope_index import shared_scope_pairs

    store = request.getfixturevalue(f"{which}_store")
    index = scope_index(landscape(store))
    query = (Path(__file__).parents[2] / "benchmarks" / "queries" / "pairs_subselect.rq").read_text(encoding="utf-8")
    expected = {(a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1]) for (a, _), (b, _) in store.values(query)}
    found = [(index.ids[a], index.ids[b]) for a, b in shared_scope_pairs(index)]
    assert len(found) == len(set(found))  # each pair once
    assert set(found) == expected
    assert expected  # the landscape has such pairs: an empty answer would prove nothing
    # In many small pieces (the way 100,000 documents go through), the same pairs, each once.
    from graph.analysis.scope_index import iter_shared_scope_pairs

    pieces = list(iter_shared_scope_pairs(index, chunk=len(expected) // 20 + 1))
    assert len(pieces) > 5
    assert sorted((index.ids[a], index.ids[b]) for piece in pieces for a, b in piece) == sorted(found)
