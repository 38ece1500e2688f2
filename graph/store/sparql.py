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

Each worker's default graph is the union of the named graphs as a set, copied once per
snapshot: Oxigraph's own union default graph yields a triple once per graph that holds it.
The query's dataset (``FROM``, ``FROM NAMED``, or the protocol's graphs, which win) is read
here and given to Oxigraph explicitly, so a default graph of several graphs is merged as a
set too.  A query still running after `SHORT_SECONDS` is a long one; one worker is always
kept from long queries, so a short query never waits behind runaways.  A query the pool has
no room for (every worker busy past the wait, or too many long ones) is `QueryBusy`: the
server's to retry, not the query's fault.  A caller whose client went away stops its query
(``cancelled``) within `POLL_SECONDS`, and the worker is replaced.

A spawned worker imports the parent's ``__main__`` module again (``api.cli`` under
``retningsgraf serve``), as ``multiprocessing`` spawn always does, so a script that starts
a service must guard its body with ``if __name__ == "__main__"``.

Nothing here speaks HTTP: the router maps the exceptions to status codes.
"""

from __future__ import annotations

import functools
import io
import math
import multiprocessing
import queue
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import pyoxigraph as ox

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from graph.store.core import Store

__all__ = [
    "GRAPH_TYPES",
    "MEDIA_ALIASES",
    "RESULT_TYPES",
    "Answer",
    "Example",
    "QueryBusy",
    "QueryCancelled",
    "QueryError",
    "QueryFailed",
    "QueryNotAcceptable",
    "QueryRefused",
    "QuerySyntaxError",
    "QueryTimeout",
    "QueryTooLarge",
    "SparqlService",
    "check_read_only",
    "examples",
    "query_dataset",
    "syntax_message",
]

EXAMPLES = Path(__file__).resolve().parent / "queries" / "examples"
# Media types offered, default first.  Results are for SELECT and ASK, graphs for CONSTRUCT
# and DESCRIBE.  ``application/json`` means the SPARQL JSON results or JSON-LD.
RESULT_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
MEDIA_ALIASES: dict[str, tuple[str, ...]] = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
}
_LOAD_TIMEOUT = 120.0  # starting a worker and loading a snapshot is not the query's time
# A query still running after this many seconds is a long one (see SparqlService).  The
# shipped examples answer in well under it; a cross product or a runaway path does not.
SHORT_SECONDS = 1.0
# How often a waiting query looks whether its caller still wants the answer.
POLL_SECONDS = 0.1


class QueryError(Exception):
    """A query was not answered; the message says why in words a user can act on."""


class QueryRefused(QueryError):
    """The query would change data or contact another server (updates, SERVICE)."""


class QuerySyntaxError(QueryError):
    """The query does not parse; the message names the line and column."""


class QueryTooLarge(QueryError):
    """The result has more rows (or triples) than the row limit, or the query is too big or deep."""


class QueryTimeout(QueryError):
    """The query ran past the time limit and was stopped."""


class QueryBusy(QueryError):
    """The pool has no room for the query now (every worker busy, or too many long queries): send it again later.

    Attributes:
        retry_after: seconds after which a worker is sure to be free again (the time limit).
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryCancelled(QueryError):
    """The caller's client went away, so the query was stopped."""


class QueryFailed(QueryError):
    """The engine failed while evaluating the query."""


class QueryNotAcceptable(QueryError):
    """No format the client accepts fits the query's result (a table, a boolean or a graph)."""


@dataclass(frozen=True)
class Answer:
    """A serialised query result and its media type."""

    body: bytes
    media_type: str


@dataclass(frozen=True)
class Example:
    """One shipped query from ``graph/store/queries``: its file stem, leading comments and text."""

    name: str
    title: str
    description: str
    query: str


