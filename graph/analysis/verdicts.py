"""Coordinators' verdicts on pairs of documents: recorded with PROV in their own named graph, read as one view.

A verdict says what a coordinator concluded about two documents the overlap engine relates:
confirmed duplicate, not a duplicate, or coordinated (with a note and a link to the agreement). The
verdicts on a pair live in their own named graph, ``<base>graph/verdicts/{a}/{b}``, which no load of
the registry replaces, so verdicts survive a reload. A verdict is never changed: a new one on the
same pair revises it (``prov:wasRevisionOf``), and withdrawing one records a revision of kind
"withdrawn", so the history of every pair is kept.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from rdflib import Graph, Literal, URIRef

from graph.model.snapshot import Snapshot, View, snapshot
from graph.store.core import GraphWrite, Store, query
from graph.store.namespaces import GD, PROV, RDF, SKOS, XSD, is_valid_id
from graph.validation.validate import validate

__all__ = [
    "KINDS",
    "LABELS",
    "VERDICTS",
    "Verdict",
    "VerdictError",
    "Verdicts",
    "graph_name",
    "pair",
    "record",
    "verdicts",
    "withdraw",
]

#: The kinds a coordinator may record, by the word the API uses.
KINDS = {
    "confirmed-duplicate": GD.ConfirmedDuplicate,
    "not-duplicate": GD.NotDuplicate,
    "coordinated": GD.Coordinated,
}
WITHDRAWN = "withdrawn"
_KIND_OF = {str(iri): word for word, iri in {**KINDS, WITHDRAWN: GD.Withdrawn}.items()}
#: What a coordinator calls each kind (Danish, English), as ontology/verdicts.ttl labels them.
LABELS = {
    "confirmed-duplicate": ("bekræftet dobbeltarbejde", "confirmed duplicate"),
    "not-duplicate": ("ikke dobbeltarbejde", "not a duplicate"),
    "coordinated": ("koordineret", "coordinated"),
    WITHDRAWN: ("trukket tilbage", "withdrawn"),
}
NOTE_LIMIT = 2000
LINK_LIMIT = 2000
# One verdict write at a time in this process: a pair's graph is read, extended and written back whole.
_LOCK = threading.Lock()


class VerdictError(Exception):
    """A verdict that cannot be recorded: ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Verdict:
    """One recorded verdict: the pair (ids in order), the kind, who and when, and what it revises."""

    iri: str
    a: str
    b: str
    kind: str
    note: str | None
    link: str | None
    who: str
    when: str
    revises: str | None
    engine_relation: str | None

    def json(self) -> dict[str, Any]:
        """Return the verdict as the API shows it beside the engine's relation."""
        return {
            "kind": self.kind,
            "label": LABELS[self.kind][0],
            "label_en": LABELS[self.kind][1],
            "note": self.note,
            "link": self.link,
            "who": self.who,
            "when": self.when,
        }


def pair(a: str, b: str) -> tuple[str, str]:
    """Return the pair of document ids in the one order verdicts are kept in."""
    return (a, b) if a <= b else (b, a)


class Verdicts:
    """Every verdict of a store generation: the one standing per pair, and each pair's history."""

    def __init__(self, found: Iterable[Verdict] = ()) -> None:
        self.history: dict[tuple[str, str], list[Verdict]] = defaultdict(list)
        for verdict in sorted(found, key=lambda v: (v.when, _number(v.iri))):
            self.history[(verdict.a, verdict.b)].append(verdict)
        #: The newest verdict on each pair, unless it withdrew the one before.
        self.standing = {key: found[-1] for key, found in self.history.items() if found[-1].kind != WITHDRAWN}

    def of(self, a: str, b: str) -> Verdict | None:
        """Return the verdict that stands on the pair *a*, *b* (either order), or None."""
        return self.standing.get(pair(a, b))

    def json_of(self, a: str, b: str) -> dict[str, Any] | None:
        """Return :meth:`of` as the API shows it, or None."""
        found = self.of(a, b)
        return found.json() if found else None

    def newest_first(self) -> list[Verdict]:
        """Return the standing verdicts, the most recent first."""
        return sorted(self.standing.values(), key=lambda v: (v.when, v.iri), reverse=True)

    def every(self) -> list[Verdict]:
        """Return every verdict ever recorded (withdrawals too), oldest first."""
        return sorted((v for found in self.history.values() for v in found), key=lambda v: (v.when, v.iri))


