"""A document's fields are one list, the read model's: its JSON, schema, write body and records follow it."""

from api.routers.writes import DocumentIn
from api.schemas import DocumentOut
from graph.analysis.views import document_json
from graph.model.landscape import DOCUMENT_FIELDS, Document, Landscape
from graph.model.vocabulary import vocabulary
from loaders.records import DOCUMENT_FIELDS as RECORD_FIELDS

# Made by the store, never written: the document's IRI and whether its status is a valid one.
DERIVED = {"iri", "valid"}


def test_document_json_shows_every_field_in_the_read_models_order_with_the_kinds_label() -> None:
    land = Landscape([], [], vocabulary())
    shown = list(document_json(land, Document(id="x", iri="https://example.org/x", kind="Other")))
    kind = DOCUMENT_FIELDS.index("kind")
    assert shown == [*DOCUMENT_FIELDS[: kind + 1], "kind_label", *DOCUMENT_FIELDS[kind + 1 :]]


def test_the_documented_json_schema_is_the_json_a_document_gets() -> None:
    land = Landscape([], [], vocabulary())
    assert list(DocumentOut.model_fields) == list(document_json(land, Document(id="x", iri="", kind="Other")))


def test_a_document_is_written_and_loaded_with_the_read_models_fields_but_the_derived_ones() -> None:
    assert set(DocumentIn.model_fields) == set(DOCUMENT_FIELDS) - DERIVED
    assert set(RECORD_FIELDS) == set(DOCUMENT_FIELDS) - DERIVED
