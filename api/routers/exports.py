"""Exports linked from the planning page: matrix, gaps, overlap network and the whole graph."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import LandscapeDep, StoreDep
from api.params import CountLevel, CountPurpose
from api.ratelimit import expensive
from api.routers.gaps import gap_items
from api.schemas import refusals
from graph import budget
from graph.analysis import exports, overlap, overlap_network, planning, views
from graph.analysis.verdicts import verdicts
from graph.budget import TooBig
from graph.model.counts import counts
from graph.model.landscape import Landscape
from graph.validation.gaps import rules

router = APIRouter(prefix="/exports", tags=["exports"], dependencies=[Depends(expensive)])

Text = Annotated[str | None, Query(max_length=200)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RULES = "|".join(rule.name for rule in rules())
RDF = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json"}


def _answers(*media_types: str) -> dict[int | str, dict[str, object]]:
    """Declare the file types an export answers with (not JSON), and its refusals."""
    return {200: {"content": {media: {} for media in media_types}}, **refusals(422, 429)}


def _file(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _matrix(
    land: Landscape,
    population: str | None,
    topic: str | None,
    owner: str | None,
    status: str | None,
    valid_on: dt.date | None,
    level: str | None = None,
    purpose: str | None = None,
) -> planning.Matrix:
    filters = views.Filters(
        owner=owner or None,
        status=status or None,
        population=population or None,
        topic=topic or None,
        valid_on=valid_on,
        level=level or None,
        purpose=purpose or None,
    )
    return planning.matrix(land, filters)


def _notes(**given: object) -> list[tuple[str, str]]:
    return [(key, str(value)) for key, value in given.items() if value]


@router.get("/coverage.{fmt}", response_class=Response, responses=_answers("text/csv", XLSX, "image/svg+xml"))
def export_coverage(
    fmt: Literal["csv", "xlsx", "svg"],
    land: LandscapeDep,
    population: Text = None,
    topic: Text = None,
    owner: Text = None,
    status: Text = None,
    valid_on: Annotated[dt.date | None, Query()] = None,
    level: CountLevel = None,
    purpose: CountPurpose = None,
    categories: Annotated[bool, Query(description="SVG only: draw the categories under each block too")] = False,
    lang: Annotated[str, Query(pattern="^(da|en)$")] = "da",
) -> Response:
    """The planning matrix: valid documents per area and kind, as on the page and in /coverage."""
    matrix = _matrix(land, population, topic, owner, status, valid_on, level, purpose)
    given = {
        "population": population,
        "topic": topic,
        "owner": owner,
        "status": status,
        "valid_on": valid_on,
        "level": level,
        "purpose": purpose,
    }
    shown = planning.filter_labels(land, {k: str(v) for k, v in given.items() if v})
    notes = [(f"{name[0]} / {name[1]}", f"{value[0]} / {value[1]}") for name, value in shown]
    if fmt == "svg":
        en = lang == "en"
        caption = ", ".join(f"{name[en]}: {value[en]}" for name, value in shown)
        caption = (caption or ("all documents" if en else "alle dokumenter")) + f" · retningsgraf {dt.date.today()}"
        return Response(exports.matrix_svg(matrix, lang, categories, caption), media_type="image/svg+xml")
    table = exports.coverage_table(matrix)
    if fmt == "csv":
        return _file(exports.to_csv(table), "text/csv; charset=utf-8", "retningsgraf-daekning.csv")
    states = [[c.state for c in [*r.cells, r.total]] for r in matrix.rows]
    return _file(exports.to_xlsx(table, "Dækning", notes, states), XLSX, "retningsgraf-daekning.xlsx")


@router.get("/gaps.{fmt}", response_class=Response, responses={**_answers("text/csv", XLSX), **refusals(413)})
def export_gaps(
    fmt: Literal["csv", "xlsx"],
    store: StoreDep,
    land: LandscapeDep,
    request: Request,
    rule: Annotated[str | None, Query(pattern=f"^({RULES})$")] = None,
    lang: Annotated[str, Query(pattern="^(da|en)$")] = "da",
) -> Response:
    """The gaps found by the SHACL gap rules, as in GET /gaps: Danish heads, rules by name, documents by title.

    The CSV is streamed, however many gaps there are. An XLSX workbook is made whole in memory
    (a second or so per 5,000 rows), so one of more than ``Settings.xlsx_max_rows`` rows is
    refused (413) with how to get the rows instead: the CSV, or a rule.
    """
    found = gap_items(store, land, rule)
    bound = request.app.state.settings.xlsx_max_rows
    if fmt == "xlsx" and bound is not None and len(found) > bound:
        raise TooBig(len(found), bound)
    table = exports.gap_table(found, lang)
    if fmt == "csv":
        return StreamingResponse(
            exports.csv_chunks(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="retningsgraf-huller.csv"'},
        )
    return _file(exports.to_xlsx(table, "Huller", _notes(rule=rule)), XLSX, "retningsgraf-huller.xlsx")


@router.get("/overlaps.graphml", response_class=Response, responses=_answers("application/graphml+xml"))
def export_overlaps(
    land: LandscapeDep,
    owner: Text = None,
    other_owner: Text = None,
    relation: Literal["duplicate", "overlap", "complementary", "supersedes", "may_replace"] | None = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    cluster_score: Annotated[float, Query(ge=0, le=1, description="the clusters numbered on the nodes")] = 0.7,
) -> Response:
    """The overlap network as GraphML: the pairs of GET /overlaps, with the documents' owners."""
    found = planning.overlaps_between(
        land,
        owner or None,
        other_owner or None,
        [relation] if relation else overlap.RELATIONS,
        min_score,
    )
    budget.allow(len(found))
    graph = overlap_network.overlap_graph(land, found, cluster_score)
    return _file(overlap_network.to_graphml(graph), "application/graphml+xml", "retningsgraf-overlap.graphml")


