"""Read views over the landscape: filtered documents, organisations, the disease-area tree, coverage and gaps.

The JSON API, the CLI and the planning page call these same functions, so every surface
answers a question with one definition.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from rdflib import URIRef

from graph import budget
from graph.analysis import search
from graph.analysis.overlap import PAIRS, RELATIONS, PairList, PairTable, pairs, pairs_of
from graph.analysis.scope_index import scope_index
from graph.model.landscape import (
    DEFAULT_LEVELS,
    DEFAULT_PURPOSES,
    DOCUMENT_FIELDS,
    LANDSCAPE,
    LEVELS,
    PURPOSES,
    VALIDITIES,
    Document,
    Landscape,
)
from graph.model.snapshot import MISSING, Snapshot, View
from graph.model.vocabulary import KINDS
from graph.store.core import Store, query
from graph.store.namespaces import GD, ORG, RDFS, SKOS
from graph.validation.gaps import GapResult, run_rules

__all__ = [
    "COVERAGE",
    "FilterError",
    "Filters",
    "coverage",
    "disease_area_tree",
    "document_json",
    "filter_documents",
    "gaps",
    "organisation_detail",
    "organisations",
    "overlaps_between",
]


class FilterError(ValueError):
    """A filter names a value the vocabulary does not know (answered with 422)."""

    def __init__(self, field_name: str, value: str, message: str) -> None:
        self.field = field_name
        self.value = value
        super().__init__(message)


@dataclass(frozen=True)
class Filters:
    """The document filters shared by /documents, /coverage and the planning page."""

    disease_area: str | None = None
    kind: str | None = None
    owner: str | None = None
    status: str | None = None
    population: str | None = None
    topic: str | None = None
    valid_on: dt.date | None = None
    q: str | None = None
    #: Which levels and purposes count as coverage, comma-separated (default national, clinical):
    #: "national,regional" adds regional guidelines. Not a document filter: what counts, not what is shown.
    level: str | None = None
    purpose: str | None = None
    #: Document facets of the documents list (comma-separated values; any of them matches).
    validity: str | None = None
    doc_level: str | None = None
    doc_purpose: str | None = None
    year: str | None = None

    def counting(self) -> tuple[frozenset[str], frozenset[str]]:
        """Return the levels and the purposes that count as coverage under these filters.

        Raises:
            FilterError: naming an unknown level or purpose.
        """
        return (
            _choices("level", self.level, LEVELS, DEFAULT_LEVELS),
            _choices("purpose", self.purpose, PURPOSES, DEFAULT_PURPOSES),
        )


def _choices(field_name: str, given: str | None, known: tuple[str, ...], default: frozenset[str]) -> frozenset[str]:
    if not given or not given.strip():
        return default
    chosen = frozenset(v.strip() for v in given.split(",") if v.strip())
    unknown = sorted(chosen - set(known))
    if unknown:
        choices = ", ".join(known)
        raise FilterError(field_name, given, f"unknown {field_name}: {unknown[0]!r} (use one or more of {choices})")
    return chosen or default


def _concept(land: Landscape, field_name: str, value: str) -> str:
    vocab = land.vocabulary
    if field_name == "kind":
        cls = vocab.kind(value)
        if cls is None:
            raise FilterError(field_name, value, f"unknown kind: {value!r} (use one of {', '.join(KINDS)})")
        return str(cls).split("#")[-1]
    scheme = {"status": vocab.statuses, "population": vocab.populations, "topic": vocab.topics}[field_name]
    concept = scheme.resolve(value)
    if concept is None:
        raise FilterError(field_name, value, scheme.unknown(value))
    return str(concept).rsplit("/", 1)[-1]


def resolve_owner(land: Landscape, value: str) -> str:
    """Return the id of the organisation named by id, name, abbreviation or English name (see ``graph.model.names``)."""
    found = land.owner_id(value)
    if found is None:
        raise FilterError("owner", value, land.unknown_owner(value))
    return found


def owner_family(land: Landscape, org_id: str) -> set[str]:
    """Return the organisation and all its sub-organisations (DMPG.dk includes the seven DMPGs)."""
    family = {org_id}
    changed = True
    while changed:
        more = {o.id for o in land.organisations.values() if o.parent in family} - family
        changed = bool(more)
        family |= more
    return family


def filter_documents(land: Landscape, filters: Filters) -> list[Document]:
    """Return the documents matching every filter, sorted by title (each filter keeps the title order).

    Raises:
        FilterError: naming the first unknown code or value.
    """
    docs = list(land.by_title)
    if filters.disease_area:
        concepts = land.vocabulary.disease_areas(filters.disease_area)
        if not concepts:
            raise FilterError(
                "disease_area",
                filters.disease_area,
                f"unknown ICD-10 chapter V code: {filters.disease_area!r} (use e.g. F32, DF32, F30-F39 or F32-F33)",
            )
        wanted = set().union(*(land.descendants_and_self(str(c)) for c in concepts))
        docs = [d for d in docs if wanted & set(d.disease_areas)]
    if filters.kind:
        kind = _concept(land, "kind", filters.kind)
        docs = [d for d in docs if d.kind == kind]
    if filters.owner:
        owners = owner_family(land, resolve_owner(land, filters.owner))
        docs = [d for d in docs if owners & set(d.owners)]
    if filters.status:
        status = _concept(land, "status", filters.status)
        docs = [d for d in docs if d.status == status]
    if filters.population:
        population = _concept(land, "population", filters.population)
        docs = [d for d in docs if population in d.populations or "all" in d.populations]
    if filters.topic:
        topic = _concept(land, "topic", filters.topic)
        narrower = land.vocabulary.narrower_topics(topic)
        docs = [d for d in docs if narrower & set(d.topics)]
    if filters.valid_on:
        docs = [d for d in docs if land.is_valid(d, filters.valid_on)]
    for facet, known in (("validity", VALIDITIES), ("doc_level", LEVELS), ("doc_purpose", PURPOSES)):
        field_name = facet.removeprefix("doc_")
        chosen = _choices(field_name, getattr(filters, facet), known, frozenset())
        if chosen:
            docs = [d for d in docs if getattr(d, field_name) in chosen]
    if filters.year:
        docs = [d for d in docs if search.year(d) == filters.year]
    if filters.q:
        docs = search.matching(land, docs, filters.q)
    return docs


#: The documents page's query parameters (and its exports'): search words, facets, order.
DOCUMENT_QUERY = (
    "q",
    "kind",
    "owner",
    "status",
    "validity",
    "level",
    "purpose",
    "disease_area",
    "population",
    "year",
    "sort",
)


def find_documents(land: Landscape, given: Mapping[str, str]) -> tuple[list[Document], dict[str, str]]:
    """Return the documents the documents page's query *given* selects, in its order, and the query used.

    Raises:
        FilterError: naming the first unknown value.
    """
    used = {k: given[k].strip() for k in DOCUMENT_QUERY if given.get(k, "").strip()}
    order = used.get("sort", "title")
    if order not in search.SORTS:
        raise FilterError("sort", order, f"unknown order: {order!r} (use one of {', '.join(search.SORTS)})")
    if "year" in used and not re.fullmatch(r"\d{4}", used["year"]):
        raise FilterError("year", used["year"], f"not a year: {used['year']!r}")
    filters = Filters(
        disease_area=used.get("disease_area"),
        kind=used.get("kind"),
        owner=used.get("owner"),
        status=used.get("status"),
        population=used.get("population"),
        q=used.get("q"),
        validity=used.get("validity"),
        doc_level=used.get("level"),
        doc_purpose=used.get("purpose"),
        year=used.get("year"),
    )
    return search.sort(land, filter_documents(land, filters), order), used


# Shapes of the answers ---------------------------------------------------------------


def document_json(land: Landscape, doc: Document) -> dict[str, Any]:
    """Return a document as the API's JSON object: the fields of :class:`Document`, in its order.

    Owners, disease areas and links are spelled out for a reader; ``kind_label`` follows ``kind``.
    """
    shown: dict[str, Any] = {}
    for name in DOCUMENT_FIELDS:
        value = getattr(doc, name)
        if name == "owners":
            value = [{"id": o, "name": land.owner_name(o)} for o in value]
        elif name == "disease_areas":
            value = [
                {"notation": land.notation(a), "label": land.area_label(a), "label_en": land.area_label(a, "en")}
                for a in value
            ]
        elif name == "links":
            # The title is for pages ("erstatter <title>"); the API's LinkOut keeps type and target.
            known = land.documents
            value = [
                {"type": t, "target": target, "title": known[target].title if target in known else None}
                for t, target in value
            ]
        shown[name] = value
        if name == "kind":
            shown["kind_label"] = _kind_label(land, doc.kind)
    return shown


def _kind_label(land: Landscape, kind: str, lang: str = "da") -> str:
    for label in land.vocabulary.graph.objects(GD[kind], RDFS.label):
        if getattr(label, "language", None) == lang:
            return str(label)
    return kind


def organisations(land: Landscape) -> list[dict[str, Any]]:
    """Return every organisation with its parent and number of documents."""
    counts = Counter(o for d in land.documents.values() for o in d.owners)
    return [
        {
            "id": org.id,
            "iri": org.iri,
            "name": org.name,
            "name_en": org.name_en,
            "abbreviation": org.abbreviation,
            "types": org.types,
            "parent": org.parent,
            "documents": counts[org.id],
        }
        for org in land.organisations.values()
    ]


def organisation_detail(store: Store, land: Landscape, org_id: str) -> dict[str, Any] | None:
    """Return one organisation with its documents, disease areas and merger history."""
    org = land.organisations.get(org_id)
    if org is None:
        return None
    base = next(item for item in organisations(land) if item["id"] == org_id)
    docs = [d for d in land.documents.values() if org_id in d.owners]
    areas = Counter(a for d in docs for a in d.disease_areas)
    events: dict[str, dict[str, Any]] = {}
    for row in store.select(query("organisation_history"), {"org": URIRef(org.iri)}):
        event = events.setdefault(
            str(row["event"]),
            {
                "event": str(row["event"]),
                "label": str(row["label"]) if "label" in row else None,
                "date": str(row["date"]) if "date" in row else None,
                "original": [],
                "resulting": [],
            },
        )
        side = "original" if row["role"] == ORG.originalOrganization else "resulting"
        event[side].append(str(row["party"]).rsplit("/", 1)[-1])
    for event in events.values():
        event["original"], event["resulting"] = (
            sorted(set(event["original"])),
            sorted(set(event["resulting"])),
        )
    history = sorted(events.values(), key=lambda e: e["date"] or "")
    return {
        **base,
        "sub_organisations": sorted(o.id for o in land.organisations.values() if o.parent == org_id),
        "sources": org.sources,
        "document_list": [{"id": d.id, "title": d.title, "kind": d.kind, "status": d.status} for d in docs],
        "disease_areas": [
            {"notation": land.notation(a), "label": land.area_label(a), "documents": n} for a, n in areas.most_common()
        ],
        "history": history,
    }


# Disease areas and coverage ------------------------------------------------------------


def _planning(land: Landscape) -> list[str]:
    graph = land.vocabulary.graph
    return sorted(str(c) for c in graph.subjects(GD.planningLevel, None))


def coverage(land: Landscape, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """Count the documents that count as coverage (:meth:`Landscape.counts`) per planning area and kind, with ids.

    A document counts for an area when one of its codes is the area, a narrower code,
    or a broader code below the chapter (a block-level guideline covers its categories).
    Kept per filter set in the landscape's snapshot (the ``COVERAGE`` view), so a request reads
    the rows instead of counting them again; do not modify the rows returned.
    """
    return land.snapshot.get(COVERAGE, filters)[1]


def _coverage(snap: Snapshot, filters: Filters) -> tuple[Landscape, list[dict[str, Any]]]:
    land = snap[LANDSCAPE]
    wanted = _counted(land, filters)  # once, not once per area: a pass over every document
    return land, [_coverage_row(land, concept, wanted) for concept in _planning(land)]


def _recount(
    snap: Snapshot, old: tuple[Landscape, list[dict[str, Any]]], changed: frozenset[str], filters: Filters
) -> tuple[Landscape, list[dict[str, Any]]] | None:
    """After a write, count again only the areas the changed documents touch (the unfiltered rows)."""
    if filters != Filters():
        return None
    land, (before, rows) = snap[LANDSCAPE], old
    touched = land.changed_concepts(before, changed)
    wanted = _counted(land, filters)
    kept = {row["notation"]: row for row in rows}
    return land, [
        kept[land.notation(c)] if c not in touched else _coverage_row(land, c, wanted) for c in _planning(land)
    ]


def _counted(land: Landscape, filters: Filters) -> set[str]:
    """Return the ids of the documents *filters* selects that count as coverage (then, or now: ``Landscape.counts``)."""
    levels, purposes = filters.counting()
    docs = land.documents.values() if filters == Filters() else filter_documents(land, filters)
    return {d.id for d in docs if land.counts(d, filters.valid_on, levels, purposes)}


#: Coverage rows per filter set, with the landscape they count. Filters come from requests: a bounded number.
COVERAGE: View[tuple[Landscape, list[dict[str, Any]]]] = View(
    "coverage", build=_coverage, update=_recount, keyed=True, bound=256
)


def _coverage_row(land: Landscape, concept: str, wanted: set[str]) -> dict[str, Any]:
    covering = sorted((land.documents[i] for i in land.covering(concept) & wanted), key=lambda d: d.id)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for d in covering:
        by_kind[d.kind].append(d.id)
    return {
        "notation": land.notation(concept),
        "label": land.area_label(concept),
        "label_en": land.area_label(concept, "en"),
        "level": "block" if "-" in land.notation(concept) else "category",
        "counts": {kind: len(by_kind.get(kind, [])) for kind in KINDS},
        "documents": {kind: sorted(ids) for kind, ids in by_kind.items()},
        "total": len(covering),
    }


def disease_area_tree(land: Landscape) -> list[dict[str, Any]]:
    """Return chapter V as a tree of blocks and categories with valid documents per kind."""
    vocab = land.vocabulary
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in vocab.broader.items():
        children[str(parent)].append(str(child))
    valid = {d.id for d in land.documents.values() if land.counts(d)}
    planning = set(_planning(land))

    def node(concept: str) -> dict[str, Any]:
        covering = [land.documents[i] for i in land.covering(concept) & valid]
        counts = Counter(d.kind for d in covering)
        return {
            "notation": land.notation(concept),
            "sks": "D" + land.notation(concept).replace("-", "-D"),
            "label": land.area_label(concept),
            "label_en": land.area_label(concept, "en"),
            "planning": concept in planning,
            "counts": {kind: counts.get(kind, 0) for kind in KINDS},
            "total": len(covering),
            "children": [node(c) for c in sorted(children.get(concept, []), key=land.notation)],
        }

    roots = [str(c) for c in vocab.graph.subjects(SKOS.topConceptOf, None) if str(c) in children]
    return [node(r) for r in sorted(roots)]


def _owned(land: Landscape, ids: list[str] | tuple[str, ...], family: frozenset[str]) -> np.ndarray:
    """Return a mask over the scope index's slots: the documents some organisation of *family* owns."""
    docs = land.documents
    slots = np.zeros(len(ids), dtype=bool)
    slots[[n for n, i in enumerate(ids) if i in docs and family & set(docs[i].owners)]] = True
    return slots


