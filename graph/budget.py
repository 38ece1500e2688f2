"""The work budget of one request: a deadline, a cancel flag and a size bound, checked by long computations.

It imports nothing of ours, so every layer may check it. The API sets a budget per request
(:mod:`api.limits`); a computation that may run long calls :func:`check` in its loop and
:func:`allow` before it holds more items. Without a budget (the CLI, tests, the start-up
thread) both do nothing, and the computation runs to the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = [
    "SHARED_SECONDS",
    "Budget",
    "Cancelled",
    "OverBudget",
    "TooBig",
    "allow",
    "check",
    "check_cancelled",
    "current",
    "progress",
    "shared",
    "within",
]


class Cancelled(Exception):
    """The client that asked went away: nobody will read the answer."""


class OverBudget(Exception):
    """The request used up its time; *hint* says how to ask a smaller question."""


class TooBig(Exception):
    """The answer would hold more than the request may hold in memory."""

    def __init__(self, count: int, bound: int) -> None:
        super().__init__(f"the answer would hold more than {bound:,} items ({count:,} or more)")
        self.count, self.bound = count, bound


@dataclass
class Budget:
    """What one request may spend: seconds (``None``: no deadline) and items held at once."""

    seconds: float | None = None
    max_items: int | None = None
    started: float = field(default_factory=time.monotonic)
    outcome: str = "finished"  # or cancelled, over_budget, too_big: what stopped the work
    done: int = 0  # progress of the longest loop, for background jobs: steps done of total
    total: int = 0
    _cancelled: threading.Event = field(default_factory=threading.Event)
    _asking: Budget | None = field(default=None, repr=False)  # for a shared build: whose progress it is

    @property
    def deadline(self) -> float | None:
        """The monotonic time the work must stop by."""
        return None if self.seconds is None else self.started + self.seconds

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (the client disconnected)."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop the work at its next check (called from the event loop; the work runs in a thread)."""
        self._cancelled.set()

    def check(self) -> None:
        """Raise if the work should stop.

        Raises:
            Cancelled: the client disconnected.
            OverBudget: the deadline passed.
        """
        if self._cancelled.is_set():
            raise Cancelled("the client disconnected")
        deadline = self.deadline
        if deadline is not None and time.monotonic() > deadline:
            raise OverBudget(f"the request used its {self.seconds:g} s")

    def allow(self, count: int) -> None:
        """Raise :class:`TooBig` if *count* items are more than this budget may hold."""
        if self.max_items is not None and count > self.max_items:
            raise TooBig(count, self.max_items)


_current: ContextVar[Budget | None] = ContextVar("budget", default=None)


def current() -> Budget | None:
    """The budget of the work running here, or ``None``."""
    return _current.get()


def check() -> None:
    """Check the current budget, if any (see :meth:`Budget.check`); cheap enough for every loop step."""
    budget = _current.get()
    if budget is not None:
        budget.check()


def allow(count: int) -> None:
    """Check *count* items against the current budget, if any (see :meth:`Budget.allow`)."""
    budget = _current.get()
    if budget is not None:
        budget.allow(count)


def progress(done: int, total: int) -> None:
    """Record that *done* of *total* steps are done, on the current budget if any (jobs show it)."""
    budget = _current.get()
    while budget is not None:
        budget.done, budget.total = done, total
        budget = budget._asking


#: Seconds a shared build may take (:func:`shared`): several times what the largest benchmarked
#: landscape needs, so a runaway still stops.
SHARED_SECONDS = 30.0


@contextmanager
def shared(seconds: float | None = SHARED_SECONDS) -> Iterator[Budget | None]:
    """Run work whose result every request reuses (a snapshot view's build) with a deadline of its own.

    Others asking for the same value wait for this build. Cut at the deadline of the request that
    happened to start it, the work would be thrown away and started again by the next one, whose
    own deadline has been running while it waited: under load no one would get the value. So the
    block gets *seconds* from now, or the asking work's own deadline if that is later (a
    background job's); the asking request's cancellation and size bound still apply.
    """
    asking = _current.get()
    if asking is None:
        yield None
        return
    left = None if asking.deadline is None else asking.deadline - time.monotonic()
    if seconds is not None:
        seconds = None if left is None else max(seconds, left)
    budget = Budget(seconds=seconds, max_items=asking.max_items, _cancelled=asking._cancelled, _asking=asking)
    with within(budget):
        yield budget


def check_cancelled() -> None:
    """Raise :class:`Cancelled` if the current work's client went away; the deadline is not looked at.

    For the short rest of a request after it waited for a shared value (:func:`shared`): finishing
    costs less than the value, and the value is there for it.
    """
    budget = _current.get()
    if budget is not None and budget.cancelled:
        raise Cancelled("the client disconnected")


@contextmanager
def within(budget: Budget | None) -> Iterator[Budget | None]:
    """Run the block under *budget* (threads started by the pool inherit it through the context)."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
