"""The planning pages: matrix and gaps, cell lists, overlaps between owners, draft check, SPARQL.

Each handler calls the same functions as the JSON routes (``graph.analysis.views``, ``graph.analysis.overlap``,
``graph.analysis.planning``) and renders a template; the pages work without JavaScript, which only adds
expanding rows, the cell dialog and sorting.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.auth import ROLES
from api.deps import LandscapeDep, StoreDep
from api.negotiation import acceptable
from api.paging import Offset, limit_param, next_link
from api.ratelimit import expensive
from api.routers.verdicts import VerdictIn, record_verdict
from graph import budget
from graph.analysis import document_page, overlap, planning, views
from graph.analysis.exports import STATE_LABELS
from graph.analysis.overlap_network import cluster_network, network_svg
from graph.analysis.verdicts import LABELS as VERDICT_LABELS
from graph.analysis.verdicts import VerdictError, verdicts
from graph.model.landscape import Landscape, landscape
from graph.validation.gaps import query_examples, rules

__all__ = ["router", "templates"]

router = APIRouter(tags=["planning"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.filters["apply"] = lambda values, function: [function(v) for v in values]
templates.env.filters["reason"] = document_page.reason_text
templates.env.globals.update(
    state_labels=STATE_LABELS,
    rule_labels=planning.RULE_LABELS,
    states=planning.STATES,
    labels=planning.labels,
)

Text = Annotated[str | None, Query(max_length=200)]
Day = Annotated[str | None, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
#: What counts as coverage: ticked boxes (repeated) or one comma-separated value.
Many = Annotated[list[str] | None, Query(max_length=100)]
FILTERS = ("population", "topic", "owner", "status", "valid_on", "level", "purpose")
RULE_ORDER = planning.RULE_ORDER
#: Gap rows on the page at once: the counts per rule cover all gaps, the rows come a page at a
#: time (the gap list grows with the store, and would otherwise be most of the page).
GAP_ROWS = 300
#: Documents of a matrix cell on a page at once: a broad area holds thousands at scale.
CELL_ROWS = 100


def _filters(
    population: str | None,
    topic: str | None,
    owner: str | None,
    status: str | None,
    valid_on: str | None,
    level: list[str] | None = None,
    purpose: list[str] | None = None,
) -> tuple[views.Filters, dict[str, str]]:
    """Turn form values (empty means all) into Filters and the query string that reproduces them."""
    levels, purposes = (",".join(v.strip() for v in values or [] if v.strip()) for values in (level, purpose))
    given = {
        k: v.strip()
        for k, v in zip(FILTERS, (population, topic, owner, status, valid_on, levels, purposes), strict=True)
        if v and v.strip()
    }
    day = dt.date.fromisoformat(given["valid_on"]) if "valid_on" in given else None
    filters = views.Filters(
        owner=given.get("owner"),
        status=given.get("status"),
        population=given.get("population"),
        topic=given.get("topic"),
        valid_on=day,
        level=given.get("level"),
        purpose=given.get("purpose"),
    )
    return filters, given


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code, media_type="text/html")


@router.get("/")
@router.get("/planning")
def planning_page(
    request: Request,
    land: LandscapeDep,
    population: Text = None,
    topic: Text = None,
    owner: Text = None,
    status: Text = None,
    valid_on: Day = None,
    level: Many = None,
    purpose: Many = None,
    gap_offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The coverage matrix by disease area and kind, with counts of gaps per rule and a page of them."""
    filters, given = _filters(population, topic, owner, status, valid_on, level, purpose)
    error, code = None, 200
    try:
        matrix = planning.matrix(land, filters)
        counting = planning.counting(land, filters)
    except views.FilterError as exc:
        error, code, given, filters = str(exc), 422, {}, views.Filters()
        matrix = planning.matrix(land)
        counting = planning.counting(land, filters)
    gaps, gap_counts = planning.page_gaps(land, filters)
    shown = gaps[gap_offset : gap_offset + GAP_ROWS]
    more = {**given, "gap_offset": gap_offset + GAP_ROWS} if gap_offset + GAP_ROWS < len(gaps) else None
    context = {
        "matrix": matrix,
        "gaps": shown,
        "gap_total": len(gaps),
        "gap_counts": gap_counts,
        "gap_first": gap_offset + 1,
        "gap_more": f"/planning?{urlencode(more)}#gaps-h" if more else None,
        "gap_rules": sorted((rule.name for rule in rules()), key=lambda name: RULE_ORDER.get(name, 99)),
        "rule_order": RULE_ORDER,
        "choices": planning.choices(land),
        "given": given,
        "query": urlencode(given),
        "error": error,
        "documents": len(land.documents),
        "planning_areas": {row.notation for row in matrix.rows},
        "titles": {d: land.documents[d].title for g in shown for d in g["documents"] if d in land.documents},
        "shown_filters": planning.filter_labels(land, given),
        **counting,
    }
    budget.check_cancelled()  # the page is a few hundred kB to render: not for a client that left
    return _page(request, "planning.html", context, code)


