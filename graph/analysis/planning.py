"""The planning view model: the coverage matrix with cell states, cell lists and filter choices.

Counts come from :func:`graph.analysis.views.coverage` and gaps from :func:`graph.analysis.views.gaps`, so the
page, its exports and the JSON API answer with one definition.  This module adds only what a
picture needs on top: a state per cell, the block each category belongs to, labels in both
languages, and the documents behind a cell.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from rdflib import URIRef

from graph import budget
from graph.analysis import overlap, views
from graph.model.landscape import LANDSCAPE, Document, Landscape
from graph.model.snapshot import Snapshot, View, snapshot
from graph.model.vocabulary import KINDS, vocabulary
from graph.store.core import Store
from graph.store.namespaces import CHAPTER, GD, RDFS, SKOS
from graph.validation.validate import ValidationResult, validate_store

__all__ = [
    "GAPS",
    "MATRIX",
    "PLANNING_INDEXES",
    "RULE_LABELS",
    "STATES",
    "VALIDATION",
    "Cell",
    "CellPage",
    "Matrix",
    "Row",
    "cell_documents",
    "choices",
    "filter_labels",
    "gaps",
    "matrix",
    "overlaps_between",
    "pairs",
    "planning_concepts",
    "validation",
    "warm",
]

# Cell states, worst first.  "historical": none counts, but guidance of the counted level and purpose
# is there, valid by its status, and no source shows it still in force (shown apart, never as covered);
# "stale": documents exist but none counts as coverage (not valid, regional, organisational, not yet
# published, validity unknown; Landscape.counts); "partial": documents
# that count address only a narrower part of
# the area (only F50.0 within F50; within F30-F39 only F32 and F33, while F30, F31 or F34 of
# the planning categories has no valid document of that kind).
STATES = ("none", "historical", "stale", "partial", "covered")
# Short column heads for the matrix (the full labels come from the ontology).
KIND_SHORT = {
    "DMPGGuideline": ("DMPG", "DMPG"),
    "NationalClinicalRecommendation": ("NKA", "NKA"),
    "NationalClinicalGuideline": ("NKR", "NKR"),
    "CourseDescription": ("Forløbs\u00adbeskrivelse", "Course descr."),
    "PackagePathway": ("Pakke\u00adforløb", "Package pathway"),
    "ChooseWiselyRecommendation": ("Vælg Klogt", "Choosing Wisely"),
    "Guidance": ("Vejledning", "Guidance"),
    "RegionalGuideline": ("Regional", "Regional"),
    "Other": ("Andet", "Other"),
}

# What each gap rule means, as a heading in the gap list (the rule's own message says the rest),
# most pressing first: the gap list is sorted in this order.
RULE_LABELS = {
    "uncovered": ("Ingen gældende national klinisk vejledning", "No national clinical guidance in force"),
    views.FILTERED_RULE: ("Udækket med de valgte filtre", "Uncovered with the chosen filters"),
    "mayBeUncovered": ("Måske udækket: ukendt gyldighed", "May be uncovered: validity unknown"),
    "orphanedNKR": ("Efterladt NKR", "Orphaned NKR"),
    "treatment": ("Mangler om behandling", "Missing on treatment"),
    "childhoodOnset": ("Debut i barndommen, vejledning kun for voksne", "Childhood onset, guidance only for adults"),
    "children": ("Mangler for børn og unge", "Missing for children"),
    "idleDMPG": ("DMPG uden retningslinje", "DMPG without guideline"),
    "reviewHorizon": ("Over revisionshorisont", "Past review horizon"),
}


@dataclass
class Cell:
    """One disease area by one kind (or by all kinds, for the row total)."""

    kind: str | None
    count: int  # valid documents, as GET /coverage counts them
    state: str
    documents: list[str] = field(default_factory=list)  # every matching document, valid or not


@dataclass
class Row:
    """One planning disease area: an ICD-10 block or a category inside one."""

    notation: str
    label: str
    label_en: str
    level: str  # "block" or "category"
    block: str  # the notation of the block (itself, for a block)
    cells: list[Cell]
    total: Cell


@dataclass
class Matrix:
    """Planning areas by kind, blocks first with their categories after each."""

    kinds: list[dict[str, str]]
    rows: list[Row]

    def blocks(self) -> list[tuple[Row, list[Row]]]:
        """Return each block row with the category rows inside it."""
        return [
            (row, [r for r in self.rows if r.level == "category" and r.block == row.notation])
            for row in self.rows
            if row.level == "block"
        ]

    def summary(self) -> dict[str, int]:
        """Count the block rows per state of their total."""
        counts = dict.fromkeys(STATES, 0)
        for row in self.rows:
            if row.level == "block":
                counts[row.total.state] += 1
        return counts


# Indexes over the vocabulary ------------------------------------------------------------


def planning_concepts(land: Landscape) -> list[str]:
    """Return the planning disease areas (ontology/planning.ttl), sorted."""
    return sorted(str(c) for c in land.vocabulary.graph.subjects(GD.planningLevel, None))


def _block_of(land: Landscape, concept: str, blocks: set[str]) -> str:
    if concept in blocks:
        return concept
    for ancestor in land.vocabulary.ancestors(URIRef(concept)):
        if str(ancestor) in blocks:
            return str(ancestor)
    return concept


def _indexes(land: Landscape) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per planning concept: documents covering it (as views.coverage counts) and naming it whole."""
    return land.snapshot[PLANNING_INDEXES]


