"""Rate limits per client on the expensive routes, off for bulk tokens (issue 19)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import Settings, create_app
from api.ratelimit import RateLimiter

BULK, READER = "b" * 32, "r" * 32
DRAFT = {"title": "Behandling af depression hos voksne", "disease_areas": ["F32"]}


@pytest.fixture
def client() -> Iterator[TestClient]:
    tokens = (("lager", "bulk", BULK), ("ida", "read", READER))
    settings = Settings(warm=False, rate_per_minute=6, rate_burst=3, tokens=tokens)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_client_past_its_burst_waits_with_retry_after(client: TestClient) -> None:
    answers = [client.post("/overlaps/check", json=DRAFT) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "10"  # one request in ten seconds at 6 a minute
    assert "bulk" in answers[-1].json()["detail"]


def test_every_expensive_route_draws_on_the_same_allowance(client: TestClient) -> None:
    assert client.get("/overlaps", params={"limit": 1}).status_code == 200
    assert client.get("/exports/gaps.csv").status_code == 200
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    assert client.get("/planning/overlaps").status_code == 429


def test_cheap_reads_are_not_limited(client: TestClient) -> None:
    for _ in range(3):
        client.post("/overlaps/check", json=DRAFT)
    assert all(client.get("/documents/nkr-bipolar").status_code == 200 for _ in range(10))
    assert client.get("/gaps").status_code == 200


def test_a_bulk_token_is_not_limited_and_a_read_token_is_counted_apart(client: TestClient) -> None:
    for _ in range(3):
        client.post("/overlaps/check", json=DRAFT)
    bulk = {"Authorization": f"Bearer {BULK}"}
    assert all(client.post("/overlaps/check", json=DRAFT, headers=bulk).status_code == 200 for _ in range(6))
    reader = {"Authorization": f"Bearer {READER}"}
    statuses = [client.post("/overlaps/check", json=DRAFT, headers=reader).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_allowance_refills_at_the_rate() -> None:
    limiter = RateLimiter(per_minute=30, burst=2)
    assert [limiter.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 2.0]
    assert limiter.take("a", now=1.0) == pytest.approx(1.0)
    assert limiter.take("a", now=2.0) == 0.0
    assert limiter.take("b", now=2.0) == 0.0  # another client has its own


def test_without_a_rate_nothing_is_limited() -> None:
    with TestClient(create_app(Settings(warm=False))) as client:
        assert all(client.post("/overlaps/check", json=DRAFT).status_code == 200 for _ in range(40))
