"""The read-only SPARQL 1.1 Protocol endpoint and its shipped example queries."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel

from api.deps import StoreDep
from api.negotiation import RDF_TYPES, acceptable
from api.ratelimit import expensive
from api.schemas import refusals
from graph import budget
from graph.analysis.dataset_description import Limits, service_description
from graph.model.counts import GRAPHS
from graph.model.snapshot import Snapshot, View, snapshot
from graph.store import sparql
from graph.store.core import serialise
from graph.store.remote import SparqlStore
from graph.store.sparql import SparqlService
from graph.store.sparql_proxy import SparqlProxy, Streamed
from graph.validation.gaps import query_examples

__all__ = ["router", "shutdown", "start"]

router = APIRouter(prefix="/sparql", tags=["sparql"], dependencies=[Depends(expensive)])

# A refused query is the client's to change (403); a slow one the server's to stop (503).
# Too many rows is 400: the SPARQL Protocol answers 400 for a query the service will not
# run, and adding a LIMIT fixes it.  Truncating silently would hide a gap in the data.
# A full pool is 429 with Retry-After: neither the query's fault nor a failure, the
# client's to send again later.
_STATUS: dict[type[sparql.QueryError], int] = {
    sparql.QueryRefused: 403,
    sparql.QuerySyntaxError: 400,
    sparql.QueryTooLarge: 400,
    sparql.QueryNotAcceptable: 406,
    sparql.QueryBusy: 429,
    sparql.QueryCancelled: 499,
    sparql.QueryTimeout: 503,
    sparql.QueryFailed: 500,
}
_DESCRIPTION = """SPARQL 1.1 Protocol, read-only.

The dataset is the one `default-graph-uri` and `named-graph-uri` give (one without the other
leaves the other empty), else the query's `FROM` and `FROM NAMED`, else: the default graph is
the union of all named graphs as a set (a triple in two graphs counts once) and `GRAPH ?g`
sees every named graph.  A graph that is not in the store is empty; nothing is ever fetched.
Relative IRIs resolve against this endpoint's URL.

Without any parameter, GET answers the SPARQL 1.1 Service Description of this endpoint (Turtle,
JSON-LD or N-Triples by `Accept`; a browser is sent to the query page): result formats, dataset, limits.

Send the query as `?query=`, as a form field `query=` or as an `application/sparql-query`
body, in UTF-8. SELECT and ASK answer SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT and
DESCRIBE answer Turtle (default), N-Triples, JSON-LD or RDF/XML, chosen by `Accept` (406 if
it takes none of them). GET answers carry an `ETag` (`If-None-Match` gives 304).

Refused with 403: SPARQL Update (`update=`, `application/sparql-update`, INSERT, DELETE,
LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH) and `SERVICE`. A malformed query is 400
with the line, column and reason; a result over the row limit or brackets nested over 200
deep is 400; a body over 1 MiB is 413; a charset other than UTF-8 is 415; a query over the
time limit is stopped and answered 503, and refused at once (503) until the data changes.
Identical queries (same text, dataset and result format) sent while one runs wait for that
run and share its answer, which is kept for the current version of the data. A query still
running after a second while other long queries hold all but one worker, or one that finds
every worker busy for the time limit, is answered 429 with `Retry-After`. A client that
hangs up stops its query, unless others wait for the same one."""
# Results by the Accept header: SELECT/ASK result formats, CONSTRUCT/DESCRIBE RDF formats.
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in (*sparql.RESULT_TYPES, *sparql.GRAPH_TYPES)}},
    **refusals(400, 403, 406, 429, 503),
}
# The service description's formats, Turtle first: what a client that accepts anything gets.
GRAPH_MEDIA = tuple(RDF_TYPES)
_lock = threading.Lock()
# A query is text a person wrote or a program built; a megabyte is far more than either needs,
# and reading an unbounded body would let one request take the server's memory.
MAX_BODY_BYTES = 1024 * 1024


# Answers kept per store generation: enough for the pages' example queries and a few people's,
# and bounded in bytes, since one answer may be up to the row limit.
KEPT_ANSWERS = 64
KEPT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Question:
    """What makes two requests the same query: text, dataset, formats and base IRI (and the service)."""

    service: SparqlService | SparqlProxy
    query: str
    result_type: str | None
    graph_type: str | None
    base_iri: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


@dataclass(frozen=True)
class _Outcome:
    """A query's answer (with its ETag), or the refusal it earned for this store generation."""

    answer: sparql.Answer | None
    etag: str = ""
    refused: type[sparql.QueryError] | None = None
    message: str = ""


