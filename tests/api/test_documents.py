"""/documents and /documents/{id} in process: filters, paging, JSON, RDF, HTML and odd ids."""

from __future__ import annotations

import datetime as dt
import http.client
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from graph.store.core import Store

GD = "https://w3id.org/retningsgraf/ontology#"
DOC = "https://w3id.org/retningsgraf/document/"
PREFIXES = """PREFIX gd: <https://w3id.org/retningsgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX icd10: <https://w3id.org/retningsgraf/icd10/>
PREFIX status: <https://w3id.org/retningsgraf/status/>
PREFIX population: <https://w3id.org/retningsgraf/population/>
PREFIX organisation: <https://w3id.org/retningsgraf/organisation/>
"""
DOCUMENT_KEYS = {
    "id", "iri", "title", "kind", "owners", "disease_areas", "populations", "topics",
    "status", "issued", "modified", "url", "sources", "links",
}  # fmt: skip


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


@pytest.fixture(scope="module")
def everything(api: httpx.Client) -> dict[str, Any]:
    return documents(api)


def documents(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/documents", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(api: httpx.Client, **params: Any) -> set[str]:
    body = documents(api, **params)
    assert body["total"] == len(body["items"])
    return {item["id"] for item in body["items"]}


def sparql_ids(store: Store, where: str) -> set[str]:
    """Ids of the documents matching *where* (on ?doc), computed in the store, not by the API."""
    query = f"SELECT DISTINCT ?doc WHERE {{ ?doc a gd:GuidingDocument . {where} }}"
    return {str(row["doc"]).removeprefix(DOC) for row in store.select(PREFIXES + query)}


def raw_get(server: str, path: str) -> int:
    """GET *path* byte for byte from a real server (httpx would normalise ``..`` away before sending it)."""
    base = httpx.URL(server)
    connection = http.client.HTTPConnection(base.host, base.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


# The list and its filters ------------------------------------------------------------------


def test_list_has_every_document_with_the_documented_fields(everything: dict[str, Any], registry_store: Store) -> None:
    assert everything["total"] == registry_store.document_count() == len(everything["items"])
    for item in everything["items"]:
        assert set(item) >= DOCUMENT_KEYS, item["id"]
        assert item["iri"] == DOC + item["id"]
        assert all(owner["id"] and owner["name"] for owner in item["owners"])
        assert all(area["notation"] and area["label"] for area in item["disease_areas"])


def test_list_is_sorted_by_title_and_pages_add_up_to_the_whole(api: httpx.Client, everything: dict[str, Any]) -> None:
    whole = everything["items"]
    titles = [(item["title"].casefold(), item["id"]) for item in whole]
    assert titles == sorted(titles)
    paged: list[str] = []
    for offset in range(0, len(whole), 40):
        page = documents(api, limit=40, offset=offset)
        assert page["total"] == len(whole)
        assert len(page["items"]) <= 40
        paged += [item["id"] for item in page["items"]]
    assert paged == [item["id"] for item in whole]
    assert documents(api, limit=5, offset=len(whole))["items"] == []


@pytest.mark.parametrize("code", ["F30-F39", "F32", "F10", "F50.0", "F00-F99"])
def test_disease_area_filter_includes_narrower_codes(api: httpx.Client, registry_store: Store, code: str) -> None:
    expected = sparql_ids(registry_store, f"?doc gd:diseaseArea/skos:broader* icd10:{code} .")
    assert expected
    assert ids(api, disease_area=code) == expected


def test_disease_area_filter_does_not_include_broader_codes(api: httpx.Client, registry_store: Store) -> None:
    coded_f10 = sparql_ids(registry_store, "?doc gd:diseaseArea icd10:F10 .")
    in_f10_2 = sparql_ids(registry_store, "?doc gd:diseaseArea/skos:broader* icd10:F10.2 .")
    assert coded_f10 - in_f10_2, "the registry should have a document coded F10 but not F10.2"
    assert not ids(api, disease_area="F10.2") & (coded_f10 - in_f10_2)


@pytest.mark.parametrize(("sks", "icd"), [("DF32", "F32"), ("DF30-DF39", "F30-F39"), ("df10.2", "F10.2")])
def test_sks_code_gives_the_same_documents_as_the_icd10_code(api: httpx.Client, sks: str, icd: str) -> None:
    assert documents(api, disease_area=sks) == documents(api, disease_area=icd)


def test_disease_area_range_of_categories_covers_each_category(api: httpx.Client) -> None:
    found = ids(api, disease_area="F32-F33")
    assert found == ids(api, disease_area="F32") | ids(api, disease_area="F33")


@pytest.mark.parametrize("kind", ["NationalClinicalGuideline", "DMPGGuideline", "PackagePathway"])
def test_kind_filter_matches_the_rdf_type(api: httpx.Client, registry_store: Store, kind: str) -> None:
    expected = sparql_ids(registry_store, f"?doc a gd:{kind} .")
    assert expected
    body = documents(api, kind=kind)
    assert {item["id"] for item in body["items"]} == expected
    assert {item["kind"] for item in body["items"]} == {kind}


def test_kind_filter_accepts_the_danish_abbreviation(api: httpx.Client) -> None:
    assert ids(api, kind="NKR") == ids(api, kind="NationalClinicalGuideline")


@pytest.mark.parametrize("status", ["published", "not-valid", "in-development", "superseded"])
def test_status_filter_matches_the_status_in_the_graph(api: httpx.Client, registry_store: Store, status: str) -> None:
    expected = sparql_ids(registry_store, f"?doc gd:status status:{status} .")
    assert expected
    assert ids(api, status=status) == expected


def test_owner_filter_includes_sub_organisations(api: httpx.Client, registry_store: Store) -> None:
    family = "?doc gd:ownedBy/org:subOrganizationOf* organisation:dmpg-dk ."
    expected = sparql_ids(registry_store, family)
    umbrella = sparql_ids(registry_store, "?doc gd:ownedBy organisation:dmpg-dk .")
    assert expected - umbrella, "some DMPG document should name only its DMPG, not the umbrella"
    assert ids(api, owner="dmpg-dk") == expected


def test_owner_filter_accepts_the_organisation_name(api: httpx.Client) -> None:
    assert ids(api, owner="Sundhedsstyrelsen") == ids(api, owner="sst") != set()


def test_population_filter_includes_documents_for_everyone(api: httpx.Client, registry_store: Store) -> None:
    expected = sparql_ids(
        registry_store,
        "?doc gd:population ?p . FILTER (?p IN (population:children, population:all))",
    )
    found = documents(api, population="children")["items"]
    assert {item["id"] for item in found} == expected
    assert any("all" in item["populations"] for item in found)


def test_topic_filter_includes_narrower_topics(api: httpx.Client) -> None:
    treatment = documents(api, topic="treatment")["items"]
    narrower_only = [item for item in treatment if "treatment" not in item["topics"]]
    assert narrower_only, "a document tagged only (non-)pharmacological is about treatment"
    for item in narrower_only:
        assert {"pharmacological", "non-pharmacological"} & set(item["topics"])
    assert ids(api, topic="pharmacological") <= {item["id"] for item in treatment}


def test_not_valid_nkr_is_excluded_today_but_included_before_its_end_date(
    api: httpx.Client,
) -> None:
    nkr = api.get("/documents/nkr-alkohol").json()
    assert nkr["status"] == "not-valid"
    ended = dt.date.fromisoformat(nkr["not_valid_since"])
    before = ended - dt.timedelta(days=365)
    assert dt.date.fromisoformat(nkr["issued"]) < before
    assert "nkr-alkohol" in ids(api, disease_area="F10.2", valid_on=before.isoformat())
    assert "nkr-alkohol" not in ids(api, disease_area="F10.2", valid_on=ended.isoformat())
    today = dt.date.today().isoformat()
    assert "nkr-alkohol" not in ids(api, disease_area="F10.2", valid_on=today)


def test_valid_on_before_any_document_was_issued_finds_nothing(api: httpx.Client) -> None:
    assert documents(api, valid_on="1990-01-01")["total"] == 0


def test_text_search_matches_inflected_title_words(api: httpx.Client) -> None:
    found = documents(api, q="skizofrenien")["items"]
    assert "sst-ref-skizofreni-2004" in {item["id"] for item in found}
    # The title says it, or one of the document's disease areas is named so (F20 Skizofreni, F20-F29 ...).
    assert all(
        "skizofren" in item["title"].casefold() or any(a["notation"].startswith("F2") for a in item["disease_areas"])
        for item in found
    )


def test_text_search_finds_a_document_by_its_id(api: httpx.Client) -> None:
    assert ids(api, q="nkr-alkohol") == {"nkr-alkohol"}


def test_filters_combine_as_and(api: httpx.Client) -> None:
    both = ids(api, disease_area="F30-F39", kind="NationalClinicalGuideline")
    assert both
    assert both == ids(api, disease_area="F30-F39") & ids(api, kind="NationalClinicalGuideline")


@pytest.mark.parametrize(
    ("name", "value"),
    [("disease_area", "F99.9"), ("disease_area", "Z99"), ("disease_area", "F39-F30"),
     ("kind", "novel"), ("owner", "acme"), ("status", "lost"), ("population", "martians"),
     ("topic", "cooking")],
)  # fmt: skip
def test_unknown_filter_value_is_422_naming_it(api: httpx.Client, name: str, value: str) -> None:
    response = api.get("/documents", params={name: value})
    assert response.status_code == 422
    assert value in response.text


@pytest.mark.parametrize("params", [{"valid_on": "not-a-date"}, {"limit": 0}, {"limit": 100_000}, {"offset": -1}])
def test_malformed_paging_or_date_is_422(api: httpx.Client, params: dict[str, Any]) -> None:
    assert api.get("/documents", params=params).status_code == 422


# One document ----------------------------------------------------------------------------


def test_document_json_is_the_same_object_as_in_the_list(api: httpx.Client, everything: dict[str, Any]) -> None:
    listed = next(item for item in everything["items"] if item["id"] == "nkr-alkohol")
    response = api.get("/documents/nkr-alkohol")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == listed


def test_document_json_for_a_wildcard_accept(api: httpx.Client) -> None:
    response = api.get("/documents/nkr-alkohol", headers={"Accept": "*/*"})
    assert response.json()["id"] == "nkr-alkohol"


def test_document_turtle_holds_its_triples_from_the_graph(api: httpx.Client, registry_store: Store) -> None:
    response = api.get("/documents/nkr-alkohol", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    subject = URIRef(DOC + "nkr-alkohol")
    stored = registry_store.select("SELECT ?p ?o WHERE { ?doc ?p ?o }", {"doc": subject})
    assert stored
    for row in stored:
        if isinstance(row["o"], URIRef | Literal):
            assert (subject, row["p"], row["o"]) in graph, (row["p"], row["o"])
    f10_2 = URIRef("https://w3id.org/retningsgraf/icd10/F10.2")
    sst = URIRef("https://w3id.org/retningsgraf/organisation/sst")
    assert (subject, URIRef(GD + "diseaseArea"), f10_2) in graph
    assert (subject, URIRef(GD + "ownedBy"), sst) in graph
    title = api.get("/documents/nkr-alkohol").json()["title"]
    assert str(graph.value(subject, DCTERMS.title)) == title


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_document_json_ld_and_ntriples_are_the_same_graph_as_turtle(api: httpx.Client) -> None:
    url = "/documents/nkr-anoreksi"
    turtle = Graph().parse(data=api.get(url, headers={"Accept": "text/turtle"}).text, format="turtle")
    response = api.get(url, headers={"Accept": "application/ld+json"})
    assert response.headers["content-type"].startswith("application/ld+json")
    json.loads(response.text)
    jsonld = Graph().parse(data=response.text, format="json-ld")
    nt = api.get(url, headers={"Accept": "application/n-triples"}).text
    ntriples = Graph().parse(data=nt, format="nt")
    assert len(turtle) > 10
    assert isomorphic(turtle, jsonld)
    assert isomorphic(turtle, ntriples)


def test_accept_quality_values_choose_the_format(api: httpx.Client) -> None:
    accept = "text/turtle;q=0.4, application/ld+json;q=0.9, application/json;q=0.1"
    response = api.get("/documents/nkr-alkohol", headers={"Accept": accept})
    assert response.headers["content-type"].startswith("application/ld+json")


def test_format_parameter_overrides_accept_for_links(api: httpx.Client) -> None:
    response = api.get("/documents/nkr-alkohol?format=ttl", headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("text/turtle")
    Graph().parse(data=response.text, format="turtle")


def test_document_page_for_a_browser(api: httpx.Client) -> None:
    document = api.get("/documents/nkr-alkohol").json()
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = api.get("/documents/nkr-alkohol", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert document["title"] in response.text
    assert "<html" in response.text.lower()


def test_unknown_document_is_404(api: httpx.Client) -> None:
    response = api.get("/documents/no-such-document")
    assert response.status_code == 404
    assert "no-such-document" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/documents/../etc/passwd",
        "/documents/..%2F..%2Fetc%2Fpasswd",
        "/documents/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/documents/nkr-alkohol%2F..%2F..",
        "/documents/..",
        "/documents/NKR-ALKOHOL",
        "/documents/nkr%00alkohol",
        "/documents/nkr%20alkohol",
        "/documents/%E2%9C%93",
        "/documents/%3Cscript%3E",
        "/documents/-leading-dash",
        "/documents/" + "x" * 300,
        "/documents/nkr-alkohol%27%3B%20DROP",
    ],
)
def test_odd_document_ids_are_refused_without_a_server_error(server: str, path: str) -> None:
    assert raw_get(server, path) in (404, 422)


# OpenAPI ----------------------------------------------------------------------------------


def test_openapi_at_docs_lists_every_endpoint(api: httpx.Client) -> None:
    assert "swagger" in api.get("/docs").text.lower()
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/documents", "/documents/{doc_id}", "/organisations", "/organisations/{org_id}",
                 "/disease-areas", "/coverage", "/gaps", "/overlaps", "/overlaps/check",
                 "/validation"):  # fmt: skip
        assert path in paths
    assert "post" in paths["/overlaps/check"]
