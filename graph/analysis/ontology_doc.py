"""The ontology's documentation, read from its Turtle: every term with its labels and the shapes that use it.

Built once at import from the shipped files (they change only with a release), so /ontology cannot
drift from the Turtle: there is no second description to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from graph.store.namespaces import GD, PREFIXES

__all__ = ["DOCUMENTATION", "Documentation", "Shape", "Term", "curie"]

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
SD = "http://www.w3.org/ns/sparql-service-description#"
# The kind of a term, by its rdf:type, in the order the page lists them.
KINDS = {
    OWL.Class: "class",
    RDFS.Class: "class",
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
    RDF.Property: "property",
    URIRef(SD + "Feature"): "service feature",
}
# What a shape checks, in the words of its constraint parameters, shown in this order.
CHECKS = (
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.path,
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.node,
    SH.minCount,
    SH.maxCount,
    SH.hasValue,
    SH["in"],
    SH.pattern,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.maxLength,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.property,
    SH.sparql,
    SH.select,
    SH["or"],
    SH["not"],
    SH.closed,
)
_MENTION = re.compile(r"\bgd:([A-Za-z][\w-]*)")


@dataclass
class Term:
    """One ``gd:`` term: what kind it is, its words in Danish and English, and where it is used."""

    name: str
    iri: str
    kind: str
    file: str
    labels: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    used_by: list[str] = field(default_factory=list)  # names of shapes


@dataclass
class Shape:
    """One SHACL shape: what it targets, what it checks, why, and the message a planner reads."""

    name: str
    iri: str
    kind: str
    file: str
    comments: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    severity: str = ""
    checks: list[tuple[str, str]] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)  # names of gd: terms


@dataclass
class Documentation:
    """The ontology as documented: its own labels, its terms by kind, its shapes, and the Turtle of both."""

    labels: dict[str, str]
    comments: dict[str, str]
    version: str
    license: str | None
    terms: dict[str, Term]
    shapes: dict[str, Shape]
    ontology: Graph
    shape_graph: Graph

    def term_graph(self, name: str) -> Graph | None:
        """Return the triples that define one term or shape (its concise bounded description)."""
        iri = GD[name]
        source = self.shape_graph if name in self.shapes else self.ontology
        if name not in self.terms and name not in self.shapes:
            return None
        found = source.cbd(iri)
        for prefix, namespace in PREFIXES.items():
            found.bind(prefix, namespace)
        return found


def curie(term: object) -> str:
    """Return *term* as ``prefix:name`` where a known prefix fits, else as the IRI."""
    text = str(term)
    for prefix, namespace in sorted({**PREFIXES, "owl": str(OWL), "sh": str(SH)}.items(), key=lambda i: -len(i[1])):
        if text.startswith(namespace) and text != namespace:
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def _words(graph: Graph, subject: URIRef, *predicates: URIRef) -> dict[str, str]:
    found: dict[str, str] = {}
    for predicate in predicates:
        for value in graph.objects(subject, predicate):
            if isinstance(value, Literal):
                found.setdefault(value.language or "en", str(value))
    return found


def _parse(paths: list[Path]) -> tuple[Graph, dict[URIRef, str]]:
    graph, origin = Graph(), {}
    for path in paths:
        part = Graph().parse(path, format="turtle")
        for subject in part.subjects():
            if isinstance(subject, URIRef):
                origin.setdefault(subject, str(path.relative_to(ONTOLOGY_DIR.parent)))
        graph += part
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph, origin


def _show(graph: Graph, value: object) -> str:
    if isinstance(value, BNode) and graph.value(value, RDF.first) is not None:
        return "(" + " ".join(_show(graph, item) for item in Collection(graph, value)) + ")"
    if isinstance(value, BNode):
        inner = sorted(f"{curie(p)} {_show(graph, o)}" for p, o in graph.predicate_objects(value))
        return "[ " + " ; ".join(inner) + " ]"
    if isinstance(value, Literal) and "\n" in str(value).strip():
        return str(value).strip()  # a query: its lines are its layout
    if isinstance(value, Literal):
        return " ".join(str(value).split())
    return curie(value)


def _mentions(graph: Graph, node: object, seen: set[object] | None = None) -> set[str]:
    """Return the names of the gd: terms a shape names, in its triples or in its SPARQL."""
    seen = seen if seen is not None else set()
    if node in seen:
        return set()
    seen.add(node)
    found: set[str] = set()
    for _, value in graph.predicate_objects(node):
        if isinstance(value, URIRef) and str(value).startswith(str(GD)) and value != GD[""]:
            found.add(str(value)[len(str(GD)) :])
        elif isinstance(value, Literal):
            found |= set(_MENTION.findall(str(value)))
        elif isinstance(value, BNode):
            found |= _mentions(graph, value, seen)
    return found


def build() -> Documentation:
    """Read ``ontology/*.ttl``, ``ontology/service/*.ttl`` and ``ontology/shapes/**`` into the documentation."""
    files = sorted(ONTOLOGY_DIR.glob("*.ttl")) + sorted((ONTOLOGY_DIR / "service").glob("*.ttl"))
    vocabulary, origin = _parse(files)
    shapes_graph, shape_origin = _parse(sorted((ONTOLOGY_DIR / "shapes").rglob("*.ttl")))
    ontology = Graph()
    for prefix, namespace in PREFIXES.items():
        ontology.bind(prefix, namespace)
    terms: dict[str, Term] = {}
    for subject in sorted({s for s in vocabulary.subjects() if isinstance(s, URIRef) and str(s).startswith(str(GD))}):
        ontology += vocabulary.cbd(subject)
        if subject == GD[""]:
            continue
        types = set(vocabulary.objects(subject, RDF.type))
        kind = next((label for cls, label in KINDS.items() if cls in types), "individual")
        name = str(subject)[len(str(GD)) :]
        terms[name] = Term(
            name,
            str(subject),
            kind,
            origin.get(subject, ""),
            _words(vocabulary, subject, RDFS.label, SKOS.prefLabel),
            _words(vocabulary, subject, RDFS.comment, SKOS.definition),
            [curie(o) for o in vocabulary.objects(subject, RDFS.subClassOf)]
            + [curie(o) for o in vocabulary.objects(subject, RDFS.subPropertyOf)],
            sorted(curie(o) for o in vocabulary.objects(subject, RDFS.domain)),
            sorted(curie(o) for o in vocabulary.objects(subject, RDFS.range)),
        )
    shapes: dict[str, Shape] = {}
    shape_types = {
        SH.NodeShape: "node shape",
        SH.PropertyShape: "property shape",
        SH.SPARQLConstraint: "SPARQL constraint",
    }
    for subject in sorted(s for s in shapes_graph.subjects(RDF.type, None) if isinstance(s, URIRef)):
        types = set(shapes_graph.objects(subject, RDF.type))
        kind = next((label for cls, label in shape_types.items() if cls in types), None)
        if kind is None or not str(subject).startswith(str(GD)):
            continue
        name = str(subject)[len(str(GD)) :]
        checks = [
            (curie(p), _show(shapes_graph, o))
            for p in CHECKS
            for o in sorted(shapes_graph.objects(subject, p), key=str)
        ]
        severity = shapes_graph.value(subject, SH.severity)
        # A shape uses what it names and what its named SPARQL constraints name (the gap rules keep
        # their query, and their message, on a constraint of their own).
        constraints = [c for c in shapes_graph.objects(subject, SH.sparql) if isinstance(c, URIRef)]
        named = set().union(_mentions(shapes_graph, subject), *(_mentions(shapes_graph, c) for c in constraints))
        uses = sorted(named - {name, *(str(c)[len(str(GD)) :] for c in constraints)})
        messages = _words(shapes_graph, subject, SH.message)
        for constraint in constraints:
            messages = messages or _words(shapes_graph, constraint, SH.message)
        shapes[name] = Shape(
            name,
            str(subject),
            kind,
            shape_origin.get(subject, ""),
            _words(shapes_graph, subject, RDFS.comment),
            messages,
            curie(severity) if severity is not None else ("" if kind == "SPARQL constraint" else "sh:Violation"),
            checks,
            [use for use in uses if use in terms],
        )
        for use in shapes[name].uses:
            terms[use].used_by.append(name)
    return Documentation(
        labels=_words(vocabulary, GD[""], RDFS.label),
        comments=_words(vocabulary, GD[""], RDFS.comment),
        version=str(vocabulary.value(GD[""], OWL.versionInfo) or ""),
        license=str(vocabulary.value(GD[""], URIRef("http://purl.org/dc/terms/license")) or "") or None,
        terms=terms,
        shapes=shapes,
        ontology=ontology,
        shape_graph=shapes_graph,
    )


#: Made at import from the shipped files (a constant of the release, not derived from the store).
DOCUMENTATION = build()