def _run(snap: Snapshot, question: _Question) -> _Outcome:
    """Run *question* once for everyone asking; a timeout or a too-large result is kept as its answer.

    The run stops when the client of the request that started it has gone and nobody else waits.
    Refusals that depend on the moment (a full pool, a failed worker) are raised, not kept.
    """
    asking = budget.current()

    def cancelled() -> bool:
        return asking is not None and asking.cancelled and snap.waiting(ANSWERS, question) == 0

    try:
        answer = question.service.query(
            question.query,
            result_type=question.result_type,
            graph_type=question.graph_type,
            base_iri=question.base_iri,
            default_graphs=question.default_graphs,
            named_graphs=question.named_graphs,
            cancelled=cancelled,
        )
    except sparql.QueryTimeout as error:
        again = " It is refused at once until the data changes: add a LIMIT or narrow the patterns."
        return _Outcome(None, refused=sparql.QueryTimeout, message=str(error) + again)
    except sparql.QueryTooLarge as error:
        return _Outcome(None, refused=sparql.QueryTooLarge, message=str(error))
    except sparql.QueryCancelled as error:
        raise budget.Cancelled(str(error)) from None
    digest = hashlib.sha256(answer.media_type.encode() + b"\n" + answer.body).hexdigest()[:32]
    return _Outcome(answer, etag=f'"{digest}"')


def _weight(outcome: _Outcome) -> int:
    return len(outcome.answer.body) if outcome.answer is not None else len(outcome.message)


#: Each query's answer for the store's current generation, shared by identical queries (single flight).
ANSWERS: View[_Outcome] = View(
    "SPARQL answers", build=_run, keyed=True, bound=KEPT_ANSWERS, weigh=_weight, max_weight=KEPT_BYTES
)


def _ask(store: Any, question: _Question) -> _Outcome:
    """The outcome of *question* on the store's current generation (in a worker thread: may wait)."""
    return snapshot(store).get(ANSWERS, question)


class Example(BaseModel):
    """A shipped query from ``graph/store/queries``."""

    name: str
    title: str
    description: str
    query: str


class Examples(BaseModel):
    """The shipped example queries."""

    items: list[Example]


def get_service(request: Request, store: StoreDep) -> SparqlService | SparqlProxy:
    """Return the app's query service, created on the first query (workers start lazily too).

    On a remote store the engine answers (`SparqlProxy`): no worker copies the remote data.
    """
    return _service(request.app, store)


def _service(app: FastAPI, store: Any) -> SparqlService | SparqlProxy:
    state = app.state
    with _lock:
        if getattr(state, "sparql", None) is None:
            settings = state.settings
            limits = {"timeout": settings.sparql_timeout, "max_rows": settings.sparql_max_rows}
            if isinstance(store, SparqlStore):
                state.sparql = SparqlProxy(
                    store.query_url,
                    engine=store.engine,
                    graphs=lambda: snapshot(store)[GRAPHS],
                    hidden=store.hides,
                    **limits,
                )
            else:
                state.sparql = SparqlService(store, **limits)
        service: SparqlService | SparqlProxy = state.sparql
    return service


def start(app: FastAPI) -> None:
    """Start *app*'s query workers and load the data into them in the background (a warm start-up)."""
    service = _service(app, app.state.store)
    if isinstance(service, SparqlService):  # a remote engine has nothing to load
        service.start()