def _number(iri: str) -> int:
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _id(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _build(snap: Snapshot) -> Verdicts:
    if snap.store is None:  # a landscape built by hand has no store, so no verdicts
        return Verdicts()
    rows: dict[str, dict[str, Any]] = {}
    for row in snap.store.select(query("verdicts")):
        found = rows.setdefault(str(row["verdict"]), {"docs": set(), **{k: row.get(k) for k in row}})
        found["docs"].add(_id(str(row["doc"])))
    verdicts = []
    for iri, row in rows.items():
        kind = _KIND_OF.get(str(row["kind"]))
        if kind is None or len(row["docs"]) != 2:
            continue  # broken data: the SHACL report names it (ontology/shapes/verdict.shapes.ttl)
        a, b = sorted(row["docs"])
        verdicts.append(
            Verdict(
                iri=iri,
                a=a,
                b=b,
                kind=kind,
                note=str(row["note"]) if row.get("note") is not None else None,
                link=str(row["agreement"]) if row.get("agreement") is not None else None,
                who=unquote(_id(str(row["agent"]))),
                when=str(row["time"]),
                revises=str(row["previous"]) if row.get("previous") is not None else None,
                engine_relation=str(row["engine"]) if row.get("engine") is not None else None,
            )
        )
    return Verdicts(verdicts)


#: The verdicts of a store generation (a verdict write makes a new generation, so it is read afresh).
VERDICTS: View[Verdicts] = View("verdicts", build=_build)


def verdicts(source: Store | Snapshot) -> Verdicts:
    """Return the verdicts of *source*: a store (its current snapshot) or a snapshot (a landscape's)."""
    snap = source if isinstance(source, Snapshot) else snapshot(source)
    return snap[VERDICTS]


def graph_name(store: Store, a: str, b: str) -> URIRef:
    """Return the named graph that holds every verdict on the pair *a*, *b*: ``<base>graph/verdicts/{a}/{b}``.

    One graph per pair, so two coordinators judging two pairs at once never write the same graph.
    """
    first, second = pair(a, b)
    return store.minter.graph(f"verdicts/{first}/{second}")


def _checked_link(link: str | None) -> str | None:
    if link is None or not link.strip():
        return None
    link = link.strip()
    parts = urlsplit(link)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or len(link) > LINK_LIMIT
        or any(c in link for c in ' <>"{}|\\^`')
    ):
        raise VerdictError(422, f"the agreement link must be an http(s) address, not {link[:80]!r}")
    return link


def _checked_pair(store: Store, a: str, b: str, known: Iterable[str]) -> tuple[str, str]:
    for doc_id in (a, b):
        if not is_valid_id(doc_id):
            raise VerdictError(422, f"invalid document id {doc_id!r}: use lowercase letters, digits and '-'")
    if a == b:
        raise VerdictError(422, "a verdict is on two different documents; a and b are the same")
    ids = set(known)
    missing = [d for d in (a, b) if d not in ids]
    if missing:
        raise VerdictError(404, f"no document with id {missing[0]!r}")
    return pair(a, b)


