"""Validate retningsgraf data against the SHACL shapes in ``ontology/shapes/``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Node

from graph.model.snapshot import Snapshot, View, snapshot
from graph.store.core import OxigraphStore, Store, from_ox, query, to_ox
from graph.store.namespaces import PREFIXES, RDF, SH
from graph.validation import engine as shacl_engine
from graph.validation.gaps import GAP_RESULTS, GapResult, run_rules

__all__ = [
    "ENGINES",
    "ONTOLOGY_DIR",
    "REPORT",
    "SEVERITIES",
    "SHAPES_DIR",
    "Touched",
    "Validation",
    "ValidationReport",
    "ValidationResult",
    "format_json",
    "format_text",
    "format_turtle",
    "refresh_after_write",
    "shapes_graph",
    "touched",
    "validate",
    "validate_document",
    "validate_shapes",
    "validate_store",
    "vocabulary_graph",
]

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
SHAPES_DIR = ONTOLOGY_DIR / "shapes"

# "oxigraph" is graph.validation.engine (whole-graph queries); "pyshacl" is
# the reference implementation (minutes), kept for comparison and as the tests' yardstick.
ENGINES = ("oxigraph", "pyshacl")

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
        graph: The SHACL validation report graph (built on first use: tens of thousands of
            results take seconds to write as triples, and most callers only read ``results``).
    """

    conforms: bool
    results: list[ValidationResult]
    source: Graph | Callable[[], Graph] = field(default_factory=Graph, repr=False, compare=False)

    @property
    def graph(self) -> Graph:
        """The SHACL validation report graph."""
        if callable(self.source) and not isinstance(self.source, Graph):
            object.__setattr__(self, "source", self.source())
        assert isinstance(self.source, Graph)
        return self.source

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


# The functools caches below hold what is read from the files shipped in ontology/ (shapes,
# vocabulary, the engine's compiled shapes): constant for the process, never store data.


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


def validate(data: Graph, engine: str = "oxigraph") -> ValidationReport:
    """Validate instance data against the shapes.

    The vocabulary is added here, so ``sh:class`` sees ``rdfs:subClassOf`` and the concept
    schemes; no inference is run, so the data is judged on what it states.

    Args:
        data: Documents and organisations only; a Dataset is validated as the
            union of its graphs.
        engine: "oxigraph" (``graph.validation.engine``, the default) or "pyshacl" (the reference);
            both give the same results (tested on every shape fixture and the registry).

    Returns:
        The report; ``conforms`` is False only when there is a Violation.
    """
    if engine == "pyshacl":
        return _validate_pyshacl(data)
    if engine != "oxigraph":
        raise ValueError(f"unknown validation engine {engine!r}; choose one of {ENGINES}")
    scratch = ox.Store()
    scratch.extend(_vocabulary_quads())
    triples = (q[:3] for q in data.quads((None, None, None, None))) if isinstance(data, Dataset) else iter(data)
    scratch.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), _VOCABULARY) for s, p, o in triples)
    return _engine_report(
        shacl_engine.evaluate(_compiled(), lambda text: scratch.query(text, use_default_graph_as_union=True))
    )


def _validate_pyshacl(data: Graph) -> ValidationReport:
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
        inference="none",  # warnings and infos make sh:conforms false, as SHACL says
        advanced=False,
    )
    # Only top-level results: pySHACL also types the nested sh:detail results of sh:node.
    return _report_from_graph(report_graph)


def _report_from_graph(report_graph: Graph) -> ValidationReport:
    results = sorted((_result(report_graph, node) for node in report_graph.objects(None, SH.result)), key=_order)
    conforms = not any(r.severity == "Violation" for r in results)
    return ValidationReport(conforms, results, report_graph)


def _order(r: ValidationResult) -> tuple[int, str, str, str, str]:
    return (SEVERITIES.index(r.severity), r.focus, r.shape, r.path or "", r.value or "")


@cache
def _compiled() -> shacl_engine.Compiled:
    return shacl_engine.compile_shapes(shapes_graph())


_VOCABULARY = ox.NamedNode("urn:retningsgraf:validation-vocabulary")


