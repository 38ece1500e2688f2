"""/overlaps and POST /overlaps/check in process: related pairs, filters and the draft check."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

RELATIONS = ("duplicate", "overlap", "complementary", "supersedes", "may_replace")
NEWER_THAN = ("replaces", "revises")
Pair = tuple[str, str, str]


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


@pytest.fixture(scope="module")
def everything(api: httpx.Client) -> dict[str, Any]:
    return overlaps(api)


@pytest.fixture(scope="module")
def documents(api: httpx.Client) -> dict[str, dict[str, Any]]:
    items = api.get("/documents", params={"limit": 1000}).json()["items"]
    return {item["id"]: item for item in items}


def overlaps(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/overlaps", params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["total"] == len(body["items"])
    return body


def check(api: httpx.Client, draft: dict[str, Any], **params: Any) -> httpx.Response:
    return api.post("/overlaps/check", json=draft, params=params)


def candidates(api: httpx.Client, draft: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = check(api, draft, **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["candidates"]
    return found


def pairs(body: dict[str, Any]) -> list[Pair]:
    return [(item["a"], item["b"], item["relation"]) for item in body["items"]]


def owners(documents: dict[str, dict[str, Any]], doc_id: str) -> set[str]:
    return {owner["id"] for owner in documents[doc_id]["owners"]}


def links_to(doc: dict[str, Any], target: str) -> bool:
    return any(link["target"] == target and link["type"] in NEWER_THAN for link in doc["links"])


# Related pairs ----------------------------------------------------------------------------


def test_pairs_have_scores_in_0_1_best_first_with_reasons(
    everything: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    items = everything["items"]
    assert len(items) > 100
    scores = [item["score"] for item in items]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores == sorted(scores, reverse=True)
    for item in items:
        assert item["relation"] in RELATIONS
        assert item["a"] != item["b"]
        assert {item["a"], item["b"]} <= set(documents)
        assert item["reasons"]
        assert all(r["type"] and r["text"] and r["text_en"] for r in item["reasons"])
    unordered = {frozenset((item["a"], item["b"])) for item in items}
    assert len(unordered) == len(items), "a pair is listed twice"


def test_every_relation_is_found_in_the_registry(everything: dict[str, Any]) -> None:
    assert set(Counter(item["relation"] for item in everything["items"])) == set(RELATIONS)


def test_default_limit_caps_items_but_not_the_total(api: httpx.Client, everything: dict[str, Any]) -> None:
    body = api.get("/overlaps", params={"limit": 10}).json()
    assert body["items"] == everything["items"][:10]
    assert body["total"] == everything["total"]


@pytest.mark.parametrize("relation", RELATIONS)
def test_relation_filter_keeps_exactly_that_relation(
    api: httpx.Client, everything: dict[str, Any], relation: str
) -> None:
    body = overlaps(api, relation=relation)
    assert pairs(body) == [p for p in pairs(everything) if p[2] == relation]


def test_min_score_filter_drops_weaker_pairs(api: httpx.Client, everything: dict[str, Any]) -> None:
    body = overlaps(api, min_score=0.8)
    strong = [item for item in everything["items"] if item["score"] >= 0.8]
    assert body["items"] == strong
    assert 0 < body["total"] < everything["total"]


def test_owner_filter_keeps_pairs_involving_that_owner(
    api: httpx.Client, everything: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    body = overlaps(api, owner="dmpg-dep")
    expected = [
        (a, b, relation)
        for a, b, relation in pairs(everything)
        if "dmpg-dep" in owners(documents, a) | owners(documents, b)
    ]
    assert pairs(body) == expected
    assert 0 < body["total"] < everything["total"]


def test_owner_and_other_owner_keep_only_pairs_between_them(
    api: httpx.Client, documents: dict[str, dict[str, Any]]
) -> None:
    body = overlaps(api, owner="sst", other_owner="dmpg-dep")
    assert body["total"] > 0
    for a, b, _ in pairs(body):
        oa, ob = owners(documents, a), owners(documents, b)
        assert ("sst" in oa and "dmpg-dep" in ob) or ("dmpg-dep" in oa and "sst" in ob), (a, b)
    assert overlaps(api, owner="dmpg-dep", other_owner="sst")["items"] == body["items"]


def test_other_owner_alone_filters_like_owner(api: httpx.Client, everything: dict[str, Any]) -> None:
    alone = overlaps(api, other_owner="sst")
    assert alone["total"] < everything["total"]
    assert alone["items"] == overlaps(api, owner="sst")["items"]


def test_owner_filter_accepts_the_organisation_name(api: httpx.Client) -> None:
    by_name = overlaps(api, owner="Sundhedsstyrelsen")["items"]
    assert by_name == overlaps(api, owner="sst")["items"]


@pytest.mark.parametrize(
    "params",
    [{"owner": "acme"}, {"other_owner": "acme"}, {"relation": "rivalry"}, {"min_score": 1.5}],
)
def test_unknown_owner_relation_or_score_is_422_naming_it(api: httpx.Client, params: dict[str, Any]) -> None:
    response = api.get("/overlaps", params=params)
    assert response.status_code == 422
    assert str(next(iter(params.values()))) in response.text


def test_owner_pairs_count_the_listed_pairs_per_owner_pair(
    everything: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    expected: dict[tuple[str, str], Counter[str]] = {}
    for a, b, relation in pairs(everything):
        for x in owners(documents, a):
            for y in owners(documents, b):
                if x != y:
                    expected.setdefault((min(x, y), max(x, y)), Counter())[relation] += 1
    summary = everything["owner_pairs"]
    found = {(row["owner"], row["other_owner"]): row["relations"] for row in summary}
    assert found == {key: dict(counter) for key, counter in expected.items()}
    assert all(row["total"] == sum(row["relations"].values()) for row in summary)
    totals = [row["total"] for row in summary]
    assert totals == sorted(totals, reverse=True)


def test_clusters_join_every_duplicate_overlap_supersedes_and_may_replace_pair(
    everything: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    clusters = everything["clusters"]
    assert clusters
    where = {doc: n for n, cluster in enumerate(clusters) for doc in cluster["documents"]}
    assert sum(len(c["documents"]) for c in clusters) == len(where), "a document in two clusters"
    assert set(where) <= set(documents)
    for a, b, relation in pairs(everything):
        if relation != "complementary":
            assert where[a] == where[b], (a, b)
    for cluster in clusters:
        assert set(cluster["relations"]) <= {"duplicate", "overlap", "supersedes", "may_replace"}
        members = {o for doc in cluster["documents"] for o in owners(documents, doc)}
        assert set(cluster["owners"]) == members


def test_supersedes_names_the_newer_document_first(
    everything: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    superseding = [(a, b) for a, b, relation in pairs(everything) if relation == "supersedes"]
    assert superseding
    for a, b in superseding:
        newer, older = documents[a], documents[b]
        assert not links_to(older, a), (a, b)
        if not links_to(newer, b):
            assert newer["valid"] or not older["valid"], (a, b)


# The draft check --------------------------------------------------------------------------


def test_draft_with_only_a_title_gets_candidates(api: httpx.Client) -> None:
    found = candidates(api, {"title": "Behandling af depression hos voksne"})
    assert found
    areas = {area["notation"] for c in found for area in c["document"]["disease_areas"]}
    assert {"F32", "F33"} & areas, "the title names depression"


def test_candidates_are_full_documents_with_relation_score_and_reasons(api: httpx.Client) -> None:
    draft = {
        "title": "Udredning og behandling af alkoholafhængighed",
        "kind": "NKR",
        "owner": "sst",
        "disease_areas": ["F10"],
        "populations": ["adults"],
        "topics": ["treatment"],
    }
    found = candidates(api, draft)
    assert found
    for candidate in found:
        assert {"id", "iri", "title", "kind", "owners", "disease_areas"} <= set(candidate["document"])
        assert candidate["relation"] in RELATIONS
        assert 0.0 <= candidate["score"] <= 1.0
        assert candidate["reasons"]
    assert len({c["document"]["id"] for c in found}) == len(found)


def test_candidates_are_in_score_order_and_rank_is_the_score(api: httpx.Client) -> None:
    """No hidden rank: the draft's own owner and work under way are named in the reasons, not added."""
    draft = {"title": "Skizofreni: udredning", "owner": "dmpg-skz", "disease_areas": ["F20"]}
    found = candidates(api, draft, limit=30)
    assert len(found) > 5
    assert any(r["type"] in ("same_owner", "in_progress") for c in found for r in c["reasons"])
    scores = [c["score"] for c in found]
    assert scores == sorted(scores, reverse=True)
    assert all(c["rank"] == c["score"] for c in found)


