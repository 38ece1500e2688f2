"""The read-only SPARQL endpoint, against a real uvicorn on the shipped registry."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from api.main import Settings, create_app
from tests.api.conftest import server_with_graphs, start_server

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
SST_GRAPH = "https://w3id.org/retningsgraf/graph/registry/sst"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# The same triple loaded into two graphs, as when two files state it.
COPIES = {f"http://example.org/copy/{n}": '<http://example.org/s> <http://example.org/p> "twice" .\n' for n in (1, 2)}


def sparql(url: str, query: str, accept: str = "application/sparql-results+json") -> httpx.Response:
    return httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=30)


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return [{name: cell["value"] for name, cell in row.items()} for row in response.json()["results"]["bindings"]]


def triple_count(url: str) -> int:
    return int(httpx.get(f"{url}/health", timeout=10).json()["triples"])


def count(url: str, query: str, params: list[tuple[str, str]] | None = None) -> int:
    response = httpx.get(f"{url}/sparql", params=[("query", query), *(params or [])], timeout=30)
    return int(bindings(response)[0]["n"])


def ask(url: str, query: str, params: list[tuple[str, str]] | None = None) -> bool:
    response = httpx.get(f"{url}/sparql", params=[("query", query), *(params or [])], timeout=30)
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


@pytest.fixture(scope="module", params=["embedded", "remote"])
def copies_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A server on the registry plus two graphs that hold the same triple."""
    with server_with_graphs(request.param, COPIES) as url:
        yield request.param, url


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


def test_sparqlwrapper_default_graph_equals_from_in_the_query(server: str) -> None:
    def n(query: str, default_graph: str | None = None) -> int:
        client = SPARQLWrapper(f"{server}/sparql")
        if default_graph:
            client.addDefaultGraph(default_graph)
        client.setQuery(query)
        client.setReturnFormat(JSON)
        return int(client.query().convert()["results"]["bindings"][0]["n"]["value"])

    in_query = n(f"SELECT (COUNT(*) AS ?n) FROM <{SST_GRAPH}> WHERE {{ ?s ?p ?o }}")
    assert in_query == n(COUNT_ALL, SST_GRAPH) < n(COUNT_ALL)


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


def test_malformed_query_is_400_naming_the_line_column_reason_and_the_line(server: str) -> None:
    response = sparql(server, "SELECT ?s WHERE {\n  ?s ?p \n")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("Malformed query at line 2, column 8: the query ends before it is complete")
    assert "\n    ?s ?p" in detail  # the offending line, under the message
    assert "expected one of" not in detail


def test_unknown_prefix_is_named_at_its_position(server: str) -> None:
    query = "PREFIX dcterms: <http://purl.org/dc/terms/>\nSELECT * WHERE {\n  ?doc gd:ownedBy ?org }"
    detail = sparql(server, query).json()["detail"]
    assert detail.startswith("Malformed query at line 3, column 8: unknown prefix gd:")
    assert "\n    ?doc gd:ownedBy ?org }\n         ^" in detail


# Dataset ------------------------------------------------------------------------------------


def test_from_chooses_the_default_graph_as_default_graph_uri_does(server: str) -> None:
    from_clause = count(server, f"SELECT (COUNT(*) AS ?n) FROM <{SST_GRAPH}> WHERE {{ ?s ?p ?o }}")
    by_protocol = count(server, COUNT_ALL, [("default-graph-uri", SST_GRAPH)])
    in_graph = count(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SST_GRAPH}> {{ ?s ?p ?o }} }}")
    assert from_clause == by_protocol == in_graph > 0
    assert from_clause < count(server, COUNT_ALL)


def test_protocol_graphs_override_the_querys_from(server: str) -> None:
    query = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/nothing> WHERE { ?s ?p ?o }"
    assert count(server, query) == 0
    assert count(server, query, [("default-graph-uri", SST_GRAPH)]) > 0


def test_named_graphs_alone_leave_the_default_graph_empty(server: str) -> None:
    assert not ask(server, f"ASK FROM NAMED <{SST_GRAPH}> {{ ?s ?p ?o }}")
    assert not ask(server, "ASK { ?s ?p ?o }", [("named-graph-uri", SST_GRAPH)])
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = bindings(httpx.get(f"{server}/sparql", params={"query": query, "named-graph-uri": SST_GRAPH}))
    assert rows == [{"g": SST_GRAPH}]


