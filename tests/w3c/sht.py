"""The W3C SHACL test suite (w3c/data-shapes), read from its manifests.

``cases()`` walks ``suites/data-shapes/manifest.ttl`` and its ``mf:include``s and yields one
:class:`Case` per ``sht:Validate`` entry: the data and shapes files, and the expected result
(a ``sh:ValidationReport`` node in the test file, or ``sht:Failure``). ``matches()`` applies the
suite's definition of an equal report: the report must be isomorphic to the expected one, with
``sh:resultMessage`` and ``sh:detail`` ignored where the expected report has none; the comparison
is pySHACL's implementation of that definition (``pyshacl.validator_conformance.check_sht_result``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF

SUITE = Path(__file__).resolve().parent / "suites" / "data-shapes"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")


@dataclass(frozen=True)
class Case:
    """One W3C SHACL validation test."""

    name: str  # e.g. "core/node/class-001"
    file: Path  # the test file holding the entry and its expected result
    data: Path
    shapes: Path
    approved: bool

    def expected(self) -> tuple[Graph, URIRef]:
        """The test file's graph and the expected result node in it.

        Read as the data is read (:func:`graph.validation.shacl.read_graph`, lexical forms as
        written): rdflib would rewrite an ill-formed "2011-01-01"^^xsd:dateTime in the expected
        report only, and the report's value would then seem to differ from the data's.
        """
        from graph.validation.shacl import read_graph

        graph = read_graph([self.file])
        entry = next(e for e in graph.subjects(RDF.type, SHT.Validate) if _local(e) == self.name.rsplit("/", 1)[-1])
        return graph, graph.value(entry, MF.result)  # type: ignore[return-value]


def _parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle", publicID=path.as_uri())


def _local(iri: URIRef) -> str:
    return str(iri).rsplit("/", 1)[-1]


def _file(iri: URIRef) -> Path:
    return Path(str(iri).removeprefix("file://"))


def cases(manifest: Path = SUITE / "manifest.ttl") -> Iterator[Case]:
    """Every sht:Validate test reachable from *manifest*, in manifest order."""
    graph = _parse(manifest)
    for include in graph.objects(URIRef(manifest.as_uri()), MF.include):
        yield from cases(_file(include))
    for entries in graph.objects(URIRef(manifest.as_uri()), MF.entries):
        for entry in Collection(graph, entries):
            if (entry, RDF.type, SHT.Validate) not in graph:
                continue
            action = graph.value(entry, MF.action)
            folder = manifest.parent.relative_to(SUITE)
            yield Case(
                name=f"{folder.as_posix()}/{_local(entry)}",
                file=manifest,
                data=_file(graph.value(action, SHT.dataGraph)),
                shapes=_file(graph.value(action, SHT.shapesGraph)),
                approved=(entry, MF.status, SHT.approved) in graph,
            )


def matches(report: Graph, case: Case) -> bool:
    """True when *report* equals the case's expected report by the suite's definition."""
    from pyshacl.validator_conformance import check_sht_result

    expected, node = case.expected()
    copy = Graph()  # compared by prefixed names: bind the test file's prefixes, as its own report would
    for prefix, namespace in expected.namespaces():
        copy.bind(prefix, namespace, replace=True)
    for triple in report:
        copy.add(triple)
    return bool(check_sht_result(copy, expected, node, log=logging.getLogger("sht")))


def parse_report(text: str) -> Graph:
    """A Turtle report as written (lexical forms kept), as :meth:`Case.expected` reads the test."""
    import pyoxigraph as ox

    from graph.store.core import from_ox

    graph = Graph()
    for triple in ox.parse(text, format=ox.RdfFormat.TURTLE):
        graph.add(tuple(from_ox(term, normalize=False) for term in (triple.subject, triple.predicate, triple.object)))
    return graph


def expects_failure(case: Case) -> bool:
    """True when the suite expects the processor to refuse the shapes (sht:Failure)."""
    _, node = case.expected()
    return node == SHT.Failure


def outcome(case: Case, engine: str = "auto") -> str:
    """How *case* fares: "fast" or "turbo" (the report matches), "refused" (a clear refusal;
    "failure" when the suite expects one), or "wrong" (a report that does not match)."""
    from graph.validation import shacl

    try:
        result = shacl.validate(shacl.read_graph([case.data]), shacl.read_graph([case.shapes]), engine)
    except shacl.ShaclRefused:
        return "failure" if expects_failure(case) else "refused"
    if expects_failure(case) or not matches(result.report, case):
        return "wrong"
    return result.engine


def table(engine: str = "auto") -> dict[str, dict[str, int]]:
    """Per test family (core/node, sparql/pre-binding, ...): how many cases had each outcome."""
    counts: dict[str, dict[str, int]] = {}
    for case in cases():
        family = case.name.rsplit("/", 1)[0]
        row = counts.setdefault(family, {})
        verdict = outcome(case, engine)
        row[verdict] = row.get(verdict, 0) + 1
    return counts


if __name__ == "__main__":  # python -m tests.w3c.sht [auto|fast|turbo]: the table, in Markdown
    import sys

    logging.disable(logging.CRITICAL)
    columns = ("fast", "turbo", "failure", "refused", "wrong")
    rows = table(sys.argv[1] if len(sys.argv) > 1 else "auto")
    print("| family | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    total = dict.fromkeys(columns, 0)
    for family, row in sorted(rows.items()):
        print(f"| {family} | " + " | ".join(str(row.get(c, 0)) for c in columns) + " |")
        for c in columns:
            total[c] += row.get(c, 0)
    print("| **all** | " + " | ".join(str(total[c]) for c in columns) + " |")
