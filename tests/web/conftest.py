"""A real uvicorn on loopback and a headless Chromium (Debian's, driven by Playwright) for the pages.

Chromium is found as ``chromium`` (Debian's package) or through ``RETNINGSGRAF_CHROMIUM``;
``playwright install`` is never run.  Without a browser the browser tests are skipped, unless
``RETNINGSGRAF_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that a failure.  Every page a test
opens records the requests it makes; a request to anywhere but the test server fails the test.
Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import start_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

@pytest.fixture(scope="session")
def web_server() -> Iterator[str]:
    """Base URL of a real server on the shipped registry, with its slow read models computed."""
    process, url = start_server()
    try:
        # These pages wait for the start-up thread's gap rules, pairs and SHACL report, so the
        # tests measure a warm server rather than one still busy computing in the background.
        for path in ("/planning", "/planning/overlaps", "/documents/nkr-bipolar"):
            httpx.get(url + path, headers={"Accept": "text/html"}, timeout=120).raise_for_status()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


class Recorder:
    """Every URL a page requested."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def outside(self, origin: str) -> list[str]:
        """Return the requests that did not go to *origin* (data: and blob: URLs stay inside)."""
        return [
            u
            for u in self.urls
            if not (u.startswith(origin + "/") or u == origin or u.startswith(("data:", "blob:", "about:")))
        ]


@pytest.fixture
def requests_made() -> Recorder:
    """The requests of the test's page."""
    return Recorder()


@pytest.fixture
def page(browser: Any, web_server: str, requests_made: Recorder) -> Iterator[Any]:
    """A fresh page (Danish, 1440x900) whose every request is recorded and must stay on the server."""
    context = browser.new_context(base_url=web_server, viewport={"width": 1440, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("request", lambda request: requests_made.urls.append(request.url))
    try:
        yield page
    finally:
        context.close()
    assert requests_made.urls, "the page made no requests at all"
    assert requests_made.outside(web_server) == [], "requests left the service"


@contextlib.contextmanager
def danish_page(browser: Any, base_url: str, width: int = 1280) -> Iterator[Any]:
    """A Danish browser tab on *base_url* (its own context, closed afterwards), waiting up to 30 s per step."""
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900}, locale="da-DK")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    """Save a screenshot of *page* as ``tests/artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