def _build_indexes(snap: Snapshot) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    land = snap[LANDSCAPE]
    vocab = land.vocabulary
    covers: dict[str, set[str]] = {}
    whole: dict[str, set[str]] = {}
    for concept in planning_concepts(land):
        budget.check()
        ancestors = {str(a) for a in vocab.ancestors(URIRef(concept))} - {CHAPTER}
        # From the landscape's area indexes, not a pass over every document per area (seconds at scale).
        covers[concept] = set(land.covering(concept))
        whole[concept] = set().union(*(land.by_area_exact.get(a, set()) for a in ancestors | {concept}))
    return covers, whole


PLANNING_INDEXES: View[tuple[dict[str, set[str]], dict[str, set[str]]]] = View("planning indexes", _build_indexes)


# The matrix -----------------------------------------------------------------------------


def _state(docs: list[Document], valid: set[str], whole: set[str], historical: set[str]) -> str:
    if not docs:
        return "none"
    live = [d for d in docs if d.id in valid]
    if not live:
        return "historical" if any(d.id in historical for d in docs) else "stale"
    if not any(d.id in whole for d in live):
        return "partial"
    return "covered"


def matrix(land: Landscape, filters: views.Filters | None = None) -> Matrix:
    """Return the planning matrix for *filters*, built once per filter set (the ``MATRIX`` view).

    Raises:
        FilterError: naming the first unknown filter value.
    """
    return land.snapshot.get(MATRIX, filters or views.Filters())


def _matrix(snap: Snapshot, filters: views.Filters) -> Matrix:
    # Everyone asking for this filter set waits for this build: cut at the deadline of the request
    # that started it, it would start over for each of them (graph.budget.shared).
    with budget.shared():
        return _build_matrix(snap, filters)


def _build_matrix(snap: Snapshot, filters: views.Filters) -> Matrix:
    land = snap[LANDSCAPE]
    counted = {row["notation"]: row for row in views.coverage(land, filters)}
    pool = views.filter_documents(land, replace(filters, valid_on=None))
    levels, purposes = filters.counting()
    valid = {d.id for d in pool if land.counts(d, filters.valid_on, levels, purposes)}
    # Only today's matrix knows what the sources show now; on a past day the dates decide alone.
    historical = (
        set()
        if filters.valid_on
        else {
            d.id
            for d in pool
            if d.valid and d.validity == "historical" and d.level in levels and d.purpose in purposes
        }
    )
    pooled = {d.id for d in pool}
    covers, whole = _indexes(land)
    planning = planning_concepts(land)
    blocks = {c for c in planning if "-" in land.notation(c)}
    block_of = {c: _block_of(land, c, blocks) for c in planning}
    rows = []
    # Categories first: a block whose every planning category is covered is covered too.
    covered: set[tuple[str, str | None]] = set()
    for concept in sorted(planning, key=lambda c: c in blocks):
        budget.check()
        data = counted[land.notation(concept)]
        in_area = _ordered((land.documents[i] for i in covers[concept] if i in pooled), valid)  # once, not per kind
        parts = [c for c in planning if c not in blocks and block_of[c] == concept]
        cells = []
        for kind in (*KINDS, None):
            docs = [d for d in in_area if kind is None or d.kind == kind]
            state = _state(docs, valid, whole[concept], historical)
            if state == "partial" and parts and all((part, kind) in covered for part in parts):
                state = "covered"
            if state == "covered":
                covered.add((concept, kind))
            count = data["counts"][kind] if kind else data["total"]
            cells.append(Cell(kind, count, state, [d.id for d in docs]))
        total = cells.pop()
        rows.append(
            Row(
                notation=data["notation"],
                label=data["label"],
                label_en=data["label_en"],
                level=data["level"],
                block=land.notation(block_of[concept]),
                cells=cells,
                total=total,
            )
        )
    rows.sort(key=lambda r: (r.block, r.level != "block", r.notation))
    return Matrix(kinds=kind_columns(), rows=rows)


