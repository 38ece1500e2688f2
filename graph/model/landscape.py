"""The landscape read model: documents and organisations as Python objects, indexed for analysis.

Built from the store with a handful of whole-graph queries, once per store generation (the
``LANDSCAPE`` view of its snapshot, updated for what a write changed), so every request works on
plain objects and indexes instead of re-running joins.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from rdflib import URIRef

from graph.model.heap import read_model, settle
from graph.model.names import Names, organisation_names
from graph.model.snapshot import Snapshot, View, snapshot
from graph.model.textsim import TermIndex
from graph.model.vocabulary import KINDS, NOT_YET_VALID, Vocabulary, vocabulary
from graph.store.core import Store, query
from graph.store.namespaces import CHAPTER, DCTERMS, GD, ORG, RDF, SCHEMA, SKOS

__all__ = [
    "DEFAULT_LEVELS",
    "DEFAULT_PURPOSES",
    "DOCUMENT_FIELDS",
    "LANDSCAPE",
    "LEVELS",
    "ORGANISATION_NAMES",
    "PURPOSES",
    "VALIDITIES",
    "Document",
    "DraftDocument",
    "Landscape",
    "Organisation",
    "delta",
    "landscape",
    "period_end",
    "period_start",
]

LINK_NAMES = {
    str(DCTERMS.replaces): "replaces",
    str(GD.revises): "revises",
    str(GD.supplements): "supplements",
    str(DCTERMS.references): "references",
    str(GD.implements): "implements",
}
_DATES = {
    str(DCTERMS.issued): "issued",
    str(DCTERMS.modified): "modified",
    str(GD.consultationDate): "consultation",
    str(GD.notValidSince): "not_valid_since",
    str(SCHEMA.lastReviewed): "verified",
    str(SCHEMA.expires): "valid_until",
    str(GD.expectedPublication): "expected_publication",
}
# What is known about a document beside its lifecycle status (ontology/retningsgraf.ttl defines each value).
VALIDITIES = ("in-force", "historical", "unknown")
LEVELS = ("national", "regional", "local")
PURPOSES = ("clinical", "organisational", "background")
#: What counts as coverage unless a planner widens it: national clinical guidance.
DEFAULT_LEVELS = frozenset({"national"})
DEFAULT_PURPOSES = frozenset({"clinical"})
# Plain-text facts copied as they are (values: the tuples above).
_TEXTS = {str(GD.validity): "validity", str(GD.level): "level", str(GD.purpose): "purpose"}
# Concept lists read by notation, like populations and topics.
_SCOPE_LISTS = {str(GD.intervention): "interventions", str(GD.setting): "settings"}


def period_start(value: str) -> dt.date:
    """Return the first day of a date, year-month or year."""
    parts = [int(p) for p in value.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2])


def period_end(value: str) -> dt.date:
    """Return the last day of a date, year-month or year."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        following = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return dt.date(parts[0], 12, 31)


@dataclass
class Organisation:
    """An owner organisation."""

    id: str
    iri: str
    name: str
    name_en: str | None = None
    abbreviation: str | None = None
    types: list[str] = field(default_factory=list)
    parent: str | None = None
    sources: list[str] = field(default_factory=list)

    @property
    def is_dmpg(self) -> bool:
        """True for one of the Danish Multidisciplinary Psychiatry Groups."""
        return "DMPG" in self.types


@dataclass
class Document:
    """A guiding document with its scope, status, dates and links."""

    id: str
    iri: str
    title: str = ""
    title_en: str | None = None
    kind: str = ""
    owners: list[str] = field(default_factory=list)
    disease_areas: list[str] = field(default_factory=list)  # concept IRIs
    populations: list[str] = field(default_factory=list)  # notations
    topics: list[str] = field(default_factory=list)  # notations
    interventions: list[str] = field(default_factory=list)  # notations
    settings: list[str] = field(default_factory=list)  # notations
    status: str = ""
    valid: bool = False
    issued: str | None = None
    modified: str | None = None
    consultation: str | None = None
    not_valid_since: str | None = None
    version: str | None = None
    url: str | None = None
    sources: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (type, target id)
    verification: str | None = None
    notes: str | None = None
    validity: str | None = None  # in-force | historical | unknown
    verified: str | None = None  # when the facts were last checked against sources
    valid_until: str | None = None
    level: str | None = None  # national | regional | local
    purpose: str | None = None  # clinical | organisational | background
    title_is_descriptive: bool = False
    expected_publication: str | None = None  # planned work: when its owner expects to publish it

    def valid_on(self, day: dt.date, replaced_on: dt.date | None = None) -> bool:
        """Return True if the document was in force on *day*, as far as its dates tell.

        Args:
            day: the date asked about.
            replaced_on: the issue date of the document that replaced this one, if any.
        """
        if self.status in NOT_YET_VALID or self.status == "withdrawn":
            return False
        if not self.issued:
            # In force now with no known issue date: valid from today on, unknown before.
            return self.valid and day >= dt.date.today()
        if period_start(self.issued) > day:
            return False
        if self.not_valid_since and period_start(self.not_valid_since) <= day:
            return False
        if replaced_on and replaced_on <= day:
            return False
        # Out of force at an unknown date: do not claim it was valid.
        return not (self.status in ("not-valid", "superseded") and not (self.not_valid_since or replaced_on))

    @property
    def last_review(self) -> str | None:
        """Return the latest of the issue and revision dates."""
        dates = [d for d in (self.issued, self.modified) if d]
        return max(dates, key=period_end) if dates else None


