"""After an edit, the cached SHACL report is brought up to date, and equals validating everything again."""

from __future__ import annotations

from graph.store.core import Store
from graph.store.spec import open_store
from graph.validation.validate import ValidationReport, validate_store
from loaders import edits
from loaders.ingest import ensure_seeded


def fresh(store: Store) -> list[object]:
    store.cache.pop("validation", None)
    store.cache.pop("gaps", None)
    return validate_store(store).results


def seeded() -> Store:
    store = open_store("memory")
    ensure_seeded(store)
    validate_store(store)  # a report is cached, as after a visit to /validation
    return store


def test_a_document_edit_refreshes_the_cached_report_to_what_a_full_validation_gives() -> None:
    store = seeded()
    body = {
        "id": "rh-depression-plan",
        "title": "Behandling af depression hos voksne",
        "kind": "RegionalGuideline",
        "owners": ["region-h"],
        "disease_areas": ["F32"],
        "status": "published",  # no issue date: the report gains a warning about it
        "sources": ["https://example.org/plan"],
    }
    edits.save_record(store, "document", body, "test", creating=True)
    refreshed = store.cache.get("validation")
    assert isinstance(refreshed, ValidationReport), "the report was kept and refreshed, not dropped"
    assert any(r.focus.endswith("/rh-depression-plan") for r in refreshed.results)
    assert refreshed.results == fresh(store)

    etag = edits.current_etag(store, "document", "rh-depression-plan")
    edits.delete_record(store, "document", "rh-depression-plan", "test", etag)
    refreshed = store.cache.get("validation")
    assert isinstance(refreshed, ValidationReport)
    assert not any(r.focus.endswith("/rh-depression-plan") for r in refreshed.results)
    assert refreshed.results == fresh(store)


def test_an_organisation_edit_refreshes_the_cached_report_too() -> None:
    store = seeded()
    body = {
        "id": "region-h-psykiatri",
        "name": "Region Hovedstadens Psykiatri",
        "part_of": "region-h",
        "sources": ["https://example.org/psykiatri"],
    }
    edits.save_record(store, "organisation", body, "test", creating=True)
    refreshed = store.cache.get("validation")
    assert isinstance(refreshed, ValidationReport)
    assert refreshed.results == fresh(store)
