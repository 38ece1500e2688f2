"""Run SHACL Core (and SHACL-SPARQL constraints) set-at-a-time on Oxigraph.

pySHACL walks focus node by focus node through rdflib.  This engine reads the shapes once and asks
Oxigraph about all focus nodes at once: each shape's targets; per property path, the subjects with
too few or too many values (``GROUP BY ... HAVING``), and the distinct values, which are checked
once each (datatype, pattern, in, class, node kind, lengths, ranges, languages, and the shape-based
components recursively), before the (focus, value) pairs of only the failing values are fetched;
property pairs and ``sh:closed`` as one query each; and each SHACL-SPARQL constraint once with
``$this`` unbound.  For a few focus nodes the same questions carry the nodes as ``VALUES``, so
incremental validation does not grow with the store.

Whatever it cannot answer exactly is refused with :class:`UnsupportedShape` when the shapes are
read, never skipped: SPARQL-based constraint components, a SPARQL constraint whose query does not
bind ``$this`` by a triple pattern of its outermost group (run with ``$this`` unbound it would not
be pre-binding), ``$shapesGraph``, and unknown ``sh:`` terms.  ``graph.validation.shacl`` then
falls back to pyshacl-turbo.  Tested: the W3C SHACL suite (``tests/w3c/test_shacl_suite.py``) and
pySHACL's results on every project fixture (``tests/graph/test_shacl_engine.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from graph.store.core import from_ox, to_ox
from graph.store.namespaces import RDF, SH

__all__ = ["Compiled", "Finding", "UnsupportedShape", "compile_shapes", "evaluate", "report_graph"]

# A function that runs a SELECT query over the data and returns pyoxigraph's QuerySolutions.
Query = Callable[[str], Any]

_TARGETS = {SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf}
# Parameters that describe or group a shape without constraining its nodes.
_DESCRIPTIVE = {
    RDF.type,
    SH.property,
    SH.path,
    SH.severity,
    SH.message,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.flags,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.ignoredProperties,
    SH.qualifiedValueShapesDisjoint,
    SH.prefixes,
    SH.select,  # a shape that is also its own SPARQL constraint: read through sh:sparql
    URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
    URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
    URIRef("http://www.w3.org/2000/01/rdf-schema#isDefinedBy"),
} | _TARGETS
_COMPONENTS = {
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.qualifiedValueShape: SH.QualifiedMinCountConstraintComponent,  # or QualifiedMaxCount, chosen per result
    SH.sparql: SH.SPARQLConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
    SH.closed: SH.ClosedConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
}
# SPARQL's comparison for each value-range parameter: a value conforms when "value OP limit" is true.
_RANGES = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
# Components whose value is another property of the focus node (SHACL 4.5).
_PAIRS = {SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals}
_CLASSES = {URIRef("http://www.w3.org/2000/01/rdf-schema#Class"), URIRef("http://www.w3.org/2002/07/owl#Class")}
_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
_TYPE = f"<{RDF.type}>"


class UnsupportedShape(ValueError):
    """The shapes use a SHACL feature this engine does not implement."""


@dataclass(eq=False)
class _Shape:
    node: Node
    path: Node | None
    sparql_path: str | None
    severity: URIRef
    targets: list[tuple[URIRef, Node]]
    constraints: list[tuple[URIRef, Any]]
    properties: list[_Shape] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """One top-level result: the focus node, the shape and component that fired, and the value."""

    focus: Node
    shape: _Shape
    component: URIRef
    value: Node | None
    source_constraint: Node | None = None
    path: Any | None = None  # a SHACL-SPARQL row's own ?path (an Oxigraph IRI), else the shape's path


@dataclass
class Compiled:
    """The shapes graph read once into shapes the evaluator walks."""

    graph: Graph
    shapes: dict[Node, _Shape]
    top: list[_Shape]


def compile_shapes(graph: Graph) -> Compiled:
    """Read every shape of *graph* and check that the engine supports all it uses.

    Raises:
        UnsupportedShape: a constraint parameter or path the engine does not implement.
    """
    shapes: dict[Node, _Shape] = {}
    # Parameters of SPARQL-based constraint components the shapes graph declares (SHACL 6): not implemented.
    custom = {graph.value(parameter, SH.path) for parameter in graph.objects(None, SH.parameter)}

    def build(node: Node) -> _Shape:
        if node in shapes:
            return shapes[node]
        path = graph.value(node, SH.path)
        shape = _Shape(
            node=node,
            path=path,
            sparql_path=None if path is None else _sparql_path(graph, path),
            severity=graph.value(node, SH.severity) or SH.Violation,  # type: ignore[assignment]
            targets=[(p, o) for p in _TARGETS for o in graph.objects(node, p)],  # type: ignore[misc]
            constraints=[],
        )
        if any((node, RDF.type, c) in graph for c in _CLASSES):
            # An implicit class target: a shape that is also a class targets its instances (SHACL 2.1.3.3).
            shape.targets.append((SH.targetClass, node))  # type: ignore[arg-type]
        shapes[node] = shape
        if (node, SH.deactivated, Literal(True)) in graph:
            return shape  # a deactivated shape has no constraints: every node conforms (SHACL 2.1.5)
        for p, o in sorted(graph.predicate_objects(node)):
            if p in _DESCRIPTIVE:
                continue
            if p in custom:
                raise UnsupportedShape(f"{node}: {p} is a parameter of a SPARQL-based constraint component")
            if p not in _COMPONENTS:
                if str(p).startswith(str(SH)):
                    raise UnsupportedShape(f"{node}: {p} is not implemented by graph.validation.engine")
                continue  # not a SHACL parameter (rdfs:subClassOf of a shape that is a class, say)
            shape.constraints.append((p, _parameter(graph, node, p, o, build)))
        shape.properties = [build(p) for p in sorted(graph.objects(node, SH.property))]
        return shape

    typed = set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))
    targeted = {s for p in _TARGETS for s in graph.subjects(p, None)}
    targeted |= {s for s in typed if any((s, RDF.type, c) in graph for c in _CLASSES)}
    for node in sorted(typed | targeted):
        build(node)
    top = [shapes[n] for n in sorted(targeted)]
    return Compiled(graph, shapes, top)


def _parameter(graph: Graph, shape: Node, p: URIRef, o: Node, build: Callable[[Node], _Shape]) -> Any:
    if p in (SH.node, SH.qualifiedValueShape):
        inner = build(o)
        if p == SH.qualifiedValueShape:
            low, high = graph.value(shape, SH.qualifiedMinCount), graph.value(shape, SH.qualifiedMaxCount)
            siblings: list[_Shape] = []
            if (shape, SH.qualifiedValueShapesDisjoint, Literal(True)) in graph:
                # The qualified value shapes of the other property shapes of this shape's parents (SHACL 4.7.3).
                for parent in graph.subjects(SH.property, shape):
                    for other in graph.objects(parent, SH.property):
                        sibling = graph.value(other, SH.qualifiedValueShape)
                        if other != shape and sibling is not None:
                            siblings.append(build(sibling))
            return (
                inner,
                None if low is None else int(low),  # type: ignore[call-overload]
                None if high is None else int(high),  # type: ignore[call-overload]
                siblings,
            )
        return inner
    if p in (SH["or"], SH["and"], SH.xone):
        return [build(s) for s in Collection(graph, o)]
    if p == SH["not"]:
        return build(o)
    if p in _RANGES:
        return str(to_ox(o))
    if p in (SH.minLength, SH.maxLength):
        return int(o)  # type: ignore[call-overload]
    if p == SH.languageIn:
        return [str(tag).lower() for tag in Collection(graph, o)]
    if p == SH.closed:
        ignored = graph.value(shape, SH.ignoredProperties)
        return o == Literal(True), frozenset(to_ox(i) for i in (Collection(graph, ignored) if ignored else ()))
    if p in _PAIRS:
        if not isinstance(o, URIRef):
            raise UnsupportedShape(f"{shape}: {p} needs an IRI")
        return f"<{o}>"
    if p == SH["in"]:
        return {to_ox(member) for member in Collection(graph, o)}
    if p == SH.hasValue:
        return to_ox(o)
    if p in (SH.minCount, SH.maxCount):
        return int(o)  # type: ignore[call-overload]
    if p == SH.uniqueLang:
        # Only the literal true switches the constraint on; "1"^^xsd:boolean does not (W3C uniqueLang-002).
        return o == Literal(True)
    if p == SH.pattern:
        flags = str(graph.value(shape, SH.flags) or "").lower()
        return re.compile(str(o), (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0))
    if p == SH.sparql:
        return _sparql_constraint(graph, shape, o)
    return o


def _sparql_constraint(graph: Graph, shape: Node, constraint: Node) -> tuple[Node, str]:
    select = graph.value(constraint, SH.select)
    if select is None or graph.value(constraint, SH.ask) is not None:
        raise UnsupportedShape(f"{shape}: only sh:select SPARQL constraints are implemented")
    prefixes = []
    declarers, todo = set(), list(graph.objects(constraint, SH.prefixes))
    while todo:  # sh:prefixes, and the ontologies those owl:import (SHACL 5.2.1)
        declarer = todo.pop()
        if declarer not in declarers:
            declarers.add(declarer)
            todo += graph.objects(declarer, URIRef("http://www.w3.org/2002/07/owl#imports"))
    for declarer in declarers:
        for declaration in graph.objects(declarer, SH.declare):
            prefixes.append(f"PREFIX {graph.value(declaration, SH.prefix)}: <{graph.value(declaration, SH.namespace)}>")
    text = str(select)
    path = graph.value(shape, SH.path)
    if "$PATH" in text:
        if path is None:
            raise UnsupportedShape(f"{shape}: $PATH in a node shape")
        text = text.replace("$PATH", _sparql_path(graph, path))
    if re.search(r"[$?]shapesGraph\b", text):
        raise UnsupportedShape(f"{shape}: $shapesGraph (the shapes graph as a named graph) is not supported")
    if isinstance(shape, URIRef):
        text = re.sub(r"[$?]currentShape\b", f"<{shape}>", text)
    if re.search(r"\$(?!this\b)\w+", text):
        raise UnsupportedShape(f"{shape}: only $this, $PATH and $currentShape are pre-bound by graph.validation.engine")
    text = "\n".join(sorted(prefixes)) + "\n" + re.sub(r"\$this\b", "?this", text)
    if not _joins_this(text):
        raise UnsupportedShape(
            f"{shape}: the SPARQL constraint does not bind $this by a triple pattern of its outermost group,"
            " so running it once with $this unbound would not be pre-binding"
        )
    return constraint, text


_NESTING = re.compile(r"\b(OPTIONAL|MINUS|VALUES|SERVICE|GRAPH)\b|\bSELECT\b.*\bSELECT\b", re.IGNORECASE | re.DOTALL)


def _binds_with_this(body: str) -> bool:
    """True when a BIND expression reads ?this (evaluated where it stands, maybe before ?this is bound)."""
    for start in re.finditer(r"\bBIND\s*\(", body, re.IGNORECASE):
        depth, end = 1, start.end()
        while depth and end < len(body):
            depth += {"(": 1, ")": -1}.get(body[end], 0)
            end += 1
        if re.search(r"\?this\b", body[start.end() : end]):
            return True
    return False


def _joins_this(text: str) -> bool:
    """True when running *text* once with ?this unbound gives, per focus node, the rows of pre-binding it.

    That holds when ?this is bound by a triple pattern of the outermost group (so every other use of
    it, in FILTERs, EXISTS, UNION branches, sees it bound) and nothing in the query is evaluated
    before that join (OPTIONAL, MINUS, VALUES, a BIND reading ?this, sub-selects, GRAPH).  Anything else is refused
    (W3C tests pre-binding-002..005 and 007 fail otherwise); pySHACL pre-binds per focus node.
    """
    body = re.sub(r'"""(.|\n)*?"""|"[^"\n]*"|<[^>\s]*>|#[^\n]*', " ", text)  # strings, IRIs, comments
    if _NESTING.search(body) or _binds_with_this(body):
        return False
    where = re.search(r"\bWHERE\s*\{", body, re.IGNORECASE) or re.search(r"\{", body)
    if where is None:
        return False
    # One entry per open group: [is an EXISTS body, binds ?this by a triple pattern, uses it in an
    # expression, parenthesis depth inside it].  A group other than the outermost that uses ?this
    # without binding it is evaluated before the join that binds it (W3C pre-binding-005).
    stack = [[False, False, False, 0]]
    for position in range(where.end(), len(body)):
        char, group = body[position], stack[-1]
        if char == "{":
            stack.append([bool(re.search(r"EXISTS\s*$", body[:position], re.IGNORECASE)), False, False, 0])
        elif char == "}":
            exists, binds, uses, _ = stack.pop()
            if not stack:
                return binds
            if exists:
                stack[-1][2] |= binds or uses
            elif uses and not binds:
                return False
        elif char in "()":
            group[3] += 1 if char == "(" else -1
        elif re.match(r"\?this\b", body[position:]):
            group[1 if group[3] == 0 else 2] = True
    return False


def _sparql_path(graph: Graph, path: Node) -> str:
    """Return a SHACL property path as SPARQL property path syntax with full IRIs."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (path, RDF.first, None) in graph:
        return "(" + "/".join(_sparql_path(graph, step) for step in Collection(graph, path)) + ")"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_sparql_path(graph, a) for a in Collection(graph, alternatives)) + ")"
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(_sparql_path(graph, inner))
    raise UnsupportedShape(f"unknown property path {path}")


