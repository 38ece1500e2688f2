"""Derived state has one owner: each view is built once per store generation, and an update equals a rebuild."""

from __future__ import annotations

import gc
import importlib
import pkgutil
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import api
import graph
from graph import budget
from graph.analysis import views
from graph.analysis.news import GAP_NEWS
from graph.analysis.overlap import candidate_mask
from graph.analysis.scope_index import SCOPE_INDEX, ScopeIndex, shared_scope_pairs
from graph.model.landscape import LANDSCAPE, Landscape, landscape
from graph.model.snapshot import MISSING, Snapshot, View, snapshot
from graph.store.core import Store
from graph.store.spec import open_store
from graph.validation.validate import REPORT, Validation
from loaders import edits
from loaders.ingest import ensure_seeded, load_files
from loaders.synth import write_synthetic
from tests.graph.test_landscape_updates import record


def _landscape(land: Landscape) -> Any:
    return {
        "documents": land.documents,
        "organisations": land.organisations,
        "doc_terms": land.doc_terms,
        "frequency": dict(land.text._frequency),
        "indexes": {
            name: {k: v for k, v in getattr(land, name).items() if v}
            for name in ("by_area", "by_area_exact", "by_term", "by_title_block")
        },
    }


def _scope_index(index: ScopeIndex) -> Any:
    land = index.land
    return {
        "candidates": {
            doc.id: {index.ids[s] for s in np.flatnonzero(candidate_mask(index, doc))}
            for doc in list(land.documents.values())[::25]
        },
        "scores": {
            doc.id: {
                index.ids[s]: round(float(v), 9)
                for s, v in enumerate(index.scores(doc, land.terms(doc), land.title_areas(doc)))
                if index.alive[s] and v
            }
            for doc in list(land.documents.values())[::50]
        },
        "screen": {(index.ids[a], index.ids[b]) for a, b in shared_scope_pairs(index)},
    }


def _report(value: Validation) -> Any:
    # The pointers too: the next write's update reads them.
    return value.report.results, value.report.conforms, value.pointers


# Every view with an update, with its key and what of its value a user can tell apart.
UPDATING: list[tuple[View[Any], Hashable, Callable[[Any], Any]]] = [
    (LANDSCAPE, None, _landscape),
    (SCOPE_INDEX, None, _scope_index),
    (views.COVERAGE, views.Filters(), lambda value: value[1]),
    (REPORT, None, _report),
    # The gap news keeps what appeared since (history, not derived state); the gaps it saw are a rebuild's.
    (GAP_NEWS, None, lambda value: value.seen),
]


