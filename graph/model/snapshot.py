"""Derived state, one owner: a snapshot per store generation holds every structure derived from the store.

A derived structure is a :class:`View`: a name, how to build it from a snapshot and, optionally,
how to update the value an earlier generation built, given the subjects written since. A
snapshot builds each view once, when first asked, and whoever asks meanwhile waits for that
build (a waiter whose client goes away stops waiting; :meth:`Snapshot.waiting` tells a build
how many still wait, so work they share may outlive the client that started it). A build that
stopped as too big (``graph.budget.TooBig``) is remembered: callers with that size bound are
refused at once instead of each building up to it again. A write
makes the next reader start a new snapshot, which takes over the values of the views that can
update themselves; each is updated when first asked for, and rebuilt instead when the write's
subjects are unknown (a large load, another process's write). That is the one garbage policy
too: a value lives as long as its generation, a keyed view holds at most *bound* keys (oldest
out first) and, if it weighs its values, at most *max_weight* of them besides the newest, and
a value carried over is dropped once updated, when it cannot be, or (for a keyed view) when no
one asked for it in the generation it was carried into; a view without keys is carried on
until asked, so it holds at most one older landscape.

The store knows nothing of this: it counts its writes (``generation``) and says which subjects
they changed (``changes_since``).  Nothing else caches or locks: tests/test_read_side_owner.py
lists the few exceptions (files shipped with the code, pure-function memos, write locks) and why.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from graph import budget
from graph.model.heap import keep

if TYPE_CHECKING:
    from graph.store.core import Store

__all__ = ["MISSING", "Snapshot", "View", "current", "snapshot"]

T = TypeVar("T")
#: What :meth:`Snapshot.peek` returns for a value not built yet.
MISSING: Any = object()


@dataclass(frozen=True, eq=False)
class View(Generic[T]):
    """A structure derived from the store: its name, its build and (optionally) its update.

    Attributes:
        name: what it is, for people reading a snapshot.
        build: ``build(snapshot)``, or ``build(snapshot, key)`` for a keyed view.
        update: ``update(snapshot, old, changed)`` (``..., key)`` when keyed): the value for this
            snapshot made from *old*, an earlier generation's, and the IRIs of the subjects written
            since; None when it cannot, so the view is built afresh.
        keyed: one value per key (a filter set, a document id) instead of one value.
        bound: for a keyed view whose keys come from requests, how many values a snapshot keeps.
        weigh: for a keyed view, the size of one value (bytes, say); with *max_weight*, the oldest
            values go until the rest weigh at most that much (the newest stays whatever it weighs).
        max_weight: the total weight of the values a snapshot keeps, when *weigh* is given.
    """

    name: str
    build: Callable[..., T]
    update: Callable[..., T | None] | None = None
    keyed: bool = False
    bound: int | None = None
    weigh: Callable[[T], int] | None = None
    max_weight: int | None = None

    def __repr__(self) -> str:
        return f"View({self.name!r})"


class Snapshot:
    """The views of one store generation, each built once (see the module docstring)."""

    def __init__(
        self,
        store: Store | None,
        generation: int,
        carried: dict[tuple[View[Any], Hashable], tuple[Any, frozenset[str]]] | None = None,
    ) -> None:
        self.store = store
        self.generation = generation
        self._values: dict[View[Any], dict[Hashable, Any]] = {}
        self._carried = carried or {}
        self._building: dict[tuple[View[Any], Hashable], _Flight] = {}
        # Builds that stopped as too big: how many items they had reached. Deterministic for a
        # generation and a size bound, so a caller with that bound is refused without a build.
        self._too_big: dict[tuple[View[Any], Hashable], int] = {}
        self._guard = threading.Lock()

    @classmethod
    def holding(cls, view: View[T], value: T) -> Snapshot:
        """Return a snapshot of no store that holds *value* as *view* (a landscape built by hand, in tests)."""
        snap = cls(None, -1)
        snap._values[view] = {None: value}
        return snap

    def __getitem__(self, view: View[T]) -> T:
        return self.get(view)

    def get(self, view: View[T], key: Hashable = None) -> T:
        """Return the value of *view* (for *key*), building or updating it once; others asking meanwhile wait.

        Raises:
            graph.budget.Cancelled: the asking request's client went away while it waited.
            graph.budget.TooBig: the value would hold more items than the asking budget allows,
                found by this build or an earlier one of this generation.
        """
        found = self._values.get(view, {}).get(key, MISSING)
        if found is not MISSING:
            return found  # type: ignore[no-any-return]
        self._refuse_if_too_big(view, key)
        with self._guard:
            flight = self._building.setdefault((view, key), _Flight())
            flight.users += 1
            flight.waiting += 1
        queued = True
        try:
            # Polled, so a waiter whose client left stops holding a thread for nobody.
            while not flight.lock.acquire(timeout=_POLL_SECONDS):
                budget.check_cancelled()
            try:
                with self._guard:
                    flight.waiting -= 1
                queued = False
                found = self._values.get(view, {}).get(key, MISSING)
                if found is MISSING:
                    self._refuse_if_too_big(view, key)
                    try:
                        found = self._make(view, key)  # may stop on the asking request's budget: then nothing is kept
                    except budget.TooBig as error:
                        with self._guard:
                            self._too_big[(view, key)] = max(error.count, self._too_big.get((view, key), 0))
                        raise
                    self._keep(view, key, found)
                    keep()  # long-lived: out of the collector's full sweeps (graph.model.heap)
            finally:
                flight.lock.release()
        finally:
            with self._guard:
                flight.users -= 1
                flight.waiting -= queued
                if flight.users == 0 and self._building.get((view, key)) is flight:
                    del self._building[(view, key)]
        return found  # type: ignore[no-any-return]

    def _refuse_if_too_big(self, view: View[Any], key: Hashable) -> None:
        reached = self._too_big.get((view, key))
        asking = budget.current()
        if reached is not None and asking is not None and asking.max_items is not None and asking.max_items < reached:
            raise budget.TooBig(reached, asking.max_items)

    def waiting(self, view: View[Any], key: Hashable = None) -> int:
        """Return how many callers wait for the value of *view* (for *key*) that is being built now."""
        with self._guard:
            flight = self._building.get((view, key))
            return 0 if flight is None else flight.waiting

    def _keep(self, view: View[T], key: Hashable, value: T) -> None:
        kept = self._values.setdefault(view, {})
        if view.bound is not None and len(kept) >= view.bound:
            kept.pop(next(iter(kept)), None)
        kept[key] = value
        if view.weigh is not None and view.max_weight is not None:
            weights = {k: view.weigh(v) for k, v in kept.items()}
            total = sum(weights.values())
            for old in list(kept)[:-1]:
                if total <= view.max_weight:
                    break
                total -= weights[old]
                kept.pop(old, None)

    def peek(self, view: View[T], key: Hashable = None) -> T:
        """Return the value of *view* (for *key*) if it is built, else ``MISSING``; never builds."""
        return self._values.get(view, {}).get(key, MISSING)  # type: ignore[no-any-return]

    def _make(self, view: View[T], key: Hashable) -> T:
        with self._guard:
            carried = self._carried.pop((view, key), None)
        if carried is not None and view.update is not None:
            old, changed = carried
            value = view.update(self, old, changed, key) if view.keyed else view.update(self, old, changed)
            if value is not None:
                return value
        return view.build(self, key) if view.keyed else view.build(self)

    def successor(self, generation: int, changed: set[str] | None) -> Snapshot:
        """Return the snapshot of a later *generation*, carrying over what can update for the *changed* subjects."""
        if changed is None:
            return Snapshot(self.store, generation)
        with self._guard:
            # Only one value per view without keys is carried on untaken: keyed values (filter sets)
            # not asked for in a generation are dropped, so old landscapes they hold are freed.
            # Moved, not copied: this snapshot no longer holds them.
            carried = {
                entry: (old, since | changed) for entry, (old, since) in self._carried.items() if not entry[0].keyed
            }
            self._carried = {}
        for view, values in list(self._values.items()):
            if view.update is not None:
                carried.update({(view, key): (value, frozenset(changed)) for key, value in list(values.items())})
        return Snapshot(self.store, generation, carried)


# How often a caller waiting for a build looks whether its client is still there. Not more often:
# each look takes the GIL from the build they all wait for (31 waiters, 31 looks a second).
_POLL_SECONDS = 1.0


class _Flight:
    """One build under way: its lock, the callers asking for it, and how many of them wait for the lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users = 0
        self.waiting = 0


_CURRENT: weakref.WeakKeyDictionary[Store, Snapshot] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def snapshot(store: Store) -> Snapshot:
    """Return the snapshot of *store*'s current generation, starting one after a write."""
    generation = store.generation
    snap = _CURRENT.get(store)
    if snap is not None and snap.generation == generation:
        return snap
    with _LOCK:
        snap, generation = _CURRENT.get(store), store.generation
        if snap is None:
            snap = Snapshot(store, generation)
        elif snap.generation != generation:
            snap = snap.successor(generation, store.changes_since(snap.generation))
        _CURRENT[store] = snap
    return snap


def current(store: Store) -> Snapshot | None:
    """Return *store*'s snapshot if it is known to be current without asking a server, else None.

    For callers on an event loop: a store in another process must be asked for its generation.
    """
    if not store.in_process:
        return None
    snap = _CURRENT.get(store)
    return snap if snap is not None and snap.generation == store.generation else None