@functools.cache  # the shipped example files: constant for the process, never store data
def examples() -> tuple[Example, ...]:
    """Return the shipped example query files, titled by their first ``#`` line.

    The SPARQL page shows the gap rules after these (``graph.validation.gaps.query_examples``).
    """
    found = []
    for path in sorted(EXAMPLES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        comments = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comments.append(line.lstrip("#").strip())
        title = comments[0] if comments else path.stem
        found.append(Example(path.stem, title, "\n".join(comments[1:]).strip(), text))
    return tuple(found)


# Read-only check ---------------------------------------------------------------

# Everything that may hide a keyword: escapes of local names (``ex:a\#``), comments,
# strings, IRIs and prefixed names or blank node labels.  Scanning left to right with
# one alternation makes a ``#`` inside an IRI or a quote inside a comment harmless.
# A prefixed name starts only where no name character precedes it: trying every position
# inside a long word would take time growing with the square of the word's length.
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


# Prologue and dataset clause ---------------------------------------------------------

# The tokens that matter for PREFIX, BASE and FROM, with everything that may hide a keyword
# (comments, strings, variables) matched first so it is skipped whole.
_TOKENS = re.compile(
    r"""(?P<skip>\#[^\n\r]*
      | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
      | '''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
      | "(?:[^"\\\n\r]|\\.)*"
      | '(?:[^'\\\n\r]|\\.)*'
      | [?$]\w+)
    | <(?P<iri>[^<>"{}|^`\\\x00-\x20]*)>
    | (?<![\w.\-@])(?P<pname>(?P<prefix>(?:[^\W\d_](?:[\w.\-]*\w)?)?):(?P<local>(?:[\w\-:%]|\.(?=[\w\-:%\\])|\\.)*))
    | (?<![\w.\-@:])(?P<word>[A-Za-z]+)(?![\w:])
    """,
    re.VERBOSE | re.DOTALL,
)
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class _Prologue:
    """What a scan of a query found: declared prefixes, prefixed names used and the dataset clause."""

    prefixes: dict[str, str]
    used: list[tuple[str, int]]  # (prefix, offset) of each prefixed name outside PREFIX
    default: list[str]  # FROM
    named: list[str]  # FROM NAMED


def _scan(query: str, base_iri: str | None) -> _Prologue:
    decoded = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    prefixes: dict[str, str] = {}
    used: list[tuple[str, int]] = []
    default: list[str] = []
    named: list[str] = []
    base = base_iri or ""
    tokens = [m for m in _TOKENS.finditer(decoded) if not m.group("skip")]

    def iri_at(index: int) -> str | None:
        token = tokens[index] if index < len(tokens) else None
        if token is None:
            return None
        if token.group("iri") is not None:
            return urljoin(base, token.group("iri")) if base else token.group("iri")
        if token.group("pname") is not None and token.group("prefix") in prefixes:
            return prefixes[token.group("prefix")] + _LOCAL_ESCAPE.sub(r"\1", token.group("local"))
        return None

    index = 0
    while index < len(tokens):
        token, word = tokens[index], (tokens[index].group("word") or "").upper()
        if word == "PREFIX" and index + 2 < len(tokens) and tokens[index + 1].group("pname") is not None:
            if (value := iri_at(index + 2)) is not None:
                prefixes[tokens[index + 1].group("prefix")] = value
            index += 3
            continue
        if word == "BASE" and (value := iri_at(index + 1)) is not None:
            base = value
            index += 2
            continue
        if word == "FROM":
            into = default
            if index + 1 < len(tokens) and (tokens[index + 1].group("word") or "").upper() == "NAMED":
                into, index = named, index + 1
            if (value := iri_at(index + 1)) is not None:
                into.append(value)
        if token.group("pname") is not None:
            used.append((token.group("prefix"), token.start()))
        index += 1
    return _Prologue(prefixes, used, default, named)


def query_dataset(query: str, base_iri: str | None = None) -> tuple[list[str], list[str]] | None:
    """Return the graphs of the query's ``FROM`` and ``FROM NAMED`` clauses, or None if it has neither.

    Prefixed names and relative IRIs are resolved as the parser does (``PREFIX``, ``BASE``,
    then *base_iri*).
    """
    prologue = _scan(query, base_iri)
    if not prologue.default and not prologue.named:
        return None
    return prologue.default, prologue.named


_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
_WORD_AT = re.compile(r"\S+?(?=[\s{}()\[\],;.]|$)|\S")


def syntax_message(query: str, error: str) -> str:
    """Turn the parser's error into the position, a short reason and the offending line.

    Oxigraph reports where its grammar gave up and every token it could have taken there;
    after an unknown prefix that is a list of character classes.  A prefixed name whose
    prefix no ``PREFIX`` declares is named instead, at its own position.
    """
    match = _POSITION.match(error)
    if match is None:
        return f"Malformed query: {error}"
    lines = query.splitlines() or [""]
    line, column = int(match.group(1)), int(match.group(2))
    prologue = _scan(query, None)
    unknown = [(prefix, offset) for prefix, offset in prologue.used if prefix not in prologue.prefixes]
    if unknown and query == _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query):
        prefix, offset = unknown[0]
        line = query.count("\n", 0, offset) + 1
        column = offset - (query.rfind("\n", 0, offset) + 1) + 1
        reason = f"unknown prefix {prefix}: (declare it first: PREFIX {prefix}: <...>)"
    else:
        text = lines[line - 1] if line <= len(lines) else ""
        rest = text[column - 1 :] if column - 1 < len(text) else ""
        at_end = line > len(lines) or (line == len(lines) and not rest.strip())
        expected = match.group(3).removeprefix("expected one of ").removeprefix("expected ")
        # Character classes and the parser's internal failure names say nothing to a user;
        # the digits' class is a number.
        raw = [choice.strip() for choice in expected.split(",") if choice.strip()]
        choices = [
            "a number" if "'0'..='9'" in choice else choice
            for choice in raw
            if "'0'..='9'" in choice or not re.search(r"[\[\]'\"]|failed|not found", choice)
        ]
        if "IRI parsing failed" in expected:
            reason = "an IRI here is not valid (no spaces, quotes or <> inside < >)"
        elif at_end:
            reason = "the query ends before it is complete"
            filled = [number for number, text in enumerate(lines, 1) if text.strip()] or [1]
            line, column = filled[-1], len(lines[filled[-1] - 1].rstrip()) + 1
        else:
            start = len(text[: column - 1]) - len(re.search(r"\w*$", text[: column - 1]).group(0))
            token = _WORD_AT.match(text[start:].lstrip())
            reason = f"unexpected {token.group(0) if token else rest.strip()!r}"
        if choices and len(raw) <= 5 and "IRI parsing failed" not in expected:
            reason += f"; expected {' or '.join(choices)}"
    shown = lines[line - 1] if line <= len(lines) else ""
    return f"Malformed query at line {line}, column {column}: {reason}.\n  {shown}\n  {' ' * (column - 1)}^"


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


