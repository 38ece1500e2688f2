"""Documents: filtered lists, and one document as JSON, RDF or an HTML page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from rdflib import Graph, URIRef
from starlette.concurrency import run_in_threadpool

from api.deps import LandscapeDep, StoreDep
from api.negotiation import RDF_TYPES, preferred
from api.paging import Offset, limit_param, next_link
from api.schemas import DocumentList, DocumentOut, refusals
from graph.analysis import changes, document_page, search, views
from graph.model.landscape import LANDSCAPE, Document, Landscape
from graph.model.snapshot import MISSING, Snapshot, View
from graph.store.core import Store, serialise
from loaders import edits

router = APIRouter(prefix="/documents", tags=["documents"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
DESCRIBE = (Path(__file__).resolve().parents[2] / "graph" / "store" / "queries" / "document_description.rq").read_text(
    encoding="utf-8"
)
DocumentId = Annotated[
    str, PathParam(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$", description="document id, e.g. nkr-bipolar")
]


@router.get("")
def list_documents(
    land: LandscapeDep,
    request: Request,
    disease_area: Annotated[
        str | None,
        Query(
            max_length=20, description="ICD-10 code, range or SKS code (F32, DF32, F30-F39); narrower codes included"
        ),
    ] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[
        str | None, Query(max_length=200, description="organisation id or name; sub-organisations included")
    ] = None,
    status: Annotated[str | None, Query(max_length=50)] = None,
    population: Annotated[str | None, Query(max_length=50)] = None,
    topic: Annotated[str | None, Query(max_length=50)] = None,
    valid_on: Annotated[dt.date | None, Query(description="only documents in force on this date")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="words of the title, notes, owners or the document's concepts and their synonyms; "
            "each word must match (Danish inflections and compounds match)",
        ),
    ] = None,
    validity: Annotated[str | None, Query(max_length=100, description="in-force, historical, unknown")] = None,
    level: Annotated[str | None, Query(max_length=100, description="national, regional, local")] = None,
    purpose: Annotated[str | None, Query(max_length=100, description="clinical, organisational, background")] = None,
    year: Annotated[str | None, Query(pattern=r"^\d{4}$", description="year last issued or revised")] = None,
    sort: Annotated[str, Query(pattern=f"^({'|'.join(search.SORTS)})$")] = "title",
    limit: Annotated[int, limit_param(50, 1000)] = 50,
    offset: Offset = 0,
) -> DocumentList:
    """Documents matching every filter (comma-separated values: any of them), sorted by title or as asked."""
    filters = views.Filters(
        disease_area,
        kind,
        owner,
        status,
        population,
        topic,
        valid_on,
        q,
        validity=validity,
        doc_level=level,
        doc_purpose=purpose,
        year=year,
    )
    docs = search.sort(land, views.filter_documents(land, filters), sort)
    page = [document_out(land, d.id) for d in docs[offset : offset + limit]]
    return DocumentList(items=page, total=len(docs), next=next_link(request, offset, limit, len(docs)))


@router.get(
    "/{doc_id}",
    response_model=DocumentOut,
    responses={
        200: {"content": {"text/turtle": {}, "application/ld+json": {}, "application/n-triples": {}, "text/html": {}}},
        **refusals(404),
    },
)
async def read_document(
    doc_id: DocumentId,
    request: Request,
    store: StoreDep,
    land: LandscapeDep,
    format: Annotated[
        str | None, Query(pattern="^(json|html|ttl|jsonld|nt)$", description="overrides the Accept header, for links")
    ] = None,
) -> Response:
    """One document: JSON by default, its RDF for Turtle/JSON-LD/N-Triples, a page for text/html."""
    doc = land.documents.get(doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    by_format = {"json": "application/json", "html": "text/html", **{v: k for k, v in RDF_TYPES.items()}}
    media = by_format[format] if format else preferred(request, [*RDF_TYPES, "text/html", "application/json"])
    if media == "application/json":
        # A body and ETag already made are sent from the event loop: no thread, no store.
        body, etag = land.snapshot.peek(DOCUMENT_BODY, doc.id), land.snapshot.peek(DOCUMENT_ETAG, doc.id)
        if body is not MISSING and etag is not MISSING:
            return _json(body, etag)
        if store.in_process:
            # Made here too (a fraction of a millisecond, the ETag one in-process query): sent to a
            # thread, a first read would queue for the GIL behind the loop, many times longer under load.
            return _document_json(store, land, doc)
    return await run_in_threadpool(read_document_as, request, store, land, doc, media)


def read_document_as(request: Request, store: Store, land: Landscape, doc: Document, media: str) -> Response:
    """Return *doc* as *media*: its RDF, its page, or its JSON (the document's IRI path answers with this too)."""
    if media in RDF_TYPES:
        found = store.construct(DESCRIBE, {"doc": URIRef(doc.iri)})
        # N-Triples and JSON-LD are written in the graph's insertion order, which is the engine's
        # answer order; sorted, every store (embedded, Oxigraph server, Virtuoso) gives the same bytes.
        graph = Graph()
        for triple in sorted(found):
            graph.add(triple)
        return Response(serialise(graph, RDF_TYPES[media]), media_type=media)
    if media == "text/html":
        data = views.document_json(land, doc)
        context = {"doc": data, **document_page.document_context(store, land, doc.id)}
        context["history"] = [
            c for c in changes.changes(land, events={"write", "status"}) if c.kind == "document" and c.record == doc.id
        ]
        return templates.TemplateResponse(request, "document.html", context, media_type="text/html")
    return _document_json(store, land, doc)


def _document_json(store: Store, land: Landscape, doc: Document) -> Response:
    # The body and its ETag are made once per landscape (which a write replaces), both from it:
    # validating and encoding the model on every read was most of a read's cost.
    return _json(land.snapshot.get(DOCUMENT_BODY, doc.id), land.snapshot.get(DOCUMENT_ETAG, doc.id))


def document_out(land: Landscape, doc_id: str) -> DocumentOut:
    """A document as the API shows it, made once per landscape (lists, reads and draft checks share it)."""
    return land.snapshot.get(DOCUMENT_OUT, doc_id)


def _out(snap: Snapshot, doc_id: str) -> DocumentOut:
    land = snap[LANDSCAPE]
    return DocumentOut(**views.document_json(land, land.documents[doc_id]))


# One value per document of the landscape at most: unbounded.
DOCUMENT_OUT: View[DocumentOut] = View("document", build=_out, keyed=True)
DOCUMENT_BODY: View[str] = View(
    "document.json", build=lambda snap, doc_id: snap.get(DOCUMENT_OUT, doc_id).model_dump_json(), keyed=True
)
DOCUMENT_ETAG: View[str | None] = View(
    "document etag", build=lambda snap, doc_id: edits.current_etag(snap.store, "document", doc_id), keyed=True
)


def _json(body: str, etag: str | None) -> Response:
    headers = {"ETag": etag} if etag else {}  # send it back in If-Match to PUT or DELETE this version
    return Response(body, media_type="application/json", headers=headers)
