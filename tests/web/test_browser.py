"""The planning pages in headless Chromium against a real server: what a planner sees and does.

Issue 4: the planning view. Screenshots are written to tests/artifacts/.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from rdflib import Graph, URIRef

from tests.web.conftest import Recorder, screenshot

pytestmark = pytest.mark.slow

READ_MATRIX = """() => Object.fromEntries(
  Array.from(document.querySelectorAll('table.matrix tbody tr')).map(tr => [
    tr.id.slice(4),
    Object.fromEntries(Array.from(tr.querySelectorAll('td.cell'))
        .map(td => [td.dataset.kind, Number(td.textContent.trim())])),
  ]))"""
DRAFT = {
    "title": "Behandling af alkoholmisbrug og -afhængighed",
    "owner": "dmpg-rus",
    "disease_areas": ["F10"],
    "populations": ["adults"],
    "topics": ["treatment"],
}


def coverage(server: str, **params: str) -> dict[str, dict[str, int]]:
    """GET /coverage as the matrix shows it: per area, the counts per kind and the total."""
    items = httpx.get(f"{server}/coverage", params=params, timeout=30).json()["items"]
    return {row["notation"]: {**row["counts"], "total": row["total"]} for row in items}


def test_the_planning_page_matrix_is_the_coverage_api(page: Any, web_server: str) -> None:
    # How fast it paints is measured in benchmarks/, not asserted here (a loaded CI machine is no stopwatch).
    page.goto("/")
    assert page.locator("h1").inner_text() == "Hvor findes der gældende vejledning?"
    # The ten F blocks of ontology/planning.ttl, with /coverage's numbers in every cell.
    assert page.locator("table.matrix tr.block").count() == 10
    assert page.evaluate(READ_MATRIX) == coverage(web_server)
    headers = page.locator("table.matrix thead th").all_inner_texts()
    assert headers[0] == "Sygdomsområde" and headers[-1] == "I alt" and len(headers) == 11
    screenshot(page, "planning")


def test_population_filter_changes_the_counts_to_those_of_the_api(page: Any, web_server: str) -> None:
    page.goto("/planning")
    before = page.evaluate(READ_MATRIX)
    page.select_option("#f-population", "children")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**population=children**")
    after = page.evaluate(READ_MATRIX)
    assert after != before
    assert after == coverage(web_server, population="children")
    assert after["F30-F39"]["total"] < before["F30-F39"]["total"]
    screenshot(page, "planning-children")


def test_a_block_opens_into_its_categories_from_the_keyboard(page: Any) -> None:
    page.goto("/planning")
    assert page.locator("#row-F32").is_hidden()
    toggle = page.locator("#row-F30-F39 button.toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#row-F32").is_visible()
    page.keyboard.press("Enter")
    assert page.locator("#row-F32").is_hidden()


def test_a_cell_opens_the_list_of_its_documents(page: Any, web_server: str) -> None:
    page.goto("/planning")
    link = page.locator("#row-F30-F39 td[data-kind=total] a")
    link.click()
    dialog = page.locator("#cell-dialog")
    dialog.locator("table.docs").wait_for()
    assert dialog.is_visible()
    assert "F30-F39" in dialog.locator("h2").inner_text()
    shown = {
        href.split("/")[-1]
        for href in dialog.locator("tbody tr.valid th a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    }
    row = next(r for r in httpx.get(f"{web_server}/coverage").json()["items"] if r["notation"] == "F30-F39")
    assert shown == {d for ids in row["documents"].values() for d in ids}
    assert dialog.locator("thead th").all_inner_texts()[:4] == [
        "Dokument",
        "Type",
        "Status",
        "Ejer",
    ]
    screenshot(page, "planning-cell")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    # Focus returns to the cell that opened the dialog.
    assert page.evaluate("() => document.activeElement.closest('td') !== null")


def test_the_gap_list_opens_sorts_and_filters_as_the_gap_api_says(page: Any, web_server: str) -> None:
    gaps = httpx.get(f"{web_server}/gaps", timeout=60).json()
    page.goto("/planning")
    rows = page.locator("#gaps tbody tr")
    assert rows.count() == gaps["total"]
    first = rows.first
    first.locator("summary").click()
    detail = first.locator(".gap-detail")
    assert detail.is_visible()
    assert first.locator("summary").inner_text() in {g["message"] for g in gaps["items"]}
    screenshot(page, "planning-gap-open")
    page.select_option("#gap-rule", "children")
    children = sum(1 for g in gaps["items"] if g["rule"] == "children")
    assert page.locator("#gaps tbody tr:visible").count() == children
    assert page.locator("#gap-count").inner_text() == str(children)
    page.click("#gaps th button[data-sort='0']")
    assert page.locator("#gaps th").first.get_attribute("aria-sort") == "ascending"
    areas = page.locator("#gaps tbody tr:visible td.gap-area").all_inner_texts()
    assert areas == sorted(areas)


def test_the_draft_form_ranks_the_candidates_of_the_check_api(page: Any, web_server: str) -> None:
    page.goto("/planning/check")
    page.fill("#d-title", DRAFT["title"])
    page.select_option("#d-owner", DRAFT["owner"])
    page.fill("#d-areas", "F10")
    page.check("input[name=population][value=adults]")
    page.check("input[name=topic][value=treatment]")
    page.click("#draft-form button[type=submit]")
    page.locator("tr.candidate").first.wait_for()
    shown = page.locator("tr.candidate").evaluate_all("rows => rows.map(r => r.dataset.id)")
    answer = httpx.post(f"{web_server}/overlaps/check", json=DRAFT, timeout=30).json()
    assert shown == [c["document"]["id"] for c in answer["candidates"]]
    assert shown, "the alcohol draft has candidates"
    screenshot(page, "draft-check")


def test_the_overlap_view_shows_pairs_between_two_owners_and_a_network(page: Any, web_server: str) -> None:
    page.goto("/planning/overlaps")
    page.select_option("#o-owner", "dmpg-dep")
    page.select_option("#o-other", "sst")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**other_owner=sst**")
    answer = httpx.get(f"{web_server}/overlaps", params={"owner": "dmpg-dep", "other_owner": "sst"}).json()
    pairs = page.locator("#pairs tbody tr.pair").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('a')).slice(0, 2)"
        ".map(a => a.getAttribute('href').split('/').pop()))"
    )
    assert pairs == [[item["a"], item["b"]] for item in answer["items"]][:300]
    assert page.locator("svg.network a.cluster").count() >= 1
    # The two chosen owners stand out in the picture.
    assert page.locator("svg.network a.owner.marked").count() == 2
    screenshot(page, "overlaps")


def test_the_document_page_has_every_fact_its_rdf_and_schema_org(page: Any, web_server: str) -> None:
    page.goto("/documents/nkr-bipolar")
    facts = httpx.get(f"{web_server}/documents/nkr-bipolar").json()
    assert page.locator("h1").inner_text() == facts["title"]
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert data["@type"] == "MedicalGuideline" and data["name"] == facts["title"]
    assert [a["code"]["codeValue"] for a in data["about"]] == [a["notation"] for a in facts["disease_areas"]]
    for heading in (
        "Fakta",
        "Kilder",
        "Relationer",
        "Valideringsbeskeder",
        "Beslægtede dokumenter",
    ):
        assert page.get_by_role("heading", name=heading).count() == 1, heading
    turtle = page.request.get(page.locator("a", has_text="Turtle").get_attribute("href"))
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.text(), format="turtle")
    assert (URIRef(facts["iri"]), None, None) in graph
    screenshot(page, "document", full_page=True)


def test_the_sparql_page_opens_the_shipped_examples_in_a_local_editor(page: Any, web_server: str) -> None:
    examples = httpx.get(f"{web_server}/sparql/examples").json()["items"]
    page.goto("/planning/sparql")
    page.wait_for_selector("#yasgui[data-ready]")
    assert page.locator(".yasgui .tabsList .tab").count() == len(examples)
    page.locator(".yasqe_queryButton").first.click()
    page.locator(".yasr .dataTable tbody tr").first.wait_for()
    screenshot(page, "sparql")


def test_the_english_switch_is_remembered(page: Any) -> None:
    page.goto("/planning")
    page.click("header.site .lang a")
    page.wait_for_url("**/planning")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Where is there valid guidance?"
    page.goto("/planning/check")
    assert page.locator("h1").inner_text() == "Before you start: check a draft"
    screenshot(page, "planning-check-english")
    page.click("header.site .lang a")
    assert page.locator("html").get_attribute("lang") == "da"


def visit(page: Any, path: str) -> None:
    """Open *path* and wait until its scripts have done their work (the editor has its tabs)."""
    page.goto(path)
    if path == "/planning/sparql":
        page.wait_for_selector("#yasgui[data-ready]")


PAGES = [
    "/",
    "/planning/overlaps",
    "/planning/check",
    "/planning/sparql",
    "/documents/dmpg-dep-farmakologisk",
    "/planning/cell?area=F32",
]


def test_no_page_fetches_anything_from_outside_the_service(page: Any, web_server: str, requests_made: Recorder) -> None:
    for path in PAGES:
        visit(page, path)
    assert any("/static/vendor/yasgui/yasgui.min.js" in url for url in requests_made.urls)
    assert requests_made.outside(web_server) == []


def test_pages_label_every_control_and_run_no_inline_script(page: Any) -> None:
    for path in PAGES:
        visit(page, path)
        unlabelled = page.evaluate(
            """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
                 .filter(el => el.offsetParent !== null && !el.closest('#yasgui'))
                 .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.outerHTML)"""
        )
        assert unlabelled == [], path
        inline = page.evaluate(
            "() => Array.from(document.querySelectorAll('script:not([src])'))"
            ".filter(s => s.type !== 'application/ld+json').length"
        )
        assert inline == 0, path
        assert page.locator("html").get_attribute("lang") == "da"
        assert page.locator("h1").count() == 1, path
    page.goto("/planning")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"


def test_the_planning_page_works_without_javascript(browser: Any, web_server: str) -> None:
    context = browser.new_context(base_url=web_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/planning")
        assert page.locator("#row-F32").is_visible()  # every category shown, none folded away
        page.locator("#row-F32 td[data-kind=total] a").click()
        page.wait_for_url("**/planning/cell?area=F32**")
        assert page.locator("h1").inner_text().startswith("F32 ")
        assert page.locator("table.docs tbody tr").count() > 0
    finally:
        context.close()


def test_api_documentation_works_offline(page: Any, web_server: str, requests_made: Recorder) -> None:
    visit(page, "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".swagger-ui .opblock").count() > 10, "the OpenAPI operations are listed"
    assert any("/static/vendor/swagger-ui/swagger-ui-bundle.js" in url for url in requests_made.urls)
    assert requests_made.outside(web_server) == []
