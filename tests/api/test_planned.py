"""Issue 16: planned work and work under way, by owner and date, with what it may overlap."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from graph.analysis.changes import IN_PROGRESS


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


def test_the_planned_page_lists_every_document_not_yet_published_or_under_review(api: httpx.Client) -> None:
    documents = api.get("/documents", params={"limit": 1000}).json()["items"]
    in_progress = {d["id"] for d in documents if d["status"] in IN_PROGRESS}
    assert in_progress, "the registry has work in progress; without it this test shows nothing"
    page = api.get("/planning/planned").text
    listed = set(re.findall(r'<th scope="row"><a href="/documents/([a-z0-9-]+)">', page))
    assert listed == in_progress


def test_planned_work_names_the_documents_it_may_overlap_in_danish_numbers(api: httpx.Client) -> None:
    page = api.get("/planning/planned").text
    assert "Kan overlappe" in page
    assert re.search(r"score 0,\d\d\)", page)  # Danish decimal comma
    english = api.get("/planning/planned", cookies={"lang": "en"}).text
    assert "May overlap" in english and re.search(r"score 0\.\d\d\)", english)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_planned_page_has_a_short_tab_title_and_one_registration_form(api: httpx.Client, lang: str) -> None:
    page = api.get("/planning/planned", cookies={"lang": lang}).text
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    expected = "Planned and under way" if lang == "en" else "Planlagt og i gang"
    assert title and title.group(1) == f"{expected} – retningsgraf"
    assert page.count('id="register-h"') == 1
