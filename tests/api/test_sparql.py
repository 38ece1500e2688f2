"""The read-only SPARQL endpoint, against a real uvicorn on the shipped registry."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from tests.api.conftest import start_server

pytestmark = pytest.mark.slow

SST = URIRef("https://w3id.org/retningsgraf/organisation/sst")
PREFIXES = """PREFIX gd: <https://w3id.org/retningsgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
SST_DOCUMENTS = (
    PREFIXES
    + """SELECT ?doc ?title WHERE {
  ?doc gd:ownedBy <https://w3id.org/retningsgraf/organisation/sst> ; dcterms:title ?title .
} ORDER BY ?doc"""
)
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def sparql(url: str, query: str, accept: str = "application/sparql-results+json") -> httpx.Response:
    return httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=30)


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return [{name: cell["value"] for name, cell in row.items()} for row in response.json()["results"]["bindings"]]


def triple_count(url: str) -> int:
    return int(httpx.get(f"{url}/health", timeout=10).json()["triples"])


@pytest.fixture(scope="module")
def limited_server() -> Iterator[str]:
    """A second server with a 1.5 s time limit and a 50-row limit."""
    process, url = start_server("--sparql-timeout", "1.5", "--sparql-max-rows", "50")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# Real clients ---------------------------------------------------------------------------


def test_sparqlwrapper_select_returns_json_bindings(server: str) -> None:
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(SST_DOCUMENTS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) > 5
    assert {"doc", "title"} <= set(rows[0])


def test_sparqlwrapper_select_returns_xml(server: str) -> None:
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(SST_DOCUMENTS)
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert len(document.getElementsByTagName("result")) > 5


def test_sparqlwrapper_ask_returns_a_boolean(server: str) -> None:
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(f"ASK {{ ?doc <https://w3id.org/retningsgraf/ontology#ownedBy> <{SST}> }}")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_sparqlwrapper_construct_returns_turtle_rdflib_parses(server: str) -> None:
    client = SPARQLWrapper(f"{server}/sparql")
    client.setQuery(PREFIXES + "CONSTRUCT { ?org skos:prefLabel ?l } WHERE { ?org skos:prefLabel ?l }")
    client.setReturnFormat(TURTLE)
    result = client.query()
    assert result.response.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=result.convert(), format="turtle")
    assert (SST, SKOS.prefLabel, None) in graph


def test_rdflib_sparqlstore_queries_and_lists_triples(server: str) -> None:
    graph = Graph(store=SPARQLStore(query_endpoint=f"{server}/sparql"))
    rows = list(graph.query(SST_DOCUMENTS))
    assert len(rows) > 5
    labels = {str(label) for label in graph.objects(SST, SKOS.prefLabel)}
    assert "Sundhedsstyrelsen" in labels
    assert len(list(graph.triples((SST, None, None)))) > 5


# Protocol ---------------------------------------------------------------------------------


def test_get_form_post_and_direct_post_give_the_same_rows(server: str) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    by_get = bindings(sparql(server, SST_DOCUMENTS))
    by_form = bindings(httpx.post(f"{server}/sparql", data={"query": SST_DOCUMENTS}, headers=accept))
    direct = httpx.post(
        f"{server}/sparql",
        content=SST_DOCUMENTS.encode(),
        headers={**accept, "Content-Type": "application/sparql-query"},
    )
    assert by_get and by_get == by_form == bindings(direct)


@pytest.mark.parametrize(("accept", "separator"), [("text/csv", ","), ("text/tab-separated-values", "\t")])
def test_csv_and_tsv_are_chosen_by_accept(server: str, accept: str, separator: str) -> None:
    response = sparql(server, SST_DOCUMENTS, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    rows = list(csv.reader(io.StringIO(response.text), delimiter=separator))
    assert rows[0] == (["doc", "title"] if separator == "," else ["?doc", "?title"])
    assert len(rows) == len(bindings(sparql(server, SST_DOCUMENTS))) + 1


@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/html, */*;q=0.1", ""])
def test_json_results_are_the_default(server: str, accept: str) -> None:
    response = sparql(server, "ASK { ?s ?p ?o }", accept)
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("*/*", "text/turtle"),
    ],
)
def test_construct_answers_turtle_n_triples_or_json_ld(server: str, accept: str, expected: str) -> None:
    query = f"DESCRIBE <{SST}>"
    response = sparql(server, query, accept)
    assert response.headers["content-type"].startswith(expected)
    rdflib_format = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/ld+json": "json-ld",
    }
    graph = Graph().parse(data=response.text, format=rdflib_format[expected])
    assert (SST, SKOS.prefLabel, None) in graph


def test_default_graph_is_the_union_and_graph_names_still_work(server: str) -> None:
    query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{SST}> ?p ?o }} }}"
    graphs = {row["g"] for row in bindings(sparql(server, query))}
    assert graphs == {"https://w3id.org/retningsgraf/graph/registry/sst"}


