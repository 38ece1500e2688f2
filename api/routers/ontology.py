"""The ontology and its shapes: one documentation page, and the Turtle of the whole or of one term.

The page is rendered from the Turtle by our own templates (graph.analysis.ontology_doc), not by a
generator such as pyLODE: it must show which SHACL shapes use each term and Danish and English side by
side, in the site's layout and language switch, which a generic OWL documenter does not do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.routers.resolver import LINKED_DATA, Format, negotiate, rdf_response
from api.schemas import refusals
from graph.analysis.ontology_doc import DOCUMENTATION, KINDS

router = APIRouter(tags=["linked data"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
_ANSWERS = {200: {"content": {media: {} for media in LINKED_DATA}}, **refusals(404, 406)}
# The page's sections, in order: each kind of term, then the shapes.
SECTIONS = tuple(dict.fromkeys([*KINDS.values(), "individual"]))


@router.get("/ontology", response_class=Response, responses=_ANSWERS, summary="The ontology, documented")
def read_ontology(request: Request, format: Format = None) -> Response:
    """Every class, property and shape with its labels, definition, domain and range: a page, or the ontology's RDF."""
    media = negotiate(request, format)
    if media != "text/html":
        return rdf_response(DOCUMENTATION.ontology, media)
    context = {"doc": DOCUMENTATION, "sections": SECTIONS}
    return templates.TemplateResponse(request, "ontology.html", context, headers={"Vary": "Accept"})


@router.get("/ontology/{term}", response_class=Response, responses=_ANSWERS, summary="One term of the ontology")
def read_term(
    term: Annotated[str, PathParam(pattern=r"^[A-Za-z][\w-]{0,119}$")], request: Request, format: Format = None
) -> Response:
    """One term or shape: its RDF, or (for a browser) its place on the ontology page."""
    graph = DOCUMENTATION.term_graph(term)
    if graph is None:
        raise HTTPException(404, f"the ontology has no term {term!r}")
    media = negotiate(request, format)
    if media == "text/html":
        return RedirectResponse(f"/ontology#{term}", status_code=303, headers={"Vary": "Accept"})
    return rdf_response(graph, media)


@router.get("/shapes", response_class=Response, responses=_ANSWERS, summary="The SHACL shapes")
def read_shapes(request: Request, format: Format = None) -> Response:
    """Every shape the validation runs: its RDF, or (for a browser) the shapes on the ontology page."""
    media = negotiate(request, format)
    if media == "text/html":
        return RedirectResponse("/ontology#shapes", status_code=303, headers={"Vary": "Accept"})
    return rdf_response(DOCUMENTATION.shape_graph, media)
