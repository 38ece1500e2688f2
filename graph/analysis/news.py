"""News derived from the writes, for the change list and the feeds: new possible overlaps and new gaps.

A write is one item (``changes``); what it *causes* is told apart, so a subscriber can follow just that:

- **new overlaps**: a document write that gives it candidates it did not have (duplicate, overlap,
  supersedes) becomes one item per other owner, addressed to that owner (``overlapping=OWNER``).  A plan's
  registration stored what its check showed the writer, so its items are exactly that; for other writes the
  draft check is run on the record before and after the write, against the registry as it is now (the item
  says so).
- **new gaps**: the gap list is compared before and after the writes (the ``GAP_NEWS`` view carries the
  previous list into the next store generation); a gap that appears is an item.  The running server notices
  them from its start; an import or a restart starts a new comparison (the item says it is approximate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, URIRef

from graph.analysis import overlap
from graph.analysis.change import Change
from graph.analysis.planning import GAPS
from graph.analysis.verdicts import verdicts
from graph.model.landscape import LANDSCAPE, Landscape
from graph.model.snapshot import Snapshot, View, snapshot
from graph.model.vocabulary import KINDS
from graph.store.core import Store, query
from graph.store.namespaces import DCTERMS, GD, RDF

__all__ = ["GAP_NEWS", "NEWS_RELATIONS", "gap_items", "overlap_items", "watch_gaps"]

#: Relations an owner is told about: the ones that mean possible double work or replacement.
NEWS_RELATIONS = ("duplicate", "overlap", "supersedes")
#: News items kept (the newest).
KEEP = 500
_STORED = (
    "Fundet af overlaptjekket, da planen blev registreret.",
    "Found by the overlap check when the plan was registered.",
)
_COMPARED = (
    "Fundet ved at tjekke dokumentet før og efter skrivningen mod registret, som det er nu.",
    "Found by checking the document before and after the write against the registry as it is now.",
)


def _tail(term: object) -> str:
    return str(term).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _draft(graph: Graph, subject: URIRef) -> overlap.Draft | None:
    titles = list(graph.objects(subject, DCTERMS.title))
    if not titles:
        return None
    kinds = sorted(k for k in (_tail(t) for t in graph.objects(subject, RDF.type)) if k in KINDS)
    owners = sorted(_tail(o) for o in graph.objects(subject, GD.ownedBy))
    return overlap.Draft(
        title=str(titles[0]),
        kind=kinds[0] if kinds else None,
        owner=owners[0] if owners else None,
        disease_areas=sorted(_tail(a) for a in graph.objects(subject, GD.diseaseArea)),
        populations=sorted(_tail(p) for p in graph.objects(subject, GD.population)),
        topics=sorted(_tail(t) for t in graph.objects(subject, GD.topic)),
    )


def _candidates(land: Landscape, draft: overlap.Draft | None, record: str) -> dict[str, tuple[str, float]]:
    if draft is None:
        return {}
    try:
        found = overlap.check_draft(land, draft, limit=10)
    except overlap.DraftError:
        return {}
    return {c.b: (c.relation or "", c.score) for c in found if c.relation in NEWS_RELATIONS and c.b != record}


def _stored_checks(snap: Snapshot) -> dict[str, dict[str, tuple[str, float]]]:
    found: dict[str, dict[str, tuple[str, float]]] = {}
    for row in snap.store.select(query("overlap_checks")):
        found.setdefault(str(row["activity"]), {})[_tail(row["candidate"])] = (
            str(row["relation"]),
            float(row["score"]),
        )
    return found


def overlap_items(
    snap: Snapshot, land: Landscape, writes: Iterable[Change], states: dict[str, tuple[Graph, Graph]]
) -> list[Change]:
    """Return one item per owner a document write newly overlaps, addressed to that owner.

    Args:
        snap: the snapshot whose store holds the stored checks.
        land: the landscape the check runs against (the registry as it is now).
        writes: the document writes (create or update) of the change list.
        states: per write's id, the record before and after that write.

    Returns:
        The items, one per write and overlapping owner.
    """
    stored = _stored_checks(snap)
    judged = verdicts(snap)  # a pair a coordinator has judged is not news: its owners were told then
    items = []
    for write in writes:
        if write.kind != "document" or write.action not in ("create", "update") or write.id not in states:
            continue
        if write.id in stored:
            new, note = {d: v for d, v in stored[write.id].items() if v[0] in NEWS_RELATIONS}, _STORED
        else:
            before, after = states[write.id]
            subject = next(iter(after.subjects()), None) or next(iter(before.subjects()), None)
            if subject is None:
                continue
            now = _candidates(land, _draft(after, URIRef(subject)), write.record)
            then = _candidates(land, _draft(before, URIRef(subject)), write.record) if len(before) else {}
            new, note = {d: v for d, v in now.items() if d not in then}, _COMPARED
        by_owner: dict[str, list[dict[str, Any]]] = {}
        for doc_id, (relation, score) in sorted(new.items(), key=lambda kv: -kv[1][1]):
            if doc_id not in land.documents or judged.of(write.record, doc_id) is not None:
                continue
            other = land.documents[doc_id]
            for owner in set(other.owners) - set(write.owners):
                by_owner.setdefault(owner, []).append(
                    {"document": doc_id, "title": other.title, "relation": relation, "score": round(score, 3)}
                )
        for owner, related in sorted(by_owner.items()):
            items.append(
                Change(
                    id=f"{write.id}#overlap-{owner}",
                    kind="document",
                    record=write.record,
                    title=write.title,
                    action=write.action,
                    author=write.author,
                    time=write.time,
                    owners=write.owners,  # owner= is about one's own documents; the other side is told=
                    areas=write.areas,
                    event="overlap",
                    told=frozenset({owner}),
                    related=related,
                    note=note,
                )
            )
    return items


# New gaps -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapNews:
    """The gap list a generation saw, and the gaps that appeared since the server started watching."""

    seen: frozenset[tuple[str, str, str]]
    news: tuple[Change, ...]


def _key(gap: dict[str, Any]) -> tuple[str, str, str]:
    return (str(gap["rule"]), str(gap["focus"]), str(gap.get("organisation") or ""))


def _gap_owners(land: Landscape, gap: dict[str, Any]) -> frozenset[str]:
    """The owner a gap names, and the owners of the documents it names."""
    found = {str(gap["organisation"])} if gap.get("organisation") else set()
    found |= {o for d in gap.get("documents") or [] if d in land.documents for o in land.documents[d].owners}
    return frozenset(found)


def _gap_areas(land: Landscape, gap: dict[str, Any]) -> frozenset[str]:
    """The disease area a gap is about: its focus, or the areas of the document it is about."""
    focus = str(gap["focus"])
    if "/icd10/" in focus:
        return frozenset({focus})
    return frozenset(
        a for d in gap.get("documents") or [] if d in land.documents for a in land.documents[d].disease_areas
    )


def _first_look(snap: Snapshot) -> GapNews:
    return GapNews(frozenset(_key(g) for g in snap[GAPS]), ())


def _compare(snap: Snapshot, old: GapNews, changed: frozenset[str]) -> GapNews:
    gaps = snap[GAPS]
    appeared = [g for g in gaps if _key(g) not in old.seen]
    time = dt.datetime.now(dt.UTC).isoformat()
    written = sorted(_tail(s) for s in changed if "/document/" in s or "/organisation/" in s)
    cause = ", ".join(written[:5]) + (" …" if len(written) > 5 else "")
    land = snap[LANDSCAPE]
    found = [
        Change(
            id=f"gap:{_key(g)[0]}:{_tail(_key(g)[1])}:{_key(g)[2]}:{time}",
            kind="gap",
            record=_tail(g["focus"]),
            title=f"{g.get('disease_area') or ''} {g.get('label') or ''}".strip(),
            action="gap",
            author="",
            time=time,
            owners=_gap_owners(land, g),
            areas=_gap_areas(land, g),
            event="gap",
            related=[{"document": d["id"], "title": d["title"]} for d in g.get("named_documents") or []],
            note=(
                f"{g['message']} Fundet ved at sammenligne hullerne før og efter skrivningen ({cause}); omtrentlig.",
                f"{g['message_en']} Found by comparing the gaps before and after the write ({cause}); approximate.",
            ),
        )
        for g in appeared
    ]
    return GapNews(frozenset(_key(g) for g in gaps), (*found, *old.news)[:KEEP])


#: The gaps each generation saw and the ones that appeared since (carried from one generation to the next).
GAP_NEWS: View[GapNews] = View("gap news", build=_first_look, update=_compare)


def watch_gaps(store: Store) -> None:
    """Look at the gap list before a write, so the next store generation can say which gaps the write made."""
    snapshot(store)[GAP_NEWS]


def gap_items(snap: Snapshot) -> list[Change]:
    """Return the gaps that appeared after writes this server saw, newest first."""
    return list(snap[GAP_NEWS].news)