def _owner_pairs(snap: Snapshot, key: tuple[frozenset[str], frozenset[str] | None]) -> PairTable:
    """The related pairs of one owner family's documents (with another family's, if given)."""
    land, (mine, theirs) = snap[LANDSCAPE], key
    ids = scope_index(land).ids
    x = np.flatnonzero(_owned(land, ids, mine))
    y = None if theirs is None else np.flatnonzero(_owned(land, ids, theirs))
    # Others asking for the same owners wait for this build: its own deadline, not the starter's.
    with budget.shared():
        return pairs_of(land, x, y)


#: The pairs of an owner family (with another), keyed by the families: one build for all who ask.
OWNER_PAIRS: View[PairTable] = View("owner pairs", build=_owner_pairs, keyed=True, bound=16)


def overlaps_between(
    land: Landscape,
    owner: str | None = None,
    other_owner: str | None = None,
    relations: Iterable[str] = RELATIONS,
    min_score: float = 0.0,
) -> PairList:
    """Return related pairs, best first; with two owners, only the pairs between them.

    An owner includes its sub-organisations (DMPG.dk includes the seven DMPGs), as in
    ``/documents?owner=``; with one owner, the pairs that involve it.

    Raises:
        FilterError: if an owner is unknown.
    """
    first = owner_family(land, resolve_owner(land, owner)) if owner else set()
    second = owner_family(land, resolve_owner(land, other_owner)) if other_owner else set()
    if not (first or second):
        return pairs(land, relations, min_score)
    budget.check()
    mine, theirs = frozenset(first or second), frozenset(second) if first and second else None
    table = land.snapshot.peek(PAIRS)
    if table is MISSING:
        # Only the owners' rows: a few hundred documents against the rest, not every pair; built
        # once for everyone asking about these owners meanwhile, and kept for this generation.
        table = land.snapshot.get(OWNER_PAIRS, (mine, theirs))
        return PairList(table, table.select(relations, min_score))
    index = scope_index(land)
    x = _owned(land, index.ids, mine)
    y = None if theirs is None else _owned(land, index.ids, theirs)
    found = table.select(relations, min_score)
    a, b = table.a[found], table.b[found]
    keep = x[a] | x[b] if y is None else (x[a] & y[b]) | (y[a] & x[b])
    return PairList(table, found[keep])


