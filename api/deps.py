"""Dependencies shared by the routers: the store the app opened, and its landscape read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from graph.model.landscape import LANDSCAPE, Landscape, landscape
from graph.model.snapshot import MISSING, current
from graph.store.core import Store

__all__ = ["LandscapeDep", "StoreDep", "get_landscape", "get_store"]


async def get_store(request: Request) -> Store:
    """Return the store opened by the app's lifespan."""
    store: Store = request.app.state.store
    return store


async def get_landscape(request: Request) -> Landscape:
    """Return the landscape of the store, rebuilt only after a write.

    Both dependencies are coroutines: a plain function would be sent to the thread pool on
    every request, and under 32 concurrent clients those hand-overs (and the threads' fight
    for the GIL) were a fifth of a document read's cost. Only a landscape that has to be
    built, or asked for over the network, goes to a thread.
    """
    store: Store = request.app.state.store
    snap = current(store)
    built = snap.peek(LANDSCAPE) if snap is not None else MISSING
    if isinstance(built, Landscape):
        return built
    return await run_in_threadpool(landscape, store)


StoreDep = Annotated[Store, Depends(get_store)]
LandscapeDep = Annotated[Landscape, Depends(get_landscape)]
