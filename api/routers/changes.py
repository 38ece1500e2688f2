"""What changed: the recent writes and loads as JSON, as a JSON Feed and an Atom feed, and as a page.

A coordinator subscribes to what concerns them: ``owner=sst`` (writes to SST's documents), ``overlapping=sst``
(writes to documents that overlap one of SST's), ``disease_area=F32``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from api.deps import LandscapeDep
from api.paging import Offset, limit_param, next_link
from api.routers.planning import templates
from graph.analysis import changes, overlap, views
from graph.analysis.change import EVENTS
from graph.analysis.verdicts import verdicts
from graph.model.landscape import Landscape

router = APIRouter(tags=["changes"])
Text = Annotated[str | None, Query(max_length=200)]
FEED_SIZE = 50
ACTIONS = {"create": ("oprettet", "created"), "update": ("ændret", "changed"), "delete": ("slettet", "deleted"),
           "load": ("indlæst", "loaded"), "verdict": ("vurderet af en koordinator", "judged by a coordinator"),
           "withdraw": ("vurdering trukket tilbage", "verdict withdrawn")}  # fmt: skip
RELATIONS = {"duplicate": ("dobbeltarbejde", "duplicate"), "overlap": ("overlap", "overlap"),
             "supersedes": ("kan erstatte", "may replace")}  # fmt: skip


@dataclass(frozen=True)
class Selection:
    """What a subscriber asks to hear about: an owner's documents, what overlaps an owner's, a disease area."""

    owner: str | None
    overlapping: str | None
    disease_area: str | None
    event: str | None = None

    def query(self) -> dict[str, str]:
        """Return the selection as the query string's parameters."""
        return {k: v for k, v in asdict(self).items() if v}


def _selection(
    owner: Text = None,
    overlapping: Text = None,
    disease_area: Annotated[str | None, Query(max_length=20)] = None,
    event: Annotated[
        str | None, Query(pattern="^(|" + "|".join(EVENTS) + ")$", description="only items of this kind")
    ] = None,
) -> Selection:
    return Selection(owner or None, overlapping or None, disease_area or None, event or None)


Selected = Annotated[Selection, Depends(_selection)]
Lang = Annotated[str, Query(pattern="^(da|en)$")]


def _selected(land: Landscape, chosen: Selection) -> list[changes.Change]:
    """The changes the selection picks (raises FilterError naming an unknown owner or code)."""
    owner, overlapping, disease_area = chosen.owner, chosen.overlapping, chosen.disease_area
    owners = views.owner_family(land, views.resolve_owner(land, owner)) if owner else None
    areas = None
    if disease_area:
        concepts = land.vocabulary.disease_areas(disease_area)
        if not concepts:
            raise views.FilterError("disease_area", disease_area, f"unknown ICD-10 chapter V code: {disease_area!r}")
        areas = set().union(*(land.descendants_and_self(str(c)) for c in concepts))
    found = changes.changes(land, owners, areas, {chosen.event} if chosen.event else None)
    if overlapping:
        # Items addressed to the owner (a new overlap with one of theirs), and writes to documents that overlap theirs.
        family = views.owner_family(land, views.resolve_owner(land, overlapping))
        theirs = [d.id for d in land.documents.values() if family & set(d.owners)]
        judged = verdicts(land.snapshot)
        # A pair a coordinator has judged is not news for the other owner: it was told when it was judged.
        partners = {
            x for d in theirs for c in overlap.related(land, d) if judged.of(c.a, c.b) is None for x in (c.a, c.b)
        } - set(theirs)
        found = [
            c
            for c in found
            if c.told & family
            or (c.kind == "document" and c.event != "overlap" and c.record in partners)
            or (c.kind == "verdict" and c.owners & family)
        ]
    return found


def _headline(land: Landscape, change: changes.Change, en: bool) -> str:
    if change.event == "overlap":
        told = ", ".join(land.owner_name(o) for o in sorted(change.told))
        return f"{'Possible overlap with' if en else 'Muligt overlap med'} {told}: {change.title}"
    if change.event == "gap":
        return f"{'New gap' if en else 'Nyt hul'}: {change.title}"
    if change.event == "status":
        status = next(f for f in change.fields if f.label == "status")
        moved = f"{', '.join(status.old) or '–'} → {', '.join(status.new) or '–'}"
        return f"{change.title}: status {'changed' if en else 'ændret'} ({moved})"
    action = ACTIONS.get(change.action, (change.action, change.action))[1 if en else 0]
    what = ", ".join(f.label_en if en else f.label for f in change.fields[:4])
    return f"{change.title}: {action}" + (f" ({what})" if what else "")


