"""The scope index: every document's scope as numpy arrays, so one document or draft is scored against all at once.

``graph.analysis.overlap.compare`` explains one pair; a draft in a large landscape has thousands of
candidates, so comparing each in Python takes too long for an answer while the user waits.  This index
computes the same score for every document in a few vector operations and gives an upper
bound of each candidate's rank; the draft check then runs the real comparison only on the
best candidates, in bound order, until no remaining candidate can enter the top *k*.  The
answer is the one the exhaustive comparison gives (tested), at a fraction of the cost.

The arithmetic is ``graph.analysis.scoring``'s, applied to arrays: the same constants and the
same :func:`~graph.analysis.scoring.score`, with title terms blended as ``TermIndex.similarity`` does.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import pairwise

import numpy as np
from rdflib import URIRef

from graph.analysis.scoring import (
    AREA_BLOCK,
    AREA_HIERARCHY,
    AREA_SHARED,
    CHAPTER_SCORE,
    NAMED_IN_TITLE,
    TOPIC_RELATED,
    TOPIC_SHARED,
    UNKNOWN,
    intervention_match,
    score,
    setting_match,
    topic_part,
)
from graph.model.landscape import LANDSCAPE, Document, Landscape, delta
from graph.model.snapshot import MISSING, Snapshot, View
from graph.model.textsim import blend
from graph.model.vocabulary import NOT_YET_VALID
from graph.store.namespaces import CHAPTER

__all__ = [
    "SCOPE_INDEX",
    "ScopeIndex",
    "has_scope_index",
    "iter_shared_scope_pairs",
    "popcount",
    "scope_index",
    "shared_scope_pairs",
]

_EMPTY = np.zeros(0, dtype=np.int64)


def _bits(values: Iterable[str], positions: dict[str, int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << positions.setdefault(value, len(positions))
    return mask


def _per_list(numbers: dict[tuple[str, ...], int], match: Callable[[list[str]], float | None]) -> np.ndarray:
    """Return *match* of each numbered list, by its number (NaN where it gives None)."""
    values = np.full(len(numbers), np.nan)
    for key, number in numbers.items():
        value = match(list(key))
        if value is not None:
            values[number] = value
    return values


class ScopeIndex:
    """Arrays over the documents of one landscape, one slot per document (``ids[slot]``).

    A write updates the index (:meth:`updated`): a changed document keeps its slot, a new one
    gets the next slot and a deleted one's slot stays, marked dead in ``alive``.
    """

    def __init__(self, land: Landscape) -> None:
        self.land = land
        docs = list(land.documents.values())
        self.ids: list[str] = [d.id for d in docs]
        self.slot = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self.size = len(docs)
        self.alive = np.ones(self.size, dtype=bool)
        self._topic_bits: dict[str, int] = {}
        self._population_bits: dict[str, int] = {}
        self.topics = np.zeros(self.size, dtype=np.int64)
        self.topics_expanded = np.zeros(self.size, dtype=np.int64)
        self.populations = np.zeros(self.size, dtype=np.int64)
        self.unborn = np.zeros(self.size, dtype=bool)
        # Interventions and settings: each slot's list, numbered among the distinct lists (few).
        self._intervention_numbers: dict[tuple[str, ...], int] = {(): 0}
        self._setting_numbers: dict[tuple[str, ...], int] = {(): 0}
        self.intervention_key = np.zeros(self.size, dtype=np.int64)
        self.setting_key = np.zeros(self.size, dtype=np.int64)
        self._fill(docs)
        self._group_scopes()
        # Disease areas: documents per code they state, per code or narrower, and the same for title-named areas.
        self.area_exact = self._postings(land.by_area_exact)
        self.area_below = self._postings(land.by_area)
        self._named_exact: dict[str, set[str]] = defaultdict(set)
        self._named_below: dict[str, set[str]] = defaultdict(set)
        self._owners: dict[str, set[str]] = defaultdict(set)
        for doc in docs:
            self._file_named(doc, add=True)
        self.named_exact = self._postings(self._named_exact)
        self.named_below = self._postings(self._named_below)
        self.owner_postings = self._postings(self._owners)
        self.term_postings = self._postings(land.by_term)
        self.title_block = self._postings(land.by_title_block)
        # Each document's title terms as (slot, term number) rows, for every document's total term weight at once.
        self._term_numbers: dict[str, int] = {}
        self._incidence = self._rows(docs)
        self.weight_sum = self._weight_sums()

    def _fill(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            slot = self.slot[doc.id]
            self.topics[slot] = _bits(doc.topics, self._topic_bits)
            self.topics_expanded[slot] = self.expanded_topics(doc.topics)
            self.populations[slot] = _bits(doc.populations, self._population_bits)
            self.unborn[slot] = doc.status in NOT_YET_VALID
            numbers = self._intervention_numbers
            self.intervention_key[slot] = numbers.setdefault(tuple(sorted(doc.interventions)), len(numbers))
            numbers = self._setting_numbers
            self.setting_key[slot] = numbers.setdefault(tuple(sorted(doc.settings)), len(numbers))

    def _file_named(self, doc: Document, add: bool) -> set[str]:
        """File (or take out) *doc* under the areas its title names and its owners; return the keys touched."""
        touched = set()
        for concept in self.land.title_areas(doc) if add else self._named_of.pop(doc.id, []):
            if concept in doc.disease_areas:
                continue
            for key, index in [(concept, self._named_exact), (concept, self._named_below)] + [
                (str(a), self._named_below) for a in self.land.vocabulary.ancestors(URIRef(concept))
            ]:
                (index[key].add if add else index[key].discard)(doc.id)
                touched.add(key)
            if add:
                self._named_of.setdefault(doc.id, []).append(concept)
        for owner in doc.owners:
            (self._owners[owner].add if add else self._owners[owner].discard)(doc.id)
        return touched

    @property
    def _named_of(self) -> dict[str, list[str]]:
        """The title-named areas each document was filed under (to take it out again)."""
        return self.__dict__.setdefault("_named_by_doc", {})

    def _rows(self, docs: Iterable[Document]) -> np.ndarray:
        numbers, pairs = self._term_numbers, []
        for doc in docs:
            slot = self.slot[doc.id]
            pairs.extend((slot, numbers.setdefault(term, len(numbers))) for term in self.land.doc_terms[doc.id])
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def _weight_sums(self) -> np.ndarray:
        weight = self.land.text.weight
        weights = np.array([weight(term) for term in self._term_numbers], dtype=np.float64)
        if not len(self._incidence):
            return np.zeros(self.size, dtype=np.float64)
        return np.bincount(self._incidence[:, 0], weights=weights[self._incidence[:, 1]], minlength=self.size)

    def _postings(self, index: dict[str, set[str]], keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        slot = self.slot
        return {
            key: np.fromiter((slot[i] for i in index.get(key, ()) if i in slot), dtype=np.int64)
            for key in (index if keys is None else keys)
        }

    def updated(self, land: Landscape, removed: list[Document], added: list[Document]) -> ScopeIndex:
        """Return a copy of this index for *land*, which is this index's landscape with documents removed and added.

        The copy shares nothing mutable with this index, so requests still using the old
        landscape see the old index whole.
        """
        new = copy.copy(self)
        new.land = land
        new.ids, new.slot, new.alive = list(self.ids), dict(self.slot), self.alive.copy()
        new._named_exact = defaultdict(set, {k: set(v) for k, v in self._named_exact.items()})
        new._named_below = defaultdict(set, {k: set(v) for k, v in self._named_below.items()})
        new._owners = defaultdict(set, {k: set(v) for k, v in self._owners.items()})
        new.__dict__["_named_by_doc"] = dict(self._named_of)
        new._topic_bits, new._population_bits = dict(self._topic_bits), dict(self._population_bits)
        new._intervention_numbers, new._setting_numbers = dict(self._intervention_numbers), dict(self._setting_numbers)
        new._term_numbers = dict(self._term_numbers)
        old_terms = self.land.doc_terms
        touched: dict[str, set[str]] = defaultdict(set)  # postings name -> keys to rebuild
        changed_slots = []
        for doc in removed:
            touched["named"] |= new._file_named(doc, add=False)
            touched["owners"] |= set(doc.owners)
            touched["terms"] |= old_terms.get(doc.id, set())
            touched["areas"] |= _with_ancestors(self.land, doc.disease_areas)
            touched["title"] |= _with_ancestors(self.land, self.land.title_areas(doc))
            changed_slots.append(new.slot.pop(doc.id))
            new.alive[changed_slots[-1]] = False
        for doc in added:
            slot = self.slot.get(doc.id)  # a changed document keeps its slot
            if slot is None:
                slot = len(new.ids)
                new.ids.append(doc.id)
            new.slot[doc.id] = slot
            changed_slots.append(slot)
        extra = len(new.ids) - self.size
        new.size = len(new.ids)
        new.alive = np.concatenate([new.alive, np.zeros(extra, dtype=bool)])
        for name in ("topics", "topics_expanded", "populations", "unborn", "intervention_key", "setting_key"):
            old = getattr(self, name)
            setattr(new, name, np.concatenate([old, np.zeros(extra, dtype=old.dtype)]))
        new._fill(added)
        new._group_scopes()
        for doc in added:
            new.alive[new.slot[doc.id]] = True
            touched["named"] |= new._file_named(doc, add=True)
            touched["owners"] |= set(doc.owners)
            touched["terms"] |= land.doc_terms[doc.id]
            touched["areas"] |= _with_ancestors(land, doc.disease_areas)
            touched["title"] |= _with_ancestors(land, land.title_areas(doc))
        for name, source, keys in (
            ("area_exact", land.by_area_exact, touched["areas"]),
            ("area_below", land.by_area, touched["areas"]),
            ("named_exact", new._named_exact, touched["named"]),
            ("named_below", new._named_below, touched["named"]),
            ("owner_postings", new._owners, touched["owners"]),
            ("term_postings", land.by_term, touched["terms"]),
            ("title_block", land.by_title_block, touched["title"]),
        ):
            postings = {**getattr(self, name), **new._postings(source, keys)}
            setattr(new, name, {key: slots for key, slots in postings.items() if len(slots)})
        kept = ~np.isin(self._incidence[:, 0], changed_slots) if len(self._incidence) else np.zeros(0, dtype=bool)
        new._incidence = np.concatenate([self._incidence[kept], new._rows(added)])
        new.weight_sum = new._weight_sums()  # every weight moves when the number of documents does
        return new

    @property
    def topic_positions(self) -> dict[str, int]:
        """The bit of each topic (and broader topic) in ``topics`` and ``topics_expanded``."""
        return self._topic_bits

    @property
    def population_positions(self) -> dict[str, int]:
        """The bit of each population in ``populations``."""
        return self._population_bits

    def term_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the (slot, term number) rows of the titles (each in its term set's order) and each term's weight."""
        weight = self.land.text.weight
        return self._incidence, np.array([weight(term) for term in self._term_numbers], dtype=np.float64)

    def expanded_topics(self, topics: Iterable[str]) -> int:
        """Return the bit mask of *topics* and their broader topics (as ``compare`` relates them)."""
        return _bits(self.land.vocabulary.expand_topics(topics), self._topic_bits)

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
            block = vocab.block(x)
            if block is not None:
                lift(below.get(block), AREA_BLOCK)
            for ancestor in vocab.ancestors(URIRef(x)):
                if str(ancestor) != CHAPTER:
                    lift(exact.get(str(ancestor)), AREA_HIERARCHY)
            lift(below.get(x), AREA_HIERARCHY)
            lift(exact.get(x), AREA_SHARED)
        return scores

    def scores(self, doc: Document, terms: set[str], title_areas: list[str]) -> np.ndarray:
        """Return ``compare``'s score of *doc* against every document, before rounding.

        Args:
            doc: a document or a draft turned into a document (its links are not counted).
            terms: the document's title terms.
            title_areas: the disease areas the document's title names.
        """
        area = self.area_scores(doc.disease_areas)
        weaker = area < AREA_HIERARCHY
        if weaker.any():
            named_own = [c for c in title_areas if c not in doc.disease_areas]
            alternatives = [self.area_scores(named_own) * NAMED_IN_TITLE] if named_own else []
            if self.named_exact:
                alternatives.append(self.area_scores(doc.disease_areas, named=True) * NAMED_IN_TITLE)
            for alternative in alternatives:
                area = np.where(weaker, np.maximum(area, alternative), area)
        topic, population = self._topic_population_scores(doc)
        vocab = self.land.vocabulary
        intervention = _per_list(
            self._intervention_numbers, lambda k: intervention_match(vocab, doc.interventions, k)[0]
        )
        setting = _per_list(self._setting_numbers, lambda k: setting_match(doc.settings, k)[0])
        return score(
            area,
            topic[self._scope_of],
            population[self._scope_of],
            self.title_scores(terms),
            intervention[self.intervention_key],
            setting[self.setting_key],
        )

    def _topic_population_scores(self, doc: Document) -> tuple[np.ndarray, np.ndarray]:
        """Return the topic and population parts of the score per distinct (topics, populations) of the documents.

        Topic and population scores depend on nothing else, and documents share few such
        combinations: scoring those and spreading them with one look-up (``[self._scope_of]``)
        is much cheaper than scoring every slot, with the same numbers.
        """
        topics, expanded, populations = self._scopes
        topic = np.full(len(topics), UNKNOWN)
        if doc.topics:
            # On a copy of the positions: a topic no document has gets a bit of its own, which only widens the union.
            own = _bits(doc.topics, dict(self._topic_bits))
            own_expanded = self.expanded_topics_readonly(doc.topics)
            shared = topics & own
            related = np.where(shared != 0, TOPIC_SHARED, np.where((expanded & own_expanded) != 0, TOPIC_RELATED, 0.0))
            union = popcount(topics | own)
            sameness = np.where(related > 0, popcount(shared) / np.maximum(union, 1), 0.0)
            topic = np.where(topics != 0, topic_part(related, sameness), UNKNOWN)
        population = np.full(len(populations), UNKNOWN)
        if doc.populations:
            own = 0
            for value in doc.populations:
                if value in self._population_bits:
                    own |= 1 << self._population_bits[value]
            everyone = 1 << self._population_bits["all"] if "all" in self._population_bits else 0
            match = ((populations & own) != 0) | ((populations & everyone) != 0)
            if "all" in doc.populations:
                match |= populations != 0
            population = np.where(populations != 0, np.where(match, 1.0, 0.0), UNKNOWN)
        return topic, population

    def _group_scopes(self) -> None:
        """Find the distinct (topics, expanded topics, populations) rows and each slot's row (``_scope_of``)."""
        rows = np.stack([self.topics, self.topics_expanded, self.populations], axis=1)
        distinct, self._scope_of = np.unique(rows, axis=0, return_inverse=True)
        self._scope_of = self._scope_of.reshape(-1)
        self._scopes = (distinct[:, 0].copy(), distinct[:, 1].copy(), distinct[:, 2].copy())

    def expanded_topics_readonly(self, topics: Iterable[str]) -> int:
        """Return the bit mask of *topics* and their broader topics, ignoring topics no document has."""
        mask = 0
        for t in self.land.vocabulary.expand_topics(topics):
            if t in self._topic_bits:
                mask |= 1 << self._topic_bits[t]
        return mask

    def title_scores(self, terms: set[str]) -> np.ndarray:
        """Return ``TermIndex.similarity`` of *terms* with every document's title terms."""
        scores = np.zeros(self.size, dtype=np.float64)
        weight = self.land.text.weight
        found = [(slots, weight(term)) for term in terms if len(slots := self.term_postings.get(term, _EMPTY))]
        if not found:
            return scores
        # The shared weight per document in one pass over the terms' postings (not one pass per term).
        slots = np.concatenate([postings for postings, _ in found])
        weights = np.repeat([w for _, w in found], [len(postings) for postings, _ in found])
        common = np.bincount(slots, weights=weights, minlength=self.size)
        own = sum(weight(t) for t in terms)
        hit = np.flatnonzero(common)
        shared, theirs = common[hit], self.weight_sum[hit]
        smaller, larger = np.minimum(own, theirs), np.maximum(own, theirs)
        scores[hit] = np.minimum(blend(shared, smaller, larger), 1.0)
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
    (tested). In a large landscape that is a number of pairs that grows with its square: use
    :func:`iter_shared_scope_pairs` to go through them without holding them all.

    Returns:
        An array of shape (n, 2) of slots ``(a, b)``, the document in slot ``a`` first by id.
    """
    chunks = list(iter_shared_scope_pairs(index))
    return np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.int32)


def iter_shared_scope_pairs(index: ScopeIndex, chunk: int = 8_000_000) -> Iterator[np.ndarray]:
    """Yield the pairs of :func:`shared_scope_pairs` in arrays of about *chunk* pairs at most twice over.

    Documents are grouped by (block, topic, population) and each group's pairs are taken at
    once, so the cost follows the number of pairs, not a self-join's plan.  A pair found in
    several groups is kept once: the pairs are made per range of the first document's place
    in id order, so both copies of a pair fall in the same range and one sort removes them.
    """
    land, vocab = index.land, index.land.vocabulary
    order = np.empty(index.size, dtype=np.int64)  # pairs are oriented by id, as the SPARQL query orders IRIs
    by_id = sorted(range(index.size), key=index.ids.__getitem__)
    order[by_id] = np.arange(index.size)
    slot_of = np.array(by_id, dtype=np.int64)
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    owner_ids: dict[str, int] = {}
    single_owner = np.full(index.size, -1, dtype=np.int64)  # by place in id order
    for slot, doc_id in enumerate(index.ids):
        if not index.alive[slot]:
            continue
        doc = land.documents[doc_id]
        if not (doc.owners and doc.topics and doc.populations and doc.kind):
            continue
        place = int(order[slot])
        if len(set(doc.owners)) == 1:
            single_owner[place] = owner_ids.setdefault(doc.owners[0], len(owner_ids))
        blocks = {block for area in doc.disease_areas if (block := vocab.block(area)) is not None}
        for key in {(b, t, p) for b in blocks for t in doc.topics for p in doc.populations}:
            groups[key].append(place)
    members = [np.array(sorted(m), dtype=np.int64) for m in groups.values() if len(m) > 1]
    total = sum(len(m) * (len(m) - 1) // 2 for m in members)
    ranges = max(1, 2 * -(-total // chunk))
    bounds = np.linspace(0, index.size, ranges + 1).astype(np.int64)
    for lo, hi in pairwise(bounds.tolist()):
        codes = []
        for places in members:
            first, last = np.searchsorted(places, [lo, hi])
            counts = len(places) - 1 - np.arange(first, last)
            size = int(counts.sum())
            if not size:
                continue
            a = np.repeat(places[first:last], counts)
            starts = np.repeat(np.arange(first, last) + 1, counts)
            b = places[starts + np.arange(size) - np.repeat(np.cumsum(counts) - counts, counts)]
            keep = (single_owner[a] != single_owner[b]) | (single_owner[a] < 0)
            codes.append(a[keep] * index.size + b[keep])
        found = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
        if not len(found):
            continue
        found.sort()  # then drop repeats; np.unique's hashing is several times slower at millions of pairs
        found = found[np.concatenate(([True], found[1:] != found[:-1]))]
        yield np.stack([slot_of[found // index.size], slot_of[found % index.size]], axis=1).astype(np.int32)


def _with_ancestors(land: Landscape, concepts: Iterable[str]) -> set[str]:
    return {str(c) for concept in concepts for c in [concept, *land.vocabulary.ancestors(URIRef(concept))]}


_BITS = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.float64)


def popcount(values: np.ndarray) -> np.ndarray:
    """Return the number of bits set in each value (topic and population masks)."""
    if not len(values) or int(values.max()) < 1 << 16:
        return _BITS[values]  # topic and population masks have a handful of bits: one table look-up
    counts = np.zeros(values.shape, dtype=np.float64)
    remaining = values.copy()
    while (remaining != 0).any():
        counts += remaining & 1
        remaining >>= 1
    return counts


def _build(snap: Snapshot) -> ScopeIndex:
    return ScopeIndex(snap[LANDSCAPE])


def _update(snap: Snapshot, old: ScopeIndex, changed: frozenset[str]) -> ScopeIndex | None:
    land = snap[LANDSCAPE]
    if land.lexicon is not old.land.lexicon:
        return None  # the title terms were split afresh: every document's terms may differ
    return old.updated(land, *delta(old.land, land, changed))


#: The scope index of a landscape, updated for the documents a write changed.
SCOPE_INDEX: View[ScopeIndex] = View("scope index", build=_build, update=_update)


def has_scope_index(land: Landscape) -> bool:
    """True if *land*'s scope index is built (asking for it costs nothing)."""
    return land.snapshot.peek(SCOPE_INDEX) is not MISSING


def scope_index(land: Landscape) -> ScopeIndex:
    """Return the landscape's scope index, built once per landscape."""
    return land.snapshot[SCOPE_INDEX]