def _write(
    store: Store,
    a: str,
    b: str,
    kind: str,
    author: str,
    note: str | None = None,
    link: str | None = None,
    engine_relation: str | None = None,
) -> Verdict:
    """Add one verdict on the pair to the verdicts graph, revising the newest one before it."""
    name = graph_name(store, a, b)
    with _LOCK:
        graph = store.graph(name)
        earlier = sorted(graph.subjects(RDF.type, GD.Verdict), key=lambda s: _number(str(s)))
        iri = store.minter.verdict(a, b, _number(str(earlier[-1])) + 1 if earlier else 1)
        now = dt.datetime.now(dt.UTC).isoformat()
        new = Graph()
        new.add((iri, RDF.type, GD.Verdict))
        for doc_id in (a, b):
            new.add((iri, GD.verdictOn, store.minter.document(doc_id)))
        new.add((iri, GD.verdictKind, KINDS.get(kind, GD.Withdrawn)))
        new.add((iri, PROV.wasAttributedTo, store.minter.agent(author)))
        new.add((iri, PROV.generatedAtTime, Literal(now, datatype=XSD.dateTime)))
        if note:
            new.add((iri, SKOS.note, Literal(note)))
        if link:
            new.add((iri, GD.agreement, URIRef(link)))
        if engine_relation:
            new.add((iri, GD.engineRelation, Literal(engine_relation)))
        if earlier:
            new.add((iri, PROV.wasRevisionOf, earlier[-1]))
        broken = [r for r in validate(new).results if r.severity == "Violation"]
        if broken:  # the API refuses what makes these; a failure here is a bug, not bad input
            raise VerdictError(422, "; ".join(r.message_en for r in broken))
        graph += new
        _commit(store, iri, name, graph)
    return Verdict(
        iri=str(iri),
        a=a,
        b=b,
        kind=kind,
        note=note or None,
        link=link,
        who=author,
        when=now,
        revises=str(earlier[-1]) if earlier else None,
        engine_relation=engine_relation,
    )


def _commit(store: Store, iri: URIRef, name: URIRef, graph: Graph) -> None:
    """Write the pair's graph, and where processes share the store only if it is still as read.

    In this process the lock keeps two writes apart; a shared (remote) store also checks, in the
    same update, that nobody recorded a verdict of the same number on the pair meanwhile.

    Raises:
        VerdictError: 409 if another process recorded a verdict on the pair since it was read.
    """
    conditional = getattr(store, "write_if_unchanged", None)
    if conditional is None:
        store.write([GraphWrite(name, graph)], changed={str(iri)})
        return
    from graph.store.remote import Seen  # only the remote store needs it

    # Seen with no rows: the new verdict's IRI must still be unused; no PROV activities live in this graph.
    if not conditional(Seen(iri, set(), name, 0), [GraphWrite(name, graph)], []):
        raise VerdictError(409, "another verdict on this pair was just recorded: read it and record yours again")


def record(
    store: Store,
    a: str,
    b: str,
    kind: str,
    author: str,
    *,
    known: Iterable[str],
    note: str | None = None,
    link: str | None = None,
    engine_relation: str | None = None,
) -> tuple[Verdict, bool]:
    """Record a coordinator's verdict on the documents *a* and *b*; a verdict already on the pair is revised.

    Args:
        store: the store.
        a: one document's id.
        b: the other's.
        kind: one of :data:`KINDS`.
        author: the name of the token that records it.
        known: the ids of the documents that exist now.
        note: why, in the coordinator's words.
        link: an http(s) link to the owners' agreement.
        engine_relation: the overlap engine's relation for the pair now, kept beside the verdict.

    Returns:
        The verdict, and whether it is the pair's first (not a revision).

    Raises:
        VerdictError: 422 for a bad kind, id, note or link, 404 for an unknown document.
    """
    if kind not in KINDS:
        raise VerdictError(422, f"unknown verdict {kind!r}: use one of {', '.join(KINDS)}")
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LIMIT:
        raise VerdictError(422, f"the note is longer than {NOTE_LIMIT} characters")
    a, b = _checked_pair(store, a, b, known)
    checked_link = _checked_link(link)
    first = verdicts(store).history.get((a, b)) is None
    return _write(store, a, b, kind, author, note, checked_link, engine_relation), first


def withdraw(store: Store, a: str, b: str, author: str) -> Verdict:
    """Withdraw the verdict that stands on the pair (kept in its history as revised by a withdrawal).

    Raises:
        VerdictError: 422 for a bad id, 404 if no verdict stands on the pair.
    """
    for doc_id in (a, b):
        if not is_valid_id(doc_id):
            raise VerdictError(422, f"invalid document id {doc_id!r}: use lowercase letters, digits and '-'")
    a, b = pair(a, b)
    if verdicts(store).of(a, b) is None:
        raise VerdictError(404, f"no verdict stands on {a} × {b}")
    return _write(store, a, b, WITHDRAWN, author)
