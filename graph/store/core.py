"""The one store interface everything above it uses, with Oxigraph-backed implementations."""

from __future__ import annotations

import abc
import re
import shutil
import threading
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import islice, product
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph.store.namespaces import DCTERMS, GD, PREFIXES, Minter, default_base

#: Every named SPARQL query the code runs is a file here (examples/ holds the ones users are shown).
QUERIES = Path(__file__).resolve().parent / "queries"


@cache  # a file shipped with the code: constant for the process, so no store generation owns it
def query(name: str) -> str:
    """Return the text of the named query ``queries/<name>.rq``; pass its inputs as bindings, never by editing it."""
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


__all__ = [
    "Bindings",
    "GraphWrite",
    "OxigraphStore",
    "Row",
    "StagedFacts",
    "StagedGraph",
    "Store",
    "StoreError",
    "TripleBatch",
    "from_ox",
    "query",
    "serialise",
    "to_ox",
    "with_bindings",
]

Row = dict[str, Node]
#: Values for a query's variables: one term, or several (a row each); a tuple of names takes tuples of terms.
Bindings = Mapping[str | tuple[str, ...], Node | Collection[Node] | Collection[tuple[Node, ...]]]
# A write that changes more subjects than this rebuilds read models instead of updating them.
UPDATE_LIMIT = 2000
# Writes whose changed subjects a store remembers (see Store.changes_since).
CHANGE_LOG = 64


class StoreError(RuntimeError):
    """A store could not be opened or written; the store is left as it was."""


@dataclass(frozen=True)
class GraphWrite:
    """Replace the named graph *name* with *triples* (an empty graph deletes it)."""

    name: URIRef
    triples: Graph | TripleBatch | StagedGraph


@dataclass(frozen=True)
class StagedFacts:
    """What the load checks need to know of a staged graph (see ``OxigraphStore.inspect_staged``)."""

    documents: set[str]
    organisations: set[str]
    rows: list[tuple[str, ...]]
    size: int


@dataclass(frozen=True)
class StagedGraph:
    """Triples an Oxigraph store already holds under a staging name (see ``OxigraphStore.stage_file``)."""

    staging: URIRef
    size: int

    def __len__(self) -> int:
        return self.size


