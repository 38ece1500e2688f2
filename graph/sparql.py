"""Answer read-only SPARQL 1.1 queries in killable worker processes, with a time and a row limit.

Oxigraph evaluates a query in Rust without a cancellation token, so a thread cannot stop
it.  Each query therefore runs in a worker process (``multiprocessing`` spawn context)
that holds its own copy of the data, loaded from an N-Quads snapshot of the store.  When
a query overruns the time limit the worker is killed and replaced; the caller gets
`QueryTimeout`.  Snapshots are taken again when the store's fingerprint changes: its
write counter ``generation`` if it has one, the number of quads, the graph names and the
newest ``prov:generatedAtTime`` of a load.  Without the counter, a write that keeps the
rest (a graph replaced by as many other triples, with no provenance record) is not seen
until the next change; pass *fingerprint* to do better.  The on-disk store is
snapshotted the same way: Oxigraph calls opening it read-only while the server writes to
it undefined behaviour.

A spawned worker imports the parent's ``__main__`` module again (``graph.cli`` under
``retningsgraf serve``), as ``multiprocessing`` spawn always does, so a script that starts
a service must guard its body with ``if __name__ == "__main__"``.

Nothing here speaks HTTP: the router maps the exceptions to status codes.
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from graph.gaps import rules as gap_rules

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from graph.store import Store

__all__ = [
    "GRAPH_TYPES",
    "RESULT_TYPES",
    "Answer",
    "Example",
    "QueryError",
    "QueryFailed",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTooLarge",
    "SparqlService",
    "check_read_only",
    "examples",
    "negotiate",
]

QUERIES = Path(__file__).parent / "queries" / "examples"
# Media types offered, default first.  Results are for SELECT and ASK, graphs for CONSTRUCT
# and DESCRIBE.  ``application/json`` means the SPARQL JSON results or JSON-LD.
RESULT_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
_ALIASES: dict[str, tuple[str, ...]] = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
}
_LOAD_TIMEOUT = 120.0  # starting a worker and loading a snapshot is not the query's time


class QueryError(Exception):
    """A query was not answered; the message says why in words a user can act on."""


class QueryRefused(QueryError):
    """The query would change data or contact another server (updates, SERVICE)."""


class QuerySyntaxError(QueryError):
    """The query does not parse; the message names the line and column."""


class QueryTooLarge(QueryError):
    """The result has more rows (or triples) than the row limit, or the query is too big or deep."""


class QueryTimeout(QueryError):
    """The query ran past the time limit, or no worker became free within it."""


class QueryFailed(QueryError):
    """The engine failed while evaluating the query."""


@dataclass(frozen=True)
class Answer:
    """A serialised query result and its media type."""

    body: bytes
    media_type: str


@dataclass(frozen=True)
class Example:
    """One shipped query from ``graph/queries``: its file stem, leading comments and text."""

    name: str
    title: str
    description: str
    query: str


@functools.cache
def examples() -> tuple[Example, ...]:
    """Return the shipped example queries, titled by their first ``#`` line."""
    found = []
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comments = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comments.append(line.lstrip("#").strip())
        title = comments[0] if comments else path.stem
        found.append(Example(path.stem, title, "\n".join(comments[1:]).strip(), text))
    # The gap rules are examples too, taken from their shapes so a gap has one definition.
    for rule in gap_rules():
        query = rule.query.replace("$this", "?this")
        text = f"# Gap rule {rule.name}: {rule.message_en}\n# From the SHACL shape {rule.shape}.\n{query.strip()}\n"
        found.append(Example(f"gap_{rule.name}", f"Gap rule {rule.name}", rule.message_en, text))
    return tuple(found)


# Read-only check ---------------------------------------------------------------

