"""/disease-areas and /coverage in process, checked against SPARQL counts on the registry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from graph.store.core import Store

ICD10 = "https://w3id.org/retningsgraf/icd10/"
GD = "https://w3id.org/retningsgraf/ontology#"
PREFIXES = """PREFIX gd: <https://w3id.org/retningsgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX icd10: <https://w3id.org/retningsgraf/icd10/>
PREFIX population: <https://w3id.org/retningsgraf/population/>
"""
# A document counts when it is national clinical guidance a source showed in force, and it covers an
# area when one of its codes is the area, a narrower code, or a broader code below the chapter (the
# definition stated in ontology/shapes/gaps/gaps.shapes.ttl).
COVERING = """
SELECT ?area ?kind (COUNT(DISTINCT ?doc) AS ?n) WHERE {
  ?doc gd:status/gd:isValid true ; gd:validity "in-force" ; gd:level "national" ; gd:purpose "clinical" ;
       gd:diseaseArea ?code ; a ?kind .
  FILTER (?kind != gd:GuidingDocument)
  %s
  ?area skos:notation ?notation .
  FILTER (STRSTARTS(STR(?area), "https://w3id.org/retningsgraf/icd10/"))
  { ?code skos:broader* ?area }
  UNION
  { ?area skos:broader+ ?code . FILTER NOT EXISTS { ?code skos:topConceptOf ?scheme } }
}
GROUP BY ?area ?kind
"""
IN_FORCE = ("in-force", "national", "clinical")
FOR_CHILDREN = "?doc gd:population ?who . FILTER (?who IN (population:children, population:all))"


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


@pytest.fixture(scope="module")
def tree(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/disease-areas")
    assert response.status_code == 200
    body: list[dict[str, Any]] = response.json()
    return body


@pytest.fixture(scope="module")
def documents(api: httpx.Client) -> dict[str, dict[str, Any]]:
    items = api.get("/documents", params={"limit": 1000}).json()["items"]
    return {item["id"]: item for item in items}


def covering_counts(store: Store, restriction: str = "") -> dict[str, dict[str, int]]:
    """Valid documents per disease-area notation and kind, computed in SPARQL."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in store.select(PREFIXES + COVERING % restriction):
        area, kind = str(row["area"]).removeprefix(ICD10), str(row["kind"]).removeprefix(GD)
        counts[area][kind] = int(str(row["n"]))
    return counts


def planning_areas(store: Store) -> set[str]:
    rows = store.select(PREFIXES + "SELECT ?c WHERE { ?c gd:planningLevel true }")
    return {str(row["c"]).removeprefix(ICD10) for row in rows}


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {kind: n for kind, n in counts.items() if n}