def test_malformed_query_is_400_naming_the_position(server: str) -> None:
    response = sparql(server, "SELECT ?s WHERE {\n  ?s ?p \n")
    assert response.status_code == 400
    assert "3:1" in response.json()["detail"]


# Read-only and no SERVICE -------------------------------------------------------------------

UPDATES = [
    "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/x>",
    "CLEAR ALL",
    "# a comment\nprefix ex: <http://example.org/> \\u0044ELETE WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("update", UPDATES)
@pytest.mark.parametrize("transport", ["query", "update", "sparql-update"])
def test_updates_are_refused_and_change_nothing(server: str, update: str, transport: str) -> None:
    before = triple_count(server)
    if transport == "query":
        response = sparql(server, update)
    elif transport == "update":
        response = httpx.post(f"{server}/sparql", data={"update": update})
    else:
        headers = {"Content-Type": "application/sparql-update"}
        response = httpx.post(f"{server}/sparql", content=update.encode(), headers=headers)
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert triple_count(server) == before


def test_service_is_refused_without_a_connection(server: str) -> None:
    with socket.socket() as target:
        target.bind(("127.0.0.1", 0))
        target.listen()
        target.setblocking(False)
        port = target.getsockname()[1]
        for query in [
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o .service <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        ]:
            response = sparql(server, query)
            assert response.status_code == 403, query
            assert "SERVICE" in response.json()["detail"]
        time.sleep(0.2)
        with pytest.raises(BlockingIOError):
            target.accept()


def test_keywords_in_strings_comments_iris_and_names_are_harmless(server: str) -> None:
    query = """# SERVICE and INSERT in a comment
PREFIX load: <http://example.org/DELETE/>
SELECT ?insert ?service WHERE {
  BIND("SERVICE <http://127.0.0.1:9/> and DROP ALL" AS ?service)
  BIND(load:clear AS ?insert)
}"""
    assert bindings(sparql(server, query))[0]["service"].startswith("SERVICE")


# Limits -----------------------------------------------------------------------------------------


def test_query_past_the_time_limit_is_stopped_and_the_server_stays_responsive(
    limited_server: str,
) -> None:
    assert sparql(limited_server, "ASK { ?s ?p ?o }").json()["boolean"]  # starts a worker
    outcome: dict[str, httpx.Response] = {}
    started = time.monotonic()
    slow = threading.Thread(target=lambda: outcome.update(r=sparql(limited_server, CROSS_PRODUCT)))
    slow.start()
    time.sleep(0.3)
    health_started = time.monotonic()
    assert httpx.get(f"{limited_server}/health", timeout=10).status_code == 200
    assert time.monotonic() - health_started < 1.0
    slow.join(timeout=30)
    elapsed = time.monotonic() - started
    assert outcome["r"].status_code == 503
    assert "time limit of 1.5 s" in outcome["r"].json()["detail"]
    assert 1.4 < elapsed < 5
    assert httpx.get(f"{limited_server}/health", timeout=10).status_code == 200
    assert bindings(sparql(limited_server, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"))


def test_result_over_the_row_limit_is_400_naming_the_limit(limited_server: str) -> None:
    response = sparql(limited_server, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 400
    assert "limit of 50 rows" in response.json()["detail"]
    assert len(bindings(sparql(limited_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 50"))) == 50


# Examples and documentation --------------------------------------------------------------


def test_every_example_runs_as_is_and_returns_rows(server: str, registry_store) -> None:  # type: ignore[no-untyped-def]
    from graph.gaps import run_rules

    items = httpx.get(f"{server}/sparql/examples", timeout=10).json()["items"]
    names = {item["name"] for item in items}
    gaps_per_rule = {f"gap_{r.rule}" for r in run_rules(registry_store)}
    assert {
        "valid_documents_per_block",
        "gap_uncovered",
        "gap_orphanedNKR",
        "document_pairs_overlapping_sst",
        "documents_by_owner",
        "documents_not_valid",
        "documents_per_kind_and_status",
    } <= names
    for item in items:
        assert item["title"] and item["query"].startswith("#"), item["name"]
        rows = bindings(sparql(server, item["query"]))
        if item["name"].endswith("_violation"):
            assert rows == [], item["name"]
        elif item["name"].startswith("gap_"):
            # A gap rule's example finds exactly the gaps /gaps reports for that rule.
            assert bool(rows) == (item["name"] in gaps_per_rule), item["name"]
        else:
            assert rows, item["name"]


def test_endpoints_are_described_in_openapi(server: str) -> None:
    paths = httpx.get(f"{server}/openapi.json", timeout=10).json()["paths"]
    assert "read-only" in paths["/sparql"]["get"]["description"]
    assert "application/sparql-query" in paths["/sparql"]["post"]["requestBody"]["content"]
    assert "/sparql/examples" in paths
    assert json.dumps(paths["/sparql/examples"])
