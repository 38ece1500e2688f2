"""Answer /sparql in remote mode by sending the checked query to the store's own engine and streaming its answer.

No API worker copies the remote data for SPARQL: the query is checked here (read-only, no
``SERVICE``, nesting, syntax, the query form against the client's Accept) exactly as
`graph.store.sparql` checks it, then sent to the engine, whose answer is read as it arrives,
re-serialised by the same Oxigraph serialisers the embedded store uses (so a client gets the
same bytes whichever store answers) and passed on in chunks.  The API holds at most
`HOLD_BYTES` of an answer: an answer that ends within them is returned whole (a GET then gets
its ETag, and a row limit or time limit met inside them is a clean 400 or 503); a longer one is
streamed, and if it then passes the row or time limit the stream is cut, so the client sees an
incomplete answer, never a silently shortened one.

The engine is asked for SPARQL XML results (Virtuoso 7's TSV drops language tags and its JSON
has an ASK as a table; its XML is standard) or N-Triples, and rows are counted as they come
(a ``<result>`` element each, a line each).  Time limits: the engine's own where it takes one per
query (Virtuoso's ``timeout`` parameter), and always the API's: past the limit it stops reading
and closes the request to the engine.  Oxigraph's server has no per-query limit, only
``oxigraph serve --timeout-s`` for all queries (docs/remote-store.md).

The dataset: without ``FROM`` or the protocol's graphs, the default graph is the union of the
landscape's named graphs and ``GRAPH`` sees each of them (the write counter's graph and the
graphs a server keeps for itself left out), sent to the engine as ``default-graph-uri`` and
``named-graph-uri``.  A triple held by two graphs counts once per graph on engines that merge
graphs as a bag (Oxigraph's server, Virtuoso); the embedded store merges them as a set.
"""

from __future__ import annotations

import contextlib
import io
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pyoxigraph as ox

from graph.store.sparql import (
    GRAPH_TYPES,
    RESULT_TYPES,
    Answer,
    QueryBusy,
    QueryCancelled,
    QueryError,
    QueryFailed,
    QueryNotAcceptable,
    QuerySyntaxError,
    QueryTimeout,
    QueryTooLarge,
    check_read_only,
    query_dataset,
    syntax_message,
)

__all__ = ["HOLD_BYTES", "NO_GRAPH", "EngineRefused", "SparqlProxy", "Streamed"]

# Bytes of an answer held before it is streamed: small answers (nearly all) keep their ETag and a clean error status.
HOLD_BYTES = 1024 * 1024
CHUNK = 64 * 1024
# A graph no store holds: sent when a dataset's default or named part must be empty, since a protocol
# request that leaves one part out lets some engines (Virtuoso) fill it with every graph.
NO_GRAPH = "urn:x-retningsgraf:no-graph"
_RESULT = re.compile(rb"<result[\s/>]")
# Virtuoso 7 names blank nodes in XML results "nodeID://b10000", which is no blank node label: the label is the rest.
_VIRTUOSO_BNODE = b"<bnode>nodeID://"
_CARRY = len(_VIRTUOSO_BNODE)
_TIMED_OUT = re.compile(r"S1T00|S1TAT|timed? ?out|timeout", re.IGNORECASE)
_END = object()


class EngineRefused(QuerySyntaxError):
    """The engine cannot run a query this endpoint accepts (a feature it lacks); the message quotes it."""


@dataclass(frozen=True)
class Streamed:
    """An answer longer than `HOLD_BYTES`: its media type and its bytes in chunks, as the engine sends them."""

    media_type: str
    chunks: Iterator[bytes]