def walk(node: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    yield node, None
    for child in node["children"]:
        for found, parent in walk(child):
            yield found, parent or node


def coverage(api: httpx.Client, **params: str) -> dict[str, dict[str, Any]]:
    response = api.get("/coverage", params=params)
    assert response.status_code == 200, response.text
    return {row["notation"]: row for row in response.json()["items"]}


def listed_ids(row: dict[str, Any]) -> list[str]:
    return [doc for docs in row["documents"].values() for doc in docs]


# The disease-area tree --------------------------------------------------------------------


def test_tree_is_chapter_v_with_the_skos_hierarchy(tree: list[dict[str, Any]], registry_store: Store) -> None:
    assert [root["notation"] for root in tree] == ["F00-F99"]
    edges = {(node["notation"], parent["notation"]) for node, parent in walk(tree[0]) if parent}
    query = "SELECT ?c ?p WHERE { ?c skos:broader ?p . ?p skos:broader* icd10:F00-F99 }"
    rows = registry_store.select(PREFIXES + query)
    assert edges == {(str(r["c"]).removeprefix(ICD10), str(r["p"]).removeprefix(ICD10)) for r in rows}
    assert {"F30-F39", "F32", "F50.0"} <= {node["notation"] for node, _ in walk(tree[0])}


def test_tree_counts_valid_documents_per_kind_at_every_node(tree: list[dict[str, Any]], registry_store: Store) -> None:
    expected = covering_counts(registry_store)
    for node, _ in walk(tree[0]):
        assert nonzero(node["counts"]) == expected.get(node["notation"], {}), node["notation"]
        assert node["total"] == sum(node["counts"].values())
    # 17 of the 126 shipped documents are national clinical guidance in force (2026-12-04).
    assert tree[0]["total"] >= 10


def test_tree_leaves_out_documents_that_are_not_valid(
    tree: list[dict[str, Any]], documents: dict[str, dict[str, Any]]
) -> None:
    nodes = {node["notation"]: node for node, _ in walk(tree[0])}
    assert documents["nkr-anoreksi"]["valid"] is False
    counted = [d for d in documents.values() if d["valid"] and (d["validity"], d["level"], d["purpose"]) == IN_FORCE]
    assert tree[0]["total"] == len(counted)
    # nkr-anoreksi is the NKR coded F50.0; once it is not valid, no NKR counts there.
    assert "F50.0" in {area["notation"] for area in documents["nkr-anoreksi"]["disease_areas"]}
    assert nodes["F50.0"]["counts"]["NationalClinicalGuideline"] == 0


def test_tree_marks_the_planning_areas_and_gives_sks_codes(tree: list[dict[str, Any]], registry_store: Store) -> None:
    nodes = {node["notation"]: node for node, _ in walk(tree[0])}
    planning = {notation for notation, node in nodes.items() if node["planning"]}
    assert planning == planning_areas(registry_store)
    assert nodes["F32"]["sks"] == "DF32"
    assert nodes["F30-F39"]["sks"] == "DF30-DF39"


# Coverage rows ----------------------------------------------------------------------------


def test_coverage_has_one_row_per_planning_area_counted_like_sparql(api: httpx.Client, registry_store: Store) -> None:
    rows = coverage(api)
    assert set(rows) == planning_areas(registry_store)
    expected = covering_counts(registry_store)
    for notation, row in rows.items():
        assert nonzero(row["counts"]) == expected.get(notation, {}), notation
        assert row["level"] == ("block" if "-" in notation else "category")


def test_coverage_counts_and_document_ids_agree(api: httpx.Client, documents: dict[str, dict[str, Any]]) -> None:
    for notation, row in coverage(api).items():
        for kind, count in row["counts"].items():
            assert len(row["documents"].get(kind, [])) == count, (notation, kind)
        assert len(listed_ids(row)) == row["total"]
        for doc_id in listed_ids(row):
            assert documents[doc_id]["valid"], (notation, doc_id)
            assert row["documents"][documents[doc_id]["kind"]].count(doc_id) == 1


def test_population_filter_changes_coverage_counts(api: httpx.Client, registry_store: Store) -> None:
    everyone = coverage(api)
    children = coverage(api, population="children")
    assert set(children) == set(everyone)
    assert any(children[n]["total"] < everyone[n]["total"] for n in everyone)
    assert all(children[n]["total"] <= everyone[n]["total"] for n in everyone)
    expected = covering_counts(registry_store, FOR_CHILDREN)
    for notation, row in children.items():
        assert nonzero(row["counts"]) == expected.get(notation, {}), notation
    params: dict[str, str | int] = {"population": "children", "limit": 1000}
    for_children = {d["id"] for d in api.get("/documents", params=params).json()["items"]}
    for row in children.values():
        assert set(listed_ids(row)) <= for_children


def test_kind_filter_leaves_only_that_kind(api: httpx.Client) -> None:
    rows = coverage(api, kind="PackagePathway")
    assert any(row["total"] for row in rows.values())
    for row in rows.values():
        assert set(row["documents"]) <= {"PackagePathway"}
        assert row["total"] == row["counts"]["PackagePathway"]


@pytest.mark.parametrize(("name", "value"), [("population", "kids"), ("kind", "novel"), ("topic", "cooking")])
def test_unknown_coverage_filter_is_422_naming_it(api: httpx.Client, name: str, value: str) -> None:
    response = api.get("/coverage", params={name: value})
    assert response.status_code == 422
    assert value in response.text