@pytest.fixture(scope="module")
def base(registry_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 synthetic documents drawn from the registry, as a file to load into a fresh store per test."""
    path = tmp_path_factory.mktemp("snapshot") / "synth.ttl"
    write_synthetic(landscape(registry_store), 300, 7, path)
    return path


@pytest.fixture
def store(base: Path) -> Store:
    opened = open_store("memory")
    ensure_seeded(opened)
    load_files(opened, [base], progress=False)
    return opened


def _create(store: Store) -> None:
    edits.save_record(store, "document", record("rh-depression-2024"), "test", creating=True)


def _change(store: Store) -> None:
    doc = "nkr-ocd"
    land = landscape(store)
    body = record(doc, title=land.documents[doc].title, disease_areas=["F33"], topics=["pharmacological"])
    edits.save_record(
        store, "document", body, "test", creating=False, if_match=edits.current_etag(store, "document", doc)
    )


def _delete(store: Store) -> None:
    # A document whose title words others share too: deleting a registry one can take a word from the
    # lexicon, and then the title terms are rightly split afresh.
    _create(store)
    doc = "rh-depression-2024"
    edits.delete_record(store, "document", doc, "test", edits.current_etag(store, "document", doc))


def _two(store: Store) -> None:
    _create(store)
    edits.save_record(store, "document", record("rh-two", disease_areas=["F20"]), "test", creating=True)


WRITES: dict[str, Callable[[Store], None]] = {
    "create": _create,
    "change": _change,
    "delete": _delete,
    "two writes": _two,
}
# Each case loads the registry and 300 documents: `make test-fast` runs one write per view (each kind of
# write once among them); `make test` runs every view with every write.
FAST = {("landscape", "delete"), ("scope index", "change"), ("coverage", "two writes")}


@pytest.mark.parametrize(
    ("view", "key", "seen", "write"),
    [
        pytest.param(
            view,
            key,
            seen,
            write,
            id=f"{view.name}-{name}",
            marks=() if (view.name, name) in FAST else pytest.mark.slow,
        )
        for view, key, seen in UPDATING
        for name, write in WRITES.items()
    ],
)
def test_a_view_updated_after_a_write_answers_as_a_rebuild(
    store: Store, view: View[Any], key: Hashable, seen: Callable[[Any], Any], write: Callable[[Store], None]
) -> None:
    old = snapshot(store).get(view, key)
    before = store.generation
    write(store)
    changed = store.changes_since(before)
    assert changed, "an edit says which subjects it changed"
    after = snapshot(store)
    assert view.update is not None
    since = frozenset(changed)
    updated = view.update(after, old, since, key) if view.keyed else view.update(after, old, since)
    assert updated is not None, "the view updated itself rather than asking for a rebuild"
    fresh = Snapshot(store, store.generation)
    rebuilt = view.build(fresh, key) if view.keyed else view.build(fresh)
    assert seen(updated) == seen(rebuilt)


def test_every_view_with_an_update_is_held_to_the_contract() -> None:
    found = set()
    for package in (graph, api):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            loaded = importlib.import_module(module.name)
            found |= {value for value in vars(loaded).values() if isinstance(value, View) and value.update}
    assert found == {view for view, _, _ in UPDATING}


def test_after_a_write_the_next_snapshot_updates_what_the_last_one_built(store: Store) -> None:
    first = landscape(store)
    first.doc_terms  # noqa: B018 - the title terms, built as the first draft check or document page builds them
    _create(store)
    second = landscape(store)
    assert second is not first and "rh-depression-2024" in second.documents
    assert second.lexicon is first.lexicon, "the title terms were carried over, not split afresh"


def test_a_write_of_unknown_subjects_builds_everything_afresh(store: Store) -> None:
    first = landscape(store)
    first.doc_terms  # noqa: B018 - built, so only the unknown write can make them be split afresh
    store._written(None)  # as after a large load
    assert landscape(store).lexicon is not first.lexicon


def test_clients_asking_at_once_for_a_view_not_yet_built_wait_for_one_build(store: Store) -> None:
    # Clients asking together for a view nobody has built yet must not each build it: side by side,
    # the builds would multiply the memory and CPU of one and all of them could run out of time.
    builds: list[int] = []
    started = threading.Event()

    def build(snap: Snapshot) -> str:
        builds.append(1)
        started.set()
        time.sleep(0.2)  # long enough that every other thread arrives while it runs
        return "answer"

    view = View("race", build=build)
    snap = snapshot(store)
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.submit(snap.get, view)
        started.wait(5)
        others = [pool.submit(snap.get, view) for _ in range(7)]
        answers = [first.result(), *(f.result() for f in others)]
    assert answers == ["answer"] * 8
    assert len(builds) == 1
    assert snap.peek(view) == "answer"


def test_a_keyed_view_keeps_its_bound_of_values_oldest_out_first(store: Store) -> None:
    view = View("square", build=lambda snap, n: n * n, keyed=True, bound=3)
    snap = snapshot(store)
    assert [snap.get(view, n) for n in range(5)] == [0, 1, 4, 9, 16]
    assert [snap.peek(view, n) for n in range(5)] == [MISSING, MISSING, 4, 9, 16]


def test_a_keyed_view_that_weighs_its_values_keeps_the_newest_within_its_weight(store: Store) -> None:
    view = View("bodies", build=lambda snap, n: b"x" * n, keyed=True, bound=10, weigh=len, max_weight=100)
    snap = snapshot(store)

    def kept() -> list[int]:
        return [n for n in (60, 30, 20, 70, 500, 10) if snap.peek(view, n) is not MISSING]

    for n in (60, 30, 20, 70):
        snap.get(view, n)
    assert kept() == [20, 70]  # 60 and then 30 went, oldest first, to fit 100 bytes
    snap.get(view, 500)
    assert kept() == [500]  # over the weight alone, but the newest stays: those who asked get it
    snap.get(view, 10)
    assert kept() == [10]


def test_a_build_that_stopped_as_too_big_is_refused_at_once_for_the_same_bound(store: Store) -> None:
    builds: list[int] = []

    def build(snap: Snapshot) -> list[int]:
        builds.append(1)
        items = list(range(500))
        budget.allow(len(items))
        return items

    view = View("big", build=build)
    snap = snapshot(store)
    for _ in range(3):
        with budget.within(budget.Budget(max_items=100)), pytest.raises(budget.TooBig, match="more than 100 items"):
            snap.get(view)
    assert len(builds) == 1
    with budget.within(budget.Budget(max_items=1000)):  # a larger bound (a background job's) builds it
        assert len(snap.get(view)) == 500
    assert len(builds) == 2


def test_a_caller_whose_client_left_stops_waiting_for_a_build_others_still_wait_for(store: Store) -> None:
    release, started = threading.Event(), threading.Event()

    def build(snap: Snapshot) -> str:
        started.set()
        release.wait(10)
        return "answer"

    view = View("slow", build=build)
    snap = snapshot(store)
    gone, staying = budget.Budget(), budget.Budget()

    def ask(asking: budget.Budget) -> str:
        with budget.within(asking):
            return snap.get(view)

    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(snap.get, view)
        started.wait(5)
        left, stays = pool.submit(ask, gone), pool.submit(ask, staying)
        while snap.waiting(view) < 2:
            time.sleep(0.01)
        gone.cancel()
        hung_up = time.monotonic()
        with pytest.raises(budget.Cancelled):
            left.result(timeout=5)
        assert time.monotonic() - hung_up < 1.5
        assert snap.waiting(view) == 1
        release.set()
        assert first.result(timeout=5) == stays.result(timeout=5) == "answer"
    assert snap.waiting(view) == 0


class _Value:
    """A value a weak reference can follow."""


def test_a_keyed_value_no_one_asks_for_is_freed_after_the_next_write(store: Store) -> None:
    view = View("kept", build=lambda snap, key: _Value(), update=lambda snap, old, changed, key: old, keyed=True)
    gone = weakref.ref(snapshot(store).get(view, "filters"))
    _create(store)
    landscape(store)  # a reader in the next generation, which does not ask for it
    edits.save_record(store, "document", record("rh-two", disease_areas=["F20"]), "test", creating=True)
    landscape(store)
    gc.collect()
    assert gone() is None
