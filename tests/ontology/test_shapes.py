"""Hygiene of the SHACL shapes: parse, a strict engine accepts them, meta-SHACL, naming, messages, fixtures."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyshacl
import pyshacl_turbo
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from graph.store.core import Store
from graph.validation.validate import SHAPES_DIR

INVALID = Path(__file__).resolve().parent.parent / "data" / "shapes" / "invalid"
# The gap rules' fixtures are scenarios named by rule (tests/data/gaps/README.md), run by tests/graph/test_gaps.py.
GAP_FIXTURES = Path(__file__).resolve().parent.parent / "data" / "gaps"
# pyshacl-turbo does not ship the SHACL vocabulary itself (only the SHACL-for-SHACL shapes): pySHACL's copy.
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


# Every shapes file, in sub-folders too: the gap rules live in shapes/gaps/.
SHAPE_FILES = sorted(SHAPES_DIR.rglob("*.ttl"))


@cache
def _shapes() -> Graph:
    graph = Graph()
    for path in SHAPE_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def registry_graph(registry_store: Store) -> Graph:
    """The shipped registry as one rdflib graph, copied once for all shape files."""
    return registry_store.union()


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


@pytest.mark.parametrize("path", SHAPE_FILES, ids=lambda p: str(p.relative_to(SHAPES_DIR)))
def test_shape_file_parses(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 0


@pytest.mark.parametrize("path", SHAPE_FILES, ids=lambda p: str(p.relative_to(SHAPES_DIR)))
def test_a_strict_shacl_engine_accepts_the_shape_file(path: Path, registry_graph: Graph) -> None:
    # pyshacl-turbo refuses SHACL-SPARQL the spec forbids (a sub-select that does not project $this,
    # MINUS, VALUES, ...), which pySHACL lets through; the registry gives every rule focus nodes to run on.
    shapes = Graph().parse(path, format="turtle")
    _, report, text = pyshacl_turbo.validate(
        registry_graph, shacl_graph=shapes, inference="none", allow_warnings=True, allow_infos=True
    )
    assert isinstance(report, Graph), f"{path.relative_to(SHAPES_DIR)}: {text}"


def test_shapes_pass_meta_shacl() -> None:
    conforms, _, text = pyshacl_turbo.meta_validate(_shapes(), inference="none")
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

    def count(node: Node) -> int:
        return sum(1 for m in graph.objects(node, SH.message) if isinstance(m, Literal) and m.language == lang)

    def told(shape: URIRef) -> bool:
        # A SPARQL-based constraint's results carry the constraint's own messages when it has any
        # (the gap rules), else the shape's.
        own = [count(c) for c in graph.objects(shape, SH.sparql)]
        return all(n == 1 or (n == 0 and count(shape) == 1) for n in own) if own else count(shape) == 1

    assert sorted(_local(s) for s in _reporting(graph) if not told(s)) == []


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
    named |= {"GapShape-" + p.stem.split("-", 1)[0] for p in GAP_FIXTURES.glob("*.*") if p.suffix in (".yaml", ".ttl")}
    assert sorted(_local(s) for s in _reporting(_shapes()) if _local(s) not in named) == []


def test_every_invalid_fixture_names_a_reporting_shape() -> None:
    names = {_local(s) for s in _reporting(_shapes())}
    assert sorted(p.name for p in INVALID.glob("*.ttl") if p.name.split("--", 1)[0] not in names) == []
