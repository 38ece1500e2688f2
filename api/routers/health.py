"""Liveness: is the service up, and how much does it serve."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import StoreDep
from api.schemas import Health
from graph.model.counts import counts

router = APIRouter(tags=["health"])


@router.get("/health")
def read_health(store: StoreDep) -> Health:
    """Return ``ok`` with the number of documents and triples in the store."""
    documents, triples = counts(store)
    return Health(status="ok", documents=documents, triples=triples)


@router.get("/health/work")
async def read_work(request: Request) -> dict[str, int]:
    """Requests by outcome since start: finished, cancelled (client left), over_budget, too_big, running.

    ``sparql_queries`` counts the queries the SPARQL workers ran: identical queries that share one run count once.
    """
    service = getattr(request.app.state, "sparql", None)
    return {**request.app.state.work, "sparql_queries": getattr(service, "queries_run", 0)}
