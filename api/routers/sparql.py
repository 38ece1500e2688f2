"""The read-only SPARQL 1.1 Protocol endpoint and its shipped example queries."""

from __future__ import annotations

import threading
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import StoreDep
from api.schemas import refusals
from graph import sparql
from graph.sparql import SparqlService

__all__ = ["router", "shutdown"]

router = APIRouter(prefix="/sparql", tags=["sparql"])

# A refused query is the client's to change (403); a slow one the server's to stop (503).
# Too many rows is 400: the SPARQL Protocol answers 400 for a query the service will not
# run, and adding a LIMIT fixes it.  Truncating silently would hide a gap in the data.
_STATUS: dict[type[sparql.QueryError], int] = {
    sparql.QueryRefused: 403,
    sparql.QuerySyntaxError: 400,
    sparql.QueryTooLarge: 400,
    sparql.QueryTimeout: 503,
    sparql.QueryFailed: 500,
}
_DESCRIPTION = """SPARQL 1.1 Protocol, read-only, over the union of all named graphs
(`GRAPH ?g` still names them).

Send the query as `?query=`, as a form field `query=` or as an `application/sparql-query`
body. SELECT and ASK answer SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT and DESCRIBE
answer Turtle (default), N-Triples, JSON-LD or RDF/XML, chosen by `Accept`.

Refused with 403: SPARQL Update (`update=`, `application/sparql-update`, INSERT, DELETE,
LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH) and `SERVICE`. A malformed query is 400
with the line and column; a result over the row limit or brackets nested over 200 deep is
400; a body over 1 MiB is 413; a query over the time limit is stopped and answered 503."""
# Results by the Accept header: SELECT/ASK result formats, CONSTRUCT/DESCRIBE RDF formats.
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in (*sparql.RESULT_TYPES, *sparql.GRAPH_TYPES)}},
    **refusals(400, 403, 503),
}
_lock = threading.Lock()
# A query is text a person wrote or a program built; a megabyte is far more than either needs,
# and reading an unbounded body would let one request take the server's memory.
MAX_BODY_BYTES = 1024 * 1024


class Example(BaseModel):
    """A shipped query from ``graph/queries``."""

    name: str
    title: str
    description: str
    query: str


class Examples(BaseModel):
    """The shipped example queries."""

    items: list[Example]


def get_service(request: Request, store: StoreDep) -> SparqlService:
    """Return the app's query service, created on the first query (workers start lazily too)."""
    state = request.app.state
    with _lock:
        if getattr(state, "sparql", None) is None:
            settings = state.settings
            state.sparql = SparqlService(store, timeout=settings.sparql_timeout, max_rows=settings.sparql_max_rows)
        service: SparqlService = state.sparql
    return service


ServiceDep = Annotated[SparqlService, Depends(get_service)]


def shutdown(app: FastAPI) -> None:
    """Stop the query workers of *app*, if any started; the lifespan calls this on exit."""
    service = getattr(app.state, "sparql", None)
    if service is not None:
        service.close()
        app.state.sparql = None


async def _answer(service: SparqlService, request: Request, params: dict[str, list[str]]) -> Response:
    if "update" in params:
        raise HTTPException(403, "This endpoint is read-only: SPARQL Update is refused.")
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise HTTPException(400, "Give exactly one SPARQL query in the 'query' parameter.")
    try:
        answer = await run_in_threadpool(
            service.query,
            queries[0],
            accept=request.headers.get("accept"),
            default_graphs=params.get("default-graph-uri", []),
            named_graphs=params.get("named-graph-uri", []),
        )
    except sparql.QueryError as error:
        raise HTTPException(_STATUS[type(error)], str(error)) from error
    return Response(answer.body, media_type=answer.media_type)


@router.get(
    "", summary="Run a SPARQL query (GET)", description=_DESCRIPTION, response_class=Response, responses=_ANSWERS
)
async def sparql_get(
    request: Request,
    service: ServiceDep,
    query: Annotated[
        str | None, Query(description="The SPARQL query.", examples=["SELECT ?s WHERE { ?s a ?type } LIMIT 5"])
    ] = None,
) -> Response:
    """Answer a query given in the query string."""
    return await _answer(service, request, parse_qs(request.url.query, keep_blank_values=True))


_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"query": {"type": "string"}}}
            },
            "application/sparql-query": {"schema": {"type": "string"}},
        }
    }
}


@router.post(
    "",
    summary="Run a SPARQL query (POST)",
    description=_DESCRIPTION,
    openapi_extra=_BODY,
    response_class=Response,
    responses={**_ANSWERS, **refusals(413, 415)},
)
async def sparql_post(request: Request, service: ServiceDep) -> Response:
    """Answer a query sent as a form field or as an ``application/sparql-query`` body."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = (await _body(request)).decode("utf-8", errors="replace")
    if media_type == "application/x-www-form-urlencoded":
        for key, values in parse_qs(body, keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    elif media_type == "application/sparql-query":
        params["query"] = [body]
    elif media_type == "application/sparql-update":
        raise HTTPException(403, "This endpoint is read-only: SPARQL Update is refused.")
    else:
        raise HTTPException(415, "Send the query as application/x-www-form-urlencoded or application/sparql-query.")
    return await _answer(service, request, params)


async def _body(request: Request) -> bytes:
    """Return the request body, refusing (413) one over MAX_BODY_BYTES without reading it all."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(413, f"The request body is larger than the limit of {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/examples", summary="List the example queries")
def read_examples() -> Examples:
    """Return the queries shipped in ``graph/queries``, each runnable as-is."""
    return Examples(items=[Example(**vars(example)) for example in sparql.examples()])
