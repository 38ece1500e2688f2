"""Find any document: words of its title, notes and concepts, facets to narrow by, and orders to read in.

A coordinator looks a document up by what they remember of it: a word of the title in another
inflection ("depressioner"), a word of a note, or a synonym the ontology knows for one of its
concepts ("spiseforstyrrelse" for anorexia's area). Each word of a query must match (all of them);
words are compared as the scope terms of :mod:`graph.model.textsim` (Danish stems and compound parts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import URIRef

from graph.model.landscape import LANDSCAPE, Document, Landscape
from graph.model.snapshot import Snapshot, View
from graph.model.textsim import terms
from graph.store.namespaces import SKOS

__all__ = ["FACETS", "SEARCH", "SORTS", "Index", "facets", "matching", "sort"]

#: The facets a result can be narrowed by, in the order the page shows them.
FACETS = ("kind", "owner", "status", "validity", "level", "purpose", "disease_area", "population", "year")
#: Orders a result can be read in; each sorts by title within equal keys.
SORTS = ("title", "newest", "oldest", "kind", "owner")


@dataclass(frozen=True)
class Index:
    """Per document: the words of its title, notes and concept labels (terms), and the same text folded."""

    terms: dict[str, frozenset[str]]
    text: dict[str, str]


def _concept_words(land: Landscape, concept: str) -> list[str]:
    graph = land.vocabulary.graph
    node = URIRef(concept)
    return [str(label) for prop in (SKOS.prefLabel, SKOS.altLabel) for label in graph.objects(node, prop)]


def _document_text(land: Landscape, doc: Document) -> str:
    vocab = land.vocabulary
    concepts = [
        *doc.disease_areas,
        *(str(c) for name in doc.topics if (c := vocab.topics.concepts.get(name)) is not None),
        *(str(c) for name in doc.populations if (c := vocab.populations.concepts.get(name)) is not None),
    ]
    words = [doc.title, doc.title_en or "", doc.notes or "", *(land.owner_name(o) for o in doc.owners)]
    words += [land.notation(a) for a in doc.disease_areas]
    words += [w for c in concepts for w in _concept_words(land, c)]
    return " ".join(w for w in words if w)


def _build(snap: Snapshot) -> Index:
    land = snap[LANDSCAPE]
    lexicon = land.text.lexicon
    found_terms: dict[str, frozenset[str]] = {}
    found_text: dict[str, str] = {}
    for doc in land.documents.values():
        text = _document_text(land, doc)
        found_terms[doc.id] = frozenset(terms(text, lexicon))
        found_text[doc.id] = text.casefold()
    return Index(found_terms, found_text)


#: The search index of a landscape, built when a search first asks for it.
SEARCH: View[Index] = View("search", build=_build)


def matching(land: Landscape, docs: Iterable[Document], query: str) -> list[Document]:
    """Return the documents of *docs* that every word of *query* matches, by term or as written."""
    index = land.snapshot[SEARCH]
    exact = query.strip().casefold()
    if exact in land.documents:  # an id looked up is that document, not everything sharing its words
        return [d for d in docs if d.id == exact]
    words = [w for w in query.casefold().split() if w]
    wanted = [terms(w, land.text.lexicon) for w in words]
    found = []
    for doc in docs:
        have, text = index.terms.get(doc.id, frozenset()), index.text.get(doc.id, "")
        if all(
            word in text or (parts and set(parts) <= have) for word, parts in zip(words, wanted, strict=True)
        ):
            found.append(doc)
    return found


def year(doc: Document) -> str | None:
    """Return the year of the document's latest issue or revision, if known."""
    latest = doc.modified or doc.issued
    return latest[:4] if latest else None


def values(land: Landscape, doc: Document, facet: str) -> list[str]:
    """Return the values *doc* has for *facet* (several for owners, areas and populations)."""
    if facet == "owner":
        return list(doc.owners)
    if facet == "disease_area":  # by ICD-10 block, as the matrix's rows
        return sorted({land.notation(land.vocabulary.block(a) or a) for a in doc.disease_areas})
    if facet == "population":
        return list(doc.populations)
    if facet == "year":
        found = year(doc)
        return [found] if found else []
    value = getattr(doc, facet)
    return [value] if value else []


def facets(land: Landscape, docs: list[Document]) -> dict[str, list[tuple[str, int]]]:
    """Count the documents of *docs* per value of every facet, most first (years newest first)."""
    counted: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
    for doc in docs:
        for facet in FACETS:
            counted[facet].update(values(land, doc, facet))
    result: dict[str, list[tuple[str, int]]] = {}
    for facet, counter in counted.items():
        if facet == "year":
            result[facet] = sorted(counter.items(), reverse=True)
        else:
            result[facet] = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return result


def sort(land: Landscape, docs: list[Document], order: str) -> list[Document]:
    """Return *docs*, given in title order (as filtering leaves them), in *order* (one of :data:`SORTS`).

    Every other order breaks its ties by title; undated documents come last by date.
    """
    by_title = docs
    if order == "newest":
        return sorted(by_title, key=lambda d: (year(d) is None, -(int(year(d) or 0)), -_month(d)))
    if order == "oldest":
        return sorted(by_title, key=lambda d: (year(d) is None, year(d) or "", _month(d)))
    if order == "kind":
        return sorted(by_title, key=lambda d: d.kind)
    if order == "owner":
        return sorted(by_title, key=lambda d: land.owner_name(d.owners[0]).casefold() if d.owners else "~")
    return by_title


def _month(doc: Document) -> int:
    latest = doc.modified or doc.issued or ""
    return int(latest[5:7]) if len(latest) >= 7 else 0


def labelled(land: Landscape, facet: str, value: str, lang: str = "da") -> str:
    """Return the label a page shows for a facet value."""
    if facet == "owner":
        return land.owner_name(value)
    if facet == "disease_area":
        concept = next((str(c) for c in land.vocabulary.disease_areas(value) if land.notation(str(c)) == value), None)
        return f"{value} {land.area_label(concept, lang)}" if concept else value
    if facet in ("status", "population"):
        return land.concept_label(facet, value, lang)
    if facet == "kind":
        return land.vocabulary.label(str(land.vocabulary.kind(value) or value), lang) or value
    return value


def described(land: Landscape, counts: dict[str, list[tuple[str, int]]], lang: str) -> dict[str, Any]:
    """Return the facet counts with labels, for a page."""
    return {
        facet: [{"value": v, "label": labelled(land, facet, v, lang), "count": n} for v, n in found]
        for facet, found in counts.items()
    }