class _Data:
    """Whole-graph answers, each asked once per evaluation and cached."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self._sets: dict[tuple[Any, ...], set[Any]] = {}
        self._terms: dict[Any, Node] = {}

    def rdflib(self, term: Any) -> Node:
        """Rdflib's reading of an Oxigraph term (normalised lexical form, ``ill_typed``), once per term."""
        found = self._terms.get(term)
        if found is None:
            found = self._terms[term] = from_ox(term)
        return found

    def solutions(self, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        solutions = self.query(text)
        names = [v.value for v in solutions.variables]
        width = range(len(names))
        if len(names) == 1:
            return names, [(s[0],) for s in solutions]
        return names, [tuple(s[i] for i in width) for s in solutions]

    def rows(self, text: str) -> list[tuple[Any, ...]]:
        return self.solutions(text)[1]

    def cached(self, key: tuple[Any, ...], text: str) -> set[Any]:
        """The first column of *text*'s rows, as a set, asked once per evaluation."""
        if key not in self._sets:
            self._sets[key] = {s[0] for s in self.query(text)}
        return self._sets[key]

    def distinct_values(self, path: str, scope: str | None) -> set[Any]:
        """The values of *path* for the nodes *scope* binds to ?s (all subjects when None)."""
        return self.cached(("values", path, scope), f"SELECT DISTINCT ?o WHERE {{ {scope or ''} ?s {path} ?o }}")

    def at_least(self, path: str, count: int, among: frozenset[Any] | None = None) -> set[Any]:
        """The subjects with at least *count* distinct values of *path* (only values in *among*, if given)."""
        return self._counted(path, ">=", count, among, None)

    def more_than(self, path: str, count: int, among: frozenset[Any] | None, scope: str | None) -> set[Any]:
        """The subjects in *scope* with more than *count* distinct values of *path* (only values in *among*)."""
        return self._counted(path, ">", count, among, scope)

    def _counted(self, path: str, op: str, count: int, among: frozenset[Any] | None, scope: str | None) -> set[Any]:
        if among is not None and any(isinstance(v, ox.BlankNode) for v in among):
            # A blank node cannot be written in VALUES: count the path's values in Python.
            pairs = {(s, o) for s, o in self.rows(f"SELECT ?s ?o WHERE {{ {scope or ''} ?s {path} ?o }}") if o in among}
            counts = Counter(s for s, _ in pairs)
            return {s for s, n in counts.items() if (n >= count if op == ">=" else n > count)}
        values = "" if among is None else f"VALUES ?o {{ {' '.join(sorted(map(str, among)))} }} "
        having = "" if (op, count) == (">=", 1) else f" GROUP BY ?s HAVING (COUNT(DISTINCT ?o) {op} {count})"
        text = f"SELECT DISTINCT ?s WHERE {{ {scope or ''} {values}?s {path} ?o }}{having}"
        return self.cached(("count", path, op, count, among, scope), text)

    def pairs(self, path: str, values: set[Any], scope: str | None) -> list[tuple[Any, Any]]:
        """The (subject, value) pairs of *path* whose value is one of *values* (few: the failing ones)."""
        scan = f"SELECT ?s ?o WHERE {{ {scope or ''} ?s {path} ?o }}"
        if any(isinstance(v, ox.BlankNode) for v in values):
            # A blank node cannot be written in VALUES: scan the path instead.
            rows = self.rows(scan)
        else:
            listed = " ".join(sorted(map(str, values)))
            try:
                rows = self.rows(f"SELECT ?s ?o WHERE {{ {scope or ''} VALUES ?o {{ {listed} }} ?s {path} ?o }}")
            except SyntaxError:  # an ill-formed literal the query parser refuses
                rows = self.rows(scan)
        return sorted({(s, o) for s, o in rows if o in values}, key=str)

    def instances_among(self, cls: Node, nodes: set[Any]) -> set[Any]:
        """The nodes that are instances of *cls* (``rdf:type/rdfs:subClassOf*``)."""
        scope = _values_pattern(nodes, "?x")
        if scope is None:
            text = f"SELECT DISTINCT ?x WHERE {{ ?x {_TYPE}/{_SUBCLASS}* <{cls}> }}"
            return nodes & self.cached(("instances", cls), text)
        text = f"SELECT DISTINCT ?x WHERE {{ {scope} ?x {_TYPE}/{_SUBCLASS}* <{cls}> }}"
        return nodes & self.cached(("instances", cls, scope), text)


def evaluate(compiled: Compiled, query: Query, focus: set[Node] | None = None) -> list[Finding]:
    """Validate the data behind *query* against the compiled shapes.

    Args:
        compiled: From :func:`compile_shapes`.
        query: Runs a SELECT over the data graph (the vocabulary included) and yields rows of
            pyoxigraph terms.
        focus: Only report results for these focus nodes (all targets when None).

    Returns:
        One finding per top-level validation result, as pySHACL reports them.
    """
    data = _Data(query)
    findings: list[Finding] = []
    memo: _Memo = {}
    wanted = None if focus is None else {to_ox(n) for n in focus}
    scope = None if wanted is None else _values_pattern(wanted)
    for shape in compiled.top:
        pattern = _target_pattern(shape)
        nodes = data.cached(("targets", pattern, scope), f"SELECT DISTINCT ?s WHERE {{ {scope or ''} {pattern} }}")
        if wanted is not None:
            nodes = nodes & wanted
        if nodes:
            findings += _evaluate(shape, nodes, data, memo, _values_pattern(nodes))
    return findings


# Per shape: the nodes already checked against it, and those of them that failed.
_Memo = dict[Node, tuple[set[Node], set[Node]]]


# Up to this many nodes are written into a query as VALUES; for more, one whole-graph query per path
# (one pass over the targets) beats a join with a long VALUES block or the targets.
_FEW = 1000


def _target_pattern(shape: _Shape) -> str:
    """A SPARQL group that binds ?s to each target of *shape*, as SHACL defines targets."""
    parts = []
    for kind, term in sorted(shape.targets):
        if kind == SH.targetClass:
            parts.append(f"{{ ?s {_TYPE}/{_SUBCLASS}* <{term}> }}")
        elif kind == SH.targetSubjectsOf:
            parts.append(f"{{ ?s <{term}> ?target }}")
        elif kind == SH.targetObjectsOf:
            parts.append(f"{{ ?target <{term}> ?s }}")
        elif isinstance(term, BNode):
            raise UnsupportedShape(f"{shape.node}: a blank node as sh:targetNode")
        else:
            parts.append(f"{{ VALUES ?s {{ {to_ox(term)} }} }}")
    return " UNION ".join(parts)


def _values_pattern(nodes: set[Any], variable: str = "?s") -> str | None:
    """``VALUES ?s { ... }`` for a few *nodes*; None for many (a whole-graph query is cheaper) or blank nodes."""
    if len(nodes) > _FEW or any(isinstance(n, ox.BlankNode) for n in nodes):
        return None
    return f"VALUES {variable} {{ {' '.join(sorted(map(str, nodes)))} }}"


def _failing(shape: _Shape, nodes: set[Node], data: _Data, memo: _Memo) -> set[Node]:
    """The nodes among *nodes* that do not conform to *shape* (any result of any severity)."""
    done, bad = memo.setdefault(shape.node, (set(), set()))
    todo = nodes - done
    if todo:
        bad |= {f.focus for f in _evaluate(shape, todo, data, memo, _values_pattern(todo))}
        done |= todo
    return bad & nodes


def _evaluate(shape: _Shape, nodes: set[Any], data: _Data, memo: _Memo, pattern: str | None) -> list[Finding]:
    """Check *nodes* against *shape*: counts in SPARQL, values once per distinct value in Python.

    *pattern* is a SPARQL group binding ?s to exactly *nodes* (their targets, or VALUES), so a
    missing value is asked as ``FILTER NOT EXISTS`` and only the failing nodes come back; None
    when *nodes* cannot be written in SPARQL (blank nodes).
    """
    findings: list[Finding] = []
    path = shape.sparql_path
    for parameter, argument in shape.constraints:
        component = _COMPONENTS[parameter]

        def add(focus: Any, value: Any | None, component: URIRef = component) -> None:
            findings.append(Finding(focus, shape, component, value))

        if parameter == SH.sparql:
            findings.extend(_sparql(shape, argument, nodes, data, pattern))
        elif parameter == SH.closed:
            if path is not None:
                raise UnsupportedShape(f"{shape.node}: sh:closed on a property shape")
            if argument[0]:
                findings.extend(_closed(shape, argument[1], nodes, data, pattern))
        elif parameter in _PAIRS:
            for n, v in _pair_failures(shape, parameter, argument, nodes, data, pattern):
                add(n, v)
        elif parameter == SH.uniqueLang:
            if path is None:
                raise UnsupportedShape(f"{shape.node}: sh:uniqueLang on a node shape")
            if argument:
                findings.extend(_unique_lang(shape, nodes, data, pattern))
        elif path is None:
            # A node-level constraint: the focus node is its own value node (reported as sh:value,
            # except for sh:hasValue: w3c/data-shapes#111).
            for v in nodes - _conforming(parameter, argument, nodes, data, memo):
                add(v, None if parameter == SH.hasValue else v)
        elif parameter == SH.minCount:
            for n in _too_few(nodes, pattern, path, argument, None, data) if argument > 0 else ():
                add(n, None)
        elif parameter == SH.maxCount:
            for n in nodes & data.more_than(path, argument, None, pattern):
                add(n, None)
        elif parameter == SH.hasValue:
            for n in _too_few(nodes, pattern, path, 1, frozenset((argument,)), data):
                add(n, None)
        elif parameter == SH.qualifiedValueShape:
            inner, low, high, siblings = argument
            values = data.distinct_values(path, pattern)
            bad = _failing(inner, values, data, memo)
            for sibling in siblings:  # disjoint: a value that also conforms to a sibling does not count
                bad |= values - _failing(sibling, values, data, memo)
            good = None if not bad else frozenset(values - bad)
            if high is not None:
                for n in nodes & (data.more_than(path, high, good, pattern) if good != frozenset() else set()):
                    add(n, None, SH.QualifiedMaxCountConstraintComponent)
            if low is not None and low > 0:
                short = nodes if good == frozenset() else _too_few(nodes, pattern, path, low, good, data)
                for n in short:
                    add(n, None, SH.QualifiedMinCountConstraintComponent)
        else:
            values = data.distinct_values(path, pattern)
            bad = values - _conforming(parameter, argument, values, data, memo)
            if bad:
                for n, v in data.pairs(path, bad, pattern):
                    if n in nodes:
                        add(n, v)
    if shape.properties and path is not None:
        # A property shape's own sh:property validates its value nodes (SHACL 4.8.2), once per focus
        # node that has the value: a value shared by two focus nodes gives its results twice (property-001).
        holders = Counter(o for s, o in _pairs_of(nodes, path, data, pattern))
        inner = _values_pattern(set(holders))
        for prop in shape.properties:
            for finding in _evaluate(prop, set(holders), data, memo, inner):
                findings.extend([finding] * holders[finding.focus])
    else:
        for prop in shape.properties:
            findings.extend(_evaluate(prop, nodes, data, memo, pattern))
    return findings


def _pairs_of(nodes: set[Any], path: str, data: _Data, pattern: str | None) -> set[tuple[Any, Any]]:
    """The (node, value) pairs of *path* for exactly *nodes*."""
    return {
        (s, o) for s, o in data.rows(f"SELECT DISTINCT ?s ?o WHERE {{ {pattern or ''} ?s {path} ?o }}") if s in nodes
    }


def _closed(shape: _Shape, ignored: frozenset[Any], nodes: set[Any], data: _Data, pattern: str | None) -> list[Finding]:
    """One result per triple of a focus node whose predicate no sh:property path names (SHACL 4.8.1)."""
    allowed = {to_ox(p.path) for p in shape.properties if isinstance(p.path, URIRef)} | ignored
    rows = data.rows(f"SELECT ?s ?p ?o WHERE {{ {pattern or ''} ?s ?p ?o }}")
    return [
        Finding(s, shape, SH.ClosedConstraintComponent, o, path=p)
        for s, p, o in sorted(rows, key=str)
        if s in nodes and p not in allowed
    ]


def _pair_failures(
    shape: _Shape, parameter: URIRef, other: str, nodes: set[Any], data: _Data, pattern: str | None
) -> list[tuple[Any, Any]]:
    """(focus, value) of each failing value of sh:equals, sh:disjoint, sh:lessThan(OrEquals) (SHACL 4.5)."""
    scope = pattern or ""
    mine = "?s" if shape.path is None else "?v"
    own = "BIND (?s AS ?v)" if shape.path is None else f"?s {shape.sparql_path} ?v ."
    if parameter in (SH.lessThan, SH.lessThanOrEquals):
        if shape.path is None:
            raise UnsupportedShape(f"{shape.node}: {parameter} on a node shape")
        op = "<" if parameter == SH.lessThan else "<="
        # One result per failing pair of values (W3C lessThan-002), so ?w is kept in the rows.
        text = f"SELECT DISTINCT ?s ?v ?w WHERE {{ {scope} {own} ?s {other} ?w FILTER (!COALESCE(?v {op} ?w, false)) }}"
        return sorted(((s, v) for s, v, _ in data.rows(text) if s in nodes), key=str)
    elif parameter == SH.disjoint:
        texts = [f"SELECT DISTINCT ?s ?v WHERE {{ {scope} {own} ?s {other} ?v }}"]
    else:  # equals: values on one side only, from either side
        texts = [
            f"SELECT DISTINCT ?s ?v WHERE {{ {scope} {own} FILTER NOT EXISTS {{ ?s {other} {mine} }} }}",
            f"SELECT DISTINCT ?s ?v WHERE {{ {scope} ?s {other} ?v . "
            + (
                "FILTER (?v != ?s) }" if shape.path is None else f"FILTER NOT EXISTS {{ ?s {shape.sparql_path} ?v }} }}"
            ),
        ]
    if not pattern:
        texts = [
            t.replace("WHERE {  ", "WHERE { ?s ?anyPredicate ?anyObject . ", 1) if shape.path is None else t
            for t in texts
        ]
    found = {(s, v) for text in texts for s, v in data.rows(text) if s in nodes}
    return sorted(found, key=str)


def _too_few(
    nodes: set[Any], pattern: str | None, path: str, count: int, among: frozenset[Any] | None, data: _Data
) -> set[Any]:
    """The nodes with fewer than *count* distinct values of *path* (counting only values in *among*)."""
    if pattern is None or (among is not None and any(isinstance(v, ox.BlankNode) for v in among)):
        return nodes - data.at_least(path, count, among)
    values = "" if among is None else f"VALUES ?o {{ {' '.join(sorted(map(str, among)))} }} "
    if count == 1:
        text = f"SELECT DISTINCT ?s WHERE {{ {pattern} FILTER NOT EXISTS {{ {values}?s {path} ?o }} }}"
    else:
        text = (
            f"SELECT ?s WHERE {{ {pattern} OPTIONAL {{ {values}?s {path} ?o }} }} "
            f"GROUP BY ?s HAVING (COUNT(DISTINCT ?o) < {count})"
        )
    return nodes & data.cached(("few", pattern, path, count, among), text)


def _conforming(parameter: URIRef, argument: Any, values: set[Node], data: _Data, memo: _Memo) -> set[Node]:
    """The values that satisfy one value-by-value constraint component."""
    if parameter == SH["class"]:
        return data.instances_among(argument, values)
    if parameter == SH.node:
        return values - _failing(argument, values, data, memo)
    if parameter == SH["or"]:
        ok: set[Node] = set()
        for alternative in argument:
            ok |= values - _failing(alternative, values - ok, data, memo)
        return ok
    if parameter == SH["in"]:
        return values & argument
    if parameter == SH.pattern:
        return {v for v in values if not isinstance(v, ox.BlankNode) and argument.search(_lexical(v, data))}
    if parameter == SH.datatype:
        return {v for v in values if _ox_has_datatype(v, argument, data)}
    if parameter == SH.hasValue:
        return values & {argument}
    if parameter == SH["not"]:
        return _failing(argument, values, data, memo)
    if parameter == SH["and"]:
        bad: set[Node] = set()
        for part in argument:
            bad |= _failing(part, values - bad, data, memo)
        return values - bad
    if parameter == SH.xone:
        passes = Counter(v for part in argument for v in values - _failing(part, values, data, memo))
        return {v for v in values if passes[v] == 1}
    if parameter == SH.nodeKind:
        return {v for v in values if _kind(v) in _NODE_KINDS.get(argument, ())}
    if parameter in (SH.minLength, SH.maxLength):
        ok = (lambda n: n >= argument) if parameter == SH.minLength else (lambda n: n <= argument)
        return {v for v in values if not isinstance(v, ox.BlankNode) and ok(len(v.value))}
    if parameter == SH.languageIn:
        return {v for v in values if isinstance(v, ox.Literal) and v.language and _lang_in(v.language, argument)}
    if parameter in _RANGES:
        return _in_range(values, _RANGES[parameter], argument, data)
    raise UnsupportedShape(f"{parameter} is not implemented by graph.validation.engine")


_NODE_KINDS = {
    SH.IRI: {"iri"},
    SH.BlankNode: {"blank"},
    SH.Literal: {"literal"},
    SH.BlankNodeOrIRI: {"blank", "iri"},
    SH.BlankNodeOrLiteral: {"blank", "literal"},
    SH.IRIOrLiteral: {"iri", "literal"},
}


def _kind(term: Any) -> str:
    return "iri" if isinstance(term, ox.NamedNode) else "blank" if isinstance(term, ox.BlankNode) else "literal"


def _lang_in(tag: str, ranges: list[str]) -> bool:
    """SPARQL langMatches against any of *ranges* (basic filtering, RFC 4647)."""
    tag = tag.lower()
    return any(r == "*" or tag == r or tag.startswith(r + "-") for r in ranges)


def _in_range(values: set[Any], op: str, limit: str, data: _Data) -> set[Any]:
    """The values for which SPARQL's ``value OP limit`` is true (an error, e.g. incomparable types, fails)."""
    candidates = sorted((v for v in values if isinstance(v, ox.Literal)), key=str)
    if not candidates:
        return set()
    test = f"FILTER (COALESCE(?v {op} {limit}, false))"
    try:
        return {
            row[0]
            for row in data.rows(f"SELECT ?v WHERE {{ VALUES ?v {{ {' '.join(map(str, candidates))} }} {test} }}")
        }
    except SyntaxError:  # an ill-formed literal the query parser refuses: test one by one
        ok = set()
        for v in candidates:
            with suppress(SyntaxError):  # still refused alone: ill-formed, so out of range
                ok |= {row[0] for row in data.rows(f"SELECT ?v WHERE {{ VALUES ?v {{ {v} }} {test} }}")}
        return ok


_XSD = "http://www.w3.org/2001/XMLSchema#"
_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    _XSD + "string": (str, bytes),
    str(RDF.langString): (str, bytes),
    _XSD + "integer": int,
    _XSD + "float": float,
    _XSD + "boolean": bool,
}


