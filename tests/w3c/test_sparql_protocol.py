"""The W3C SPARQL 1.1 Protocol cases, each sent by a real HTTP client to a real uvicorn.

The manifest ``suites/sparql11/protocol/manifest.ttl`` (unpacked by ``make w3c``) names the
cases; the request and the expected answer of each are those of the W3C test descriptions
(w3c/rdf-tests, ``sparql/sparql11/protocol/manifest.ttl``), written out in `CASES`.  Every
manifest entry must have one, so a case added upstream fails here until it is covered.

The endpoint is read-only by design: the ``update_*`` cases, which expect an update to be
applied, are answered 403 and the test checks the refusal and that nothing changed (the
case's own follow-up ASK is false, the data is still there).  Every other case is followed
exactly.  Each runs on the embedded store and in remote-store mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from tests.api.conftest import server_with_graphs

pytestmark = pytest.mark.slow

MANIFEST = Path(__file__).parent / "suites" / "sparql11" / "protocol" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
K = "http://kasei.us/2009/09/sparql/data/"
FOAF_DOCUMENT = "http://xmlns.com/foaf/0.1/Document"
# The cases' data: data1.nt, data2.nt and data3.nt, each one triple in its own named graph.
GRAPHS = {f"{K}data{n}.rdf": f"<{K}data{n}.rdf> <{RDF.type}> <{FOAF_DOCUMENT}> .\n" for n in (1, 2, 3)}
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml"}
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
DATA0 = [("default-graph-uri", f"{K}data0.rdf")]


@dataclass(frozen=True)
class Case:
    """One protocol case: the request, and what must come back."""

    method: str
    params: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    content_type: str | None = None
    expect: str = "boolean"  # boolean, tabular, RDF, 4xx, or refused (an update, by design)
    follow_up: str | None = None  # an update case's own check, false here since nothing was applied


def _ask_in(graph: str, *subjects: str) -> str:
    patterns = " ".join(f"<{K}{s}> a <http://purl.org/dc/terms/BibliographicResource> ." for s in subjects)
    return f"ASK {{ GRAPH <{graph}> {{ {patterns} }} }}"


CASES: dict[str, Case] = {
    "query_post_form": Case("POST", DATA0, b"query=ASK%20%7B%7D", FORM),
    "query_dataset_default_graphs_get": Case(
        "GET",
        [
            ("query", f"ASK {{ <{K}data1.rdf> a ?type . <{K}data2.rdf> a ?type . }}"),
            ("default-graph-uri", f"{K}data1.rdf"),
            ("default-graph-uri", f"{K}data2.rdf"),
        ],
    ),
    "query_dataset_default_graphs_post": Case(
        "POST",
        [("default-graph-uri", f"{K}data1.rdf"), ("default-graph-uri", f"{K}data2.rdf")],
        f"ASK {{ <{K}data1.rdf> a ?type . <{K}data2.rdf> a ?type . }}".encode(),
        QUERY,
    ),
    "query_dataset_named_graphs_post": Case(
        "POST",
        [("named-graph-uri", f"{K}data1.rdf"), ("named-graph-uri", f"{K}data2.rdf")],
        f"ASK {{ GRAPH ?g1 {{ <{K}data1.rdf> a ?type }} GRAPH ?g2 {{ <{K}data2.rdf> a ?type }} }}".encode(),
        QUERY,
    ),
    "query_dataset_named_graphs_get": Case(
        "GET",
        [
            ("query", f"ASK {{ GRAPH ?g1 {{ <{K}data1.rdf> a ?type }} GRAPH ?g2 {{ <{K}data2.rdf> a ?type }} }}"),
            ("named-graph-uri", f"{K}data1.rdf"),
            ("named-graph-uri", f"{K}data2.rdf"),
        ],
    ),
    "query_dataset_full": Case(
        "POST",
        [
            ("default-graph-uri", f"{K}data3.rdf"),
            ("named-graph-uri", f"{K}data1.rdf"),
            ("named-graph-uri", f"{K}data2.rdf"),
        ],
        (
            f"ASK {{\n  <{K}data3.rdf> a ?type\n  GRAPH ?g1 {{ <{K}data1.rdf> a ?type }}\n"
            f"  GRAPH ?g2 {{ <{K}data2.rdf> a ?type }}\n}}"
        ).encode(),
        QUERY,
    ),
    "query_multiple_dataset": Case(
        "POST",
        [("named-graph-uri", f"{K}data1.rdf"), ("named-graph-uri", f"{K}data2.rdf")],
        (
            f"ASK FROM <{K}data3.rdf> {{ GRAPH ?g1 {{ <{K}data1.rdf> a ?type }} "
            f"GRAPH ?g2 {{ <{K}data2.rdf> a ?type }} }}"
        ).encode(),
        QUERY,
    ),
    "query_get": Case("GET", [("query", "ASK {}"), *DATA0]),
    "query_content_type_select": Case("POST", DATA0, b"SELECT (1 AS ?value) {}", QUERY, expect="tabular"),
    "query_content_type_ask": Case("POST", DATA0, b"ASK {}", QUERY),
    "query_content_type_describe": Case("POST", DATA0, b"DESCRIBE <http://example.org/>", QUERY, expect="RDF"),
    "query_content_type_construct": Case("POST", DATA0, b"CONSTRUCT { <s> <p> 1 } WHERE {}", QUERY, expect="RDF"),
    "update_dataset_default_graph": Case(
        "POST",
        [("using-graph-uri", f"{K}data1.rdf")],
        (
            "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\nCLEAR ALL ;\n"
            f"INSERT DATA {{ GRAPH <{K}data1.rdf> {{ <{K}data1.rdf> a foaf:Document }} }} ;\n"
            "INSERT { GRAPH <http://example.org/protocol-update-dataset-test/> { ?s a dc:BibliographicResource } }\n"
            "WHERE { ?s a foaf:Document }"
        ).encode(),
        UPDATE,
        expect="refused",
        follow_up=_ask_in("http://example.org/protocol-update-dataset-test/", "data1.rdf"),
    ),
    "update_dataset_default_graphs": Case(
        "POST",
        [("using-graph-uri", f"{K}data1.rdf"), ("using-graph-uri", f"{K}data2.rdf")],
        (
            b"PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\nDROP ALL ;\n"
            b"INSERT { GRAPH <http://example.org/protocol-update-dataset-graphs-test/> "
            b"{ ?s a dc:BibliographicResource } }\nWHERE { ?s a foaf:Document }"
        ),
        UPDATE,
        expect="refused",
        follow_up=_ask_in("http://example.org/protocol-update-dataset-graphs-test/", "data1.rdf", "data2.rdf"),
    ),
    "update_dataset_named_graphs": Case(
        "POST",
        [("using-named-graph-uri", f"{K}data1.rdf"), ("using-named-graph-uri", f"{K}data2.rdf")],
        (
            b"PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\nDROP ALL ;\n"
            b"INSERT { GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> "
            b"{ ?s a dc:BibliographicResource } }\nWHERE { GRAPH ?g { ?s a foaf:Document } }"
        ),
        UPDATE,
        expect="refused",
        follow_up=_ask_in("http://example.org/protocol-update-dataset-named-graphs-test/", "data1.rdf", "data2.rdf"),
    ),
    "update_dataset_full": Case(
        "POST",
        [("using-graph-uri", f"{K}data1.rdf"), ("using-named-graph-uri", f"{K}data2.rdf")],
        (
            b"PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nDROP ALL ;\n"
            b"INSERT { GRAPH <http://example.org/protocol-update-dataset-full-test/> "
            b"{ ?s <http://example.org/in> ?in } }\n"
            b"WHERE { { GRAPH ?g { ?s a foaf:Document } BIND(?g AS ?in) } "
            b'UNION { ?s a foaf:Document . BIND("default" AS ?in) } }'
        ),
        UPDATE,
        expect="refused",
        follow_up=(
            "ASK { GRAPH <http://example.org/protocol-update-dataset-full-test/> "
            f'{{ <{K}data1.rdf> <http://example.org/in> "default" }} }}'
        ),
    ),
    "update_post_form": Case("POST", [], b"update=CLEAR+ALL", FORM, expect="refused"),
    "update_post_direct": Case("POST", [], b"CLEAR ALL", UPDATE, expect="refused"),
    "update_base_uri": Case(
        "POST",
        [],
        (
            b"CLEAR SILENT GRAPH <http://example.org/protocol-base-test/> ;\n"
            b"INSERT DATA { GRAPH <http://example.org/protocol-base-test/> "
            b"{ <http://example.org/s> <http://example.org/p> <test> } }"
        ),
        UPDATE,
        expect="refused",
        follow_up=(
            "ASK { GRAPH <http://example.org/protocol-base-test/> "
            '{ <http://example.org/s> <http://example.org/p> ?o FILTER (isIRI(?o) && STR(?o) != "test") } }'
        ),
    ),
    "query_post_direct": Case("POST", [], b"ASK {}", QUERY),
    "bad_query_method": Case("PUT", [("query", "ASK {}"), *DATA0], None, FORM, expect="4xx"),
    "bad_multiple_queries": Case("GET", [("query", "ASK {}"), ("query", "SELECT * {}")], expect="4xx"),
    "bad_query_wrong_media_type": Case("POST", [], b"ASK {}", "text/plain", expect="4xx"),
    "bad_query_missing_form_type": Case("POST", [], b"query=ASK%20%7B%7D", None, expect="4xx"),
    "bad_query_missing_direct_type": Case("POST", [], b"ASK {}", None, expect="4xx"),
    "bad_query_non_utf8": Case("POST", [], "ASK {}".encode("utf-16"), f"{QUERY}; charset=UTF-16", expect="4xx"),
    "bad_query_syntax": Case("GET", [("query", "ASK {")], expect="4xx"),
    "bad_update_get": Case("GET", [("update", "CLEAR ALL")], expect="4xx"),
    "bad_multiple_updates": Case("POST", [], b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM, expect="4xx"),
    "bad_update_wrong_media_type": Case("POST", [], b"CLEAR NAMED", "text/plain", expect="4xx"),
    "bad_update_missing_form_type": Case("POST", [], b"update=CLEAR%20NAMED", None, expect="4xx"),
    "bad_update_non_utf8": Case("POST", [], "CLEAR NAMED".encode("utf-16"), f"{UPDATE}; charset=UTF-16", expect="4xx"),
    "bad_update_syntax": Case("POST", [], b"update=CLEAR%20XYZ", FORM, expect="4xx"),
    "bad_update_dataset_conflict": Case(
        "POST",
        [("using-named-graph-uri", "http://example/people")],
        (
            b"PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
            b"DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }\n"
            b"WHERE { ?person foaf:givenName 'Bill' }"
        ),
        UPDATE,
        expect="4xx",
    ),
}


def manifest_entries() -> list[str]:
    """The names of the manifest's entries, in its order; a placeholder that fails if it is not unpacked."""
    if not MANIFEST.exists():
        return ["manifest-not-unpacked"]
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = Collection(graph, graph.value(manifest, MF.entries))
    return [str(entry).rsplit("#", 1)[1] for entry in entries]


