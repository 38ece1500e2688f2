"""The documents page: find any document by words, narrow by facets, read in an order, export what is found."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import LandscapeDep
from api.routers.planning import templates
from graph.analysis import planning, search, views

router = APIRouter(tags=["planning"], include_in_schema=False)
#: Documents on one page; the rest come a page at a time.
PAGE_SIZE = 50
SORT_LABELS = {
    "title": ("titel", "title"),
    "newest": ("nyeste først", "newest first"),
    "oldest": ("ældste først", "oldest first"),
    "kind": ("type", "kind"),
    "owner": ("ejer", "owner"),
}
FACET_LABELS = {
    "kind": ("Type", "Kind"),
    "owner": ("Ejer", "Owner"),
    "status": ("Status", "Status"),
    "validity": ("Gyldighed", "Validity"),
    "level": ("Niveau", "Level"),
    "purpose": ("Formål", "Purpose"),
    "disease_area": ("Sygdomsområde (blok)", "Disease area (block)"),
    "population": ("Målgruppe", "Population"),
    "year": ("År (senest udgivet/revideret)", "Year (last issued/revised)"),
}
VALUE_LABELS = {
    "validity": {
        "in-force": ("gældende ifølge kilden", "in force per source"),
        "historical": ("historisk", "historical"),
        "unknown": ("ukendt", "unknown"),
    },
    **planning.COUNTING_LABELS,  # level and purpose, named as the planning page names them
}


@router.get("/planning/documents")
def documents_page(
    request: Request,
    land: LandscapeDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Every document: search words, facets with counts, an order, a page at a time, and the exports."""
    en = request.cookies.get("lang") == "en" or request.query_params.get("lang") == "en"
    error, code = None, 200
    try:
        docs, given = views.find_documents(land, request.query_params)
    except views.FilterError as exc:
        error, code = str(exc), 422
        docs, given = views.find_documents(land, {})
    counts = search.facets(land, docs)
    facets = search.described(land, counts, "en" if en else "da")
    for facet, labelled in VALUE_LABELS.items():
        for option in facets[facet]:
            option["label"] = labelled.get(option["value"], (option["value"],) * 2)[1 if en else 0]
    start = (page - 1) * PAGE_SIZE
    shown = [views.document_json(land, d) for d in docs[start : start + PAGE_SIZE]]

    def link(**changes: Any) -> str:
        query = {**given, **{k: v for k, v in changes.items() if v is not None}}
        return "/planning/documents" + (f"?{urlencode(query)}" if query else "")

    context = {
        "docs": shown,
        "total": len(docs),
        "all": len(land.documents),
        "first": start + 1,
        "last": start + len(shown),
        "previous": link(page=page - 1) if page > 1 else None,
        "next": link(page=page + 1) if start + PAGE_SIZE < len(docs) else None,
        "facets": facets,
        "facet_labels": FACET_LABELS,
        "sorts": SORT_LABELS,
        "given": given,
        "query": urlencode(given),
        "error": error,
        "doc_labels": planning.labels(),
    }
    return templates.TemplateResponse(request, "documents.html", context, status_code=code, media_type="text/html")
