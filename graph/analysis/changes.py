"""What changed: every write of a document or organisation, field by field, every load and verdict, newest first.

A write keeps the version it replaced (PROV, ``loaders.edits``); comparing that version with the next
one (or with the record as it is now) says what the write changed: "status: udgivet → ikke gældende".
The change list is a view of the snapshot, so the page and the feeds read one list per store generation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graph import budget
from graph.analysis import news
from graph.analysis.change import EVENTS, Change, FieldChange
from graph.analysis.overlap import related
from graph.analysis.verdicts import LABELS as VERDICT_LABELS
from graph.analysis.verdicts import verdicts
from graph.model.landscape import LANDSCAPE, Landscape
from graph.model.snapshot import Snapshot, View
from graph.store.core import query
from graph.store.namespaces import DCTERMS, GD, ORG, RDF, SCHEMA, SKOS

__all__ = [
    "CHANGES",
    "EVENTS",
    "IN_PROGRESS",
    "Change",
    "FieldChange",
    "changes",
    "last_verified",
    "planned_work",
    "verdict_changes",
]

#: Changes kept in the list (the newest); older ones stay in each record's own history.
KEEP = 1000
# What a coordinator calls each field of a record (Danish, English); other predicates by their ontology label.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    str(DCTERMS.title): ("titel", "title"),
    str(RDF.type): ("type", "kind"),
    str(GD.ownedBy): ("ejer", "owner"),
    str(GD.diseaseArea): ("sygdomsområde", "disease area"),
    str(GD.population): ("målgruppe", "population"),
    str(GD.topic): ("emne", "topic"),
    str(GD.status): ("status", "status"),
    str(DCTERMS.issued): ("udgivet", "issued"),
    str(DCTERMS.modified): ("revideret", "revised"),
    str(GD.consultationDate): ("høring", "consultation"),
    str(GD.notValidSince): ("ikke gældende siden", "not valid since"),
    str(SCHEMA.lastReviewed): ("kontrolleret", "verified"),
    str(SCHEMA.expires): ("gælder til", "valid until"),
    str(GD.validity): ("gyldighed", "validity"),
    str(GD.level): ("niveau", "level"),
    str(GD.purpose): ("formål", "purpose"),
    str(SKOS.note): ("note", "note"),
    str(SKOS.prefLabel): ("navn", "name"),
    str(SCHEMA.url): ("link", "link"),
    str(DCTERMS.source): ("kilde", "source"),
    str(DCTERMS.replaces): ("erstatter", "replaces"),
    str(ORG.subOrganizationOf): ("del af", "part of"),
    str(SKOS.altLabel): ("forkortelse", "abbreviation"),
    str(SCHEMA.foundingDate): ("oprettet", "founded"),
    str(SCHEMA.dissolutionDate): ("nedlagt", "dissolved"),
    str(ORG.changedBy): ("sammenlægning", "merger"),
    str(ORG.resultedFrom): ("opstået ved", "resulted from"),
}
# Facts that are bookkeeping rather than content: not shown as changes.
_QUIET = {str(DCTERMS.identifier), str(GD.citation), str(GD.qualifiedLink), str(GD.verification)}


def _facts(graph: Graph, subject: URIRef) -> dict[str, set[Node]]:
    found: dict[str, set[Node]] = defaultdict(set)
    for p, o in graph.predicate_objects(subject):
        found[str(p)].add(o)
    return found


def _value(land: Landscape, term: Node, lang: str) -> str:
    if isinstance(term, Literal):
        return str(term)
    text = str(term)
    tail = text.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    if "/document/" in text and tail in land.documents:
        return land.documents[tail].title
    if "/organisation/" in text:
        return land.owner_name(tail)
    if "/icd10/" in text:
        return f"{tail} {land.area_label(text, lang)}"
    label = land.vocabulary.label(text, lang)
    if label:
        return label
    # A source or a link to the web is read as its address; one of the graph's own terms by its name.
    return tail if text.startswith(land.snapshot.store.minter.base) or "w3id.org/retningsgraf/" in text else text


def _diff(land: Landscape, subject: URIRef, before: Graph, after: Graph) -> list[FieldChange]:
    old, new = _facts(before, subject), _facts(after, subject)
    result = []
    for predicate in sorted(set(old) | set(new)):
        if predicate in _QUIET or old.get(predicate, set()) == new.get(predicate, set()):
            continue
        da, en = FIELD_LABELS.get(predicate) or (
            land.vocabulary.label(predicate, "da") or predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1],
            land.vocabulary.label(predicate, "en") or predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1],
        )
        result.append(
            FieldChange(
                field=predicate,
                label=da,
                label_en=en,
                old=sorted(_value(land, t, "da") for t in old.get(predicate, set())),
                new=sorted(_value(land, t, "da") for t in new.get(predicate, set())),
            )
        )
    return result


def _parsed(text: str | None) -> Graph:
    graph = Graph()
    if text:
        graph.parse(data=text, format="nt")
    return graph


def _edits(snap: Snapshot, land: Landscape, states: dict[str, tuple[Graph, Graph]]) -> Iterable[Change]:
    """Every write, field by field; *states* gets each write's record before and after it."""
    store = snap.store
    rows = store.select(query("recent_changes"))[:KEEP]
    versions: dict[str, dict[int, str | None]] = {}
    now: dict[str, Graph] = {}
    for row in rows:
        record = str(row["record"])
        if record not in versions:
            versions[record] = {
                int(v["n"]): (str(v["content"]) if "content" in v else None)
                for v in store.select(query("record_versions"), {"record": URIRef(record)})
            }
            current = Graph()
            for fact in store.select(query("record_now"), {"record": URIRef(record)}):
                current.add((URIRef(record), fact["p"], fact["o"]))
            now[record] = current
        n, subject = int(row["n"]), URIRef(record)
        before = _parsed(versions[record].get(n))
        later = versions[record].get(n + 1) if n + 1 in versions[record] else None
        after = _parsed(later) if n + 1 in versions[record] else now[record]
        states[str(row["activity"])] = (before, after)
        record_id = record.rsplit("/", 1)[-1]
        kind = "organisation" if "/organisation/" in record else "document"
        titles = [str(t) for g in (after, before) for t in g.objects(subject, DCTERMS.title)]
        titles += [str(t) for g in (after, before) for t in g.objects(subject, SKOS.prefLabel)]
        owners = {str(o).rsplit("/", 1)[-1] for g in (before, after) for o in g.objects(subject, GD.ownedBy)}
        if kind == "organisation":
            owners.add(record_id)
        fields = _diff(land, subject, before, after)
        status_changed = str(row["action"]) == "update" and any(f.field == str(GD.status) for f in fields)
        yield Change(
            id=str(row["activity"]),
            kind=kind,
            record=record_id,
            title=titles[0] if titles else record_id,
            action=str(row["action"]),
            author=str(row["agent"]).rsplit("/", 1)[-1],
            time=str(row["time"]),
            fields=fields,
            owners=frozenset(owners),
            areas=frozenset(str(a) for g in (before, after) for a in g.objects(subject, GD.diseaseArea)),
            event="status" if status_changed else "write",
        )


