"""The scope index: every document's scope as numpy arrays, so one document or draft is scored against all at once.

``graph.overlap.compare`` explains one pair in about 50 µs; a draft at 30,000 documents has
some 15,000 candidates, so comparing each in Python takes most of a second.  This index
computes the same score for every document in a few vector operations and gives an upper
bound of each candidate's rank; the draft check then runs the real comparison only on the
best candidates, in bound order, until no remaining candidate can enter the top *k*.  The
answer is the one the exhaustive comparison gives (tested), at a fraction of the cost.

The arithmetic mirrors ``compare``: disease area (shared code 1.0, hierarchy 0.8, same block
0.4, whole chapter 0.3, areas named in a title at 0.75 of that), topics (shared 1.0, related
0.7, plus how alike the sets are), populations and weighted title terms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise

import numpy as np
from rdflib import URIRef

from graph.landscape import Document, Landscape

__all__ = ["CHAPTER", "CHAPTER_SCORE", "SLACK", "TOPIC_PARENT", "ScopeIndex", "scope_index", "shared_scope_pairs"]

CHAPTER = "https://w3id.org/retningsgraf/icd10/F00-F99"
CHAPTER_SCORE = 0.3  # a whole-chapter document shares every area, but only generically
# Weights of the score: the disease area and the title say most about scope.
W_AREA, W_TOPIC, W_POPULATION, W_TITLE = 0.35, 0.2, 0.1, 0.35
TOPIC_PARENT = {"pharmacological": "treatment", "non-pharmacological": "treatment", "cross-sector": "organisation"}
# compare() rounds its score to three decimals, so a bound must allow for rounding up.
SLACK = 0.0005 + 1e-9
_EMPTY = np.zeros(0, dtype=np.int64)


def _bits(values: Iterable[str], positions: dict[str, int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << positions.setdefault(value, len(positions))
    return mask


class ScopeIndex:
    """Arrays over the documents of one landscape, in slot order (``ids[slot]``)."""

    def __init__(self, land: Landscape) -> None:
        self.land = land
        docs = list(land.documents.values())
        self.ids = [d.id for d in docs]
        self.slot = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self.size = len(docs)
        vocab = land.vocabulary
        self._topic_bits: dict[str, int] = {}
        self._population_bits: dict[str, int] = {}
        self.topics = np.array([_bits(d.topics, self._topic_bits) for d in docs], dtype=np.int64)
        self.topics_expanded = np.array([self.expanded_topics(d.topics) for d in docs], dtype=np.int64)
        self.topic_count = np.array([len(set(d.topics)) for d in docs], dtype=np.float64)
        self.populations = np.array([_bits(d.populations, self._population_bits) for d in docs], dtype=np.int64)
        self.unborn = np.array([d.status in _UNBORN for d in docs], dtype=bool)
        # Disease areas: documents per code they state, per code or narrower, and the same for title-named areas.
        self.area_exact = self._postings(land.by_area_exact)
        self.area_below = self._postings(land.by_area)
        named_exact: dict[str, set[str]] = defaultdict(set)
        named_below: dict[str, set[str]] = defaultdict(set)
        for doc in docs:
            for concept in land.title_areas(doc):
                if concept in doc.disease_areas:
                    continue
                named_exact[concept].add(doc.id)
                named_below[concept].add(doc.id)
                for ancestor in vocab.ancestors(URIRef(concept)):
                    named_below[str(ancestor)].add(doc.id)
        self.named_exact = self._postings(named_exact)
        self.named_below = self._postings(named_below)
        # Title terms: postings, and each document's total term weight.
        self.term_postings = self._postings(land.by_term)
        weight = land.text.weight
        self.weight_sum = np.array([sum(weight(t) for t in land.doc_terms[d.id]) for d in docs], dtype=np.float64)
        self.owner_postings = self._postings(_by_owner(docs))
        self.title_block = self._postings(land.by_title_block)

    def _postings(self, index: dict[str, set[str]]) -> dict[str, np.ndarray]:
        slot = self.slot
        return {key: np.fromiter((slot[i] for i in ids if i in slot), dtype=np.int64) for key, ids in index.items()}

    def expanded_topics(self, topics: Iterable[str]) -> int:
        """Return the bit mask of *topics* and their broader topics (as ``compare`` relates them)."""
        return _bits({t for topic in topics for t in (topic, TOPIC_PARENT.get(topic)) if t}, self._topic_bits)

    # Scores ---------------------------------------------------------------------------

    def area_scores(self, areas: Iterable[str], named: bool = False) -> np.ndarray:
        """Return, per document, the best area match of *areas* with the document's codes.

        Args:
            areas: disease-area concepts of the document or draft being compared.
            named: match against the areas the documents' titles name (and their codes do not).
        """
        exact, below = (self.named_exact, self.named_below) if named else (self.area_exact, self.area_below)
        scores = np.zeros(self.size, dtype=np.float64)
        vocab = self.land.vocabulary

        def lift(slots: np.ndarray | None, value: float) -> None:
            if slots is not None and len(slots):
                scores[slots] = np.maximum(scores[slots], value)

        for x in areas:
            if x == CHAPTER:
                # A whole-chapter document meets every document that has an area at all.
                lift(np.unique(np.concatenate(list(exact.values()))) if exact else None, CHAPTER_SCORE)
                continue
            lift(exact.get(CHAPTER), CHAPTER_SCORE)
            ancestors = [str(a) for a in vocab.ancestors(URIRef(x))]
            block = _block_of(x, ancestors)
            if block is not None:
                lift(below.get(block), 0.4)
            for ancestor in ancestors:
                if ancestor != CHAPTER:
                    lift(exact.get(ancestor), 0.8)
            lift(below.get(x), 0.8)
            lift(exact.get(x), 1.0)
        return scores

    def scores(self, doc: Document, terms: set[str], title_areas: list[str]) -> np.ndarray:
        """Return ``compare``'s score of *doc* against every document, before rounding.

        Args:
            doc: a document or a draft turned into a document (its links are not counted).
            terms: the document's title terms.
            title_areas: the disease areas the document's title names.
        """
        area = self.area_scores(doc.disease_areas)
        weaker = area < 0.8
        if weaker.any():
            named_own = [c for c in title_areas if c not in doc.disease_areas]
            alternatives = [self.area_scores(named_own) * 0.75] if named_own else []
            if self.named_exact:
                alternatives.append(self.area_scores(doc.disease_areas, named=True) * 0.75)
            for alternative in alternatives:
                area = np.where(weaker, np.maximum(area, alternative), area)
        topic = np.full(self.size, 0.5)
        if doc.topics:
            # On a copy of the positions: a topic no document has gets a bit of its own, which only widens the union.
            own = _bits(doc.topics, dict(self._topic_bits))
            own_expanded = self.expanded_topics_readonly(doc.topics)
            shared = self.topics & own
            related = np.where(shared != 0, 1.0, np.where((self.topics_expanded & own_expanded) != 0, 0.7, 0.0))
            union = _popcount(self.topics | own)
            sameness = np.where(related > 0, _popcount(shared) / np.maximum(union, 1), 0.0)
            topic = np.where(self.topics != 0, (related + sameness) / 2, 0.5)
        population = np.full(self.size, 0.5)
        if doc.populations:
            own = 0
            for value in doc.populations:
                if value in self._population_bits:
                    own |= 1 << self._population_bits[value]
            everyone = 1 << self._population_bits["all"] if "all" in self._population_bits else 0
            match = ((self.populations & own) != 0) | ((self.populations & everyone) != 0)
            if "all" in doc.populations:
                match |= self.populations != 0
            population = np.where(self.populations != 0, np.where(match, 1.0, 0.0), 0.5)
        title = self.title_scores(terms)
        return W_AREA * area + W_TOPIC * topic + W_POPULATION * population + W_TITLE * title

    def expanded_topics_readonly(self, topics: Iterable[str]) -> int:
        """Return the bit mask of *topics* and their broader topics, ignoring topics no document has."""
        mask = 0
        for topic in topics:
            for t in (topic, TOPIC_PARENT.get(topic)):
                if t and t in self._topic_bits:
                    mask |= 1 << self._topic_bits[t]
        return mask

    def title_scores(self, terms: set[str]) -> np.ndarray:
        """Return ``TermIndex.similarity`` of *terms* with every document's title terms."""
        scores = np.zeros(self.size, dtype=np.float64)
        if not terms:
            return scores
        weight = self.land.text.weight
        common = np.zeros(self.size, dtype=np.float64)
        for term in terms:
            slots = self.term_postings.get(term)
            if slots is not None and len(slots):
                common[slots] += weight(term)
        own = sum(weight(t) for t in terms)
        hit = common > 0
        smaller = np.minimum(own, self.weight_sum[hit])
        larger = np.maximum(own, self.weight_sum[hit])
        value = 0.7 * common[hit] / smaller + 0.3 * 2 * common[hit] / (smaller + larger)
        scores[hit] = np.minimum(value, 1.0)
        return scores

    def slots(self, ids: Iterable[str]) -> np.ndarray:
        """Return the slots of the given document ids (unknown ids are left out)."""
        slot = self.slot
        return np.fromiter((slot[i] for i in ids if i in slot), dtype=np.int64)

    def postings(self, index: dict[str, np.ndarray], key: str) -> np.ndarray:
        """Return the slots filed under *key* in one of the index's postings, or none."""
        return index.get(key, _EMPTY)


