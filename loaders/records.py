"""Turn one registry or spreadsheet record into triples, naming the field of every problem."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rdflib import Graph, Literal, URIRef

from graph.model.landscape import LEVELS, PURPOSES, VALIDITIES
from graph.model.names import Names
from graph.model.vocabulary import Scheme, Vocabulary
from graph.store.namespaces import DCTERMS, GD, ORG, RDF, RDFS, SCHEMA, SKOS, XSD, Minter, is_valid_id

__all__ = [
    "CHOICE_FIELDS",
    "CONTROL",
    "DOCUMENT_FIELDS",
    "EVENT_FIELDS",
    "LINK_TYPES",
    "ORGANISATION_FIELDS",
    "RECOMMENDATION_FIELDS",
    "RECORD_MAX_BYTES",
    "TEXT_LIMITS",
    "TEXT_MAX",
    "Context",
    "LoadError",
    "Problem",
    "RecordConverter",
    "check_file",
]

DOCUMENT_FIELDS = (
    "id", "title", "title_en", "kind", "owners", "disease_areas", "populations", "topics",
    "interventions", "settings", "status", "issued", "modified", "consultation", "not_valid_since", "version", "url",
    "sources", "verification", "notes", "links",
    "validity", "verified", "valid_until", "level", "purpose", "title_is_descriptive", "expected_publication",
)  # fmt: skip
ORGANISATION_FIELDS = (
    "id", "name", "name_en", "abbreviation", "type", "part_of", "founded", "dissolved", "url",
    "sources", "notes",
)  # fmt: skip
EVENT_FIELDS = ("id", "label", "date", "decided", "original", "resulting", "sources", "notes")
RECOMMENDATION_FIELDS = (
    "id", "document", "title", "text", "population", "interventions", "comparator", "strength",
    "direction", "year", "sources", "notes",
)  # fmt: skip
#: How strong a recommendation is, as SST grades them: "stærk", "svag" (or "betinget") and "god praksis".
STRENGTHS = ("strong", "weak", "good-practice")
DIRECTIONS = ("for", "against")
LINK_FIELDS = ("type", "target", "source", "supports")
SOURCE_FIELDS = ("url", "supports", "mirror")

LINK_TYPES: dict[str, URIRef] = {
    "replaces": DCTERMS.replaces,
    "revises": GD.revises,
    "supplements": GD.supplements,
    "references": DCTERMS.references,
    "implements": GD.implements,
}
VERIFICATION = ("verified", "partial", "seed_only")
DATE_FIELDS = {
    "issued": DCTERMS.issued,
    "modified": DCTERMS.modified,
    "consultation": GD.consultationDate,
    "not_valid_since": GD.notValidSince,
    "verified": SCHEMA.lastReviewed,
    "valid_until": SCHEMA.expires,
    "expected_publication": GD.expectedPublication,
}
# Fields with a closed list of values, stored as plain literals (ontology/retningsgraf.ttl defines them).
CHOICE_FIELDS: dict[str, tuple[URIRef, tuple[str, ...]]] = {
    "validity": (GD.validity, VALIDITIES),
    "level": (GD.level, LEVELS),
    "purpose": (GD.purpose, PURPOSES),
}
# Spreadsheets give booleans as text; Danish and English words are both accepted.
_BOOLEANS = {"true": True, "ja": True, "yes": True, "1": True, "false": False, "nej": False, "no": False, "0": False}

# Records (YAML, CSV, XLSX) become rdflib triples at some 200 bytes of memory per byte of file:
# 4 MiB is tens of thousands of documents already.
RECORD_MAX_BYTES = 4 * 1024 * 1024

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# Characters XML 1.0 forbids (tab, newline and carriage return are allowed).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Characters per text field.  The longest real title is under 200 characters; overlap pairing
# compares titles term by term, so one huge title would hold up every overlap answer.  The write
# API's request models use the same numbers.
TEXT_LIMITS = {
    "title": 1000,
    "title_en": 1000,
    "name": 500,
    "name_en": 500,
    "label": 500,
    "text": 2000,
    "population": 1000,
    "comparator": 1000,
    "abbreviation": 50,
    "version": 200,
    "url": 2000,
    "notes": 5000,
}
TEXT_MAX = 1000  # any other text field (kind, status, codes, ids)
# Characters that cannot stand in an IRI (RFC 3987) and would break N-Triples.
_BAD_IRI = re.compile(r'[\s<>"{}|\\^`]')


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where, which field, and what."""

    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        name = f", field '{self.field}'" if self.field else ""
        return f"{self.where}{name}: {self.message}"


