"""Issue 16: what changed, field by field, as a page, JSON and feeds a coordinator can subscribe to."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import httpx
import pytest

from tests.api.conftest import start_server, stop

pytestmark = pytest.mark.slow  # a real server on its own store, written to

EDITOR = "e" * 24
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}"}
DRAFT = {
    "id": "plan-alkohol-2027",
    "title": "Behandling af alkoholafhængighed hos voksne",
    "kind": "DMPGGuideline",
    "owners": ["dmpg-rus"],
    "disease_areas": ["F10.2"],
    "populations": ["adults"],
    "topics": ["treatment"],
    "status": "planned",
    "sources": ["https://example.org/plan-alkohol"],
}


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server where a coordinator created a planned document and then moved it into consultation."""
    spec = f"oxigraph:{tmp_path_factory.mktemp('changes') / 'db'}"
    process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": f"erik:edit:{EDITOR}"})
    try:
        created = httpx.post(f"{url}/documents", json=DRAFT, headers=AS_EDITOR, timeout=60)
        assert created.status_code == 201, created.text
        etag = created.headers["etag"]
        moved = {**DRAFT, "status": "external-consultation", "consultation": "2027-03-01"}
        updated = httpx.put(
            f"{url}/documents/{DRAFT['id']}", json=moved, headers={**AS_EDITOR, "If-Match": etag}, timeout=60
        )
        assert updated.status_code == 200, updated.text
        yield url
    finally:
        stop(process)


def test_an_edit_is_listed_field_by_field_with_old_and_new_values(changed: str) -> None:
    body = httpx.get(f"{changed}/changes", timeout=60).json()
    mine = [c for c in body["items"] if c["record"] == DRAFT["id"] and c["event"] in ("write", "status")]
    assert [c["action"] for c in mine] == ["update", "create"]  # newest first
    fields = {f["label"]: (f["old"], f["new"]) for f in mine[0]["fields"]}
    assert fields["status"] == (["planlagt"], ["i ekstern høring"])
    assert fields["høring"] == ([], ["2027-03-01"])
    assert mine[0]["author"] == "erik"
    assert body["last_verified"]  # the registry says when its facts were last checked
    # The registry's own import is a change too.
    assert any(c["kind"] == "load" for c in body["items"])


def test_the_atom_feed_is_atom_and_names_the_change(changed: str) -> None:
    response = httpx.get(f"{changed}/changes/feed.atom", params={"owner": "dmpg-rus"}, timeout=60)
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    first = feed.entries[0]
    assert DRAFT["title"] in first.title and "ændret" in first.title
    assert "status: planlagt → i ekstern høring" in first.content[0].value
    assert first.link.endswith(f"/documents/{DRAFT['id']}")


def test_the_json_feed_is_json_feed_1_1(changed: str) -> None:
    feed = httpx.get(f"{changed}/changes/feed.json", params={"lang": "en"}, timeout=60).json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert {"id", "url", "title", "content_text", "date_published"} <= set(feed["items"][0])
    assert "changed" in feed["items"][0]["title"]


def test_an_owner_subscribing_to_its_overlaps_is_told_of_the_new_plan(changed: str) -> None:
    # SST's alcohol NKRs cover F10.2 for adults: a new DMPG plan there is news for SST's coordinator.
    items = httpx.get(f"{changed}/changes", params={"overlapping": "sst"}, timeout=60).json()["items"]
    assert DRAFT["id"] in {c["record"] for c in items}
    unrelated = httpx.get(f"{changed}/changes", params={"owner": "sst"}, timeout=60).json()["items"]
    assert DRAFT["id"] not in {c["record"] for c in unrelated}


def test_the_changes_page_shows_the_edit_and_links_its_feeds(changed: str) -> None:
    page = httpx.get(f"{changed}/planning/changes", params={"owner": "dmpg-rus"}, timeout=60).text
    assert "Seneste ændringer" in page and DRAFT["title"] in page
    assert 'type="application/atom+xml"' in page
    assert "<th scope=\"row\">status</th><td>planlagt</td><td>i ekstern høring</td>" in page


def test_unknown_owner_or_code_is_refused_with_its_name(changed: str) -> None:
    for params, named in (({"owner": "nobody-at-all"}, "nobody-at-all"), ({"disease_area": "Q99"}, "Q99")):
        response = httpx.get(f"{changed}/changes", params=params, timeout=60)
        assert response.status_code == 422 and named in response.text


def test_a_documents_own_history_says_what_each_write_changed(changed: str) -> None:
    history = httpx.get(f"{changed}/documents/{DRAFT['id']}/history", timeout=60).json()["items"]
    assert [v["action"] for v in history] == ["create", "update"]
    status = next(f for f in history[1]["fields"] if f["label"] == "status")
    assert (status["old"], status["new"]) == (["planlagt"], ["i ekstern høring"])


def test_registering_a_plan_stores_the_check_and_tells_the_overlapping_owners(changed: str) -> None:
    plan = {
        "id": "plan-depression-farmakologisk",
        "title": "Farmakologisk behandling af depression hos voksne",
        "owners": ["dmpg-dep"],
        "disease_areas": ["F32", "F33"],
        "populations": ["adults"],
        "topics": ["pharmacological", "treatment"],
        "expected_consultation": "2027-05",
        "expected_publication": "2027-11",
        "sources": ["https://example.org/plan-depression"],
    }
    response = httpx.post(f"{changed}/plans", json=plan, headers=AS_EDITOR, timeout=60)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["candidates"] and all({"document", "relation", "score"} <= set(c) for c in body["candidates"])
    told = {o["id"] for o in body["told"]}
    assert "sst" in told and "dmpg-dep" not in told
    # Stored: the document is planned with its dates, and its history keeps what the check showed.
    document = httpx.get(f"{changed}/documents/{plan['id']}", timeout=60).json()
    assert (document["status"], document["consultation"], document["expected_publication"]) == (
        "planned",
        "2027-05",
        "2027-11",
    )
    stored = httpx.post(
        f"{changed}/sparql",
        data={"query": "PREFIX gd: <https://w3id.org/retningsgraf/ontology#> SELECT ?c ?s WHERE {"
              " ?a gd:editOf <https://w3id.org/retningsgraf/document/plan-depression-farmakologisk> ;"
              " gd:overlapCheck [ gd:candidate ?c ; gd:score ?s ] }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    ).json()["results"]["bindings"]
    assert len(stored) == len(body["candidates"])
    # SST's coordinator, subscribed to what overlaps SST, sees the plan in the feed.
    atom = httpx.get(f"{changed}/changes/feed.atom", params={"overlapping": "sst"}, timeout=60)
    feed = feedparser.parse(atom.content)
    assert any(plan["title"] in e.title for e in feed.entries)


def test_a_plan_without_an_edit_token_is_refused_and_stores_nothing(changed: str) -> None:
    response = httpx.post(f"{changed}/plans", json={"id": "x-plan", "title": "x", "owners": ["sst"]}, timeout=60)
    assert response.status_code == 401
    assert httpx.get(f"{changed}/documents/x-plan", timeout=60).status_code == 404
