"""Issue 16: a coordinator's day in a real Chromium against a real server that may be written to.

Find a document, register a planned document through the form and see its overlap check, see the plan
reach the overlapping owner's feed (read back with a feed parser), and see an edit in the field-level
history.  The server has its own store and an edit token, so the shipped registry is never changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import feedparser
import httpx
import pytest

from tests.api.conftest import start_server, stop
from tests.web.conftest import screenshot

pytestmark = pytest.mark.slow

EDITOR = "c" * 24
PLAN = {
    "title": "Behandling af depression hos voksne i psykiatrien",
    "owner": "dmpg-dep",
    "disease_areas": "F32, F33",
    "consultation": "2027-03",
    "publication": "2027-09",
    "source": "https://example.org/dmpg-dep/plan-2027",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on its own copy of the registry, with an edit token for the form."""
    spec = f"oxigraph:{tmp_path_factory.mktemp('coordinator') / 'db'}"
    process, url = start_server("--store", spec, env={"RETNINGSGRAF_TOKENS": f"koordinator:edit:{EDITOR}"})
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[Any]:
    """A Danish page on the writable server."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def _register(tab: Any) -> None:
    tab.goto("/planning/planned")
    tab.fill("#p-title", PLAN["title"])
    tab.select_option("#p-owner", PLAN["owner"])
    tab.fill("#p-areas", PLAN["disease_areas"])
    tab.check("#plan-form input[name=population][value=adults]")
    tab.check("#plan-form input[name=topic][value=treatment]")
    tab.fill("#p-consultation", PLAN["consultation"])
    tab.fill("#p-publication", PLAN["publication"])
    tab.fill("#p-source", PLAN["source"])
    tab.fill("#p-token", EDITOR)
    tab.click("#plan-form button[type=submit]")
    tab.locator("#registered").wait_for()


def test_searching_finds_the_documents_the_search_api_finds(tab: Any, server: str) -> None:
    tab.goto("/planning/documents")
    tab.fill("#f-q", "depressioner")
    tab.click("form[role=search] button[type=submit]")
    tab.wait_for_url(re.compile(r"q=depressioner"))
    shown = set(re.findall(r'href="/documents/([a-z0-9-]+)"', tab.locator("main table").first.inner_html()))
    answer = httpx.get(f"{server}/documents", params={"q": "depressioner", "limit": 50}, timeout=30).json()
    assert answer["total"] > 0
    assert {d["id"] for d in answer["items"]} <= shown
    assert f"{answer['total']} dokumenter fundet" in tab.locator("#found").inner_text()


def test_registering_a_plan_through_the_form_shows_its_overlap_check_and_lists_it(tab: Any, server: str) -> None:
    _register(tab)
    told = tab.locator("#told").inner_text()
    assert "Sundhedsstyrelsen" in told  # SST's depression programme is on the same areas
    rows = tab.locator("#registered tr.candidate")
    assert rows.count() > 0
    assert "Referenceprogram for unipolar depression hos voksne" in tab.locator("#registered").inner_text()
    listed = tab.locator("table.docs tbody th[scope=row]").all_inner_texts()
    assert PLAN["title"] in listed
    screenshot(tab, "planned-registered", full_page=False)
    # The stored plan is the one the API reads back, with its dates.
    plan_id = tab.locator("#registered h2 a").get_attribute("href").rsplit("/", 1)[-1]
    stored = httpx.get(f"{server}/documents/{plan_id}", timeout=30).json()
    assert stored["status"] == "planned" and stored["owners"][0]["id"] == "dmpg-dep"


def test_the_overlapping_owner_finds_the_plan_in_its_atom_feed(tab: Any, server: str) -> None:
    if PLAN["title"] not in httpx.get(f"{server}/planning/planned", timeout=30).text:
        _register(tab)
    response = httpx.get(f"{server}/changes/feed.atom", params={"overlapping": "sst"}, timeout=30)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    titles = [e.title for e in feed.entries]
    assert f"Muligt overlap med Sundhedsstyrelsen: {PLAN['title']}" in titles, titles[:5]
    # The subscriber's page says the same, naming SST's document the plan may overlap.
    tab.goto("/planning/changes?overlapping=sst&event=overlap")
    item = tab.locator("li.event-overlap").filter(has_text=PLAN["title"]).first
    assert "Nyt muligt overlap med Sundhedsstyrelsen" in item.inner_text()
    assert "Referenceprogram for unipolar depression hos voksne" in item.inner_text()
    screenshot(tab, "changes-overlap", full_page=False)


def test_the_form_refuses_an_unknown_token_and_stores_nothing(tab: Any, server: str) -> None:
    tab.goto("/planning/planned")
    tab.fill("#p-title", "Et forsøg uden gyldig nøgle")
    tab.select_option("#p-owner", "sst")
    tab.fill("#p-source", PLAN["source"])
    tab.fill("#p-token", "not-a-valid-token-at-all")
    tab.click("#plan-form button[type=submit]")
    assert "Nøglen er ukendt" in tab.locator("#problems").inner_text()
    assert "Et forsøg uden gyldig nøgle" not in tab.locator("table.docs").inner_text()
    assert tab.locator("#p-token").input_value() == ""  # the token is never written back into the page