_OX_STRING = ox.NamedNode(_XSD + "string")
_OX_LANG_STRING = ox.NamedNode(str(RDF.langString))


def _lexical(term: Any, data: _Data) -> str:
    """``str()`` of the term as rdflib reads it, which is what pySHACL matches sh:pattern against."""
    if isinstance(term, ox.NamedNode) or (
        isinstance(term, ox.Literal) and (term.language or term.datatype == _OX_STRING)
    ):
        return str(term.value)
    return str(data.rdflib(term))


def _ox_has_datatype(value: Any, datatype: Node, data: _Data) -> bool:
    if not isinstance(value, ox.Literal):
        return False
    if str(datatype) == _XSD + "string" and not value.language and value.datatype == _OX_STRING:
        return True
    if datatype == RDF.langString and value.language:
        return True
    return _has_datatype(data.rdflib(value), datatype)


def _has_datatype(value: Node, datatype: Node) -> bool:
    """PySHACL's sh:datatype test: the datatype matches and rdflib can read the lexical form."""
    import datetime as dt
    from decimal import Decimal

    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
    elif not (
        (value.datatype is None and value.language is None and str(datatype) == _XSD + "string")
        or (str(datatype) == str(RDF.langString) and value.language)
    ):
        return datatype in (URIRef("http://www.w3.org/2000/01/rdf-schema#Literal"),) or (
            datatype == URIRef("http://www.w3.org/2000/01/rdf-schema#Datatype") and value.datatype is not None
        )
    expected = {
        **_PYTHON_TYPES,
        _XSD + "decimal": Decimal,
        _XSD + "date": dt.date,
        _XSD + "time": dt.time,
        _XSD + "dateTime": dt.datetime,
    }.get(str(datatype))
    return expected is None or isinstance(value.value, expected)


