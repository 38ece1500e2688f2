"""Validate any data graph against any shapes graph, and say which engine answered.

This is what ``retningsgraf shacl`` runs (and the W3C SHACL test suite runs through it):

1. The shapes are checked for what SHACL-SPARQL forbids or no engine here does correctly
   (:func:`refusals`): ``SERVICE`` (it would make the validator reach the network), ``MINUS``,
   ``VALUES``, ``BIND ... AS`` a pre-bound variable, sub-selects that drop ``$this`` (SHACL 5.6.1).
   Any of these refuses the whole run with :class:`ShaclRefused`.
2. The fast engine (:mod:`graph.validation.engine`, Oxigraph, set at a time) validates when it
   implements every feature the shapes use.
3. Otherwise pyshacl-turbo validates (pySHACL's API in Rust, strict about SHACL-SPARQL; exact on
   every W3C test the fast engine refuses, where pySHACL 0.40 fails ``$shapesGraph``), so the
   answer is correct either way; :attr:`Outcome.engine` says which one gave it, and why the fast
   one did not.

The report graph follows SHACL 3.6: ``sh:conforms`` is false when there is any result at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal
from rdflib.term import Node

from graph.store.core import from_ox, query, to_ox
from graph.store.namespaces import SH
from graph.validation import engine
from graph.validation.validate import render_path

ENGINES = ("auto", "fast", "turbo")

# Oxigraph's parsers by file suffix; anything else is refused with the list.
FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".n3": ox.RdfFormat.N3,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


class ShaclRefused(ValueError):
    """The shapes use something SHACL forbids or no engine here validates correctly; nothing was validated."""


class ShaclInputError(ValueError):
    """A data or shapes file cannot be read; the message names the file (and line, where the parser gives one)."""


@dataclass(frozen=True)
class Outcome:
    """One validation: the W3C report graph, and which engine made it."""

    report: Graph
    engine: str  # "fast" or "turbo"
    fallback_reason: str | None = None  # why the fast engine did not answer (auto only)

    @property
    def conforms(self) -> bool:
        """SHACL's verdict: true only when the report has no result."""
        return next(self.report.objects(None, SH.result), None) is None


def read_graph(paths: Iterable[Path]) -> Graph:
    """Parse RDF files into one graph (quads' graph names dropped), each by its suffix.

    Oxigraph parses: literals keep their lexical form (rdflib would rewrite "1"^^xsd:boolean as
    "true", and a report must show the value as written), blank nodes of different files stay
    apart, a JSON-LD file cannot fetch a remote context, and RDF/XML expands no external entity.

    Raises:
        ShaclInputError: a missing file, an unknown suffix, or a syntax error (FILE:LINE:COLUMN).
    """
    graph = Graph()
    for path in paths:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ShaclInputError(f"{path}: unknown RDF file type {path.suffix!r}; use one of {', '.join(FORMATS)}")
        if not path.is_file():
            raise ShaclInputError(f"{path}: no such file")
        try:
            quads = list(ox.parse(path=path, format=fmt, base_iri=path.resolve().as_uri(), rename_blank_nodes=True))
        except (SyntaxError, ValueError, OSError) as error:
            text = " ".join(str(error).split())
            where = re.search(r"line (\d+) column (\d+)|(\d+):(\d+)", text) if isinstance(error, SyntaxError) else None
            position = ":".join(g for g in (where.groups() if where else ()) if g) + ":" if where else ""
            reason = re.sub(r"^(Parser error at line \d+ column \d+|error at \d+:\d+(-\d+:\d+)?):?\s*", "", text)
            reason = re.sub(r"\s*\([^()]*, line \d+\)$", "", reason)
            raise ShaclInputError(f"{path}:{position} {reason[:300]}") from None
        for quad in quads:
            graph.add(tuple(from_ox(term, normalize=False) for term in (quad.subject, quad.predicate, quad.object)))
    return graph


# What SHACL 5.6.1 does not allow in a SHACL-SPARQL query (W3C tests unsupported-sparql-001..005,
# pre-binding-006), and what would make a validator reach the network (SERVICE).
_FORBIDDEN = [
    (re.compile(r"\bSERVICE\b", re.I), "SERVICE (a federated query would reach the network)"),
    (re.compile(r"\bMINUS\b", re.I), "MINUS"),
    (re.compile(r"\bVALUES\b", re.I), "VALUES"),
    (re.compile(r"\b(?i:AS)\s+[?$](this|currentShape|shapesGraph|PATH)\b"), "AS on a pre-bound variable"),
]