@cache
def _vocabulary_quads() -> tuple[ox.Quad, ...]:
    return tuple(ox.Quad(to_ox(s), to_ox(p), to_ox(o), _VOCABULARY) for s, p, o in vocabulary_graph())


def _store_query(store: Store) -> shacl_engine.Query:
    """A query function over *store* plus the vocabulary, on Oxigraph.

    An Oxigraph store that holds the vocabulary (every seeded store does) is queried in place;
    any other store is copied into a scratch Oxigraph store first (a bulk load, which grows with the store).
    """
    raw = getattr(store, "_store", None)  # private to graph.store.core, but copying 400,000 quads is the alternative
    if isinstance(store, OxigraphStore) and isinstance(raw, ox.Store) and snapshot(store)[_HOLDS_VOCABULARY]:
        return lambda text: store._query(text, None)
    scratch = ox.Store()
    scratch.bulk_load(store.dump("nq"), format=ox.RdfFormat.N_QUADS)
    scratch.extend(_vocabulary_quads())
    return lambda text: scratch.query(text, use_default_graph_as_union=True)


def _holds_vocabulary(snap: Snapshot) -> bool:
    raw = getattr(snap.store, "_store", None)
    return isinstance(raw, ox.Store) and all(
        next(iter(raw.quads_for_pattern(q.subject, q.predicate, q.object)), None) is not None
        for q in _vocabulary_quads()
    )


#: Whether an Oxigraph store holds every vocabulary triple, so validation can query it in place.
_HOLDS_VOCABULARY: View[bool] = View("holds the vocabulary", build=_holds_vocabulary)


def _engine_report(findings: list[shacl_engine.Finding]) -> ValidationReport:
    """Turn the engine's findings into the results and SHACL report graph pySHACL would give."""
    shapes = shapes_graph()
    described: dict[tuple[Node, Node | None], tuple[str | None, str, str, str, list[Node]]] = {}
    results = []
    for finding in findings:
        shape = finding.shape
        key = (shape.node, finding.source_constraint)
        if key not in described:
            own = list(shapes.objects(finding.source_constraint, SH.message)) if finding.source_constraint else []
            literals = own or list(shapes.objects(shape.node, SH.message))
            messages = {**_messages(shapes.objects(shape.node, SH.message)), **_messages(literals)}
            fallback = next(iter(messages.values()), "")
            path = None if shape.path is None else render_path(shapes, shape.path)
            severity = str(shape.severity).rsplit("#", 1)[-1]
            described[key] = (path, severity, messages.get("da", fallback), messages.get("en", fallback), literals)
        path, severity, message, message_en, _ = described[key]
        focus = str(from_ox(finding.focus))
        value = None if finding.value is None else str(from_ox(finding.value))
        results.append(ValidationResult(focus, path, severity, message, message_en, str(shape.node), value))
    results.sort(key=_order)
    conforms = not any(r.severity == "Violation" for r in results)

    def build() -> Graph:
        return shacl_engine.report_graph(findings, shapes)

    return ValidationReport(conforms, results, build)


def validate_shapes(store: Store, engine: str = "oxigraph", focus: Iterable[Node] | None = None) -> ValidationReport:
    """Validate *store* against the data-quality shapes only (no gap rules).

    Args:
        store: Any store; an Oxigraph store holding the vocabulary is queried in place.
        engine: "oxigraph" (``graph.validation.engine``) or "pyshacl" (the reference, on ``store.union()``).
        focus: Only these focus nodes (all when None); their results are the ones a full
            validation has for them.

    Returns:
        The report of the core shapes.
    """
    if engine == "pyshacl":
        report = validate(store.union(), engine="pyshacl")
        if focus is None:
            return report
        wanted = {str(n) for n in focus}
        return _restricted(report, lambda r: r.focus in wanted)
    if engine != "oxigraph":
        raise ValueError(f"unknown validation engine {engine!r}; choose one of {ENGINES}")
    nodes = None if focus is None else set(focus)
    return _engine_report(shacl_engine.evaluate(_compiled(), _store_query(store), nodes))