@pytest.fixture(scope="module", params=["embedded", "remote"])
def endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """The /sparql URL of a real server holding the cases' three graphs (and the shipped registry)."""
    with server_with_graphs(request.param, GRAPHS) as url:
        yield f"{url}/sparql"


def send(endpoint: str, case: Case) -> httpx.Response:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    request = httpx.Request(case.method, endpoint, params=case.params, content=case.body, headers=headers)
    if case.body is not None and case.content_type is None:
        request.headers.pop("Content-Type", None)  # the case sends a body with no media type at all
    with httpx.Client(timeout=30) as client:
        return client.send(request)


def boolean(response: httpx.Response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    assert media in BOOLEAN_TYPES, media
    if media.endswith("json"):
        return bool(response.json()["boolean"])
    element = ElementTree.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert element is not None
    return element.text == "true"


def ask(endpoint: str, query: str) -> bool:
    response = httpx.get(endpoint, params={"query": query}, timeout=30)
    assert response.status_code == 200, response.text
    return boolean(response)


@pytest.mark.parametrize("name", manifest_entries())
def test_w3c_protocol_case_is_answered_as_the_protocol_says(endpoint: str, name: str) -> None:
    assert MANIFEST.exists(), "run `make w3c` to unpack the W3C suites"
    assert name in CASES, f"the manifest has a case this test does not cover: {name}"
    case = CASES[name]
    response = send(endpoint, case)
    if case.expect == "4xx":
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        return
    if case.expect == "refused":
        assert response.status_code == 403, response.text
        assert "read-only" in response.json()["detail"]
        if case.follow_up:
            assert ask(endpoint, case.follow_up) is False
        # CLEAR ALL and DROP ALL did nothing: the cases' data is all there.
        assert all(ask(endpoint, f"ASK {{ GRAPH <{graph}> {{ <{graph}> a ?type }} }}") for graph in GRAPHS)
        return
    assert 200 <= response.status_code < 400, (response.status_code, response.text)
    media = response.headers["content-type"].split(";")[0]
    if case.expect == "boolean":
        assert boolean(response) is True
    elif case.expect == "tabular":
        assert media in TABULAR_TYPES, media
        if media == "application/sparql-results+json":
            assert response.json()["results"]["bindings"][0]["value"]["value"] == "1"
    else:
        assert media in RDF_TYPES, media
        graph = Graph().parse(data=response.text, format=RDF_TYPES[media])
        if name == "query_content_type_construct":
            # Relative IRIs resolve against the endpoint's own URL.
            root = endpoint.rsplit("/", 1)[0]
            assert set(graph) == {(URIRef(f"{root}/s"), URIRef(f"{root}/p"), Literal(1))}


def test_every_case_written_out_is_in_the_manifest() -> None:
    assert MANIFEST.exists(), "run `make w3c` to unpack the W3C suites"
    assert set(CASES) == set(manifest_entries())
