"""Coordinators' verdicts through a real server, on the embedded store and in remote-store mode (issue 15 item 4).

https://github.com/retningsgraf/retningsgraf/issues/15
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from loaders.ingest import registry_files
from tests.api.conftest import start_server, start_sparql_server, stop

pytestmark = pytest.mark.slow  # real servers, one restarted around a reload of the registry

ROOT = Path(__file__).resolve().parents[2]
EDITOR = "v" * 24
READER = "q" * 24
TOKENS = f"koordinator:edit:{EDITOR},rita:read:{READER}"
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}"}
# This file's servers listen in the port range given to its author's session, one per store mode.
PORTS = {"embedded": 8451, "remote": 8452}


@dataclass
class Running:
    """A server with tokens on one kind of store, which can be stopped around a reload of the registry."""

    mode: str
    spec: str
    url: str
    process: subprocess.Popen[bytes]

    def reload_registry(self) -> None:
        """Load the shipped registry again, as `retningsgraf load` does (the embedded store needs the server down)."""
        if self.mode == "embedded":
            stop(self.process)
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "load", "--store", self.spec, *map(str, registry_files())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "erstatter <" in done.stdout, "the load replaced the registry's graphs"
        if self.mode == "embedded":
            self.process, self.url = start_server(
                "--store", self.spec, env={"RETNINGSGRAF_TOKENS": TOKENS}, port=PORTS[self.mode]
            )


@pytest.fixture(scope="module", params=["embedded", "remote"])
def running(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    backend = None
    if request.param == "remote":
        backend, sparql_url = start_sparql_server()
        spec = f"sparql:{sparql_url}/query,{sparql_url}/update"
    else:
        spec = f"oxigraph:{tmp_path_factory.mktemp('verdicts') / 'db'}"
    process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": TOKENS}, port=PORTS[request.param])
    server = Running(request.param, spec, url, process)
    try:
        yield server
    finally:
        stop(server.process)
        if backend is not None:
            stop(backend)


def _pair(url: str, relation: str) -> dict[str, object]:
    """The best pair the engine calls *relation* between SST and the other owners."""
    items = httpx.get(f"{url}/overlaps", params={"owner": "sst", "relation": relation}, timeout=60).json()["items"]
    assert items, f"the registry has an SST pair the engine calls {relation}"
    return items[0]


def _verdicts(url: str, **params: str) -> dict[str, object]:
    return httpx.get(f"{url}/overlaps/verdicts", params=params, timeout=30).json()


def _csv_rows(url: str, **params: str) -> list[dict[str, str]]:
    response = httpx.get(f"{url}/exports/overlaps.csv", params=params, timeout=60)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_bad_verdicts_are_refused_with_a_clear_reason_and_change_nothing(running: Running) -> None:
    url = running.url
    pair = _pair(url, "overlap")
    a, b = pair["a"], pair["b"]
    before = _verdicts(url, history="true")
    good = {"a": a, "b": b, "kind": "not-duplicate"}
    assert httpx.put(f"{url}/overlaps/verdicts", json=good).status_code == 401
    reader = httpx.put(f"{url}/overlaps/verdicts", json=good, headers={"Authorization": f"Bearer {READER}"})
    assert reader.status_code == 403
    refused = {
        "unknown kind": ({**good, "kind": "maybe"}, 422, "kind"),
        "unknown document": ({**good, "b": "no-such-document"}, 404, "no-such-document"),
        "the same document twice": ({**good, "b": a}, 422, "same"),
        "a link that is not http": ({**good, "link": "javascript:alert(1)"}, 422, "http"),
        "an unknown field": ({**good, "verdict": "x"}, 422, "verdict"),
        "a note too long": ({**good, "note": "x" * 2001}, 422, "note"),
    }
    for case, (body, status, said) in refused.items():
        response = httpx.put(f"{url}/overlaps/verdicts", json=body, headers=AS_EDITOR)
        assert response.status_code == status, (case, response.text)
        assert said in response.text, (case, response.text)
    assert httpx.delete(f"{url}/overlaps/verdicts", params={"a": a, "b": b}, headers=AS_EDITOR).status_code == 404
    assert _verdicts(url, history="true") == before
    assert next(i for i in httpx.get(f"{url}/overlaps", params={"owner": "sst"}).json()["items"] if i["a"] == a)


def test_a_verdict_recorded_through_the_api_shows_beside_the_engines_call_in_overlaps_check_and_csv(
    running: Running,
) -> None:
    url = running.url
    pair = _pair(url, "duplicate")
    a, b = str(pair["a"]), str(pair["b"])
    note = "Samme kliniske spørgsmål; aftalt at SST-udgaven gælder."
    # Either order names the same pair.
    put = httpx.put(
        f"{url}/overlaps/verdicts",
        json={"a": b, "b": a, "kind": "confirmed-duplicate", "note": note, "link": "https://example.org/aftale"},
        headers=AS_EDITOR,
    )
    assert put.status_code == 201, put.text
    recorded = put.json()
    assert recorded["verdict"]["who"] == "koordinator" and recorded["verdict"]["label"] == "bekræftet dobbeltarbejde"
    assert recorded["engine_relation"] == "duplicate"

    listed = _verdicts(url, document=a)
    assert [(i["a"], i["b"]) for i in listed["items"]] == [tuple(sorted((a, b)))]
    assert listed["total"] == 1 and listed["next"] is None

    shown = next(
        i for i in httpx.get(f"{url}/overlaps", params={"owner": "sst"}).json()["items"] if {i["a"], i["b"]} == {a, b}
    )
    assert shown["relation"] == shown["engine_relation"] == "duplicate", "the engine's call is kept beside the verdict"
    assert shown["verdict"]["kind"] == "confirmed-duplicate" and shown["verdict"]["note"] == note
    unjudged = httpx.get(f"{url}/overlaps", params={"owner": "sst", "unjudged": "true"}).json()["items"]
    assert all({i["a"], i["b"]} != {a, b} for i in unjudged)

    doc = httpx.get(f"{url}/documents/{a}").json()
    draft = {"title": doc["title"], "disease_areas": [area["notation"] for area in doc["disease_areas"]]}
    checked = httpx.post(f"{url}/overlaps/check", params={"document": a}, json=draft).json()["candidates"]
    candidate = next(c for c in checked if c["document"]["id"] == b)
    assert (
        candidate["verdict"]["kind"] == "confirmed-duplicate" and candidate["engine_relation"] == candidate["relation"]
    )
    plain = httpx.post(f"{url}/overlaps/check", json=draft).json()["candidates"]
    assert all(c["verdict"] is None for c in plain), "a draft that is no registered document has no verdicts"

    row = next(r for r in _csv_rows(url, owner="sst") if {r["dokument-id"], r["beslægtet dokument-id"]} == {a, b})
    assert row["motorens relation"] == "dobbeltarbejde"
    assert row["koordinators vurdering"] == "bekræftet dobbeltarbejde"
    assert (row["vurderingens note"], row["aftale"], row["vurderet af"]) == (
        note,
        "https://example.org/aftale",
        "koordinator",
    )

    page = httpx.get(f"{url}/documents/{a}", headers={"Accept": "text/html"}).text
    assert "bekræftet dobbeltarbejde" in page and note in page

    feed = httpx.get(f"{url}/changes/feed.json").json()["items"]
    item = next(i for i in feed if i["_retningsgraf"]["kind"] == "verdict")
    assert "vurderet af en koordinator" in item["title"] and item["authors"] == [{"name": "koordinator"}]


def test_a_new_verdict_revises_the_old_one_and_a_withdrawal_keeps_the_history(running: Running) -> None:
    url = running.url
    pair = _pair(url, "overlap")
    a, b = str(pair["a"]), str(pair["b"])
    first = httpx.put(f"{url}/overlaps/verdicts", json={"a": a, "b": b, "kind": "not-duplicate"}, headers=AS_EDITOR)
    second = httpx.put(f"{url}/overlaps/verdicts", json={"a": a, "b": b, "kind": "coordinated"}, headers=AS_EDITOR)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["revises"] == first.json()["id"]
    standing = [i for i in _verdicts(url, document=a)["items"] if {i["a"], i["b"]} == {a, b}]
    assert [i["verdict"]["kind"] for i in standing] == ["coordinated"]

    assert httpx.delete(f"{url}/overlaps/verdicts", params={"a": b, "b": a}, headers=AS_EDITOR).status_code == 204
    assert all({i["a"], i["b"]} != {a, b} for i in _verdicts(url)["items"])
    history = [i for i in _verdicts(url, history="true", document=a)["items"] if {i["a"], i["b"]} == {a, b}]
    assert [i["verdict"]["kind"] if i["verdict"] else "withdrawn" for i in history] == [
        "withdrawn",
        "coordinated",
        "not-duplicate",
    ]
    shown = next(
        i for i in httpx.get(f"{url}/overlaps", params={"owner": "sst"}).json()["items"] if {i["a"], i["b"]} == {a, b}
    )
    assert shown["verdict"] is None


def test_a_document_write_does_not_warn_again_about_a_pair_already_judged(running: Running) -> None:
    url = running.url
    plan = {
        "id": "verdict-plan",
        "title": "Behandling af depression hos voksne",
        "kind": "DMPGGuideline",
        "owners": ["dmpg-dep"],
        "disease_areas": ["F32"],
        "populations": ["adults"],
        "status": "planned",
        "sources": ["https://example.org/plan"],
    }
    created = httpx.post(f"{url}/documents", json=plan, headers=AS_EDITOR, timeout=60)
    assert created.status_code == 201, created.text
    warned = [w for w in created.json()["warnings"] if w["type"] == "overlap"]
    assert warned, "the first write tells the coordinator what the plan overlaps"
    judged = warned[0]["document"]
    put = httpx.put(
        f"{url}/overlaps/verdicts",
        json={"a": "verdict-plan", "b": judged, "kind": "coordinated", "note": "Aftalt med ejeren."},
        headers=AS_EDITOR,
    )
    assert put.status_code == 201, put.text
    again = httpx.put(
        f"{url}/documents/verdict-plan",
        json={**plan, "title": "Behandling af depression hos voksne, 2. udgave"},
        headers={**AS_EDITOR, "If-Match": created.headers["etag"]},
        timeout=60,
    )
    assert again.status_code == 200, again.text
    warnings = again.json()["warnings"]
    assert judged not in {w["document"] for w in warnings if w["type"] == "overlap"}
    assert [w["type"] for w in warnings if w["document"] == judged] == ["judged"]


def test_an_owner_subscribed_to_overlaps_hears_of_a_judged_pair_once_not_of_every_later_edit(
    running: Running,
) -> None:
    url = running.url
    plan = {
        "id": "verdict-feed-plan",
        "title": "Behandling af spiseforstyrrelser hos voksne",
        "kind": "DMPGGuideline",
        "owners": ["dmpg-dep"],
        "disease_areas": ["F50"],
        "populations": ["adults"],
        "status": "planned",
        "sources": ["https://example.org/plan"],
    }
    created = httpx.post(f"{url}/documents", json=plan, headers=AS_EDITOR, timeout=60)
    assert created.status_code == 201, created.text
    partners = {
        i["b"] if i["a"] == plan["id"] else i["a"]
        for i in httpx.get(f"{url}/overlaps", params={"owner": "dmpg-dep", "other_owner": "sst"}, timeout=60).json()[
            "items"
        ]
        if plan["id"] in (i["a"], i["b"])
    }
    assert partners, "the plan overlaps SST documents"

    def heard() -> list[dict[str, object]]:
        feed = httpx.get(f"{url}/changes/feed.json", params={"overlapping": "sst"}, timeout=60).json()["items"]
        return [i["_retningsgraf"] for i in feed if plan["id"] in str(i["_retningsgraf"]["record"])]

    assert {c["kind"] for c in heard()} == {"document"}, "SST hears of the plan that overlaps its documents"
    for other in sorted(partners):
        put = httpx.put(
            f"{url}/overlaps/verdicts",
            json={"a": plan["id"], "b": other, "kind": "coordinated", "note": "Aftalt med SST."},
            headers=AS_EDITOR,
        )
        assert put.status_code == 201, put.text
    edited = httpx.put(
        f"{url}/documents/{plan['id']}",
        json={**plan, "title": "Behandling af spiseforstyrrelser hos voksne, revideret plan"},
        headers={**AS_EDITOR, "If-Match": created.headers["etag"]},
        timeout=60,
    )
    assert edited.status_code == 200, edited.text
    kinds = [c["kind"] for c in heard()]
    assert kinds.count("verdict") == len(partners), "SST hears of each verdict once"
    assert "document" not in kinds, "and not of edits to a plan whose every pair with it is judged"


def test_verdicts_survive_a_reload_of_the_registry(running: Running) -> None:
    url = running.url
    pair = _pair(url, "overlap")
    a, b = str(pair["a"]), str(pair["b"])
    put = httpx.put(
        f"{url}/overlaps/verdicts",
        json={"a": a, "b": b, "kind": "not-duplicate", "note": "før genindlæsning"},
        headers=AS_EDITOR,
    )
    assert put.status_code in (200, 201), put.text
    before = _verdicts(running.url, history="true")

    running.reload_registry()

    after = _verdicts(running.url, history="true")
    assert after == before
    shown = next(
        i
        for i in httpx.get(f"{running.url}/overlaps", params={"owner": "sst"}).json()["items"]
        if {i["a"], i["b"]} == {a, b}
    )
    assert shown["verdict"]["note"] == "før genindlæsning"
    assert any(r["vurderingens note"] == "før genindlæsning" for r in _csv_rows(running.url, owner="sst"))


@pytest.fixture(scope="module")
def two_workers() -> Iterator[tuple[str, str]]:
    """Two API processes on one remote SPARQL store (the second starts on the seeded store)."""
    backend, sparql = start_sparql_server()
    spec = f"sparql:{sparql}/query,{sparql}/update"
    processes = []
    try:
        urls = []
        for port in (8455, 8456):
            process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": TOKENS}, port=port)
            processes.append(process)
            urls.append(url)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            stop(process)
        stop(backend)


def _at_once(calls: list[tuple[str, dict[str, object]]]) -> list[httpx.Response]:
    """PUT each body to its server at the same moment."""
    answers: list[httpx.Response | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def put(index: int, url: str, body: dict[str, object]) -> None:
        barrier.wait()
        answers[index] = httpx.put(f"{url}/overlaps/verdicts", json=body, headers=AS_EDITOR, timeout=60)

    threads = [threading.Thread(target=put, args=(i, url, body)) for i, (url, body) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [a for a in answers if a is not None]


def test_two_workers_on_one_store_lose_no_verdict(two_workers: tuple[str, str]) -> None:
    first, second = two_workers
    items = httpx.get(f"{first}/overlaps", params={"owner": "sst"}, timeout=60).json()["items"][:8]
    pairs = [(str(i["a"]), str(i["b"])) for i in items]
    recorded = 0
    for n in range(0, len(pairs), 2):
        (a1, b1), (a2, b2) = pairs[n], pairs[n + 1]
        # Two pairs at once, one per worker: both stand.
        answers = _at_once(
            [(first, {"a": a1, "b": b1, "kind": "coordinated"}), (second, {"a": a2, "b": b2, "kind": "not-duplicate"})]
        )
        assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
        # The same pair at once: each verdict is kept (one revising the other), or the later is told to retry.
        answers = _at_once(
            [(first, {"a": a1, "b": b1, "kind": "not-duplicate"}), (second, {"a": a1, "b": b1, "kind": "coordinated"})]
        )
        assert sorted(r.status_code for r in answers) in ([200, 200], [200, 409]), [r.text for r in answers]
        recorded += 2 + sum(r.status_code == 200 for r in answers)
    for url in (first, second):
        every = _verdicts(url, history="true", limit="1000")
        assert every["total"] == recorded
        revised = [i["revises"] for i in every["items"] if i["revises"]]
        assert len(revised) == len(set(revised)), "no verdict is revised twice: the history of each pair is a chain"
