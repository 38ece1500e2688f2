"""Issue 16: a coordinator finds any document by words, facets and order, and exports what was found."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


def found(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = api.get("/documents", params={**params, "limit": 1000})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_word_in_another_inflection_finds_the_document(api: httpx.Client) -> None:
    assert "nkr-depression-nonfarm" in {d["id"] for d in found(api, q="depressioner")}


def test_every_search_word_must_match(api: httpx.Client) -> None:
    both = {d["id"] for d in found(api, q="depression børn")}
    assert both and both <= {d["id"] for d in found(api, q="depression")}
    assert both <= {d["id"] for d in found(api, q="børn")}
    assert not found(api, q="depression zzzyxq")


def test_a_word_of_the_area_label_finds_documents_whose_titles_do_not_say_it(api: httpx.Client) -> None:
    titles = {d["id"]: d["title"].casefold() for d in found(api, q="affektive")}
    assert titles and any("affektive" not in t for t in titles.values())


def test_a_word_of_a_note_finds_the_document(api: httpx.Client) -> None:
    noted = next(d for d in found(api) if d.get("notes"))
    word = max(noted["notes"].split(), key=len).strip(".,;:()»«\"'")
    assert noted["id"] in {d["id"] for d in found(api, q=word)}, word


@pytest.mark.parametrize(
    ("facet", "value", "field"),
    [("validity", "historical", "validity"), ("level", "regional", "level"), ("purpose", "organisational", "purpose")],
)
def test_a_facet_keeps_only_documents_with_that_value(api: httpx.Client, facet: str, value: str, field: str) -> None:
    kept = found(api, **{facet: value})
    assert kept and all(d[field] == value for d in kept)
    assert len(kept) == sum(1 for d in found(api) if d[field] == value)


def test_a_year_keeps_documents_last_issued_or_revised_that_year(api: httpx.Client) -> None:
    kept = found(api, year="2019")
    assert kept and all((d["modified"] or d["issued"] or "").startswith("2019") for d in kept)


def test_newest_first_puts_later_years_before_earlier_and_undated_last(api: httpx.Client) -> None:
    years = [(d["modified"] or d["issued"] or "")[:4] for d in found(api, sort="newest")]
    dated = [y for y in years if y]
    assert dated == sorted(dated, reverse=True)
    assert years[len(dated) :] == [""] * (len(years) - len(dated))


def test_unknown_facet_values_and_orders_are_refused_with_their_name(api: httpx.Client) -> None:
    for params, named in (({"validity": "eternal"}, "eternal"), ({"sort": "random"}, "sort"), ({"year": "19"}, "year")):
        response = api.get("/documents", params=params)
        assert response.status_code == 422
        assert named in response.text


def test_the_documents_page_shows_facet_counts_and_pages_through_everything(api: httpx.Client) -> None:
    page = api.get("/planning/documents")
    assert page.status_code == 200
    everything = len(found(api))
    assert f"{everything} dokumenter fundet; 1–50 vises" in page.text
    assert 'rel="next"' in page.text
    last = api.get("/planning/documents", params={"page": -(-everything // 50)})
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text
    narrowed = api.get("/planning/documents", params={"q": "depressioner", "validity": "in-force"})
    total = len(found(api, q="depressioner", validity="in-force"))
    assert f"{total} dokumenter fundet" in narrowed.text
    assert "gældende ifølge kilden (" in narrowed.text  # a facet with its count


def test_the_documents_export_has_danish_heads_and_the_found_documents(api: httpx.Client) -> None:
    response = api.get("/exports/documents.csv", params={"q": "depressioner", "sort": "newest"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "titel", "type", "ejere"]
    assert [r[0] for r in rows[1:]] == [d["id"] for d in found(api, q="depressioner", sort="newest")]
    assert api.get("/exports/documents.xlsx", params={"level": "regional"}).status_code == 200
