"""Gaps: disease areas and documents flagged by the SHACL gap rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import LandscapeDep, StoreDep
from api.paging import Offset, limit_param, next_link
from api.schemas import GapItem, GapList
from graph.analysis import views
from graph.validation.gaps import rules

router = APIRouter(prefix="/gaps", tags=["gaps"])
RULES = "|".join(rule.name for rule in rules())


@router.get("")
def read_gaps(
    store: StoreDep,
    land: LandscapeDep,
    request: Request,
    rule: Annotated[str | None, Query(pattern=f"^({RULES})$", description="only this rule")] = None,
    limit: Annotated[int, limit_param(1000, 5000)] = 1000,
    offset: Offset = 0,
) -> GapList:
    """Gaps with their rule, severity, Danish and English message and the documents behind them, a page at a time."""
    found = views.gaps(store, land, rule)
    items = [GapItem(**item) for item in found[offset : offset + limit]]
    return GapList(items=items, total=len(found), next=next_link(request, offset, limit, len(found)))