@router.get("/overlaps.{fmt}", response_class=Response, responses=_answers("text/csv", XLSX))
def export_overlap_list(
    fmt: Literal["csv", "xlsx"],
    land: LandscapeDep,
    owner: Text = None,
    other_owner: Text = None,
    relation: Literal["duplicate", "overlap", "complementary", "supersedes"] | None = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    unjudged: Annotated[bool, Query(description="only pairs no coordinator has judged yet")] = False,
    lang: Annotated[str, Query(pattern="^(da|en)$")] = "da",
) -> Response:
    """The pairs of GET /overlaps as a spreadsheet: the engine's relation and a coordinator's verdict side by side."""
    found = planning.overlaps_between(
        land, owner or None, other_owner or None, [relation] if relation else overlap.RELATIONS, min_score
    )
    judged = verdicts(land.snapshot)
    if unjudged:
        found = [c for c in found if judged.of(c.a, c.b) is None]
    budget.allow(len(found))
    table = exports.overlap_table(land, found, judged, lang)
    if fmt == "csv":
        return _file(exports.to_csv(table), "text/csv; charset=utf-8", "retningsgraf-overlap.csv")
    notes = _notes(owner=owner, other_owner=other_owner, relation=relation, min_score=min_score)
    return _file(exports.to_xlsx(table, "Overlap", notes), XLSX, "retningsgraf-overlap.xlsx")


@router.get("/graph.{fmt}", response_class=Response, responses={**_answers(*RDF.values()), **refusals(413)})
def export_graph(fmt: Literal["ttl", "nt", "jsonld"], store: StoreDep, request: Request) -> Response:
    """The whole graph (the union of every named graph) as Turtle, N-Triples or JSON-LD.

    It is made in memory (several times its size on disk), so a store with more triples than
    ``Settings.export_max_triples`` is refused (413) rather than exported inside a request.
    """
    bound = request.app.state.settings.export_max_triples
    _, triples = counts(store)
    if bound is not None and triples > bound:
        raise TooBig(triples, bound)
    return _file(store.dump(fmt), RDF[fmt], f"retningsgraf.{fmt}")


@router.get("/documents.{fmt}", response_class=Response, responses=_answers("text/csv", XLSX))
def export_documents(
    fmt: Literal["csv", "xlsx"],
    request: Request,
    land: LandscapeDep,
    lang: Annotated[str, Query(pattern="^(da|en)$")] = "da",
) -> Response:
    """The documents list with the documents page's search, facets and order (the same query string)."""
    docs, given = views.find_documents(land, request.query_params)
    table = exports.documents_table(land, docs, lang)
    if fmt == "csv":
        return _file(exports.to_csv(table), "text/csv; charset=utf-8", "retningsgraf-dokumenter.csv")
    return _file(exports.to_xlsx(table, "Dokumenter", _notes(**given)), XLSX, "retningsgraf-dokumenter.xlsx")
