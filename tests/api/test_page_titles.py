"""Every page names itself in the browser's tab: a short title in the page's language, no markup in it."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.web.test_accessibility import PAGES


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("path", [p for p in PAGES if p.startswith("/planning") or p.startswith("/documents/")])
def test_a_page_has_a_short_tab_title_without_markup(api: httpx.Client, path: str, lang: str) -> None:
    page = api.get(path, cookies={"lang": lang}, headers={"Accept": "text/html"}).text
    head = page.split("</head>", 1)[0]
    titles = re.findall(r"<title>(.*?)</title>", head, re.DOTALL)
    assert len(titles) == 1
    assert "<" not in titles[0] and "\n" not in titles[0] and len(titles[0]) < 160, titles[0][:300]
    assert titles[0].endswith(" – retningsgraf")
