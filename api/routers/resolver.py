"""Linked data: every IRI the graph mints answers at its own path, as a page, Turtle, JSON-LD or N-Triples.

A document's IRI ``<base>document/nkr-bipolar`` answers at ``/document/nkr-bipolar`` itself (200), not
with a 303 to ``/documents/nkr-bipolar``: a client following links (rdflib, a SPARQL browser) gets the
description in one round trip instead of two, and the two paths keep their own defaults without one
redirecting to the other — ``/documents/{id}`` stays the JSON API (JSON when Accept says nothing),
the IRI path is linked data (Turtle when Accept says nothing). The RDF and the page are the same at both.
Vocabulary IRIs (ICD-10, topics, populations, statuses, schemes) are fixed under
``https://w3id.org/retningsgraf/``; the w3id redirect rules in ``w3id/.htaccess`` send them here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from rdflib import Graph
from starlette.concurrency import run_in_threadpool

from api.deps import LandscapeDep, StoreDep
from api.negotiation import RDF_TYPES, acceptable
from api.routers import documents
from api.schemas import refusals
from graph.analysis import views
from graph.analysis.linked_data import INSTANCE_KINDS, VOCABULARY_KINDS, describe, iri_of, resource_page
from graph.model.landscape import Landscape
from graph.store.core import Store, serialise

__all__ = ["LINKED_DATA", "negotiate", "rdf_response", "router"]

router = APIRouter(tags=["linked data"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

#: What an IRI answers, in the order a client that accepts anything gets them: linked data first.
LINKED_DATA = (*RDF_TYPES, "text/html")
BY_FORMAT = {"html": "text/html", **{suffix: media for media, suffix in RDF_TYPES.items()}}
Format = Annotated[
    str | None, Query(pattern="^(html|ttl|jsonld|nt)$", description="overrides the Accept header, for links")
]
_ANSWERS = {200: {"content": {media: {} for media in LINKED_DATA}}, **refusals(404, 406)}
_VARY = {"Vary": "Accept"}
# The document filter that lists what points at a concept of each scheme (the API's own rule).
_FILTER = {"icd10": "disease_area", "topic": "topic", "population": "population", "status": "status"}


def negotiate(request: Request, format: str | None, offered: tuple[str, ...] = LINKED_DATA) -> str:
    """Return the media type to answer with: ``?format=``, else the Accept header's best of *offered* (406 if none)."""
    if format:
        return BY_FORMAT[format]
    media = acceptable(request.headers.get("accept"), offered, {"application/json": ("application/ld+json",)})
    if media is None:
        raise HTTPException(406, f"The Accept header takes none of: {', '.join(offered)}.", _VARY)
    return media


def rdf_response(graph: Graph, media: str) -> Response:
    """Return *graph* serialised as *media* (one of ``RDF_TYPES``), varying by Accept."""
    return Response(serialise(graph, RDF_TYPES[media]), media_type=media, headers=_VARY)


def _resolve(request: Request, store: Store, land: Landscape, kind: str, rest: str, media: str) -> Response:
    iri = iri_of(kind, rest, store.minter.base)
    if iri is None:
        raise HTTPException(404, f"no resource at /{kind}/{rest}")
    if kind == "document" and rest in land.documents:
        # The document page and RDF that /documents/{id} answers, so the two cannot drift apart.
        response = documents.read_document_as(request, store, land, land.documents[rest], media)
        response.headers["Vary"] = "Accept"
        return response
    graph = describe(store, iri)
    if not len(graph):
        raise HTTPException(404, f"nothing is known of <{iri}>")
    if media != "text/html":
        return rdf_response(graph, media)
    # The language rule of base.html: English when ?lang=en or the lang cookie says so.
    english = (request.query_params.get("lang") or request.cookies.get("lang")) == "en"
    page = resource_page(store, iri, graph, request.url.path, "en" if english else "da")
    covering = []
    if kind in _FILTER and "/" not in rest:
        name = page.notation if kind == "icd10" and page.notation else rest
        try:
            covering = views.filter_documents(land, views.Filters(**{_FILTER[kind]: name}))
        except views.FilterError:
            covering = []
    context = {"page": page, "kind": kind, "covering": covering, "filter": _FILTER.get(kind), "filter_value": rest}
    return templates.TemplateResponse(request, "resource.html", context, media_type="text/html", headers=_VARY)


def _route(kind: str) -> None:
    async def resolve(
        rest: str, request: Request, store: StoreDep, land: LandscapeDep, format: Format = None
    ) -> Response:
        media = negotiate(request, format)
        return await run_in_threadpool(_resolve, request, store, land, kind, rest, media)

    resolve.__doc__ = f"The resource ``<base>{kind}/…``: a page for browsers, else its RDF by Accept."
    router.add_api_route(
        f"/{kind}/{{rest:path}}",
        resolve,
        methods=["GET"],
        name=f"resolve_{kind}",
        summary=f"Dereference a {kind} IRI",
        response_class=Response,
        responses=_ANSWERS,
    )


for _kind in (*INSTANCE_KINDS, *VOCABULARY_KINDS):
    _route(_kind)
