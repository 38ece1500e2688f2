"""Writes through a real server: tokens and roles, validation before commit, ETags, history, durability."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import start_server, stop

pytestmark = pytest.mark.slow  # real servers on persistent stores, killed and restarted

EDITOR = "x" * 24
READER = "r" * 24
ADMIN = "a" * 24
TOKENS = f"alice:edit:{EDITOR},rita:read:{READER},ada:admin:{ADMIN}"
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}"}


def draft(doc_id: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": doc_id,
        "title": "Behandling af PTSD hos voksne",
        "kind": "DMPGGuideline",
        "owners": ["dmpg-dep"],
        "disease_areas": ["F43.1"],
        "populations": ["adults"],
        "topics": ["treatment"],
        "status": "planned",
        "sources": ["https://example.org/plan"],
    }
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real server on a persistent store with tokens; yields (url, store spec)."""
    spec = f"oxigraph:{tmp_path_factory.mktemp('store') / 'db'}"
    process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": TOKENS})
    try:
        yield url, spec
    finally:
        stop(process)


def test_a_write_without_a_token_or_with_a_read_token_is_refused_and_changes_nothing(writable: tuple[str, str]) -> None:
    url, _ = writable
    before = httpx.get(f"{url}/health").json()
    assert httpx.post(f"{url}/documents", json=draft("no-token")).status_code == 401
    wrong = httpx.post(f"{url}/documents", json=draft("wrong"), headers={"Authorization": "Bearer not-a-token-at-all"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    reader = httpx.post(f"{url}/documents", json=draft("reader"), headers={"Authorization": f"Bearer {READER}"})
    assert reader.status_code == 403
    assert httpx.get(f"{url}/health").json() == before


def test_create_read_update_delete_with_etags_and_history(writable: tuple[str, str]) -> None:
    url, _ = writable
    created = httpx.post(f"{url}/documents", json=draft("ptsd-plan"), headers=AS_EDITOR)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    assert created.json()["document"]["title"] == "Behandling af PTSD hos voksne"
    assert any(w["type"] == "overlap" for w in created.json()["warnings"]), (
        "the coordinator sees what the plan overlaps"
    )
    read = httpx.get(f"{url}/documents/ptsd-plan")
    assert read.headers["etag"] == etag

    changed = draft("ptsd-plan", title="Behandling af PTSD hos voksne og unge", populations=["adults", "children"])
    assert httpx.put(f"{url}/documents/ptsd-plan", json=changed, headers=AS_EDITOR).status_code == 428
    stale = httpx.put(f"{url}/documents/ptsd-plan", json=changed, headers={**AS_EDITOR, "If-Match": '"stale"'})
    assert stale.status_code == 412
    updated = httpx.put(f"{url}/documents/ptsd-plan", json=changed, headers={**AS_EDITOR, "If-Match": etag})
    assert updated.status_code == 200 and updated.headers["etag"] != etag
    again = httpx.put(f"{url}/documents/ptsd-plan", json=draft("ptsd-plan"), headers={**AS_EDITOR, "If-Match": etag})
    assert again.status_code == 412, "a second editor holding the old ETag cannot overwrite the first"

    history = httpx.get(f"{url}/documents/ptsd-plan/history").json()["items"]
    assert [(v["number"], v["action"], v["author"]) for v in history] == [
        (1, "create", "alice"),
        (2, "update", "alice"),
    ]
    earlier = httpx.get(f"{url}/documents/ptsd-plan/history/2")
    assert earlier.status_code == 200 and 'Behandling af PTSD hos voksne"@da' in earlier.text

    deleted = httpx.delete(f"{url}/documents/ptsd-plan", headers={**AS_EDITOR, "If-Match": updated.headers["etag"]})
    assert deleted.status_code == 204
    assert httpx.get(f"{url}/documents/ptsd-plan").status_code == 404
    kept = httpx.get(f"{url}/documents/ptsd-plan/history").json()["items"]
    assert kept[-1]["action"] == "delete" and kept[-1]["has_previous_version"]


def test_a_write_that_breaks_a_rule_is_422_with_shacl_results_and_nothing_changes(writable: tuple[str, str]) -> None:
    url, _ = writable
    before = httpx.get(f"{url}/health").json()
    wrong_owner = httpx.post(f"{url}/documents", json=draft("sst-owned-dmpg", owners=["sst"]), headers=AS_EDITOR)
    assert wrong_owner.status_code == 422
    results = wrong_owner.json()["results"]
    assert results and results[0]["path"] == "gd:ownedBy" and results[0]["shape"].endswith("DMPGGuidelineShape-owner")
    unknown_code = httpx.post(f"{url}/documents", json=draft("bad-code", disease_areas=["F08"]), headers=AS_EDITOR)
    assert unknown_code.status_code == 422 and "F08" in unknown_code.text
    assert httpx.get(f"{url}/health").json() == before


def test_editing_a_registry_document_moves_it_to_its_own_graph_without_duplicates(writable: tuple[str, str]) -> None:
    url, _ = writable
    current = httpx.get(f"{url}/documents/nkr-ocd")
    body = current.json()
    edit = {k: body[k] for k in ("id", "title", "kind", "status", "populations", "topics", "sources", "issued")}
    edit |= {
        "owners": [o["id"] for o in body["owners"]],
        "disease_areas": [a["notation"] for a in body["disease_areas"]],
        "notes": "Rettet af koordinator",
    }
    edit = {k: v for k, v in edit.items() if v is not None}
    saved = httpx.put(f"{url}/documents/nkr-ocd", json=edit, headers={**AS_EDITOR, "If-Match": current.headers["etag"]})
    assert saved.status_code == 200, saved.text
    again = httpx.get(f"{url}/documents/nkr-ocd").json()
    assert again["notes"] == "Rettet af koordinator" and again["title"] == body["title"]
    count = httpx.get(f"{url}/documents", params={"q": "nkr-ocd"}).json()["total"]
    assert count == 1


def test_import_lands_whole_or_not_at_all(writable: tuple[str, str]) -> None:
    url, _ = writable
    good = "id,title,kind,owners,disease_areas,status,sources\nimp-one,Angst hos børn,NKA,sst,F41,planned,https://example.org/a\n"
    bad = good + "imp-two,Forkert,XX,sst,F41,planned,https://example.org/b\n"
    before = httpx.get(f"{url}/health").json()
    refused = httpx.post(f"{url}/import", params={"name": "list.csv"}, content=bad.encode(), headers=AS_EDITOR)
    assert refused.status_code == 422 and "row 3" in refused.text
    assert httpx.get(f"{url}/health").json() == before
    landed = httpx.post(f"{url}/import", params={"name": "list.csv"}, content=good.encode(), headers=AS_EDITOR)
    assert landed.status_code == 200 and landed.json()[0]["documents"] == 1
    assert httpx.get(f"{url}/documents/imp-one").status_code == 200


def test_acknowledged_writes_survive_kill_9_and_no_partial_import_is_visible(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    env = {"RETNINGSGRAF_TOKENS": TOKENS}
    process, url = start_server("--store", spec, env=env)
    acknowledged: list[str] = []
    big = "id,title,kind,owners,disease_areas,status,sources\n" + "".join(
        f"bulk-{i:05d},Dokument {i},NKA,sst,F32,planned,https://example.org/{i}\n" for i in range(2000)
    )
    try:

        def writer() -> None:
            for i in range(200):
                try:
                    r = httpx.post(f"{url}/documents", json=draft(f"crash-{i:03d}"), headers=AS_EDITOR, timeout=30)
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    acknowledged.append(f"crash-{i:03d}")

        def importer() -> None:
            with contextlib.suppress(httpx.TransportError):
                httpx.post(
                    f"{url}/import", params={"name": "bulk.csv"}, content=big.encode(), headers=AS_EDITOR, timeout=60
                )

        threads = [threading.Thread(target=writer), threading.Thread(target=importer)]
        for thread in threads:
            thread.start()
        waited = 0.0
        while len(acknowledged) < 5 and waited < 90:  # bounded: a slow machine must not hang the suite
            time.sleep(0.05)
            waited += 0.05
        process.send_signal(signal.SIGKILL)  # kill -9 in the middle of writes and the import
        process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert acknowledged, "some writes were acknowledged before the kill"
    restarted, url = start_server("--store", spec, env=env)
    try:
        # Generous timeouts: the restarted server computes its read model while these arrive.
        for doc_id in acknowledged:
            assert httpx.get(f"{url}/documents/{doc_id}", timeout=60).status_code == 200, doc_id
        first, last = (httpx.get(f"{url}/documents/bulk-{i:05d}", timeout=60).status_code for i in (0, 1999))
        assert first == last, "the import is there whole or not at all"
        # The figures for the note (shown with -rA): what the kill interrupted and what survived.
        state = "there whole" if first == 200 else "absent (killed before its commit)"
        print(f"kill -9: {len(acknowledged)} acknowledged writes all present after restart; 2000-row import {state}")
    finally:
        stop(restarted)


def test_closed_reads_need_a_read_token_and_health_stays_open() -> None:
    env = {"RETNINGSGRAF_TOKENS": TOKENS, "RETNINGSGRAF_CLOSED_READS": "1"}
    process, url = start_server(env=env)  # start_server itself waits on /health without a token
    try:
        assert httpx.get(f"{url}/documents?limit=1").status_code == 401
        assert httpx.get(f"{url}/sparql", params={"query": "ASK {}"}).status_code == 401
        assert httpx.get(f"{url}/exports/graph.ttl").status_code == 401
        reader = {"Authorization": f"Bearer {READER}"}
        assert httpx.get(f"{url}/documents?limit=1", headers=reader).status_code == 200
        assert httpx.post(f"{url}/documents", json=draft("closed"), headers=reader).status_code == 403
    finally:
        stop(process)


def test_a_new_or_retitled_document_takes_its_place_in_the_title_ordered_list(writable: tuple[str, str]) -> None:
    url, _ = writable

    def first_titles() -> list[str]:
        return [d["title"] for d in httpx.get(f"{url}/documents", params={"limit": 3}).json()["items"]]

    first_titles()  # the list's order is built once for this generation of the store
    created = httpx.post(f"{url}/documents", json=draft("aaa-plan", title="Aabenhed om PTSD"), headers=AS_EDITOR)
    assert created.status_code == 201, created.text
    assert first_titles()[0] == "Aabenhed om PTSD"
    retitled = draft("aaa-plan", title="Åbenhed om PTSD")
    headers = {**AS_EDITOR, "If-Match": created.headers["etag"]}
    assert httpx.put(f"{url}/documents/aaa-plan", json=retitled, headers=headers).status_code == 200
    assert "Åbenhed om PTSD" not in first_titles()
    listed = [d["title"] for d in httpx.get(f"{url}/documents", params={"limit": 1000}).json()["items"]]
    assert listed == sorted(listed, key=str.casefold) and "Åbenhed om PTSD" in listed