def validate_store(store: Store, engine: str = "oxigraph") -> ValidationReport:
    """Validate everything in *store*: the data-quality shapes and the gap rules.

    The data-quality shapes run on ``graph.validation.engine`` (or pySHACL, with ``engine="pyshacl"``);
    each gap rule runs once over the whole store (see ``graph.validation.gaps``) and its results join the
    same report, in the SHACL report graph too.  The report of the default engine is the
    ``REPORT`` view: made once per store generation, and after a write brought up to date for
    what the write changed (:func:`refresh_after_write`) rather than made again.
    """
    if engine == "oxigraph":
        return snapshot(store)[REPORT].report
    return _with_gaps(validate_shapes(store, engine), run_rules(store))


def _with_gaps(core: ValidationReport, gaps: Iterable[GapResult]) -> ValidationReport:
    """Add the gap results to *core*'s results and (when it is built) to its report graph."""
    gaps = list(gaps)
    extra = [ValidationResult(g.focus, None, g.severity, g.message, g.message_en, g.shape, g.value) for g in gaps]
    results = sorted([*core.results, *extra], key=_order)

    def build() -> Graph:
        graph = core.graph
        report_node = next(graph.subjects(RDF.type, SH.ValidationReport), None) or BNode()
        for gap in gaps:
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
        # SHACL's sh:conforms is false as soon as there is any result, warnings and infos included
        # (ValidationReport.conforms, "no Violation", is what the CLI's exit code follows).
        graph.set((report_node, SH.conforms, Literal(next(graph.objects(report_node, SH.result), None) is None)))
        return graph

    return ValidationReport(core.conforms, results, build)


def _restricted(report: ValidationReport, keep: Callable[[ValidationResult], bool]) -> ValidationReport:
    results = [r for r in report.results if keep(r)]
    return ValidationReport(not any(r.severity == "Violation" for r in results), results, lambda: report.graph)


# Incremental validation ----------------------------------------------------------------


@dataclass(frozen=True)
class Touched:
    """What a write of some documents can change in a validation report.

    Attributes:
        nodes: Focus nodes of the data-quality shapes: the documents, the nodes they point at
            (owners, linked documents) and the documents that point at them.
        targets: Gap-rule targets: the documents, their owners, the planning-level areas above
            or below their disease areas and the NKRs on those areas.
    """

    nodes: frozenset[URIRef]
    targets: frozenset[URIRef]

    def __or__(self, other: Touched) -> Touched:
        return Touched(self.nodes | other.nodes, self.targets | other.targets)

    def covers(self, result: ValidationResult) -> bool:
        """True if *result* is about a node this write can change."""
        gap = result.shape.startswith(_GAP_SHAPE)
        return URIRef(result.focus) in (self.targets if gap else self.nodes)


_GAP_SHAPE = "https://w3id.org/retningsgraf/ontology#GapShape-"


def touched(store: Store, iris: Iterable[str | URIRef]) -> Touched:
    """Return the focus nodes and gap targets whose results a write of the documents *iris* can change.

    Call it before a write too when a document may lose links or areas (see :func:`refresh_after_write`):
    the nodes it pointed at before are touched as well.
    """
    nodes: set[URIRef] = set()
    targets: set[URIRef] = set()
    for iri in iris:
        doc = URIRef(str(iri))
        nodes.add(doc)
        targets.add(doc)
        # One pattern per query, ?doc first: a UNION would be evaluated before the binding applies.
        for name in ("validation_touched_links_out", "validation_touched_links_in"):
            nodes |= {r["node"] for r in store.select(query(name), {"doc": doc})}  # type: ignore[misc]
        targets |= {r["target"] for r in store.select(query("validation_touched_owners"), {"doc": doc})}  # type: ignore[misc]
        areas = {r["area"] for r in store.select(query("validation_touched_areas"), {"doc": doc})}
        if areas:
            targets |= {r["target"] for r in store.select(query("validation_touched_gap_targets"), {"area": areas})}  # type: ignore[misc]
    return Touched(
        frozenset(n for n in nodes if isinstance(n, URIRef)), frozenset(t for t in targets if isinstance(t, URIRef))
    )


