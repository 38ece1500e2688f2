"""Dependencies shared by the routers: the store the app opened at start-up."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graph.store import Store

__all__ = ["StoreDep", "get_store"]


def get_store(request: Request) -> Store:
    """Return the store opened by the app's lifespan."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]
