"""Response models of the API."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["Health"]


class Health(BaseModel):
    """Liveness with the size of the graph being served."""

    status: str
    documents: int
    triples: int
