"""The remote /sparql relay reads an engine's answer in whatever pieces the network cuts it into.

The engine's bytes arrive in chunks that may split a ``<result>`` tag or Virtuoso's ``nodeID://``
blank node prefix anywhere; rows must be counted once and blank nodes read as labels either way.
The answers here are shaped as Virtuoso 7 writes XML results (its ``nodeID://`` blank nodes included).
"""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from graph.store.sparql import QueryTooLarge
from graph.store.sparql_proxy import SparqlProxy, _Upstream

VIRTUOSO_XML = b"""<sparql xmlns="http://www.w3.org/2005/sparql-results#">
 <head>
  <variable name="s"/>
  <variable name="o"/>
 </head>
 <results distinct="false" ordered="true">
%s
 </results>
</sparql>
"""
ROW = b"""  <result>
   <binding name="s"><bnode>nodeID://b1000%d</bnode></binding>
   <binding name="o"><literal xml:lang="da">r\xc3\xa6kke %d</literal></binding>
  </result>"""


def answer(rows: int) -> bytes:
    return VIRTUOSO_XML % b"\n".join(ROW % (n, n) for n in range(rows))


def proxy(max_rows: int) -> SparqlProxy:
    return SparqlProxy(
        "http://127.0.0.1:9/unused", engine="Virtuoso/07.20.3229", graphs=tuple, hidden=bool, max_rows=max_rows
    )


def read(body: bytes, piece: int, max_rows: int) -> list[ox.QuerySolution]:
    chunks = iter([body[i : i + piece] for i in range(0, len(body), piece)])
    upstream = _Upstream(chunks, proxy(max_rows), time.monotonic() + 60, count_rows=True)
    try:
        return list(ox.parse_query_results(upstream, format=ox.QueryResultsFormat.XML))
    except Exception:
        if upstream.failure is not None:
            raise upstream.failure from None
        raise


@pytest.mark.parametrize("piece", [1, 3, 7, 16, 17, 100, 65536])
def test_rows_and_blank_nodes_read_alike_however_the_answer_is_cut(piece: int) -> None:
    rows = read(answer(5), piece, max_rows=5)
    assert [row["s"] for row in rows] == [ox.BlankNode(f"b1000{n}") for n in range(5)]
    assert rows[4]["o"] == ox.Literal("række 4", language="da")


@pytest.mark.parametrize("piece", [1, 7, 65536])
def test_one_row_over_the_limit_is_too_large_however_the_answer_is_cut(piece: int) -> None:
    with pytest.raises(QueryTooLarge, match="limit of 4 rows"):
        read(answer(5), piece, max_rows=4)
