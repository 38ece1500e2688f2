"""The overlap page's verdict form in headless Chromium against a real server with tokens (issue 15 item 4).

https://github.com/retningsgraf/retningsgraf/issues/15
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import start_server, stop
from tests.web.conftest import danish_page, screenshot

pytestmark = pytest.mark.slow

EDITOR = "f" * 24
READER = "g" * 24
TOKENS = f"koordinator:edit:{EDITOR},rita:read:{READER}"
PORT = 8454  # in the port range given to this file's author's session


@pytest.fixture(scope="module")
def judging_server() -> Iterator[str]:
    """A real server on the shipped registry (in memory) that knows an edit token and a read token."""
    process, url = start_server(env={"RETNINGSGRAF_TOKENS": TOKENS}, port=PORT)
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture
def judging_page(browser: Any, judging_server: str) -> Iterator[Any]:
    with danish_page(browser, judging_server, width=1440) as page:
        yield page


def _first_pair(url: str) -> dict[str, Any]:
    items = httpx.get(f"{url}/overlaps", params={"owner": "dmpg-dep", "other_owner": "sst"}, timeout=60).json()["items"]
    assert items, "DMPG Depression and SST have related pairs"
    return items[0]


def _fill(page: Any, row: Any, kind: str, note: str, token: str) -> None:
    row.locator("details.verdict-form summary").click()
    row.locator("select[name=kind]").select_option(kind)
    row.locator("textarea[name=note]").fill(note)
    row.locator("input[name=token]").fill(token)
    row.locator("form button[type=submit]").click()


def test_a_coordinator_records_a_verdict_with_the_pages_form_and_sees_it_beside_the_engines_call(
    judging_page: Any, judging_server: str
) -> None:
    page, url = judging_page, judging_server
    pair = _first_pair(url)
    row_id = f"#pair-{pair['a']}--{pair['b']}"
    page.goto("/planning/overlaps?owner=dmpg-dep&other_owner=sst")
    row = page.locator(row_id)
    assert row.locator(".verdict-cell").inner_text().startswith("ikke vurderet")

    # A read token is not enough: the page says so and nothing is stored.
    _fill(page, row, "coordinated", "Forsøg uden ret", READER)
    page.wait_for_load_state()
    assert "Vurderingen blev ikke gemt" in page.locator("p.error").inner_text()
    assert httpx.get(f"{url}/overlaps/verdicts").json()["total"] == 0

    note = "Aftalt på koordineringsmødet: DMPG henviser til SST for medicin."
    _fill(page, page.locator(row_id), "coordinated", note, EDITOR)
    page.wait_for_url("**/planning/overlaps?owner=dmpg-dep&other_owner=sst**")
    row = page.locator(row_id)
    assert row.get_attribute("data-verdict") == "coordinated"
    cell = row.locator(".verdict-cell .verdict").inner_text()
    assert cell == "koordineret"
    assert note in row.inner_text()
    assert row.locator(".relation").inner_text() == {"duplicate": "dobbeltarbejde", "overlap": "overlap",
        "supersedes": "erstatter", "complementary": "supplerende"}[pair["relation"]]  # fmt: skip
    screenshot(page, "overlap-verdict")

    (stored,) = httpx.get(f"{url}/overlaps/verdicts").json()["items"]
    assert (stored["a"], stored["b"]) == tuple(sorted((pair["a"], pair["b"])))
    assert stored["verdict"]["who"] == "koordinator" and stored["verdict"]["note"] == note

    # "Only pairs nobody has judged" hides it, as GET /overlaps?unjudged=true does.
    page.check("#o-unjudged")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**unjudged=true**")
    assert page.locator(row_id).count() == 0
    unjudged = httpx.get(f"{url}/overlaps", params={"owner": "dmpg-dep", "other_owner": "sst", "unjudged": "true"})
    assert page.locator("#pairs tbody tr.pair").count() == min(len(unjudged.json()["items"]), 300)
