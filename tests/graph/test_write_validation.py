"""After an edit, the SHACL report is brought up to date for what it changed, and equals validating everything again."""

from __future__ import annotations

from typing import Any

import pytest

from graph.model.snapshot import Snapshot
from graph.store.core import Store
from graph.store.spec import open_store
from graph.validation import validate as validation
from graph.validation.validate import REPORT, ValidationReport, validate_store
from loaders import edits
from loaders.ingest import ensure_seeded


def fresh(store: Store) -> list[object]:
    """The results of a full validation made now, in a snapshot of its own."""
    return Snapshot(store, store.generation)[REPORT].report.results


@pytest.fixture
def focus(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The focus nodes of each data-quality validation from here on (None: every node)."""
    seen: list[Any] = []
    shapes = validation.validate_shapes

    def spy(store: Store, **options: Any) -> ValidationReport:
        seen.append(options.get("focus"))
        return shapes(store, **options)

    monkeypatch.setattr(validation, "validate_shapes", spy)
    return seen


def seeded() -> Store:
    store = open_store("memory")
    ensure_seeded(store)
    validate_store(store)  # a report is made, as after a visit to /validation
    return store


def test_a_document_edit_updates_the_report_to_what_a_full_validation_gives(focus: list[Any]) -> None:
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
    focus.clear()
    refreshed = validate_store(store)
    assert focus and None not in focus, "the report was updated for the edit, not made again"
    assert any(r.focus.endswith("/rh-depression-plan") for r in refreshed.results)
    assert refreshed.results == fresh(store)

    etag = edits.current_etag(store, "document", "rh-depression-plan")
    edits.delete_record(store, "document", "rh-depression-plan", "test", etag)
    focus.clear()
    refreshed = validate_store(store)
    assert focus and None not in focus
    assert not any(r.focus.endswith("/rh-depression-plan") for r in refreshed.results)
    assert refreshed.results == fresh(store)


def test_an_organisation_edit_updates_the_report_too(focus: list[Any]) -> None:
    store = seeded()
    body = {
        "id": "region-h-psykiatri",
        "name": "Region Hovedstadens Psykiatri",
        "part_of": "region-h",
        "sources": ["https://example.org/psykiatri"],
    }
    edits.save_record(store, "organisation", body, "test", creating=True)
    focus.clear()
    refreshed = validate_store(store)
    assert focus and None not in focus
    assert refreshed.results == fresh(store)
