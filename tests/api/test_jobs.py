"""Background jobs: the long analyses a request may not run, with progress, a result URL and a size limit (issue 19)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import Settings, create_app


def finished(client: TestClient, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    job: dict[str, Any] = client.get(location).json()
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(location).json()
    return job


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(warm=False))) as test_client:
        yield test_client


def test_a_pairs_job_gives_every_pair_that_the_pages_of_overlaps_give(client: TestClient) -> None:
    started = client.post("/jobs", json={"kind": "overlaps", "owner": "dmpg-dep", "other_owner": "sst"})
    assert started.status_code == 202
    job = finished(client, started.headers["Location"])
    assert job["state"] == "done" and job["progress"] == 1.0
    result = client.get(job["result"])
    assert result.headers["content-type"] == "application/json"
    paged = client.get("/overlaps", params={"owner": "dmpg-dep", "other_owner": "sst"}).json()
    body = result.json()
    assert body["total"] == paged["total"] == len(body["items"])
    assert [(p["a"], p["b"], p["score"]) for p in body["items"]] == [
        (p["a"], p["b"], p["score"]) for p in paged["items"]
    ]


def test_a_whole_graph_job_gives_the_export_file(client: TestClient) -> None:
    started = client.post("/jobs", json={"kind": "graph", "format": "nt"})
    job = finished(client, started.headers["Location"])
    result = client.get(job["result"])
    exported = client.get("/exports/graph.nt").content
    assert set(result.content.splitlines()) == set(exported.splitlines()) and len(result.content) == job["bytes"]
    assert result.headers["content-type"].startswith("application/n-triples")


def test_a_job_whose_result_outgrows_its_limit_fails_saying_how_to_narrow_it() -> None:
    with TestClient(create_app(Settings(warm=False, job_max_bytes=10_000))) as client:
        started = client.post("/jobs", json={"kind": "overlaps"})
        job = finished(client, started.headers["Location"])
        assert job["state"] == "failed"
        assert "more than 10,000" in job["error"] and "owner and other_owner" in job["error"]
        assert client.get(f"{started.headers['Location']}/result").status_code == 409


def test_an_unknown_job_is_404_and_a_bad_kind_is_422(client: TestClient) -> None:
    assert client.get("/jobs/" + "0" * 32).status_code == 404
    assert client.post("/jobs", json={"kind": "everything"}).status_code == 422
