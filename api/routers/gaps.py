"""Gaps: disease areas and documents flagged by the SHACL gap rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import LandscapeDep, StoreDep
from api.paging import Offset, limit_param, next_link
from api.schemas import GapItem, GapList
from graph.analysis.planning import GAPS
from graph.model.landscape import Landscape
from graph.store.core import Store
from graph.validation.gaps import rules

router = APIRouter(prefix="/gaps", tags=["gaps"])
__all__ = ["gap_items", "router"]
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
    found = gap_items(store, land, rule)
    items = [GapItem(**item) for item in found[offset : offset + limit]]
    return GapList(items=items, total=len(found), next=next_link(request, offset, limit, len(found)))


def gap_items(store: Store, land: Landscape, rule: str | None = None) -> list[dict[str, Any]]:
    """The gaps of :func:`graph.analysis.views.gaps`, made once per store generation (do not change the list).

    The list is read a page at a time, by the planning page and by the exports: made once, no page
    runs the gap rules again, which take seconds on a large landscape.
    """
    every: list[dict[str, Any]] = land.snapshot[GAPS]  # the read model's one gap list per store generation
    return every if rule is None else [item for item in every if item["rule"] == rule]
