"""Scores and relations of many pairs at once: a block of documents against every later one, with numpy.

``overlap.compare`` explains one pair; a landscape of 30,000 documents has hundreds of millions
of candidate pairs. This computes the same score and relation for a block of rows (scope-index
slots) against all later slots through ``graph.analysis.scoring``: area values come from
:func:`~graph.analysis.scoring.area_match` itself (once per pair of codes), the parts are added by
:func:`~graph.analysis.scoring.score`, titles by :func:`~graph.model.textsim.blend` and the relation
by the rule table :data:`~graph.analysis.scoring.RULES`. Tests hold it to ``compare`` pair by pair.
Pairs with an explicit link are left to ``compare`` (they are few, and their score is adjusted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graph.analysis import scoring
from graph.analysis.scope_index import ScopeIndex, popcount
from graph.model.landscape import Document, period_end
from graph.model.textsim import blend
from graph.model.vocabulary import NOT_YET_VALID

__all__ = ["Block", "PairScorer", "thousandths"]


@dataclass
class Block:
    """Some rows (slots) against some columns (slots): each pair's relation code (0: unrelated) and score."""

    rows: np.ndarray
    columns: np.ndarray
    relation: np.ndarray  # (rows, columns) uint8: 1 + the place in RELATIONS, or 0
    value: np.ndarray  # (rows, columns) float64: compare's score before rounding