class _Upstream(io.RawIOBase):
    """The engine's answer as a file for Oxigraph's parsers, counting rows and watching the clock."""

    def __init__(self, chunks: Iterator[bytes], proxy: SparqlProxy, deadline: float, count_rows: bool) -> None:
        self._chunks, self._proxy, self._deadline, self._count = chunks, proxy, deadline, count_rows
        self._pending = self._carry = b""
        self._ended = False
        self._tail = b""  # the end of the last bytes counted, so a tag split over two reads is counted once
        self.rows = 0
        self.failure: QueryError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._ended:
            self._fetch()
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _fetch(self) -> None:
        if time.monotonic() > self._deadline:
            self.failure = self._proxy.timed_out()
            raise self.failure
        try:
            chunk = next(self._chunks, b"")
        except httpx.TimeoutException:
            self.failure = self._proxy.timed_out()
            raise self.failure from None
        data = self._carry + chunk
        if not chunk:
            self._ended = True
            self._pending, self._carry = data, b""
        else:
            if self._count:
                data = data.replace(_VIRTUOSO_BNODE, b"<bnode>")
            # Held back: the start of a tag the next chunk may complete.
            self._pending, self._carry = data[:-_CARRY], data[-_CARRY:]
        if self._count and self._pending:
            window = self._tail + self._pending
            self.rows += len(_RESULT.findall(window)) - len(_RESULT.findall(self._tail))
            self._tail = window[-8:]
            if self.rows > self._proxy.max_rows:
                self.failure = self._proxy.too_large()
                raise self.failure


class _Sink(io.RawIOBase):
    """Where the serialiser writes: chunks of `CHUNK` bytes onto a bounded queue (the reader's pace)."""

    def __init__(self, out: queue.Queue[Any], cancelled: threading.Event, deadline: float) -> None:
        self._out, self._cancelled, self._deadline = out, cancelled, deadline
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self.push()
        return len(data)

    def push(self) -> None:
        if not self._buffer:
            return
        chunk, self._buffer = bytes(self._buffer), bytearray()
        while True:
            if self._cancelled.is_set() or time.monotonic() > self._deadline:
                raise OSError("the client went away or the time limit passed")
            try:
                self._out.put(chunk, timeout=0.2)
                return
            except queue.Full:
                continue


