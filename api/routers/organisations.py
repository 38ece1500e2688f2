"""Organisations: every owner, and one with its documents, areas and merger history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from api.deps import LandscapeDep, StoreDep
from api.schemas import OrganisationDetail, OrganisationList, OrganisationOut, refusals
from graph.analysis import views

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("")
def list_organisations(land: LandscapeDep) -> OrganisationList:
    """Every organisation with its parent and number of documents."""
    return OrganisationList(items=[OrganisationOut(**item) for item in views.organisations(land)])


@router.get("/{org_id}", responses=refusals(404))
def read_organisation(
    org_id: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")],
    store: StoreDep,
    land: LandscapeDep,
) -> OrganisationDetail:
    """One organisation with its documents, disease areas and history of mergers."""
    detail = views.organisation_detail(store, land, org_id)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"no organisation with id {org_id!r}")
    return OrganisationDetail(**detail)