def test_default_graphs_alone_leave_no_named_graphs(server: str) -> None:
    assert not ask(server, f"ASK FROM <{SST_GRAPH}> {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert not ask(server, "ASK { GRAPH ?g { ?s ?p ?o } }", [("default-graph-uri", SST_GRAPH)])
    assert ask(server, "ASK { ?s ?p ?o }", [("default-graph-uri", SST_GRAPH)])


def test_a_graph_not_in_the_store_is_empty_and_nothing_is_fetched(server: str) -> None:
    with socket.socket() as target:
        target.bind(("127.0.0.1", 0))
        target.listen()
        target.setblocking(False)
        graph = f"http://127.0.0.1:{target.getsockname()[1]}/graph"
        assert count(server, f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}") == 0
        assert not ask(server, f"ASK FROM NAMED <{graph}> {{ GRAPH ?g {{ ?s ?p ?o }} }}")
        assert count(server, COUNT_ALL, [("default-graph-uri", graph)]) == 0
        time.sleep(0.2)
        with pytest.raises(BlockingIOError):
            target.accept()


def test_a_triple_in_two_graphs_counts_once_in_every_merged_default_graph(copies_server: tuple[str, str]) -> None:
    """Embedded, a merged default graph is a set; a remote store's engine merges as it does (docs/remote-store.md)."""
    mode, url = copies_server
    merged = 1 if mode == "embedded" else 2  # Oxigraph's server, like Virtuoso, counts the triple once per graph
    about = "SELECT (COUNT(*) AS ?n) {from} WHERE {{ <http://example.org/s> ?p ?o }}"
    froms = " ".join(f"FROM <{name}>" for name in COPIES)
    assert count(url, about.format(**{"from": ""})) == merged  # the union of all graphs
    assert count(url, about.format(**{"from": froms})) == merged
    assert count(url, about.format(**{"from": ""}), [("default-graph-uri", name) for name in COPIES]) == merged
    per_graph = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { <http://example.org/s> ?p ?o } }"
    assert count(url, per_graph) == 2  # each graph still holds its own


def test_relative_iris_resolve_against_the_endpoint(server: str) -> None:
    response = sparql(server, "CONSTRUCT { <s> <p> 1 } WHERE {}", "application/n-triples")
    assert response.status_code == 200, response.text
    assert response.text.startswith(f"<{server}/s> <{server}/p> ")


# HTTP ---------------------------------------------------------------------------------------


def test_a_query_in_another_charset_is_refused_not_garbled(server: str) -> None:
    query = 'SELECT ("blå" AS ?x) WHERE {}'
    latin1 = {"Content-Type": "application/sparql-query; charset=ISO-8859-1"}
    response = httpx.post(f"{server}/sparql", content=query.encode("latin-1"), headers=latin1)
    assert response.status_code == 415
    assert "UTF-8" in response.json()["detail"] and "ISO-8859-1" in response.json()["detail"]
    unlabelled = {"Content-Type": "application/sparql-query"}
    response = httpx.post(f"{server}/sparql", content=query.encode("latin-1"), headers=unlabelled)
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["detail"]
    utf8 = {"Content-Type": "application/sparql-query; charset=utf-8", "Accept": "application/sparql-results+json"}
    response = httpx.post(f"{server}/sparql", content=query.encode(), headers=utf8)
    assert bindings(response) == [{"x": "blå"}]


def vary(response: httpx.Response) -> set[str]:
    return {v.strip() for v in response.headers.get("vary", "").split(",") if v.strip()}


def test_get_answers_vary_by_accept_and_revalidate_by_etag(server: str) -> None:
    first = sparql(server, SST_DOCUMENTS)
    assert "Accept" in vary(first)  # Accept-Encoding too when the answer is compressed
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = httpx.get(f"{server}/sparql", params={"query": SST_DOCUMENTS}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert sparql(server, SST_DOCUMENTS, "text/csv").headers["etag"] != etag
    posted = httpx.post(f"{server}/sparql", data={"query": SST_DOCUMENTS})
    assert "Accept" in vary(posted) and "etag" not in posted.headers


def test_head_sends_the_headers_of_get_and_options_lists_the_methods(server: str) -> None:
    head = httpx.head(f"{server}/sparql", params={"query": "ASK {}"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == sparql(server, "ASK {}").headers["etag"]
    options = httpx.options(f"{server}/sparql")
    assert options.status_code == 204
    assert {method.strip() for method in options.headers["allow"].split(",")} == {"GET", "HEAD", "POST", "OPTIONS"}


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (f"DESCRIBE <{SST}>", "application/sparql-results+xml"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "text/turtle"),
        ("ASK {}", "image/png"),
        ("ASK {}", "application/sparql-results+json;q=0"),
    ],
)
def test_no_format_the_client_takes_is_406_not_another_format(server: str, query: str, accept: str) -> None:
    response = sparql(server, query, accept)
    assert response.status_code == 406
    assert "Accept" in response.json()["detail"]


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


@pytest.fixture(scope="module")
def lanes_server() -> Iterator[str]:
    """A server whose queries may run 5 s, its query workers started and loaded."""
    process, url = start_server("--sparql-timeout", "5")
    try:
        assert sparql(url, "ASK {}").status_code == 200
        time.sleep(5)  # the first query starts the other workers in the background (about 2 s here)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_short_query_answers_while_two_runaway_queries_run(lanes_server: str) -> None:
    outcomes: list[httpx.Response] = []
    # Two different texts: identical ones would share one run.
    texts = [f"{CROSS_PRODUCT} # {n}" for n in "ab"]
    runaways = [threading.Thread(target=lambda q=q: outcomes.append(sparql(lanes_server, q))) for q in texts]
    for thread in runaways:
        thread.start()
    time.sleep(1.5)  # both are long ones now
    started = time.monotonic()
    assert sparql(lanes_server, "ASK {}").json()["boolean"] is True
    # Without a free worker it would wait until a runaway hits the 5 s limit: 3.5 s from here.
    assert time.monotonic() - started < 2.0
    # A third long query may not take the last worker: it is stopped once it turns long, and the
    # client is told to come back (429, not a failure of the server nor of the query).
    started = time.monotonic()
    third = sparql(lanes_server, f"{CROSS_PRODUCT} # c")
    assert third.status_code == 429 and "long queries are already running" in third.json()["detail"]
    assert third.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 3.5
    for thread in runaways:
        thread.join(timeout=30)
    assert [r.status_code for r in outcomes] == [503, 503]
    assert all("time limit of 5 s" in r.json()["detail"] for r in outcomes)


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


def work(url: str) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{url}/health/work", timeout=10).json()
    return counts


def test_identical_queries_at_once_share_one_run_and_a_timed_out_one_is_refused_at_once(limited_server: str) -> None:
    assert sparql(limited_server, "ASK { ?s ?p ?o }").status_code == 200  # a worker is up
    query = f"{CROSS_PRODUCT} # shared"
    before = work(limited_server)["sparql_queries"]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: sparql(limited_server, query), range(6)))
    assert [a.status_code for a in answers] == [503] * 6
    assert all("time limit of 1.5 s" in a.json()["detail"] for a in answers)
    assert work(limited_server)["sparql_queries"] == before + 1
    # Remembered for this version of the data: refused without running again.
    started = time.monotonic()
    again = sparql(limited_server, query)
    assert time.monotonic() - started < 0.5
    assert again.status_code == 503 and "refused at once until the data changes" in again.json()["detail"]
    assert work(limited_server)["sparql_queries"] == before + 1


def test_an_identical_query_is_answered_from_the_shared_run_with_the_same_etag(limited_server: str) -> None:
    query = SST_DOCUMENTS + " LIMIT 5 # etag"
    first = sparql(limited_server, query)
    assert first.status_code == 200, first.text
    before = work(limited_server)["sparql_queries"]
    second = sparql(limited_server, query)
    assert second.content == first.content and second.headers["ETag"] == first.headers["ETag"]
    assert work(limited_server)["sparql_queries"] == before
    # Another format is another answer, run once more.
    assert sparql(limited_server, query, accept="text/csv").text.startswith("doc,title")
    assert work(limited_server)["sparql_queries"] == before + 1


def test_a_client_that_hangs_up_stops_its_query_within_a_second(limited_server: str) -> None:
    assert sparql(limited_server, "ASK { ?s ?p ?o }").status_code == 200
    before = work(limited_server)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{limited_server}/sparql", params={"query": f"{CROSS_PRODUCT} # hang up"}, timeout=0.3)
    hung_up = time.monotonic()
    counts = work(limited_server)
    while counts["cancelled"] == before["cancelled"] and time.monotonic() - hung_up < 5:
        time.sleep(0.05)
        counts = work(limited_server)
    assert counts["cancelled"] == before["cancelled"] + 1
    assert time.monotonic() - hung_up < 1.0  # not the 1.5 s time limit: stopped when the client left
    assert counts["running"] == 0
    assert counts["sparql_queries"] == before["sparql_queries"] + 1
    assert bindings(sparql(limited_server, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"))


def test_result_over_the_row_limit_is_400_naming_the_limit(limited_server: str) -> None:
    response = sparql(limited_server, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 400
    assert "limit of 50 rows" in response.json()["detail"]
    assert len(bindings(sparql(limited_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 50"))) == 50


# Examples and documentation --------------------------------------------------------------


def test_every_example_runs_as_is_and_returns_rows(server: str, registry_store) -> None:  # type: ignore[no-untyped-def]
    from graph.validation.gaps import run_rules

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


def test_a_warm_start_loads_the_query_workers_before_the_first_query() -> None:
    # On a 30,000-document store loading them takes some 15 s, which the first queries would wait.
    with TestClient(create_app(Settings(warm=True, warm_sparql=True))) as client:
        service = client.app.state.sparql
        assert service is not None
        deadline = time.monotonic() + 60
        while not all(w.snapshot is not None for w in service._workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(w.process is not None and w.process.is_alive() and w.snapshot is not None for w in service._workers)
        assert client.get("/health/work").json()["sparql_queries"] == 0
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True