# Everything that may hide a keyword: escapes of local names (``ex:a\#``), comments,
# strings, IRIs and prefixed names or blank node labels.  Scanning left to right with
# one alternation makes a ``#`` inside an IRI or a quote inside a comment harmless.
# A prefixed name starts only where no name character precedes it: trying every position
# inside a long word took time growing with the square of its length (a 1 MB query, hours).
_HIDING = re.compile(
    r"""\\.
    | \#[^\n\r]*
    | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
    | '''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
    | "(?:[^"\\\n\r]|\\.)*"
    | '(?:[^'\\\n\r]|\\.)*'
    | <[^<>"{}|^`\\\x00-\x20]*>
    | (?<![\w.\-])[\w.\-]*+:(?:[\w.\-:%]|\\.)*
    """,
    re.VERBOSE | re.DOTALL,
)
_UPDATE = re.compile(r"(?<![\w?$@])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)(?!\w)", re.IGNORECASE)
_SERVICE = re.compile(r"(?<![\w?$@])SERVICE(?!\w)", re.IGNORECASE)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_BRACKETS = re.compile(r"[^(){}\[\]]+")
# Oxigraph's parser recurses per bracket and a few thousand levels overflow its stack,
# killing the worker; no real query comes near this.
MAX_NESTING = 200


def check_read_only(query: str) -> None:
    r"""Refuse SPARQL Update operations and ``SERVICE``, outside comments, strings and IRIs.

    Brackets nested deeper than ``MAX_NESTING`` are refused too (as too large), before they
    reach the parser.

    SPARQL lets ``\\uXXXX`` escapes stand for any character of the query, so the text is
    checked both as written and with them decoded.

    Raises:
        QueryRefused: naming the keyword found.
        QueryTooLarge: brackets nested past ``MAX_NESTING``.
    """
    decoded = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    for text in {query, decoded}:
        code = _HIDING.sub(" ", text)
        if match := _UPDATE.search(code):
            raise QueryRefused(
                f"This endpoint is read-only: {match.group(1).upper()} is a SPARQL Update operation and is refused."
            )
        if _SERVICE.search(code):
            raise QueryRefused("SERVICE is refused: this endpoint never queries other servers.")
        _check_nesting(code)


def _check_nesting(code: str) -> None:
    """Refuse brackets nested deeper than MAX_NESTING (in *code*, strings and IRIs blanked)."""
    depth = deepest = 0
    for char in _BRACKETS.sub("", code):
        depth += 1 if char in "({[" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise QueryTooLarge(f"The query nests brackets {deepest} deep, more than the limit of {MAX_NESTING}.")


def negotiate(accept: str | None, offered: Sequence[str]) -> str:
    """Return the offered media type the Accept header prefers; the first one if none fits."""
    ranges = []
    for index, part in enumerate((accept or "").split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, index, media.lower()))
    for _, _, media in sorted(ranges):
        for candidate in (*_ALIASES.get(media, ()), media):
            if candidate in offered:
                return candidate
        if media == "*/*":
            return offered[0]
        if media.endswith("/*"):
            for candidate in offered:
                if candidate.startswith(media[:-1]):
                    return candidate
    return offered[0]


# The worker process ------------------------------------------------------------------


class _TooMany(Exception):
    pass


