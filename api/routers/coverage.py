"""Coverage: the disease-area tree and the planning rows with valid documents per kind."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import LandscapeDep
from api.params import CountLevel, CountPurpose
from api.schemas import CoverageReport, CoverageRow, DiseaseAreaNode
from graph.analysis import views
from graph.model.landscape import LANDSCAPE
from graph.model.snapshot import MISSING, Snapshot, View

router = APIRouter(tags=["coverage"])


@router.get("/disease-areas")
def read_disease_areas(land: LandscapeDep) -> list[DiseaseAreaNode]:
    """ICD-10 chapter V as a tree of blocks and categories, with valid documents per kind."""
    return [DiseaseAreaNode(**node) for node in views.disease_area_tree(land)]


@router.get("/coverage", response_model=CoverageReport)
async def read_coverage(
    land: LandscapeDep,
    population: Annotated[str | None, Query(max_length=50)] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    topic: Annotated[str | None, Query(max_length=50)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    valid_on: Annotated[dt.date | None, Query()] = None,
    level: CountLevel = None,
    purpose: CountPurpose = None,
) -> Response:
    """Per planning disease area: the documents that count as coverage, per kind, with their ids.

    By default national clinical guidance in force counts; ``level`` and ``purpose`` add e.g. regional guidelines.
    """
    filters = views.Filters(
        kind=kind, owner=owner, population=population, topic=topic, valid_on=valid_on, level=level, purpose=purpose
    )
    filters.counting()  # an unknown level or purpose is refused before anything is counted

    # Encoded once per landscape and filter set: the body holds every counted id. A body already made
    # is sent from the event loop; making one goes to a thread.
    body = land.snapshot.peek(COVERAGE_JSON, filters)
    if body is MISSING:
        body = await run_in_threadpool(land.snapshot.get, COVERAGE_JSON, filters)
    return Response(body, media_type="application/json")


def _encode(snap: Snapshot, filters: views.Filters) -> bytes:
    rows = [CoverageRow(**row) for row in views.coverage(snap[LANDSCAPE], filters)]
    return CoverageReport(items=rows).model_dump_json().encode()


#: The coverage answer's body per filter set, as bounded as the rows it encodes.
COVERAGE_JSON: View[bytes] = View("coverage.json", build=_encode, keyed=True, bound=views.COVERAGE.bound)
