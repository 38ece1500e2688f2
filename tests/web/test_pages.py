"""The planning pages over HTTP, without a browser: status codes, links, safety.

Issue 4: the planning view.
"""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.slow

PAGES = [
    "/",
    "/planning",
    "/planning/overlaps",
    "/planning/check",
    "/planning/sparql",
    "/planning/cell?area=F20",
    "/documents/nkr-bipolar",
]
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


@pytest.mark.parametrize("path", PAGES)
def test_page_is_html_with_scripts_only_from_files(web_server: str, path: str) -> None:
    response = httpx.get(web_server + path, headers={"Accept": "text/html"}, timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for attributes in SCRIPT.findall(response.text):
        assert 'src="/static/' in attributes or 'type="application/ld+json"' in attributes, attributes
    for tag, url in re.findall(r'<(link|script|img)\b[^>]*?(?:href|src)="([^"]*)"', response.text):
        # Stylesheets, scripts and images come from the service itself.
        assert url.startswith("/"), (tag, url)


def test_planning_page_links_every_export(web_server: str) -> None:
    page = httpx.get(f"{web_server}/planning", params={"population": "children"}).text
    for link in (
        "/exports/coverage.csv?population=children",
        "/exports/coverage.xlsx?population=children",
        "/exports/coverage.svg?population=children",
        "/exports/gaps.csv",
        "/exports/gaps.xlsx",
        "/exports/overlaps.graphml",
        "/exports/graph.ttl",
        "/exports/graph.nt",
        "/exports/graph.jsonld",
    ):
        assert f'href="{link}' in page, link
    for link in re.findall(r'href="(/exports/[^"]+)"', page):
        assert httpx.get(web_server + link.replace("&amp;", "&"), timeout=60).status_code == 200, link


def test_draft_page_ranks_as_the_check_api(web_server: str) -> None:
    params = {
        "title": "Udredning af ADHD hos børn",
        "disease_areas": "F90",
        "population": "children",
        "topic": "assessment",
    }
    page = httpx.get(f"{web_server}/planning/check", params=params).text
    shown = re.findall(r'<tr class="candidate" data-id="([^"]+)"', page)
    draft = {
        "title": params["title"],
        "disease_areas": ["F90"],
        "populations": ["children"],
        "topics": ["assessment"],
    }
    answer = httpx.post(f"{web_server}/overlaps/check", json=draft).json()
    assert shown == [c["document"]["id"] for c in answer["candidates"]] and shown


def test_unknown_values_are_explained_not_crashed(web_server: str) -> None:
    assert httpx.get(f"{web_server}/planning", params={"population": "martians"}).status_code == 422
    assert "martians" in httpx.get(f"{web_server}/planning", params={"population": "martians"}).text
    assert httpx.get(f"{web_server}/planning/cell", params={"area": "F99"}).status_code == 404
    assert httpx.get(f"{web_server}/planning/check", params={"title": "x", "disease_areas": "Z99"}).status_code == 422
    assert httpx.get(f"{web_server}/planning/overlaps", params={"owner": "nobody"}).status_code == 422


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_language_switch_only_returns_to_this_service(web_server: str, target: str) -> None:
    response = httpx.get(f"{web_server}/lang", params={"set": "en", "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "lang=en" in response.headers["set-cookie"]


def test_language_switch_returns_to_the_page(web_server: str) -> None:
    response = httpx.get(f"{web_server}/lang", params={"set": "en", "next": "/planning?population=children"})
    assert response.headers["location"] == "/planning?population=children"
    english = httpx.get(f"{web_server}/planning", cookies={"lang": "en"}).text
    assert '<html lang="en">' in english and "Coverage matrix" in english


def test_static_files_are_served_with_the_vendored_editor_and_its_licence(web_server: str) -> None:
    for path in (
        "/static/css/app.css",
        "/static/js/planning.js",
        "/static/js/sparql.js",
        "/static/vendor/yasgui/yasgui.min.js",
        "/static/vendor/yasgui/LICENSE",
    ):
        assert httpx.get(web_server + path).status_code == 200, path


def test_document_page_shows_validity_check_date_and_a_descriptive_title(web_server: str) -> None:
    page = httpx.get(f"{web_server}/documents/nka-demens-mistrivsel", headers={"Accept": "text/html"}).text
    assert "Beskrivende titel" in page
    assert "Gyldighed" in page and "efterprøvet 2026-12-04" in page
    published = httpx.get(f"{web_server}/documents/nkr-demens-2013", headers={"Accept": "text/html"}).text
    assert "Beskrivende titel" not in published
    assert "historisk" in published


def test_planning_page_shows_historical_guidance_apart_and_says_what_counts(web_server: str) -> None:
    page = httpx.get(web_server + "/planning", timeout=60).text
    # Historical guidance has its own colour and a line in the legend, never the covered one.
    assert "state-historical" in page and "kun historisk vejledning" in page
    assert '<td class="cell state-historical' in page  # the registry has areas with only historical guidance
    # What counts, and how many documents do, in a coordinator's words.
    counted = re.search(r"Hvad tæller som dækning, og hvorfor \((\d+) af (\d+)\)", page)
    assert counted and 0 < int(counted[1]) < int(counted[2]), "the page does not say what counts as coverage"
    widened = httpx.get(web_server + "/planning", params={"level": ["national", "regional"]}, timeout=60).text
    assert 'value="regional" checked' in widened
    assert "national / regional" in widened


def test_the_planning_page_explains_its_words_and_names_no_tools(web_server: str) -> None:
    page = httpx.get(web_server + "/planning", timeout=60).text
    for term in ("NKA", "NKR", "DMPG", "Forløbsbeskrivelse", "Pakkeforløb", "Vælg Klogt", "Delvist dækket", "Tomrum"):
        assert f"<dt>{term}</dt>" in page, term
    overlaps = httpx.get(web_server + "/planning/overlaps", timeout=60).text
    for tool in ("networkx", "SHACL", "spring layout", "Klyngetærskel"):
        assert tool not in page and tool not in overlaps, tool
