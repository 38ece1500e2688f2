"""Exports open in the planners' tools and say what the JSON API says.

Issue 4: the planning view. XLSX with openpyxl, GraphML with networkx, RDF with rdflib, against
GET /coverage, /gaps and /overlaps of the same real server.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import networkx as nx
import openpyxl
import pytest
from defusedxml import ElementTree
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from graph.analysis.exports import safe_cell, to_csv, to_xlsx
from graph.analysis.planning import RULE_LABELS
from graph.model.vocabulary import KINDS
from graph.store.namespaces import GD, RDF

pytestmark = pytest.mark.slow


def get(server: str, path: str, **params: Any) -> httpx.Response:
    response = httpx.get(f"{server}{path}", params=params, timeout=60)
    response.raise_for_status()
    return response


def coverage_rows(server: str, **params: Any) -> dict[str, list[Any]]:
    items = get(server, "/coverage", **params).json()["items"]
    return {r["notation"]: [r["label"], *(r["counts"][k] for k in KINDS), r["total"]] for r in items}


@pytest.mark.parametrize("params", [{}, {"population": "children", "topic": "treatment"}, {"valid_on": "2015-01-01"}])
def test_matrix_xlsx_opens_in_openpyxl_with_the_counts_of_the_coverage_api(
    web_server: str, params: dict[str, str]
) -> None:
    response = get(web_server, "/exports/coverage.xlsx", **params)
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Dækning"]
    header, *rows = list(sheet.values)
    assert list(header) == [
        "notation",
        "block",
        "level",
        "label",
        "label_en",
        *KINDS,
        "total",
        "state",
    ]
    found = {row[0]: [row[3], *row[5 : 5 + len(KINDS) + 1]] for row in rows}
    assert found == coverage_rows(web_server, **params)
    assert sheet.cell(row=2, column=6).fill.fgColor.rgb.endswith(("F1F1F1", "F9D3CF", "FBE7A1", "BFE3C4"))


def test_matrix_csv_has_the_counts_of_the_coverage_api(web_server: str) -> None:
    text = get(web_server, "/exports/coverage.csv", population="adults").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    found = {r["notation"]: [r["label"], *(int(r[k]) for k in KINDS), int(r["total"])] for r in rows}
    assert found == coverage_rows(web_server, population="adults")


def test_gap_list_xlsx_and_csv_hold_every_gap_of_the_gap_api(web_server: str) -> None:
    gaps = get(web_server, "/gaps").json()["items"]
    expected = sorted(
        (RULE_LABELS[g["rule"]][0], g["focus"], g["message"], "; ".join(d["title"] for d in g["named_documents"]))
        for g in gaps
    )
    book = openpyxl.load_workbook(io.BytesIO(get(web_server, "/exports/gaps.xlsx").content))
    header, *rows = list(book["Huller"].values)
    col = {name: i for i, name in enumerate(header)}
    # Danish heads, rules by name, documents by title: what a coordinator reads.
    assert {"regel", "besked", "dokumenter", "senest udgivet eller revideret"} <= set(col)
    assert (
        sorted((r[col["regel"]], r[col["fokus"]], r[col["besked"]], r[col["dokumenter"]] or "") for r in rows)
        == expected
    )
    english = get(web_server, "/exports/gaps.csv", lang="en").content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(english)))[:2] == ["rule", "severity"]
    text = get(web_server, "/exports/gaps.csv", rule="children").content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text)))) == sum(1 for g in gaps if g["rule"] == "children")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"owner": "dmpg-dep", "other_owner": "sst"},
        {"owner": "dmpg-dk", "other_owner": "sst"},
        {"other_owner": "sst", "relation": "duplicate"},
    ],
)
def test_overlap_graphml_opens_in_networkx_with_the_pairs_of_the_overlap_api(
    web_server: str, params: dict[str, str]
) -> None:
    graph = nx.read_graphml(io.BytesIO(get(web_server, "/exports/overlaps.graphml", **params).content))
    answer = get(web_server, "/overlaps", limit=10000, **params).json()
    pairs = {
        (u, v) if d["source"] == u else (v, u): (d["relation"], d["score"])
        for u, v, d in graph.edges(data=True)
        if d["relation"] != "owns"
    }
    assert pairs == {(i["a"], i["b"]): (i["relation"], i["score"]) for i in answer["items"]}
    some = next(n for n, d in graph.nodes(data=True) if d["type"] == "document")
    owners = {f"owner:{o['id']}" for o in get(web_server, f"/documents/{some}").json()["owners"]}
    assert {n for n in graph[some] if n.startswith("owner:")} == owners


def test_overlap_graphml_numbers_the_clusters_of_the_overlap_api(web_server: str) -> None:
    graph = nx.read_graphml(io.BytesIO(get(web_server, "/exports/overlaps.graphml", cluster_score=0.7).content))
    clusters = get(web_server, "/overlaps", min_score=0.7, limit=1).json()["clusters"]
    for index, cluster in enumerate(clusters):
        assert {n for n, d in graph.nodes(data=True) if d.get("cluster") == index} == set(cluster["documents"])


def test_whole_graph_exports_parse_in_rdflib_and_agree(web_server: str) -> None:
    turtle = Graph().parse(data=get(web_server, "/exports/graph.ttl").text, format="turtle")
    triples = Graph().parse(data=get(web_server, "/exports/graph.nt").text, format="nt")
    jsonld = Graph().parse(data=get(web_server, "/exports/graph.jsonld").text, format="json-ld")
    assert len(turtle) == len(triples) == len(jsonld) > 5000
    assert isomorphic(turtle, triples)
    documents = set(turtle.subjects(RDF.type, GD.GuidingDocument))
    assert len(documents) == get(web_server, "/health").json()["documents"] == 126
    assert (URIRef(get(web_server, "/documents/nkr-bipolar").json()["iri"]), None, None) in turtle


def test_matrix_svg_draws_the_counts_of_the_coverage_api(web_server: str) -> None:
    response = get(web_server, "/exports/coverage.svg", categories="true")
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(response.content)
    texts = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("data-kind")]
    drawn: dict[str, dict[str, int]] = {}
    for t in texts:
        drawn.setdefault(t.get("data-area"), {})[t.get("data-kind")] = int(t.text)
    items = get(web_server, "/coverage").json()["items"]
    assert drawn == {r["notation"]: {**r["counts"], "total": r["total"]} for r in items}


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_cells_that_would_run_as_formulas_are_escaped(text: str) -> None:
    assert safe_cell(text) == "'" + text
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx((["title"], [[text]]), "t")))
    cell = book["t"]["A2"]
    assert cell.data_type == "s" and cell.value == "'" + text
    assert to_csv((["title"], [[text]])).decode("utf-8-sig").splitlines()[1].strip('"').startswith("'")


def test_harmless_cells_are_left_alone() -> None:
    assert safe_cell("F20-F29") == "F20-F29"
    assert safe_cell(-3) == -3
    assert safe_cell(["a", "b"]) == "a; b"
    assert safe_cell(None) == ""