#: The planning matrix per filter set. Filters come from users: a bounded number.
MATRIX: View[Matrix] = View("planning matrix", build=_matrix, keyed=True, bound=64)


def _ordered(docs: Iterable[Document], valid: set[str]) -> list[Document]:
    return sorted(docs, key=lambda d: (d.id not in valid, d.title.casefold(), d.id))


@dataclass
class CellPage:
    """A page of one matrix cell's documents, and what the whole cell holds."""

    row: Row
    cell: Cell
    items: list[dict[str, Any]]  # the page: views.document_json with ``valid_on_date`` and ``counts``
    total: int  # documents in the cell
    counting: int  # of them, those that count as coverage (the cell's number counts these)


def cell_documents(
    land: Landscape,
    notation: str,
    kind: str | None,
    filters: views.Filters | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> CellPage:
    """Return a page of the documents of one matrix cell, valid first, each with ``valid_on_date`` and ``counts``.

    Only the page is made into answers: a cell of a broad area holds thousands of documents at scale.

    Raises:
        FilterError: if *notation* is not a planning area or *kind* is unknown.
    """
    filters = filters or views.Filters()
    row = next((r for r in matrix(land, filters).rows if r.notation == notation), None)
    if row is None:
        raise views.FilterError("area", notation, f"not a planning disease area: {notation!r}")
    if kind is None:
        cell = row.total
    else:
        cell = next((c for c in row.cells if c.kind == kind), None)  # type: ignore[assignment]
        if cell is None:
            raise views.FilterError("kind", kind, f"unknown kind: {kind!r} (use one of {', '.join(KINDS)})")
    # The rest is bounded by the cell and the page: only a hang-up stops it, not a deadline that
    # may have passed while this request waited for another's matrix build.
    levels, purposes = filters.counting()
    counting = 0
    for n, doc_id in enumerate(cell.documents):
        if n % 4096 == 0:
            budget.check_cancelled()
        counting += land.counts(land.documents[doc_id], filters.valid_on, levels, purposes)
    shown = cell.documents[offset : None if limit is None else offset + limit]
    items = []
    for n, doc_id in enumerate(shown):
        if n % 64 == 0:
            budget.check_cancelled()
        doc = land.documents[doc_id]
        valid = land.is_valid(doc, filters.valid_on) if filters.valid_on else doc.valid
        # counts: whether it makes the area covered (Landscape.counts), as the cell's number does.
        counts = land.counts(doc, filters.valid_on, levels, purposes)
        items.append({**views.document_json(land, doc), "valid_on_date": valid, "counts": counts})
    return CellPage(row=row, cell=cell, items=items, total=len(cell.documents), counting=counting)


# Labels ---------------------------------------------------------------------------------


def _label(subject: URIRef, prop: URIRef, lang: str) -> str:
    for label in vocabulary().graph.objects(subject, prop):
        if getattr(label, "language", None) == lang:
            return str(label)
    return str(subject).rsplit("/", 1)[-1].split("#")[-1]


def kind_columns() -> list[dict[str, str]]:
    """Return the kinds as matrix columns: id, Danish and English label and short head."""
    return [
        {
            "id": kind,
            "label": _label(GD[kind], RDFS.label, "da"),
            "label_en": _label(GD[kind], RDFS.label, "en"),
            "short": KIND_SHORT[kind][0],
            "short_en": KIND_SHORT[kind][1],
        }
        for kind in KINDS
    ]


@cache
def labels() -> dict[str, dict[str, tuple[str, str]]]:
    """Return (Danish, English) labels per notation for populations, topics, statuses and kinds."""
    vocab = vocabulary()
    result: dict[str, dict[str, tuple[str, str]]] = {}
    for name, scheme in (
        ("population", vocab.populations),
        ("topic", vocab.topics),
        ("status", vocab.statuses),
    ):
        result[name] = {
            n: (_label(c, SKOS.prefLabel, "da"), _label(c, SKOS.prefLabel, "en")) for n, c in scheme.concepts.items()
        }
    result["kind"] = {k["id"]: (k["label"], k["label_en"]) for k in kind_columns()}
    return result


def choices(land: Landscape) -> dict[str, list[dict[str, str]]]:
    """Return the values the filter and draft forms offer, with labels in both languages."""
    found: dict[str, list[dict[str, str]]] = {
        name: [{"value": n, "label": da, "label_en": en} for n, (da, en) in values.items()]
        for name, values in labels().items()
    }
    found["owner"] = sorted(
        ({"value": o.id, "label": o.name, "label_en": o.name_en or o.name} for o in land.organisations.values()),
        key=lambda o: o["label"].casefold(),
    )
    return found


#: The levels and purposes a planner can make count as coverage (Filters.level, Filters.purpose).
COUNTING_LABELS = {
    "level": {"national": ("national", "national"), "regional": ("regional", "regional"), "local": ("lokal", "local")},
    "purpose": {
        "clinical": ("klinisk", "clinical"),
        "organisational": ("organisatorisk", "organisational"),
        "background": ("baggrund", "background"),
    },
}


def counting(land: Landscape, filters: views.Filters) -> dict[str, Any]:
    """Return :func:`_counting` for *filters*, made once per filter set (the ``COUNTING`` view).

    Raises:
        FilterError: naming an unknown filter value.
    """
    return land.snapshot.get(COUNTING, filters)


def _counting(snap: Snapshot, filters: views.Filters) -> dict[str, Any]:
    """Say what counts as coverage under *filters*, and how many documents count or are left out, and why.

    The planning page shows this beside the matrix, so a planner sees which documents make an
    area covered: ``counted`` documents count; of the rest, ``not_counted`` says how many are
    historical, of unknown validity, or at a level or with a purpose that is not counted.
    """
    land = snap[LANDSCAPE]
    levels, purposes = filters.counting()
    counted = not_level = not_purpose = historical = unknown = 0
    for n, doc in enumerate(views.filter_documents(land, replace(filters, valid_on=None, level=None, purpose=None))):
        if n % 4096 == 0:
            budget.check()
        if land.counts(doc, filters.valid_on, levels, purposes):
            counted += 1
        elif not land.is_valid(doc, filters.valid_on):
            continue
        elif doc.level not in levels:
            not_level += 1
        elif doc.purpose not in purposes:
            not_purpose += 1
        elif doc.validity == "historical":
            historical += 1
        elif doc.validity == "unknown":
            unknown += 1

    def text(name: str, chosen: frozenset[str]) -> tuple[str, str]:
        labels = [COUNTING_LABELS[name][v] for v in COUNTING_LABELS[name] if v in chosen]
        return " / ".join(da for da, _ in labels), " / ".join(en for _, en in labels)

    return {
        "counted": counted,
        "not_counted": {"level": not_level, "purpose": not_purpose, "historical": historical, "unknown": unknown},
        "counting": {"level": levels, "purpose": purposes},
        "counting_text": {"level": text("level", levels), "purpose": text("purpose", purposes)},
        "counting_choices": {
            name: [{"id": v, "label": da, "label_en": en} for v, (da, en) in values.items()]
            for name, values in COUNTING_LABELS.items()
        },
    }


#: What counts, per filter set (bounded like the matrix: filters come from users).
COUNTING: View[dict[str, Any]] = View("counting", build=_counting, keyed=True, bound=64)

_FILTER_NAMES = {
    "level": ("Tæller: niveau", "Counts: level"),
    "purpose": ("Tæller: formål", "Counts: purpose"),
    "population": ("Målgruppe", "Population"),
    "topic": ("Emne", "Topic"),
    "owner": ("Ejer", "Owner"),
    "status": ("Status", "Status"),
    "valid_on": ("Gældende på", "Valid on"),
}
Labelled = tuple[tuple[str, str], tuple[str, str]]


def filter_labels(land: Landscape, given: dict[str, str]) -> list[Labelled]:
    """Return the filters in force as (name, value) pairs, each as (Danish, English) labels."""
    values = {
        name: {o["value"]: (o["label"], o["label_en"]) for o in options} for name, options in choices(land).items()
    }
    for name, labelled in COUNTING_LABELS.items():
        values[name] = {v: labelled[v] for v in labelled}
        if name in given:  # several values, comma-separated
            chosen = [c for c in given[name].split(",") if c in labelled]
            values[name][given[name]] = (
                " / ".join(labelled[c][0] for c in chosen),
                " / ".join(labelled[c][1] for c in chosen),
            )
    return [(_FILTER_NAMES.get(k, (k, k)), values.get(k, {}).get(v, (v, v))) for k, v in given.items()]


# Overlaps between owners ----------------------------------------------------------------


def overlaps_between(
    land: Landscape,
    owner: str | None = None,
    other_owner: str | None = None,
    relations: Iterable[str] = overlap.RELATIONS,
    min_score: float = 0.0,
) -> list[overlap.Comparison]:
    """Return related pairs, best first; with two owners, the pairs between them (as GET /overlaps).

    An owner includes its sub-organisations (DMPG.dk includes the seven DMPGs), as in the
    JSON route; tests/web/test_exports.py holds the two to the same answer.

    Raises:
        FilterError: if an owner is unknown.
    """
    pairs(land)  # computed once (and waited for), then filtered
    return views.overlaps_between(land, owner, other_owner, relations, min_score)


# Slow read models, computed once -------------------------------------------------------------

#: The gaps of every rule, with the documents behind each.
GAPS: View[list[dict[str, Any]]] = View("gaps", build=lambda snap: views.gaps(snap.store, snap[LANDSCAPE]))
#: The gap list per filter set (views.gaps_under): what the planning page and /gaps show under the matrix's filters.
FILTERED_GAPS: View[list[dict[str, Any]]] = View(
    "gaps under filters",
    build=lambda snap, filters: views.gaps_under(snap[LANDSCAPE], snap[GAPS], filters),
    keyed=True,
    bound=64,
)
#: The gap list's order on the planning page: areas without guidance first (RULE_LABELS' order).
RULE_ORDER = {name: i for i, name in enumerate(RULE_LABELS)}


def _page_gaps(snap: Snapshot, filters: views.Filters) -> tuple[list[dict[str, Any]], Counter[str]]:
    every = snap[GAPS] if filters == views.Filters() else snap.get(FILTERED_GAPS, filters)
    ordered = sorted(every, key=lambda g: (RULE_ORDER.get(g["rule"], 99), g["disease_area"] or "~", g["label"] or ""))
    return ordered, Counter(g["rule"] for g in ordered)


#: The planning page's gap list per filter set, in its order, with the count per rule: sorted once, not per request.
PAGE_GAPS: View[tuple[list[dict[str, Any]], Counter[str]]] = View(
    "the planning page's gap list", build=_page_gaps, keyed=True, bound=64
)


def page_gaps(land: Landscape, filters: views.Filters) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Return the gaps under *filters* in the planning page's order, and how many each rule found (do not change them).

    Raises:
        FilterError: naming an unknown filter value.
    """
    return land.snapshot.get(PAGE_GAPS, filters)


#: The SHACL results of the data-quality shapes and the gap rules.
VALIDATION: View[list[ValidationResult]] = View("validation", build=lambda snap: validate_store(snap.store).results)


def gaps(store: Store, land: Landscape) -> list[dict[str, Any]]:
    """Return :func:`graph.analysis.views.gaps` (all rules) for the store's current snapshot, built once."""
    return snapshot(store)[GAPS]


def pairs(land: Landscape) -> list[overlap.Comparison]:
    """Return :func:`graph.analysis.overlap.pairs` (all relations), built once."""
    return overlap.pairs(land)


def validation(store: Store) -> list[ValidationResult]:
    """Return the SHACL results of :func:`graph.validation.validate.validate_store`, built once."""
    return snapshot(store)[VALIDATION]


def warm(store: Store, land: Landscape) -> None:
    """Compute the slow read models once: default matrix, gaps, pairs, SHACL report.

    The app runs this in a background thread at start-up, so the first visitor of the
    planning page does not wait for the gap rules or the SHACL run.
    """
    try:
        matrix(land)
        gaps(store, land)
        pairs(land)
        validation(store)
    except Exception:  # the app may have closed the store meanwhile; requests compute on demand
        logging.getLogger(__name__).warning("warming the read models stopped", exc_info=True)
