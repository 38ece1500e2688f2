"""A computation under a budget stops at its next check, keeps nothing half-made, and reports progress."""

from __future__ import annotations

import pytest

from graph.analysis import overlap
from graph.budget import Budget, Cancelled, OverBudget, TooBig, check, shared, within
from graph.model.landscape import landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import ensure_seeded


@pytest.fixture
def fresh() -> Store:
    """A registry store of its own: the pairs are cached on its landscape, so no test may share it."""
    store = open_store("memory")
    ensure_seeded(store)
    return store


def test_pairs_stop_when_the_client_is_gone_and_keep_nothing(fresh: Store) -> None:
    land = landscape(fresh)
    budget = Budget()
    budget.cancel()
    with within(budget), pytest.raises(Cancelled):
        overlap.pairs(land)
    assert "pairs" not in land.__dict__
    assert len(overlap.pairs(land)) > 100  # without a budget the same call runs to the end


def test_pairs_are_built_past_the_asking_requests_deadline_for_all_who_wait(fresh: Store) -> None:
    # Cut at the starter's deadline, every waiter would start again with its own spent waiting.
    with within(Budget(seconds=0.0)):
        assert len(overlap.pairs(landscape(fresh))) > 100


def test_pairs_beyond_the_size_bound_are_refused(fresh: Store) -> None:
    with within(Budget(max_items=50)), pytest.raises(TooBig) as refused:
        overlap.pairs(landscape(fresh))
    assert refused.value.bound == 50 and refused.value.count > 50


def test_one_documents_pairs_stop_too(fresh: Store) -> None:
    budget = Budget()
    budget.cancel()
    with within(budget), pytest.raises(Cancelled):
        overlap.related(landscape(fresh), "nkr-bipolar")


def test_progress_is_recorded_on_the_budget(fresh: Store) -> None:
    land = landscape(fresh)
    budget = Budget()
    with within(budget):
        overlap.pairs(land)
    assert budget.total == len(land.documents) and budget.done == budget.total - 1


def test_a_shared_build_outlives_the_asking_requests_deadline_but_not_its_client() -> None:
    # A value others wait for is not thrown away because the request that started it ran out of time.
    asking = Budget(seconds=0.0)
    with within(asking):
        with pytest.raises(OverBudget):
            check()
        with shared(60.0):
            check()  # the build goes on
        asking.cancel()
        with shared(60.0), pytest.raises(Cancelled):
            check()  # but stops when the client is gone
    with shared(0.0):
        check()  # without a request (the CLI, tests) there is nothing to stop