ServiceDep = Annotated[SparqlService | SparqlProxy, Depends(get_service)]


def _relay(proxy: SparqlProxy, question: _Question) -> sparql.Answer | Streamed:
    """The engine's answer to *question* (remote mode, in a worker thread), stopped if the client leaves.

    Not shared through `ANSWERS`: an answer too long to hold is a stream, which only one client can read.
    """
    asking = budget.current()
    return proxy.query(
        question.query,
        result_type=question.result_type,
        graph_type=question.graph_type,
        base_iri=question.base_iri,
        default_graphs=question.default_graphs,
        named_graphs=question.named_graphs,
        cancelled=lambda: asking is not None and asking.cancelled,
    )


def shutdown(app: FastAPI) -> None:
    """Stop the query workers of *app*, if any started; the lifespan calls this on exit."""
    service = getattr(app.state, "sparql", None)
    if service is not None:
        service.close()
        app.state.sparql = None


_READ_ONLY = "This endpoint is read-only: SPARQL Update is refused."
_ALLOW = "GET, HEAD, POST, OPTIONS"


async def _answer(
    service: SparqlService | SparqlProxy, request: Request, params: dict[str, list[str]], *, cacheable: bool = False
) -> Response:
    if "update" in params:
        raise HTTPException(403, _READ_ONLY)
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise HTTPException(400, "Give exactly one SPARQL query in the 'query' parameter.")
    accept = request.headers.get("accept")
    result_type = acceptable(accept, sparql.RESULT_TYPES, sparql.MEDIA_ALIASES)
    graph_type = acceptable(accept, sparql.GRAPH_TYPES, sparql.MEDIA_ALIASES)
    vary = {"Vary": "Accept"}
    if result_type is None and graph_type is None:
        offered = ", ".join((*sparql.RESULT_TYPES, *sparql.GRAPH_TYPES))
        raise HTTPException(406, f"The Accept header takes none of the formats this endpoint answers: {offered}.", vary)
    question = _Question(
        service,
        queries[0],
        result_type,
        graph_type,
        str(request.url.replace(query="", fragment="")),
        tuple(params.get("default-graph-uri", [])),
        tuple(params.get("named-graph-uri", [])),
    )
    try:
        if isinstance(service, SparqlProxy):
            relayed = await run_in_threadpool(_relay, service, question)
            if isinstance(relayed, Streamed):  # too long to hold, so no ETag: the engine's answer as it comes
                return StreamingResponse(relayed.chunks, media_type=relayed.media_type, headers=vary)
            digest = hashlib.sha256(relayed.media_type.encode() + b"\n" + relayed.body).hexdigest()[:32]
            outcome = _Outcome(relayed, etag=f'"{digest}"')
        else:
            outcome = await run_in_threadpool(_ask, request.app.state.store, question)
    except sparql.QueryError as error:
        headers = dict(vary)
        if isinstance(error, sparql.QueryBusy):
            headers["Retry-After"] = str(error.retry_after)
        status = next(_STATUS[kind] for kind in type(error).__mro__ if kind in _STATUS)
        raise HTTPException(status, str(error), headers) from error
    if outcome.answer is None:
        assert outcome.refused is not None
        raise HTTPException(_STATUS[outcome.refused], outcome.message, vary)
    answer = outcome.answer
    if not cacheable:
        return Response(answer.body, media_type=answer.media_type, headers=vary)
    # The store changes with every write, so a cache must ask again each time (no-cache);
    # the ETag lets it do so without the body coming back when the answer is the same.
    headers = {**vary, "ETag": outcome.etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=answer.media_type, headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",")]
    return "*" in tags or etag in tags


def _parse(text: str) -> dict[str, list[str]]:
    """Parse a query string or form body, refusing percent-escapes that are not UTF-8 (400)."""
    try:
        return parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise HTTPException(400, f"The parameters are not UTF-8 ({error.reason} in a percent-escape).") from None


