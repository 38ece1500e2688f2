"""Validate retningsgraf data against the SHACL shapes in ``ontology/shapes/``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pyshacl import validate as shacl_validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Node

from graph.gaps import run_rules
from graph.namespaces import PREFIXES, RDF, SH
from graph.store import Store

__all__ = [
    "ONTOLOGY_DIR",
    "SEVERITIES",
    "SHAPES_DIR",
    "ValidationReport",
    "ValidationResult",
    "format_json",
    "format_text",
    "format_turtle",
    "shapes_graph",
    "validate",
    "validate_store",
    "vocabulary_graph",
]

ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"

# Most serious first: reports list results in this order.
SEVERITIES = ("Violation", "Warning", "Info")

_PREFIXES = {"rdf": str(RDF), **PREFIXES}


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result, flattened for people and JSON.

    Attributes:
        focus: IRI (or blank node id) of the document or organisation at fault.
        path: The property path in compact SPARQL syntax, or None for a node-level result.
        severity: "Violation" (broken data), "Warning" (gap) or "Info" (possible overlap).
        message: The shape's Danish message.
        message_en: The shape's English message.
        shape: IRI of the shape that produced the result.
        value: The offending value, or None when a value is missing.
    """

    focus: str
    path: str | None
    severity: str
    message: str
    message_en: str
    shape: str
    value: str | None


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one validation run.

    Attributes:
        conforms: True when there is no Violation; warnings and infos are allowed.
        results: All results, most serious first.
        graph: The SHACL validation report graph as pySHACL produced it.
    """

    conforms: bool
    results: list[ValidationResult]
    graph: Graph = field(repr=False, compare=False)

    def violations(self) -> list[ValidationResult]:
        """Return the results that are broken data."""
        return [r for r in self.results if r.severity == "Violation"]

    def warnings(self) -> list[ValidationResult]:
        """Return the results that are gaps to fill."""
        return [r for r in self.results if r.severity == "Warning"]

    def infos(self) -> list[ValidationResult]:
        """Return the results that point at something worth a look."""
        return [r for r in self.results if r.severity == "Info"]

    def counts(self) -> dict[str, int]:
        """Return the number of results per severity, with every severity present."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for result in self.results:
            counts[result.severity] = counts.get(result.severity, 0) + 1
        return counts


@cache
def shapes_graph() -> Graph:
    """Return all shapes in ``ontology/shapes/*.ttl``, parsed once; do not modify it."""
    return _parse_all(sorted(SHAPES_DIR.glob("*.ttl")))


@cache
def vocabulary_graph() -> Graph:
    """Return the ontology and concept schemes in ``ontology/*.ttl``, parsed once; do not modify it.

    Every ``.ttl`` directly in ``ontology/`` is loaded, so a new scheme file (such as
    ``disease-areas.ttl``) is picked up without code changes; the shapes sub-folder is not.
    """
    return _parse_all(sorted(ONTOLOGY_DIR.glob("*.ttl")))


def validate(data: Graph) -> ValidationReport:
    """Validate instance data against the shapes.

    The vocabulary is added here, so ``sh:class`` sees ``rdfs:subClassOf`` and the concept
    schemes; no inference is run, so the data is judged on what it states.

    Args:
        data: Documents and organisations only; a Dataset is validated as the
            union of its graphs.

    Returns:
        The report; ``conforms`` is False only when there is a Violation.
    """
    union = _PreparedQueryGraph()
    for prefix, namespace in _PREFIXES.items():
        union.bind(prefix, namespace)
    union += vocabulary_graph()
    if isinstance(data, Dataset):
        union.addN((s, p, o, union) for s, p, o, _ in data.quads((None, None, None, None)))
    else:
        union += data
    _, report_graph, _ = shacl_validate(
        union,
        shacl_graph=shapes_graph(),
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        advanced=False,
    )
    results = sorted(
        # Only top-level results: pySHACL also types the nested sh:detail results of sh:node.
        (_result(report_graph, node) for node in report_graph.objects(None, SH.result)),
        key=lambda r: (SEVERITIES.index(r.severity), r.focus, r.shape, r.path or "", r.value or ""),
    )
    conforms = not any(r.severity == "Violation" for r in results)
    return ValidationReport(conforms=conforms, results=results, graph=report_graph)