def test_limit_caps_the_candidates(api: httpx.Client) -> None:
    draft = {"title": "Depression", "disease_areas": ["F32"]}
    assert len(candidates(api, draft, limit=3)) == 3
    assert check(api, draft, limit=0).status_code == 422


@pytest.mark.parametrize(
    "doc_id",
    ["nkr-anoreksi", "dmpg-skz-udredning", "pf-bipolar", "nka-adhd-autisme", "rn-pri-ocd",
     "vej-opioid-substitution"],
)  # fmt: skip
def test_draft_copying_a_document_ranks_that_document_first(
    api: httpx.Client, documents: dict[str, dict[str, Any]], doc_id: str
) -> None:
    doc = documents[doc_id]
    draft = {
        "title": doc["title"],
        "kind": doc["kind"],
        "owner": doc["owners"][0]["name"],
        "disease_areas": [area["notation"] for area in doc["disease_areas"]],
        "populations": doc["populations"],
        "topics": doc["topics"],
    }
    found = candidates(api, draft)
    assert found[0]["document"]["id"] == doc_id
    assert found[0]["score"] >= 0.85


def test_owner_by_id_or_name_gives_the_same_candidates(api: httpx.Client) -> None:
    draft = {"title": "Spiseforstyrrelser hos børn og unge", "disease_areas": ["F50"]}
    by_id = candidates(api, {**draft, "owner": "sst"})
    assert by_id == candidates(api, {**draft, "owner": "Sundhedsstyrelsen"})
    assert any(r["type"] == "same_owner" for c in by_id for r in c["reasons"])


