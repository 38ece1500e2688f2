"""The stores: the same interface in memory and on disk; the disk store survives a restart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from graph.store.core import GraphWrite, StoreError
from graph.store.spec import open_store
from loaders.ingest import ensure_seeded, load_files

DATA = Path(__file__).parent.parent / "data" / "loaders"
G = URIRef("https://w3id.org/retningsgraf/graph/test")


def one_triple(text: str) -> Graph:
    graph = Graph()
    graph.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal(text)))
    return graph


@pytest.mark.parametrize("spec", ["memory", "disk"])
def test_writing_a_graph_replaces_it_whole(spec: str, tmp_path: Path) -> None:
    store = open_store("memory" if spec == "memory" else f"oxigraph:{tmp_path / 'db'}")
    store.write([GraphWrite(G, one_triple("first"))])
    store.write([GraphWrite(G, one_triple("second"))])
    assert [str(r["o"]) for r in store.select("SELECT ?o WHERE { ?s ?p ?o }")] == ["second"]
    store.write([GraphWrite(G, Graph())])
    assert store.triple_count() == 0


def test_persistent_store_survives_a_restart(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    store = open_store(spec)
    ensure_seeded(store)
    load_files(store, [DATA / "family.yaml"], progress=False)
    documents, triples = store.document_count(), store.triple_count()
    store.close()
    del store
    reopened = open_store(spec)
    assert ensure_seeded(reopened) == [], "a store with data is not seeded again"
    assert (reopened.document_count(), reopened.triple_count()) == (documents, triples)


def test_empty_persistent_store_is_seeded_with_the_shipped_registry(tmp_path: Path) -> None:
    store = open_store(f"oxigraph:{tmp_path / 'db'}")
    reports = ensure_seeded(store)
    assert {r.source for r in reports} == {
        f"registry/{p.stem}" for p in (DATA.parent.parent.parent / "loaders" / "registry").glob("*.yaml")
    }
    assert store.document_count() >= 110


def test_a_failing_write_changes_nothing(tmp_path: Path) -> None:
    store = open_store("memory")
    store.write([GraphWrite(G, one_triple("kept"))])
    bad = GraphWrite(URIRef("https://w3id.org/retningsgraf/graph/bad name"), one_triple("lost"))
    with pytest.raises(StoreError):
        store.write([GraphWrite(G, Graph()), bad])
    assert [str(r["o"]) for r in store.select("SELECT ?o WHERE { ?s ?p ?o }")] == ["kept"]


def test_unknown_store_spec_is_a_clear_error() -> None:
    with pytest.raises(
        StoreError,
        match=re.escape("use 'memory', 'oxigraph:DIR' or 'sparql:QUERY_URL[,UPDATE_URL]'"),
    ):
        open_store("postgres://x")


def test_bindings_are_escaped_not_formatted(tmp_path: Path) -> None:
    store = open_store("memory")
    store.write([GraphWrite(G, one_triple('evil" } ; DROP ALL ; #'))])
    rows = store.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": Literal('evil" } ; DROP ALL ; #')})
    assert len(rows) == 1