def _unique_lang(shape: _Shape, nodes: set[Any], data: _Data, pattern: str | None) -> list[Finding]:
    """One result per focus node and language tag used by more than one value of the path."""
    text = f'SELECT ?s ?o WHERE {{ {pattern or ""} ?s {shape.sparql_path} ?o FILTER (LANG(?o) != "") }}'
    tags: dict[tuple[Any, str], set[Any]] = {}
    for s, o in data.rows(text):
        if s in nodes:
            tags.setdefault((s, o.language.lower()), set()).add(o)
    return [
        Finding(s, shape, SH.UniqueLangConstraintComponent, None)
        for (s, _), values in sorted(tags.items(), key=str)
        if len(values) > 1
    ]


def _sparql(
    shape: _Shape, argument: tuple[Node, str], nodes: set[Any], data: _Data, pattern: str | None
) -> list[Finding]:
    """Run a SHACL-SPARQL constraint once for all *nodes*: $this unbound, or bound by VALUES for a few."""
    constraint, text = argument
    scope = None if pattern is None else _values_pattern(nodes, "?this")
    if scope is not None:
        # ?this is joined in the outermost group (_joins_this): binding it there first changes no row.
        where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
        if where is not None:
            text = f"{text[: where.end()]} {scope} {text[where.end() :]}"
    variables, rows = data.solutions(text)
    solutions = [dict(zip(variables, row, strict=False)) for row in rows]
    seen: set[tuple[Any, ...]] = set()
    findings = []
    for named in solutions:
        this = named.get("this")
        if this is None or this not in nodes:
            continue
        key = tuple(sorted((k, v) for k, v in named.items() if v is not None))
        if key in seen:
            continue
        seen.add(key)
        value = named.get("value")
        if value is None and shape.path is None:
            value = this
        findings.append(Finding(this, shape, SH.SPARQLConstraintComponent, value, constraint, named.get("path")))
    return findings