class PairScorer:
    """Per-slot arrays of one scope index, arranged for scoring pairs in blocks (built once per index)."""

    def __init__(self, index: ScopeIndex, relations: tuple[str, ...]) -> None:
        land = index.land
        self.index, self.relations, self.size = index, relations, index.size
        docs: list[Document | None] = [
            land.documents.get(doc_id) if index.alive[slot] else None for slot, doc_id in enumerate(index.ids)
        ]
        self.alive = np.array([d is not None for d in docs], dtype=bool)
        self._areas(docs)
        self._interventions_settings(docs)
        self._facts(docs)
        self._titles()

    def _areas(self, docs: list[Document | None]) -> None:
        """Number each document's codes and title-named codes as sets, and score every pair of sets."""
        vocab = self.index.land.vocabulary
        codes: dict[str, int] = {}
        sets: dict[tuple[int, ...], int] = {(): 0}

        def set_of(concepts: list[str]) -> int:
            key = tuple(sorted({codes.setdefault(c, len(codes)) for c in concepts}))
            return sets.setdefault(key, len(sets))

        self.area_set = np.zeros(self.size, dtype=np.int64)
        self.named_set = np.zeros(self.size, dtype=np.int64)
        for slot, doc in enumerate(docs):
            if doc is not None:
                self.area_set[slot] = set_of(doc.disease_areas)
                named = self.index.land.title_areas(doc)
                self.named_set[slot] = set_of([c for c in named if c not in doc.disease_areas])
        concepts = list(codes)
        # The value of every pair of codes, by scoring's own rule, as an index into the sorted values.
        value = np.array(
            [[scoring.area_match(vocab, [x], [y])[0] for y in concepts] for x in concepts], dtype=np.float64
        ).reshape(len(concepts), len(concepts))
        self.values, code_pair = np.unique(np.concatenate([[0.0], value.ravel()]), return_inverse=True)
        code_pair = code_pair[1:].reshape(value.shape).astype(np.uint8)
        # The best value of two sets of codes is the best of their code pairs (area_match's best).
        members = [np.array(key, dtype=np.int64) for key in sets]
        best_of_code = np.zeros((len(concepts), len(members)), dtype=np.uint8)
        for s, member in enumerate(members):
            if len(member):
                best_of_code[:, s] = code_pair[:, member].max(axis=1)
        self.set_pair = np.zeros((len(members), len(members)), dtype=np.uint8)
        for s, member in enumerate(members):
            if len(member):
                self.set_pair[s] = best_of_code[member].max(axis=0)

    def _interventions_settings(self, docs: list[Document | None]) -> None:
        """Number each document's intervention and setting lists, and match every pair of lists by scoring's rule."""
        vocab = self.index.land.vocabulary
        self.intervention_set, self.intervention_pair = _numbered(
            [d.interventions if d is not None else [] for d in docs],
            lambda x, y: scoring.intervention_match(vocab, x, y)[0],
        )
        self.setting_set, self.setting_pair = _numbered(
            [d.settings if d is not None else [] for d in docs], lambda x, y: scoring.setting_match(x, y)[0]
        )

    def _facts(self, docs: list[Document | None]) -> None:
        """The per-document values the relation rule reads."""
        index, n = self.index, self.size
        present = [d for d in docs if d is not None]
        kinds = {k: i for i, k in enumerate(sorted({d.kind for d in present}))}
        families = {f: i for i, f in enumerate(sorted({*scoring.FAMILY.values(), "clinical"}))}
        owners = {o: i for i, o in enumerate(sorted({o for d in present for o in d.owners}))}
        words = max(1, -(-len(owners) // 63))
        self.valid = np.zeros(n, dtype=bool)
        self.settled = np.zeros(n, dtype=bool)
        self.retired = np.zeros(n, dtype=bool)
        self.dated = np.zeros(n, dtype=bool)
        self.end = np.zeros(n, dtype=np.int64)
        self.kind = np.zeros(n, dtype=np.int64)
        self.family = np.zeros(n, dtype=np.int64)
        self.nka = np.zeros(n, dtype=bool)
        self.level = np.zeros(n, dtype=np.int64)
        levels: dict[str | None, int] = {}
        self.owner_bits = np.zeros((n, words), dtype=np.int64)
        for slot, doc in enumerate(docs):
            if doc is None:
                continue
            self.valid[slot] = doc.valid
            self.settled[slot] = doc.status not in NOT_YET_VALID
            self.retired[slot] = doc.status in scoring.RETIRED
            if doc.issued:
                self.dated[slot] = True
                self.end[slot] = period_end(doc.last_review or doc.issued).toordinal()
            self.kind[slot] = kinds[doc.kind]
            self.family[slot] = families[scoring.FAMILY.get(doc.kind, "clinical")]
            self.nka[slot] = doc.kind == scoring.NKA
            self.level[slot] = levels.setdefault(doc.level, len(levels))
            for owner in doc.owners:
                number = owners[owner]
                self.owner_bits[slot, number // 63] |= 1 << (number % 63)
        bits = index.topic_positions
        generic = sum(1 << bits[t] for t in scoring.GENERIC_TOPICS if t in bits)
        self.specific = index.topics & ~generic
        first, second = (1 << bits[t] if t in bits else 0 for t in scoring.OPPOSITE_TOPICS)
        has_first, has_second = (index.topics & first) != 0, (index.topics & second) != 0
        self.only_first, self.only_second = has_first & ~has_second, has_second & ~has_first
        self.everyone = 1 << index.population_positions["all"] if "all" in index.population_positions else 0

    def _titles(self) -> None:
        """Each document's title terms and each term's documents."""
        incidence, weights = self.index.term_rows()
        # Shared weights add up in term-number order, whichever document of a pair is the row.
        by_slot = np.lexsort((incidence[:, 1], incidence[:, 0]))
        self.slot_terms = incidence[by_slot, 1]
        self.slot_start = np.searchsorted(incidence[by_slot, 0], np.arange(self.size + 1))
        by_term = np.argsort(incidence[:, 1], kind="stable")
        self.term_slots = incidence[by_term, 0]
        self.term_start = np.searchsorted(incidence[by_term, 1], np.arange(len(weights) + 1))
        self.weights = weights
        self.weight_sum = self.index.weight_sum

    # Blocks ----------------------------------------------------------------------------

    def block(self, rows: np.ndarray, columns: np.ndarray) -> Block:
        """Score and classify the slots *rows* against the slots *columns* (the caller keeps the pairs it wants).

        A pair scores the same whichever of its documents is the row.
        """
        r, c = rows[:, None], columns[None, :]
        area = self._area(r, c)
        topic, sameness, topic_score = self._topic(r, c)
        population, population_score = self._population(r, c)
        title = self._title(rows, columns)
        intervention = self.intervention_pair[self.intervention_set[r], self.intervention_set[c]]
        setting = self.setting_pair[self.setting_set[r], self.setting_set[c]]
        facts = scoring.Facts(
            intervention=intervention,
            setting=setting,
            area=area,
            topic=topic,
            sameness=sameness,
            population=population,
            title=title,
            link_supersedes=np.zeros(area.shape, dtype=bool),  # linked pairs are compare's
            link_complements=np.zeros(area.shape, dtype=bool),
            valid_a=self.valid[r],
            valid_b=self.valid[c],
            settled_a=self.settled[r],
            settled_b=self.settled[c],
            retired_a=self.retired[r],
            retired_b=self.retired[c],
            a_not_older=~(self.dated[r] & self.dated[c]) | (self.end[r] >= self.end[c]),
            b_not_older=~(self.dated[r] & self.dated[c]) | (self.end[c] >= self.end[r]),
            family_differs=self.family[r] != self.family[c],
            same_owner_same_kind=self._share_owner(r, c) & (self.kind[r] == self.kind[c]),
            nka_beside_other=(self.nka[r] | self.nka[c]) & (self.kind[r] != self.kind[c]),
            specific_topic_shared=(self.specific[r] & self.specific[c]) != 0,
            same_level=self.level[r] == self.level[c],
            opposite_treatments=(self.only_first[r] & self.only_second[c]) | (self.only_second[r] & self.only_first[c]),
        )
        relation = scoring.classify_many(facts, self.relations)
        value = scoring.score(area, topic_score, population_score, title, intervention, setting)
        return Block(rows, columns, relation, value)

    def _area(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        values, pair = self.values, self.set_pair
        best = values[pair[self.area_set[r], self.area_set[c]]]
        # As compare: an area a title names counts, for less, where the codes meet less than a hierarchy.
        named = np.maximum(pair[self.named_set[r], self.area_set[c]], pair[self.area_set[r], self.named_set[c]])
        return np.where(best < 0.8, np.maximum(best, values[named] * scoring.NAMED_IN_TITLE), best)  # type: ignore[no-any-return]

    def _topic(self, r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        topics, expanded = self.index.topics, self.index.topics_expanded
        known = (topics[r] != 0) & (topics[c] != 0)
        shared = topics[r] & topics[c]
        broad = (expanded[r] & expanded[c]) != 0
        related = np.where(shared != 0, scoring.TOPIC_SHARED, np.where(broad, scoring.TOPIC_RELATED, 0.0))
        sameness = popcount(shared) / np.maximum(popcount(topics[r] | topics[c]), 1)
        part = scoring.topic_part(related, sameness)
        return (
            np.where(known, related, np.nan),
            np.where(known, sameness, np.nan),
            np.where(known, part, scoring.UNKNOWN),
        )

    def _population(self, r: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        populations, everyone = self.index.populations, self.everyone
        known = (populations[r] != 0) & (populations[c] != 0)
        match = ((populations[r] & populations[c]) != 0) | ((populations[r] & everyone) != 0)
        match |= (populations[c] & everyone) != 0
        value = np.where(match, 1.0, 0.0)
        return np.where(known, value, np.nan), np.where(known, value, scoring.UNKNOWN)

    def _share_owner(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        shared = np.zeros((r.shape[0], c.shape[1]), dtype=bool)
        for word in range(self.owner_bits.shape[1]):
            shared |= (self.owner_bits[r, word] & self.owner_bits[c, word]) != 0
        return shared

    def _title(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """``TermIndex.similarity`` of *rows* with *columns*: shared weight per pair, blended."""
        width = len(columns)
        place = np.full(self.size, -1, dtype=np.int64)
        place[columns] = np.arange(width)
        counts = self.slot_start[rows + 1] - self.slot_start[rows]
        terms = self.slot_terms[_ranges(self.slot_start[rows], counts)]
        lengths = np.diff(self.term_start)[terms]
        found = place[self.term_slots[_ranges(self.term_start[terms], lengths)]]
        keep = found >= 0
        cells = np.repeat(np.repeat(np.arange(len(rows)), counts), lengths)[keep] * width + found[keep]
        shared = np.repeat(self.weights[terms], lengths)[keep]
        common = np.bincount(cells, weights=shared, minlength=len(rows) * width).reshape(len(rows), width)
        own, theirs = self.weight_sum[rows][:, None], self.weight_sum[columns][None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            similarity = np.minimum(blend(common, np.minimum(own, theirs), np.maximum(own, theirs)), 1.0)
        return np.where(common > 0, similarity, 0.0)


def _numbered(
    lists: list[list[str]], match: Callable[[list[str], list[str]], float | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Return each list's number among the distinct lists, and *match* of every pair of them (NaN for None)."""
    numbers: dict[tuple[str, ...], int] = {}
    which = np.array([numbers.setdefault(tuple(sorted(values)), len(numbers)) for values in lists], dtype=np.int64)
    distinct = [list(key) for key in numbers]
    pair = np.array(
        [[np.nan if (m := match(x, y)) is None else m for y in distinct] for x in distinct], dtype=np.float64
    ).reshape(len(distinct), len(distinct))
    return which, pair


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Return the positions ``starts[i] .. starts[i] + lengths[i] - 1`` of every *i*, one after another."""
    total = int(lengths.sum())
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)


def thousandths(value: np.ndarray) -> np.ndarray:
    """Return ``round(min(value, 1.0), 3) * 1000`` per element as integers, exactly as Python's ``round`` does.

    ``rint(value * 1000)`` can land on the wrong side of a tie (the product is rounded first), so
    values within a hair of a tie are rounded one by one by Python.
    """
    capped = np.minimum(value, 1.0)
    scaled = capped * 1000
    result = np.rint(scaled)
    near = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near.any():
        distinct, where = np.unique(capped[near], return_inverse=True)
        exact = np.array([round(round(float(x), 3) * 1000) for x in distinct], dtype=np.float64)
        result[near] = exact[where]
    return result.astype(np.uint16)
