"""Planlagt og i gang: work announced or under way, and a form that registers a plan and shows its overlap check.

The form posts to the page itself with an edit token in a field (a page cannot send an Authorization header
without script); the token is checked as the API's bearer token is, and the plan goes through the same
``register`` as ``POST /plans``, so the stored check, the owners told and the feed are the same.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.auth import ROLES, TokenTable
from api.deps import LandscapeDep, StoreDep
from api.routers.planning import templates
from api.routers.plans import PlanIn, register
from graph.analysis import changes, planning
from graph.model.landscape import Landscape, landscape

router = APIRouter(tags=["planned"], include_in_schema=False)
#: Form fields a browser sends more than once (checkboxes).
_MANY = {"population", "topic"}
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def _slug(title: str, taken: set[str]) -> str:
    """A record id from the title: ``plan-behandling-af-...``, numbered if the id is taken."""
    text = unicodedata.normalize("NFKD", title.casefold().translate(_FOLD)).encode("ascii", "ignore").decode()
    stem = ("plan-" + re.sub(r"[^a-z0-9]+", "-", text).strip("-"))[:100].rstrip("-")
    found, n = stem, 1
    while found in taken:
        n += 1
        found = f"{stem}-{n}"
    return found


def _context(land: Landscape, **extra: Any) -> dict[str, Any]:
    work = changes.planned_work(land)
    context = {
        "work": work,
        "steps": planning.labels()["status"],
        "total": len(work),
        "choices": planning.choices(land),
        "form": {},
        "result": None,
        "problems": [],
    }
    return {**context, **extra}


@router.get("/planning/planned")
def planned_page(land: LandscapeDep, request: Request) -> Response:
    """Planlagt og i gang: work announced or under way, by owner and expected date, with what it may overlap."""
    return templates.TemplateResponse(request, "planned.html", _context(land), media_type="text/html")


#: The form's fields as the page names them (Danish, English), for saying which one is wrong.
FIELDS = {
    "title": ("Titel", "Title"),
    "owners": ("Ejer", "Owner"),
    "sources": ("Kilde", "Source"),
    "expected_consultation": ("Forventet høring", "Expected consultation"),
    "expected_publication": ("Forventet udgivelse", "Expected publication"),
    "disease_areas": ("Sygdomsområder", "Disease areas"),
}
_MISSING = {"missing", "too_short", "string_too_short"}


def _problems(error: ValidationError) -> list[dict[str, str]]:
    found = []
    for e in error.errors():
        da, en = FIELDS.get(str(e["loc"][0]), (str(e["loc"][0]), str(e["loc"][0])))
        if e["type"] in _MISSING:
            found.append({"da": f"{da}: skal udfyldes", "en": f"{en}: required"})
        else:  # pydantic's own words, marked as English on the Danish page
            found.append({"da": f"{da}: ", "en": f"{en}: ", "detail": e["msg"]})
    return found


_BAD_TOKEN = {"da": "Nøglen er ukendt eller må ikke registrere.", "en": "The token is unknown or may not register."}


def _plan(form: dict[str, Any], taken: set[str]) -> PlanIn:
    """The plan the form describes (raises pydantic's ValidationError naming a missing or wrong field)."""
    areas = [a.strip() for a in str(form.get("disease_areas", "")).replace(";", ",").split(",") if a.strip()]
    return PlanIn(
        id=_slug(str(form.get("title", "")), taken),
        title=str(form.get("title", "")),
        kind=str(form.get("kind") or "DMPGGuideline"),
        owners=[str(form["owner"])] if form.get("owner") else [],
        disease_areas=areas,
        populations=list(form.get("population", [])),
        topics=list(form.get("topic", [])),
        expected_consultation=str(form.get("expected_consultation") or "") or None,
        expected_publication=str(form.get("expected_publication") or "") or None,
        sources=[str(form["source"])] if form.get("source") else [],
    )


def _refusal(response: Any) -> list[dict[str, str]]:
    detail = json.loads(response.body).get("detail")
    said = [d["msg"] for d in detail] if isinstance(detail, list) else [str(detail)]
    return [{"da": "Planen blev ikke gemt: ", "en": "The plan was not stored: ", "detail": t} for t in said]


@router.post("/planning/planned")
async def register_from_form(store: StoreDep, request: Request) -> Response:
    """Register a plan from the page's form; the page answers with the overlap check and the plan in the list."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form: dict[str, Any] = {k: (v if k in _MANY else v[0].strip()) for k, v in fields.items()}
    token = str(form.pop("token", ""))  # never written back into the page
    table: TokenTable = request.app.state.tokens
    who = table.lookup(token) if token else None
    land = landscape(store)
    result: dict[str, Any] | None = None
    if who is None or ROLES.index(who.role) < ROLES.index("edit"):
        problems, status = [_BAD_TOKEN], 401 if who is None else 403
    else:
        try:
            plan = _plan(form, set(land.documents))
        except ValidationError as error:
            problems, status = _problems(error), 422
        else:
            status, body = await run_in_threadpool(register, store, plan, who.name)
            problems = _refusal(body["refused"]) if "refused" in body else []
            if not problems:
                result, form = {**body, "title": plan.title}, {}
                land = landscape(store)
    context = _context(land, form=form, result=result, problems=problems)
    return templates.TemplateResponse(request, "planned.html", context, status_code=status, media_type="text/html")
