"""A document's ETag is a hash of its triples exactly as rdflib's N-Triples serializer writes them."""

from __future__ import annotations

import hashlib

from rdflib import Graph

from graph.model.landscape import landscape
from graph.store.core import Store
from loaders import edits


def _serialised_etag(store: Store, doc_id: str) -> str:
    description = Graph()
    for row in store.select(edits._DESCRIBE, {"x": edits._iri(store, "document", doc_id)}):
        description.add((row["s"], row["p"], row["o"]))
    lines = sorted(line for line in description.serialize(format="nt").splitlines() if line)
    return '"' + hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32] + '"'


def test_every_registry_documents_etag_is_the_hash_of_its_serialised_triples(registry_store: Store) -> None:
    documents = landscape(registry_store).documents
    assert len(documents) > 100
    for doc_id in documents:
        expected = _serialised_etag(registry_store, doc_id)
        assert edits.current_etag(registry_store, "document", doc_id) == expected, doc_id


def test_a_record_with_no_triples_has_no_etag(registry_store: Store) -> None:
    assert edits.current_etag(registry_store, "document", "no-such-document") is None
