"""/organisations in process: every owner with its counts, one with documents and mergers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from graph.store.core import Store

ORG = "https://w3id.org/retningsgraf/organisation/"
PREFIXES = """PREFIX gd: <https://w3id.org/retningsgraf/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
"""


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


@pytest.fixture(scope="module")
def listed(api: httpx.Client) -> dict[str, dict[str, Any]]:
    response = api.get("/organisations")
    assert response.status_code == 200
    return {item["id"]: item for item in response.json()["items"]}


def organisation(api: httpx.Client, org_id: str) -> dict[str, Any]:
    response = api.get(f"/organisations/{org_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_org(store: Store, query: str) -> dict[str, Any]:
    """Map ?org to ?value over the rows of *query*, with organisation ids for IRIs."""
    return {
        str(row["org"]).removeprefix(ORG): str(row["value"]).removeprefix(ORG) for row in store.select(PREFIXES + query)
    }


def test_every_organisation_in_the_graph_is_listed_with_the_documented_fields(
    listed: dict[str, dict[str, Any]], registry_store: Store
) -> None:
    expected = by_org(registry_store, "SELECT ?org (?org AS ?value) WHERE { ?org a org:Organization }")
    assert set(listed) == set(expected)
    for org_id, item in listed.items():
        assert {"id", "iri", "name", "parent", "documents"} <= set(item)
        assert item["iri"] == ORG + org_id
        assert item["name"]


def test_document_counts_match_the_owners_in_the_graph(
    listed: dict[str, dict[str, Any]], registry_store: Store
) -> None:
    expected = by_org(
        registry_store,
        "SELECT ?org (COUNT(DISTINCT ?doc) AS ?value) WHERE { ?doc gd:ownedBy ?org } GROUP BY ?org",
    )
    counts = {org_id: str(item["documents"]) for org_id, item in listed.items() if item["documents"]}
    assert counts == expected
    assert listed["sst"]["documents"] > 10


def test_parents_match_sub_organisation_links(listed: dict[str, dict[str, Any]], registry_store: Store) -> None:
    expected = by_org(registry_store, "SELECT ?org ?value WHERE { ?org org:subOrganizationOf ?value }")
    assert {org_id: item["parent"] for org_id, item in listed.items() if item["parent"]} == expected
    assert listed["dmpg-skz"]["parent"] == "dmpg-dk"


def test_sundk_history_shows_the_rkkp_and_behandlingsraadet_merger(api: httpx.Client) -> None:
    history = organisation(api, "sundk")["history"]
    merger = [event for event in history if set(event["original"]) == {"rkkp", "behandlingsraadet"}]
    assert len(merger) == 1
    assert merger[0]["resulting"] == ["sundk"]
    assert merger[0]["date"] == "2025-01-01"
    assert merger[0]["label"]
    dates = [event["date"] or "" for event in history]
    assert dates == sorted(dates)


def test_merged_organisations_see_the_same_merger_event(api: httpx.Client) -> None:
    sundk = {event["event"] for event in organisation(api, "sundk")["history"]}
    for predecessor in ("rkkp", "behandlingsraadet"):
        assert {event["event"] for event in organisation(api, predecessor)["history"]} & sundk


def test_detail_lists_the_organisations_documents_and_their_disease_areas(
    api: httpx.Client,
) -> None:
    detail = organisation(api, "dmpg-skz")
    owned = api.get("/documents", params={"owner": "dmpg-skz", "limit": 1000}).json()["items"]
    assert {d["id"] for d in detail["document_list"]} == {d["id"] for d in owned}
    assert detail["documents"] == len(detail["document_list"]) > 0
    expected: dict[str, int] = {}
    for doc in owned:
        for area in doc["disease_areas"]:
            expected[area["notation"]] = expected.get(area["notation"], 0) + 1
    assert {area["notation"]: area["documents"] for area in detail["disease_areas"]} == expected
    assert detail["parent"] == "dmpg-dk"


def test_umbrella_lists_its_sub_organisations(api: httpx.Client, listed: dict[str, dict[str, Any]]) -> None:
    subs = organisation(api, "dmpg-dk")["sub_organisations"]
    assert subs == sorted(org_id for org_id, item in listed.items() if item["parent"] == "dmpg-dk")
    assert "dmpg-skz" in subs


def test_unknown_organisation_is_404(api: httpx.Client) -> None:
    response = api.get("/organisations/no-such-org")
    assert response.status_code == 404
    assert "no-such-org" in response.text


@pytest.mark.parametrize("org_id", ["SST", "s%20st", "..%2F..%2Fetc", "%E2%9C%93", "x" * 300])
def test_odd_organisation_ids_are_refused_without_a_server_error(api: httpx.Client, org_id: str) -> None:
    assert api.get(f"/organisations/{org_id}").status_code in (404, 422)
