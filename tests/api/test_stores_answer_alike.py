"""A real server answers over HTTP, on the embedded store and on remote SPARQL stores, as recorded.

The other API tests ask the app in process; this one proves the same answers come out of uvicorn on
each kind of store (embedded, Oxigraph's server, Virtuoso): every read request of ``tests/api/golden.py``
(one document's formats and history standing for all of them), compared byte for byte with the recorded answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from graph.store.virtuoso import Virtuoso
from tests.api import golden


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=120) as client:
        yield client


def test_every_read_answer_over_http_is_the_recorded_one(http: httpx.Client) -> None:
    assert _changed(http) == []


def test_every_read_answer_on_virtuoso_is_the_recorded_one(virtuoso_api: tuple[str, Virtuoso]) -> None:
    with httpx.Client(base_url=virtuoso_api[0], timeout=120) as http:
        assert _changed(http) == []


def _changed(http: httpx.Client) -> list[str]:
    """Replay the read requests and return those whose answer is not the recorded one."""
    recorded = golden.load()
    documents = http.get("/documents", params={"limit": 500}).json()["items"]
    organisations = http.get("/organisations").json()["items"]
    # The other documents' pages differ from the first one's only in their data, which the in-process tests check.
    one = f"/documents/{documents[0]['id']}"
    asks = [
        ask
        for ask in golden.asks(documents, organisations)
        if ask.path not in golden.VOLATILE and (not ask.path.startswith("/documents/") or ask.path.startswith(one))
    ]
    assert len(asks) > 150
    return [ask.key for ask in asks if golden.answer(http, ask)["sha256"] != recorded[ask.key]["sha256"]]