def refusals(shapes: Graph) -> list[str]:
    """What in *shapes* no engine here validates: one line per SPARQL query that uses it."""
    problems = []
    for predicate in (SH.select, SH.ask):
        for owner, text in shapes.subject_objects(predicate):
            body = re.sub(r'"[^"\n]*"|<[^>\s]*>|#[^\n]*', " ", str(text))
            if predicate == SH.ask and re.search(r"\bAS\s+[?$]value\b", body, re.I):
                problems.append(f"{owner}: AS on the pre-bound $value in a SHACL-SPARQL validator (SHACL 5.6.1)")
            for pattern, what in _FORBIDDEN:
                if pattern.search(body):
                    problems.append(f"{owner}: {what} in a SHACL-SPARQL query (SHACL 5.6.1)")
            for projection in re.findall(r"\bSELECT\b(.*?)\bWHERE\b", body, re.I | re.S)[1:]:
                if not re.search(r"[?$]this\b", projection):
                    problems.append(f"{owner}: a sub-select that does not return $this (SHACL 5.6.1)")
    return sorted(set(problems))


def validate(data: Graph, shapes: Graph, engine_name: str = "auto") -> Outcome:
    """Validate *data* against *shapes* with one engine, or the fast one and else pyshacl-turbo (auto).

    Raises:
        ShaclRefused: the shapes use something in :func:`refusals`, or ``engine_name="fast"`` and
            the fast engine does not implement a feature they use.
    """
    if engine_name not in ENGINES:
        raise ValueError(f"unknown engine {engine_name!r}; use one of {', '.join(ENGINES)}")
    problems = refusals(shapes)
    if problems:
        raise ShaclRefused("unsupported: " + "; ".join(problems))
    reason = None
    if engine_name in ("auto", "fast"):
        try:
            return Outcome(_fast(data, shapes), "fast")
        except engine.UnsupportedShape as error:
            if engine_name == "fast":
                raise ShaclRefused(f"unsupported by the fast engine: {error}") from None
            reason = str(error)
    return Outcome(_turbo(data, shapes), "turbo", reason)


def _fast(data: Graph, shapes: Graph) -> Graph:
    compiled = engine.compile_shapes(shapes)
    store = ox.Store()
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in data)
    given = {o for o in data.objects() if isinstance(o, Literal)}
    kept = {from_ox(r[0], normalize=False) for r in store.query(query("literal_objects"))}
    if given - kept:
        # Oxigraph stores integer subtypes ("12"^^xsd:byte) as xsd:integer (W3C datatype-ill-formed).
        changed = ", ".join(sorted(v.n3() for v in given - kept)[:3])
        raise engine.UnsupportedShape(f"Oxigraph does not keep these literals as written: {changed}")
    report = engine.report_graph(engine.evaluate(compiled, store.query), shapes, data)
    report.bind("sh", str(SH))
    return report


def _turbo(data: Graph, shapes: Graph) -> Graph:
    from pyshacl_turbo import validate as turbo_validate

    _, report, _ = turbo_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=False, allow_infos=False
    )
    return report


# Output --------------------------------------------------------------------------------


def format_report(outcome: Outcome, fmt: str) -> str:
    """The report as W3C Turtle, as JSON (conforms, engine, results) or as one line per result."""
    if fmt == "turtle":
        return outcome.report.serialize(format="turtle")
    results = [_result_dict(outcome.report, node) for node in outcome.report.objects(None, SH.result)]
    results.sort(key=lambda r: (r["severity"], r["focus"], r["shape"], r["path"] or "", r["value"] or ""))
    if fmt == "json":
        body = {"conforms": outcome.conforms, "engine": outcome.engine, "results": results}
        if outcome.fallback_reason:
            body["fallback_reason"] = outcome.fallback_reason
        return json.dumps(body, ensure_ascii=False, indent=2)
    lines = [
        f"{'conforms' if outcome.conforms else 'does not conform'}: {len(results)} result(s), engine {outcome.engine}"
    ]
    for r in results:
        where = f" {r['path']}" if r["path"] else ""
        value = f" = {r['value']}" if r["value"] else ""
        message = f": {r['message']}" if r["message"] else ""
        lines.append(f"{r['severity']} {r['focus']}{where}{value} [{r['component']}]{message}")
    return "\n".join(lines)


def _result_dict(report: Graph, node: Node) -> dict[str, str | None]:
    def text(term: Node | None) -> str | None:
        return None if term is None else str(term)

    severity = report.value(node, SH.resultSeverity)
    component = report.value(node, SH.sourceConstraintComponent)
    path = report.value(node, SH.resultPath)
    messages = [m for m in report.objects(node, SH.resultMessage) if isinstance(m, Literal)]
    return {
        "focus": text(report.value(node, SH.focusNode)),
        "path": None if path is None else render_path(report, path),
        "severity": str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        "component": str(component).rsplit("#", 1)[-1] if component else None,
        "shape": text(report.value(node, SH.sourceShape)),
        "value": text(report.value(node, SH.value)),
        "message": str(messages[0]) if messages else None,
    }
