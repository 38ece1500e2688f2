"""Build the FastAPI app: the lifespan opens and seeds the store once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from api.routers import health
from graph.ingest import ensure_seeded
from graph.store import open_store

__all__ = ["Settings", "create_app"]


@dataclass(frozen=True)
class Settings:
    """What the operator configures: which store to serve."""

    store: str = "memory"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return the API serving the store named in *settings*."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store)
        ensure_seeded(store)
        app.state.store = store
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="retningsgraf",
        description="Retningsgivende dokumenter i psykiatrien: dækning, huller og overlap / "
        "guiding documents in Danish psychiatry: coverage, gaps and overlaps.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(health.router)
    return app
