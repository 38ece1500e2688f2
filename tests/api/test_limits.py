"""No single request can exhaust the server: budgets, cancellation and size bounds (issue 19).

The cancellation test runs a real uvicorn on a synthetic store (3,000 documents, with no time budget and
no size bound, so pairing every document is long work) and hangs up early: the server must stop the work,
which ``GET /health/work`` shows, instead of computing on for nobody.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import Settings, create_app
from graph.model.landscape import landscape
from graph.store.core import Store
from loaders.synth import write_synthetic
from tests.api.conftest import start_server, stop


@pytest.fixture(scope="module")
def slow_server(registry_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on the registry plus 3,000 synthetic documents: no warming, no time budget, no size bound."""
    folder = tmp_path_factory.mktemp("limits")
    landscape_file = folder / "landscape-3000.ttl"
    write_synthetic(landscape(registry_store), 3000, 7, landscape_file, registry_store.minter)
    spec = f"oxigraph:{folder / 'store'}"
    subprocess.run([sys.executable, "-m", "api.cli", "load", "--store", spec, str(landscape_file)], check=True)
    process, url = start_server("--store", spec, "--no-warm", "--read-budget", "0", "--max-items", "0")
    try:
        yield url
    finally:
        stop(process)


def work(url: str) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(f"{url}/health/work", timeout=10).json()
    return counts


def test_a_client_that_hangs_up_stops_the_work_it_asked_for(slow_server: str) -> None:
    before = work(slow_server)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{slow_server}/overlaps", timeout=1.5)  # every pair of 3,121 documents, unbounded
    hung_up = time.monotonic()
    counts = work(slow_server)
    while counts["cancelled"] == before["cancelled"] and time.monotonic() - hung_up < 30:
        time.sleep(0.05)
        counts = work(slow_server)
    assert counts["cancelled"] == before["cancelled"] + 1
    assert counts["finished"] == before["finished"]  # /health/work itself is not counted
    assert counts["running"] == 0
    assert httpx.get(f"{slow_server}/documents", params={"limit": 1}, timeout=10).status_code == 200


def test_a_read_over_its_time_budget_is_refused_with_how_to_narrow_it() -> None:
    with TestClient(create_app(Settings(warm=False, read_budget=0.01))) as client:
        response = client.get("/overlaps")
        assert response.status_code == 503
        assert "owner and other_owner" in response.json()["detail"]
        assert response.headers["Retry-After"]
        assert client.get("/health/work").json()["over_budget"] == 1
        assert client.get("/documents/nkr-bipolar").status_code == 200  # a small read fits any budget


def test_an_answer_bigger_than_the_memory_bound_is_refused_not_built() -> None:
    with TestClient(create_app(Settings(warm=False, max_items=100))) as client:
        response = client.get("/overlaps")
        assert response.status_code == 413
        assert "more than 100 items" in response.json()["detail"]
        assert client.get("/exports/overlaps.graphml").status_code == 413
        assert client.get("/health/work").json()["too_big"] == 2
        assert client.get("/overlaps", params={"relation": "supersedes"}).status_code == 413  # pairs come first


def test_a_whole_graph_export_beyond_the_bound_is_refused_with_how_to_get_it() -> None:
    with TestClient(create_app(Settings(warm=False, export_max_triples=1000))) as client:
        response = client.get("/exports/graph.ttl")
        assert response.status_code == 413
        assert "retningsgraf export" in response.json()["detail"]


def test_writes_have_no_time_budget() -> None:
    token = "t" * 32
    settings = Settings(warm=False, read_budget=0.000001, tokens=(("mette", "edit", token),))
    with TestClient(create_app(settings)) as client:
        assert client.get("/gaps").status_code == 503
        document = {
            "id": "dmpg-dep-ptsd-plan",
            "title": "Behandling af PTSD",
            "kind": "DMPGGuideline",
            "owners": ["dmpg-dep"],
            "disease_areas": ["F43.1"],
            "status": "planned",
            "sources": ["https://www.dmpg.dk/"],
        }
        response = client.post("/documents", json=document, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text


def test_a_turtle_report_beyond_the_bound_is_refused_and_the_json_is_paged_instead() -> None:
    with TestClient(create_app(Settings(warm=False, turtle_report_max_results=10))) as client:
        response = client.get("/validation", headers={"Accept": "text/turtle"})
        assert response.status_code == 413
        assert "retningsgraf validate" in response.json()["detail"]
        assert client.get("/validation", params={"limit": 10}).status_code == 200


def test_clients_that_hang_up_on_matrix_cells_stop_the_work_they_asked_for(slow_server: str) -> None:
    # A cell for a filter set not asked before builds its coverage and matrix, with a check-point
    # per area; 32 at once share the server's one interpreter, so some are still working when their
    # clients hang up after 0.1 s (how many depends on the machine: without check-points, none).
    before = work(slow_server)

    def ask(day: int) -> None:
        params = {
            "area": "F30-F39",
            "valid_on": f"2020-{1 + day // 28:02d}-{1 + day % 28:02d}",
            "population": "adults",
            "limit": 500,
        }
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{slow_server}/planning/cell", params=params, timeout=0.1)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(ask, range(1, 33)))
    counts = work(slow_server)
    hung_up = time.monotonic()
    while counts["running"] and time.monotonic() - hung_up < 30:
        time.sleep(0.05)
        counts = work(slow_server)
    assert counts["running"] == 0
    cancelled = counts["cancelled"] - before["cancelled"]
    assert cancelled + counts["finished"] - before["finished"] == 32
    assert cancelled >= 1, counts


def test_a_gap_workbook_beyond_the_bound_is_refused_and_the_csv_has_every_gap() -> None:
    with TestClient(create_app(Settings(warm=False, xlsx_max_rows=3))) as client:
        total = client.get("/gaps").json()["total"]
        assert total > 3
        response = client.get("/exports/gaps.xlsx")
        assert response.status_code == 413
        assert "/exports/gaps.csv" in response.json()["detail"] and "rule" in response.json()["detail"]
        csv = client.get("/exports/gaps.csv")
        assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
        assert csv.text.count('\r\n"') == total  # a line per gap after the header
        rules = ("idleDMPG", "orphanedNKR", "childhoodOnset", "uncovered")
        small = next(r for r in rules if 0 < client.get("/gaps", params={"rule": r}).json()["total"] <= 3)
        assert client.get("/exports/gaps.xlsx", params={"rule": small}).status_code == 200
