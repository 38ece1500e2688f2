"""Coordinators' verdicts on pairs of documents: record (edit token), list, withdraw.

A verdict is shown beside the overlap engine's call wherever a pair is shown (``/overlaps``, the draft
check, a document's related documents, the overlap page and exports); see ``graph.analysis.verdicts``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import StoreDep
from api.paging import Offset, limit_param, next_link
from api.schemas import VerdictOut, refusals
from graph.analysis import verdicts as judged
from graph.analysis.overlap import compare
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store

router = APIRouter(prefix="/overlaps/verdicts", tags=["verdicts"])
Editor = Annotated[Principal, Depends(require("edit"))]
DocId = Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$", description="a document id")]
Kind = Literal["confirmed-duplicate", "not-duplicate", "coordinated"]


class VerdictIn(BaseModel):
    """A verdict to record on the pair *a*, *b* (either order); one already on the pair is revised."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "a": "dmpg-dep-esketamin",
                    "b": "irf-antidepressiva-2019",
                    "kind": "not-duplicate",
                    "note": "Esketamin i hospitalspsykiatrien og førstevalg i almen praksis er to spørgsmål.",
                }
            ]
        },
    )
    a: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")
    b: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")
    kind: Kind
    note: str | None = Field(default=None, max_length=judged.NOTE_LIMIT)
    link: str | None = Field(default=None, max_length=judged.LINK_LIMIT, description="http(s) link to the agreement")


class VerdictItem(BaseModel):
    """A verdict on a pair, the engine's relation for the pair now, and what it revises."""

    id: str = Field(description="the verdict's IRI")
    a: str
    b: str
    engine_relation: str = Field(description="the overlap engine's call for the pair now ('' for none)")
    verdict: VerdictOut | None = Field(description="null for a withdrawal (in history=true lists)")
    revises: str | None = Field(description="the IRI of the verdict on the same pair it replaced")


class VerdictList(BaseModel):
    """A page of verdicts, newest first."""

    items: list[VerdictItem]
    total: int
    next: str | None = Field(default=None, description="path of the next page; null on the last page")


def engine_relation(land: Landscape, a: str, b: str) -> str:
    """Return the overlap engine's relation for the pair now, or '' (unrelated, or a document gone)."""
    if a not in land.documents or b not in land.documents:
        return ""
    return compare(land, land.documents[a], land.documents[b], explain=False).relation or ""


def _item(land: Landscape, verdict: judged.Verdict) -> VerdictItem:
    shown = verdict.json() if verdict.kind in judged.KINDS else None
    return VerdictItem(
        id=verdict.iri,
        a=verdict.a,
        b=verdict.b,
        engine_relation=engine_relation(land, verdict.a, verdict.b),
        verdict=VerdictOut(**shown) if shown else None,
        revises=verdict.revises,
    )


def record_verdict(store: Store, body: VerdictIn, author: str) -> tuple[int, VerdictItem]:
    """Record *body* as *author*'s verdict; return 201 for a pair's first verdict, else 200 (a revision).

    Raises:
        judged.VerdictError: bad input (422) or an unknown document (404); nothing is stored.
    """
    land = landscape(store)
    verdict, first = judged.record(
        store,
        body.a,
        body.b,
        body.kind,
        author,
        known=land.documents,
        note=body.note,
        link=body.link,
        engine_relation=engine_relation(land, body.a, body.b),
    )
    return (201 if first else 200), _item(landscape(store), verdict)


@router.put("", response_model=VerdictItem, responses=refusals(400, 401, 403, 404, 409, 422))
def put_verdict(body: VerdictIn, store: StoreDep, who: Editor) -> JSONResponse:
    """Record a verdict on a pair (201); a verdict already on the pair is revised and kept in its history (200)."""
    try:
        status, item = record_verdict(store, body, who.name)
    except judged.VerdictError as error:
        return JSONResponse(status_code=error.status, content={"detail": str(error)})
    return JSONResponse(status_code=status, content=item.model_dump(mode="json"))


@router.get("", response_model=VerdictList)
def list_verdicts(
    store: StoreDep,
    request: Request,
    document: Annotated[str | None, Query(max_length=120, description="only pairs with this document")] = None,
    history: Annotated[bool, Query(description="every verdict ever recorded, withdrawals too")] = False,
    limit: Annotated[int, limit_param(100, 1000)] = 100,
    offset: Offset = 0,
) -> VerdictList:
    """The verdicts that stand, newest first (with history=true every verdict, newest first)."""
    land = landscape(store)
    found = judged.verdicts(store)
    chosen = list(reversed(found.every())) if history else found.newest_first()
    if document:
        chosen = [v for v in chosen if document in (v.a, v.b)]
    return VerdictList(
        items=[_item(land, v) for v in chosen[offset : offset + limit]],
        total=len(chosen),
        next=next_link(request, offset, limit, len(chosen)),
    )


@router.delete("", status_code=204, responses=refusals(401, 403, 404, 422))
def delete_verdict(a: DocId, b: DocId, store: StoreDep, who: Editor) -> Response:
    """Withdraw the verdict on a pair: the engine's call stands alone again; the verdict stays in the history."""
    try:
        judged.withdraw(store, a, b, who.name)
    except judged.VerdictError as error:
        return JSONResponse(status_code=error.status, content={"detail": str(error)})
    return Response(status_code=204)


def beside(found: judged.Verdicts, a: str, b: str) -> dict[str, Any] | None:
    """Return the verdict on the pair as the answers show it beside the engine's relation, or None."""
    return found.json_of(a, b)