# A refusal lists this many problems, then how many more.
SHOWN_PROBLEMS = 50


class LoadError(ValueError):
    """A file was refused whole; ``problems`` says where and why."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {path}:{p}" for p in problems[:SHOWN_PROBLEMS])
        more = f"\n  ... and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        super().__init__(f"{path}: refused, nothing was loaded ({len(problems)} problem(s)):\n{shown}{more}")


def check_file(path: Path, limit: int) -> None:
    """Refuse *path* if it is missing or larger than *limit* bytes, before anything reads it.

    Raises:
        LoadError: saying which.
    """
    if not path.is_file():
        raise LoadError(str(path), [Problem("file", None, "no such file")])
    if path.stat().st_size > limit:
        raise LoadError(str(path), [Problem("file", None, f"larger than the limit of {limit} bytes")])


@dataclass
class Context:
    """Ids a file may refer to: those already in the store and those it defines itself."""

    organisations: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)


Locator = Callable[[str | None], str]


class RecordConverter:
    """Converts records (dicts of field -> value) to triples and collects problems."""

    def __init__(self, vocabulary: Vocabulary, minter: Minter, context: Context) -> None:
        self.vocabulary = vocabulary
        self.minter = minter
        self.context = context
        self.graph = Graph()
        self.problems: list[Problem] = []

    # Shared field readers -----------------------------------------------------

    def _problem(self, at: Locator, name: str | None, message: str) -> None:
        self.problems.append(Problem(at(name), name, message))

    def _text(self, record: Mapping[str, Any], name: str, at: Locator) -> str | None:
        value = record.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, (list, dict)):
            self._problem(at, name, "expected text, got a list or mapping")
            return None
        text = str(value).strip()
        if control := CONTROL.search(text):
            # XML cannot hold them, so an XLSX export of the text would fail; no title needs one.
            self._problem(at, name, f"control character U+{ord(control.group()):04X} in the text")
            return None
        if len(text) > (limit := TEXT_LIMITS.get(name, TEXT_MAX)):
            self._problem(at, name, f"{len(text)} characters, more than the limit of {limit}")
            return None
        return text or None

    def _list(self, record: Mapping[str, Any], name: str, at: Locator) -> list[Any]:
        value = record.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]
        if isinstance(value, list):
            return value
        self._problem(at, name, "expected a list")
        return []

    def _unknown_keys(self, record: Mapping[str, Any], allowed: Iterable[str], at: Locator) -> None:
        for key in record:
            if key not in allowed:
                self._problem(at, str(key), f"unknown field (allowed: {', '.join(allowed)})")

    def _id(self, record: Mapping[str, Any], at: Locator) -> str | None:
        value = self._text(record, "id", at)
        if value is None:
            self._problem(at, "id", "missing id")
        elif not is_valid_id(value):
            self._problem(at, "id", f"invalid id {value!r}: use lowercase letters, digits and '-'")
            return None
        return value

    def _date(self, value: Any, at: Locator, name: str) -> Literal | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return Literal(value.isoformat(), datatype=XSD.date)
        text = str(value).strip()
        match = _DATE.match(text)
        if not match:
            self._problem(at, name, f"malformed date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
            return None
        year, month, day = match.groups()
        try:
            if day:
                dt.date(int(year), int(month), int(day))
                return Literal(text, datatype=XSD.date)
            if month:
                dt.date(int(year), int(month), 1)
                return Literal(text, datatype=XSD.gYearMonth)
        except ValueError:
            self._problem(at, name, f"no such date {text!r}")
            return None
        return Literal(text, datatype=XSD.gYear)

    def _boolean(self, record: Mapping[str, Any], name: str, at: Locator) -> bool | None:
        value = record.get(name)
        if value is None or value == "" or isinstance(value, bool):
            return value if isinstance(value, bool) else None
        found = _BOOLEANS.get(str(value).strip().casefold())
        if found is None:
            self._problem(at, name, f"expected true or false, got {value!r}")
        return found

    def _choice(self, record: Mapping[str, Any], name: str, at: Locator) -> str | None:
        text = self._text(record, name, at)
        allowed = CHOICE_FIELDS[name][1]
        if text is not None and text not in allowed:
            self._problem(at, name, f"unknown {name} {text!r} (use one of {', '.join(allowed)})")
            return None
        return text

    def _url(self, value: Any, at: Locator, name: str) -> URIRef | None:
        text = str(value).strip()
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or _BAD_IRI.search(text):
            self._problem(at, name, f"not a public http(s) URL: {text!r}")
            return None
        return URIRef(text)

    def _concepts(self, scheme: Scheme, values: list[Any], at: Locator, name: str) -> list[URIRef]:
        found = []
        for value in values:
            concept = scheme.resolve(str(value))
            if concept is None:
                self._problem(at, name, scheme.unknown(str(value)))
            else:
                found.append(concept)
        return found

    def _sources(self, subject: URIRef, record: Mapping[str, Any], at: Locator) -> None:
        g = self.graph
        for index, source in enumerate(self._list(record, "sources", at), start=1):
            if isinstance(source, str):
                source = {"url": source}
            if not isinstance(source, Mapping):
                self._problem(at, "sources", "each source is a URL or a mapping with url and supports")
                continue
            self._unknown_keys(source, SOURCE_FIELDS, at)
            url = str(source.get("url") or "").strip()
            citation = self.minter.citation(subject, index)
            if url.startswith("seed:"):
                # The seed documents are the project's own inputs, not public pages.
                g.add((citation, DCTERMS.bibliographicCitation, Literal(url)))
            elif url:
                iri = self._url(url, at, "sources")
                if iri is None:
                    continue
                g.add((subject, DCTERMS.source, iri))
                g.add((citation, DCTERMS.source, iri))
            else:
                self._problem(at, "sources", "a source without a url")
                continue
            g.add((subject, GD.citation, citation))
            g.add((citation, RDF.type, GD.SourceCitation))
            if source.get("supports"):
                g.add((citation, GD.supports, Literal(str(source["supports"]).strip())))
            if (mirror := self._boolean(source, "mirror", at)) is not None:
                g.add((citation, GD.mirrorCopy, Literal(mirror)))

    def _ref(self, value: Any, known: set[str], at: Locator, name: str, what: str) -> str | None:
        text = str(value).strip()
        if text not in known:
            # Stored data names records by id, exactly; the closest ids tell the user which was meant
            # (for the problems a refusal shows: a hostile file may have thousands).
            shown = len(self.problems) < SHOWN_PROBLEMS
            closest = Names(what, ((i, ()) for i in sorted(known))).closest(text) if shown else []
            hint = f" - mente du {' eller '.join(closest)}?" if closest else ""
            self._problem(at, name, f"unknown {what} {text!r}{hint}")
            return None
        return text

    # Records ------------------------------------------------------------------

    def organisation(self, record: Mapping[str, Any], at: Locator) -> None:
        """Add one organisation record."""
        self._unknown_keys(record, ORGANISATION_FIELDS, at)
        org_id = self._id(record, at)
        name = self._text(record, "name", at)
        if name is None:
            self._problem(at, "name", "missing name")
        if org_id is None:
            return
        g, subject = self.graph, self.minter.organisation(org_id)
        g.add((subject, RDF.type, ORG.Organization))
        g.add((subject, DCTERMS.identifier, Literal(org_id)))
        kind = self._text(record, "type", at)
        if kind:
            cls = self.vocabulary.organisation_types.get(kind.casefold())
            if cls is None:
                allowed = ", ".join(sorted({c.split("#")[-1] for c in self.vocabulary.organisation_types.values()}))
                self._problem(at, "type", f"unknown organisation type {kind!r} (use one of {allowed})")
            else:
                g.add((subject, RDF.type, cls))
        if name:
            g.add((subject, SKOS.prefLabel, Literal(name, lang="da")))
        if english := self._text(record, "name_en", at):
            g.add((subject, SKOS.prefLabel, Literal(english, lang="en")))
        if abbreviation := self._text(record, "abbreviation", at):
            g.add((subject, SKOS.altLabel, Literal(abbreviation)))
        if parent := self._text(record, "part_of", at):
            if self._ref(parent, self.context.organisations, at, "part_of", "organisation"):
                g.add((subject, ORG.subOrganizationOf, self.minter.organisation(parent)))
        for name_, prop in (
            ("founded", SCHEMA.foundingDate),
            ("dissolved", SCHEMA.dissolutionDate),
        ):
            if (date := self._date(record.get(name_), at, name_)) is not None:
                g.add((subject, prop, date))
        if url := self._text(record, "url", at):
            if (iri := self._url(url, at, "url")) is not None:
                g.add((subject, SCHEMA.url, iri))
        if notes := self._text(record, "notes", at):
            g.add((subject, SKOS.note, Literal(notes)))
        self._sources(subject, record, at)

    def event(self, record: Mapping[str, Any], at: Locator) -> None:
        """Add one organisational change event (merger, re-anchoring)."""
        self._unknown_keys(record, EVENT_FIELDS, at)
        event_id = self._id(record, at)
        if event_id is None:
            return
        g, subject = self.graph, self.minter.event(event_id)
        g.add((subject, RDF.type, ORG.ChangeEvent))
        if label := self._text(record, "label", at):
            g.add((subject, RDFS.label, Literal(label, lang="da")))
        if (date := self._date(record.get("date"), at, "date")) is not None:
            g.add((subject, DCTERMS.date, date))
        if (decided := self._date(record.get("decided"), at, "decided")) is not None:
            g.add((subject, DCTERMS.dateAccepted, decided))
        for name, forward, backward in (
            ("original", ORG.originalOrganization, ORG.changedBy),
            ("resulting", ORG.resultingOrganization, ORG.resultedFrom),
        ):
            for value in self._list(record, name, at):
                if org_id := self._ref(value, self.context.organisations, at, name, "organisation"):
                    org = self.minter.organisation(org_id)
                    g.add((subject, forward, org))
                    g.add((org, backward, subject))
        if notes := self._text(record, "notes", at):
            g.add((subject, SKOS.note, Literal(notes)))
        self._sources(subject, record, at)

    def document(self, record: Mapping[str, Any], at: Locator) -> None:
        """Add one guiding document."""
        self._unknown_keys(record, DOCUMENT_FIELDS, at)
        doc_id = self._id(record, at)
        g = self.graph
        subject = self.minter.document(doc_id) if doc_id else None
        title = self._text(record, "title", at)
        if title is None:
            self._problem(at, "title", "missing title")
        kind_text = self._text(record, "kind", at)
        kind = self.vocabulary.kind(kind_text) if kind_text else None
        if kind_text is None:
            self._problem(at, "kind", "missing kind")
        elif kind is None:
            self._problem(
                at,
                "kind",
                f"unknown kind {kind_text!r} (use one of {', '.join(self._kind_names())})",
            )
        owners = [
            owner
            for value in self._list(record, "owners", at)
            if (owner := self._ref(value, self.context.organisations, at, "owners", "organisation"))
        ]
        if not self._list(record, "owners", at):
            self._problem(at, "owners", "a document needs at least one owner")
        areas: list[URIRef] = []
        for code in self._list(record, "disease_areas", at):
            found = self.vocabulary.disease_areas(str(code))
            if not found:
                self._problem(at, "disease_areas", f"unknown ICD-10 chapter V code or range {code!r}")
            areas.extend(found)
        if not self._list(record, "disease_areas", at):
            self._problem(at, "disease_areas", "a document needs at least one disease area (ICD-10 code)")
        populations = self._concepts(
            self.vocabulary.populations, self._list(record, "populations", at), at, "populations"
        )
        topics = self._concepts(self.vocabulary.topics, self._list(record, "topics", at), at, "topics")
        interventions = self._concepts(
            self.vocabulary.interventions, self._list(record, "interventions", at), at, "interventions"
        )
        settings = self._concepts(self.vocabulary.settings, self._list(record, "settings", at), at, "settings")
        status_text = self._text(record, "status", at)
        status = self.vocabulary.statuses.resolve(status_text) if status_text else None
        if status_text is None:
            self._problem(at, "status", "missing status")
        elif status is None:
            self._problem(
                at,
                "status",
                f"unknown status {status_text!r} (use one of {self.vocabulary.statuses.allowed()})",
            )
        verification = self._text(record, "verification", at)
        if verification and verification not in VERIFICATION:
            self._problem(at, "verification", f"use one of {', '.join(VERIFICATION)}")
        choices = {name: self._choice(record, name, at) for name in CHOICE_FIELDS}
        descriptive = self._boolean(record, "title_is_descriptive", at)
        if subject is None:
            return
        g.add((subject, RDF.type, GD.GuidingDocument))
        g.add((subject, DCTERMS.identifier, Literal(doc_id)))
        if kind is not None:
            g.add((subject, RDF.type, kind))
        if title:
            g.add((subject, DCTERMS.title, Literal(title, lang="da")))
        if english := self._text(record, "title_en", at):
            g.add((subject, DCTERMS.title, Literal(english, lang="en")))
        for owner in owners:
            g.add((subject, GD.ownedBy, self.minter.organisation(owner)))
        for prop, values in (
            (GD.diseaseArea, areas),
            (GD.population, populations),
            (GD.topic, topics),
            (GD.intervention, interventions),
            (GD.setting, settings),
        ):
            for value in values:
                g.add((subject, prop, value))
        if status is not None:
            g.add((subject, GD.status, status))
        for name, prop in DATE_FIELDS.items():
            if (date := self._date(record.get(name), at, name)) is not None:
                g.add((subject, prop, date))
        if version := self._text(record, "version", at):
            g.add((subject, SCHEMA.version, Literal(version)))
        if url := self._text(record, "url", at):
            if (iri := self._url(url, at, "url")) is not None:
                g.add((subject, SCHEMA.url, iri))
        if verification in VERIFICATION:
            g.add((subject, GD.verification, Literal(verification)))
        for name, value in choices.items():
            if value is not None:
                g.add((subject, CHOICE_FIELDS[name][0], Literal(value)))
        if descriptive is not None:
            g.add((subject, GD.titleIsDescriptive, Literal(descriptive)))
        if notes := self._text(record, "notes", at):
            g.add((subject, SKOS.note, Literal(notes)))
        self._sources(subject, record, at)
        self._links(subject, doc_id, record, at)

    def recommendation(self, record: Mapping[str, Any], at: Locator) -> None:
        """Add one recommendation of a national clinical guideline or recommendation, linked from its document."""
        self._unknown_keys(record, RECOMMENDATION_FIELDS, at)
        rec_id = self._id(record, at)
        doc_id = self._ref(record.get("document", ""), self.context.documents, at, "document", "document")
        title = self._text(record, "title", at)
        if title is None:
            self._problem(at, "title", "missing title: the focused question or topic, as the source names it")
        # The wording and the strength are copied only where a public source gives them; a gap is a SHACL warning.
        text = self._text(record, "text", at)
        interventions = self._concepts(
            self.vocabulary.interventions, self._list(record, "interventions", at), at, "interventions"
        )
        choices = {}
        for name, allowed in (("strength", STRENGTHS), ("direction", DIRECTIONS)):
            value = self._text(record, name, at)
            if value is not None and value not in allowed:
                self._problem(at, name, f"unknown {name} {value!r} (use one of {', '.join(allowed)})")
                value = None
            choices[name] = value
        if not self._list(record, "sources", at):
            self._problem(at, "sources", "a recommendation needs the public URL it was copied from")
        if rec_id is None or doc_id is None:
            return
        g, document = self.graph, self.minter.document(doc_id)
        subject = self.minter.recommendation(document, rec_id)
        g.add((subject, RDF.type, GD.Recommendation))
        g.add((subject, DCTERMS.identifier, Literal(rec_id)))
        g.add((document, GD.hasRecommendation, subject))
        g.add((subject, DCTERMS.isPartOf, document))
        if title:
            g.add((subject, DCTERMS.title, Literal(title, lang="da")))
        if text:
            g.add((subject, DCTERMS.description, Literal(text, lang="da")))
        for name, prop in (("population", GD.recommendationPopulation), ("comparator", GD.comparator)):
            if value := self._text(record, name, at):
                g.add((subject, prop, Literal(value, lang="da")))
        for concept in interventions:
            g.add((subject, GD.intervention, concept))
        if choices["strength"]:
            g.add((subject, GD.strength, Literal(choices["strength"])))
        if choices["direction"]:
            g.add((subject, GD.direction, Literal(choices["direction"])))
        if (year := self._date(record.get("year"), at, "year")) is not None:
            g.add((subject, DCTERMS.issued, year))
        if notes := self._text(record, "notes", at):
            g.add((subject, SKOS.note, Literal(notes)))
        self._sources(subject, record, at)

    def _kind_names(self) -> list[str]:
        return sorted({str(c).split("#")[-1] for c in self.vocabulary.kinds.values()})

    def _links(self, subject: URIRef, doc_id: str | None, record: Mapping[str, Any], at: Locator) -> None:
        for link in self._list(record, "links", at):
            if isinstance(link, str):
                # Spreadsheet form: "replaces:other-id".
                link_type, _, target = link.partition(":")
                link = {"type": link_type.strip(), "target": target.strip()}
            if not isinstance(link, Mapping):
                self._problem(at, "links", "each link is a mapping with type and target")
                continue
            self._unknown_keys(link, LINK_FIELDS, at)
            link_type = str(link.get("type", "")).strip()
            prop = LINK_TYPES.get(link_type)
            if prop is None:
                self._problem(
                    at,
                    "links",
                    f"unknown link type {link_type!r} (use one of {', '.join(LINK_TYPES)})",
                )
                continue
            target = self._ref(link.get("target", ""), self.context.documents, at, "links", "document")
            if target is None:
                continue
            if target == doc_id:
                self._problem(at, "links", "a document cannot link to itself")
                continue
            g, other = self.graph, self.minter.document(target)
            g.add((subject, prop, other))
            qualified = self.minter.link(subject, link_type, target)
            g.add((subject, GD.qualifiedLink, qualified))
            g.add((qualified, RDF.type, GD.DocumentLink))
            g.add((qualified, GD.linkType, prop))
            g.add((qualified, GD.linkTarget, other))
            if source := link.get("source"):
                if (iri := self._url(source, at, "links")) is not None:
                    g.add((qualified, DCTERMS.source, iri))
            if supports := link.get("supports"):
                g.add((qualified, GD.supports, Literal(str(supports).strip())))
