"""Issue 16: every page accessible (axe-core, no critical or serious violation), reflowing at 320 px, compressed.

axe-core 4.14.1 is vendored in ``tests/web/vendor/axe-core/`` with its licence (MPL-2.0) and injected into
each page by the test (the pages' Content Security Policy allows no injected script, so the test's own
browser context bypasses it; the pages themselves are unchanged).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
PAGES = [
    "/planning",
    "/planning?population=children&level=national&level=regional",
    "/planning/documents",
    "/planning/documents?q=depressioner&validity=in-force",
    "/planning/documents?q=zzzyxq",
    "/planning/changes",
    "/planning/planned",
    "/planning/organisations",
    "/planning/organisations/sst",
    "/planning/organisations/dmpg-dep",
    "/planning/overlaps?owner=dmpg-dep&other_owner=sst",
    "/planning/check",
    "/planning/check?title=Behandling+af+alkoholafh%C3%A6ngighed&disease_areas=F10",
    "/planning/sparql",
    "/planning/cell?area=F20",
    "/planning/cell?area=F30-F39&kind=NationalClinicalGuideline",
    "/documents/nkr-bipolar",
    "/documents/dmpg-dep-esketamin",
    "/docs",
]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def audited(browser: Any, web_server: str) -> Iterator[Any]:
    """A page that lets the test inject axe-core (the service's own CSP would refuse it)."""
    context = browser.new_context(base_url=web_server, viewport={"width": 1440, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def _open(page: Any, path: str) -> None:
    page.goto(path)
    if path.startswith("/planning/sparql"):
        page.wait_for_selector("#yasgui[data-ready]")
    if path == "/docs":
        page.wait_for_selector(".opblock")  # audit the rendered documentation, not its empty shell


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_critical_or_serious_violation(audited: Any, web_server: str, path: str, lang: str) -> None:
    audited.context.add_cookies([{"name": "lang", "value": lang, "url": web_server}])
    _open(audited, path)
    audited.add_script_tag(path=str(AXE))
    result = audited.evaluate("async (tags) => await axe.run(document, {runOnly: tags})", WCAG)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert bad == [], bad


@pytest.mark.parametrize("path", [p for p in PAGES if p != "/docs"])
def test_pages_reflow_at_320_pixels_without_sideways_scrolling(browser: Any, web_server: str, path: str) -> None:
    context = browser.new_context(base_url=web_server, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        _open(page, path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


def test_the_planning_page_has_a_skip_link_to_the_gap_list(page: Any) -> None:
    page.goto("/planning")
    page.keyboard.press("Tab")  # the page's own skip link to the content comes first
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    target = page.locator("a.skip[href='#gaps-h']")
    assert target.count() == 1
    target.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "gaps-h"


@pytest.mark.parametrize("path", ["/planning", "/documents?limit=500", "/static/css/app.css"])
def test_pages_json_and_assets_are_compressed_when_the_client_asks(web_server: str, path: str) -> None:
    response = httpx.get(web_server + path, headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == "gzip"
    assert len(response.content) > int(response.headers.get("content-length", "0") or 0)


def test_printing_shows_the_whole_gap_list_without_the_menu(page: Any) -> None:
    page.goto("/planning")
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.gaps-scroll')).overflowY") == "visible"
