"""Background jobs: all classified pairs, the overlap network and the whole graph, with progress and a result URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.jobs import Job, JobQueueFull, Jobs
from api.ratelimit import expensive
from api.schemas import refusals
from graph.analysis import overlap, overlap_network, planning
from graph.model.landscape import landscape
from graph.store.core import Store

router = APIRouter(prefix="/jobs", tags=["jobs"])
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
RDF = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json"}


class JobIn(BaseModel):
    """What to compute: all classified pairs (``overlaps``), their network (``graphml``) or the graph."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["overlaps", "graphml", "graph"]
    owner: str | None = Field(default=None, max_length=200)
    other_owner: str | None = Field(default=None, max_length=200)
    relation: Literal["duplicate", "overlap", "complementary", "supersedes", "may_replace"] | None = None
    min_score: float = Field(default=0.0, ge=0, le=1)
    format: Literal["ttl", "nt", "jsonld"] = Field(default="nt", description="graph only")


class JobOut(BaseModel):
    """A job: its state (queued, running, done, failed, cancelled), progress from 0 to 1, and result."""

    id: str
    kind: str
    params: dict[str, Any]
    state: str
    progress: float | None
    result: str | None = Field(description="the URL of the result once the job is done")
    bytes: int | None
    error: str | None


def _jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


def _job(request: Request, job_id: str) -> Job:
    job = _jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"no job with id {job_id!r} (finished jobs are kept for a while, not forever)")
    return job


@router.post(
    "", status_code=202, response_model=JobOut, responses=refusals(400, 422, 429), dependencies=[Depends(expensive)]
)
def start_job(body: JobIn, request: Request) -> JSONResponse:
    """Start an analysis too long for one request; follow ``Location`` for its progress and result."""
    store: Store = request.app.state.store
    params = body.model_dump(exclude_none=True)
    if body.kind == "graph":
        params = {"kind": "graph", "format": body.format}
        media, name = RDF[body.format], f"retningsgraf.{body.format}"
    elif body.kind == "graphml":
        params.pop("format")
        media, name = "application/graphml+xml", "retningsgraf-overlap.graphml"
    else:
        params.pop("format")
        media, name = "application/json", "retningsgraf-overlaps.json"
    try:
        job = _jobs(request).submit(body.kind, params, media, name, lambda p: _work(store, p))
    except JobQueueFull as error:
        raise HTTPException(429, str(error), headers={"Retry-After": "60"}) from None
    return JSONResponse(job.as_json(), status_code=202, headers={"Location": f"/jobs/{job.id}"})


@router.get("/{job_id}", responses=refusals(404))
def read_job(job_id: JobId, request: Request) -> JobOut:
    """A job's state and progress; once done, the URL of its result."""
    return JobOut(**_job(request, job_id).as_json())


@router.get("/{job_id}/result", response_class=Response, responses=refusals(404, 409))
def read_job_result(job_id: JobId, request: Request) -> Response:
    """The result file of a finished job."""
    job = _job(request, job_id)
    if job.state != "done" or job.path is None:
        raise HTTPException(409, f"the job is {job.state}" + (f": {job.error}" if job.error else ""))
    return FileResponse(job.path, media_type=job.media_type, filename=job.filename)


@router.delete("/{job_id}", status_code=204, responses=refusals(404))
def cancel_job(job_id: JobId, request: Request) -> Response:
    """Stop a job that is queued or running."""
    if _jobs(request).cancel(job_id) is None:
        raise HTTPException(404, f"no job with id {job_id!r}")
    return Response(status_code=204)


def _work(store: Store, params: dict[str, Any]) -> Iterator[bytes]:
    """The chunks of a job's result file (runs in the job thread, under the job's budget)."""
    if params["kind"] == "graph":
        yield store.dump(params["format"])
        return
    land = landscape(store)
    relations = [params["relation"]] if "relation" in params else overlap.RELATIONS
    found = planning.overlaps_between(
        land, params.get("owner"), params.get("other_owner"), relations, params.get("min_score", 0.0)
    )
    if params["kind"] == "graphml":
        yield overlap_network.to_graphml(overlap_network.overlap_graph(land, found))
        return
    yield b'{"total": %d, "items": [\n' % len(found)
    for n, c in enumerate(found):
        item = {
            "a": c.a,
            "b": c.b,
            "relation": c.relation,
            "score": c.score,
            "reasons": [r.__dict__ for r in c.reasons],
        }
        yield (",\n" if n else "").encode() + json.dumps(item, ensure_ascii=False).encode()
    yield b"\n]}\n"