def covers(land: Landscape, doc: Document, concept: str) -> bool:
    """Return True if *doc* covers *concept* (see ``Landscape.covering``)."""
    return doc.id in land.covering(concept)


_covers = covers  # the name the planning page first used


# Gaps --------------------------------------------------------------------------------


def gaps(store: Store, land: Landscape, rule: str | None = None) -> list[dict[str, Any]]:
    """Return the gaps found by the SHACL gap rules, with the documents behind each.

    Documents past the review horizon come as a priority list: first those that are the only
    guidance in force for their areas, then the most years over the horizon.
    """
    items = []
    for n, result in enumerate(run_rules(store)):
        if n % 1024 == 0:
            budget.check()
        if rule and result.rule != rule:
            continue
        items.append(_gap_item(land, result))
    reviews = sorted(
        (i for i in items if i["rule"] == "reviewHorizon"),
        key=lambda i: (
            not i["review"]["only_guidance_in_force_for_its_areas"],
            -(i["review"]["years_over_horizon"] or 0),
        ),
    )
    at = iter(reviews)
    return [next(at) if i["rule"] == "reviewHorizon" else i for i in items]


def _gap_item(land: Landscape, result: GapResult) -> dict[str, Any]:
    focus_id = result.focus.rsplit("/", 1)[-1]
    area: str | None = None
    documents: list[str] = []
    organisation = None
    if result.rule in ("uncovered", "mayBeUncovered", "children", "childhoodOnset", "treatment"):
        area = result.focus
        in_area = sorted((land.documents[i] for i in land.covering(area)), key=lambda d: d.id)
        if result.rule == "uncovered":
            documents = [d.id for d in in_area]  # what exists there does not count
        elif result.rule == "mayBeUncovered":
            documents = [
                d.id
                for d in in_area
                if d.valid and (d.validity, d.level, d.purpose) == ("unknown", "national", "clinical")
            ]
        elif result.rule in ("children", "childhoodOnset"):
            documents = [d.id for d in in_area if land.counts(d) and "adults" in d.populations]
        else:
            documents = [d.id for d in in_area if land.counts(d) and "assessment" in d.topics]
    elif result.rule == "orphanedNKR":
        area = result.value
        documents = [focus_id]
    elif result.rule == "reviewHorizon":
        doc = land.documents.get(focus_id)
        area = doc.disease_areas[0] if doc and doc.disease_areas else None
        documents = [focus_id]
    elif result.rule == "idleDMPG":
        organisation = focus_id
        documents = sorted(d.id for d in land.documents.values() if focus_id in d.owners)
    item: dict[str, Any] = {
        "disease_area": land.notation(area) if area else None,
        "label": land.area_label(area) if area else (land.owner_name(organisation) if organisation else None),
        "rule": result.rule,
        "shape": result.shape,
        "severity": result.severity,
        "message": result.message,
        "message_en": result.message_en,
        "focus": result.focus,
        "organisation": organisation,
        "documents": sorted(documents),
        # The documents by name, so a planner reads the gap without looking each id up.
        "named_documents": [_named(land, land.documents[i]) for i in sorted(documents) if i in land.documents],
    }
    if result.rule == "reviewHorizon" and focus_id in land.documents:
        item["review"] = _review(land, land.documents[focus_id])
    return item