def _loads(snap: Snapshot) -> Iterable[Change]:
    for row in snap.store.select(query("recent_loads"))[:KEEP]:
        location = str(row["location"])
        yield Change(
            id=str(row["activity"]),
            kind="load",
            record=location.rsplit("/", 1)[-1],
            title=location.rsplit("/", 1)[-1],
            action="load",
            author="",
            time=str(row["time"]),
            event="load",
        )


def verdict_changes(snap: Snapshot, land: Landscape) -> Iterable[Change]:
    """Yield one change per verdict recorded or withdrawn on a pair, so both owners hear of it once.

    Its owners and disease areas are both documents', so a subscriber to either owner (or area) sees it.
    """
    found = verdicts(snap)
    by_iri = {v.iri: v for v in found.every()}
    for verdict in found.every():
        docs = [land.documents[d] for d in (verdict.a, verdict.b) if d in land.documents]
        before = by_iri.get(verdict.revises or "")
        fields = [
            FieldChange(
                field=str(GD.verdictKind),
                label="vurdering",
                label_en="verdict",
                old=[VERDICT_LABELS[before.kind][0]] if before else [],
                new=[VERDICT_LABELS[verdict.kind][0]],
            )
        ]
        if verdict.note:
            fields.append(FieldChange(str(SKOS.note), "note", "note", [], [verdict.note]))
        if verdict.link:
            fields.append(FieldChange(str(GD.agreement), "aftale", "agreement", [], [verdict.link]))
        titles = {d.id: d.title for d in docs}
        yield Change(
            id=verdict.iri,
            kind="verdict",
            record=f"{verdict.a}--{verdict.b}",
            title=f"{titles.get(verdict.a, verdict.a)} × {titles.get(verdict.b, verdict.b)}",
            action="withdraw" if verdict.kind == "withdrawn" else "verdict",
            author=verdict.who,
            time=verdict.when,
            fields=fields,
            owners=frozenset(o for d in docs for o in d.owners),
            areas=frozenset(a for d in docs for a in d.disease_areas),
            event="verdict",
        )