#: A document's fields, the one list: the API's document JSON shows them in this order.
DOCUMENT_FIELDS = tuple(f.name for f in fields(Document))


@dataclass
class DraftDocument(Document):
    """A planned document that is not in the graph, judged as if it were published.

    Its title terms and the disease areas its title names are derived once, when it is made
    (``overlap.draft_document``), so ranking it against thousands of documents does not redo it;
    the landscape keeps nothing of it.
    """

    terms: set[str] = field(default_factory=set, repr=False, compare=False)
    named_areas: list[str] = field(default_factory=list, repr=False, compare=False)


class Landscape:
    """All documents and organisations of a store, with the indexes the analysis needs.

    A landscape is the value of the ``LANDSCAPE`` view: one per store generation, never changed
    once readers see it.  Its indexes (the ``read_model`` properties, the title areas and
    covering sets) are part of that value, not a cache beside it: each is a function of this
    landscape's documents and the shipped vocabulary alone, built on first use (most requests
    need few of them) and gone with the landscape, so nothing can make one stale.  The view's
    update carries them over to the next generation's landscape (:meth:`_adopt`), and the
    snapshot contract test holds that update equal to a fresh build, indexes included.  (As
    views of their own they would need the old landscape beside each index to update it, and
    every ``land.by_area`` in the analyses would become a snapshot lookup: no gain in safety.)
    """

    def __init__(
        self,
        documents: Iterable[Document],
        organisations: Iterable[Organisation],
        vocab: Vocabulary,
    ) -> None:
        self.vocabulary = vocab
        self.documents = {d.id: d for d in sorted(documents, key=lambda d: d.id)}
        self.organisations = {o.id: o for o in sorted(organisations, key=lambda o: o.id)}
        #: The snapshot whose views analyses read (``land.snapshot[SOME_VIEW]``); its store's once built from one.
        self.snapshot = Snapshot.holding(LANDSCAPE, self)
        #: Shared with the landscape this one was updated from while title terms were carried over, so
        #: indexes over terms know when they may be updated rather than built afresh.
        self.lexicon = object()

    def owner_id(self, text: str) -> str | None:
        """Return the id of the organisation *text* names (id, name, abbreviation; any case or number), if any."""
        key = text.strip().casefold()
        if key in self.organisations:
            return key  # the usual case, an id, without building the name index
        return self.snapshot[ORGANISATION_NAMES].find(text)

    def unknown_owner(self, text: str) -> str:
        """Return the message for a *text* that names no organisation, with the closest ones."""
        return self.snapshot[ORGANISATION_NAMES].unknown(text)

    def _adopt(self, old: Landscape, removed: list[Document], added: list[Document]) -> None:
        """Take over *old*'s indexes with *removed* documents taken out and *added* ones put in."""
        computed = old.__dict__
        if "doc_terms" not in computed:
            return  # nothing derived yet: build lazily as usual
        text = old.text.updated(map(self.scope_text, removed), map(self.scope_text, added))
        if text is None:
            return  # the lexicon changed: every title may split differently, so build afresh
        mine = self.__dict__
        mine["text"] = text
        self.lexicon = old.lexicon
        for name in ("name_terms", "_names_by_term"):
            if name in computed:
                mine[name] = computed[name]
        gone = {d.id for d in removed}
        areas = dict(computed.get("_title_areas", {}))
        for doc_id in gone:
            areas.pop(doc_id, None)
        mine["_title_areas"] = areas
        doc_terms = {i: t for i, t in computed["doc_terms"].items() if i not in gone}
        new_terms = {d.id: self.terms_of(d) for d in added}
        doc_terms.update(new_terms)
        text.refit(
            [computed["doc_terms"][i] for i in gone if i in computed["doc_terms"]], new_terms.values(), len(doc_terms)
        )
        mine["doc_terms"] = doc_terms
        for name in ("by_area", "by_area_exact", "by_title_block", "by_term"):
            if name in computed:
                index = {key: set(ids) for key, ids in computed[name].items()}
                for ids in index.values():
                    ids -= gone
                mine[name] = defaultdict(set, {key: ids for key, ids in index.items() if ids})
                self._file(name, added)

    def changed_concepts(self, old: Landscape, changed: Iterable[str]) -> frozenset[str]:
        """Return the disease areas whose coverage the *changed* documents (IRIs) can have changed since *old*."""
        removed, added = delta(old, self, changed)
        areas = {a for d in [*removed, *added] for a in d.disease_areas}
        return frozenset(
            c
            for area in areas
            for c in [*self.descendants_and_self(area), *map(str, self.vocabulary.ancestors(URIRef(area)))]
        )

    def _file(self, name: str, docs: list[Document]) -> None:
        """Put *docs* into the index *name*, as its cached property would."""
        index = self.__dict__[name]
        for doc in docs:
            if name == "by_term":
                for term in self.doc_terms[doc.id]:
                    index[term].add(doc.id)
                continue
            concepts = self.title_areas(doc) if name == "by_title_block" else doc.disease_areas
            for concept in concepts:
                index[concept].add(doc.id)
                if name != "by_area_exact":
                    for ancestor in self.vocabulary.ancestors(URIRef(concept)):
                        index[str(ancestor)].add(doc.id)

    # Indexes ------------------------------------------------------------------

    @read_model
    def by_title(self) -> tuple[Document, ...]:
        """Every document in the lists' default order: by title (case folded), then id."""
        return tuple(sorted(self.documents.values(), key=lambda d: (d.title.casefold(), d.id)))

    @read_model
    def text(self) -> TermIndex:
        """Term rarity over all titles."""
        return TermIndex(self.scope_text(d) for d in self.documents.values())

    @read_model
    def doc_terms(self) -> dict[str, set[str]]:
        """Scope terms per document id, with rarity weights fitted over them."""
        found = {d.id: self.terms_of(d) for d in self.documents.values()}
        self.text.fit(found.values())
        return found

    def title_areas(self, doc: Document) -> list[str]:
        """Return the disease areas the document's title names (cached for registry documents)."""
        if isinstance(doc, DraftDocument):
            return doc.named_areas
        cache = self.__dict__.setdefault("_title_areas", {})
        if doc.id not in cache:
            cache[doc.id] = self.named_in(self.scope_text(doc), "icd10")
        found: list[str] = cache[doc.id]
        return found

    def terms_of(self, doc: Document) -> set[str]:
        """Return the scope terms of a document's title plus the concepts its title names.

        "Ikke-medicinsk behandling" and "Non-farmakologisk behandling" share no word, but both
        name the topic non-pharmacological, so both get the term ``@topic/non-pharmacological``;
        "elektrochok" and "ECT" both get ``@intervention/ect``.
        """
        text = self.scope_text(doc)
        areas = self.named_in(text, "icd10")
        if not isinstance(doc, DraftDocument):
            self.__dict__.setdefault("_title_areas", {})[doc.id] = areas
        named = areas + self.named_in(text, "topic") + self.named_in(text, "intervention")
        return self.text.terms(text) | {"@" + concept.split("retningsgraf/", 1)[-1] for concept in named}

    def terms(self, doc: Document) -> set[str]:
        """Return the scope terms of a document of this landscape or a draft (see :meth:`terms_of`)."""
        if isinstance(doc, DraftDocument):
            return doc.terms
        return self.doc_terms.get(doc.id) or self.terms_of(doc)

    @read_model
    def by_area(self) -> dict[str, set[str]]:
        """Document ids per disease-area concept, counting each document under its codes' ancestors too."""
        index: dict[str, set[str]] = defaultdict(set)
        for doc in self.documents.values():
            for area in doc.disease_areas:
                index[area].add(doc.id)
                for ancestor in self.vocabulary.ancestors(URIRef(area)):
                    index[str(ancestor)].add(doc.id)
        return index

    @read_model
    def by_area_exact(self) -> dict[str, set[str]]:
        """Document ids per disease-area concept they name themselves."""
        index: dict[str, set[str]] = defaultdict(set)
        for doc in self.documents.values():
            for area in doc.disease_areas:
                index[area].add(doc.id)
        return index

    @read_model
    def by_title_block(self) -> dict[str, set[str]]:
        """Document ids per ICD-10 block that their title names (for candidate look-up)."""
        index: dict[str, set[str]] = defaultdict(set)
        for doc in self.documents.values():
            for concept in self.title_areas(doc):
                for node in [URIRef(concept), *self.vocabulary.ancestors(URIRef(concept))]:
                    index[str(node)].add(doc.id)
        return index

    def covering(self, concept: str) -> set[str]:
        """Return the ids of documents that cover *concept*, valid or not.

        A document covers a concept when one of its codes is the concept, a narrower code, or
        a broader code below the chapter (a block-level guideline covers its categories; a
        document for all of chapter V does not count for each category).
        """
        cache: dict[str, set[str]] = self.__dict__.setdefault("_covering", {})
        if concept not in cache:
            found = set(self.by_area.get(concept, set()))
            for ancestor in self.vocabulary.ancestors(URIRef(concept)):
                if str(ancestor) != CHAPTER:
                    found |= self.by_area_exact.get(str(ancestor), set())
            cache[concept] = found
        return cache[concept]

    @read_model
    def by_term(self) -> dict[str, set[str]]:
        """Document ids per scope term."""
        index: dict[str, set[str]] = defaultdict(set)
        for doc_id, doc_terms in self.doc_terms.items():
            for term in doc_terms:
                index[term].add(doc_id)
        return index

    @read_model
    def replaced_on(self) -> dict[str, dt.date]:
        """Issue date of the replacing document, per replaced document id."""
        result: dict[str, dt.date] = {}
        for doc in self.documents.values():
            for link_type, target in doc.links:
                if link_type in ("replaces", "revises") and doc.issued:
                    result[target] = period_start(doc.issued)
        return result

    @read_model
    def name_terms(self) -> dict[str, list[tuple[str, frozenset[str]]]]:
        """Per scheme ("icd10", "topic", "intervention", "setting"), each concept with the term sets of its names."""
        vocab, result = self.vocabulary, {}
        for scheme, concepts in (
            ("icd10", set(vocab.icd10.values())),
            ("topic", set(vocab.topics.concepts.values())),
            ("intervention", set(vocab.interventions.concepts.values())),
            ("setting", set(vocab.settings.concepts.values())),
        ):
            entries = []
            for concept in sorted(concepts):
                for prop in (SKOS.prefLabel, SKOS.altLabel):
                    for label in vocab.graph.objects(concept, prop):
                        found = frozenset(self.text.terms(str(label)))
                        if found:
                            entries.append((str(concept), found))
            result[scheme] = entries
        return result

    @read_model
    def _names_by_term(self) -> dict[str, dict[str, list[tuple[str, frozenset[str]]]]]:
        """The concept names of each scheme, filed under each of their terms."""
        index: dict[str, dict[str, list[tuple[str, frozenset[str]]]]] = {}
        for scheme, entries in self.name_terms.items():
            by_term: dict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
            for concept, names in entries:
                by_term[min(names)].append((concept, names))
            index[scheme] = by_term
        return index

    def named_in(self, text: str, scheme: str) -> list[str]:
        """Return the concepts of *scheme* ("icd10", "topic", "intervention", "setting") whose name is in *text*."""
        words = self.text.terms(text)
        by_term = self._names_by_term[scheme]
        found = {concept for word in words for concept, names in by_term.get(word, ()) if names <= words}
        # "medicinsk behandling" names pharmacological; drop treatment, which it implies.
        return sorted(
            c
            for c in found
            if not any(
                URIRef(c) in self.vocabulary.ancestors(URIRef(o)) or self._topic_parent(o) == c for o in found if o != c
            )
        )

    def _topic_parent(self, concept: str) -> str | None:
        for parent in self.vocabulary.graph.objects(URIRef(concept), SKOS.broader):
            return str(parent)
        return None

    @staticmethod
    def scope_text(doc: Document) -> str:
        """The text whose words describe the document's scope."""
        return " ".join(t for t in (doc.title, doc.title_en) if t)

    # Lookups ------------------------------------------------------------------

    def owner_name(self, org_id: str) -> str:
        """Return an organisation's Danish name, or its id if unknown."""
        org = self.organisations.get(org_id)
        return org.name if org else org_id

    def area_label(self, concept: str, lang: str = "da") -> str:
        """Return the label of a disease-area concept."""
        return self.vocabulary.label(concept, lang) or concept.rsplit("/", 1)[-1]

    def concept_label(self, scheme: str, notation: str, lang: str = "da") -> str:
        """Return the label of a topic, population, status, intervention or setting given by its notation."""
        schemes = {
            "topic": self.vocabulary.topics,
            "population": self.vocabulary.populations,
            "status": self.vocabulary.statuses,
            "intervention": self.vocabulary.interventions,
            "setting": self.vocabulary.settings,
        }
        concept = schemes[scheme].concepts.get(notation)
        return (self.vocabulary.label(str(concept), lang) if concept is not None else None) or notation

    def notation(self, concept: str) -> str:
        """Return the ICD-10 notation (F20, F20-F29) of a disease-area concept."""
        return concept.rsplit("/", 1)[-1]

    def descendants_and_self(self, concept: str) -> set[str]:
        """Return *concept* and every narrower concept."""
        return {
            str(c) for c, _ in self.vocabulary.broader.items() if URIRef(concept) in self.vocabulary.ancestors(c)
        } | {concept}

    def is_valid(self, doc: Document, on: dt.date | None = None) -> bool:
        """Return whether *doc* is valid now (by status) or on a given date."""
        if on is None:
            return doc.valid
        return doc.valid_on(on, self.replaced_on.get(doc.id))

    def counts(
        self,
        doc: Document,
        on: dt.date | None = None,
        levels: frozenset[str] = DEFAULT_LEVELS,
        purposes: frozenset[str] = DEFAULT_PURPOSES,
    ) -> bool:
        """Return whether *doc* counts as coverage: national clinical guidance a source showed in force.

        The same definition as the gap rules' (ontology/shapes/gaps/gaps.shapes.ttl): valid by
        status, ``validity`` in-force (on a past day *on*: valid by its dates then), ``level``
        national and ``purpose`` clinical. A historical document never makes an area covered; an
        organisational list or a regional guideline does only when a planner adds that level or
        purpose (*levels*, *purposes*).
        """
        if not (self.is_valid(doc, on) and doc.level in levels and doc.purpose in purposes):
            return False
        # validity says what the sources show today; on a past day the document's own dates decide.
        return on is not None or doc.validity == "in-force"


