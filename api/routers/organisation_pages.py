"""Organisation pages: every owner, and one owner's documents, planned work, overlaps and history.

The same analysis as the JSON routes (``views.organisation_detail``, ``changes.planned_work``,
``overlap.related``, the change list), so the page and the API cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response

from api.deps import LandscapeDep, StoreDep
from api.routers.planning import templates
from graph.analysis import changes, overlap, planning, views
from graph.model.landscape import Landscape
from graph.store.namespaces import GD

router = APIRouter(tags=["organisation pages"], include_in_schema=False)
OrgId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")]
#: Pairs shown on an owner's page (the overlap page lists them all).
SHOWN_PAIRS = 30


def _type_labels(land: Landscape, types: list[str], lang: str) -> list[str]:
    return [land.vocabulary.label(str(GD[t]), lang) or t for t in types]


def _lang(request: Request) -> str:
    return "en" if (request.query_params.get("lang") or request.cookies.get("lang")) == "en" else "da"


@router.get("/planning/organisations")
def organisations_page(land: LandscapeDep, request: Request) -> Response:
    """Organisationer: every owner with its parent, kind and number of documents and of planned work."""
    lang = _lang(request)
    planned = Counter(o for p in changes.planned_work(land) for o in p["document"].owners)
    rows = [
        {
            **item,
            "types_shown": _type_labels(land, item.get("types") or [], lang),
            "parent_name": land.owner_name(item["parent"]) if item.get("parent") else None,
            "planned": planned.get(item["id"], 0),
        }
        for item in views.organisations(land)
    ]
    rows.sort(key=lambda r: r["name"].casefold())
    return templates.TemplateResponse(request, "organisations.html", {"rows": rows}, media_type="text/html")


def _overlaps(land: Landscape, family: set[str]) -> list[dict[str, Any]]:
    """The owner's documents' likely double work with other owners' documents, best first."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in land.documents.values():
        if not family & set(doc.owners):
            continue
        for c in overlap.related(land, doc.id):
            other = c.b if c.a == doc.id else c.a
            if c.relation not in ("duplicate", "overlap", "supersedes") or other not in land.documents:
                continue
            theirs = land.documents[other]
            if set(theirs.owners) <= family:
                continue
            key = (min(doc.id, other), max(doc.id, other))
            seen.setdefault(
                key,
                {
                    "ours": doc,
                    "theirs": theirs,
                    "relation": c.relation,
                    "score": c.score,
                    "owners": [land.owner_name(o) for o in theirs.owners],
                },
            )
    return sorted(seen.values(), key=lambda p: -p["score"])


@router.get("/planning/organisations/{org_id}")
def organisation_page(org_id: OrgId, store: StoreDep, land: LandscapeDep, request: Request) -> Response:
    """One owner: its documents, planned work, the documents of others it may overlap, and what changed."""
    lang = _lang(request)
    detail = views.organisation_detail(store, land, org_id)
    if detail is None:
        raise HTTPException(404, f"no organisation with id {org_id!r}")
    family = views.owner_family(land, org_id)
    docs = [views.document_json(land, d) for d in land.documents.values() if family & set(d.owners)]
    docs.sort(key=lambda d: d["title"].casefold())
    pairs = _overlaps(land, family)
    history = [
        c for c in changes.changes(land, events={"write", "status"}) if c.kind == "organisation" and c.record == org_id
    ]
    context = {
        "org": detail,
        "types_shown": _type_labels(land, detail.get("types") or [], lang),
        "parent_name": land.owner_name(detail["parent"]) if detail.get("parent") else None,
        "subs": [(o, land.owner_name(o)) for o in detail["sub_organisations"]],
        "history_events": [
            {
                **e,
                "original": [land.owner_name(o) for o in e["original"]],
                "resulting": [land.owner_name(o) for o in e["resulting"]],
            }
            for e in detail["history"]
        ],
        "docs": docs,
        "doc_labels": planning.labels(),
        "work": [p for p in changes.planned_work(land) if family & set(p["document"].owners)],
        "steps": planning.labels()["status"],
        "pairs": pairs[:SHOWN_PAIRS],
        "pair_total": len(pairs),
        "history": history,
    }
    return templates.TemplateResponse(request, "organisation.html", context, media_type="text/html")
