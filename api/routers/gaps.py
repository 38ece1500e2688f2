"""Gaps: disease areas and documents flagged by the SHACL gap rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import LandscapeDep, StoreDep
from api.paging import Offset, limit_param, next_link
from api.params import CountLevel, CountPurpose
from api.schemas import GapItem, GapList
from graph.analysis import views
from graph.analysis.planning import FILTERED_GAPS, GAPS
from graph.model.landscape import Landscape
from graph.store.core import Store
from graph.validation.gaps import rules

router = APIRouter(prefix="/gaps", tags=["gaps"])
__all__ = ["gap_items", "router"]
RULES = "|".join([*(rule.name for rule in rules()), views.FILTERED_RULE])
Text = Annotated[str | None, Query(max_length=200)]


@router.get("")
def read_gaps(
    store: StoreDep,
    land: LandscapeDep,
    request: Request,
    rule: Annotated[str | None, Query(pattern=f"^({RULES})$", description="only this rule")] = None,
    population: Text = None,
    owner: Text = None,
    topic: Text = None,
    status: Text = None,
    valid_on: Annotated[dt.date | None, Query()] = None,
    level: CountLevel = None,
    purpose: CountPurpose = None,
    limit: Annotated[int, limit_param(100, 5000)] = 100,
    offset: Offset = 0,
) -> GapList:
    """Gaps with their rule, severity, Danish and English message and the documents behind them, a page at a time.

    With the planning matrix's filters, the list follows them (:func:`graph.analysis.views.gaps_under`).
    """
    filters = views.Filters(
        owner=owner, status=status, population=population, topic=topic, valid_on=valid_on, level=level, purpose=purpose
    )
    found = gap_items(store, land, rule, filters)
    items = [GapItem(**item) for item in found[offset : offset + limit]]
    return GapList(items=items, total=len(found), next=next_link(request, offset, limit, len(found)))


def gap_items(
    store: Store, land: Landscape, rule: str | None = None, filters: views.Filters | None = None
) -> list[dict[str, Any]]:
    """The gaps of :func:`graph.analysis.views.gaps`, made once per store generation and filter set (do not change it).

    The list is read a page at a time, by the planning page and by the exports, so it is kept in the read model.

    Raises:
        FilterError: naming an unknown filter value.
    """
    filters = filters or views.Filters()
    every: list[dict[str, Any]] = (
        land.snapshot[GAPS] if filters == views.Filters() else land.snapshot.get(FILTERED_GAPS, filters)
    )
    return every if rule is None else [item for item in every if item["rule"] == rule]