class TripleBatch:
    """Triples parsed by Oxigraph and kept as Oxigraph terms.

    A large RDF file goes from Oxigraph's parser into Oxigraph's store without ever
    becoming rdflib objects: building an rdflib graph of a large landscape alone takes longer
    than the whole fast load.  Offers the little of rdflib's Graph API that ingestion needs.
    """

    def __init__(self, triples: list[Any]) -> None:
        self.triples = triples

    def __len__(self) -> int:
        return len(self.triples)

    def subjects_of_type(self, cls: URIRef) -> set[str]:
        """Return the subjects typed *cls*."""
        rdf_type, wanted = _RDF_TYPE, str(cls)
        return {t.subject.value for t in self.triples if t.predicate.value == rdf_type and t.object.value == wanted}

    def values(self, predicate: URIRef) -> list[tuple[str, str]]:
        """Return (subject, object) values of every triple with *predicate*."""
        wanted = str(predicate)
        return [(t.subject.value, t.object.value) for t in self.triples if t.predicate.value == wanted]

    def ntriples(self) -> str:
        """Return the triples as N-Triples text (escaped by Oxigraph's serialiser)."""
        return bytes(ox.serialize(self.triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Graph names that hold a load still in progress: never visible to queries.
_STAGING = "staging-"
_TYPE = ox.NamedNode(_RDF_TYPE)
_GUIDING_DOCUMENT = ox.NamedNode(str(GD.GuidingDocument))
_IDENTIFIER = ox.NamedNode(str(DCTERMS.identifier))


def _ox_triples(triples: Graph | TripleBatch | StagedGraph) -> list[Any]:
    if isinstance(triples, StagedGraph):
        return []
    if isinstance(triples, TripleBatch):
        return triples.triples
    return [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]


class Store(abc.ABC):
    """A quad store of named graphs answering SPARQL over their union.

    Every write is a list of whole named graphs replaced in one transaction, so a
    load either lands completely or not at all.  Reads see the union of all graphs.
    A remote SPARQL 1.1 server fits the same interface: ``select``/``construct``
    become protocol requests and ``write`` a single SPARQL update.
    """

    minter: Minter
    #: Incremented by every write in this process; derived state is kept per generation (graph.model.snapshot).
    generation: int = 0
    #: The data lives in this process (a query is a function call, not a request to a server).
    in_process: bool = True

    def _written(self, changed: set[str] | None = None) -> None:
        """Count a write and remember the subjects it changed.

        Args:
            changed: IRIs of every subject the write added, changed or removed; None when
                unknown (a large load), so read models are rebuilt from scratch.
        """
        self.generation += 1
        log: list[tuple[int, frozenset[str] | None]] = self.__dict__.setdefault("_changes", [])
        log.append((self.generation, None if changed is None else frozenset(changed)))
        del log[:-CHANGE_LOG]

    def changes_since(self, generation: int) -> set[str] | None:
        """Return the IRIs of the subjects written after *generation*, or None if that is not known.

        Read models update themselves from it (``graph.model.snapshot``); None (a large load, a
        write older than the log, another process's write) means they are built afresh.
        """
        log: list[tuple[int, frozenset[str] | None]] = self.__dict__.get("_changes", [])
        later = [changed for number, changed in log if number > generation]
        if len(later) != self.generation - generation or any(changed is None for changed in later):
            return None
        return set().union(*later)

    @abc.abstractmethod
    def select(self, query: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT query over the union graph and return its rows."""

    @abc.abstractmethod
    def construct(self, query: str, bindings: Bindings | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query over the union graph."""

    def values(self, query: str, bindings: Bindings | None = None) -> Iterator[tuple[tuple[str, str | None], ...]]:
        """Run a SELECT query and yield each row as (value, language) pairs in projection order.

        For read models over many rows: plain strings cost a fraction of rdflib terms.
        """
        rows = self.select(query, bindings)
        names = _projection(query)
        return iter(
            [
                tuple((str(row[n]), getattr(row[n], "language", None)) if n in row else ("", None) for n in names)
                for row in rows
            ]
        )

    @abc.abstractmethod
    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK query over the union graph."""

    @abc.abstractmethod
    def write(self, writes: Iterable[GraphWrite], changed: set[str] | None = None) -> None:
        """Replace each named graph in *writes*, all in one transaction (*changed*: the subjects it changes)."""

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
        rows = self.select(query("document_count"), {"type": GD.GuidingDocument})
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


def from_ox(term: Any, normalize: bool = True) -> Node:
    """Convert a pyoxigraph term to its rdflib equivalent.

    With ``normalize=False`` a literal keeps its lexical form ("01"^^xsd:int, "1"^^xsd:boolean)
    where rdflib would rewrite it; a validation report must show the value as it was given.
    """
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype), normalize=normalize)
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


_GROUP = re.compile(r"\bWHERE\s*\{|\b(?:SELECT|ASK)\b[^{]*\{", re.IGNORECASE)


def _projection(query: str) -> list[str]:
    """Return the projected variable names of a simple ``SELECT ?a ?b WHERE`` query."""
    head = re.search(r"SELECT\s+(?:DISTINCT\s+)?(.*?)\s*(?:WHERE|\{)", query, re.IGNORECASE | re.DOTALL)
    return re.findall(r"\?(\w+)", head.group(1)) if head else []


def with_bindings(query: str, bindings: Bindings | None) -> str:
    """Bind variables of *query* by a ``VALUES`` block opening its outermost WHERE group.

    A variable given several terms gets a row for each (with several such, a row for each combination);
    a tuple of names given tuples of terms binds those variables together, a row per tuple.

    This is ``initBindings`` for Oxigraph, whose own substitution only binds projected
    variables.  The terms are written by rdflib's N3 serialiser, which escapes every
    literal, so no value is formatted into the query text by hand.
    """
    if not bindings:
        return query
    match = _GROUP.search(query)
    if match is None:
        raise ValueError("cannot bind variables: the query has no WHERE group")
    names, columns = [], []
    for key, value in bindings.items():
        if isinstance(key, tuple):  # several variables bound together: a row of terms each
            names.extend(key)
            columns.append(sorted(tuple(row) for row in value))  # type: ignore[union-attr]
        else:
            names.append(key)
            columns.append([(value,)] if isinstance(value, Node) else [(term,) for term in sorted(value)])  # type: ignore[union-attr]
    head = " ".join(f"?{name}" for name in names)
    rows = " ".join("(" + " ".join(term.n3() for part in row for term in part) + ")" for row in product(*columns))
    return f"{query[: match.end()]} VALUES ({head}) {{ {rows} }} {query[match.end() :]}"


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
        # One write at a time: it guards the write path (staging, moving graphs in, the change log),
        # not a copy of anything a reader sees; derived state lives in graph.model.snapshot.
        self._write_lock = threading.Lock()
        #: The directory did not exist or was empty: this process made the store (see remove_new).
        self.created = path is not None and (not path.exists() or (path.is_dir() and not any(path.iterdir())))
        self._had_directory = path is not None and path.is_dir()
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as error:
            self._remove_files()
            if "lock" in str(error).lower():
                # RocksDB lets one process open a store; its own message names a LOCK file, not the cause.
                raise StoreError(
                    f"the store at {path} is in use by another process (for example `retningsgraf serve`); "
                    "stop that process, or make the change through its API"
                ) from error
            raise StoreError(f"cannot open the store at {path}: {error}") from error

    def __repr__(self) -> str:
        where = "memory" if self.path is None else f"oxigraph:{self.path}"
        return f"<OxigraphStore {where}>"

    def _visible(self) -> list[Any]:
        """The named graphs queries see: all but those staged by a load still in progress."""
        return [g for g in self._store.named_graphs() if _STAGING not in g.value]

    def _query(self, query: str, bindings: Bindings | None) -> Any:
        graphs = list(self._store.named_graphs())
        if not any(_STAGING in g.value for g in graphs):
            return self._store.query(with_bindings(query, bindings), use_default_graph_as_union=True)
        # A load is in progress: list the graphs explicitly so its staged graph stays out of sight.
        visible = [g for g in graphs if _STAGING not in g.value]
        return self._store.query(with_bindings(query, bindings), default_graph=visible, named_graphs=visible)

    def stage_file(self, path: Path, rdf_format: Any, target: URIRef) -> URIRef:
        """Parse an RDF file straight into the store and return the graph it went to (Oxigraph's fast path).

        Oxigraph's load is one transaction, so a bad file stages nothing.  A file for a graph
        the store does not have yet goes straight to *target*; a new version of an existing
        graph goes to a staging graph that queries cannot see until :meth:`write` moves it in
        with ``GraphWrite(target, StagedGraph(staging))``.  :meth:`discard` drops either.

        Raises:
            SyntaxError: with Oxigraph's line and column, and nothing staged.
        """
        name = target
        if self._store.contains_named_graph(ox.NamedNode(str(target))):
            name = URIRef(f"{self.minter.base}graph/{_STAGING}{uuid.uuid4().hex}")
        self._store.load(
            path=str(path), format=rdf_format, to_graph=ox.NamedNode(str(name)), base_iri=path.resolve().as_uri()
        )
        return name

    def inspect_staged(self, staging: URIRef, checks: Sequence[str]) -> StagedFacts:
        """Return what a staged graph defines, how big it is and the rows of the SELECT queries *checks* on it.

        The three are independent scans and pyoxigraph lets go of the GIL while it evaluates,
        so they run side by side, each on its own core.
        """
        graph = ox.NamedNode(str(staging))
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="staged") as pool:
            rows = pool.submit(self._staged_rows, graph, checks)
            size = pool.submit(self._staged_size, graph)
            documents, organisations = self._staged_ids(graph)
            return StagedFacts(documents, organisations, rows.result(), size.result())

    def _staged_ids(self, graph: ox.NamedNode) -> tuple[set[str], set[str]]:
        documents = {q.subject for q in self._store.quads_for_pattern(None, _TYPE, _GUIDING_DOCUMENT, graph)}
        organisation = f"{self.minter.base}organisation/"
        ids, organisations = set(), set()
        for quad in self._store.quads_for_pattern(None, _IDENTIFIER, None, graph):
            if quad.subject in documents:
                ids.add(quad.object.value)
            elif quad.subject.value.startswith(organisation):
                organisations.add(quad.object.value)
        return ids, organisations

    def _staged_rows(self, graph: ox.NamedNode, checks: Sequence[str]) -> list[tuple[str, ...]]:
        found: dict[tuple[str, ...], None] = {}  # in order, each row once (the checks may find the same literal)
        for check in checks:
            solutions = self._store.query(check, default_graph=[graph])
            width = len(solutions.variables)
            for row in solutions:
                found[tuple("" if (t := row[i]) is None else t.value for i in range(width))] = None
        return list(found)

    def _staged_size(self, graph: ox.NamedNode) -> int:
        rows = self._store.query(query("triple_count"), default_graph=[graph])
        return int(next(iter(rows))["n"].value)

    def discard(self, staging: URIRef) -> None:
        """Drop a staged graph that will not be written."""
        self._store.remove_graph(ox.NamedNode(str(staging)))

    def values(self, query: str, bindings: Bindings | None = None) -> Iterator[tuple[tuple[str, str | None], ...]]:
        """Run a SELECT query and yield each row as (value, language) pairs, without rdflib terms.

        Rows are made as they are read: a million rows never sit in memory at once.
        """
        solutions = self._query(query, bindings)
        width = len(solutions.variables)
        return (
            tuple(
                ("", None) if (term := solution[i]) is None else (term.value, getattr(term, "language", None))
                for i in range(width)
            )
            for solution in solutions
        )

    def select(self, query: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT query over the union graph and return its rows."""
        solutions = self._query(query, bindings)
        names = [variable.value for variable in solutions.variables]
        return [
            {name: from_ox(solution[name]) for name in names if solution[name] is not None} for solution in solutions
        ]

    def construct(self, query: str, bindings: Bindings | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query over the union graph."""
        graph = Graph()
        for triple in self._query(query, bindings):
            graph.add((from_ox(triple.subject), from_ox(triple.predicate), from_ox(triple.object)))
        return graph

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK query over the union graph."""
        return bool(self._query(query, bindings))

    def write(self, writes: Iterable[GraphWrite], changed: set[str] | None = None) -> None:
        """Replace each named graph in *writes*, all in one transaction.

        *changed* names the subjects whose triples the write changes, when the caller knows
        (an edit of one record rewrites a whole file's graph but changes one document);
        otherwise they are read from the graphs before and after.

        New graphs go in with one ``extend`` (one transaction).  Graphs that exist already are
        first added under staging names, then one SPARQL update drops the old graphs and moves
        the staged ones in (one transaction), so a reader never sees half a graph; for the
        moment between the two, queries over the union can see the staged copy beside the old one.
        """
        writes = list(writes)
        with self._write_lock:
            try:
                existing = [w for w in writes if self._store.contains_named_graph(ox.NamedNode(str(w.name)))]
            except ValueError as error:
                raise StoreError(f"the write was refused and nothing changed: {error}") from error
            before = self._subjects_in([w.name for w in existing]) if changed is None else set()
            staged = {w.name: URIRef(f"{w.name}#{_STAGING}{uuid.uuid4().hex}") for w in existing if len(w.triples)}
            # Graphs a fast load staged under another name are moved in like any other staged graph;
            # one it loaded straight into its own name is already in place.
            fast = [w for w in writes if isinstance(w.triples, StagedGraph)]
            existing = [w for w in existing if not (isinstance(w.triples, StagedGraph) and w.triples.staging == w.name)]
            staged |= {w.name: w.triples.staging for w in fast if w.triples.staging != w.name}
            existing += [w for w in fast if w.triples.staging != w.name and w not in existing]
            try:
                quads = [
                    ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(str(staged.get(w.name, w.name))))
                    for w in writes
                    for t in _ox_triples(w.triples)
                ]
                self._store.extend(quads)
                if existing:
                    moves = [
                        f"MOVE SILENT GRAPH <{staged[w.name]}> TO <{w.name}>"
                        if w.name in staged
                        else f"DROP SILENT GRAPH <{w.name}>"
                        for w in existing
                    ]
                    self._store.update(" ;\n".join(moves))
                if self.path is not None:
                    self._store.flush()
            except (OSError, SyntaxError, ValueError, RuntimeError) as error:
                for name in staged.values():
                    self._store.remove_graph(ox.NamedNode(str(name)))
                for w in fast:
                    self._store.remove_graph(ox.NamedNode(str(w.triples.staging)))
                raise StoreError(f"the write was refused and nothing changed: {error}") from error
            if changed is None and before is not None:
                after = self._subjects_in([w.name for w in writes])
                changed = before | after if after is not None else None
            self._written(changed)

    def _subjects_in(self, names: list[URIRef]) -> set[str] | None:
        """Return the IRIs of the subjects in the named graphs, or None if there are more than UPDATE_LIMIT."""
        if not names:
            return set()
        solutions = self._store.query(with_bindings(query("graph_subjects"), {"g": names}))
        first = islice(solutions, UPDATE_LIMIT + 1)
        found = {term.value for solution in first if isinstance(term := solution[0], ox.NamedNode)}
        return None if len(found) > UPDATE_LIMIT else found

    def graph(self, name: URIRef) -> Graph:
        """Return a copy of one named graph."""
        graph = Graph()
        for quad in self._store.quads_for_pattern(None, None, None, ox.NamedNode(str(name))):
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
        return graph

    def graph_names(self) -> list[URIRef]:
        """Return the names of all non-empty named graphs."""
        return sorted(URIRef(name.value) for name in self._visible())

    def triple_count(self) -> int:
        """Return the number of quads in the store."""
        return len(self._store)

    def dump(self, fmt: str) -> bytes:
        """Serialise the union of all graphs as ``ttl``, ``nt`` or ``jsonld``, or all quads as ``nq``."""
        if fmt == "nq":
            return bytes(self._store.dump(format=ox.RdfFormat.N_QUADS))
        triples = self.construct(query("union_triples"))
        return serialise(triples, fmt)

    def close(self) -> None:
        """Flush a persistent store to disk."""
        if self.path is not None:
            self._store.flush()

    def remove_new(self) -> None:
        """Delete the store's directory if this process made it (a failed first load leaves no store behind)."""
        if self.path is None or not self.created:
            return
        del self._store  # releases RocksDB's lock and files
        self._remove_files()

    def _remove_files(self) -> None:
        """Delete what this process wrote into a directory it found missing or empty."""
        if self.path is None or not self.created:
            return
        if self._had_directory:
            for child in list(self.path.iterdir()):
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        else:
            shutil.rmtree(self.path, ignore_errors=True)


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
    if isinstance(write.triples, TripleBatch):
        body = write.triples.ntriples()
    else:
        body = write.triples.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return f"INSERT DATA {{ GRAPH <{write.name}> {{\n{body}\n}} }}"