class SparqlProxy:
    """Checks queries as the embedded service does and has the remote store's engine answer them.

    Args:
        query_url: the engine's SPARQL query endpoint.
        engine: the engine's ``Server`` header (``Virtuoso/07...``, ``Oxigraph/0.5...``).
        graphs: returns the landscape's named graphs, the dataset of a query that names none.
        hidden: says whether a graph is not the landscape's (the write counter's, a server's own).
        timeout: seconds a query may take, its whole answer included.
        max_rows: most result rows (SELECT) or triples (CONSTRUCT, DESCRIBE) returned.
        concurrency: queries sent to the engine at once; a further one waits up to *timeout*.
    """

    def __init__(
        self,
        query_url: str,
        *,
        engine: str,
        graphs: Callable[[], Sequence[str]],
        hidden: Callable[[str], bool],
        timeout: float = 10.0,
        max_rows: int = 100_000,
        concurrency: int = 8,
    ) -> None:
        from graph.store.namespaces import PREFIXES

        self.query_url, self.engine, self.timeout, self.max_rows = query_url, engine, timeout, max_rows
        self.virtuoso = "virtuoso" in engine.lower()
        self._graphs, self._hidden, self._prefixes = graphs, hidden, dict(PREFIXES)
        # Admission to the engine, not derived state: each slot is one open request to it.
        self._slots = threading.BoundedSemaphore(concurrency)
        self._client = httpx.Client(timeout=httpx.Timeout(timeout + 5.0, connect=5.0), trust_env=False)

    def timed_out(self) -> QueryTimeout:
        """The error of a query past the time limit."""
        return QueryTimeout(f"The query ran longer than the time limit of {self.timeout:g} s and was stopped.")

    def too_large(self) -> QueryTooLarge:
        """The error of an answer over the row limit."""
        return QueryTooLarge(
            f"The result has more than the limit of {self.max_rows} rows; add a LIMIT or narrow the query."
        )

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
    ) -> Answer | Streamed:
        """Check *query*, have the engine answer it, and return the answer whole or as a stream.

        Arguments, dataset and errors as `graph.store.sparql.SparqlService.query`; besides,
        `EngineRefused` when the engine cannot run a query this endpoint accepts.  *cancelled*
        is looked at while the answer is held; a stream stops when its reader closes it.
        """
        gone = cancelled or (lambda: False)
        check_read_only(query)
        form = _form(query, base_iri)
        for iri in (*default_graphs, *named_graphs):
            try:
                ox.NamedNode(iri)
            except ValueError:
                message = f"Not an IRI: {iri!r} (default-graph-uri and named-graph-uri take IRIs)."
                raise QuerySyntaxError(message) from None
        media = graph_type if form == "graph" else result_type
        if media is None:
            offered = GRAPH_TYPES if form == "graph" else RESULT_TYPES
            raise QueryNotAcceptable(
                f"This query answers a {form}, and the Accept header takes none of its formats: {', '.join(offered)}."
            )
        data = self._request(query, form, base_iri, list(default_graphs), list(named_graphs))
        deadline = time.monotonic() + self.timeout
        if not self._slots.acquire(timeout=self.timeout):
            raise QueryBusy(
                f"All connections to the SPARQL server stayed busy for {self.timeout:g} s; send the query again later.",
                retry_after=max(1, math.ceil(self.timeout)),
            )
        try:
            response = self._send(data, form)
        except BaseException:
            self._slots.release()
            raise
        if form == "boolean":
            try:
                return Answer(_boolean(response, media), media)
            finally:
                response.close()
                self._slots.release()
        return self._relay(response, form, media, deadline, gone)

    def _request(
        self, query: str, form: str, base_iri: str | None, default: list[str], named: list[str]
    ) -> list[tuple[str, str]]:
        """The form fields sent to the engine: the query (with the endpoint as its base) and its dataset."""
        if not default and not named:
            dataset = query_dataset(query, base_iri)
            if dataset is not None:
                default, named = dataset
            else:
                default = named = list(self._graphs())
        elif query_dataset(query, base_iri) is not None and self.virtuoso:
            # Virtuoso adds FROM to default-graph-uri instead of letting the protocol's graphs replace it.
            raise EngineRefused(
                f"The SPARQL server ({self.engine.split()[0]}) cannot let default-graph-uri or named-graph-uri "
                "replace the query's FROM, as the protocol says: send either FROM in the query or the parameters."
            )
        default = [g for g in default if not self._hidden(g)] or [NO_GRAPH]
        named = [g for g in named if not self._hidden(g)] or [NO_GRAPH]
        text = f"BASE <{base_iri}>\n{query}" if base_iri else query
        fields = [("query", text)]
        fields += [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]
        if self.virtuoso:
            fields.append(("timeout", str(int(self.timeout * 1000))))  # milliseconds; the engine stops the query
        return fields

    def _send(self, fields: list[tuple[str, str]], form: str) -> httpx.Response:
        accept = {"graph": "application/n-triples", "table": "application/sparql-results+xml"}.get(
            form, "application/sparql-results+json"
        )
        request = self._client.build_request(
            "POST",
            self.query_url,
            content=httpx.QueryParams(fields).__str__().encode(),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise self.timed_out() from None
        except httpx.HTTPError as error:
            raise QueryFailed(f"The SPARQL server did not answer: {error}") from None
        # Virtuoso answers 200 with what it found so far when its timeout passes ("anytime" queries).
        state = response.headers.get("x-sql-state", "")
        if response.status_code < 400 and not state.startswith("S1T"):
            return response
        try:
            text = response.read().decode("utf-8", "replace").strip()[:600]
        except httpx.HTTPError:
            text = ""
        finally:
            response.close()
        if state.startswith("S1T") or _TIMED_OUT.search(text):
            raise self.timed_out()
        if response.status_code == 400:
            raise EngineRefused(f"The SPARQL server ({self.engine.split()[0]}) cannot run this query: {text}")
        raise QueryFailed(f"The SPARQL server answered {response.status_code}: {text}")

    def _relay(
        self, response: httpx.Response, form: str, media: str, deadline: float, gone: Callable[[], bool]
    ) -> Answer | Streamed:
        """Start the pump and hold its output until the answer ends or passes `HOLD_BYTES`."""
        out: queue.Queue[Any] = queue.Queue(maxsize=16)
        cancelled = threading.Event()
        thread = threading.Thread(
            target=self._pump, args=(response, form, media, deadline, out, cancelled), name="sparql-relay", daemon=True
        )
        thread.start()
        held: list[bytes] = []
        size = 0
        try:
            while True:
                item = _next(out, deadline, self, gone)
                if item is _END:
                    return Answer(b"".join(held), media)
                held.append(item)
                size += len(item)
                if size >= HOLD_BYTES:
                    return Streamed(media, self._rest(held, out, cancelled, deadline))
        except BaseException:
            cancelled.set()
            raise

    def _rest(
        self, held: list[bytes], out: queue.Queue[Any], cancelled: threading.Event, deadline: float
    ) -> Iterator[bytes]:
        """The held chunks, then the rest as it comes; an error now can only cut the stream."""
        try:
            yield from held
            held.clear()
            while (item := _next(out, deadline, self, lambda: False)) is not _END:  # a hang-up closes this
                yield item
        finally:
            cancelled.set()

    def _pump(
        self,
        response: httpx.Response,
        form: str,
        media: str,
        deadline: float,
        out: queue.Queue[Any],
        cancelled: threading.Event,
    ) -> None:
        """Parse the engine's answer as it arrives and serialise it for the client (its own thread)."""
        upstream = _Upstream(response.iter_bytes(CHUNK), self, deadline, count_rows=form == "table")
        sink = _Sink(out, cancelled, deadline)
        result: Any = _END
        try:
            if form == "table":
                rows = ox.parse_query_results(upstream, format=ox.QueryResultsFormat.XML)
                rows.serialize(sink, format=ox.QueryResultsFormat.from_media_type(media))
            else:
                triples = _counted(ox.parse(upstream, format=ox.RdfFormat.N_TRIPLES), upstream, self)
                ox.serialize(triples, sink, format=ox.RdfFormat.from_media_type(media), prefixes=self._prefixes)
            sink.push()
        except Exception as error:  # a QueryError raised in a callback arrives wrapped by Oxigraph
            result = upstream.failure or QueryFailed(f"The SPARQL server's answer could not be read: {error}")
        finally:
            response.close()
            self._slots.release()
        if not cancelled.is_set():
            with contextlib.suppress(queue.Full):  # the reader gave up: nobody waits for the end
                out.put(result, timeout=max(0.0, deadline - time.monotonic()) + 1.0)

    def close(self) -> None:
        """Close the connections to the engine."""
        self._client.close()


def _next(out: queue.Queue[Any], deadline: float, proxy: SparqlProxy, cancelled: Callable[[], bool]) -> Any:
    """The pump's next chunk or its end; its error, a timeout past *deadline* or *cancelled*, raised."""
    while True:
        if cancelled():
            raise QueryCancelled("The client went away, so the query was stopped.")
        try:
            item = out.get(timeout=0.2)
            break
        except queue.Empty:
            if time.monotonic() > deadline + 0.5:
                raise proxy.timed_out() from None
    if isinstance(item, QueryError):
        raise item
    return item


def _counted(triples: Iterator[Any], upstream: _Upstream, proxy: SparqlProxy) -> Iterator[Any]:
    """*triples*, stopped past the row limit (the reason kept on *upstream*)."""
    for number, triple in enumerate(triples, 1):
        if number > proxy.max_rows:
            upstream.failure = proxy.too_large()
            raise upstream.failure
        yield triple


def _form(query: str, base_iri: str | None) -> str:
    """Parse *query* (as the embedded store would) and return what it answers: table, boolean or graph.

    The query runs on an empty store: parsing is all it does (results are read lazily, and an
    ASK over no data ends at once).
    """
    try:
        result = ox.Store().query(query, base_iri=base_iri)
    except SyntaxError as error:
        raise QuerySyntaxError(syntax_message(query, str(error))) from None
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "graph" if isinstance(result, ox.QueryTriples) else "table"


def _boolean(response: httpx.Response, media: str) -> bytes:
    """Read an ASK answer (SPARQL JSON's boolean, or Virtuoso 7's one-row table of 0 or 1) and serialise it."""
    import json

    body = json.loads(response.read()[:65536])
    if "boolean" in body:
        value = bool(body["boolean"])
    else:
        rows = body.get("results", {}).get("bindings", [])
        value = bool(rows) and next(iter(rows[0].values()))["value"] not in ("0", "false")
    text = '{"head":{},"boolean":%s}' % ("true" if value else "false")
    parsed = ox.parse_query_results(text, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=ox.QueryResultsFormat.from_media_type(media)) or b""
