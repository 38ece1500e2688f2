"""Interventions, settings and recommendations in the registry: loaded, checked, shown, backed by sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from graph.model.landscape import landscape
from graph.store.core import Store
from graph.store.namespaces import DCTERMS, GD, INTERVENTION, SETTING, Minter
from graph.validation.validate import validate_shapes
from loaders import yaml_registry
from loaders.records import Context, LoadError

ADHD_NKR = URIRef("https://w3id.org/retningsgraf/document/nkr-adhd-bu")
SELECT_RECOMMENDATIONS = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX gd: <https://w3id.org/retningsgraf/ontology#>
SELECT ?rec ?title ?source WHERE {
  ?doc gd:hasRecommendation ?rec . ?rec a gd:Recommendation ; dcterms:title ?title ; dcterms:source ?source .
}
"""


def _registry_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "test.yaml"
    path.write_text(
        "family: test\n"
        "organisations:\n"
        "  - id: sst\n    name: Sundhedsstyrelsen\n    type: Authority\n"
        "    sources: [{url: 'https://www.sst.dk/'}]\n"
        "documents:\n"
        "  - id: vej-x\n    title: Vejledning om clozapin\n    kind: Guidance\n    owners: [sst]\n"
        "    disease_areas: [F20]\n    status: published\n    sources: [{url: 'https://example.org/x'}]\n" + body,
        encoding="utf-8",
    )
    return path


def test_a_document_is_loaded_with_the_interventions_and_settings_it_names(tmp_path: Path) -> None:
    path = _registry_file(tmp_path, "    interventions: [clozapine, N05A]\n    settings: [regionspsykiatri]\n")
    graph = yaml_registry.load(path, Minter(), Context())
    doc = Minter().document("vej-x")
    assert set(graph.objects(doc, GD.intervention)) == {INTERVENTION.clozapine, INTERVENTION.antipsychotics}
    assert set(graph.objects(doc, GD.setting)) == {SETTING["hospital-psychiatry"]}


def test_an_unknown_intervention_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = _registry_file(tmp_path, "    interventions: [akupunktur]\n")
    with pytest.raises(LoadError) as refused:
        yaml_registry.load(path, Minter(), Context())
    assert [p.field for p in refused.value.problems] == ["interventions"]


def test_a_recommendation_needs_its_source_and_a_known_document(tmp_path: Path) -> None:
    path = _registry_file(
        tmp_path,
        "recommendations:\n  - id: r1\n    document: vej-y\n    title: Clozapin\n    strength: svag\n",
    )
    with pytest.raises(LoadError) as refused:
        yaml_registry.load(path, Minter(), Context())
    problems = {p.field for p in refused.value.problems}
    assert {"document", "strength", "sources"} <= problems


def test_a_recommendation_is_a_node_linked_from_its_document(tmp_path: Path) -> None:
    path = _registry_file(
        tmp_path,
        "recommendations:\n  - id: r1\n    document: vej-x\n    title: Clozapin ved behandlingsresistens\n"
        "    text: Overvej clozapin.\n    interventions: [clozapine]\n    comparator: andre antipsykotika\n"
        "    strength: weak\n    direction: for\n    year: '2024'\n"
        "    sources: [{url: 'https://example.org/x', supports: 'The recommendation.'}]\n",
    )
    graph = yaml_registry.load(path, Minter(), Context())
    doc = Minter().document("vej-x")
    (rec,) = graph.objects(doc, GD.hasRecommendation)
    assert rec == Minter().recommendation(doc, "r1")
    assert (rec, GD.intervention, INTERVENTION.clozapine) in graph
    assert (rec, GD.strength, Literal("weak")) in graph
    assert (rec, GD.comparator, Literal("andre antipsykotika", lang="da")) in graph
    assert (rec, DCTERMS.source, URIRef("https://example.org/x")) in graph


def test_the_document_json_shows_its_interventions_and_settings(registry_store: Store) -> None:
    docs = landscape(registry_store).documents
    esketamine = next(d for d in docs.values() if d.id == "dmpg-dep-esketamin")
    irf = next(d for d in docs.values() if d.id == "irf-antidepressiva-2019")
    assert esketamine.interventions == ["esketamine"]
    assert (irf.interventions, irf.settings) == (["antidepressants"], ["general-practice"])


def test_every_tagged_document_says_which_source_supports_its_tags(registry_store: Store) -> None:
    """Facts only: each document with interventions or settings has a citation whose supports text names them."""
    docs = landscape(registry_store).documents.values()
    tagged = [d for d in docs if d.interventions or d.settings]
    assert len(tagged) >= 60
    union = registry_store.union()
    unsupported = []
    for doc in tagged:
        texts = " ".join(
            str(text)
            for citation in union.objects(URIRef(doc.iri), GD.citation)
            for text in union.objects(citation, GD.supports)
        )
        if "Interventions" not in texts:
            unsupported.append(doc.id)
    assert unsupported == []


def test_the_adhd_nkr_has_its_21_recommendations_each_with_a_public_source(registry_store: Store) -> None:
    rows = [r for r in registry_store.select(SELECT_RECOMMENDATIONS) if str(r["rec"]).startswith(str(ADHD_NKR))]
    recommendations = {str(r["rec"]) for r in rows}
    assert len(recommendations) == 21
    assert all(str(r["source"]).startswith("https://") for r in rows)
    assert "Guanfacin vs. Atomoxetin" in {str(r["title"]) for r in rows}


def test_the_registry_tags_and_recommendations_break_no_rule(registry_store: Store) -> None:
    """The shapes check each tag is a concept of the right scheme; the registry's only gaps are unrecorded wordings."""
    report = validate_shapes(registry_store)
    assert report.violations() == []
    gaps = {r.shape.rsplit("#", 1)[-1] for r in report.results if "Recommendation" in r.shape}
    assert gaps <= {"RecommendationShape-text", "RecommendationShape-strengthStated"}
