"""The read model is kept out of the garbage collector's full sweeps, and old models are still freed."""

from __future__ import annotations

import gc
import weakref

from graph.analysis.scope_index import scope_index
from graph.model.heap import settle
from graph.model.landscape import _load, landscape
from graph.store.core import Store


class _Model:
    """Stands for a landscape that holds itself in a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def test_a_built_landscape_is_exempt_from_full_collections(family_store: Store) -> None:
    gc.unfreeze()
    land = landscape(family_store)  # a fresh build settles the heap
    assert gc.get_freeze_count() > len(land.documents)


def test_a_model_left_in_a_cycle_is_freed_by_the_next_settle() -> None:
    old = _Model()
    settle()  # frozen while alive
    gone = weakref.ref(old)
    del old
    settle()  # unfreezes before collecting, so the frozen cycle is found
    assert gone() is None


def test_an_index_built_on_first_use_is_exempt_from_full_collections(family_store: Store) -> None:
    land = landscape(family_store)
    land.__dict__.pop("by_term", None)  # as if no request had asked for it since the build
    index = land.by_term
    built = {id(ids) for ids in index.values()}
    assert built
    assert not any(id(obj) in built for obj in gc.get_objects())  # frozen objects are in no generation


def test_the_scope_index_built_on_a_first_draft_check_is_exempt_from_full_collections(family_store: Store) -> None:
    land = _load(family_store)  # a landscape of its own, whose index no one has asked for yet
    index = scope_index(land)
    assert not any(obj is index for obj in gc.get_objects())
