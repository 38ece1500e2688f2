"""Issue 16: the feeds tell more than each write: new possible overlaps per owner, status changes, new gaps."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import httpx
import pytest

from tests.api.conftest import start_server, stop

pytestmark = pytest.mark.slow  # a real server on its own store, written to

EDITOR = "n" * 24
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}"}
PLAN = {
    "id": "plan-depression-2027",
    "title": "Behandling af depression hos voksne",
    "owners": ["dmpg-dep"],
    "disease_areas": ["F32", "F33"],
    "populations": ["adults"],
    "topics": ["treatment"],
    "expected_consultation": "2027-03",
    "sources": ["https://example.org/plan-depression"],
}
# A clinical NKR issued long ago: past the three-year review horizon the moment it is written.
OLD = {
    "id": "test-old-nkr-ocd",
    "title": "National klinisk retningslinje for behandling af tvangstanker",
    "kind": "NationalClinicalGuideline",
    "owners": ["sst"],
    "disease_areas": ["F42"],
    "populations": ["adults"],
    "topics": ["treatment"],
    "status": "published",
    "issued": "2015-06-01",
    "purpose": "clinical",
    "level": "national",
    "sources": ["https://example.org/old-nkr"],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server where a plan was registered, a document moved into consultation and an old NKR was added."""
    spec = f"oxigraph:{tmp_path_factory.mktemp('news') / 'db'}"
    process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": f"nina:edit:{EDITOR}"})
    try:
        assert httpx.post(f"{url}/plans", json=PLAN, headers=AS_EDITOR, timeout=60).status_code == 201
        current = httpx.get(f"{url}/documents/{PLAN['id']}", timeout=60)
        moved = {k: v for k, v in PLAN.items() if not k.startswith("expected")}
        moved |= {"kind": "DMPGGuideline", "status": "external-consultation", "consultation": "2027-03"}
        headers = {**AS_EDITOR, "If-Match": current.headers["etag"]}
        assert httpx.put(f"{url}/documents/{PLAN['id']}", json=moved, headers=headers, timeout=60).status_code == 200
        assert httpx.post(f"{url}/documents", json=OLD, headers=AS_EDITOR, timeout=60).status_code == 201
        yield url
    finally:
        stop(process)


def _items(url: str, **params: str) -> list[dict]:
    return httpx.get(f"{url}/changes", params=params, timeout=60).json()["items"]


def test_a_plan_that_overlaps_tells_each_overlapping_owner_in_an_item_of_its_own(server: str) -> None:
    news = [c for c in _items(server, event="overlap") if c["record"] == PLAN["id"]]
    told = [c["told"] for c in news]
    assert ["sst"] in told and all(len(t) == 1 for t in told)  # one item per owner
    assert len(told) == len({t[0] for t in told})
    sst = next(c for c in news if c["told"] == ["sst"])
    assert sst["related"] and all(r["relation"] in ("duplicate", "overlap", "supersedes") for r in sst["related"])
    assert "registreret" in sst["note"]  # the check stored at registration, not a recomputation
    # The owner's own plan does not tell its owner.
    assert all(c["told"] != ["dmpg-dep"] for c in news)


def test_the_overlapping_owners_atom_feed_has_the_overlap_item_naming_its_document(server: str) -> None:
    response = httpx.get(f"{server}/changes/feed.atom", params={"overlapping": "sst", "event": "overlap"}, timeout=60)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    titles = [e.title for e in feed.entries]
    assert f"Muligt overlap med Sundhedsstyrelsen: {PLAN['title']}" in titles
    entry = feed.entries[titles.index(f"Muligt overlap med Sundhedsstyrelsen: {PLAN['title']}")]
    assert "score 0," in entry.content[0].value  # Danish decimal comma
    # Another owner's overlap feed does not carry SST's item.
    other = httpx.get(f"{server}/changes", params={"overlapping": "dmpg-adhd", "event": "overlap"}, timeout=60)
    assert all("sst" not in c.get("told", []) for c in other.json()["items"])


def test_a_status_change_is_an_item_of_its_own_kind(server: str) -> None:
    status = _items(server, event="status")
    assert [c["record"] for c in status] == [PLAN["id"]]
    fields = {f["label"]: (f["old"], f["new"]) for f in status[0]["fields"]}
    assert fields["status"] == (["planlagt"], ["i ekstern høring"])
    feed = httpx.get(f"{server}/changes/feed.json", params={"event": "status"}, timeout=60).json()
    assert feed["items"][0]["title"] == f"{PLAN['title']}: status ændret (planlagt → i ekstern høring)"
    # Creating a document is not a status change.
    assert all(c["action"] == "update" for c in status)


def test_a_gap_the_write_made_is_an_item_that_says_it_is_approximate(server: str) -> None:
    gaps = _items(server, event="gap")
    mine = [c for c in gaps if any(r["document"] == OLD["id"] for r in c.get("related", []))]
    assert mine, [c["title"] for c in gaps]
    assert "over tre år gammel" in mine[0]["note"] and "omtrentlig" in mine[0]["note"]
    # Filterable by owner and disease area like every item.
    assert any(c["id"] == mine[0]["id"] for c in _items(server, event="gap", owner="sst"))
    assert any(c["id"] == mine[0]["id"] for c in _items(server, event="gap", disease_area="F42"))
    assert not any(c["id"] == mine[0]["id"] for c in _items(server, event="gap", disease_area="F32"))
    # Gaps that were there before the writes are not news.
    assert len(gaps) < 5


def test_the_changes_page_shows_the_new_kinds_in_danish(server: str) -> None:
    page = httpx.get(f"{server}/planning/changes", params={"overlapping": "sst"}, timeout=60).text
    assert "Nyt muligt overlap med Sundhedsstyrelsen" in page
    assert "Nyt hul" in httpx.get(f"{server}/planning/changes", params={"event": "gap"}, timeout=60).text


def test_an_unknown_event_is_refused(server: str) -> None:
    assert httpx.get(f"{server}/changes", params={"event": "rumour"}, timeout=60).status_code == 422


def test_a_source_address_is_shown_whole_in_the_field_changes(server: str) -> None:
    created = next(c for c in _items(server, event="write") if c["record"] == OLD["id"])
    sources = next(f for f in created["fields"] if f["label"] == "kilde")
    assert sources["new"] == OLD["sources"]
