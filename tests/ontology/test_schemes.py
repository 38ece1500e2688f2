"""Hygiene of the intervention and setting schemes: labels in both languages, one scheme, unique names, ATC codes."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, URIRef

from graph.model.vocabulary import ONTOLOGY_DIR, vocabulary
from graph.store.namespaces import DCTERMS, GD, INTERVENTION_SCHEME, SETTING_SCHEME, SKOS

SCHEMES = {"interventions.ttl": INTERVENTION_SCHEME, "settings.ttl": SETTING_SCHEME}
# WHO ATC: anatomical group, therapeutic subgroup, then up to two letters and two digits (N05AH02).
ATC = re.compile(r"^[A-Z][0-9]{2}(?:[A-Z](?:[A-Z](?:[0-9]{2})?)?)?$")


def _graph(name: str) -> Graph:
    return Graph().parse(ONTOLOGY_DIR / name, format="turtle")


def _concepts(graph: Graph) -> list[URIRef]:
    return sorted(c for c in graph.subjects(predicate=None, object=SKOS.Concept) if isinstance(c, URIRef))


@pytest.mark.parametrize("name", SCHEMES)
def test_every_concept_has_one_danish_and_one_english_preferred_label(name: str) -> None:
    graph = _graph(name)
    wrong = [
        str(c)
        for c in _concepts(graph)
        if sorted(getattr(label, "language", None) for label in graph.objects(c, SKOS.prefLabel)) != ["da", "en"]
    ]
    assert wrong == []


@pytest.mark.parametrize("name", SCHEMES)
def test_every_concept_is_in_its_scheme_and_its_broader_concept_too(name: str) -> None:
    graph, scheme = _graph(name), SCHEMES[name]
    concepts = set(_concepts(graph))
    assert concepts
    assert {c for c in concepts if (c, SKOS.inScheme, scheme) not in graph} == set()
    assert {p for c in concepts for p in graph.objects(c, SKOS.broader)} <= concepts
    tops = set(graph.objects(scheme, SKOS.hasTopConcept))
    assert tops == {c for c in concepts if not list(graph.objects(c, SKOS.broader))}
    assert tops == set(graph.subjects(SKOS.topConceptOf, scheme))


@pytest.mark.parametrize("name", SCHEMES)
def test_notations_are_unique_and_there_is_one_per_concept(name: str) -> None:
    graph = _graph(name)
    notations = [str(n) for c in _concepts(graph) for n in graph.objects(c, SKOS.notation)]
    assert len(notations) == len(_concepts(graph))
    assert len(set(notations)) == len(notations)


@pytest.mark.parametrize("name", SCHEMES)
def test_no_name_of_a_concept_is_also_the_name_of_another(name: str) -> None:
    """A shared label would resolve to whichever concept the lookup meets first, silently."""
    graph = _graph(name)
    owner: dict[str, set[URIRef]] = {}
    for concept in _concepts(graph):
        for prop in (SKOS.prefLabel, SKOS.altLabel, GD.atcCode):
            for label in graph.objects(concept, prop):
                owner.setdefault(str(label).casefold(), set()).add(concept)
    assert {label: sorted(c) for label, c in owner.items() if len(c) > 1} == {}


def test_every_atc_code_is_well_formed_and_has_a_source() -> None:
    graph = _graph("interventions.ttl")
    coded = {c: [str(code) for code in graph.objects(c, GD.atcCode)] for c in _concepts(graph)}
    coded = {c: codes for c, codes in coded.items() if codes}
    assert len(coded) >= 20
    assert [code for codes in coded.values() for code in codes if not ATC.match(code)] == []
    assert [str(c) for c in coded if not list(graph.objects(c, DCTERMS.source))] == []


def test_a_substance_lies_under_its_atc_class() -> None:
    """Clozapine (N05AH02) is under antipsychotics (N05A): a child's code extends its parent's, where both have one."""
    graph = _graph("interventions.ttl")
    wrong = []
    for concept in _concepts(graph):
        codes = [str(code) for code in graph.objects(concept, GD.atcCode)]
        for parent in graph.objects(concept, SKOS.broader):
            parents = [str(code) for code in graph.objects(parent, GD.atcCode)]
            if codes and parents and not all(any(c.startswith(p) for p in parents) for c in codes):
                wrong.append((str(concept), codes, parents))
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "notation"),
    [
        ("ECT", "ect"),
        ("elektrochok", "ect"),
        ("N05AH02", "clozapine"),
        ("esketamin", "esketamine"),
        ("centralstimulerende medicin", "adhd-medicines"),
        ("benzodiazepiner", "benzodiazepines"),
        ("kognitiv adfærdsterapi", "cbt"),
    ],
)
def test_a_document_names_an_intervention_by_its_danish_words_or_atc_code(text: str, notation: str) -> None:
    assert vocabulary().interventions.resolve(text) == vocabulary().interventions.concepts[notation]


@pytest.mark.parametrize(
    ("text", "notation"),
    [("almen praksis", "general-practice"), ("egen læge", "general-practice"), ("BUP", "child-adolescent-psychiatry")],
)
def test_a_document_names_a_setting_by_its_danish_words(text: str, notation: str) -> None:
    assert vocabulary().settings.resolve(text) == vocabulary().settings.concepts[notation]


def test_indications_are_not_interventions() -> None:
    """'Behandlingsresistent' depression is a population, not a treatment (issue 15)."""
    for text in ("behandlingsresistent", "vanskeligt behandlelig"):
        assert vocabulary().interventions.resolve(text) is None
