"""Real clients dereference the graph's IRIs on a real server whose base IRI is its own URL (issue 18).

rdflib's ``Graph().parse(iri)`` sends its own Accept header and follows what the server answers, as a
linked-data client following links would; the vocabulary IRIs, fixed under w3id.org, are fetched at
the path the w3id rules send them to.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from graph.store.namespaces import GD
from tests.api.conftest import free_port, start_server, stop

pytestmark = pytest.mark.slow  # a real uvicorn on loopback

EDITOR = "e" * 24
PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def own_base() -> Iterator[str]:
    """A real server on the shipped registry (in memory, writable) minting its IRIs under its own URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    env = {"RETNINGSGRAF_BASE": base, "RETNINGSGRAF_TOKENS": f"ed:edit:{EDITOR}"}
    process, url = start_server(env=env, port=port)
    assert url + "/" == base
    try:
        yield base
    finally:
        stop(process)


def test_rdflib_dereferences_a_document_and_follows_it_to_its_owner(own_base: str) -> None:
    document = URIRef(f"{own_base}document/nkr-bipolar")
    graph = Graph().parse(document)
    owner = graph.value(document, GD.ownedBy)
    assert owner is not None and str(owner).startswith(own_base)
    assert (owner, RDF.type, None) in Graph().parse(owner)


def test_rdflib_dereferences_a_named_graph_and_its_load_record(own_base: str) -> None:
    name = URIRef(f"{own_base}graph/registry/sst")
    graph = Graph().parse(name)
    activity = graph.value(name, URIRef(PROV + "wasGeneratedBy"))
    assert activity is not None and str(activity).startswith(own_base)
    load = Graph().parse(activity)
    assert (activity, URIRef(PROV + "generated"), name) in load


def test_rdflib_dereferences_a_concept_and_the_ontology(own_base: str) -> None:
    concept = Graph().parse(f"{own_base}icd10/F32")
    f32 = URIRef("https://w3id.org/retningsgraf/icd10/F32")
    assert concept.value(f32, SKOS.broader) == URIRef("https://w3id.org/retningsgraf/icd10/F30-F39")
    ontology = Graph().parse(f"{own_base}ontology")
    assert (GD.GuidingDocument, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in ontology


def test_the_service_description_and_void_parse_and_follow_a_write(own_base: str) -> None:
    void_url = f"{own_base}.well-known/void"

    def sizes() -> tuple[dict[str, int], int, int, int]:
        health = httpx.get(f"{own_base}health").json()
        void = Graph().parse(void_url)
        dataset = void.value(None, RDF.type, URIRef(VOID + "Dataset"))
        partition = void.value(dataset, URIRef(VOID + "classPartition"))
        service = Graph().parse(f"{own_base}sparql")
        sd = "http://www.w3.org/ns/sparql-service-description#"
        default = service.value(service.value(URIRef(f"{own_base}sparql"), URIRef(sd + "defaultDataset")),
                                URIRef(sd + "defaultGraph"))  # fmt: skip
        return (
            health,
            void.value(dataset, URIRef(VOID + "triples")).toPython(),
            void.value(partition, URIRef(VOID + "entities")).toPython(),
            service.value(default, URIRef(VOID + "triples")).toPython(),
        )

    health, triples, documents, sd_triples = sizes()
    assert (triples, documents, sd_triples) == (health["triples"], health["documents"], health["triples"])
    draft = {
        "id": "ld-test-ptsd", "title": "Behandling af PTSD hos voksne", "kind": "DMPGGuideline",
        "owners": ["dmpg-dep"], "disease_areas": ["F43.1"], "populations": ["adults"], "topics": ["treatment"],
        "status": "planned", "sources": ["https://example.org/plan"],
    }  # fmt: skip
    written = httpx.post(f"{own_base}documents", json=draft, headers={"Authorization": f"Bearer {EDITOR}"}, timeout=60)
    assert written.status_code in (200, 201), written.text
    after, triples, documents, sd_triples = sizes()
    assert after["documents"] == health["documents"] + 1
    assert (triples, documents, sd_triples) == (after["triples"], after["documents"], after["triples"])
    new = URIRef(f"{own_base}document/ld-test-ptsd")
    assert (new, RDF.type, GD.DMPGGuideline) in Graph().parse(new)


@pytest.mark.parametrize(
    "path",
    ["/document/nkr-bipolar", "/organisation/sst", "/icd10/F32", "/graph/registry/sst", "/scheme/topic", "/ontology"],
)
def test_iris_answer_on_the_embedded_and_the_remote_store(server: str, path: str) -> None:
    for media, rdf_format in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = httpx.get(f"{server}{path}", headers={"Accept": media}, timeout=60)
        assert response.status_code == 200, (media, response.text)
        assert len(Graph().parse(data=response.text, format=rdf_format)) > 0
    page = httpx.get(f"{server}{path}", headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and "<h1>" in page.text
    for described in ("/sparql", "/.well-known/void"):
        assert len(Graph().parse(data=httpx.get(f"{server}{described}", timeout=60).text, format="turtle")) > 10