#: The gap the filters themselves find: an area where nothing that counts under them covers it.
FILTERED_RULE = "uncoveredWithFilters"
_FILTERED_MESSAGES = (
    "Med de valgte filtre dækker intet dokument, der tæller med, sygdomsområdet {code}.",
    "With the chosen filters, no document that counts covers the disease area {code}.",
)
_COVERAGE_RULES = ("uncovered", "mayBeUncovered")
_COVERED_RULES = ("children", "childhoodOnset", "treatment")  # gaps inside an area that is covered


def gaps_under(land: Landscape, items: list[dict[str, Any]], filters: Filters) -> list[dict[str, Any]]:
    """Return the gap list that follows the matrix's *filters*: the planner sees the gaps of what they look at.

    *items* are the SHACL gap rules' items (:func:`gaps`, national clinical guidance in force for
    everyone, today).  Under filters the same areas are judged by the matrix's own counting
    (:func:`coverage` with *filters*: population, owner, topic, status, valid on, and the levels and
    purposes that count):

    - ``uncovered``/``mayBeUncovered`` stay where nothing counts under the filters either; an area
      the filters leave uncovered that the rules did not flag gets an ``uncoveredWithFilters`` item
      (e.g. with population children, an area covered only for adults);
    - gaps inside covered areas (children, childhood onset, treatment) stay where the area is
      still covered, children's gaps only when no other population is chosen;
    - gaps about one document (orphaned NKR, review horizon) stay when the filters select it;
      an idle DMPG stays when no owner is chosen or it is the owner or inside it.

    Raises:
        FilterError: naming the first unknown filter value.
    """
    if filters == Filters():
        return items
    rows = coverage(land, filters)
    uncovered = {row["notation"] for row in rows if row["total"] == 0}
    selection = replace(filters, valid_on=None, level=None, purpose=None)
    selected = {d.id for d in filter_documents(land, selection)} if selection != Filters() else set(land.documents)
    owners = owner_family(land, resolve_owner(land, filters.owner)) if filters.owner else None
    children_only = filters.population is None or _concept(land, "population", filters.population) == "children"
    found, flagged = [], set()
    for item in items:
        rule, area = item["rule"], item["disease_area"]
        if rule in _COVERAGE_RULES:
            keep = area in uncovered
            flagged.add(area)
        elif rule in _COVERED_RULES:
            keep = area not in uncovered and (rule == "treatment" or children_only)
        elif rule == "idleDMPG":
            keep = owners is None or item["organisation"] in owners
        else:  # orphanedNKR, reviewHorizon: one document each
            keep = all(d in selected for d in item["documents"])
        if keep:
            found.append(item)
    concepts = {land.notation(c): c for c in _planning(land)}
    for row in rows:
        if row["notation"] in uncovered and row["notation"] not in flagged:
            found.append(_filtered_item(land, concepts[row["notation"]], selected))
    return found