class _LineLimit(io.BytesIO):
    """A sink that stops serialisation once it has seen more than *limit* lines."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.lines = limit, 0

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _TooMany
        return super().write(chunk)


def _evaluate(store: ox.Store, job: dict[str, Any], prefixes: dict[str, str]) -> tuple[bytes, str]:
    """Run one query job and serialise it, counting rows in TSV or N-Triples on the way."""
    dataset: dict[str, Any] = {"use_default_graph_as_union": not job["default_graphs"]}
    if job["default_graphs"]:
        dataset["default_graph"] = [ox.NamedNode(iri) for iri in job["default_graphs"]]
    if job["named_graphs"]:
        dataset["named_graphs"] = [ox.NamedNode(iri) for iri in job["named_graphs"]]
    result = store.query(job["query"], **dataset)
    results_type: str = job["result_type"]
    if isinstance(result, ox.QueryBoolean):
        answer = result.serialize(format=ox.QueryResultsFormat.from_media_type(results_type))
        return answer or b"", results_type
    if isinstance(result, ox.QueryTriples):
        graph_type: str = job["graph_type"]
        lines = _LineLimit(job["max_rows"])
        result.serialize(lines, format=ox.RdfFormat.N_TRIPLES)
        if graph_type == "application/n-triples":
            return lines.getvalue(), graph_type
        triples = ox.parse(lines.getvalue(), format=ox.RdfFormat.N_TRIPLES)
        answer = ox.serialize(triples, format=ox.RdfFormat.from_media_type(graph_type), prefixes=prefixes)
        return answer or b"", graph_type
    lines = _LineLimit(job["max_rows"] + 1)  # TSV has a header line
    result.serialize(lines, format=ox.QueryResultsFormat.TSV)
    if results_type == "text/tab-separated-values":
        return lines.getvalue(), results_type
    rows = ox.parse_query_results(lines.getvalue(), format=ox.QueryResultsFormat.TSV)
    answer = rows.serialize(format=ox.QueryResultsFormat.from_media_type(results_type))
    return answer or b"", results_type


def _worker_main(conn: Connection, prefixes: dict[str, str]) -> None:
    """Serve ``("load", path)`` and ``("query", job)`` messages until the pipe closes."""
    store = ox.Store()
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "load":
            store = ox.Store()
            store.load(path=payload, format=ox.RdfFormat.N_QUADS)
            conn.send(("loaded", None))
            continue
        try:
            conn.send(("ok", *_evaluate(store, payload, prefixes)))
        except SyntaxError as error:
            conn.send(("syntax", str(error)))
        except _TooMany:
            conn.send(("too-large", ""))
        except Exception as error:
            conn.send(("failed", f"{type(error).__name__}: {error}"))


class _Worker:
    """One worker process slot; started on first use, replaced after a kill."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.snapshot: Path | None = None

    def ensure(self, snapshot: Path) -> Connection:
        if self.process is None or not self.process.is_alive():
            self.stop()
            context = multiprocessing.get_context("spawn")
            self.conn, child = context.Pipe()
            self.process = context.Process(
                target=_worker_main, args=(child, self.prefixes), name="sparql-worker", daemon=True
            )
            self.process.start()
            child.close()
        assert self.conn is not None
        if self.snapshot != snapshot:
            self.conn.send(("load", str(snapshot)))
            if not self.conn.poll(_LOAD_TIMEOUT):
                self.stop()
                raise QueryFailed("The query worker did not load the data in time.")
            self.conn.recv()
            self.snapshot = snapshot
        return self.conn

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.process is not None:
            self.process.kill()
            self.process.join(timeout=5)
        self.process, self.conn, self.snapshot = None, None, None


def store_fingerprint(store: Store) -> Hashable:
    """Return what changes when the store is written: quad count, graph names, last load time.

    A store with a write counter (``generation``) adds it, which makes writes in this
    process exact; the rest catches writes by other processes to an on-disk store.
    """
    newest = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT (MAX(STR(?t)) AS ?t) WHERE { ?g prov:generatedAtTime ?t }"
    )
    loaded = str(newest[0].get("t", "")) if newest else ""
    return (
        getattr(store, "generation", None),
        store.triple_count(),
        tuple(store.graph_names()),
        loaded,
    )