@router.get(
    "",
    summary="Run a SPARQL query (GET)",
    description=_DESCRIPTION,
    response_class=Response,
    responses={**_ANSWERS, 304: {"description": "Not modified: If-None-Match names the answer's current ETag."}},
)
async def sparql_get(
    request: Request,
    service: ServiceDep,
    query: Annotated[
        str | None, Query(description="The SPARQL query.", examples=["SELECT ?s WHERE { ?s a ?type } LIMIT 5"])
    ] = None,
    default_graph_uri: Annotated[
        list[str] | None, Query(alias="default-graph-uri", description="A graph of the default graph (repeatable).")
    ] = None,
    named_graph_uri: Annotated[
        list[str] | None, Query(alias="named-graph-uri", description="A graph GRAPH may name (repeatable).")
    ] = None,
) -> Response:
    """Answer a query given in the query string; without any parameter, describe the service."""
    if not request.url.query:
        return await _describe(request)
    return await _answer(service, request, _parse(request.url.query), cacheable=True)


@router.head("", include_in_schema=False)
async def sparql_head(request: Request, service: ServiceDep) -> Response:
    """Answer as GET does, headers only (the server sends no body for HEAD)."""
    if not request.url.query:
        return await _describe(request)
    return await _answer(service, request, _parse(request.url.query), cacheable=True)


async def _describe(request: Request) -> Response:
    """The SPARQL 1.1 Service Description, which the endpoint answers to a GET with no parameters.

    Only a request with no query string at all: ``?query=`` left empty or a lone ``default-graph-uri``
    is still a mistake (400), as the protocol tests expect. A browser is sent to the query page.
    """
    offered = (*GRAPH_MEDIA, "text/html")
    media = acceptable(request.headers.get("accept"), offered, {"application/json": ("application/ld+json",)})
    if media is None:
        raise HTTPException(406, f"The Accept header takes none of: {', '.join(offered)}.", {"Vary": "Accept"})
    if media == "text/html":
        return RedirectResponse("/planning/sparql", status_code=303, headers={"Vary": "Accept"})
    settings, store = request.app.state.settings, request.app.state.store
    limits = Limits(settings.sparql_timeout, settings.sparql_max_rows, MAX_BODY_BYTES)
    graph = await run_in_threadpool(service_description, store, str(request.url.replace(query="")), limits)
    return Response(serialise(graph, RDF_TYPES[media]), media_type=media, headers={"Vary": "Accept"})


@router.options("", include_in_schema=False)
def sparql_options() -> Response:
    """Say which methods the endpoint takes."""
    return Response(status_code=204, headers={"Allow": _ALLOW})


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
    params = _parse(request.url.query)
    media_type, *options = (part.strip() for part in request.headers.get("content-type", "").split(";"))
    media_type = media_type.lower()
    if media_type == "application/sparql-update":
        raise HTTPException(403, _READ_ONLY)
    if media_type not in ("application/x-www-form-urlencoded", "application/sparql-query"):
        raise HTTPException(415, "Send the query as application/x-www-form-urlencoded or application/sparql-query.")
    charset = next((v.strip('"') for k, _, v in (o.partition("=") for o in options) if k.lower() == "charset"), "")
    if charset.lower() not in ("", "utf-8", "utf8"):
        # The protocol takes queries in UTF-8 only; decoding by another charset would
        # read a different query from the same bytes than any other endpoint would.
        raise HTTPException(415, f"The SPARQL Protocol takes the query in UTF-8; this request says charset={charset}.")
    raw = await _body(request)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPException(400, f"The request body is not UTF-8 (byte {error.start}).") from None
    if media_type == "application/x-www-form-urlencoded":
        for key, values in _parse(body).items():
            params.setdefault(key, []).extend(values)
    else:
        params["query"] = [body]
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
    """Return the queries shipped in ``graph/store/queries``, each runnable as-is."""
    return Examples(items=[Example(**vars(example)) for example in query_examples()])
