"""The dataset's VoID/DCAT description at /.well-known/void (RFC 5785, as the VoID guide asks)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import StoreDep
from api.negotiation import RDF_TYPES
from api.routers.resolver import Format, negotiate, rdf_response
from api.schemas import refusals
from graph.analysis.dataset_description import void_description
from graph.analysis.ontology_doc import DOCUMENTATION

router = APIRouter(tags=["linked data"])


@router.get(
    "/.well-known/void",
    response_class=Response,
    responses={200: {"content": {media: {} for media in RDF_TYPES}}, **refusals(406)},
    summary="Describe the dataset (VoID, DCAT)",
)
async def read_void(request: Request, store: StoreDep, format: Format = None) -> Response:
    """Size (as /health counts it), vocabularies, SPARQL endpoint, dumps and last change of the dataset."""
    media = negotiate(request, None if format == "html" else format, tuple(RDF_TYPES))
    graph = await run_in_threadpool(void_description, store, str(request.base_url), DOCUMENTATION.license)
    return rdf_response(graph, media)
