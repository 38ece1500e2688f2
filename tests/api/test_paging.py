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
