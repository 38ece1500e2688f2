"""The baselines' side of each figure: rdflib, raw pyoxigraph and pySHACL on the same data and question.

Query-side baselines hold the same triples as the project's store: the vocabulary and the
shipped registry (``context.nt``, dumped once per run) plus the synthetic file, all in one
default graph.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from benchmarks.drafts import DRAFTS, sparql_inputs
from benchmarks.harness import query, repeat, summary, with_values

__all__ = ["STEPS"]


def _rdflib_graph(args: dict[str, Any]) -> Any:
    from rdflib import Graph

    graph = Graph()
    graph.parse(args["context"], format="nt")
    graph.parse(args["synth"], format="turtle")
    return graph


def _ox_store(args: dict[str, Any]) -> Any:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=args["context"], format=ox.RdfFormat.N_TRIPLES)
    store.bulk_load(path=args["synth"], format=ox.RdfFormat.TURTLE)
    return store


def _coverage_digest(rows: Iterable[Any], notation: str = "notation", documents: str = "documents") -> dict[str, int]:
    """Total documents per planning notation, comparable with the project's coverage totals."""
    totals: Counter[str] = Counter()
    for row in rows:
        totals[str(row[notation].value if hasattr(row[notation], "value") else row[notation])] += int(
            str(row[documents].value if hasattr(row[documents], "value") else row[documents])
        )
    return dict(totals)


# Load --------------------------------------------------------------------------------


def rdflib_parse(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``rdflib.Graph().parse(path)`` of the synthetic file."""
    from rdflib import Graph

    started = time.perf_counter()
    graph = Graph().parse(args["synth"])
    return {"time_s": time.perf_counter() - started, "triples": len(graph)}


def ox_load(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``pyoxigraph.Store().load(path=..., format=TURTLE)`` of the synthetic file."""
    import pyoxigraph as ox

    store = ox.Store()
    started = time.perf_counter()
    store.load(path=args["synth"], format=ox.RdfFormat.TURTLE)
    return {"time_s": time.perf_counter() - started, "triples": len(store)}


# Coverage and gaps ---------------------------------------------------------------------


def rdflib_coverage(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``coverage.rq`` on rdflib's SPARQL engine."""
    graph = _rdflib_graph(args)
    text = query("coverage")
    rows: list[Any] = []
    times = repeat(lambda: rows.__setitem__(slice(None), list(graph.query(text))), runs=5, budget=args["budget"])
    return {"timing": summary(times), "digest": _coverage_digest(r.asdict() for r in rows)}


def ox_coverage(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``coverage.rq`` on raw pyoxigraph."""
    store = _ox_store(args)
    text = query("coverage")
    rows: list[Any] = []

    def run() -> None:
        rows[:] = [{"notation": s["notation"], "documents": s["documents"]} for s in store.query(text)]

    times = repeat(run, runs=20, budget=args["budget"])
    return {"timing": summary(times), "digest": _coverage_digest(rows)}


def _gap_queries() -> list[tuple[str, str]]:
    from graph.validation.gaps import rules

    return [(rule.name, rule.query) for rule in rules()]


def _gaps(run_rule: Any, budget: float, runs: int) -> dict[str, Any]:
    """Time one pass over every rule (per rule too, to find the slow one), then whole passes within *budget*."""
    per_rule, digest, first = {}, {}, 0.0
    for name, text in _gap_queries():
        started = time.perf_counter()
        digest[name] = run_rule(text)
        per_rule[name] = time.perf_counter() - started
        first += per_rule[name]
    times = [first]
    if first < budget:
        times += repeat(lambda: [run_rule(text) for _, text in _gap_queries()], runs=runs - 1, budget=budget - first)
    return {"timing": summary(times), "per_rule_s": per_rule, "digest": digest}


def rdflib_gaps(args: dict[str, Any]) -> dict[str, Any]:
    """Time every gap rule's query, as the shapes state it, on rdflib's SPARQL engine."""
    from rdflib import URIRef

    graph = _rdflib_graph(args)
    return _gaps(
        lambda text: sum(1 for row in graph.query(text) if isinstance(row.asdict().get("this"), URIRef)),
        args["budget"],
        runs=3,
    )


def ox_gaps(args: dict[str, Any]) -> dict[str, Any]:
    """Time every gap rule's query, as the shapes state it, on raw pyoxigraph."""
    import pyoxigraph as ox

    store = _ox_store(args)
    return _gaps(
        lambda text: sum(1 for s in store.query(text) if isinstance(s["this"], ox.NamedNode)), args["budget"], runs=20
    )


# Draft check and overlap pairs -----------------------------------------------------------


def ox_draft(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``draft_candidates.rq`` for each of the twenty drafts on raw pyoxigraph, three times each."""
    store = _ox_store(args)
    texts = [with_values(query("draft_candidates"), sparql_inputs(d)) for d in DRAFTS]
    started = time.perf_counter()
    list(store.query(texts[0]))
    cold = time.perf_counter() - started
    times, found = [], 0
    for _ in range(3):
        for text in texts:
            began = time.perf_counter()
            found += len(list(store.query(text)))
            times.append(time.perf_counter() - began)
    return {"cold_s": cold, "warm": summary(times), "candidates": found}


def _ox_pairs(args: dict[str, Any], name: str) -> dict[str, Any]:
    store = _ox_store(args)
    started = time.perf_counter()
    count = sum(1 for _ in store.query(query(name)))
    return {"time_s": time.perf_counter() - started, "pairs": count}


def ox_pairs(args: dict[str, Any]) -> dict[str, Any]:
    """Time the sub-select self-join ``pairs_subselect.rq`` on raw pyoxigraph, reading every row."""
    return _ox_pairs(args, "pairs_subselect")


def ox_pairs_flat(args: dict[str, Any]) -> dict[str, Any]:
    """Time the flat self-join ``pairs_flat.rq`` on raw pyoxigraph, reading every row."""
    return _ox_pairs(args, "pairs_flat")


# Validation -------------------------------------------------------------------------------


def pyshacl_validate(args: dict[str, Any]) -> dict[str, Any]:
    """Time plain ``pyshacl.validate`` with every shape (core and gap rules) on an rdflib graph of the data."""
    from pyshacl import validate
    from rdflib import Graph

    from graph.validation.validate import SHAPES_DIR

    graph = _rdflib_graph(args)
    shapes = Graph()
    for path in sorted(SHAPES_DIR.rglob("*.ttl")):
        shapes.parse(path, format="turtle")
    started = time.perf_counter()
    conforms, report, _ = validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True, allow_infos=True, advanced=False
    )
    from graph.store.namespaces import SH

    return {
        "time_s": time.perf_counter() - started,
        "conforms": bool(conforms),
        "results": sum(1 for _ in report.objects(None, SH.result)),
    }


STEPS = {
    "rdflib_parse": rdflib_parse,
    "ox_load": ox_load,
    "rdflib_coverage": rdflib_coverage,
    "ox_coverage": ox_coverage,
    "rdflib_gaps": rdflib_gaps,
    "ox_gaps": ox_gaps,
    "ox_draft": ox_draft,
    "ox_pairs": ox_pairs,
    "ox_pairs_flat": ox_pairs_flat,
    "pyshacl_validate": pyshacl_validate,
}
