"""Every IRI retningsgraf uses is minted here, so data and code agree on one scheme.

Vocabulary IRIs (the ontology, the ICD-10, population, topic, status, intervention and
setting schemes) are published terms and therefore fixed.  Instance IRIs (documents,
organisations, recommendations, verdicts, agents, named graphs, load activities) are minted under a
configurable base, read from the environment variable ``RETNINGSGRAF_BASE`` (default
``https://w3id.org/retningsgraf/``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

__all__ = [
    "CHAPTER",
    "DCTERMS",
    "GD",
    "ICD10",
    "INTERVENTION",
    "INTERVENTION_SCHEME",
    "ORG",
    "OWL",
    "POPULATION",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SETTING",
    "SETTING_SCHEME",
    "SH",
    "SKOS",
    "STATUS",
    "TOPIC",
    "XSD",
    "Minter",
    "default_base",
    "file_graph_name",
    "is_valid_graph_name",
    "is_valid_id",
]

VOCAB = "https://w3id.org/retningsgraf/"
GD = Namespace(VOCAB + "ontology#")
ICD10 = Namespace(VOCAB + "icd10/")
POPULATION = Namespace(VOCAB + "population/")
TOPIC = Namespace(VOCAB + "topic/")
STATUS = Namespace(VOCAB + "status/")
INTERVENTION = Namespace(VOCAB + "intervention/")
SETTING = Namespace(VOCAB + "setting/")
SCHEMA = Namespace("https://schema.org/")

ICD10_SCHEME = URIRef(VOCAB + "scheme/icd10-f")
POPULATION_SCHEME = URIRef(VOCAB + "scheme/population")
TOPIC_SCHEME = URIRef(VOCAB + "scheme/topic")
STATUS_SCHEME = URIRef(VOCAB + "scheme/status")
INTERVENTION_SCHEME = URIRef(VOCAB + "scheme/intervention")
SETTING_SCHEME = URIRef(VOCAB + "scheme/setting")
#: ICD-10 chapter V, all of psychiatry: the top of the disease-area hierarchy.
CHAPTER = str(ICD10["F00-F99"])

PREFIXES: dict[str, str] = {
    "gd": str(GD),
    "icd10": str(ICD10),
    "population": str(POPULATION),
    "topic": str(TOPIC),
    "status": str(STATUS),
    "intervention": str(INTERVENTION),
    "setting": str(SETTING),
    "dcterms": str(DCTERMS),
    "skos": str(SKOS),
    "org": str(ORG),
    "prov": str(PROV),
    "schema": str(SCHEMA),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}

# Ids become path segments of IRIs and of API URLs: keep them boring.
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")


def is_valid_id(value: str) -> bool:
    """Return True if *value* may be used as a document or organisation id."""
    return bool(_ID.match(value))


# The name of an imported file's graph: letters of any alphabet (æøå stay), digits, '.', '_' and '-';
# nothing an IRI would have to escape.
_GRAPH_NAME = re.compile(r"^[^\W_][\w.-]{0,119}$")


def is_valid_graph_name(value: str) -> bool:
    """Return True if *value* may name an imported file's graph (``--graph NAME``, ``POST /import?graph=``)."""
    return bool(_GRAPH_NAME.match(value))


def file_graph_name(file_name: str) -> str:
    """Return the graph name a loaded file gets unless the user names one: its whole name, suffix included.

    ``my-list.csv`` and ``my-list.xlsx`` get two graphs, and ``ængstelse.csv`` and
    ``øngstelse.csv`` too: the name is casefolded and NFC-normalised (a Mac writes å as a + ring),
    letters of any alphabet are kept, and only runs of other characters become ``-``.
    """
    text = unicodedata.normalize("NFC", file_name).casefold()
    slug = re.sub(r"[^\w.]+", "-", text).strip("-._")[:120]
    return slug if is_valid_graph_name(slug) else "file"


def default_base() -> str:
    """Return the instance base IRI from the environment, ending in a slash."""
    base = os.environ.get("RETNINGSGRAF_BASE", VOCAB)
    return base if base.endswith("/") else base + "/"


@dataclass(frozen=True)
class Minter:
    """Mints instance IRIs under one base and reads ids back from them."""

    base: str = VOCAB

    def document(self, doc_id: str) -> URIRef:
        """IRI of a guiding document."""
        return URIRef(f"{self.base}document/{_checked(doc_id)}")

    def organisation(self, org_id: str) -> URIRef:
        """IRI of an organisation."""
        return URIRef(f"{self.base}organisation/{_checked(org_id)}")

    def event(self, event_id: str) -> URIRef:
        """IRI of an organisational change event (merger, re-anchoring)."""
        return URIRef(f"{self.base}event/{_checked(event_id)}")

    def citation(self, subject: URIRef, index: int) -> URIRef:
        """IRI of the n-th source citation of *subject*."""
        return URIRef(f"{subject}/source/{index}")

    def recommendation(self, document: URIRef, rec_id: str) -> URIRef:
        """IRI of one recommendation of *document*, by the id the registry gives it."""
        return URIRef(f"{document}/recommendation/{_checked(rec_id)}")

    def link(self, subject: URIRef, link_type: str, target_id: str) -> URIRef:
        """IRI of the qualified link from *subject* to a target document."""
        return URIRef(f"{subject}/link/{link_type}/{_checked(target_id)}")

    def graph(self, source: str) -> URIRef:
        """IRI of the named graph that holds one loaded source."""
        return URIRef(f"{self.base}graph/{source}")

    def import_source(self, name: str) -> str:
        """Source name of an imported file's graph, ``import/<name>`` (see :func:`file_graph_name`)."""
        if not is_valid_graph_name(name):
            raise ValueError(
                f"invalid graph name {name!r}: use letters, digits, '.', '_' and '-' (at most 120, "
                "starting with a letter or digit)"
            )
        return f"import/{name}"

    def load_activity(self, source: str, stamp: str) -> URIRef:
        """IRI of the PROV activity that loaded *source* at *stamp*."""
        return URIRef(f"{self.base}load/{source}/{stamp}")

    def verdict(self, a: str, b: str, number: int) -> URIRef:
        """IRI of the *number*-th verdict recorded on the pair of documents *a* and *b* (in either order)."""
        first, second = sorted((_checked(a), _checked(b)))
        return URIRef(f"{self.base}verdict/{first}/{second}/{number}")

    def agent(self, name: str) -> URIRef:
        """IRI of the agent a token's name stands for (who wrote or judged something)."""
        return URIRef(f"{self.base}agent/{quote(name, safe='')}")

    def id_of(self, iri: str) -> str:
        """Return the local id of a document or organisation IRI."""
        return str(iri).rstrip("/").rsplit("/", 1)[-1]


def _checked(value: str) -> str:
    if not is_valid_id(value):
        raise ValueError(f"invalid id {value!r}: use lowercase letters, digits and '-'")
    return value