def delta(old: Landscape, new: Landscape, changed: Iterable[str]) -> tuple[list[Document], list[Document]]:
    """Return the documents of *old* and of *new* whose IRIs are among *changed*: the removed and the added."""
    wanted = set(changed)
    return (
        [d for d in old.documents.values() if d.iri in wanted],
        [d for d in new.documents.values() if d.iri in wanted],
    )


# Building from a store ---------------------------------------------------------------


def _load(store: Store) -> Landscape:
    documents = _documents(store)
    return Landscape(documents.values(), _organisations(store).values(), vocabulary())


def _documents(store: Store, only: set[str] | None = None) -> dict[str, Document]:
    """Return the documents of the store (or the *only* ones, IRIs), by IRI, from ``document_facts.rq``."""
    vocab = vocabulary()
    valid_statuses = {str(s) for s in vocab.valid_statuses}
    kinds = {str(GD[k]): k for k in KINDS}
    documents: dict[str, Document] = {}
    title, kind_type, owned, area, population, topic = (
        str(DCTERMS.title),
        str(RDF.type),
        str(GD.ownedBy),
        str(GD.diseaseArea),
        str(GD.population),
        str(GD.topic),
    )
    status_p, version, url, source = str(GD.status), str(SCHEMA.version), str(SCHEMA.url), str(DCTERMS.source)
    verification, note, identifier = str(GD.verification), str(SKOS.note), str(DCTERMS.identifier)
    descriptive = str(GD.titleIsDescriptive)
    bindings = None if only is None else {"doc": {URIRef(iri) for iri in only}}
    for (iri, _), (prop, _), (text, lang) in store.values(query("document_facts"), bindings):
        doc = documents.get(iri)
        if doc is None:
            doc = documents[iri] = Document(id=iri.rsplit("/", 1)[-1], iri=iri)
        if prop == title:
            if lang == "en":
                doc.title_en = text
            elif not doc.title or lang == "da":
                doc.title = text
        elif prop == kind_type:
            if text in kinds:
                doc.kind = kinds[text]
        elif prop == owned:
            doc.owners.append(text.rsplit("/", 1)[-1])
        elif prop == area:
            doc.disease_areas.append(text)
        elif prop == population:
            doc.populations.append(text.rsplit("/", 1)[-1])
        elif prop == topic:
            doc.topics.append(text.rsplit("/", 1)[-1])
        elif prop in _SCOPE_LISTS:
            getattr(doc, _SCOPE_LISTS[prop]).append(text.rsplit("/", 1)[-1])
        elif prop == status_p:
            doc.status = text.rsplit("/", 1)[-1]
            doc.valid = text in valid_statuses
        elif prop in _DATES:
            setattr(doc, _DATES[prop], text)
        elif prop in _TEXTS:
            setattr(doc, _TEXTS[prop], text)
        elif prop == descriptive:
            doc.title_is_descriptive = text == "true"
        elif prop == version:
            doc.version = text
        elif prop == url:
            doc.url = text
        elif prop == source:
            doc.sources.append(text)
        elif prop in LINK_NAMES:
            doc.links.append((LINK_NAMES[prop], text.rsplit("/", 1)[-1]))
        elif prop == verification:
            doc.verification = text
        elif prop == note:
            doc.notes = text
        elif prop == identifier:
            doc.id = text
    for doc in documents.values():
        for values in (doc.owners, doc.disease_areas, doc.populations, doc.topics, doc.sources):
            values.sort()
        doc.interventions.sort()
        doc.settings.sort()
        doc.links.sort()
    return documents


