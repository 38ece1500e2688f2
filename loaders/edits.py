"""Single-record writes: create, replace and delete documents and organisations, with history.

A record written through the API moves into its own named graph (``graph/documents/{id}``
or ``graph/organisations/{id}``), taken out of the source graph it came from in the same
transaction.  Every write keeps the previous version as an N-Triples literal on a PROV
activity (who, when, what), so no earlier version is ever lost and none of them leaks into
queries as a live document.  A write is checked with the SHACL shapes on the record and
what it refers to before anything is stored.

Within one process a lock keeps read-check-write of a record from interleaving.  A store
that several processes share (the remote SPARQL store) also gets the check and the write in
one conditional update, so two workers holding the same ETag cannot both write: one gets 412.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.serializers.nt import _nt_row  # the serializer's own line writer: the same bytes
from rdflib.term import Node

from graph.model.vocabulary import vocabulary
from graph.store.core import GraphWrite, Store, query
from graph.store.namespaces import GD, PROV, RDF, RDFS, XSD
from graph.validation.validate import ValidationResult, validate
from loaders.records import Context, LoadError, RecordConverter

__all__ = [
    "EditError",
    "Version",
    "WriteResult",
    "current_etag",
    "delete_record",
    "etag_of",
    "history",
    "save_record",
    "version_triples",
]

KINDS = ("document", "organisation")
_LOCK = threading.Lock()  # read-check-write of one record must not interleave in this process

_DESCRIBE = query("record_description")
_INBOUND = query("record_inbound")
_VERSIONS = query("record_history")


class EditError(Exception):
    """A write that cannot be done: ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str, results: list[ValidationResult] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.results = results or []


@dataclass(frozen=True)
class WriteResult:
    """What a successful write did: the new ETag, the version number and the warnings it causes."""

    iri: str
    etag: str | None
    version: int
    warnings: list[ValidationResult]


@dataclass(frozen=True)
class Version:
    """One entry of a record's history: the previous version a write replaced."""

    number: int
    action: str
    author: str
    time: str
    etag: str | None
    content: str | None


def _iri(store: Store, kind: str, record_id: str) -> URIRef:
    return store.minter.document(record_id) if kind == "document" else store.minter.organisation(record_id)


def _own_graph(store: Store, kind: str, record_id: str) -> URIRef:
    return store.minter.graph(f"{kind}s/{record_id}")


@dataclass
class _Read:
    """A record as one query saw it: its triples, each holding graph without it, and the raw rows."""

    description: Graph
    rest: dict[URIRef, Graph]
    rows: set[tuple[Any, Any, Any, Any]]


def _describe(store: Store, iri: URIRef) -> _Read:
    """Return the record's triples and, per named graph, the graph's triples without the record."""
    description = Graph()
    holders: set[URIRef] = set()
    rows = set()
    for row in store.select(_DESCRIBE, {"x": iri}):
        description.add((row["s"], row["p"], row["o"]))  # type: ignore[arg-type]
        holders.add(URIRef(str(row["g"])))
        rows.add((URIRef(str(row["g"])), row["s"], row["p"], row["o"]))
    rest: dict[URIRef, Graph] = {}
    for name in holders:
        graph = store.graph(name)
        for triple in description:
            graph.remove(triple)
        rest[name] = graph
    return _Read(description, rest, rows)


def _commit(
    store: Store, iri: URIRef, read: _Read, keep: URIRef | None, replace: list[GraphWrite], versions: int
) -> None:
    """Store a record write: conditionally where several processes share the store, else under the lock.

    Args:
        store: the store.
        iri: the record.
        read: what the write was checked against.
        keep: the holder graph that *replace* rewrites whole (the record's own), if any.
        replace: graphs replaced whole: the record's own graph and its history.
        versions: how many history entries the writer saw.

    Raises:
        EditError: 412 if another process changed the record since it was read.
    """
    conditional = getattr(store, "write_if_unchanged", None)
    if conditional is None:
        writes = [GraphWrite(name, rest) for name, rest in read.rest.items() if name != keep]
        # The record alone changed: its source graph is rewritten without it.  Read models, the
        # SHACL report among them, update themselves for it when next read (graph.model.snapshot).
        store.write([*writes, *replace], changed={str(iri)})
        return
    from graph.store.remote import Seen  # only the remote store needs it

    history = replace[-1].name
    remove = [GraphWrite(name, _rows_in(name, read.rows)) for name in read.rest if name != keep]
    if not conditional(Seen(iri, read.rows, history, versions), replace, remove):
        if not read.rows:  # it was created meanwhile
            raise EditError(409, "a record with this id was just created by someone else; GET it to change it")
        raise EditError(412, "the record changed since you read it: GET it again and reapply your change")


