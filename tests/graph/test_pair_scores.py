"""graph.analysis.pair_scores: the all-pairs build answers what comparing every candidate pair one by one answers."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from graph.analysis import overlap, views
from graph.analysis.overlap import (
    RELATIONS,
    PairList,
    PairTable,
    _candidates,
    clusters,
    compare,
    owner_summary,
    pairs,
    pairs_of,
    related,
)
from graph.analysis.pair_scores import thousandths
from graph.analysis.scope_index import scope_index
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import ensure_seeded, load_files
from loaders.synth import write_synthetic


def _one_by_one(land: Landscape) -> list[tuple[str, str, str | None, float]]:
    """Every related pair, by comparing each document with each of its candidates (the build before numpy)."""
    seen: set[tuple[str, str]] = set()
    found = []
    for doc in land.documents.values():
        for other_id in _candidates(land, doc):
            key = (min(doc.id, other_id), max(doc.id, other_id))
            if key in seen or other_id not in land.documents:
                continue
            seen.add(key)
            result = compare(land, land.documents[key[0]], land.documents[key[1]], explain=False)
            if result.relation is not None:
                found.append((result.a, result.b, result.relation, result.score))
    found.sort(key=lambda c: (-c[3], c[0], c[1]))
    return found


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The registry plus 1,500 synthetic documents (seed 3): blocks with hundreds of candidates each."""
    store = open_store("memory")
    ensure_seeded(store)
    path: Path = tmp_path_factory.mktemp("synth") / "landscape.ttl"
    write_synthetic(landscape(store), 1500, 3, path)
    load_files(store, [path], progress=False)
    return store


WHICH = ["registry_store", pytest.param("synthetic_store", marks=pytest.mark.slow)]


@pytest.mark.parametrize("which", WHICH)
def test_all_pairs_are_the_pairs_comparing_each_candidate_finds(which: str, request: pytest.FixtureRequest) -> None:
    land = landscape(request.getfixturevalue(which))
    found = [(c.a, c.b, c.relation, c.score) for c in pairs(land)]
    assert found == _one_by_one(land)


def test_a_pair_shown_explains_itself_as_compare_does(registry_store: Store) -> None:
    land = landscape(registry_store)
    for shown in pairs(land)[:50]:
        first, second = sorted((shown.a, shown.b))
        expected = compare(land, land.documents[first], land.documents[second])
        assert (shown.a, shown.b, shown.relation, shown.score) == (
            expected.a,
            expected.b,
            expected.relation,
            expected.score,
        )
        assert shown.reasons == expected.reasons


def test_filters_keep_the_order_best_first(registry_store: Store) -> None:
    land = landscape(registry_store)
    everything = [(c.a, c.b) for c in pairs(land)]
    for relation in RELATIONS:
        chosen = [(c.a, c.b) for c in pairs(land, (relation,), 0.5)]
        assert chosen == [(c.a, c.b) for c in pairs(land) if c.relation == relation and c.score >= 0.5]
        assert [everything.index(p) for p in chosen] == sorted(everything.index(p) for p in chosen)


def test_a_documents_pairs_read_from_the_built_pairs_are_its_pairs(registry_store: Store) -> None:
    land = landscape(registry_store)
    doc_id = pairs(land)[0].a
    assert [(c.a, c.b, c.score) for c in related(land, doc_id)] == [
        (c.a, c.b, c.score) for c in pairs(land) if doc_id in (c.a, c.b)
    ]


@pytest.mark.parametrize("value", [0.8125, 0.0625, 0.1005, 0.2675, 0.9995, 1.0000000000000002, 0.33349999999999996])
def test_scores_round_as_pythons_round_does_at_ties(value: float) -> None:
    assert int(thousandths(np.array([value]))[0]) == round(round(min(value, 1.0), 3) * 1000)


@pytest.mark.parametrize("min_score", [0.0, 0.7])
def test_clusters_from_arrays_are_the_clusters_networkx_finds(
    registry_store: Store, monkeypatch: pytest.MonkeyPatch, min_score: float
) -> None:
    land = landscape(registry_store)
    by_networkx = clusters(land, min_score)
    monkeypatch.setattr(overlap, "NETWORKX_EDGES", 0)
    assert clusters(land, min_score) == by_networkx


def test_owner_summary_of_the_pair_arrays_is_the_summary_of_the_comparisons(registry_store: Store) -> None:
    land = landscape(registry_store)
    found = pairs(land)
    by_arrays = owner_summary(land, found)
    by_loop = owner_summary(land, list(found))
    assert by_arrays == by_loop
    assert [list(row["relations"]) for row in by_arrays] == [list(row["relations"]) for row in by_loop]


@pytest.mark.parametrize("which", WHICH)
def test_an_owners_pairs_are_its_pairs_in_the_whole_landscape(which: str, request: pytest.FixtureRequest) -> None:
    land = landscape(request.getfixturevalue(which))
    index = scope_index(land)
    owners = Counter(o for d in land.documents.values() for o in d.owners).most_common(2)
    (first, _), (second, _) = owners
    mine = [n for n, i in enumerate(index.ids) if first in land.documents[i].owners]
    theirs = [n for n, i in enumerate(index.ids) if second in land.documents[i].owners]
    everything = [(c.a, c.b, c.relation, c.score) for c in pairs(land)]

    def shown(table: PairTable) -> list[tuple[str, str, str | None, float]]:
        return [(c.a, c.b, c.relation, c.score) for c in PairList(table, np.arange(len(table)))]

    def owns(doc_id: str, owner: str) -> bool:
        return owner in land.documents[doc_id].owners

    touching = [p for p in everything if owns(p[0], first) or owns(p[1], first)]
    between = [
        p
        for p in everything
        if (owns(p[0], first) and owns(p[1], second)) or (owns(p[0], second) and owns(p[1], first))
    ]
    assert touching and between
    assert shown(pairs_of(land, np.array(mine))) == touching
    assert shown(pairs_of(land, np.array(mine), np.array(theirs))) == between


def test_requests_for_the_same_owners_at_once_share_one_build_of_their_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    # 32 clients asking for /overlaps?owner=..&other_owner=.. before every pair is built must not each
    # pair the owners' documents: side by side the builds multiply the CPU and memory of one.
    store = open_store("memory")
    ensure_seeded(store)
    load_files(store, [Path(__file__).resolve().parent.parent / "data" / "overlap" / "landscape.yaml"], progress=False)
    land = landscape(store)
    builds: list[int] = []

    def counted(*args: object) -> PairTable:
        builds.append(1)
        time.sleep(0.2)  # every other thread arrives while it runs
        return pairs_of(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "pairs_of", counted)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: views.overlaps_between(land, "t-dmpg-dep", "t-region")[:], range(8)))
    assert len(builds) == 1
    shown = [[(c.a, c.b, c.relation, c.score) for c in answer] for answer in answers]
    assert shown[0] and all(answer == shown[0] for answer in shown)
    pairs(land)  # with every pair built, the owners' pairs are read from them: the same answer
    assert [(c.a, c.b, c.relation, c.score) for c in views.overlaps_between(land, "t-dmpg-dep", "t-region")] == shown[0]
