"""graph.validation.engine: the same validation results as pySHACL, on every shape fixture and on the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from graph.model.snapshot import Snapshot
from graph.store.core import GraphWrite, Store
from graph.store.spec import open_store
from graph.validation import engine as shacl_engine
from graph.validation.validate import REPORT, validate, validate_shapes, validate_store
from loaders.ingest import ensure_seeded, load_files

SHAPES_DATA = Path(__file__).resolve().parent.parent / "data" / "shapes"
FIXTURES = sorted(SHAPES_DATA.glob("*/*.ttl"))
# The engine writes a few nodes into its queries as VALUES and asks whole-graph queries for many
# nodes; a threshold of 0 forces the whole-graph queries, so both ways are compared with pySHACL.
MODES = {"values": shacl_engine._FEW, "whole-graph": 0}


@pytest.fixture(params=sorted(MODES), ids=str)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(shacl_engine, "_FEW", MODES[request.param])
    return str(request.param)


@pytest.fixture(scope="module")
def registry() -> Store:
    store = open_store("memory")
    ensure_seeded(store)
    return store


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_engine_gives_exactly_pyshacls_results_on_each_shape_fixture(path: Path, mode: str) -> None:
    data = Graph().parse(path, format="turtle")
    ours, reference = validate(data), validate(data, engine="pyshacl")
    assert ours.results == reference.results
    assert ours.conforms == reference.conforms


def test_the_invalid_fixtures_give_results_so_the_comparison_can_fail() -> None:
    fired = [p for p in FIXTURES if p.parent.name == "invalid" and validate(Graph().parse(p, format="turtle")).results]
    assert len(fired) == len([p for p in FIXTURES if p.parent.name == "invalid"])


def test_engine_gives_exactly_pyshacls_results_on_the_shipped_registry(registry: Store, mode: str) -> None:
    ours = validate_shapes(registry)
    reference = validate_shapes(registry, engine="pyshacl")
    assert ours.results == reference.results
    assert ours.results, "the registry has known warnings; an empty report would prove nothing"


def test_engine_finds_what_pyshacl_finds_in_a_broken_copy_of_the_registry(registry: Store) -> None:
    data = registry.union()
    doc = next(iter(data.subjects(RDF.type, URIRef("https://w3id.org/retningsgraf/ontology#GuidingDocument"))), None)
    if doc is None:  # documents are typed by their kind; take any subject with a status
        doc = next(data.subjects(URIRef("https://w3id.org/retningsgraf/ontology#status"), None))
    data.remove((doc, URIRef("http://purl.org/dc/terms/title"), None))
    data.add(
        (
            doc,
            URIRef("http://purl.org/dc/terms/issued"),
            Literal("2015-02-30", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date")),
        )
    )
    data.add((doc, URIRef("https://w3id.org/retningsgraf/ontology#revises"), doc))
    ours, reference = validate(data), validate(data, engine="pyshacl")
    assert ours.results == reference.results
    assert {"DocumentShape-title", "DocumentShape-issued", "LinkShape-self"} <= {
        r.shape.rsplit("#", 1)[-1] for r in ours.results if r.focus == str(doc)
    }


def test_engine_gives_exactly_pyshacls_results_on_a_synthetic_landscape(
    synthetic_3k_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3,000 documents: over 1,000 focus nodes, so the default mode asks whole-graph queries here, as at scale.
    store = open_store("memory")
    ensure_seeded(store)
    load_files(store, [synthetic_3k_file], progress=False)
    # Break a few documents in ways the generator never does, in a graph of their own.
    synthetic = """
        SELECT ?doc WHERE {
          ?doc <https://w3id.org/retningsgraf/ontology#status> ?status FILTER (CONTAINS(STR(?doc), "/synth-"))
        } ORDER BY ?doc LIMIT 6"""
    docs = [str(row["doc"]) for row in store.select(synthetic)]
    broken = Graph().parse(
        data=f"""
        @prefix dcterms: <http://purl.org/dc/terms/> .
        @prefix gd: <https://w3id.org/retningsgraf/ontology#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <{docs[0]}> gd:status <https://w3id.org/retningsgraf/status/withdrawn> .
        <{docs[1]}> dcterms:issued "2019-02-30"^^xsd:date ; dcterms:modified "1999" .
        <{docs[2]}> gd:revises <{docs[2]}> ; dcterms:references <https://example.org/nowhere> .
        <{docs[3]}> gd:ownedBy <{docs[4]}> ; a gd:PackagePathway .
        <{docs[5]}> gd:topic <https://w3id.org/retningsgraf/icd10/F20> ; dcterms:title "  " .
        """,
        format="turtle",
    )
    store.write([GraphWrite(URIRef("https://w3id.org/retningsgraf/graph/test-broken"), broken)])
    reference = validate_shapes(store, engine="pyshacl").results
    assert len({r.shape for r in reference}) >= 8
    for few in MODES.values():
        monkeypatch.setattr(shacl_engine, "_FEW", few)
        assert validate_shapes(store).results == reference


def test_validate_store_gives_the_same_report_with_either_engine(registry: Store) -> None:
    fresh = Snapshot(registry, registry.generation)[REPORT].report  # made now, not kept from an earlier test
    assert fresh.results == validate_store(registry, engine="pyshacl").results


def test_the_engine_report_graph_holds_one_shacl_result_per_result(registry: Store) -> None:
    report = validate_shapes(registry)
    (node,) = report.graph.subjects(RDF.type, SH.ValidationReport)
    assert len(list(report.graph.objects(node, SH.result))) == len(report.results)
    # SHACL 3.6: sh:conforms is false when there is any result, warnings and infos included;
    # report.conforms ("no Violation") is only what the exit code follows.
    assert report.graph.value(node, SH.conforms) == Literal(not report.results)


def test_a_shape_with_a_component_the_engine_does_not_know_is_refused() -> None:
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:Shape a sh:NodeShape ; sh:targetClass ex:Thing ;
            sh:property [ sh:path ex:name ; ex:maxWords 3 ] .
        ex:MaxWords a sh:ConstraintComponent ;
            sh:parameter [ sh:path ex:maxWords ] ;
            sh:validator [ a sh:SPARQLAskValidator ; sh:ask "ASK { FILTER (STRLEN(?value) < 100) }" ] .
        """,
        format="turtle",
    )
    with pytest.raises(shacl_engine.UnsupportedShape, match="maxWords"):
        shacl_engine.compile_shapes(shapes)


def test_an_unknown_shacl_term_is_refused_and_other_vocabularies_are_ignored() -> None:
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:Shape a sh:NodeShape ; sh:targetClass ex:Thing ; rdfs:subClassOf ex:Other ; ex:note "x" ;
            sh:property [ sh:path ex:name ; sh:maxLenght 3 ] .
        """,
        format="turtle",
    )
    with pytest.raises(shacl_engine.UnsupportedShape, match="maxLenght"):
        shacl_engine.compile_shapes(shapes)


def test_an_unknown_engine_name_is_refused() -> None:
    with pytest.raises(ValueError, match="engine"):
        validate(Graph(), engine="turbo")