def validate_document(store: Store, iri: str | URIRef, before: Touched | None = None) -> ValidationReport:
    """Validate one written document and what it touches, without validating the whole store.

    The data-quality shapes run for the nodes of :func:`touched` only (milliseconds however large the store is
    documents); the gap results are those of :func:`graph.validation.gaps.run_rules` for the touched
    targets, taken from the store generation's ``GAP_RESULTS`` view (all rules run once per write).

    Args:
        store: The store after the write.
        iri: The document written (created, changed or deleted).
        before: :func:`touched` taken before the write, so nodes the document no longer points
            at are validated too.

    Returns:
        The results a full validation has for the touched nodes and targets.
    """
    scope = touched(store, [iri]) | (before or Touched(frozenset(), frozenset()))
    core = validate_shapes(store, focus=scope.nodes)
    targets = {str(t) for t in scope.targets}
    return _with_gaps(core, (g for g in run_rules(store) if g.focus in targets))


def refresh_after_write(
    store: Store, iris: Iterable[str | URIRef], before: Touched | None, previous: ValidationReport
) -> ValidationReport:
    """Bring a full report up to date after a write of the documents *iris*.

    The previous report's results for the touched nodes are replaced by fresh ones; the rest are
    kept.  The gap rules are run again over the whole store (once per generation, the
    ``GAP_RESULTS`` view): their document-side sub-selects cost the same with ``$this`` bound, so
    rerunning them all is the fastest exact answer.

    Args:
        store: The store after the write.
        iris: The documents written.
        before: :func:`touched` for *iris*, taken before the write.
        previous: The full report before the write.

    Returns:
        The report a full validation of the store gives now.
    """
    scope = touched(store, iris) | (before or Touched(frozenset(), frozenset()))
    return _refreshed(store, previous, scope.nodes, run_rules(store))


def _refreshed(
    store: Store, previous: ValidationReport, nodes: frozenset[URIRef], gaps: list[GapResult]
) -> ValidationReport:
    kept = [r for r in previous.results if not r.shape.startswith(_GAP_SHAPE) and URIRef(r.focus) not in nodes]
    results = sorted([*kept, *validate_shapes(store, focus=nodes).results], key=_order)
    conforms = not any(r.severity == "Violation" for r in results)

    def build() -> Graph:
        graph = Graph()
        report_node = BNode()
        graph.add((report_node, RDF.type, SH.ValidationReport))
        graph.add((report_node, SH.conforms, Literal(not results)))  # SHACL: any result, of any severity
        _result_graph(graph, report_node, results)
        return graph

    return _with_gaps(ValidationReport(conforms, results, build), gaps)


# The report as a view ------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """The full report of one store generation, with what its update needs of that generation.

    Attributes:
        report: What :func:`validate_store` returns.
        pointers: For each subject, the nodes it points at by a predicate some shape reads
            backwards (:func:`_read_backwards`).  After a write, a changed subject's old entry
            names the nodes whose results its old links could have decided: a document that
            no longer replaces a superseded one changes that one's result, and the store no
            longer says it ever did.
    """

    report: ValidationReport
    pointers: dict[str, frozenset[str]]


# More subjects written than this: the update would ask more of the store than validating it all.
REFRESH_LIMIT = 200


@cache
def _read_backwards() -> frozenset[URIRef] | None:
    """The predicates the shapes read from object to subject (``sh:inversePath``, ``sh:targetObjectsOf``).

    None when an inverse path wraps a path that is not one predicate: then no such list is
    known and a write makes the report be validated afresh.  A SPARQL constraint reads what its
    query says; the shipped ones read backwards only through their ``sh:path`` (``$PATH``).
    """
    shapes = shapes_graph()
    found = [*shapes.objects(None, SH.inversePath), *shapes.objects(None, SH.targetObjectsOf)]
    if not all(isinstance(p, URIRef) for p in found):
        return None
    return frozenset(p for p in found if isinstance(p, URIRef))


def _pointers(store: Store, subjects: Iterable[str] | None = None) -> dict[str, frozenset[str]]:
    predicates = _read_backwards()
    if not predicates:
        return {}
    bindings: dict[str, Any] = {"p": predicates}
    if subjects is not None:
        bindings["s"] = {URIRef(s) for s in subjects}
        if not bindings["s"]:
            return {}
    found: dict[str, set[str]] = {}
    for row in store.select(query("validation_pointers"), bindings):
        found.setdefault(str(row["s"]), set()).add(str(row["o"]))
    return {s: frozenset(nodes) for s, nodes in found.items()}


def _validate(snap: Snapshot) -> Validation:
    assert snap.store is not None
    report = _with_gaps(validate_shapes(snap.store), snap[GAP_RESULTS])
    return Validation(report, _pointers(snap.store))


def _update(snap: Snapshot, old: Validation, changed: frozenset[str]) -> Validation | None:
    """The report after a write of the subjects *changed*: their results and their neighbours' made again."""
    if len(changed) > REFRESH_LIMIT or _read_backwards() is None:
        return None
    assert snap.store is not None
    pointed = {URIRef(node) for subject in changed for node in old.pointers.get(subject, ())}
    nodes = touched(snap.store, changed).nodes | pointed
    pointers = {subject: found for subject, found in old.pointers.items() if subject not in changed}
    pointers.update(_pointers(snap.store, changed))
    return Validation(_refreshed(snap.store, old.report, nodes, snap[GAP_RESULTS]), pointers)


