"""A store on a remote SPARQL 1.1 server, reached with the SPARQL Protocol over HTTP.

The server must answer queries with the union of its named graphs as the default graph
(Oxigraph ``--union-default-graph``, Virtuoso by default, GraphDB by default, Fuseki with
``unionDefaultGraph``); see ``docs/remote-store.md``.  Every write is one SPARQL update,
which SPARQL 1.1 servers apply atomically.  API workers hold no state of their own: the
store's generation lives in the server (a counter in its own graph, bumped by each write),
so every worker sees every other worker's writes.  A record write checks and writes in one
update (:meth:`SparqlStore.write_if_unchanged`), so If-Match holds across worker processes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph.store.core import Bindings, GraphWrite, Store, StoreError, _insert_data, query, serialise, with_bindings
from graph.store.namespaces import GD, PROV, RDF, Minter, default_base

__all__ = ["SERVER_GRAPHS", "Seen", "SparqlStore"]

# The read model's queries read every document at start-up: at 30,000 documents on a busy machine
# Virtuoso took over a minute for one of them (benchmarks/remote_memory.py).
_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
# Graphs a server keeps for itself, not the landscape's: Virtuoso's RDF views, its LDP vocabulary and
# its service description (named after its DefaultHost, localuriqaserver unless configured).
SERVER_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#", "http://localuriqaserver/")


class SparqlStore(Store):
    """A store on a SPARQL 1.1 query endpoint and (optionally separate) update endpoint."""

    def __init__(self, query_url: str, update_url: str | None = None, minter: Minter | None = None) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url.rsplit("/", 1)[0] + "/update"
        self.minter = minter or Minter(default_base())
        self._client = httpx.Client(timeout=_TIMEOUT, trust_env=False)
        self._meta = self.minter.graph("meta")
        # Binds the queries over the landscape's own graphs (remote_*.rq): not the counter's, not the server's.
        servers = {f"server{number}": Literal(prefix) for number, prefix in enumerate(SERVER_GRAPHS, start=1)}
        self._ours: dict[str, Node] = {"meta": self._meta, **servers}
        self.engine = ""  # the server's Server header, read on the first answer
        try:
            self._generation()
        except httpx.HTTPError as error:
            raise StoreError(f"cannot reach the SPARQL server at {query_url}: {error}") from error

    def __repr__(self) -> str:
        return f"<SparqlStore {self.query_url}>"

    def hides(self, name: str) -> bool:
        """Whether graph *name* is not the landscape's: the write counter's, or one the server keeps for itself."""
        return name == str(self._meta) or name.startswith(SERVER_GRAPHS)

    # Generation shared by all workers ----------------------------------------------------

    def _generation(self) -> int:
        rows = self.select(query("remote_generation"), {"meta": self._meta})
        return int(rows[0]["n"]) if rows else 0

    @property
    def generation(self) -> int:  # type: ignore[override]
        """The server's write counter, shared by every API worker."""
        return self._generation()

    @generation.setter
    def generation(self, value: int) -> None:
        """Ignored: the counter lives in the server and only writes move it."""

    in_process = False

    @property
    def _max_update_triples(self) -> int | None:
        # Virtuoso 7's SPARQL parser runs out of memory near 5,000 triples in one INSERT DATA.
        return 1000 if "virtuoso" in self.engine.lower() else None

    @property
    def caveats(self) -> tuple[str, ...]:
        """What this server does not guarantee that remote mode relies on (docs/remote-store.md), for the log."""
        if "virtuoso" not in self.engine.lower():
            return ()
        return (
            f"{self.engine.split()[0]}: an update request is not one transaction (an operation that fails "
            "leaves the earlier ones applied) and a large write goes in several requests, so readers can see "
            "a load half done and a failed write can leave graphs half replaced (docs/remote-store.md, Virtuoso).",
        )

    # Protocol ------------------------------------------------------------------------------

    def _post(self, url: str, data: dict[str, str], accept: str) -> httpx.Response:
        try:
            response = self._client.post(url, data=data, headers={"Accept": accept})
        except httpx.HTTPError as error:
            raise StoreError(f"the SPARQL server at {url} did not answer: {error}") from error
        if response.status_code >= 400:
            raise StoreError(f"the SPARQL server at {url} answered {response.status_code}: {response.text[:500]}")
        if response.headers.get("x-sql-state", "").startswith("S1T"):
            # Virtuoso's "anytime" answer: what it found before its time limit, as if it were all.
            raise StoreError(f"the SPARQL server at {url} ran out of time and answered only part: raise its limit")
        if not self.engine:
            self.engine = response.headers.get("server", "unknown")
        return response

    def _select_raw(self, query: str) -> list[dict[str, Node]]:
        response = self._post(self.query_url, {"query": query}, "application/sparql-results+json")
        body = response.json()
        return [{name: _term(value) for name, value in binding.items()} for binding in body["results"]["bindings"]]

    def select(self, query: str, bindings: Bindings | None = None) -> list[dict[str, Node]]:
        """Run a SELECT query on the server and return its rows."""
        return self._select_raw(with_bindings(query, bindings))

    def construct(self, query: str, bindings: Bindings | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query on the server."""
        response = self._post(self.query_url, {"query": with_bindings(query, bindings)}, "application/n-triples")
        graph = Graph()
        graph.parse(data=response.text, format="nt")
        return graph

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK query on the server."""
        response = self._post(
            self.query_url,
            {"query": with_bindings(query, bindings)},
            "application/sparql-results+json",
        )
        return _boolean(response.text)

    def write(self, writes: Iterable[GraphWrite], changed: set[str] | None = None) -> None:
        """Replace each named graph and bump the shared generation, in one SPARQL update.

        *changed* is not used: another worker's write can come between any two reads, so
        every worker rebuilds its read models when the shared generation moves.
        """
        writes = list(writes)
        statements = [f"DROP SILENT GRAPH <{w.name}>" for w in writes]
        size = self._max_update_triples
        for w in writes:
            if len(w.triples):
                statements += [_insert_data(w)] if size is None else _insert_pieces(w, size)
        statements.append(
            f"DELETE {{ GRAPH <{self._meta}> {{ <{self._meta}> <{GD.generation}> ?n }} }} "
            f"INSERT {{ GRAPH <{self._meta}> {{ <{self._meta}> <{GD.generation}> ?next }} }} "
            f"WHERE {{ OPTIONAL {{ GRAPH <{self._meta}> {{ <{self._meta}> <{GD.generation}> ?n }} }} "
            f"BIND (COALESCE(?n + 1, 1) AS ?next) }}"
        )
        if size is None:
            self._post(self.update_url, {"update": " ;\n".join(statements)}, "*/*")
            return
        # One request per operation: such a server commits each operation on its own anyway (see caveats),
        # and its parser runs out of memory on one request of thousands of triples.
        for statement in statements:
            self._post(self.update_url, {"update": statement}, "*/*")

    def write_if_unchanged(self, seen: Seen, replace: list[GraphWrite], remove: list[GraphWrite]) -> bool:
        """Write only if the record is exactly as *seen*, checked and written in one SPARQL update.

        The update's first operation claims the write with a unique token, but only if the
        record's triples (with their graphs) and its history are still those the writer read;
        every later operation runs only under that claim, and the last turns it into a receipt.
        A SPARQL server applies one update atomically and in order, so of two workers holding
        the same ETag exactly one writes; the other finds no receipt and nothing changed.

        Args:
            seen: what the writer read and checked If-Match against.
            replace: graphs to replace whole (the record's own graph, its history).
            remove: triples to take out of other graphs (the record's old place in a source).

        Returns:
            True if the write took effect, False if the record changed in the meantime.
        """
        token = URIRef(uuid.uuid4().urn)  # an IRI: a literal cannot be the subject of the receipt
        claim = f"GRAPH <{self._meta}> {{ {seen.record.n3()} <{GD.writeClaim}> {token.n3()} }}"
        receipt = f"GRAPH <{self._meta}> {{ {token.n3()} <{GD.writeReceipt}> {seen.record.n3()} }}"
        statements = [f"INSERT {{ {claim} }} WHERE {{ {seen.pattern()} }}"]
        for write in remove:
            statements.append(f"DELETE {{ GRAPH <{write.name}> {{ {_triples(write.triples)} }} }} WHERE {{ {claim} }}")
        for write in replace:
            everything = f"GRAPH <{write.name}> {{ ?s ?p ?o }}"
            statements.append(f"DELETE {{ {everything} }} WHERE {{ {claim} {everything} }}")
            if len(write.triples):
                statements.append(
                    f"INSERT {{ GRAPH <{write.name}> {{ {_triples(write.triples)} }} }} WHERE {{ {claim} }}"
                )
        statements.append(
            f"DELETE {{ GRAPH <{self._meta}> {{ <{self._meta}> <{GD.generation}> ?n }} }} "
            f"INSERT {{ GRAPH <{self._meta}> {{ <{self._meta}> <{GD.generation}> ?next }} }} "
            f"WHERE {{ {claim} OPTIONAL {{ GRAPH <{self._meta}> {{ <{self._meta}> <{GD.generation}> ?n }} }} "
            f"BIND (COALESCE(?n + 1, 1) AS ?next) }}"
        )
        statements.append(f"DELETE {{ {claim} }} INSERT {{ {receipt} }} WHERE {{ {claim} }}")
        self._post(self.update_url, {"update": " ;\n".join(statements)}, "*/*")
        applied = self.ask(query("remote_write_receipt"), {"meta": self._meta, "token": token, "record": seen.record})
        if applied:  # the receipt has told its one reader what it had to
            self._post(self.update_url, {"update": f"DELETE DATA {{ {receipt} }}"}, "*/*")
        return applied

    def graph(self, name: URIRef) -> Graph:
        """Return a copy of one named graph."""
        return self.construct(query("named_graph_triples"), {"g": name})

    def graph_names(self) -> list[URIRef]:
        """Return the names of the store's non-empty named graphs (the generation counter's own graph aside)."""
        rows = self.select(query("remote_graph_names"), self._ours)
        return sorted(URIRef(str(r["g"])) for r in rows)

    def triple_count(self) -> int:
        """Return the number of quads in the named graphs (the generation counter aside)."""
        rows = self.select(query("remote_triple_count"), self._ours)
        return int(rows[0]["n"]) if rows else 0

    def dump(self, fmt: str) -> bytes:
        """Serialise the union of all graphs (``nq`` keeps the graph names)."""
        if fmt == "nq":
            rows = self.select(query("remote_quads"), self._ours)
            lines = [f"{r['s'].n3()} {r['p'].n3()} {r['o'].n3()} {r['g'].n3()} ." for r in rows]
            return ("\n".join(lines) + "\n").encode("utf-8")
        triples = self.construct(query("remote_triples"), self._ours)
        return serialise(triples, fmt)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()


class Seen:
    """What a writer read of one record: its (graph, subject, predicate, object) rows and history size."""

    def __init__(
        self, record: URIRef, rows: set[tuple[Node, Node, Node, Node]], history: URIRef, versions: int
    ) -> None:
        self.record = record
        self.rows = rows
        self.history = history
        self.versions = versions

    def pattern(self) -> str:
        """A WHERE pattern that matches once if the record and its history are exactly as seen."""
        x = self.record.n3()
        exact = " ".join(f"GRAPH {g.n3()} {{ {s.n3()} {p.n3()} {o.n3()} }}" for g, s, p, o in self.rows)
        return (
            f"{{ SELECT (COUNT(*) AS ?rows) WHERE {{ SELECT DISTINCT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ "
            f"{{ {x} ?p ?o BIND ({x} AS ?s) }} UNION {{ {x} <{GD.citation}>|<{GD.qualifiedLink}> ?s . ?s ?p ?o }} "
            f"}} }} }} }} "
            f"{{ SELECT (COUNT(DISTINCT ?a) AS ?versions) WHERE {{ OPTIONAL {{ GRAPH {self.history.n3()} "
            f"{{ ?a <{RDF.type}> <{PROV.Activity}> }} }} }} }} "
            f"FILTER (?rows = {len(self.rows)} && ?versions = {self.versions}) {exact}"
        )


def _insert_pieces(write: GraphWrite, size: int) -> list[str]:
    """INSERT operations of at most *size* triples each that together insert *write* (on Virtuoso)."""
    text = _insert_data(write)  # INSERT DATA { GRAPH <g> {\n<one triple a line>\n} }
    start, end = text.index("{\n") + 2, text.rindex("\n} }")
    lines = [line for line in text[start:end].splitlines() if line.strip()]
    # A blank node label names one node within one operation only: triples that may share one stay together.
    lines.sort(key=lambda line: "_:" not in line)
    size = max(size, sum("_:" in line for line in lines))
    pieces = []
    for i in range(0, len(lines), size):
        piece = f"{text[:start]}{chr(10).join(lines[i : i + size])}\n}} }}"
        if "_:" in piece:
            # Virtuoso refuses blank nodes in INSERT DATA ("not allowed in a constant clause"); a template
            # without a WHERE match inserts the same triples, each label a fresh node as in INSERT DATA.
            piece = "INSERT {" + piece.removeprefix("INSERT DATA {") + " WHERE {}"
        pieces.append(piece)
    return pieces


def _triples(triples: Graph | Any) -> str:
    # N-Triples lines are valid SPARQL triple patterns, so rdflib's serialiser escapes every literal.
    return str(triples.serialize(format="nt", encoding="utf-8").decode("utf-8"))


def _boolean(text: str) -> bool:
    """Read an ASK answer: SPARQL JSON's ``boolean``, or Virtuoso 7's one-row table of 0 or 1."""
    body = json.loads(text)
    if "boolean" in body:
        return bool(body["boolean"])
    rows = body.get("results", {}).get("bindings", [])
    return bool(rows) and next(iter(rows[0].values()))["value"] not in ("0", "false")


def _term(value: dict[str, str]) -> Node:
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        # Virtuoso 7 names blank nodes "nodeID://b10000", which no serialiser takes as a label.
        return BNode(value["value"].removeprefix("nodeID://"))
    if "xml:lang" in value:
        return Literal(value["value"], lang=value["xml:lang"])
    datatype = value.get("datatype")
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = None
    return Literal(value["value"], datatype=URIRef(datatype) if datatype else None)
