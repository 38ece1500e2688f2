"""The one store interface everything above it uses, with Oxigraph-backed implementations."""

from __future__ import annotations

import abc
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph.namespaces import GD, PREFIXES, Minter, default_base

__all__ = [
    "GraphWrite",
    "OxigraphStore",
    "Row",
    "Store",
    "StoreError",
    "from_ox",
    "open_store",
    "serialise",
    "to_ox",
    "with_bindings",
]

Row = dict[str, Node]


class StoreError(RuntimeError):
    """A store could not be opened or written; the store is left as it was."""


@dataclass(frozen=True)
class GraphWrite:
    """Replace the named graph *name* with *triples* (an empty graph deletes it)."""

    name: URIRef
    triples: Graph


class Store(abc.ABC):
    """A quad store of named graphs answering SPARQL over their union.

    Every write is a list of whole named graphs replaced in one transaction, so a
    load either lands completely or not at all.  Reads see the union of all graphs.
    A remote SPARQL 1.1 server fits the same interface: ``select``/``construct``
    become protocol requests and ``write`` a single SPARQL update.
    """

    minter: Minter
    #: Incremented by every write in this process; read models cache against it.
    generation: int = 0

    @property
    def cache(self) -> dict[str, Any]:
        """Per-store cache of derived read models, emptied by every write."""
        if "_cache" not in self.__dict__:
            self.__dict__["_cache"] = {}
        cache: dict[str, Any] = self.__dict__["_cache"]
        return cache

    def _written(self) -> None:
        self.generation += 1
        self.cache.clear()

    @abc.abstractmethod
    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """Run a SELECT query over the union graph and return its rows."""

    @abc.abstractmethod
    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query over the union graph."""

    @abc.abstractmethod
    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query over the union graph."""

    @abc.abstractmethod
    def write(self, writes: Iterable[GraphWrite]) -> None:
        """Replace each named graph in *writes*, all in one transaction."""

    @abc.abstractmethod
    def graph(self, name: URIRef) -> Graph:
        """Return a copy of one named graph."""

    @abc.abstractmethod
    def graph_names(self) -> list[URIRef]:
        """Return the names of all non-empty named graphs."""

    @abc.abstractmethod
    def triple_count(self) -> int:
        """Return the number of quads in the store."""

    @abc.abstractmethod
    def dump(self, fmt: str) -> bytes:
        """Serialise the union of all graphs as ``ttl``, ``nt`` or ``jsonld``, or all quads as ``nq``."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores need nothing
        """Release the store's resources."""

    def union(self) -> Graph:
        """Return all triples of all graphs as one rdflib graph (for validation and export)."""
        graph = Graph()
        graph.parse(data=self.dump("nt").decode("utf-8"), format="nt")
        return graph

    def document_count(self) -> int:
        """Return the number of guiding documents in the store."""
        rows = self.select(
            "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a ?type }",
            {"type": GD.GuidingDocument},
        )
        return int(rows[0]["n"]) if rows else 0

    def is_empty(self) -> bool:
        """Return True if the store holds no quads at all."""
        return self.triple_count() == 0


# Term conversion ------------------------------------------------------------


def to_ox(term: Node) -> Any:
    """Convert an rdflib term to its pyoxigraph equivalent."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to an Oxigraph term")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def from_ox(term: Any) -> Node:
    """Convert a pyoxigraph term to its rdflib equivalent."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


_GROUP = re.compile(r"\bWHERE\s*\{|\b(?:SELECT|ASK)\b[^{]*\{", re.IGNORECASE)


def with_bindings(query: str, bindings: Mapping[str, Node] | None) -> str:
    """Bind variables of *query* by a ``VALUES`` block opening its outermost WHERE group.

    This is ``initBindings`` for Oxigraph, whose own substitution only binds projected
    variables.  The terms are written by rdflib's N3 serialiser, which escapes every
    literal, so no value is formatted into the query text by hand.
    """
    if not bindings:
        return query
    match = _GROUP.search(query)
    if match is None:
        raise ValueError("cannot bind variables: the query has no WHERE group")
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(term.n3() for term in bindings.values())
    return f"{query[: match.end()]} VALUES ({names}) {{ ({values}) }} {query[match.end() :]}"


# Oxigraph ---------------------------------------------------------------------


