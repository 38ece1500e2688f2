"""Linked data: which IRI patterns the graph mints, and what dereferencing one of them answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from graph.store.core import Store, query
from graph.store.namespaces import PREFIXES, VOCAB

__all__ = [
    "INSTANCE_KINDS",
    "VOCABULARY_KINDS",
    "Link",
    "Page",
    "describe",
    "iri_of",
    "local_path",
    "resource_page",
]

#: First path segments of the IRIs minted under the configurable instance base
#: (``graph.store.namespaces.Minter`` and ``loaders.edits``): documents, organisations,
#: organisational events, named graphs, load activities, edit activities and the agents of edits.
INSTANCE_KINDS = ("document", "organisation", "event", "graph", "load", "edit", "agent")
#: First path segments of the published vocabulary IRIs, fixed under ``VOCAB``: the concepts of each
#: scheme and the schemes themselves. The ontology (``ontology#term``) and its shapes are served apart.
VOCABULARY_KINDS = ("icd10", "topic", "population", "status", "intervention", "setting", "scheme")

# What may follow a kind in a path: the characters minted ids, graph names (letters of any
# alphabet), ICD-10 codes (F32.1, F30-F39) and load stamps use. Anything else names nothing.
_REST = re.compile(r"^[\w.\-]+(?:/[\w.\-]+)*$")


def iri_of(kind: str, rest: str, base: str) -> URIRef | None:
    """Return the IRI a service path ``/<kind>/<rest>`` stands for, or None if it cannot be one."""
    if not _REST.match(rest):
        return None
    if kind in INSTANCE_KINDS:
        return URIRef(f"{base}{kind}/{rest}")
    if kind in VOCABULARY_KINDS:
        return URIRef(f"{VOCAB}{kind}/{rest}")
    return None


def local_path(iri: str, base: str) -> str | None:
    """Return the service path that answers for *iri* (``/ontology#term`` for a term), or None if it is not ours."""
    for root in (base, VOCAB):
        if iri.startswith(root):
            rest = iri[len(root) :]
            kind = rest.split("/", 1)[0].split("#", 1)[0]
            if kind in (*INSTANCE_KINDS, *VOCABULARY_KINDS, "ontology", "shapes"):
                return "/" + rest
    return None


def describe(store: Store, iri: URIRef) -> Graph:
    """Return what the store says of *iri*: its triples, its citations and links, and up to 1,000 pointing at it.

    A named graph is described by its provenance and its size (``void:triples``), even where
    nothing else in the store mentions it (the vocabulary and provenance graphs).
    """
    graph = store.construct(query("resource_description"), {"s": iri})
    graph += store.construct(query("resource_links_in"), {"s": iri})
    if iri in store.graph_names():
        rows = store.select(query("graph_content"), {"graph": iri})
        triples = int(rows[0]["triples"]) if rows else 0
        graph.add((iri, RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")))
        graph.add((iri, URIRef("http://rdfs.org/ns/void#triples"), Literal(triples)))
    return graph


@dataclass(frozen=True)
class Link:
    """A term on a page: its text, where it leads (None: nowhere), and its language or datatype."""

    text: str
    href: str | None = None
    note: str | None = None


@dataclass
class Page:
    """What a resource page shows: the IRI, its labels, its facts and what points at it."""

    iri: str
    path: str
    labels: dict[str, str] = field(default_factory=dict)
    types: list[Link] = field(default_factory=list)
    facts: list[tuple[Link, list[Link]]] = field(default_factory=list)
    incoming: list[tuple[Link, Link]] = field(default_factory=list)
    broader: list[Link] = field(default_factory=list)
    narrower: list[Link] = field(default_factory=list)
    notation: str | None = None


def resource_page(store: Store, iri: URIRef, graph: Graph, path: str, lang: str = "da") -> Page:
    """Return the page of *iri* from its description *graph* (see :func:`describe`), its words in *lang*."""
    base = store.minter.base
    named = {o for o in graph.objects(iri) if isinstance(o, URIRef)} | set(graph.subjects(None, iri))
    named |= set(graph.predicates()) | {o for o in graph.objects(None, RDF.type) if isinstance(o, URIRef)}
    names = _labels(store, named | {iri})
    page = Page(str(iri), path)
    page.labels = names.get(str(iri), {})
    page.types = [_link(o, base, names, lang) for o in sorted(graph.objects(iri, RDF.type))]
    # An ICD-10 concept has its code and its SKS code (F32, DF32): the page shows the code its IRI names.
    notations = sorted(graph.objects(iri, SKOS.notation), key=lambda n: (not str(iri).endswith(f"/{n}"), str(n)))
    page.notation = str(notations[0]) if notations else None
    page.broader = [_link(o, base, names, lang) for o in sorted(graph.objects(iri, SKOS.broader))]
    page.narrower = [_link(s, base, names, lang) for s in sorted(graph.subjects(SKOS.broader, iri))]
    for predicate in sorted(set(graph.predicates(iri)) - {RDF.type}):
        values = sorted(graph.objects(iri, predicate), key=_order)
        page.facts.append((_link(predicate, base, names, lang), [_value(o, base, names, lang) for o in values]))
    page.incoming = sorted(
        ((_link(s, base, names, lang), _link(p, base, names, lang)) for s, p in graph.subject_predicates(iri)),
        key=lambda pair: (pair[1].text, pair[0].text),
    )
    return page


def _order(term: object) -> tuple[str, str]:
    return (getattr(term, "language", None) or "", str(term))


def _labels(store: Store, iris: set[URIRef]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    if not iris:
        return found
    for row in store.select(query("resource_labels"), {"r": iris}):
        label = row["label"]
        lang = getattr(label, "language", None) or ""
        found.setdefault(str(row["r"]), {}).setdefault(lang, str(label))
    return found


def _curie(iri: str) -> str:
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _link(term: object, base: str, names: dict[str, dict[str, str]], lang: str) -> Link:
    iri = str(term)
    labels = names.get(iri, {})
    other = "da" if lang == "en" else "en"
    text = labels.get(lang) or labels.get("") or labels.get(other) or _curie(iri)
    return Link(text, local_path(iri, base) or (iri if iri.startswith(("http://", "https://")) else None), _curie(iri))


def _value(term: object, base: str, names: dict[str, dict[str, str]], lang: str) -> Link:
    if isinstance(term, Literal):
        note = f"@{term.language}" if term.language else (_curie(str(term.datatype)) if term.datatype else None)
        return Link(str(term), None, note)
    if isinstance(term, BNode):
        return Link("[]")
    return _link(term, base, names, lang)
