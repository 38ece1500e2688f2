"""Keep the long-lived read model out of the garbage collector's full sweeps.

A large landscape is millions of Python objects. CPython's cyclic collector walks every
tracked object on each full (generation 2) collection, which under API load comes every few
seconds and pauses every request for as long as the walk takes (benchmarks/README.md has the
figures). The read model lives until the next write, so after it is built we collect once
and move everything alive into the permanent generation (``gc.freeze``), which full sweeps
skip. Before that we unfreeze, so what an earlier landscape left in reference cycles is still
found and freed: settling costs one full collection per write, instead of one every few
seconds of reads.

Indexes that the landscape builds on first use (a document page's first request builds the
term index, the first draft check the scope index) are kept the same way as they are built
(:class:`read_model`, :func:`keep`): they are many containers too, and left in generation 2
every full sweep would walk them again.
"""

from __future__ import annotations

import gc
import threading
from functools import cached_property
from typing import Any

__all__ = ["keep", "read_model", "settle"]

_LOCK = threading.Lock()  # gc.freeze and unfreeze must not interleave; it guards no data


def settle() -> None:
    """Free unreachable cycles, then exempt every live object from later full collections."""
    with _LOCK:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def keep() -> None:
    """Exempt every live object from later full collections, without collecting first.

    Cheap (the collector's lists are spliced, nothing is walked), so it follows every lazily
    built read model. Garbage that happens to be alive in cycles at that moment (a request in
    flight) is kept with it until the next :func:`settle`, which the next write brings.
    """
    with _LOCK:
        gc.freeze()


class read_model(cached_property):  # a decorator, named like the cached_property it extends
    """A ``cached_property`` whose value, once built, is kept out of full collections (:func:`keep`).

    Only for parts of a view's value that are built on first use from that value alone (the
    landscape's indexes): they live and die with the value, so there is nothing to invalidate.
    (On Python 3.11 ``cached_property`` builds under one lock per property; the value is made
    from the landscape alone either way, so a second build on a newer Python gives the same.)
    """

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        # Only called while the value is missing: once cached, the instance's __dict__ answers first.
        value = super().__get__(instance, owner)
        if instance is not None:
            keep()
        return value
