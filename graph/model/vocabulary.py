"""The controlled vocabularies (kinds, statuses, populations, topics, interventions, settings, ICD-10) and lookups."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from graph.model.names import Names
from graph.store.namespaces import (
    CHAPTER,
    GD,
    ICD10_SCHEME,
    INTERVENTION_SCHEME,
    POPULATION_SCHEME,
    RDFS,
    SETTING_SCHEME,
    SKOS,
    STATUS_SCHEME,
    TOPIC_SCHEME,
)

__all__ = ["NOT_YET_VALID", "ONTOLOGY_DIR", "Vocabulary", "vocabulary", "vocabulary_files"]

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"

# The nine kinds of guiding document, by the exact local names the design card fixes.
KINDS = (
    "DMPGGuideline",
    "NationalClinicalRecommendation",
    "NationalClinicalGuideline",
    "CourseDescription",
    "PackagePathway",
    "ChooseWiselyRecommendation",
    "Guidance",
    "RegionalGuideline",
    "Other",
)

ORGANISATION_TYPES = (
    "DMPG",
    "Umbrella",
    "Authority",
    "Region",
    "Society",
    "QualityInstitute",
    "MedicinesCouncil",
    "Partnership",
    "InterestOrganisation",
)

#: Statuses of a document that is not out yet: planned, being written or in consultation.
NOT_YET_VALID = ("planned", "in-development", "internal-consultation", "external-consultation")

_CODE = re.compile(r"^D?(F\d\d(?:\.\d{1,2})?)$")
_RANGE = re.compile(r"^D?(F\d\d)\s*[-–]\s*D?(F\d\d)$")


def vocabulary_files() -> list[Path]:
    """Return the Turtle files of the ontology and its concept schemes (not the shapes)."""
    return sorted(ONTOLOGY_DIR.glob("*.ttl"))


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("_", "-").split())


@dataclass
class Scheme:
    """A concept scheme with every way a user may name one of its concepts."""

    name: str
    concepts: dict[str, URIRef] = field(default_factory=dict)  # notation -> concept
    names: Names = field(default_factory=lambda: Names("", ()))  # notation, labels, alternative labels

    def resolve(self, text: str) -> URIRef | None:
        """Return the concept *text* names (notation, label or alternative label, any case or number), if any."""
        notation = self.names.find(text)
        return None if notation is None else self.concepts[notation]

    def unknown(self, text: str) -> str:
        """Return the message for a *text* that names no concept: the closest ones, and all notations."""
        return self.names.unknown(text)

    def allowed(self) -> str:
        """Return the notations, for error messages."""
        return ", ".join(self.concepts)


@dataclass
class Vocabulary:
    """Lookups over the ontology and schemes, built once from their Turtle files."""

    graph: Graph
    kinds: dict[str, URIRef]
    organisation_types: dict[str, URIRef]
    statuses: Scheme
    populations: Scheme
    topics: Scheme
    icd10: dict[str, URIRef]  # notation (F20, DF20, F20-F29) -> concept
    broader: dict[URIRef, URIRef]
    valid_statuses: frozenset[URIRef]
    #: Each topic's broader topic, by notation (``skos:broader`` in ``ontology/topics.ttl``).
    topic_parent: dict[str, str] = field(default_factory=dict)
    #: Interventions (``ontology/interventions.ttl``): medicines by ATC code, therapies, neurostimulation, ...
    interventions: Scheme = field(default_factory=lambda: Scheme("intervention"))
    #: Settings (``ontology/settings.ttl``): general practice, hospital psychiatry, municipality, ...
    settings: Scheme = field(default_factory=lambda: Scheme("setting"))
    #: Each intervention's broader intervention, by notation (``skos:broader`` in ``ontology/interventions.ttl``).
    intervention_parent: dict[str, str] = field(default_factory=dict)
    #: Interventions that are one medicinal substance (a full seven-character ATC code, e.g. N06AX27 esketamine).
    substances: frozenset[str] = frozenset()
    _ancestors: dict[URIRef, list[URIRef]] = field(default_factory=dict, repr=False)
    # A memo over the shipped ontology graph only, which never changes at run time.
    _labels: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)

    def kind(self, text: str) -> URIRef | None:
        """Return the kind class named by its local name or Danish/English label."""
        return self.kinds.get(_key(text))

    def disease_areas(self, text: str) -> list[URIRef]:
        """Resolve an ICD-10 code, SKS code, block or range of categories to concepts.

        Args:
            text: ``F20``, ``DF20``, ``F50.0``, ``F20-F29`` (a block) or ``F32-F33``
                (a range of three-character categories).

        Returns:
            The concepts, or an empty list if *text* names nothing in chapter V.
        """
        code = text.strip().upper().replace(" ", "")
        if code in self.icd10:
            return [self.icd10[code]]
        match = _CODE.match(code)
        if match and match.group(1) in self.icd10:
            return [self.icd10[match.group(1)]]
        span = _RANGE.match(code)
        if not span:
            return []
        low, high = span.groups()
        if low > high:
            return []
        block = self.icd10.get(f"{low}-{high}")
        if block is not None:
            return [block]
        found = [
            concept
            for notation, concept in self.icd10.items()
            if re.fullmatch(r"F\d\d", notation) and low <= notation <= high
        ]
        # A range whose ends are not both real categories is a typo, not a scope.
        return found if low in self.icd10 and high in self.icd10 else []

    def ancestors(self, concept: URIRef) -> list[URIRef]:
        """Return the broader concepts of *concept*, nearest first."""
        return self._ancestors.get(concept, [])

    def ancestor_set(self, concept: str) -> frozenset[str]:
        """Return the broader concepts of a disease-area concept, as strings."""
        return self._ancestor_sets.get(concept, frozenset())

    def block(self, concept: str) -> str | None:
        """Return the ICD-10 block (the concept just below the chapter) that *concept* lies in, if any."""
        return self._blocks.get(concept)

    def expand_topics(self, topics: Iterable[str]) -> set[str]:
        """Return *topics* with their broader topics (notations)."""
        return {t for topic in topics for t in (topic, self.topic_parent.get(topic)) if t}

    def intervention_ancestors(self, notation: str) -> list[str]:
        """Return the broader interventions of an intervention (notations), nearest first."""
        chain: list[str] = []
        node = self.intervention_parent.get(notation)
        while node is not None and node not in chain:
            chain.append(node)
            node = self.intervention_parent.get(node)
        return chain

    def narrower_topics(self, topic: str) -> set[str]:
        """Return *topic* with the topics directly below it (notations)."""
        return {topic} | {child for child, parent in self.topic_parent.items() if parent == topic}

    def __post_init__(self) -> None:
        # The ICD-10 scheme never changes at run time: each concept's ancestors and block, worked out once.
        for concept in self.broader:
            chain: list[URIRef] = []
            node = concept
            while node in self.broader and len(chain) < 10:
                node = self.broader[node]
                chain.append(node)
            self._ancestors[concept] = chain
        self._ancestor_sets = {str(c): frozenset(map(str, chain)) for c, chain in self._ancestors.items()}
        self._blocks: dict[str, str | None] = {}
        for concept in {*self.broader, *self.broader.values()}:
            path = [str(concept), *map(str, self.ancestors(concept))]
            self._blocks[str(concept)] = next((node for node, parent in pairwise(path) if parent == CHAPTER), None)

    def label(self, concept: str, lang: str = "da") -> str | None:
        """Return the preferred label of any concept or class in *lang* (cached)."""
        key = (concept, lang)
        if key not in self._labels:
            self._labels[key] = next(
                (
                    str(label)
                    for prop in (SKOS.prefLabel, RDFS.label)
                    for label in self.graph.objects(URIRef(concept), prop)
                    if getattr(label, "language", None) == lang
                ),
                None,
            )
        return self._labels[key]


def _scheme(graph: Graph, name: str, scheme: URIRef) -> Scheme:
    result = Scheme(name)
    preferred: list[tuple[str, list[str]]] = []
    alternative: list[tuple[str, list[str]]] = []
    for concept in sorted(graph.subjects(SKOS.inScheme, scheme)):
        assert isinstance(concept, URIRef)
        notations = [str(n) for n in graph.objects(concept, SKOS.notation)]
        if not notations:
            continue
        result.concepts[notations[0]] = concept
        preferred.append((notations[0], [*notations, *map(str, graph.objects(concept, SKOS.prefLabel))]))
        # An ATC code (N05AH02) names its medicine as well as the labels do.
        codes = [str(code) for code in graph.objects(concept, GD.atcCode)]
        alternative.append((notations[0], [*codes, *(str(label) for label in graph.objects(concept, SKOS.altLabel))]))
    # Preferred labels first: an alternative label never takes a name another concept prefers.
    result.names = Names(name, [*preferred, *alternative], listed=True)
    return result


def _kind_aliases(graph: Graph, names: tuple[str, ...]) -> dict[str, URIRef]:
    aliases: dict[str, URIRef] = {}
    for name in names:
        cls = GD[name]
        aliases[_key(name)] = cls
        for label in graph.objects(cls, RDFS.label):
            text = str(label)
            aliases[_key(text)] = cls
            # "national klinisk anbefaling (NKA)" is also written "NKA" or without the parenthesis.
            match = re.match(r"^(.*?)\s*\((.+)\)$", text)
            if match:
                aliases[_key(match.group(1))] = cls
                aliases[_key(match.group(2))] = cls
    return aliases


@cache  # the shipped ontology files: constant for the process, never store data (so no snapshot owns it)
def vocabulary() -> Vocabulary:
    """Return the vocabulary built from ``ontology/*.ttl`` (cached for the process)."""
    graph = Graph()
    for path in vocabulary_files():
        graph.parse(path, format="turtle")
    icd10: dict[str, URIRef] = {}
    broader: dict[URIRef, URIRef] = {}
    for concept in graph.subjects(SKOS.inScheme, ICD10_SCHEME):
        assert isinstance(concept, URIRef)
        for notation in graph.objects(concept, SKOS.notation):
            icd10[str(notation).upper()] = concept
        for parent in graph.objects(concept, SKOS.broader):
            assert isinstance(parent, URIRef)
            broader[concept] = parent
    statuses = _scheme(graph, "status", STATUS_SCHEME)
    topics = _scheme(graph, "topic", TOPIC_SCHEME)
    topic_notations = {concept: notation for notation, concept in topics.concepts.items()}
    topic_parent = {
        notation: topic_notations[parent]
        for notation, concept in topics.concepts.items()
        for parent in graph.objects(concept, SKOS.broader)
        if parent in topic_notations
    }
    valid = frozenset(s for s in graph.subjects(GD.isValid, Literal(True)) if isinstance(s, URIRef))
    interventions = _scheme(graph, "intervention", INTERVENTION_SCHEME)
    intervention_notations = {concept: notation for notation, concept in interventions.concepts.items()}
    intervention_parent = {
        notation: intervention_notations[parent]
        for notation, concept in interventions.concepts.items()
        for parent in graph.objects(concept, SKOS.broader)
        if parent in intervention_notations
    }
    substances = frozenset(
        notation
        for notation, concept in interventions.concepts.items()
        if any(len(str(code)) == 7 for code in graph.objects(concept, GD.atcCode))
    )
    return Vocabulary(
        graph=graph,
        kinds=_kind_aliases(graph, KINDS),
        organisation_types=_kind_aliases(graph, ORGANISATION_TYPES),
        statuses=statuses,
        populations=_scheme(graph, "population", POPULATION_SCHEME),
        topics=topics,
        icd10=icd10,
        broader=broader,
        valid_statuses=valid,
        topic_parent=topic_parent,
        interventions=interventions,
        settings=_scheme(graph, "setting", SETTING_SCHEME),
        intervention_parent=intervention_parent,
        substances=substances,
    )