def _rows_in(name: URIRef, rows: set[tuple[Any, Any, Any, Any]]) -> Graph:
    graph = Graph()
    for g, s, p, o in rows:
        if g == name:
            graph.add((s, p, o))
    return graph


def etag_of(description: Graph | Iterable[tuple[Node, Node, Node]]) -> str | None:
    """Return a strong ETag for a record's triples (a hash of their sorted N-Triples), or None if it has none.

    Each distinct triple is written as rdflib's N-Triples serializer writes it, without
    building a graph and running the serializer (which was most of a cold document read).
    """
    triples = set(description)
    if not triples:
        return None
    lines = sorted("".join(_nt_row(triple) for triple in triples).splitlines())
    return '"' + hashlib.sha256("\n".join(line for line in lines if line).encode("utf-8")).hexdigest()[:32] + '"'


def current_etag(store: Store, kind: str, record_id: str) -> str | None:
    """Return the ETag of a record as it is stored now, or None if there is no such record.

    Only the record's own triples are read: a read must not copy the file graph that holds it
    (a whole landscape's worth when the documents came in one file), as a write has to.
    """
    rows = store.select(_DESCRIBE, {"x": _iri(store, kind, record_id)})
    return etag_of((row["s"], row["p"], row["o"]) for row in rows)


def _check_precondition(current: str | None, if_match: str | None, creating: bool) -> None:
    if creating:
        if current is not None:
            raise EditError(409, "a record with this id exists already; PUT it with If-Match to change it")
        return
    if current is None:
        raise EditError(404, "no such record")
    if if_match is None:
        raise EditError(428, "If-Match is required: send the ETag of the version you changed")
    if if_match.strip() not in (current, "*"):
        raise EditError(412, "the record changed since you read it: GET it again and reapply your change")


def _convert(store: Store, kind: str, record: Mapping[str, Any]) -> Graph:
    ids = _known_ids(store)
    converter = RecordConverter(vocabulary(), store.minter, ids)
    at = lambda field: "body"  # noqa: E731 - one location for a JSON body
    if kind == "document":
        converter.document(record, at)
    else:
        converter.organisation(record, at)
    if converter.problems:
        raise LoadError("request", converter.problems)
    return converter.graph


def _known_ids(store: Store) -> Context:
    rows = store.select(query("known_ids"))
    context = Context()
    for row in rows:
        (context.documents if row["type"] == GD.GuidingDocument else context.organisations).add(str(row["id"]))
    return context


def _check_shapes(store: Store, iri: URIRef, triples: Graph) -> list[ValidationResult]:
    """Validate the record with what it refers to (their types), not the whole graph: milliseconds, not seconds."""
    data = Graph()
    data += triples
    for obj in set(triples.objects()):
        if isinstance(obj, URIRef) and obj != iri:
            for row in store.select(query("types_of"), {"o": obj}):
                data.add((obj, RDF.type, row["t"]))
    report = validate(data)
    return [r for r in report.results if r.focus == str(iri) or r.focus.startswith(f"{iri}/")]


def _activity(
    store: Store,
    kind: str,
    record_id: str,
    action: str,
    author: str,
    previous: Graph,
    etag: str | None,
    checked: Iterable[tuple[str, str, float]] = (),
) -> tuple[URIRef, Graph]:
    log = _own_graph(store, f"history/{kind}", record_id)
    existing = store.graph(log)
    number = 1 + sum(1 for _ in existing.subjects(RDF.type, PROV.Activity))
    activity = URIRef(f"{store.minter.base}edit/{kind}/{record_id}/{number}")
    now = dt.datetime.now(dt.UTC).isoformat()
    iri = _iri(store, kind, record_id)
    g = existing
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(f"{action} {kind} {record_id}")))
    g.add((activity, GD.editOf, iri))
    g.add((activity, GD.versionNumber, Literal(number)))
    g.add((activity, GD.action, Literal(action)))
    g.add((activity, PROV.wasAssociatedWith, URIRef(f"{store.minter.base}agent/{author}")))
    g.add((activity, PROV.startedAtTime, Literal(now, datatype=XSD.dateTime)))
    # What the overlap check showed the writer when the write was made (a plan's registration).
    for rank, (other, relation, score) in enumerate(checked, start=1):
        found = URIRef(f"{activity}/check/{rank}")
        g.add((activity, GD.overlapCheck, found))
        g.add((found, GD.candidate, _iri(store, "document", other)))
        g.add((found, GD.relation, Literal(relation)))
        g.add((found, GD.score, Literal(round(score, 3), datatype=XSD.decimal)))
        g.add((found, GD.rank, Literal(rank)))
    if len(previous):
        g.add((activity, GD.previousVersion, Literal(previous.serialize(format="nt"))))
        g.add((activity, GD.previousEtag, Literal(etag)))
    return log, g