class _NotAcceptable(Exception):
    pass


def _evaluate(store: ox.Store, job: dict[str, Any], prefixes: dict[str, str]) -> tuple[bytes, str]:
    """Run one query job and serialise it, counting rows in TSV or N-Triples on the way.

    Without a dataset the query sees the worker's default graph, which holds the union of
    the named graphs as a set (see `_load`).  A dataset's default graph made of several
    graphs is merged the same way, into a scratch graph dropped after the answer is made.
    """
    options: dict[str, Any] = {"base_iri": job["base_iri"]}
    merged = None
    if job["dataset"] is not None:
        default, named = job["dataset"]
        graphs = [ox.NamedNode(iri) for iri in default]
        if len(graphs) > 1:
            # A fresh name no query can know; the named graphs are listed, so GRAPH never sees it.
            merged = ox.NamedNode(uuid.uuid4().urn)
            sources = " ".join(str(graph) for graph in graphs)
            pattern = f"VALUES ?g {{ {sources} }} GRAPH ?g {{ ?s ?p ?o }}"
            store.update(f"INSERT {{ GRAPH {merged} {{ ?s ?p ?o }} }} WHERE {{ {pattern} }}")
            graphs = [merged]
        options["default_graph"] = graphs
        options["named_graphs"] = [ox.NamedNode(iri) for iri in named]
    try:
        return _serialise(store.query(job["query"], **options), job, prefixes)
    finally:
        if merged is not None:
            store.remove_graph(merged)


