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
from tests.web.conftest import danish_page, screenshot
from tests.web.test_accessibility import AXE, WCAG

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
    with danish_page(browser, server) as page:
        yield page


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


def _put(server: str, path: str, body: dict[str, object]) -> None:
    etag = httpx.get(f"{server}{path}", timeout=30).headers["etag"]
    headers = {"Authorization": f"Bearer {EDITOR}", "If-Match": etag}
    response = httpx.put(f"{server}{path}", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text


def test_an_edit_shows_in_the_documents_history_field_by_field(tab: Any, server: str) -> None:
    record = {
        "id": "plan-historik-test",
        "title": "Udredning af tics hos børn",
        "kind": "DMPGGuideline",
        "owners": ["dmpg-adhd"],
        "disease_areas": ["F95"],
        "status": "planned",
        "sources": [PLAN["source"]],
    }
    created = httpx.post(f"{server}/documents", json=record, headers={"Authorization": f"Bearer {EDITOR}"}, timeout=60)
    assert created.status_code == 201, created.text
    _put(server, f"/documents/{record['id']}", {**record, "status": "internal-consultation"})
    tab.goto(f"/documents/{record['id']}")
    history = tab.locator("#history")
    rows = history.locator("tr").filter(has_text="status")
    assert rows.first.locator("td").all_inner_texts() == ["planlagt", "i intern høring"]
    assert "ændret af koordinator" in history.inner_text()
    screenshot(tab, "document-history", full_page=False)


def test_an_owners_page_lists_its_documents_plans_overlaps_and_its_own_history(tab: Any, server: str) -> None:
    # An edit of an organisation (on this test's own store) shows on its page, field by field.
    now = httpx.get(f"{server}/organisations/behandlingsraadet", timeout=30).json()
    record = {"id": now["id"], "name": now["name"], "type": now["types"][0], "sources": now["sources"]}
    record |= {k: now[k] for k in ("name_en", "url") if now.get(k)}
    _put(server, "/organisations/behandlingsraadet", {**record, "abbreviation": "BHR-test"})
    history = httpx.get(f"{server}/organisations/behandlingsraadet/history", timeout=30).json()["items"]
    assert "forkortelse" in [f["label"] for f in history[-1]["fields"]]
    tab.goto("/planning/organisations/behandlingsraadet")
    row = tab.locator("#history tr").filter(has_text="forkortelse").first
    assert row.locator("td").all_inner_texts() == ["–", "BHR-test"]
    # The owners' list is in the menu; SST's page has its documents, planned work and overlaps.
    tab.goto("/planning")
    tab.locator("nav a", has_text="Ejere").click()
    tab.locator("#organisations a", has_text="Sundhedsstyrelsen").first.click()
    tab.wait_for_url(re.compile(r"/planning/organisations/sst$"))
    text = tab.locator("main").inner_text()
    owned = httpx.get(f"{server}/organisations/sst", timeout=30).json()["documents"]
    assert f"Dokumenter ({owned})" in text
    assert "Kan overlappe andre ejeres dokumenter" in text and "Planlagt og i gang" in text
    assert tab.locator("#overlaps tbody tr").count() > 0
    screenshot(tab, "organisation-sst", full_page=False)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_pages_with_written_data_have_no_critical_or_serious_violation(
    browser: Any, server: str, lang: str
) -> None:
    """The states only a written store shows: a registration's result, news items, histories."""
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.add_cookies([{"name": "lang", "value": lang, "url": server}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _register(page)  # the page as the form answers it
        plan = page.locator("#registered h2 a").get_attribute("href")
        pages = ["", "/planning/changes?overlapping=sst", "/planning/organisations/behandlingsraadet", plan]
        for path in pages:
            if path:
                page.goto(path)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async (tags) => await axe.run(document, {runOnly: tags})", WCAG)
            bad = [(v["id"], v["impact"]) for v in result["violations"] if v["impact"] in ("critical", "serious")]
            assert bad == [], (path or "/planning/planned (answer)", bad)
    finally:
        context.close()


def test_the_form_names_a_missing_field_in_danish_and_stores_nothing(server: str) -> None:
    # A browser's own checks stop an empty required field; a client without them gets the page's answer.
    form = {"title": "Et udkast uden kilde", "owner": "sst", "token": EDITOR}
    response = httpx.post(f"{server}/planning/planned", data=form, timeout=60)
    assert response.status_code == 422
    assert "Kilde: skal udfyldes" in response.text
    assert "Et udkast uden kilde" not in re.sub(r'value="[^"]*"', "", response.text.split('id="plan-form"')[0])
    assert EDITOR not in response.text  # the token is never written back into the page