@router.get("/planning/cell")
def cell_page(
    request: Request,
    land: LandscapeDep,
    area: Annotated[str, Query(max_length=20, description="planning area, e.g. F32 or F30-F39")],
    kind: Text = None,
    population: Text = None,
    topic: Text = None,
    owner: Text = None,
    status: Text = None,
    valid_on: Day = None,
    level: Many = None,
    purpose: Many = None,
    partial: bool = False,
    limit: Annotated[int, limit_param(CELL_ROWS, 500)] = CELL_ROWS,
    offset: Offset = 0,
) -> Response:
    """A page of the documents of one matrix cell (a fragment for the dialog with ``partial=true``).

    With ``Accept: application/json`` the page comes as a list answer: items, total, next, limit, offset.
    """
    filters, given = _filters(population, topic, owner, status, valid_on, level, purpose)
    try:
        found = planning.cell_documents(land, area, kind or None, filters, offset, limit)
    except views.FilterError as exc:
        if acceptable(request.headers.get("accept"), ["text/html", "application/json"]) == "application/json":
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return _page(
            request,
            "cell.html",
            {"error": str(exc), "partial": partial, "given": given, "query": urlencode(given)},
            404,
        )
    if acceptable(request.headers.get("accept"), ["text/html", "application/json"]) == "application/json":
        return JSONResponse(
            {
                "items": found.items,
                "total": found.total,
                "counting": found.counting,
                "state": found.cell.state,
                "next": next_link(request, offset, limit, found.total),
                "limit": limit,
                "offset": offset,
            }
        )
    # Page links without partial=true: opened on their own they are whole pages; the dialog adds it.
    here = {"area": area, **({"kind": kind} if kind else {}), **given}

    def link(at: int) -> str:
        return "/planning/cell?" + urlencode({**here, "offset": at, **({"limit": limit} if limit != CELL_ROWS else {})})

    kinds = {k["id"]: k for k in planning.kind_columns()}
    context = {
        "docs": found.items,
        "total": found.total,
        "counting": found.counting,
        "first": offset + 1,
        "next": link(offset + limit) if offset + limit < found.total else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "state": found.cell.state,
        "row": found.row,
        "kind": kinds.get(kind or ""),
        "partial": partial,
        "given": given,
        "query": urlencode(given),
    }
    return _page(request, "cell.html", context)


@router.get("/planning/overlaps", dependencies=[Depends(expensive)])
def overlaps_page(
    request: Request,
    land: LandscapeDep,
    owner: Text = None,
    other_owner: Text = None,
    relation: Annotated[
        str | None, Query(pattern="^(duplicate|overlap|complementary|supersedes|may_replace)?$")
    ] = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    cluster_score: Annotated[float, Query(ge=0.3, le=1)] = 0.7,
    unjudged: Annotated[bool, Query(description="only pairs no coordinator has judged yet")] = False,
) -> Response:
    """Overlapping documents between two owners, and the picture of overlap clusters and owners."""
    return _overlaps(request, land, owner, other_owner, relation, min_score, cluster_score, unjudged=unjudged)


def _overlaps(
    request: Request,
    land: Landscape,
    owner: str | None,
    other_owner: str | None,
    relation: str | None,
    min_score: float,
    cluster_score: float,
    verdict_error: str | None = None,
    status: int = 200,
    unjudged: bool = False,
) -> Response:
    given = {k: v for k, v in (("owner", owner), ("other_owner", other_owner), ("relation", relation)) if v}
    if unjudged:
        given["unjudged"] = "true"
    lang = _lang(request)
    error, found, owners = None, [], []
    try:
        owners = [views.resolve_owner(land, o) for o in (owner, other_owner) if o]
        if owners:
            found = planning.overlaps_between(
                land,
                owner or None,
                other_owner or None,
                [relation] if relation else overlap.RELATIONS,
                min_score,
            )
    except views.FilterError as exc:
        error, owners = str(exc), []
    planning.pairs(land)  # wait for the start-up thread rather than pairing twice
    clusters = overlap.clusters(land, cluster_score)
    network = cluster_network(land, cluster_score, owners)
    judged = verdicts(land.snapshot)
    if unjudged:
        found = [c for c in found if judged.of(c.a, c.b) is None]
    back = urlencode({**given, "min_score": min_score, "cluster_score": cluster_score})
    context = {
        "given": given,
        "min_score": min_score,
        "cluster_score": cluster_score,
        "pairs": found[:300],
        "total": len(found),
        "summary": overlap.owner_summary(land, found)
        if owners
        else overlap.owner_summary(land, overlap.pairs(land, ("duplicate", "overlap", "supersedes")))[:15],
        "clusters": list(enumerate(clusters, start=1)),
        "shown_clusters": {int(n.split(":")[1]) + 1 for n in network if n.startswith("cluster:")},
        "network": network_svg(network, owners, lang),
        "choices": planning.choices(land),
        "land": land,
        "error": error,
        "export_query": urlencode({**given, "min_score": min_score}),
        "verdicts": judged,
        "verdict_kinds": VERDICT_LABELS,
        "verdict_error": verdict_error,
        "back": back,
    }
    return _page(request, "overlaps.html", context, status if status != 200 else (422 if error else 200))


