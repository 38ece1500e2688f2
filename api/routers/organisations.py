"""Organisations: every owner, and one with its documents, areas and merger history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from api.deps import LandscapeDep, StoreDep
from api.paging import Offset, limit_param, next_link
from api.schemas import OrganisationDetail, OrganisationList, OrganisationOut, refusals
from graph.analysis import views
from loaders import edits

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("")
def list_organisations(
    land: LandscapeDep,
    request: Request,
    limit: Annotated[int, limit_param(1000, 1000)] = 1000,
    offset: Offset = 0,
) -> OrganisationList:
    """Organisations with their parent and number of documents, a page at a time."""
    found = views.organisations(land)
    items = [OrganisationOut(**item) for item in found[offset : offset + limit]]
    return OrganisationList(items=items, total=len(found), next=next_link(request, offset, limit, len(found)))


@router.get("/{org_id}", responses=refusals(404))
def read_organisation(
    org_id: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")],
    store: StoreDep,
    land: LandscapeDep,
    request: Request,
    response: Response,
    limit: Annotated[int, limit_param(1000, 1000)] = 1000,
    offset: Offset = 0,
) -> OrganisationDetail:
    """One organisation with a page of its documents (limit, offset), its disease areas and history of mergers.

    Its ETag is the one a ``PUT /organisations/{id}`` sends in If-Match.
    """
    detail = views.organisation_detail(store, land, org_id)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"no organisation with id {org_id!r}")
    etag = edits.current_etag(store, "organisation", org_id)
    if etag:
        response.headers["ETag"] = etag
    documents = detail.pop("document_list")
    return OrganisationDetail(
        **detail,
        document_list=documents[offset : offset + limit],
        document_total=len(documents),
        document_next=next_link(request, offset, limit, len(documents)),
    )
