"""Linked data in process: every IRI the graph mints answers by content negotiation, the ontology page
documents every term and shape, the service and dataset descriptions agree with /health, and no page
links to a path that does not answer (https://github.com/retningsgraf issue 18)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from graph.analysis.ontology_doc import DOCUMENTATION
from graph.store.namespaces import GD, VOCAB

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = {"text/html": None, "text/turtle": "turtle", "application/ld+json": "json-ld"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def exported(client: TestClient) -> Graph:
    return Graph().parse(data=client.get("/exports/graph.nt").text, format="nt")


def minted(graph: Graph) -> list[str]:
    """Every distinct IRI under the base that the exported graph has as a subject or an object."""
    found = {str(t) for s, _, o in graph for t in (s, o) if isinstance(t, URIRef) and str(t).startswith(VOCAB)}
    return sorted(found)


def path_of(iri: str) -> str:
    """The service path for an IRI, as the w3id rules map it (a fragment stays on the page)."""
    return "/" + iri[len(VOCAB) :].split("#", 1)[0]


@pytest.mark.slow  # about 2,200 requests, a document page each for 126 documents
def test_every_minted_iri_answers_html_turtle_and_json_ld(client: TestClient) -> None:
    iris = minted(exported(client))
    assert len(iris) > 700  # documents, organisations, concepts, terms, graphs, loads, citations, links
    failed = []
    for iri in iris:
        for media, rdf_format in FORMATS.items():
            response = client.get(path_of(iri), headers={"Accept": media})
            if response.status_code != 200 or not response.headers["content-type"].startswith(media):
                failed.append((iri, media, response.status_code))
                continue
            if rdf_format:
                described = Graph().parse(data=response.text, format=rdf_format, publicID=iri)
                # The description speaks of the IRI asked for; ontology terms through the whole ontology.
                if URIRef(iri) not in set(described.subjects()) | set(described.objects()):
                    failed.append((iri, media, "not described"))
    assert failed == []


def test_a_document_iri_answers_the_same_rdf_as_its_api_path(client: TestClient) -> None:
    at_iri = client.get("/document/nkr-bipolar", headers={"Accept": "text/turtle"})
    at_api = client.get("/documents/nkr-bipolar", headers={"Accept": "text/turtle"})
    assert at_iri.status_code == 200
    assert "Accept" in [part.strip() for part in at_iri.headers["vary"].split(",")]
    assert at_iri.content == at_api.content


def test_an_iri_answers_turtle_to_a_client_that_accepts_anything(client: TestClient) -> None:
    for accept in ("*/*", ""):
        response = client.get("/organisation/sst", headers={"Accept": accept})
        assert response.headers["content-type"].startswith("text/turtle")
    assert client.get("/organisation/sst", headers={"Accept": BROWSER}).headers["content-type"].startswith("text/html")
    assert client.get("/organisation/sst", headers={"Accept": "application/n-triples"}).status_code == 200
    assert client.get("/organisation/sst", headers={"Accept": "image/png"}).status_code == 406


def test_an_iri_nothing_is_known_of_is_404(client: TestClient) -> None:
    for path in ("/icd10/X99", "/document/no-such-document", "/graph/nothing/here", "/ontology/NoSuchTerm"):
        assert client.get(path, headers={"Accept": "text/turtle"}).status_code == 404, path


def test_an_icd10_page_shows_broader_narrower_and_the_documents_that_cover_it(client: TestClient) -> None:
    page = client.get("/icd10/F32", headers={"Accept": "text/html"}).text
    assert 'href="/icd10/F30-F39"' in page  # broader
    assert 'href="/icd10/F32.1"' in page  # narrower
    covering = client.get("/documents", params={"disease_area": "F32", "limit": 1000}).json()["items"]
    assert covering
    for doc in covering:
        assert f'href="/documents/{doc["id"]}"' in page


def test_a_load_record_answers_its_prov(client: TestClient) -> None:
    graph = Graph().parse(data=client.get("/graph/registry/sst", headers={"Accept": "text/turtle"}).text)
    sst = URIRef(f"{VOCAB}graph/registry/sst")
    activity = graph.value(sst, URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"))
    assert activity is not None
    load = Graph().parse(data=client.get(path_of(str(activity)), headers={"Accept": "text/turtle"}).text)
    assert (activity, RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")) in load
    assert graph.value(sst, VOID.triples).toPython() > 0


def test_the_ontology_page_documents_every_class_property_and_shape(client: TestClient) -> None:
    page = client.get("/ontology", headers={"Accept": BROWSER}).text
    anchors = set(re.findall(r'id="([^"]+)"', page))
    assert set(DOCUMENTATION.terms) <= anchors
    assert set(DOCUMENTATION.shapes) <= anchors
    assert len(DOCUMENTATION.shapes) > 50
    owner = page.split('id="ownedBy"', 1)[1].split("</article>", 1)[0]
    assert "ejes af" in owner or "ejer" in owner  # the Danish label
    assert 'href="#DocumentShape-owner"' in owner  # the shape that checks it
    assert "org:Organization" in owner  # its range
    gap = page.split('id="GapShape-orphanedNKR-query"', 1)[1].split("</article>", 1)[0]
    assert "<pre>" in gap and "SELECT" in gap and "NKR" in gap  # a gap rule's query and its message


def test_an_ontology_term_has_its_own_rdf_and_a_browser_lands_on_its_anchor(client: TestClient) -> None:
    term = Graph().parse(data=client.get("/ontology/GuidingDocument", headers={"Accept": "text/turtle"}).text)
    assert (GD.GuidingDocument, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(
        "retningsgivende dokument", lang="da")) in term  # fmt: skip
    redirect = client.get("/ontology/GuidingDocument", headers={"Accept": BROWSER}, follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/ontology#GuidingDocument"
    shapes = Graph().parse(data=client.get("/shapes", headers={"Accept": "text/turtle"}).text)
    assert (GD["DocumentShape-owner"], None, None) in shapes


def test_sparql_without_a_query_describes_the_service_and_agrees_with_health(client: TestClient) -> None:
    health = client.get("/health").json()
    for media, rdf_format in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        response = client.get("/sparql", headers={"Accept": media})
        assert response.status_code == 200
        graph = Graph().parse(data=response.text, format=rdf_format)
        service = graph.value(None, RDF.type, SD.Service)
        assert str(graph.value(service, SD.endpoint)).endswith("/sparql")
        json_results = URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")
        assert json_results in set(graph.objects(service, SD.resultFormat))
        assert graph.value(service, GD.maxResultRows).toPython() == 100_000
        assert float(graph.value(service, GD.queryTimeout).toPython()) == 10.0
        default = graph.value(graph.value(service, SD.defaultDataset), SD.defaultGraph)
        assert graph.value(default, VOID.triples).toPython() == health["triples"]
    assert client.get("/sparql", params={"query": ""}).status_code == 400  # a query left empty is still a mistake
    browser = client.get("/sparql", headers={"Accept": BROWSER}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/planning/sparql"


def test_void_describes_the_dataset_with_the_counts_of_health(client: TestClient) -> None:
    health = client.get("/health").json()
    graph = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text)
    dataset = graph.value(None, RDF.type, VOID.Dataset)
    assert graph.value(dataset, VOID.triples).toPython() == health["triples"]
    partition = graph.value(dataset, VOID.classPartition)
    assert graph.value(partition, VOID["class"]) == GD.GuidingDocument
    assert graph.value(partition, VOID.entities).toPython() == health["documents"]
    assert str(graph.value(dataset, VOID.sparqlEndpoint)).endswith("/sparql")
    assert {GD[""], URIRef("http://www.w3.org/2004/02/skos/core#")} <= set(graph.objects(dataset, VOID.vocabulary))
    assert graph.value(dataset, URIRef("http://purl.org/dc/terms/modified")) is not None
    assert (dataset, URIRef("http://purl.org/dc/terms/license"), None) not in graph  # the repository states none


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for name in ("href", "src"):
            if tag in ("a", "link", "script", "img") and values.get(name):
                self.links.append(values[name] or "")


@pytest.mark.slow  # about a minute: every document page is two steps from /planning
def test_no_page_links_to_a_path_that_does_not_answer(client: TestClient) -> None:
    """A small link checker: from the pages, follow every internal link (and anchor) one and two steps out."""
    start = ["/planning", "/ontology", "/document/nkr-bipolar", "/organisation/sst", "/icd10/F32", "/topic/treatment",
             "/scheme/icd10-f", "/graph/registry/sst", "/event/sundk-merger", "/population/children"]  # fmt: skip
    seen: dict[str, _Links] = {}
    broken: list[tuple[str, str, object]] = []
    frontier = list(start)
    for depth in range(2):
        following = []
        for path in frontier:
            if path in seen:
                continue
            response = client.get(path, headers={"Accept": BROWSER})
            if response.status_code != 200:
                broken.append(("start" if depth == 0 else "link", path, response.status_code))
                continue
            parser = _Links()
            if response.headers["content-type"].startswith("text/html"):
                parser.feed(response.text)
            seen[path] = parser
            for link in parser.links:
                target, fragment = urldefrag(link)
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or target.startswith(("mailto:", "javascript:")):
                    continue  # external: not ours to check
                if not target:
                    if fragment and fragment not in parser.ids:
                        broken.append((path, link, "no such anchor"))
                    continue
                following.append(target)
        frontier = following
    for path in {link for link in frontier if link not in seen}:
        status = client.get(path, headers={"Accept": BROWSER}).status_code
        if status != 200:
            broken.append(("link", path, status))
    ontology = seen["/ontology"]
    broken += [("/ontology", link, "no such anchor") for link in ontology.links
               if link.startswith("/ontology#") and link.split("#", 1)[1] not in ontology.ids]  # fmt: skip
    assert broken == []


@pytest.mark.parametrize("path", ["/planning", "/document/nkr-bipolar", "/ontology"])
def test_every_page_links_the_dataset_description_and_the_ontology(client: TestClient, path: str) -> None:
    page = client.get(path, headers={"Accept": BROWSER}).text
    assert 'href="/.well-known/void"' in page and 'href="/ontology"' in page


def test_a_resource_page_speaks_english_behind_the_switch(client: TestClient) -> None:
    client.cookies.clear()  # the session's shared client: a language another test chose is not this test's default
    danish = client.get("/organisation/sst", headers={"Accept": BROWSER}).text
    english = client.get("/organisation/sst", params={"lang": "en"}, headers={"Accept": BROWSER}).text
    assert "<h1>Sundhedsstyrelsen</h1>" in danish and ">ejes af<" in danish
    assert "<h1>Danish Health Authority</h1>" in english and ">owned by<" in english
