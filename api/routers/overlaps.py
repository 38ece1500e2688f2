"""Overlaps: related pairs of documents, per owner pair and cluster, and the draft check."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import LandscapeDep
from api.paging import Offset, limit_param, next_link
from api.ratelimit import expensive
from api.routers.documents import document_out
from api.schemas import (
    Candidate,
    CheckResult,
    ClusterOut,
    DraftIn,
    OverlapList,
    OverlapOut,
    OwnerPair,
    refusals,
)
from graph.analysis import overlap, views
from graph.analysis.scope_index import has_scope_index
from graph.analysis.verdicts import VERDICTS, verdicts
from graph.model.landscape import Landscape
from graph.model.snapshot import MISSING

router = APIRouter(prefix="/overlaps", tags=["overlaps"])
Relation = Literal["duplicate", "overlap", "complementary", "supersedes", "may_replace"]


@router.get("", dependencies=[Depends(expensive)], responses=refusals(413, 429, 503))
def read_overlaps(
    land: LandscapeDep,
    request: Request,
    owner: Annotated[str | None, Query(max_length=200, description="organisation id or name")] = None,
    other_owner: Annotated[str | None, Query(max_length=200)] = None,
    relation: Relation | None = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    unjudged: Annotated[bool, Query(description="only pairs no coordinator has judged yet")] = False,
    limit: Annotated[int, limit_param(1000, 10000)] = 1000,
    offset: Offset = 0,
    cluster_limit: Annotated[int, limit_param(1000, 1000)] = 1000,
    cluster_offset: Offset = 0,
) -> OverlapList:
    """Related pairs of documents, best first; with owner filters, pairs between those owners.

    Pages: ``limit`` and ``offset`` for the pairs, ``cluster_limit`` and ``cluster_offset`` for the clusters.

    Each pair carries the engine's call (``relation``, ``engine_relation``) and a coordinator's ``verdict``
    on it, if one was recorded (PUT /overlaps/verdicts).
    """
    found = views.overlaps_between(land, owner, other_owner, [relation] if relation else overlap.RELATIONS, min_score)
    judged = verdicts(land.snapshot)
    if unjudged:
        found = [c for c in found if judged.of(c.a, c.b) is None]
    items = [
        OverlapOut(
            a=c.a,
            b=c.b,
            relation=c.relation or "",
            score=c.score,
            reasons=[r.__dict__ for r in c.reasons],
            engine_relation=c.relation or "",
            verdict=judged.json_of(c.a, c.b),
        )
        for c in found[offset : offset + limit]
    ]
    pairs = [OwnerPair(**row) for row in overlap.owner_summary(land, found)]
    every_cluster = overlap.clusters(land, min_score)
    clusters = [ClusterOut(**cluster) for cluster in every_cluster[cluster_offset : cluster_offset + cluster_limit]]
    return OverlapList(
        items=items,
        total=len(found),
        next=next_link(request, offset, limit, len(found)),
        owner_pairs=pairs,
        clusters=clusters,
        clusters_total=len(every_cluster),
        clusters_next=next_link(request, cluster_offset, cluster_limit, len(every_cluster), "cluster_"),
    )


@router.post("/check", response_model=CheckResult, responses=refusals(400, 422, 429), dependencies=[Depends(expensive)])
async def check_draft(
    draft: DraftIn,
    land: LandscapeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    document: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9][a-z0-9-]{0,119}$",
            description="the registered document the draft is (a plan): verdicts on its pairs are shown",
        ),
    ] = None,
) -> Response:
    """Rank the existing documents a draft would duplicate, overlap, complement or supersede.

    A coroutine on purpose: with the landscape's scope index built (at start-up, and kept up
    to date by writes) the check is a few milliseconds of CPU on the in-memory read model, no
    store access (the verdicts too, once read), so it runs on the event loop rather than queueing
    for a thread and the GIL behind 31 other requests. Only a check that would first build the
    index (or read the verdicts) goes to a thread.
    """
    if not has_scope_index(land) or land.snapshot.peek(VERDICTS) is MISSING:
        return await run_in_threadpool(_check, land, draft, limit, document)
    return _check(land, draft, limit, document)


def _check(land: Landscape, draft: DraftIn, limit: int, document: str | None = None) -> Response:
    found = overlap.check_draft(land, overlap.Draft(**draft.model_dump()), limit=limit)
    judged = verdicts(land.snapshot)
    result = CheckResult(
        candidates=[
            Candidate(
                document=document_out(land, c.b),
                relation=c.relation or "",
                score=c.score,
                rank=c.rank if c.rank is not None else c.score,
                reasons=[r.__dict__ for r in c.reasons],
                engine_relation=c.relation or "",
                verdict=judged.json_of(document, c.b) if document else None,
            )
            for c in found
        ]
    )
    # Encoded here: FastAPI would validate the model again and walk it with jsonable_encoder.
    return Response(result.model_dump_json(), media_type="application/json")
