"""/validation in process: the SHACL report as JSON with counts, and as Turtle."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pyshacl_turbo
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from graph.store.core import Store
from graph.validation.validate import SHAPES_DIR

DOC = "https://w3id.org/retningsgraf/document/"
ORPHANED_NKR = URIRef("https://w3id.org/retningsgraf/ontology#GapShape-orphanedNKR")
NO_OWNER = "(ingen ejer / no owner)"


@pytest.fixture(scope="module")
def api(client: TestClient) -> httpx.Client:
    return client


@pytest.fixture(scope="module")
def report(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/validation")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def report_graph(api: httpx.Client) -> Graph:
    response = api.get("/validation", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=response.text, format="turtle")


def pairs(graph: Graph, results: list[Any]) -> Counter[tuple[str, str]]:
    return Counter((str(graph.value(r, SH.focusNode)), str(graph.value(r, SH.sourceShape))) for r in results)


def test_report_has_the_documented_fields(report: dict[str, Any]) -> None:
    assert isinstance(report["conforms"], bool)
    assert report["results"]
    for result in report["results"]:
        assert {"focus", "path", "severity", "message", "shape"} <= set(result)
        assert result["severity"] in ("Violation", "Warning", "Info")
        assert result["message"]
        assert result["shape"].startswith("https://w3id.org/retningsgraf/ontology#")


@pytest.fixture(scope="module")
def reference_counts(registry_store: Store) -> Counter[str]:
    """Results per severity on the registry, counted without the service: pyshacl-turbo with every shape."""
    shapes = Graph()
    for path in sorted(SHAPES_DIR.rglob("*.ttl")):  # the data-quality shapes and the gap rules
        shapes.parse(path, format="turtle")
    _, reference, text = pyshacl_turbo.validate(
        registry_store.union(), shacl_graph=shapes, inference="none", allow_warnings=True, allow_infos=True
    )
    assert isinstance(reference, Graph), text
    return Counter(str(severity).rsplit("#", 1)[-1] for severity in reference.objects(None, SH.resultSeverity))


def test_the_registry_conforms_as_a_reference_engine_finds_no_violation(
    report: dict[str, Any], reference_counts: Counter[str]
) -> None:
    assert reference_counts, "the registry has known warnings; an empty reference would prove nothing"
    assert "Violation" not in reference_counts
    assert report["conforms"] is True


def test_results_are_ordered_most_serious_first(report: dict[str, Any]) -> None:
    order = ["Violation", "Warning", "Info"]
    severities = [order.index(r["severity"]) for r in report["results"]]
    assert severities == sorted(severities)


def test_counts_by_severity_are_what_a_reference_engine_counts(
    report: dict[str, Any], reference_counts: Counter[str]
) -> None:
    assert report["counts_by_severity"] == dict(reference_counts)
    assert sum(report["counts_by_severity"].values()) == len(report["results"])


def test_counts_by_owner_follow_the_owners_of_each_document(api: httpx.Client, report: dict[str, Any]) -> None:
    documents = api.get("/documents", params={"limit": 1000}).json()["items"]
    owners = {DOC + d["id"]: [o["id"] for o in d["owners"]] for d in documents}
    expected: dict[str, Counter[str]] = {}
    for result in report["results"]:
        for owner in owners.get(result["focus"], [NO_OWNER]):
            expected.setdefault(owner, Counter())[result["severity"]] += 1
    assert report["counts_by_owner"] == {owner: dict(counts) for owner, counts in expected.items()}
    assert "sst" in report["counts_by_owner"]


def test_report_includes_every_gap(api: httpx.Client, report: dict[str, Any]) -> None:
    gaps = api.get("/gaps").json()["items"]
    results = Counter((r["focus"], r["shape"]) for r in report["results"])
    assert not Counter((g["focus"], g["shape"]) for g in gaps) - results


def test_turtle_is_the_shacl_report_graph(report: dict[str, Any], report_graph: Graph) -> None:
    (node,) = report_graph.subjects(RDF.type, SH.ValidationReport)
    conforms = report_graph.value(node, SH.conforms)
    assert isinstance(conforms, Literal)
    # SHACL 3.6: any result, a warning or an info too, makes sh:conforms false; the JSON's
    # "conforms" is the service's own "no Violation".
    assert report["results"] and any(r["severity"] != "Violation" for r in report["results"])
    assert conforms.toPython() is False
    results = list(report_graph.objects(node, SH.result))
    assert len(results) == len(report["results"])
    assert pairs(report_graph, results) == Counter((r["focus"], r["shape"]) for r in report["results"])


def test_turtle_results_carry_severity_and_both_languages(report_graph: Graph, report: dict[str, Any]) -> None:
    results = list(report_graph.subjects(RDF.type, SH.ValidationResult))
    assert results
    for result in results:
        assert report_graph.value(result, SH.resultSeverity) in (SH.Violation, SH.Warning, SH.Info)
        assert isinstance(report_graph.value(result, SH.focusNode), URIRef)
    orphaned = [r for r in results if report_graph.value(r, SH.sourceShape) == ORPHANED_NKR]
    # The same voids as the JSON report; how many depends on today's date (the three-year horizon
    # moves), but the NKRs nothing current has replaced are always among them.
    assert len(orphaned) == sum(1 for r in report["results"] if r["shape"] == str(ORPHANED_NKR))
    assert {DOC + "nkr-alkohol", DOC + "nkr-anoreksi"} <= {str(report_graph.value(r, SH.focusNode)) for r in orphaned}
    for result in orphaned:
        messages = report_graph.objects(result, SH.resultMessage)
        assert {m.language for m in messages if isinstance(m, Literal)} == {"da", "en"}