def _build(snap: Snapshot) -> list[Change]:
    # Every document page and feed waits for this one build (some 5 s at 30,000 documents): cut at
    # the deadline of the request that started it, each waiter would start it again, over its own.
    with budget.shared():
        return _changes(snap)


def _changes(snap: Snapshot) -> list[Change]:
    land = snap[LANDSCAPE]
    states: dict[str, tuple[Graph, Graph]] = {}
    writes = list(_edits(snap, land, states))
    found = [
        *writes,
        *_loads(snap),
        *news.overlap_items(snap, land, writes, states),
        *news.gap_items(snap),
        *verdict_changes(snap, land),
    ]
    found.sort(key=lambda c: (c.time, c.id), reverse=True)
    return found[:KEEP]


#: Every write and load, newest first, with what each write changed.
CHANGES: View[list[Change]] = View("changes", build=_build)


def changes(
    land: Landscape,
    owners: set[str] | None = None,
    areas: set[str] | None = None,
    events: set[str] | None = None,
) -> list[Change]:
    """Return the changes, newest first; with *owners*, *areas* (IRIs) or *events*, those touching one of them."""
    every = land.snapshot[CHANGES]
    return [
        c
        for c in every
        if (owners is None or c.owners & owners)
        and (areas is None or c.areas & areas)
        and (events is None or c.event in events)
    ]


def last_verified(land: Landscape) -> str | None:
    """Return the latest date on which a document's facts were checked against its sources."""
    days = [d.verified for d in land.documents.values() if d.verified]
    return max(days) if days else None


def change_json(change: Change) -> dict[str, Any]:
    """Return a change as the JSON API and the JSON feed show it."""
    return {
        "id": change.id,
        "kind": change.kind,
        "record": change.record,
        "title": change.title,
        "action": change.action,
        "author": change.author,
        "time": change.time,
        "fields": [f.__dict__ for f in change.fields],
        "owners": sorted(change.owners),
        "event": change.event,
        **({"told": sorted(change.told)} if change.told else {}),
        **({"related": change.related} if change.related else {}),
        **({"note": change.note[0], "note_en": change.note[1]} if change.note[0] else {}),
    }


# Planned work ---------------------------------------------------------------------------------

#: The lifecycle steps before a document is published (and a published one under review), in order.
IN_PROGRESS = ("planned", "in-development", "internal-consultation", "external-consultation", "under-review")


def planned_work(land: Landscape) -> list[dict[str, Any]]:
    """Return the planned, in-development, in-consultation and under-review documents, by owner and date.

    Each comes with the documents it may overlap (the same pairs as the overlap view), so the owners on
    both sides see planned work before it is written, not after.
    """
    found = []
    for doc in land.documents.values():
        if doc.status not in IN_PROGRESS:
            continue
        pairs = [c for c in related(land, doc.id) if c.relation in ("duplicate", "overlap", "supersedes")]
        found.append(
            {
                "document": doc,
                "owners": [land.owner_name(o) for o in doc.owners],
                "step": IN_PROGRESS.index(doc.status),
                "expected": doc.consultation or doc.issued or "",
                "overlaps": [
                    {
                        "other": land.documents[c.b if c.a == doc.id else c.a],
                        "relation": c.relation,
                        "score": c.score,
                    }
                    for c in pairs[:5]
                ],
            }
        )
    found.sort(key=lambda p: (p["owners"][0].casefold() if p["owners"] else "~", p["expected"] or "~", p["step"]))
    return found