def validate_store(store: Store) -> ValidationReport:
    """Validate everything in *store*: the data-quality shapes and the gap rules.

    The data-quality shapes run in pySHACL; each gap rule runs once over the whole store
    (see ``graph.gaps``) and its results join the same report, in the SHACL report graph
    too.  The report is cached until the store's next write.
    """
    cached = store.cache.get("validation")
    if isinstance(cached, ValidationReport):
        return cached
    core = validate(store.union())
    graph = Graph()
    graph += core.graph
    report_node = next(graph.subjects(RDF.type, SH.ValidationReport), None) or BNode()
    extra = []
    for gap in run_rules(store):
        result = ValidationResult(gap.focus, None, gap.severity, gap.message, gap.message_en, gap.shape, gap.value)
        extra.append(result)
        node = BNode()
        graph.add((report_node, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, URIRef(gap.focus)))
        graph.add((node, SH.resultSeverity, SH[gap.severity]))
        graph.add((node, SH.sourceShape, URIRef(gap.shape)))
        graph.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
        graph.add((node, SH.resultMessage, Literal(gap.message, lang="da")))
        graph.add((node, SH.resultMessage, Literal(gap.message_en, lang="en")))
        if gap.value is not None:
            graph.add((node, SH.value, URIRef(gap.value)))
    results = sorted(
        [*core.results, *extra],
        key=lambda r: (SEVERITIES.index(r.severity), r.focus, r.shape, r.path or "", r.value or ""),
    )
    report = ValidationReport(conforms=core.conforms, results=results, graph=graph)
    store.cache["validation"] = report
    return report


def format_text(report: ValidationReport, lang: str = "da") -> str:
    """Render *report* as plain text, one line per result, for the terminal.

    Args:
        report: The report to render.
        lang: "da" for the Danish messages, "en" for the English ones.

    Returns:
        A summary line followed by the results, most serious first.
    """
    counts = report.counts()
    verdict = "conforms" if report.conforms else "does not conform"
    summary = ", ".join(f"{n} {severity.lower()}" for severity, n in counts.items())
    lines = [f"Data {verdict}: {summary}."]
    for r in report.results:
        where = _compact(r.focus) + (f" {r.path}" if r.path else "")
        value = f" = {r.value}" if r.value is not None else ""
        message = r.message_en if lang == "en" else r.message
        lines.append(f"{r.severity:<9} {where}{value}\n          {message} [{_compact(r.shape)}]")
    return "\n".join(lines) + "\n"


def format_json(report: ValidationReport) -> str:
    """Render *report* as JSON: ``conforms``, ``counts`` and the list of ``results``."""
    body = {
        "conforms": report.conforms,
        "counts": report.counts(),
        "results": [asdict(r) for r in report.results],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def format_turtle(report: ValidationReport) -> str:
    """Render *report* as the standard SHACL validation report in Turtle."""
    return report.graph.serialize(format="turtle")


class _PreparedQueryGraph(Graph):
    """A Graph that parses each SPARQL text only once.

    pySHACL sends the same SHACL-SPARQL text once per focus node, and rdflib's parser takes
    tens of milliseconds per parse: without this cache parsing was 90 % of validation time.
    """

    def query(self, query_object: str | Query, *args: Any, **kwargs: Any) -> Result:
        """Run *query_object*, reusing the parsed form of a query text seen before."""
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


@lru_cache(maxsize=64)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


def _parse_all(paths: list[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def _result(report: Graph, node: Node) -> ValidationResult:
    shape = report.value(node, SH.sourceShape)
    severity = report.value(node, SH.resultSeverity)
    value = report.value(node, SH.value)
    path = report.value(node, SH.resultPath)
    if isinstance(path, BNode) and isinstance(shape, URIRef):
        # pySHACL copies complex paths with fresh blank nodes; the shape's own path is the source.
        path = shapes_graph().value(shape, SH.path) or path
        source = shapes_graph()
    else:
        source = report
    messages = _messages(report.objects(node, SH.resultMessage))
    if isinstance(shape, URIRef) and not {"da", "en"} <= messages.keys():
        # pySHACL 0.40 drops the language tags of SPARQL-based results: read the shape instead.
        messages = {**_messages(shapes_graph().objects(shape, SH.message)), **messages}
    fallback = next(iter(messages.values()), "")
    return ValidationResult(
        focus=str(report.value(node, SH.focusNode)),
        path=_render_path(source, path) if path is not None else None,
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        message=messages.get("da", fallback),
        message_en=messages.get("en", fallback),
        shape=str(shape),
        value=str(value) if value is not None else None,
    )


def _messages(literals: Iterable[Node]) -> dict[str | None, str]:
    return {m.language: str(m) for m in literals if isinstance(m, Literal)}


def _render_path(graph: Graph, path: Node) -> str:
    """Return a SHACL property path in SPARQL property path syntax."""
    if not isinstance(path, BNode):
        return _compact(str(path))
    if (path, RDF.first, None) in graph:
        return "/".join(_render_path(graph, step) for step in Collection(graph, path))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_render_path(graph, a) for a in Collection(graph, alternatives)) + ")"
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_render_path(graph, inner))
    return str(path)


def _compact(iri: str) -> str:
    """Return *iri* as ``prefix:local`` when a known prefix fits, else unchanged."""
    for prefix, namespace in _PREFIXES.items():
        if iri.startswith(namespace) and "/" not in iri[len(namespace) :]:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