def _serialise(result: Any, job: dict[str, Any], prefixes: dict[str, str]) -> tuple[bytes, str]:
    results_type: str | None = job["result_type"]
    if isinstance(result, ox.QueryTriples):
        graph_type: str | None = job["graph_type"]
        if graph_type is None:
            raise _NotAcceptable("graph")
        lines = _LineLimit(job["max_rows"])
        result.serialize(lines, format=ox.RdfFormat.N_TRIPLES)
        if graph_type == "application/n-triples":
            return lines.getvalue(), graph_type
        triples = ox.parse(lines.getvalue(), format=ox.RdfFormat.N_TRIPLES)
        answer = ox.serialize(triples, format=ox.RdfFormat.from_media_type(graph_type), prefixes=prefixes)
        return answer or b"", graph_type
    if results_type is None:
        raise _NotAcceptable("boolean" if isinstance(result, ox.QueryBoolean) else "table")
    if isinstance(result, ox.QueryBoolean):
        answer = result.serialize(format=ox.QueryResultsFormat.from_media_type(results_type))
        return answer or b"", results_type
    lines = _LineLimit(job["max_rows"] + 1)  # TSV has a header line
    result.serialize(lines, format=ox.QueryResultsFormat.TSV)
    if results_type == "text/tab-separated-values":
        return lines.getvalue(), results_type
    rows = ox.parse_query_results(lines.getvalue(), format=ox.QueryResultsFormat.TSV)
    answer = rows.serialize(format=ox.QueryResultsFormat.from_media_type(results_type))
    return answer or b"", results_type


def _load(path: str) -> ox.Store:
    """Load a snapshot and put the union of its named graphs into the default graph.

    Oxigraph's own union default graph yields a triple once per graph holding it, so a
    triple loaded from two files counted twice; a graph is a set, so this union is one.
    """
    store = ox.Store()
    store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
    # Copied inside the engine: a Python object per quad made loading twice as slow.
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
    return store


def _worker_main(conn: Connection, prefixes: dict[str, str]) -> None:
    """Serve ``("load", path)`` and ``("query", job)`` messages until the pipe closes."""
    store = ox.Store()
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "load":
            store = _load(payload)
            conn.send(("loaded", None))
            continue
        try:
            conn.send(("ok", *_evaluate(store, payload, prefixes)))
        except SyntaxError as error:
            conn.send(("syntax", str(error)))
        except _TooMany:
            conn.send(("too-large", ""))
        except _NotAcceptable as error:
            conn.send(("not-acceptable", str(error)))
        except Exception as error:
            conn.send(("failed", f"{type(error).__name__}: {error}"))