def report_graph(findings: list[Finding], shapes: Graph, data: Graph | None = None) -> Graph:
    """The SHACL validation report graph of *findings* (SHACL 3.6).

    ``sh:conforms`` is true only when there is no result at all, whatever its severity. Each result
    carries the shape's (or the SPARQL constraint's) ``sh:message`` literals, and a blank-node
    path is copied from the shapes graph so the report stands on its own; so is a blank-node focus
    node or value from *data* (its description, when *data* is given), as pySHACL does.
    """
    graph = Graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(not findings)))
    copied: set[Node] = set()
    for finding in findings:
        shape = finding.shape
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        focus = from_ox(finding.focus, normalize=False)
        graph.add((node, SH.focusNode, focus))
        graph.add((node, SH.resultSeverity, shape.severity))
        graph.add((node, SH.sourceShape, shape.node))
        if isinstance(shape.node, BNode) and shape.node not in copied:
            copied.add(shape.node)  # a blank-node shape is described in the report, as pySHACL does
            copy_path(shapes, shape.node, graph)
        graph.add((node, SH.sourceConstraintComponent, finding.component))
        if finding.source_constraint is not None:
            graph.add((node, SH.sourceConstraint, finding.source_constraint))
        path = from_ox(finding.path) if finding.path is not None else shape.path
        if path is not None:
            graph.add((node, SH.resultPath, path))
            if isinstance(path, BNode) and path not in copied:
                copied.add(path)
                copy_path(shapes, path, graph)
        value = None if finding.value is None else from_ox(finding.value, normalize=False)
        if value is not None:
            graph.add((node, SH.value, value))
        for term in (focus, value):
            if data is not None and isinstance(term, BNode) and term not in copied:
                copied.add(term)
                copy_path(data, term, graph)
        own = list(shapes.objects(finding.source_constraint, SH.message)) if finding.source_constraint else []
        for literal in own or shapes.objects(shape.node, SH.message):
            graph.add((node, SH.resultMessage, literal))
    return graph


def copy_path(source: Graph, path: Node, target: Graph) -> None:
    """Copy the triples of a blank-node property path from *source* into *target*."""
    for p, o in source.predicate_objects(path):
        target.add((path, p, o))
        if isinstance(o, BNode):
            copy_path(source, o, target)
