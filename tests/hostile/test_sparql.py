"""Hostile requests to the read-only SPARQL endpoint of a real server: refused 4xx, nothing fetched.

Every case is sent while a second thread asks /health; the service must answer it within a
second throughout, and the store must hold exactly the triples it held before.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.hostile.conftest import Answer, Listener, Secret
from tests.hostile.corpus import CORPUS, QUERY_CASES, QueryCase

pytestmark = pytest.mark.slow


def _query(case: QueryCase, listener: Listener, secret: Secret) -> str:
    text = (CORPUS / "sparql" / case.file).read_text() if case.file else case.text() if case.text else ""
    return text.replace("@@PORT@@", str(listener.port)).replace("@@SECRET@@", str(secret.path))


def _send(url: str, case: QueryCase, query: str, secret: Secret) -> httpx.Response:
    params = [(name, value.replace("@@SECRET@@", str(secret.path))) for name, value in case.params]
    # JSON results, and any format for a CONSTRUCT (which has no JSON results: that alone is 406).
    headers = {"Accept": "application/sparql-results+json, */*;q=0.1"}
    endpoint = f"{url}/sparql"
    if case.transport == "get":
        return httpx.get(endpoint, params=[("query", query), *params], headers=headers, timeout=30)
    if case.transport == "form":
        return httpx.post(endpoint, params=params, data={"query": query}, headers=headers, timeout=30)
    if case.transport == "update":
        return httpx.post(endpoint, params=params, data={"update": query}, headers=headers, timeout=30)
    media_type = "application/sparql-update" if case.transport == "sparql-update" else "application/sparql-query"
    headers["Content-Type"] = media_type
    return httpx.post(endpoint, params=params, content=query.encode(), headers=headers, timeout=30)


class HealthWatch:
    """Asks /health every 0.2 s in a thread and remembers the slowest answer."""

    def __init__(self, url: str) -> None:
        self.url, self.slowest, self.failures = url, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                ok = httpx.get(f"{self.url}/health", timeout=5).status_code == 200
            except httpx.TransportError:
                ok = False
            self.failures += not ok
            self.slowest = max(self.slowest, time.monotonic() - started)
            self._stop.wait(0.2)

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _triples(url: str) -> int:
    return int(httpx.get(f"{url}/health", timeout=10).json()["triples"])


@pytest.mark.parametrize("case", QUERY_CASES, ids=lambda case: case.id)
def test_hostile_query_is_answered_without_harm(
    case: QueryCase, hostile_server: str, listener: Listener, secret: Secret, answered: Answer
) -> None:
    query = _query(case, listener, secret)
    before = _triples(hostile_server)
    with HealthWatch(hostile_server) as health:
        started = time.monotonic()
        response = _send(hostile_server, case, query, secret)
        elapsed = time.monotonic() - started
    assert response.status_code == case.status, response.text[:500]
    if case.status >= 400:
        assert response.json()["detail"], "a refusal says why"
    assert elapsed < 10, "every answer, refusals and time-outs included, comes within seconds"
    assert health.failures == 0 and health.slowest < 1.0, f"/health took {health.slowest:.2f} s"
    assert _triples(hostile_server) == before
    assert secret.text not in response.text
    listener.assert_untouched()
    how = "answered, nothing fetched or read" if case.status == 200 else "with the reason"
    answered("sparql", case.id, f"{case.status} {how}; /health kept answering; store unchanged")


def test_service_answers_normally_after_the_hostile_queries(hostile_server: str) -> None:
    query = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"
    response = httpx.get(f"{hostile_server}/sparql", params={"query": query}, timeout=30)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 3
