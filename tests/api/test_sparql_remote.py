"""/sparql on a remote store: the engine answers, the API worker only relays (issue 17).

https://github.com/retningsgraf/retningsgraf/issues/17 — in remote mode every API worker used to
copy the whole store for SPARQL. Here, on a real Oxigraph server and a real Virtuoso: limits still
hold (rows, time, features the engine lacks refused clearly), a long answer streams whole, and the
API worker's memory does not grow with the store when users query it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import running_virtuoso, start_server, start_sparql_server, stop

pytestmark = pytest.mark.slow

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ALL_QUADS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@contextlib.contextmanager
def backend(engine: str) -> Iterator[str]:
    """A running remote store of *engine* ("oxigraph" or "virtuoso"), empty, as a --store value."""
    if engine == "virtuoso":
        with running_virtuoso() as server:
            yield server.store_spec
        return
    process, url = start_sparql_server()
    try:
        yield f"sparql:{url}/query,{url}/update"
    finally:
        stop(process)


@contextlib.contextmanager
def api(spec: str, *args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, url = start_server("--store", spec, *args, env=env)
    try:
        yield process, url
    finally:
        stop(process)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def limited(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The API on each engine with a 1.5 s time limit and a 50-row limit, and the engine's name."""
    with backend(request.param) as spec, api(spec, "--sparql-timeout", "1.5", "--sparql-max-rows", "50") as (_, url):
        yield request.param, url


def sparql(url: str, query: str, accept: str = "application/sparql-results+json") -> httpx.Response:
    return httpx.get(f"{url}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=300)


def test_remote_result_over_the_row_limit_is_400_naming_the_limit(limited: tuple[str, str]) -> None:
    _, url = limited
    response = sparql(url, "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 400
    assert "limit of 50 rows" in response.json()["detail"]
    rows = sparql(url, "SELECT * WHERE { ?s ?p ?o } LIMIT 50").json()["results"]["bindings"]
    assert len(rows) == 50
    graph = sparql(url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 51", "application/n-triples")
    assert graph.status_code == 400


def test_remote_query_past_the_time_limit_is_503_and_the_api_stays_responsive(limited: tuple[str, str]) -> None:
    _, url = limited
    outcome: dict[str, httpx.Response] = {}
    slow = threading.Thread(target=lambda: outcome.update(r=sparql(url, CROSS_PRODUCT)))
    slow.start()
    assert httpx.get(f"{url}/health", timeout=10).status_code == 200
    slow.join(timeout=30)
    assert not slow.is_alive()
    assert outcome["r"].status_code == 503
    assert "time limit of 1.5 s" in outcome["r"].json()["detail"]
    assert sparql(url, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_a_feature_the_engine_lacks_is_refused_naming_the_engine(limited: tuple[str, str]) -> None:
    engine, url = limited
    response = sparql(url, "SELECT (BNODE() AS ?b) WHERE {}")
    if engine == "oxigraph":
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "Virtuoso" in response.json()["detail"] and "cannot run this query" in response.json()["detail"]


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def unlimited(request: pytest.FixtureRequest) -> Iterator[str]:
    with backend(request.param) as spec, api(spec, "--sparql-max-rows", "10000000") as (_, url):
        yield url


def test_an_answer_longer_than_the_api_holds_streams_whole_without_etag(unlimited: str) -> None:
    quads = int(httpx.get(f"{unlimited}/health", timeout=10).json()["triples"])
    response = sparql(unlimited, ALL_QUADS, "text/tab-separated-values")
    assert response.status_code == 200
    assert len(response.content) > 1024 * 1024  # more than the API holds back: it streamed
    assert "etag" not in response.headers
    assert len(response.text.splitlines()) == quads + 1  # the header, then every quad of the landscape


# Memory ------------------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            found += (task / "children").read_text().split()
    return found


def growth_under_sparql(spec: str, synthetic: Path | None) -> int:
    """KiB the API worker grows by while users query a store holding the registry (and *synthetic*)."""
    if synthetic is not None:
        load = [sys.executable, "-m", "api.cli", "load", "--store", spec, str(synthetic)]
        subprocess.run(load, check=True, capture_output=True, timeout=600)
    # No warm-up thread: it builds gaps, pairs and the report, which grow with the store but are not SPARQL's.
    limits = ("--no-warm", "--sparql-max-rows", "10000000", "--sparql-timeout", "300")
    with tempfile.TemporaryDirectory(prefix="retningsgraf-tmp-") as tmp:
        started = api(spec, *limits, env={"TMPDIR": tmp})
        with started as (process, url):
            return _growth(process, url, Path(tmp))


def _growth(process: subprocess.Popen[bytes], url: str, tmp: Path) -> int:
    assert sparql(url, "ASK { ?s ?p ?o }").status_code == 200  # the query path's own code and buffers
    assert sparql(url, "SELECT * WHERE { ?s ?p ?o } LIMIT 10").status_code == 200
    before = rss_kib(process.pid)
    for _ in range(3):
        assert sparql(url, COUNT_QUADS).status_code == 200
        assert sparql(url, ALL_QUADS, "text/tab-separated-values").status_code == 200
        assert sparql(url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "text/turtle").status_code == 200
    after = rss_kib(process.pid)
    assert children(process.pid) == []  # no query worker holding a copy of the store
    assert list(tmp.glob("retningsgraf-sparql-*")) == []  # and no snapshot of it written for one
    return after - before


@pytest.mark.parametrize("engine", ["oxigraph", "virtuoso"])
def test_the_api_worker_does_not_grow_with_the_store_when_users_run_sparql(engine: str) -> None:
    with tempfile.TemporaryDirectory(prefix="retningsgraf-grow-") as folder:
        synthetic = Path(folder) / "landscape.ttl"
        synth = ["synth", "--documents", "5000", "--seed", "7", "--out", str(synthetic)]
        subprocess.run([sys.executable, "-m", "api.cli", *synth], check=True, capture_output=True, timeout=300)
        with backend(engine) as spec:
            small = growth_under_sparql(spec, None)
        with backend(engine) as spec:
            large = growth_under_sparql(spec, synthetic)
    # The larger store holds some 80,000 more quads; a copy of them in the worker would be well over 50 MB.
    assert large < 40 * 1024, f"the worker grew {large} KiB while users queried the larger store"
    assert large - small < 20 * 1024, f"growth {small} KiB on the registry, {large} KiB with 5,000 more documents"