def _organisations(store: Store) -> dict[str, Organisation]:
    organisations: dict[str, Organisation] = {}
    for row in store.select(query("organisation_facts")):
        iri, prop, value = str(row["org"]), str(row["p"]), row["o"]
        org = organisations.setdefault(iri, Organisation(id=iri.rsplit("/", 1)[-1], iri=iri, name=""))
        text, lang = str(value), getattr(value, "language", None)
        if prop == str(SKOS.prefLabel):
            if lang == "en":
                org.name_en = text
            else:
                org.name = text
        elif prop == str(SKOS.altLabel):
            org.abbreviation = text
        elif prop == str(RDF.type) and text.startswith(str(GD)):
            org.types.append(text.split("#")[-1])
        elif prop == str(ORG.subOrganizationOf):
            org.parent = text.rsplit("/", 1)[-1]
        elif prop == str(DCTERMS.source):
            org.sources.append(text)
        elif prop == str(DCTERMS.identifier):
            org.id = text
    for org in organisations.values():  # in the engine's answer order otherwise, which differs between engines
        org.types.sort()
        org.sources.sort()
    return organisations


def _update(old: Landscape, store: Store, changed: set[str]) -> Landscape:
    """Return *old* with the documents among *changed* (IRIs) read again, its indexes updated, not rebuilt.

    Organisations are read again whole (a few hundred rows). The result equals a fresh build
    (tested); where an update cannot keep that promise cheaply (a title brings or takes a word
    that compound splitting depends on), the title index is rebuilt.
    """
    by_iri = {d.iri: d for d in old.documents.values()}
    fresh = _documents(store, changed) if changed else {}
    removed = [by_iri[iri] for iri in changed if iri in by_iri]
    documents = {d.id: d for d in old.documents.values() if d.iri not in changed}
    added = [d for d in fresh.values() if d.id not in documents or documents[d.id].iri in changed]
    documents.update({d.id: d for d in added})
    land = Landscape(documents.values(), _organisations(store).values(), old.vocabulary)
    land._adopt(old, removed, added)
    return land


def _build(snap: Snapshot) -> Landscape:
    assert snap.store is not None
    return _settled(snap, _load(snap.store))


def _carry(snap: Snapshot, old: Landscape, changed: frozenset[str]) -> Landscape:
    assert snap.store is not None
    return _settled(snap, _update(old, snap.store, set(changed)))


def _settled(snap: Snapshot, land: Landscape) -> Landscape:
    land.snapshot = snap
    settle()  # the old model freed, the new one kept out of full collections
    return land


#: The landscape of a store generation, updated for the documents a write changed.
LANDSCAPE: View[Landscape] = View("landscape", build=_build, update=_carry)
#: Organisation names, for finding an owner by id, name or abbreviation.
ORGANISATION_NAMES: View[Names] = View(
    "organisation names", build=lambda snap: organisation_names(snap[LANDSCAPE].organisations.values())
)


def landscape(store: Store) -> Landscape:
    """Return the landscape of *store*, rebuilt (or updated) only when the store has been written since."""
    return snapshot(store)[LANDSCAPE]
