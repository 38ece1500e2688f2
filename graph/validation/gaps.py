"""The gap engine: run each SHACL-SPARQL gap rule once over the whole graph and map rows to results.

A SHACL engine runs a rule's query once per focus node; every gap query first binds ``$this`` to
its own targets, so one evaluation with ``$this`` unbound yields the same results (tested against
pyshacl-turbo, which pre-binds ``$this`` as SHACL says, on the gap fixtures and on 3,000 synthetic
documents).  The shapes in ``ontology/shapes/gaps/`` stay the single definition of a gap.

SHACL requires every sub-select to project ``$this``, so the documents' sub-selects project it without
matching it; run with ``$this`` unbound, that column is unbound, and SPARQL joins an unbound value with
anything.  Virtuoso does not: it compiles the join to SQL equality, where an unbound (NULL) value matches
nothing, and every "is it covered?" sub-select comes back empty.  :func:`whole_graph` therefore drops
``$this`` from the projection of each sub-select whose pattern never mentions it, which changes nothing
under SPARQL's semantics and gives every engine a query without unbound join columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graph.model.snapshot import Snapshot, View, snapshot
from graph.model.vocabulary import ONTOLOGY_DIR
from graph.store.core import Store
from graph.store.namespaces import RDF, SH
from graph.store.sparql import Example, examples

__all__ = ["GAP_RESULTS", "GAP_SHAPES_DIR", "GapResult", "Rule", "query_examples", "rules", "run_rules"]

GAP_SHAPES_DIR = ONTOLOGY_DIR / "shapes" / "gaps"
_PLACEHOLDER = re.compile(r"\{[?$](\w+)\}")
_SELECT = re.compile(r"\bSELECT\b", re.IGNORECASE)
_THIS = re.compile(r"[?$]this\b")


@dataclass(frozen=True)
class Rule:
    """One gap rule: its shape, query and messages."""

    shape: str
    name: str
    severity: str
    query: str  # the shape's SELECT in its whole-graph form (see whole_graph), with its prefixes
    message: str
    message_en: str


@dataclass(frozen=True)
class GapResult:
    """One gap, in the shape of a SHACL validation result."""

    rule: str
    shape: str
    focus: str
    value: str | None
    severity: str
    message: str
    message_en: str


def _text(graph: Graph, subject: Node, lang: str) -> str:
    for value in graph.objects(subject, SH.message):
        if isinstance(value, Literal) and value.language == lang:
            return str(value)
    return ""


def _prefixes(graph: Graph, constraint: Node) -> str:
    lines = []
    for declarer in graph.objects(constraint, SH.prefixes):
        for declaration in graph.objects(declarer, SH.declare):
            prefix = graph.value(declaration, SH.prefix)
            namespace = graph.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(lines))


@cache  # shapes shipped with the code: read once per process, never store data
def rules(directory: Path = GAP_SHAPES_DIR) -> tuple[Rule, ...]:
    """Return the gap rules declared in the shapes of *directory*."""
    graph = Graph()
    for path in sorted(directory.glob("*.ttl")):
        graph.parse(path, format="turtle")
    found = []
    for shape in sorted(graph.subjects(RDF.type, SH.NodeShape), key=str):
        constraint = graph.value(shape, SH.sparql)
        if constraint is None:
            continue
        severity = str(graph.value(shape, SH.severity) or SH.Violation).split("#")[-1]
        select = str(graph.value(constraint, SH.select))
        found.append(
            Rule(
                shape=str(shape),
                name=str(shape).split("GapShape-")[-1],
                severity=severity,
                query=f"{_prefixes(graph, constraint)}\n{whole_graph(select)}",
                message=_text(graph, constraint, "da") or _text(graph, shape, "da"),
                message_en=_text(graph, constraint, "en") or _text(graph, shape, "en"),
            )
        )
    return tuple(found)


def whole_graph(select: str) -> str:
    """Return *select* with ``$this`` dropped from the projection of sub-selects that never match it.

    With ``$this`` unbound such a column is unbound on every row, and SPARQL joins an unbound value with
    anything, so the answers are the same; Virtuoso, which joins unbound values with nothing, then agrees.
    The outermost SELECT keeps ``$this``: it is the focus node of each result.

    Raises:
        ValueError: if a sub-select would be left projecting nothing.
    """
    starts = [match.start() for match in _SELECT.finditer(select)][1:]
    for start in reversed(starts):  # innermost first: dropping an inner $this may leave the outer unmatched
        opening = select.index("{", start)
        depth, end = 0, opening
        for end in range(opening, len(select)):
            depth += {"{": 1, "}": -1}.get(select[end], 0)
            if depth == 0:
                break
        head, body = select[start:opening], select[opening : end + 1]
        if _THIS.search(body) or not _THIS.search(head):
            continue
        projection = _THIS.sub("", head, count=1)
        if not re.sub(r"(?i)\b(SELECT|DISTINCT|REDUCED|WHERE)\b", "", projection).strip():
            raise ValueError(f"a sub-select would project nothing without $this: {head.strip()}")
        select = select[:start] + re.sub(r"  +", " ", projection) + select[opening:]
    return select


def _fill(template: str, row: dict[str, Node]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(row.get(m.group(1), m.group(0))), template)


def run_rules(store: Store, selected: tuple[Rule, ...] | None = None) -> list[GapResult]:
    """Run every gap rule (or the *selected* ones) once over the store's union graph.

    All rules together are the ``GAP_RESULTS`` view: run once per store generation, so the gaps
    shown anywhere are computed once.
    """
    if selected is None:
        return snapshot(store)[GAP_RESULTS]
    return _run(store, selected or rules())


def _run(store: Store, selected: tuple[Rule, ...]) -> list[GapResult]:
    results = []
    for rule in selected:
        for row in store.select(rule.query):
            focus = row.get("this")
            if not isinstance(focus, URIRef):
                continue
            value = row.get("value")
            results.append(
                GapResult(
                    rule=rule.name,
                    shape=rule.shape,
                    focus=str(focus),
                    value=None if value is None else str(value),
                    severity=rule.severity,
                    message=_fill(rule.message, row),
                    message_en=_fill(rule.message_en, row),
                )
            )
    results.sort(key=lambda r: (r.rule, r.focus, r.value or ""))
    return results


def _run_all(snap: Snapshot) -> list[GapResult]:
    assert snap.store is not None
    return _run(snap.store, rules())


#: The results of every gap rule.  No update: after a write all rules run again, since their
#: document-side sub-selects cost the same with ``$this`` bound (see ``validate.refresh_after_write``).
GAP_RESULTS: View[list[GapResult]] = View("gap results", build=_run_all)


@cache  # shipped query files and shapes only: constant for the process
def query_examples() -> tuple[Example, ...]:
    """Return the SPARQL page's examples: the shipped query files, then each gap rule as a query.

    The gap rules are examples too, taken from their shapes so a gap has one definition; they are
    added here, above the store, because the store's SPARQL service knows nothing of validation.
    """
    found = list(examples())
    for rule in rules():
        query = rule.query.replace("$this", "?this")
        text = f"# Gap rule {rule.name}: {rule.message_en}\n# From the SHACL shape {rule.shape}.\n{query.strip()}\n"
        found.append(Example(f"gap_{rule.name}", f"Gap rule {rule.name}", rule.message_en, text))
    return tuple(found)
