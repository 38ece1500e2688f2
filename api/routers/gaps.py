"""Gaps: disease areas and documents flagged by the SHACL gap rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import LandscapeDep, StoreDep
from api.schemas import GapItem, GapList
from graph.analysis import views
from graph.validation.gaps import rules

router = APIRouter(prefix="/gaps", tags=["gaps"])
RULES = "|".join(rule.name for rule in rules())


@router.get("")
def read_gaps(
    store: StoreDep,
    land: LandscapeDep,
    rule: Annotated[str | None, Query(pattern=f"^({RULES})$", description="only this rule")] = None,
) -> GapList:
    """Every gap with its rule, severity, Danish and English message and the documents behind it."""
    items = [GapItem(**item) for item in views.gaps(store, land, rule)]
    return GapList(items=items, total=len(items))