def shared_scope_pairs(index: ScopeIndex) -> np.ndarray:
    """Return the pairs of documents with different owners that share an ICD-10 block, a topic and a population.

    The coarse overlap screen, the same pairs as ``benchmarks/queries/pairs_subselect.rq``
    (tested): documents are grouped by (block, topic, population) and each group's pairs
    are taken at once, so the cost follows the number of pairs, not a self-join's plan.

    Returns:
        An array of shape (n, 2) of slots ``(a, b)`` with ``a < b``, sorted.
    """
    land, vocab = index.land, index.land.vocabulary
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    owner_ids: dict[str, int] = {}
    single_owner = np.full(index.size, -1, dtype=np.int64)
    for slot, doc_id in enumerate(index.ids):
        doc = land.documents[doc_id]
        if not (doc.owners and doc.topics and doc.populations and doc.kind):
            continue
        if len(set(doc.owners)) == 1:
            single_owner[slot] = owner_ids.setdefault(doc.owners[0], len(owner_ids))
        blocks = {
            block
            for area in doc.disease_areas
            if (block := _block_of(area, [str(a) for a in vocab.ancestors(URIRef(area))])) is not None
        }
        for key in {(b, t, p) for b in blocks for t in doc.topics for p in doc.populations}:
            groups[key].append(slot)
    chunks = []
    for members in groups.values():
        if len(members) < 2:
            continue
        slots = np.array(sorted(members), dtype=np.int64)
        left, right = np.triu_indices(len(slots), 1)
        a, b = slots[left], slots[right]
        keep = (single_owner[a] != single_owner[b]) | (single_owner[a] < 0)
        chunks.append(a[keep] * index.size + b[keep])
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    codes = np.concatenate(chunks)
    codes.sort()  # then drop repeats; np.unique's hashing is several times slower at millions of pairs
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return np.stack([codes // index.size, codes % index.size], axis=1)


def _popcount(values: np.ndarray) -> np.ndarray:
    counts = np.zeros(values.shape, dtype=np.float64)
    remaining = values.copy()
    while (remaining != 0).any():
        counts += remaining & 1
        remaining >>= 1
    return counts


def _block_of(concept: str, ancestors: list[str]) -> str | None:
    chain = [concept, *ancestors]
    return next((node for node, parent in pairwise(chain) if parent == CHAPTER), None)


def _by_owner(docs: list[Document]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        for owner in doc.owners:
            index[owner].add(doc.id)
    return index


_UNBORN = ("planned", "in-development", "internal-consultation", "external-consultation")


def scope_index(land: Landscape) -> ScopeIndex:
    """Return the landscape's scope index, built once per landscape."""
    found = land.__dict__.get("_scope_index")
    if found is None:
        found = land.__dict__["_scope_index"] = ScopeIndex(land)
    assert isinstance(found, ScopeIndex)
    return found