def _text(change: changes.Change, en: bool) -> str:
    lines = [
        f"{f.label_en if en else f.label}: {', '.join(f.old) or '–'} → {', '.join(f.new) or '–'}" for f in change.fields
    ]
    for other in change.related:
        if "score" in other:
            word = RELATIONS.get(other["relation"], (other["relation"], other["relation"]))[1 if en else 0]
            score = f"{other['score']:.2f}" if en else f"{other['score']:.2f}".replace(".", ",")
            lines.append(f"{other['title']} ({word}, score {score})")
        else:
            lines.append(other["title"])
    if change.note[0]:
        lines.append(change.note[1 if en else 0])
    who = f"{'by' if en else 'af'} {change.author}" if change.author else ""
    return "\n".join([*lines, who]).strip()


def _link(request: Request, change: changes.Change) -> str:
    base = str(request.base_url).rstrip("/")
    if change.event == "gap":
        return f"{base}/planning#gaps"
    if change.kind == "document" and change.action != "delete":
        return f"{base}/documents/{change.record}"
    if change.kind == "organisation" and change.action != "delete":
        return f"{base}/planning/organisations/{change.record}"
    if change.kind == "verdict":
        return f"{base}/overlaps/verdicts?document={change.record.split('--', 1)[0]}&history=true"
    return f"{base}/planning/changes"


@router.get("/changes")
def read_changes(
    land: LandscapeDep,
    request: Request,
    chosen: Selected,
    limit: Annotated[int, limit_param(100, 1000)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Recent writes (field by field: old → new) and loads, newest first, and when the registry was last verified."""
    found = _selected(land, chosen)
    return {
        "items": [changes.change_json(c) for c in found[offset : offset + limit]],
        "total": len(found),
        "next": next_link(request, offset, limit, len(found)),
        "last_verified": changes.last_verified(land),
    }


@router.get("/changes/feed.json", response_class=Response, responses={200: {"content": {"application/feed+json": {}}}})
def json_feed(land: LandscapeDep, request: Request, chosen: Selected, lang: Lang = "da") -> Response:
    """The recent changes as a JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    en = lang == "en"
    found = _selected(land, chosen)[:FEED_SIZE]
    query = urlencode(chosen.query())
    base = str(request.base_url).rstrip("/")
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "retningsgraf: " + ("recent changes" if en else "seneste ændringer"),
        "home_page_url": f"{base}/planning/changes" + (f"?{query}" if query else ""),
        "feed_url": f"{base}/changes/feed.json" + (f"?{query}" if query else ""),
        "language": lang,
        "items": [
            {
                "id": c.id,
                "url": _link(request, c),
                "title": _headline(land, c, en),
                "content_text": _text(c, en),
                "date_published": c.time,
                **({"authors": [{"name": c.author}]} if c.author else {}),
                "_retningsgraf": changes.change_json(c),
            }
            for c in found
        ],
    }
    return Response(json.dumps(feed, ensure_ascii=False), media_type="application/feed+json")


@router.get("/changes/feed.atom", response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def atom_feed(land: LandscapeDep, request: Request, chosen: Selected, lang: Lang = "da") -> Response:
    """The recent changes as an Atom feed (RFC 4287), for any feed reader."""
    en = lang == "en"
    found = _selected(land, chosen)[:FEED_SIZE]
    base = str(request.base_url).rstrip("/")
    feed = FeedGenerator()
    feed.id(str(request.url))
    feed.title("retningsgraf: " + ("recent changes" if en else "seneste ændringer"))
    feed.link(href=str(request.url), rel="self")
    feed.link(href=f"{base}/planning/changes", rel="alternate")
    feed.language(lang)
    feed.updated(found[0].time if found else "1970-01-01T00:00:00+00:00")
    for change in reversed(found):  # feedgen puts the last added first
        entry = feed.add_entry()
        entry.id(change.id)
        entry.title(_headline(land, change, en))
        entry.link(href=_link(request, change))
        entry.updated(change.time)
        entry.content(_text(change, en) or _headline(land, change, en), type="text")
        entry.author({"name": change.author or "retningsgraf"})
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml")


@router.get("/planning/changes", include_in_schema=False)
def changes_page(land: LandscapeDep, request: Request, chosen: Selected) -> Response:
    """Seneste ændringer: what changed, field by field, with the feeds to subscribe to."""
    given = chosen.query()
    error, code = None, 200
    try:
        found = _selected(land, chosen)
    except views.FilterError as exc:
        error, code, given = str(exc), 422, {}
        found = _selected(land, Selection(None, None, None))
    owners = sorted(((o.id, o.name) for o in land.organisations.values()), key=lambda o: o[1].casefold())
    context = {
        "changes": found[:200],
        "total": len(found),
        "given": given,
        "query": urlencode(given),
        "owners": owners,
        "actions": ACTIONS,
        "events": EVENTS,
        "names": {o: land.owner_name(o) for c in found[:200] for o in c.told},
        "relations": RELATIONS,
        "last_verified": changes.last_verified(land),
        "error": error,
    }
    return templates.TemplateResponse(request, "changes.html", context, status_code=code, media_type="text/html")
