"""Dependencies shared by the routers: the store the app opened, and its landscape read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graph.landscape import Landscape, landscape
from graph.store import Store

__all__ = ["LandscapeDep", "StoreDep", "get_landscape", "get_store"]


def get_store(request: Request) -> Store:
    """Return the store opened by the app's lifespan."""
    store: Store = request.app.state.store
    return store


def get_landscape(request: Request) -> Landscape:
    """Return the landscape of the store, rebuilt only after a write."""
    return landscape(get_store(request))


StoreDep = Annotated[Store, Depends(get_store)]
LandscapeDep = Annotated[Landscape, Depends(get_landscape)]
