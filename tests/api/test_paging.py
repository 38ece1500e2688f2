"""Every list answer comes a page at a time: items, total and the path of the next page (issue 19)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import Settings, create_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(warm=False))) as test_client:
        yield test_client


def walk(client: TestClient, path: str, key: str = "items") -> tuple[list[object], int, int]:
    """Follow ``next`` from *path* to the last page; return all items, the total and the pages."""
    items: list[object] = []
    pages, total = 0, -1
    url: str | None = path
    while url:
        body = client.get(url).json()
        items += body[key]
        total, url, pages = body["total"], body["next"], pages + 1
    return items, total, pages


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/documents?limit=40", "items"),
        ("/organisations?limit=10", "items"),
        ("/gaps?limit=20", "items"),
        ("/overlaps?limit=400", "items"),
        ("/validation?limit=30", "results"),
    ],
)
def test_following_next_gives_every_item_once(client: TestClient, path: str, key: str) -> None:
    whole = client.get(path.split("?")[0], params={"limit": 1000}).json()
    items, total, pages = walk(client, path, key)
    assert pages > 1
    assert total == len(items) == whole["total"]
    assert items[: len(whole[key])] == whole[key]


def test_next_keeps_the_filters_and_is_null_on_the_last_page(client: TestClient) -> None:
    first = client.get("/documents", params={"owner": "sst", "limit": 5}).json()
    assert first["next"].startswith("/documents?")
    assert "owner=sst" in first["next"] and "offset=5" in first["next"] and "limit=5" in first["next"]
    last = client.get("/documents", params={"owner": "sst", "limit": 5, "offset": first["total"] - 1}).json()
    assert len(last["items"]) == 1
    assert last["next"] is None


def test_a_page_beyond_the_end_is_empty_not_an_error(client: TestClient) -> None:
    body = client.get("/gaps", params={"offset": 100_000}).json()
    assert body["items"] == [] and body["total"] > 0 and body["next"] is None


@pytest.mark.parametrize("path", ["/documents", "/organisations", "/gaps", "/overlaps", "/validation"])
def test_a_page_larger_than_the_maximum_is_refused(client: TestClient, path: str) -> None:
    response = client.get(path, params={"limit": 1_000_000})
    assert response.status_code == 422
    assert "limit" in str(response.json()["detail"])


def test_the_planning_page_counts_every_gap_but_shows_a_page_of_them(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.routers import planning

    total = client.get("/gaps").json()["total"]
    monkeypatch.setattr(planning, "GAP_ROWS", 10)
    page = client.get("/", params={"gap_offset": 10}).text
    assert page.count('class="gap"') == 10
    assert f"Viser hul 11–20 af {total}" in page
    assert 'href="/planning?gap_offset=20#gaps-h"' in page


def test_a_matrix_cell_comes_a_page_at_a_time_and_next_walks_all_of_it(client: TestClient) -> None:
    json = {"Accept": "application/json"}
    whole = client.get("/planning/cell", params={"area": "F30-F39", "limit": 500}, headers=json).json()
    assert whole["total"] == len(whole["items"]) > 10 and whole["next"] is None
    items: list[object] = []
    url: str | None = "/planning/cell?area=F30-F39&limit=4"
    while url:
        body = client.get(url, headers=json).json()
        assert len(body["items"]) <= 4 and body["total"] == whole["total"]
        assert body["counting"] == whole["counting"] and body["state"] == whole["state"]
        items += body["items"]
        url = body["next"]
    assert items == whole["items"]  # valid first, every document once


def test_a_matrix_cell_page_shows_its_place_and_links_on_without_javascript(client: TestClient) -> None:
    first = client.get("/planning/cell", params={"area": "F30-F39", "limit": 4, "population": "adults"}).text
    total = client.get(
        "/planning/cell", params={"area": "F30-F39", "population": "adults"}, headers={"Accept": "application/json"}
    ).json()["total"]
    assert f"Dokument 1–4 af {total}." in first
    assert 'href="/planning/cell?area=F30-F39&amp;population=adults&amp;offset=4&amp;limit=4"' in first
    assert 'rel="prev"' not in first
    last = client.get(
        "/planning/cell", params={"area": "F30-F39", "limit": 4, "offset": total - 1, "population": "adults"}
    ).text
    assert f"Dokument {total}–{total} af {total}." in last
    assert 'rel="next"' not in last and 'rel="prev"' in last
    assert "cell-pages" not in client.get("/planning/cell", params={"area": "F30-F39"}).text  # one page: no page links


def test_an_organisations_documents_come_a_page_at_a_time(client: TestClient) -> None:
    whole = client.get("/organisations/sst").json()
    assert whole["document_total"] == len(whole["document_list"]) > 5 and whole["document_next"] is None
    items: list[object] = []
    url: str | None = "/organisations/sst?limit=5"
    while url:
        body = client.get(url).json()
        assert len(body["document_list"]) <= 5 and body["document_total"] == whole["document_total"]
        items += body["document_list"]
        url = body["document_next"]
    assert items == whole["document_list"]


def test_the_overlap_clusters_come_a_page_at_a_time_beside_the_pairs(client: TestClient) -> None:
    whole = client.get("/overlaps", params={"limit": 1, "min_score": 0.8}).json()
    assert whole["clusters_total"] == len(whole["clusters"]) > 2 and whole["clusters_next"] is None
    clusters: list[object] = []
    url: str | None = "/overlaps?limit=1&min_score=0.8&cluster_limit=2"
    while url:
        body = client.get(url).json()
        assert len(body["clusters"]) <= 2 and body["items"] == whole["items"]
        clusters += body["clusters"]
        url = body["clusters_next"]
    assert clusters == whole["clusters"]
