"""Reading a query's dataset clause and explaining its syntax errors, without a server."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.store.sparql import query_dataset, syntax_message


def test_from_graphs_are_read_through_prefixes_base_and_escapes() -> None:
    query = r"""BASE <http://example.org/base/>
PREFIX g: <graphs/>
# FROM <http://example.org/in-a-comment>
SELECT ?from FROM g:one FROM <two> FROM NAMED <http://example.org/\u0033> FROM NAMED g:a\.b
WHERE { ?s ?p "FROM <http://example.org/in-a-string>" }"""
    assert query_dataset(query, "http://host/sparql") == (
        ["http://example.org/base/graphs/one", "http://example.org/base/two"],
        ["http://example.org/3", "http://example.org/base/graphs/a.b"],
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?from WHERE { ?s <http://example.org/FROM> ?from }",
        "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?s ex:FROM 'FROM <x>' }",
        'SELECT * WHERE { ?s ?p "x"@from }',
    ],
)
def test_from_as_a_name_string_or_variable_is_no_dataset(query: str) -> None:
    assert query_dataset(query) is None


def test_relative_from_resolves_against_the_endpoint() -> None:
    assert query_dataset("CONSTRUCT { <s> <p> 1 } FROM <g> WHERE {}", "http://host/sparql") == (["http://host/g"], [])


def _error(query: str) -> str:
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(query, base_iri="http://host/sparql")
    return syntax_message(query, str(caught.value))


def test_unknown_prefix_is_named_with_its_line() -> None:
    message = _error("PREFIX ex: <http://example.org/>\nSELECT * WHERE { ex:a gd:b ?o }")
    assert message.splitlines() == [
        "Malformed query at line 2, column 23: unknown prefix gd: (declare it first: PREFIX gd: <...>).",
        "  SELECT * WHERE { ex:a gd:b ?o }",
        "                        ^",
    ]


def test_a_word_out_of_place_is_quoted_with_what_was_expected() -> None:
    message = _error("SELECT * WHERE { ?s ?p ?o } LIMIT x")
    assert message.startswith("Malformed query at line 1, column 35: unexpected 'x'; expected ")
    assert "[" not in message.splitlines()[0]


def test_an_unfinished_query_points_after_its_last_word() -> None:
    message = _error("ASK {\n  ?s ?p\n\n")
    assert message.splitlines()[0] == "Malformed query at line 2, column 8: the query ends before it is complete."