class SparqlService:
    """A small pool of worker processes answering queries over snapshots of one store.

    Args:
        store: the store whose union of named graphs the queries see.
        timeout: seconds a query may run before its worker is killed.
        max_rows: most result rows (SELECT) or triples (CONSTRUCT, DESCRIBE) returned.
        workers: number of worker processes, so one slow query does not block the rest.
        fingerprint: returns a value that changes whenever the store changes.
    """

    def __init__(
        self,
        store: Store,
        *,
        timeout: float = 10.0,
        max_rows: int = 100_000,
        workers: int = 2,
        fingerprint: Callable[[], Hashable] | None = None,
    ) -> None:
        from graph.namespaces import PREFIXES  # not at module level: spawned workers skip rdflib

        self.store, self.timeout, self.max_rows = store, timeout, max_rows
        self._fingerprint = fingerprint or (lambda: store_fingerprint(store))
        self._dir = Path(tempfile.mkdtemp(prefix="retningsgraf-sparql-"))
        self._snapshots: list[tuple[Hashable, Path]] = []
        self._snapshot_lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(workers):
            self._idle.put(_Worker(dict(PREFIXES)))
        self._workers = list(self._idle.queue)

    def _snapshot(self) -> Path:
        """Return the N-Quads file of the store as it is now, writing it if the store changed."""
        with self._snapshot_lock:
            current = self._fingerprint()
            if not self._snapshots or self._snapshots[-1][0] != current:
                path = self._dir / f"snapshot-{len(self._snapshots)}.nq"
                path.write_bytes(self.store.dump("nq"))
                self._snapshots.append((current, path))
                # Keep the previous file: a worker may be about to load it.
                for _, old in self._snapshots[:-2]:
                    old.unlink(missing_ok=True)
            return self._snapshots[-1][1]

    def query(
        self,
        query: str,
        *,
        accept: str | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> Answer:
        """Run a read-only SPARQL query and serialise its result for *accept*.

        Args:
            query: SELECT, ASK, CONSTRUCT or DESCRIBE text.
            accept: the client's Accept header; JSON results or Turtle when nothing fits.
            default_graphs: ``default-graph-uri`` values; empty means the union of all graphs.
            named_graphs: ``named-graph-uri`` values; empty means all graphs.

        Returns:
            The serialised result and its media type.

        Raises:
            QueryRefused: an update or SERVICE.
            QuerySyntaxError: the query does not parse, or a graph name is not an IRI.
            QueryTooLarge: more than ``max_rows`` rows or triples, or brackets nested too deep.
            QueryTimeout: past ``timeout`` seconds, or every worker busy that long.
            QueryFailed: the engine or the worker failed.
        """
        check_read_only(query)
        for iri in (*default_graphs, *named_graphs):
            try:
                ox.NamedNode(iri)
            except ValueError:
                # Caught here, not in the worker, so a typo is the client's 400 and not a 500.
                message = f"Not an IRI: {iri!r} (default-graph-uri and named-graph-uri take IRIs)."
                raise QuerySyntaxError(message) from None
        job = {
            "query": query,
            "result_type": negotiate(accept, RESULT_TYPES),
            "graph_type": negotiate(accept, GRAPH_TYPES),
            "max_rows": self.max_rows,
            "default_graphs": list(default_graphs),
            "named_graphs": list(named_graphs),
        }
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"All query workers stayed busy for {self.timeout:g} s; try again.") from None
        try:
            conn = worker.ensure(self._snapshot())
            conn.send(("query", job))
            if not conn.poll(self.timeout):
                worker.stop()
                raise QueryTimeout(f"The query ran longer than the time limit of {self.timeout:g} s and was stopped.")
            reply = conn.recv()
        except (EOFError, OSError) as error:
            worker.stop()
            raise QueryFailed(f"The query worker stopped unexpectedly ({error!r}).") from error
        finally:
            self._idle.put(worker)
        kind, *rest = reply
        if kind == "ok":
            return Answer(rest[0], rest[1])
        if kind == "syntax":
            raise QuerySyntaxError(f"Malformed query: {rest[0]}")
        if kind == "too-large":
            raise QueryTooLarge(
                f"The result has more than the limit of {self.max_rows} rows; add a LIMIT or narrow the query."
            )
        raise QueryFailed(f"The query failed: {rest[0]}")

    def close(self) -> None:
        """Stop every worker and delete the snapshots."""
        for worker in self._workers:
            worker.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