class OxigraphStore(Store):
    """An Oxigraph store, in memory (``path=None``) or persistent on disk.

    SPARQL runs on Oxigraph's engine with the union of named graphs as the default
    graph.  Oxigraph applies each update in one transaction, which is what makes a
    graph replacement atomic.
    """

    def __init__(self, path: Path | None = None, minter: Minter | None = None) -> None:
        self.path = path
        self.minter = minter or Minter(default_base())
        self._write_lock = threading.Lock()
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as error:
            raise StoreError(f"cannot open the store at {path}: {error}") from error

    def __repr__(self) -> str:
        where = "memory" if self.path is None else f"oxigraph:{self.path}"
        return f"<OxigraphStore {where}>"

    def _query(self, query: str, bindings: Mapping[str, Node] | None) -> Any:
        return self._store.query(with_bindings(query, bindings), use_default_graph_as_union=True)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """Run a SELECT query over the union graph and return its rows."""
        solutions = self._query(query, bindings)
        names = [variable.value for variable in solutions.variables]
        return [
            {name: from_ox(solution[name]) for name in names if solution[name] is not None} for solution in solutions
        ]

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query over the union graph."""
        graph = Graph()
        for triple in self._query(query, bindings):
            graph.add((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
        return graph

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        """Run an ASK query over the union graph."""
        return bool(self._query(query, bindings))

    def write(self, writes: Iterable[GraphWrite]) -> None:
        """Replace each named graph in *writes*, all in one transaction."""
        writes = list(writes)
        statements = [f"DROP SILENT GRAPH <{write.name}>" for write in writes]
        statements.extend(_insert_data(write) for write in writes if len(write.triples))
        with self._write_lock:
            try:
                self._store.update(" ;\n".join(statements))
                if self.path is not None:
                    self._store.flush()
            except (OSError, SyntaxError, ValueError) as error:
                raise StoreError(f"the write was refused and nothing changed: {error}") from error
            self._written()

    def graph(self, name: URIRef) -> Graph:
        """Return a copy of one named graph."""
        graph = Graph()
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(str(name))):
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
        return graph

    def graph_names(self) -> list[URIRef]:
        """Return the names of all non-empty named graphs."""
        return sorted(URIRef(name.value) for name in self._store.named_graphs())

    def triple_count(self) -> int:
        """Return the number of quads in the store."""
        return len(self._store)

    def dump(self, fmt: str) -> bytes:
        """Serialise the union of all graphs as ``ttl``, ``nt`` or ``jsonld``, or all quads as ``nq``."""
        if fmt == "nq":
            return bytes(self._store.dump(format=ox.RdfFormat.N_QUADS))
        triples = self.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        return serialise(triples, fmt)

    def close(self) -> None:
        """Flush a persistent store to disk."""
        if self.path is not None:
            self._store.flush()


def serialise(graph: Graph, fmt: str) -> bytes:
    """Serialise *graph* as Turtle (``ttl``), N-Triples (``nt``) or JSON-LD (``jsonld``)."""
    formats = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
    if fmt not in formats:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(formats)}")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph.serialize(format=formats[fmt], encoding="utf-8")


def _insert_data(write: GraphWrite) -> str:
    # N-Triples lines are valid SPARQL triple patterns, so the graph's own serialiser
    # escapes every literal correctly; no string formatting of user values here.
    body = write.triples.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return f"INSERT DATA {{ GRAPH <{write.name}> {{\n{body}\n}} }}"


def open_store(spec: str, minter: Minter | None = None) -> Store:
    """Open the store named by *spec*: ``memory``, ``oxigraph:DIR`` or ``sparql:QUERY_URL[,UPDATE_URL]``.

    Args:
        spec: the ``--store`` value of the CLI.
        minter: the IRI minter; defaults to the configured base.

    Returns:
        The opened store, still empty if it is new (see ``graph.registry.ensure_seeded``).
    """
    if spec == "memory":
        return OxigraphStore(None, minter)
    if spec.startswith("oxigraph:") and len(spec) > len("oxigraph:"):
        return OxigraphStore(Path(spec.removeprefix("oxigraph:")), minter)
    if spec.startswith("sparql:") and len(spec) > len("sparql:"):
        from graph.remote import SparqlStore  # only remote mode needs an HTTP client

        query_url, _, update_url = spec.removeprefix("sparql:").partition(",")
        return SparqlStore(query_url, update_url or None, minter)
    raise StoreError(f"unknown store {spec!r}: use 'memory', 'oxigraph:DIR' or 'sparql:QUERY_URL[,UPDATE_URL]'")