def _filtered_item(land: Landscape, concept: str, selected: set[str]) -> dict[str, Any]:
    code = land.notation(concept)
    documents = sorted(i for i in land.covering(concept) if i in selected)  # there, but none counts
    return {
        "disease_area": code,
        "label": land.area_label(concept),
        "rule": FILTERED_RULE,
        "shape": "",
        "severity": "Warning",
        "message": _FILTERED_MESSAGES[0].format(code=code),
        "message_en": _FILTERED_MESSAGES[1].format(code=code),
        "focus": concept,
        "organisation": None,
        "documents": documents,
        "named_documents": [_named(land, land.documents[i]) for i in documents],
    }


def _named(land: Landscape, doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "title": doc.title, "kind": doc.kind, "owners": [land.owner_name(o) for o in doc.owners]}


def _review(land: Landscape, doc: Document) -> dict[str, Any]:
    """What a planner needs to rank a document past the review horizon: age and whether it stands alone."""
    latest = doc.modified or doc.issued or ""
    years = None
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", latest):
        # The end of the period given, as the review rule reads it (a year: 31 December; a month: its 28th).
        end = dt.date.fromisoformat(
            latest if len(latest) == 10 else f"{latest}-28" if len(latest) == 7 else f"{latest}-12-31"
        )
        years = int((dt.date.today() - end).days // 365.25) - 3  # whole years: the answer changes once a year
    alone = bool(doc.disease_areas) and all(
        not any(land.counts(land.documents[i]) for i in land.covering(a) if i != doc.id) for a in doc.disease_areas
    )
    return {
        "last_revised": latest or None,
        "years_over_horizon": years,
        "in_force": land.counts(doc),
        "only_guidance_in_force_for_its_areas": land.counts(doc) and alone,
    }
