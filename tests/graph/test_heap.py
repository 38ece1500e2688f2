"""The read model is kept out of the garbage collector's full sweeps, and old models are still freed."""

from __future__ import annotations

import gc
import weakref

from graph.heap import settle
from graph.landscape import landscape
from graph.store import Store


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