# The form's fields; anything else in the body is ignored.
_FORM_FIELDS = ("a", "b", "kind", "note", "link", "token", "back")


@router.post("/planning/overlaps/verdict", include_in_schema=False)
async def verdict_form(request: Request, store: StoreDep) -> Response:
    """The overlap page's form: record a verdict with an edit token typed into the form, then back to the pairs.

    A page without script cannot send an Authorization header, so the token comes in the form body
    and is checked against the same token table, with the same role, as PUT /overlaps/verdicts.
    """
    body = await request.body()
    if len(body) > 16_384:
        return Response("the form is too large", status_code=413, media_type="text/plain")
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items() if k in _FORM_FIELDS}
    back = parse_qs(form.get("back", ""))
    shown = {k: back[k][0] for k in ("owner", "other_owner", "relation", "unjudged") if k in back}
    try:
        min_score = min(max(float(back.get("min_score", ["0"])[0]), 0.0), 1.0)
        cluster_score = min(max(float(back.get("cluster_score", ["0.7"])[0]), 0.3), 1.0)
    except ValueError:
        min_score, cluster_score = 0.0, 0.7
    en = _lang(request) == "en"
    principal = request.app.state.tokens.lookup(form.get("token", "").strip()) if form.get("token") else None
    error, status = None, 200
    if principal is None:
        error, status = ("a valid edit token is required" if en else "der kræves et gyldigt redigeringstoken"), 401
    elif ROLES.index(principal.role) < ROLES.index("edit"):
        error, status = (f"the token {principal.name!r} may not record verdicts" if en else
                         f"tokenet {principal.name!r} må ikke registrere vurderinger"), 403  # fmt: skip
    else:
        try:
            body_in = VerdictIn(
                a=form.get("a", ""),
                b=form.get("b", ""),
                kind=form.get("kind", ""),  # type: ignore[arg-type]
                note=form.get("note") or None,
                link=form.get("link") or None,
            )
            await run_in_threadpool(record_verdict, store, body_in, principal.name)
        except ValidationError as exc:
            error, status = "; ".join(str(e["msg"]) for e in exc.errors()), 422
        except VerdictError as exc:
            error, status = str(exc), exc.status
    if error is None:
        query = urlencode({**shown, "min_score": min_score, "cluster_score": cluster_score})
        return RedirectResponse(f"/planning/overlaps?{query}#pair-{form['a']}--{form['b']}", status_code=303)
    land = await run_in_threadpool(landscape, store)
    return await run_in_threadpool(
        _overlaps,
        request,
        land,
        shown.get("owner"),
        shown.get("other_owner"),
        shown.get("relation"),
        min_score,
        cluster_score,
        error,
        status,
        shown.get("unjudged") == "true",
    )


@router.get("/planning/check", dependencies=[Depends(expensive)])
def check_page(
    request: Request,
    land: LandscapeDep,
    title: Annotated[str | None, Query(max_length=500)] = None,
    kind: Text = None,
    owner: Text = None,
    disease_areas: Text = None,
    population: Annotated[list[str] | None, Query(max_length=10)] = None,
    topic: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Response:
    """The draft check as a form: the same ranking as ``POST /overlaps/check``."""
    areas = [a.strip() for a in (disease_areas or "").replace(";", ",").split(",") if a.strip()]
    draft = {
        "title": (title or "").strip(),
        "kind": kind or None,
        "owner": owner or None,
        "disease_areas": areas,
        "populations": population or [],
        "topics": topic or [],
    }
    candidates, error = None, None
    if draft["title"]:
        try:
            found = overlap.check_draft(land, overlap.Draft(**draft), limit=10)  # type: ignore[arg-type]
            candidates = [{"comparison": c, "document": views.document_json(land, land.documents[c.b])} for c in found]
        except overlap.DraftError as exc:
            error = str(exc)
    context = {
        "draft": draft,
        "disease_areas": disease_areas or "",
        "candidates": candidates,
        "error": error,
        "choices": planning.choices(land),
    }
    return _page(request, "check.html", context, 422 if error else 200)


@router.get("/planning/sparql")
def sparql_page(request: Request) -> Response:
    """An editor for SPARQL users, with the shipped example queries loaded."""
    return _page(request, "sparql.html", {"examples": query_examples()})


@router.get("/lang")
def switch_language(
    to: Annotated[str, Query(alias="set", pattern="^(da|en)$")],
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> Response:
    """Remember the chosen language in a cookie and go back (only to a page of this service)."""
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie("lang", to, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; answer with the page's icon."""
    return RedirectResponse("/static/favicon.svg", status_code=308)


def _lang(request: Request) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    return "en" if chosen == "en" else "da"
