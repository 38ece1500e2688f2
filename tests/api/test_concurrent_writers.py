"""Two API worker processes on one remote SPARQL store (Oxigraph's server, Virtuoso): If-Match holds.

Each round, two clients read the same version of a document and send different changes with
its ETag at the same moment, one to each API process.  Exactly one gets 200, the other 412, and
the stored document and its history hold the winner's change alone: no update is lost.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.api.conftest import running_virtuoso, start_server, start_sparql_server, stop

pytestmark = pytest.mark.slow

EDITOR = "c" * 24
TOKENS = f"alice:edit:{EDITOR},bob:edit:{'d' * 24}"
ROUNDS = 6


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def workers(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """Two API processes on one Oxigraph server, then on one Virtuoso (the second starts on the seeded store)."""
    with contextlib.ExitStack() as stack:
        if request.param == "virtuoso":
            spec = stack.enter_context(running_virtuoso()).store_spec
        else:
            backend, sparql = start_sparql_server()
            stack.callback(stop, backend)
            spec = f"sparql:{sparql}/query,{sparql}/update"
        urls = []
        for _ in range(2):
            process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": TOKENS})
            stack.callback(stop, process)
            urls.append(url)
        yield urls[0], urls[1]


def _edit(body: dict[str, object], notes: str) -> dict[str, object]:
    edit = {k: body[k] for k in ("id", "title", "kind", "status", "populations", "topics", "sources", "issued")}
    edit |= {
        "owners": [o["id"] for o in body["owners"]],  # type: ignore[attr-defined]
        "disease_areas": [a["notation"] for a in body["disease_areas"]],  # type: ignore[attr-defined]
        "notes": notes,
    }
    return {k: v for k, v in edit.items() if v is not None}


def _race(etag: str, changes: dict[str, dict[str, object]], tokens: dict[str, str]) -> dict[str, httpx.Response]:
    """PUT each change to its server at the same moment, all with *etag*."""
    answers: dict[str, httpx.Response] = {}
    barrier = threading.Barrier(len(changes))

    def put(url: str) -> None:
        headers = {"Authorization": f"Bearer {tokens[url]}", "If-Match": etag}
        barrier.wait()
        answers[url] = httpx.put(f"{url}/documents/nkr-ocd", json=changes[url], headers=headers, timeout=120)

    threads = [threading.Thread(target=put, args=(url,)) for url in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_puts_with_one_etag_give_one_200_and_one_412_and_lose_nothing(workers: tuple[str, str]) -> None:
    first, second = workers
    tokens = {first: EDITOR, second: "d" * 24}
    for round_ in range(ROUNDS):
        current = httpx.get(f"{first}/documents/nkr-ocd", timeout=60)
        assert current.status_code == 200
        etag, body = current.headers["etag"], current.json()
        changes = {first: _edit(body, f"runde {round_}: via første"), second: _edit(body, f"runde {round_}: via anden")}
        answers = _race(etag, changes, tokens)
        statuses = sorted(answer.status_code for answer in answers.values())
        assert statuses == [200, 412], [answer.text[:300] for answer in answers.values()]
        winner = next(url for url, answer in answers.items() if answer.status_code == 200)
        for url in (first, second):  # both workers see the winner's version, with the ETag it was given
            stored = httpx.get(f"{url}/documents/nkr-ocd", timeout=60)
            assert stored.json()["notes"] == changes[winner]["notes"]
            assert stored.headers["etag"] == answers[winner].headers["etag"]
    history = httpx.get(f"{second}/documents/nkr-ocd/history", timeout=60).json()["items"]
    assert [item["action"] for item in history] == ["update"] * ROUNDS, "one history entry per winning write"
    assert [item["number"] for item in history] == list(range(1, ROUNDS + 1))


def test_creating_and_deleting_through_different_workers(workers: tuple[str, str]) -> None:
    first, second = workers
    auth = {"Authorization": f"Bearer {EDITOR}"}
    body = {
        "id": "remote-plan",
        "title": "Selvskade hos unge",
        "kind": "DMPGGuideline",
        "owners": ["dmpg-dep"],
        "disease_areas": ["F43.1"],
        "status": "planned",
        "sources": ["https://example.org/plan"],
    }
    created = httpx.post(f"{first}/documents", json=body, headers=auth, timeout=120)
    assert created.status_code == 201, created.text
    assert httpx.post(f"{second}/documents", json=body, headers=auth, timeout=120).status_code == 409
    stale = httpx.delete(f"{second}/documents/remote-plan", headers={**auth, "If-Match": '"stale"'}, timeout=120)
    assert stale.status_code == 412
    etag = created.headers["etag"]
    assert (
        httpx.delete(f"{second}/documents/remote-plan", headers={**auth, "If-Match": etag}, timeout=120).status_code
        == 204
    )
    for url in (first, second):
        assert httpx.get(f"{url}/documents/remote-plan", timeout=60).status_code == 404
    actions = [
        item["action"] for item in httpx.get(f"{first}/documents/remote-plan/history", timeout=60).json()["items"]
    ]
    assert actions == ["create", "delete"]
