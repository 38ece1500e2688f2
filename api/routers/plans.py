"""Register planned work, checked for overlap as it is registered.

The check's result is stored with the plan, and the owners of the documents it may overlap see the plan in
their change feed (``overlapping=OWNER``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import StoreDep
from api.routers.writes import RecordId, _refused
from api.schemas import refusals
from graph.analysis import news, overlap
from graph.analysis.verdicts import verdicts
from graph.model.landscape import landscape
from loaders import LoadError, edits

router = APIRouter(tags=["plans"])
Editor = Annotated[Principal, Depends(require("edit"))]
#: Relations an owner is told about: the ones that mean possible double work or replacement.
NEWS = news.NEWS_RELATIONS


class PlanIn(BaseModel):
    """A planned document as its owner announces it: who, what, for whom, and when."""

    model_config = ConfigDict(extra="forbid")

    id: RecordId
    title: str = Field(min_length=3, max_length=500)
    kind: str = Field(default="DMPGGuideline", max_length=100)
    owners: list[str] = Field(min_length=1, max_length=20)
    disease_areas: list[str] = Field(default=[], max_length=50)
    populations: list[str] = Field(default=[], max_length=10)
    topics: list[str] = Field(default=[], max_length=20)
    expected_consultation: str | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    expected_publication: str | None = Field(default=None, description="YYYY, YYYY-MM or YYYY-MM-DD")
    sources: list[str] = Field(min_length=1, max_length=20, description="where the plan is announced (a public URL)")

    def record(self) -> dict[str, Any]:
        """Return the plan as a document record with status planned."""
        record: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "owners": self.owners,
            "disease_areas": self.disease_areas,
            "populations": self.populations,
            "topics": self.topics,
            "status": "planned",
            "sources": self.sources,
        }
        if self.expected_consultation:
            record["consultation"] = self.expected_consultation
        if self.expected_publication:
            record["expected_publication"] = self.expected_publication
        return record


def register(store: StoreDep, plan: PlanIn, author: str) -> tuple[int, dict[str, Any]]:
    """Check the plan against the landscape, store it with the check's result, and say whom it concerns."""
    land = landscape(store)
    draft = overlap.Draft(
        title=plan.title,
        kind=plan.kind,
        owner=plan.owners[0],
        disease_areas=plan.disease_areas,
        populations=plan.populations,
        topics=plan.topics,
    )
    found = overlap.check_draft(land, draft, limit=10)
    checked = [(c.b, c.relation or "", c.score) for c in found]
    news.watch_gaps(store)
    try:
        result = edits.save_record(store, "document", plan.record(), author, creating=True, checked=checked)
    except (LoadError, edits.EditError) as error:
        response = _refused(error)
        return response.status_code, {"refused": response}
    judged = verdicts(store)
    # A pair a coordinator has judged is not news: its owners were told when it was judged.
    told = sorted(
        {o for c in found if c.relation in NEWS and judged.of(plan.id, c.b) is None for o in land.documents[c.b].owners}
        - set(plan.owners),
        key=lambda o: land.owner_name(o).casefold(),
    )
    return 201, {
        "id": plan.id,
        "iri": result.iri,
        "etag": result.etag,
        "candidates": [
            {
                "document": c.b,
                "title": land.documents[c.b].title,
                "owners": [land.owner_name(o) for o in land.documents[c.b].owners],
                "relation": c.relation,
                "engine_relation": c.relation,
                "verdict": judged.json_of(plan.id, c.b),
                "score": c.score,
            }
            for c in found
        ],
        "told": [{"id": o, "name": land.owner_name(o)} for o in told],
    }


@router.post("/plans", status_code=201, responses=refusals(400, 401, 403, 409, 422))
def register_plan(plan: PlanIn, store: StoreDep, who: Editor) -> JSONResponse:
    """Register planned work: the overlap check's candidates are stored with the plan and returned.

    ``told`` lists the owners of the documents it may duplicate, overlap or replace: they see the plan in
    ``/changes/feed.atom?overlapping=OWNER``.
    """
    status, body = register(store, plan, who.name)
    if "refused" in body:
        refused: JSONResponse = body["refused"]
        return refused
    return JSONResponse(status_code=status, content=body, headers={"Location": f"/documents/{plan.id}"})
