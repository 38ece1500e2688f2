"""Hygiene of the SHACL shapes: parse, meta-SHACL, naming, messages, fixtures."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from graph.validate import SHAPES_DIR, shapes_graph

INVALID = Path(__file__).resolve().parent.parent / "data" / "shapes" / "invalid"
SHACL_VOCABULARY = Path(pyshacl.__file__).resolve().parent / "assets" / "shacl.ttl"

TARGETS = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf}
# Parameters that say how to report or group, not what to check.
NOT_CONSTRAINTS = TARGETS | {
    RDF.type,
    RDFS.comment,
    RDFS.label,
    SH.property,
    SH.severity,
    SH.message,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
}
# Properties whose objects are shapes; sh:or, sh:and and sh:xone hold lists of shapes.
SHAPE_REFERENCES = {SH.property, SH.node, SH.qualifiedValueShape, SH["not"]}
SHAPE_LISTS = {SH["or"], SH["and"], SH.xone}


def _shapes() -> Graph:
    return shapes_graph()


def _referenced(graph: Graph, subject: URIRef) -> set:
    found = {o for p in SHAPE_REFERENCES for o in graph.objects(subject, p)}
    for p in SHAPE_LISTS:
        for head in graph.objects(subject, p):
            found.update(Collection(graph, head))
    return found


def _all_shapes(graph: Graph) -> set:
    typed = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    referenced = {o for s in typed for o in _referenced(graph, s)}
    return typed | referenced


def _targeted(graph: Graph) -> set:
    return {s for p in TARGETS for s in graph.subjects(p, None)}


def _reporting(graph: Graph) -> set:
    """Shapes whose results appear in reports: rules under a targeted shape, or targeted rules."""
    targeted = _targeted(graph)
    under = {o for s in targeted for o in graph.objects(s, SH.property)}
    own = {s for s in targeted if any(p not in NOT_CONSTRAINTS for p in graph.predicates(s, None))}
    return under | own


def _local(shape: URIRef) -> str:
    return str(shape).rsplit("#", 1)[-1]


@pytest.mark.parametrize("path", sorted(SHAPES_DIR.glob("*.ttl")), ids=lambda p: p.name)
def test_shape_file_parses(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 0


def test_shapes_pass_meta_shacl() -> None:
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=_shapes(), meta_shacl=True, inference="none")
    assert conforms, text


def test_shapes_use_only_terms_of_the_shacl_vocabulary() -> None:
    known = set(Graph().parse(SHACL_VOCABULARY, format="turtle").subjects())
    used = {t for triple in _shapes() for t in triple if isinstance(t, URIRef) and str(t).startswith(str(SH))}
    assert used - known == set()


def test_every_shape_is_an_explicitly_typed_iri() -> None:
    graph = _shapes()
    shapes = _all_shapes(graph)
    assert [s for s in shapes if isinstance(s, BNode)] == []
    untyped = {s for s in shapes if not set(graph.objects(s, RDF.type)) & {SH.NodeShape, SH.PropertyShape}}
    assert untyped == set()


def test_every_shape_says_why_it_exists() -> None:
    graph = _shapes()
    assert {s for s in _all_shapes(graph) if graph.value(s, RDFS.comment) is None} == set()


def test_every_reporting_shape_has_an_explicit_severity() -> None:
    graph = _shapes()
    severities = {s: set(graph.objects(s, SH.severity)) for s in _reporting(graph)}
    wrong = {s: v for s, v in severities.items() if len(v) != 1 or not v <= {SH.Violation, SH.Warning, SH.Info}}
    assert wrong == {}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_reporting_shape_has_one_message_per_language(lang: str) -> None:
    graph = _shapes()

    def count(shape: URIRef) -> int:
        return sum(1 for m in graph.objects(shape, SH.message) if isinstance(m, Literal) and m.language == lang)

    assert sorted(_local(s) for s in _reporting(graph) if count(s) != 1) == []


def test_shapes_that_never_report_carry_no_severity_or_message() -> None:
    # A severity or message on a value shape or a grouping shape is never shown: dead text misleads.
    graph = _shapes()
    silent = _all_shapes(graph) - _reporting(graph)
    decorated = {s for s in silent if (s, SH.severity, None) in graph or (s, SH.message, None) in graph}
    assert decorated == set()


def test_every_value_shape_is_used_by_a_rule() -> None:
    graph = _shapes()
    silent = _all_shapes(graph) - _reporting(graph) - _targeted(graph)
    reachable: set = set()
    frontier = set(_reporting(graph))
    while frontier:
        shape = frontier.pop()
        for ref in _referenced(graph, shape) - reachable:
            reachable.add(ref)
            frontier.add(ref)
    assert silent - reachable == set()


def test_every_reporting_shape_has_an_invalid_fixture() -> None:
    named = {p.name.split("--", 1)[0] for p in INVALID.glob("*--*.ttl")}
    assert sorted(_local(s) for s in _reporting(_shapes()) if _local(s) not in named) == []


def test_every_invalid_fixture_names_a_reporting_shape() -> None:
    names = {_local(s) for s in _reporting(_shapes())}
    assert sorted(p.name for p in INVALID.glob("*.ttl") if p.name.split("--", 1)[0] not in names) == []