class _Worker:
    """One worker process slot; started on first use, replaced after a kill."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.snapshot: Path | None = None
        # Queries sent to this slot's processes; only the caller holding the slot counts, so no lock.
        self.queries = 0

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
    from graph.store.core import query  # here: the spawned query workers need none of the store module

    newest = store.select(query("newest_generated"))
    loaded = str(newest[0].get("t", "")) if newest else ""
    return (
        getattr(store, "generation", None),
        store.triple_count(),
        tuple(store.graph_names()),
        loaded,
    )


class SparqlService:
    """A small pool of worker processes answering queries over snapshots of one store.

    A query still running after `SHORT_SECONDS` is a long one.  At most ``workers - 1`` long
    queries run at once, so one worker always stays free for short ones: an ``ASK {}`` does
    not wait behind runaway queries.  A long query beyond that many is stopped at once and
    answered `QueryBusy`, to be sent again when one of the others has finished.

    Args:
        store: the store whose named graphs the queries see.
        timeout: seconds a query may run before its worker is killed.
        max_rows: most result rows (SELECT) or triples (CONSTRUCT, DESCRIBE) returned.
        workers: number of worker processes (at least 2: one is kept for short queries).
        fingerprint: returns a value that changes whenever the store changes.
    """

    def __init__(
        self,
        store: Store,
        *,
        timeout: float = 10.0,
        max_rows: int = 100_000,
        workers: int = 3,
        fingerprint: Callable[[], Hashable] | None = None,
    ) -> None:
        from graph.store.namespaces import PREFIXES  # not at module level: spawned workers skip rdflib

        self.store, self.timeout, self.max_rows = store, timeout, max_rows
        self.short = min(SHORT_SECONDS, timeout)
        self.long_queries = max(1, workers - 1)
        self._long = threading.BoundedSemaphore(self.long_queries)  # admission of long queries, not a cache
        self._fingerprint = fingerprint or (lambda: store_fingerprint(store))
        self._dir = Path(tempfile.mkdtemp(prefix="retningsgraf-sparql-"))
        self._snapshots: list[tuple[Hashable, Path]] = []
        # Guards the N-Quads files the worker processes load (one per store change, the previous
        # one kept while a worker may be loading it). A copy of the store on disk for other
        # processes, not derived state in this one; and the store layer sits below the snapshot.
        self._snapshot_lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers = [_Worker(dict(PREFIXES)) for _ in range(max(2, workers))]
        self._closed = False
        self._warmed = False
        for worker in self._workers:
            self._idle.put(worker)

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

    def _ready(self, worker: _Worker) -> None:
        """Start *worker* (and load the data) in the background, then give it back to the pool."""

        def start() -> None:
            try:
                if not self._closed:
                    worker.ensure(self._snapshot())
            except Exception:  # the next query starts it again and reports the failure
                worker.stop()
            finally:
                if self._closed:
                    worker.stop()
                self._idle.put(worker)

        threading.Thread(target=start, name="sparql-worker-start", daemon=True).start()

    def start(self) -> None:
        """Start every worker and load the data now, in the background, so the first queries need not wait."""
        self._warm()

    def _warm(self) -> None:
        """On the first query, start the other workers too, so the spare one is ready when needed."""
        if self._warmed:
            return
        self._warmed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            self._ready(worker)

    @property
    def queries_run(self) -> int:
        """How many queries the worker processes were given since the service started."""
        return sum(worker.queries for worker in self._workers)

    def query(
        self,
        query: str,
        *,
        result_type: str | None = RESULT_TYPES[0],
        graph_type: str | None = GRAPH_TYPES[0],
        base_iri: str | None = None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        cancelled: Callable[[], bool] | None = None,
    ) -> Answer:
        """Run a read-only SPARQL query and serialise its result.

        The dataset is the one *default_graphs* and *named_graphs* give (the protocol's
        ``default-graph-uri`` and ``named-graph-uri``; one given without the other leaves the
        other empty), else the query's ``FROM`` and ``FROM NAMED``, else the union of all
        named graphs as the default graph, every named graph available to ``GRAPH``.  Each
        default graph made of several graphs is their merge: a triple in two counts once.

        Args:
            query: SELECT, ASK, CONSTRUCT or DESCRIBE text.
            result_type: the media type for SELECT and ASK results; None if the client takes none.
            graph_type: the media type for CONSTRUCT and DESCRIBE results; None likewise.
            base_iri: what relative IRIs in the query resolve against (the endpoint's URL).
            default_graphs: ``default-graph-uri`` values.
            named_graphs: ``named-graph-uri`` values.
            cancelled: returns True once nobody wants the answer any more; looked at every
                `POLL_SECONDS` while the query waits or runs.

        Returns:
            The serialised result and its media type.

        Raises:
            QueryRefused: an update or SERVICE.
            QuerySyntaxError: the query does not parse, or a graph name is not an IRI.
            QueryTooLarge: more than ``max_rows`` rows or triples, or brackets nested too deep.
            QueryNotAcceptable: the result's kind has no format the client accepts.
            QueryTimeout: the query ran past ``timeout`` seconds.
            QueryBusy: every worker stayed busy for ``timeout`` seconds, or too many long queries ran.
            QueryCancelled: *cancelled* said so before the answer came.
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
        dataset = (list(default_graphs), list(named_graphs)) if default_graphs or named_graphs else None
        if dataset is None:
            dataset = query_dataset(query, base_iri)
            try:
                for iri in (*dataset[0], *dataset[1]) if dataset else ():
                    ox.NamedNode(iri)
            except ValueError:
                dataset = None  # not an IRI the parser would take either: its error is the answer
        job = {
            "query": query,
            "base_iri": base_iri,
            "dataset": dataset,
            "result_type": result_type,
            "graph_type": graph_type,
            "max_rows": self.max_rows,
        }
        wanted = cancelled or (lambda: False)
        worker = self._take(wanted)
        stopped = False
        try:
            conn = worker.ensure(self._snapshot())
            self._warm()
            if wanted():
                raise QueryCancelled("The client went away before the query started.")
            worker.queries += 1
            conn.send(("query", job))
            reply = self._wait(worker, conn, wanted)
        except (QueryTimeout, QueryBusy, QueryCancelled):
            stopped = worker.process is None
            raise
        except (EOFError, OSError) as error:
            worker.stop()
            stopped = True
            raise QueryFailed(f"The query worker stopped unexpectedly ({error!r}).") from error
        finally:
            if stopped:
                self._ready(worker)  # a fresh process, so the next query does not wait for one
            else:
                self._idle.put(worker)
        kind, *rest = reply
        if kind == "ok":
            return Answer(rest[0], rest[1])
        if kind == "syntax":
            raise QuerySyntaxError(syntax_message(query, rest[0]))
        if kind == "too-large":
            raise QueryTooLarge(
                f"The result has more than the limit of {self.max_rows} rows; add a LIMIT or narrow the query."
            )
        if kind == "not-acceptable":
            offered = RESULT_TYPES if rest[0] != "graph" else GRAPH_TYPES
            raise QueryNotAcceptable(
                f"This query answers a {rest[0]}, and the Accept header takes none of its formats: "
                f"{', '.join(offered)}."
            )
        raise QueryFailed(f"The query failed: {rest[0]}")

    @property
    def _retry_after(self) -> int:
        """Seconds by which every running query has finished or been stopped."""
        return max(1, math.ceil(self.timeout))

    def _take(self, cancelled: Callable[[], bool]) -> _Worker:
        """Return an idle worker, waiting up to ``timeout`` seconds for one while the caller still wants it."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self._idle.get(timeout=max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
            except queue.Empty:
                pass
            if cancelled():
                raise QueryCancelled("The client went away while the query waited for a worker.")
            if time.monotonic() >= deadline:
                raise QueryBusy(
                    f"All {len(self._workers)} query workers stayed busy for {self.timeout:g} s; "
                    f"send the query again in {self._retry_after} s.",
                    self._retry_after,
                )

    def _poll(self, conn: Connection, seconds: float, cancelled: Callable[[], bool]) -> bool:
        """Wait up to *seconds* for the worker's reply; raise if the caller stopped wanting it meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            if conn.poll(max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))):
                return True
            if cancelled():
                raise QueryCancelled("The client went away, so its query was stopped.")
            if time.monotonic() >= deadline:
                return False

    def _wait(self, worker: _Worker, conn: Connection, cancelled: Callable[[], bool]) -> Any:
        """Return the worker's reply; stop the worker past the time limit, the long-query limit or a cancel."""
        try:
            if self._poll(conn, self.short, cancelled):
                return conn.recv()
            if not self._long.acquire(blocking=False):
                worker.stop()
                raise QueryBusy(
                    f"{self.long_queries} long queries are already running and this one took over {self.short:g} s, "
                    "so it was stopped to keep a worker free for short queries; "
                    f"send it again in {self._retry_after} s, when they are done.",
                    self._retry_after,
                )
            try:
                if self._poll(conn, self.timeout - self.short, cancelled):
                    return conn.recv()
            finally:
                self._long.release()
        except QueryCancelled:
            worker.stop()
            raise
        worker.stop()
        raise QueryTimeout(f"The query ran longer than the time limit of {self.timeout:g} s and was stopped.")

    def close(self) -> None:
        """Stop every worker and delete the snapshots."""
        self._closed = True
        for worker in self._workers:
            worker.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