@pytest.mark.parametrize(
    ("codes", "same_as"),
    [(["DF10"], ["F10"]), (["DF10-DF19"], ["F10-F19"]), (["df50.0"], ["F50.0"])],
)
def test_sks_codes_and_ranges_in_a_draft_resolve_like_icd10(
    api: httpx.Client, codes: list[str], same_as: list[str]
) -> None:
    draft = {"title": "Nyt dokument", "topics": ["treatment"]}
    found = candidates(api, {**draft, "disease_areas": codes})
    assert found
    assert found == candidates(api, {**draft, "disease_areas": same_as})


def test_draft_for_a_category_finds_the_document_coded_there(api: httpx.Client) -> None:
    found = candidates(api, {"title": "Nyt dokument", "disease_areas": ["F50.0"]})
    assert found[0]["document"]["id"] == "nkr-anoreksi"
    assert any(r["type"] == "shared_code" for r in found[0]["reasons"])


def test_a_draft_with_an_intervention_finds_the_documents_on_that_intervention_first(api: httpx.Client) -> None:
    draft = {"title": "Ny retningslinje", "disease_areas": ["F32-F33"], "interventions": ["esketamin"]}
    found = candidates(api, draft, limit=5)
    assert {c["document"]["id"] for c in found[:2]} == {"dmpg-dep-esketamin", "medicinraadet-esketamin"}
    shared = next(r for r in found[0]["reasons"] if r["type"] == "shared_intervention")
    assert shared["text"] == "samme indsats: esketamin"
    assert shared["text_en"] == "same intervention: esketamine"


def test_a_dental_care_draft_far_from_psychiatry_gets_no_relevant_documents(api: httpx.Client) -> None:
    assert candidates(api, {"title": "Tandpleje og tandbørstning hos voksne", "populations": ["adults"]}) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("disease_areas", ["Z99"]), ("disease_areas", ["F10", "F99.9"]),
     ("disease_areas", ["F19-F10"]), ("populations", ["martians"]), ("topics", ["cooking"]),
     ("interventions", ["bloodletting"]), ("settings", ["the moon"]), ("kind", "novel"), ("owner", "acme")],
)  # fmt: skip
def test_unknown_value_in_a_draft_is_422_naming_it(api: httpx.Client, field: str, value: Any) -> None:
    response = check(api, {"title": "Nyt dokument", field: value})
    assert response.status_code == 422
    bad = value[-1] if isinstance(value, list) else value
    (error,) = response.json()["detail"]
    assert error["input"] == bad
    assert bad in error["msg"]
    assert error["loc"] == [field]


@pytest.mark.parametrize("draft", [{}, {"title": ""}, {"kind": "NKR"}, {"title": "x", "disease_areas": "F10"}])
def test_draft_without_a_title_or_with_wrong_types_is_422(api: httpx.Client, draft: dict[str, Any]) -> None:
    assert check(api, draft).status_code == 422
