"""graph.validation.validate incremental validation: after a write, the same results as a fresh full validation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, URIRef

from graph.model.snapshot import Snapshot
from graph.store.core import GraphWrite, Store
from graph.store.spec import open_store
from graph.validation import validate as validation
from graph.validation.validate import (
    REPORT,
    ValidationReport,
    refresh_after_write,
    touched,
    validate_document,
    validate_store,
)
from loaders.ingest import ensure_seeded

DOC = URIRef("https://w3id.org/retningsgraf/document/incremental-test")
GRAPH = URIRef("https://w3id.org/retningsgraf/graph/documents/incremental-test")
OLD = URIRef("https://w3id.org/retningsgraf/document/incremental-test-old")
PREFIXES = """
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix gd: <https://w3id.org/retningsgraf/ontology#> .
@prefix icd10: <https://w3id.org/retningsgraf/icd10/> .
@prefix population: <https://w3id.org/retningsgraf/population/> .
@prefix status: <https://w3id.org/retningsgraf/status/> .
@prefix topic: <https://w3id.org/retningsgraf/topic/> .
"""


@pytest.fixture
def registry() -> Iterator[Store]:
    store = open_store("memory")
    ensure_seeded(store)
    owner = _pick(store, "PREFIX gd: <https://w3id.org/retningsgraf/ontology#> SELECT ?x WHERE { ?d gd:ownedBy ?x }")
    old = f"""{PREFIXES}
<{OLD}> a gd:NationalClinicalGuideline ;
    dcterms:title "Behandling af depression, gammel udgave"@da ;
    gd:ownedBy <{owner}> ;
    gd:diseaseArea icd10:F32 ;
    gd:status status:superseded ;
    dcterms:source <https://example.org/incremental-test-old> .
"""
    store.write([GraphWrite(URIRef(f"{GRAPH}-old"), Graph().parse(data=old, format="turtle"))])
    yield store
    store.close()


def _pick(store: Store, query: str) -> URIRef:
    rows = store.select(query)
    assert rows, query
    return URIRef(str(sorted(str(r["x"]) for r in rows)[0]))


def _versions(store: Store) -> list[str | None]:
    """Turtle for the document as added, as changed, and None for deleted.

    The added version replaces a superseded document that nothing replaced yet, so that
    document's successor result goes away and comes back when the change drops the link.
    """
    owner = _pick(store, "PREFIX gd: <https://w3id.org/retningsgraf/ontology#> SELECT ?x WHERE { ?d gd:ownedBy ?x }")
    superseded = OLD
    added = f"""{PREFIXES}
<{DOC}> a gd:NationalClinicalGuideline ;
    dcterms:title "Behandling af depression, testudgave"@da ;
    gd:ownedBy <{owner}> ;
    gd:diseaseArea icd10:F32 ;
    gd:population population:children ;
    gd:topic topic:treatment ;
    gd:status status:published ;
    dcterms:issued "2015"^^<http://www.w3.org/2001/XMLSchema#gYear> ;
    dcterms:replaces <{superseded}> ;
    dcterms:source <https://example.org/incremental-test> .
"""
    # No title, a second status and another area: a violation, and gap targets elsewhere.
    changed = f"""{PREFIXES}
<{DOC}> a gd:NationalClinicalGuideline ;
    gd:ownedBy <{owner}> ;
    gd:diseaseArea icd10:F20 ;
    gd:status status:not-valid , status:withdrawn ;
    dcterms:issued "2019-05"^^<http://www.w3.org/2001/XMLSchema#gYearMonth> .
"""
    return [added, changed, None]


def _write(store: Store, turtle: str | None) -> None:
    triples = Graph() if turtle is None else Graph().parse(data=turtle, format="turtle")
    store.write([GraphWrite(GRAPH, triples)])


def _fresh(store: Store) -> ValidationReport:
    """A full validation made now, in a snapshot of its own (none of the store's kept reports)."""
    return Snapshot(store, store.generation)[REPORT].report


def test_validate_document_equals_a_full_validation_restricted_to_what_the_write_touches(registry: Store) -> None:
    validate_store(registry)
    for version in _versions(registry):
        before = touched(registry, [DOC])
        _write(registry, version)
        incremental = validate_document(registry, DOC, before)
        scope = touched(registry, [DOC]) | before
        expected = [r for r in _fresh(registry).results if scope.covers(r)]
        assert incremental.results == expected
        about_doc = [r for r in incremental.results if r.focus == str(DOC)]
        assert bool(about_doc) == (version is not None), "each step must change the document's own results"


def test_refresh_after_write_gives_the_report_of_a_fresh_full_validation(registry: Store) -> None:
    previous = validate_store(registry)
    for version in _versions(registry):
        before = touched(registry, [DOC])
        _write(registry, version)
        refreshed = refresh_after_write(registry, [DOC], before, previous)
        fresh = _fresh(registry)
        assert refreshed.results == fresh.results
        assert refreshed.conforms == fresh.conforms
        previous = refreshed


def test_a_write_that_breaks_the_document_shows_in_the_refreshed_report(registry: Store) -> None:
    previous = validate_store(registry)
    added, changed, _ = _versions(registry)
    _write(registry, added)
    previous = refresh_after_write(registry, [DOC], None, previous)
    before = touched(registry, [DOC])
    _write(registry, changed)
    refreshed = refresh_after_write(registry, [DOC], before, previous)
    assert not refreshed.conforms
    shapes = {r.shape.rsplit("#", 1)[-1] for r in refreshed.results if r.focus == str(DOC)}
    assert {"DocumentShape-title", "DocumentShape-status"} <= shapes


def test_after_each_write_the_report_is_updated_for_the_document_and_equals_a_full_validation(
    registry: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No touched() taken before the writes: the report remembers which documents the written one
    # replaced, so dropping that link (the second version) brings the superseded one's result back.
    validate_store(registry)
    focus: list[Any] = []
    shapes = validation.validate_shapes

    def spy(store: Store, **options: Any) -> ValidationReport:
        focus.append(options.get("focus"))
        return shapes(store, **options)

    monkeypatch.setattr(validation, "validate_shapes", spy)
    for version in _versions(registry):
        _write(registry, version)
        focus.clear()
        updated = validate_store(registry)
        assert focus and None not in focus, "the written document and its neighbours were validated, not everything"
        assert updated.results == _fresh(registry).results
    superseded = {r.shape.rsplit("#", 1)[-1] for r in validate_store(registry).results if r.focus == str(OLD)}
    assert "DocumentShape-successor" in superseded
