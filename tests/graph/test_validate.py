"""graph.validation.validate: every shape fires on its invalid fixtures, and only there; report helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from graph.store.namespaces import GD, ICD10_SCHEME, ORG, SKOS, STATUS
from graph.validation.validate import (
    ONTOLOGY_DIR,
    ValidationReport,
    format_json,
    format_text,
    format_turtle,
    shapes_graph,
    validate,
    vocabulary_graph,
)

SHAPES_DATA = Path(__file__).resolve().parent.parent / "data" / "shapes"
VALID = sorted((SHAPES_DATA / "valid").glob("*.ttl"))
INVALID = sorted((SHAPES_DATA / "invalid").glob("*.ttl"))
DOC = URIRef("https://w3id.org/retningsgraf/document/sst-antipsykotika")


def _load(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def _fixture(name: str) -> Graph:
    return _load(SHAPES_DATA / name)


# Fixtures -----------------------------------------------------------------


def test_there_are_valid_and_invalid_fixtures() -> None:
    assert VALID
    assert INVALID


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_gives_no_result_at_all(path: Path) -> None:
    report = validate(_load(path))
    assert report.results == [], format_text(report, lang="en")
    assert report.conforms


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_fires_only_the_shape_in_its_name(path: Path) -> None:
    expected = str(GD[path.stem.split("--", 1)[0]])
    report = validate(_load(path))
    assert {r.shape for r in report.results} == {expected}, format_text(report, lang="en")


# Behaviour of single rules ------------------------------------------------


def test_document_without_owner_is_a_violation() -> None:
    report = validate(_fixture("invalid/DocumentShape-owner--missing.ttl"))
    assert not report.conforms
    assert [(r.focus, r.path, r.severity) for r in report.results] == [(str(DOC), "gd:ownedBy", "Violation")]


def test_published_document_without_issue_date_is_only_a_warning() -> None:
    report = validate(_fixture("invalid/DocumentShape-issuedInForce--published.ttl"))
    assert report.conforms
    assert [r.severity for r in report.results] == ["Warning"]
    assert report.warnings() == report.results


def test_superseded_document_without_successor_is_an_info() -> None:
    report = validate(_fixture("invalid/DocumentShape-successor--superseded-without-successor.ttl"))
    assert report.conforms
    assert report.counts() == {"Violation": 0, "Warning": 0, "Info": 1}


def test_year_and_full_date_of_the_same_year_are_in_order() -> None:
    data = _fixture("valid/guidance-minimal.ttl")
    data.set((DOC, DCTERMS.issued, Literal("2024", datatype=XSD.gYear)))
    data.add((DOC, DCTERMS.modified, Literal("2024-01-01", datatype=XSD.date)))
    assert validate(data).results == []


def test_modified_before_issued_names_the_issue_date_as_value() -> None:
    report = validate(_fixture("invalid/DocumentShape-dateOrder--modified-before-issued.ttl"))
    (result,) = report.results
    assert (result.path, result.value) == ("dcterms:issued", "2024-11-20")


def test_organisation_subclass_without_label_is_a_violation() -> None:
    report = validate(_fixture("invalid/OrganisationShape-label--missing.ttl"))
    assert [(r.focus, r.shape) for r in report.violations()] == [
        ("https://w3id.org/retningsgraf/organisation/dmpg-dk", str(GD["OrganisationShape-label"]))
    ]


def test_dmpg_guideline_co_owned_by_a_dmpg_and_a_region_conforms() -> None:
    data = _fixture("valid/dmpg-guideline-complete.ttl")
    region = URIRef("https://w3id.org/retningsgraf/organisation/regionh")
    data.add((region, RDF.type, GD.Region))
    data.add((region, SKOS.prefLabel, Literal("Region Hovedstaden", lang="da")))
    data.add((URIRef("https://w3id.org/retningsgraf/document/dmpg-skz-udredning"), GD.ownedBy, region))
    assert validate(data).results == []


# The report ---------------------------------------------------------------


def test_every_result_has_a_danish_and_an_english_message() -> None:
    results = [r for path in INVALID for r in validate(_load(path)).results]
    assert all(r.message and r.message_en and r.message != r.message_en for r in results)


def test_sparql_based_result_keeps_both_languages() -> None:
    (result,) = validate(_fixture("invalid/LinkShape-self--revises-itself.ttl")).results
    assert result.message == "Dokumentet har en relation til sig selv."
    assert result.message_en == "Document links to itself."


def test_complex_path_is_rendered_in_sparql_syntax() -> None:
    (result,) = validate(_fixture("invalid/LinkShape-target--dangling.ttl")).results
    assert result.path == ("(dcterms:replaces|gd:revises|gd:supplements|dcterms:references|gd:implements)")


def test_results_are_sorted_most_serious_first() -> None:
    data = _fixture("invalid/DocumentShape-owner--missing.ttl")
    data.remove((DOC, DCTERMS.source, None))
    report = validate(data)
    assert [r.severity for r in report.results] == ["Violation", "Warning"]
    assert report.counts() == {"Violation": 1, "Warning": 1, "Info": 0}
    assert len(report.violations()) == len(report.warnings()) == 1
    assert report.infos() == []


def test_dataset_is_validated_as_the_union_of_its_graphs() -> None:
    dataset = Dataset()
    named = dataset.graph(URIRef("https://w3id.org/retningsgraf/graph/test"))
    named += _fixture("invalid/DocumentShape-owner--missing.ttl")
    report = validate(dataset)
    assert {r.shape for r in report.results} == {str(GD["DocumentShape-owner"])}


def test_validate_leaves_the_data_and_the_cached_graphs_unchanged() -> None:
    data = _fixture("valid/guidance-minimal.ttl")
    before = (len(data), len(vocabulary_graph()), len(shapes_graph()))
    validate(data)
    assert (len(data), len(vocabulary_graph()), len(shapes_graph())) == before


def test_vocabulary_holds_every_ontology_file_but_no_shapes() -> None:
    vocabulary = vocabulary_graph()
    assert (GD.GuidingDocument, RDF.type, None) in vocabulary
    assert (STATUS.published, SKOS.inScheme, None) in vocabulary
    assert (None, RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape")) not in vocabulary
    if (ONTOLOGY_DIR / "disease-areas.ttl").exists():
        assert (None, SKOS.inScheme, ICD10_SCHEME) in vocabulary


def test_organisation_subclasses_are_declared_in_the_vocabulary() -> None:
    # sh:targetClass org:Organization reaches gd:DMPG and friends only through these triples.
    vocabulary = vocabulary_graph()
    subclasses = set(vocabulary.subjects(RDFS.subClassOf, ORG.Organization))
    assert {GD.DMPG, GD.Umbrella, GD.Authority, GD.Region} <= subclasses


def test_json_format_lists_counts_and_results() -> None:
    report = validate(_fixture("invalid/DocumentShape-title--missing.ttl"))
    body = json.loads(format_json(report))
    assert body["conforms"] is False
    assert body["counts"] == {"Violation": 1, "Warning": 0, "Info": 0}
    assert body["results"][0]["shape"] == str(GD["DocumentShape-title"])
    assert set(body["results"][0]) == {
        "focus",
        "path",
        "severity",
        "message",
        "message_en",
        "shape",
        "value",
    }


def test_text_format_shows_summary_and_danish_message() -> None:
    report = validate(_fixture("invalid/DocumentShape-title--missing.ttl"))
    text = format_text(report)
    assert text.startswith("Data does not conform: 1 violation, 0 warning, 0 info.")
    assert "Dokumentet mangler en titel" in text
    assert "gd:DocumentShape-title" in text
    assert "Document has no title" in format_text(report, lang="en")


def test_turtle_format_is_the_shacl_report_graph() -> None:
    report = validate(_fixture("invalid/DocumentShape-title--missing.ttl"))
    parsed = Graph().parse(data=format_turtle(report), format="turtle")
    assert len(parsed) == len(report.graph)


def test_report_of_conforming_data_is_empty() -> None:
    report = validate(_fixture("valid/guidance-minimal.ttl"))
    assert isinstance(report, ValidationReport)
    assert report.conforms
    assert report.counts() == {"Violation": 0, "Warning": 0, "Info": 0}
    assert format_text(report) == "Data conforms: 0 violation, 0 warning, 0 info.\n"