def save_record(
    store: Store,
    kind: str,
    record: Mapping[str, Any],
    author: str,
    *,
    creating: bool,
    if_match: str | None = None,
    checked: Iterable[tuple[str, str, float]] = (),
) -> WriteResult:
    """Create or replace one document or organisation, validated, with its previous version kept.

    Raises:
        EditError: 404/409/412/428 for preconditions, 422 with SHACL results for a violation.
        LoadError: a field the record cannot be read from (answered with 422).
    """
    record_id = str(record.get("id") or "")
    with _LOCK:
        iri = _iri(store, kind, record_id) if record_id else URIRef("")
        read = _describe(store, iri) if record_id else _Read(Graph(), {}, set())
        previous = read.description
        _check_precondition(etag_of(previous), if_match, creating)
        triples = _convert(store, kind, record)
        results = _check_shapes(store, iri, triples)
        violations = [r for r in results if r.severity == "Violation"]
        if violations:
            raise EditError(422, "the record breaks the data rules and was not stored", violations)
        own = _own_graph(store, kind, record_id)
        action = "create" if creating else "update"
        log, activity = _activity(store, kind, record_id, action, author, previous, etag_of(previous), checked)
        versions = sum(1 for _ in activity.subjects(RDF.type, PROV.Activity)) - 1
        _commit(store, iri, read, own, [GraphWrite(own, triples), GraphWrite(log, activity)], versions)
        version = sum(
            1 for _ in store.graph(_own_graph(store, f"history/{kind}", record_id)).subjects(RDF.type, PROV.Activity)
        )
    return WriteResult(str(iri), etag_of(triples), version, [r for r in results if r.severity != "Violation"])


def delete_record(store: Store, kind: str, record_id: str, author: str, if_match: str | None) -> int:
    """Delete one document or organisation, keeping it in its history; return the version number.

    Raises:
        EditError: 404/412/428 for preconditions, 409 if other records still refer to it.
    """
    with _LOCK:
        iri = _iri(store, kind, record_id)
        read = _describe(store, iri)
        previous = read.description
        _check_precondition(etag_of(previous), if_match, creating=False)
        referring = sorted(str(r["other"]).rsplit("/", 1)[-1] for r in store.select(_INBOUND, {"x": iri}))
        if referring:
            raise EditError(409, f"still referred to by {', '.join(referring[:10])}: change those first")
        log, activity = _activity(store, kind, record_id, "delete", author, previous, etag_of(previous))
        versions = sum(1 for _ in activity.subjects(RDF.type, PROV.Activity))
        _commit(store, iri, read, None, [GraphWrite(log, activity)], versions - 1)
        return versions


def history(store: Store, kind: str, record_id: str) -> list[Version]:
    """Return every write of a record, oldest first, each with the version it replaced."""
    rows = store.select(_VERSIONS, {"x": _iri(store, kind, record_id)})
    return [
        Version(
            number=int(row["n"]),
            action=str(row["action"]),
            author=str(row["agent"]).rsplit("/", 1)[-1],
            time=str(row["time"]),
            etag=str(row["etag"]) if "etag" in row else None,
            content=str(row["content"]) if "content" in row else None,
        )
        for row in rows
    ]


def version_triples(store: Store, kind: str, record_id: str, number: int) -> Graph | None:
    """Return the triples of the version that write *number* replaced, or None if it has none."""
    for version in history(store, kind, record_id):
        if version.number == number and version.content:
            graph = Graph()
            graph.parse(data=version.content, format="nt")
            return graph
    return None