#: The full report of the data-quality shapes and the gap rules (the default engine's).
REPORT: View[Validation] = View("validation report", build=_validate, update=_update)


def _result_graph(graph: Graph, report_node: Node, results: Iterable[ValidationResult]) -> None:
    """Write *results* into a report graph: focus, path, severity, shape, value and messages."""
    shapes = shapes_graph()
    for result in results:
        node = BNode()
        shape = URIRef(result.shape)
        graph.add((report_node, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, _term(result.focus)))
        graph.add((node, SH.resultSeverity, SH[result.severity]))
        graph.add((node, SH.sourceShape, shape))
        path = shapes.value(shape, SH.path)
        if path is not None:
            graph.add((node, SH.resultPath, path))
            if isinstance(path, BNode):
                shacl_engine.copy_path(shapes, path, graph)
        if result.value is not None:
            # The flattened result keeps only the value's text: an IRI comes back as an IRI, anything else as text.
            graph.add((node, SH.value, _term(result.value, literal=True)))
        for message in shapes.objects(shape, SH.message):
            graph.add((node, SH.resultMessage, message))


def _term(text: str, literal: bool = False) -> Node:
    if re.match(r"^[a-z][a-z0-9+.-]*:[^\s]*$", text, re.IGNORECASE) and not text.startswith("_:"):
        return URIRef(text)
    return Literal(text) if literal else BNode(text)


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
    tens of milliseconds per parse, more than the validation of a write itself.
    """

    def query(self, query_object: str | Query, *args: Any, **kwargs: Any) -> Result:
        """Run *query_object*, reusing the parsed form of a query text seen before."""
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


@lru_cache(maxsize=64)  # a pure function of the text: the shapes' queries, shipped with the code
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
        path=render_path(source, path) if path is not None else None,
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        message=messages.get("da", fallback),
        message_en=messages.get("en", fallback),
        shape=str(shape),
        value=str(value) if value is not None else None,
    )


def _messages(literals: Iterable[Node]) -> dict[str | None, str]:
    return {m.language: str(m) for m in literals if isinstance(m, Literal)}


def render_path(graph: Graph, path: Node) -> str:
    """Return a SHACL property path in SPARQL property path syntax (known namespaces as prefixes)."""
    if not isinstance(path, BNode):
        return _compact(str(path))
    if (path, RDF.first, None) in graph:
        return "/".join(render_path(graph, step) for step in Collection(graph, path))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(render_path(graph, a) for a in Collection(graph, alternatives)) + ")"
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(render_path(graph, inner))
    return str(path)


def _compact(iri: str) -> str:
    """Return *iri* as ``prefix:local`` when a known prefix fits, else unchanged."""
    for prefix, namespace in _PREFIXES.items():
        if iri.startswith(namespace) and "/" not in iri[len(namespace) :]:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri
