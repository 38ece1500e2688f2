"""The overlap engine: compare documents on scope, classify pairs, cluster them, check drafts.

Pairs are found through indexes (disease-area block, rare title terms, explicit links),
never through a self-join over all documents, and each comparison explains itself with
reasons a coordinator can check.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import insort
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

import networkx as nx
import numpy as np

from graph import budget
from graph.analysis import scoring
from graph.analysis.pair_scores import PairScorer, thousandths
from graph.analysis.questions import QUESTIONS, shared_questions
from graph.analysis.scope_index import SCOPE_INDEX, ScopeIndex, scope_index
from graph.analysis.scoring import SLACK, UNKNOWN, score
from graph.model.landscape import LANDSCAPE, Document, DraftDocument, Landscape
from graph.model.names import Names
from graph.model.snapshot import MISSING, Snapshot, View
from graph.model.vocabulary import NOT_YET_VALID
from graph.store.namespaces import CHAPTER

__all__ = [
    "DRAFT_FIELDS",
    "PAIRS",
    "RELATIONS",
    "Comparison",
    "Draft",
    "DraftError",
    "PairList",
    "PairTable",
    "Reason",
    "check_draft",
    "clusters",
    "compare",
    "draft_from_mapping",
    "owner_summary",
    "pairs",
    "pairs_of",
    "related",
    "unknown_draft_fields",
]

#: ``may_replace``: a newer document on a retired one's question that no link or owner's series says replaces it
#: (shown as "kan erstatte (usikkert)", never as a fact).
RELATIONS = ("duplicate", "overlap", "complementary", "supersedes", "may_replace")
#: The relations where ``a`` is the newer document.
ORIENTED = ("supersedes", "may_replace")


@dataclass(frozen=True)
class Reason:
    """One checkable reason for a relation, in Danish and English."""

    type: str
    text: str
    text_en: str


@dataclass
class Comparison:
    """The relation between two documents (or a draft and a document)."""

    a: str
    b: str
    relation: str | None  # None: unrelated
    score: float
    reasons: list[Reason] = field(default_factory=list)
    rank: float | None = None  # for a draft check: its order, which is the score


@dataclass
class Draft:
    """A planned document that is not in the graph yet."""

    title: str
    kind: str | None = None
    owner: str | None = None
    disease_areas: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)


DRAFT_FIELDS = ("title", "kind", "owner", "disease_areas", "populations", "topics", "interventions", "settings")


#: A document link as a reason reads it (Danish, English): "»A« erstatter »B«".
LINK_WORDS = {
    "replaces": ("erstatter", "replaces"),
    "revises": ("reviderer", "revises"),
    "supplements": ("supplerer", "supplements"),
    "references": ("henviser til", "references"),
    "implements": ("omsætter", "implements"),
}


def unknown_draft_fields(keys: Iterable[str]) -> str | None:
    """Return why a draft with these *keys* is refused, or None: the one message of the CLI and the API.

    A misspelt key would otherwise be dropped and the draft ranked on less than the user gave
    (``disease_area`` left the ranking title-only).
    """
    unknown = sorted(set(keys) - set(DRAFT_FIELDS))
    if not unknown:
        return None
    names = Names("field", ((name, ()) for name in DRAFT_FIELDS))
    shown = []
    for name in unknown:
        closest = names.closest(name, 1)
        shown.append(f"{name!r}" + (f" (mente du {closest[0]}?)" if closest else ""))
    return f"unknown field(s) {', '.join(shown)}; a draft has {', '.join(DRAFT_FIELDS)}"


class DraftError(ValueError):
    """A draft names a code or value the vocabulary does not know."""

    def __init__(self, field_name: str, value: str, message: str) -> None:
        self.field = field_name
        self.value = value
        super().__init__(message)


def draft_from_mapping(data: object) -> Draft:
    """Return the draft a YAML or JSON mapping describes (the command line's draft file).

    Raises:
        DraftError: if *data* is not a mapping with a title, has a field a draft does not have,
            or a value of the wrong type.
    """
    if not isinstance(data, dict) or not data.get("title"):
        raise DraftError("title", "", "a draft is a mapping with at least a title")
    if refusal := unknown_draft_fields(str(k) for k in data):
        raise DraftError("draft", "", refusal)
    for name in ("title", "kind", "owner"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise DraftError(name, str(data[name]), f"{name} is one text value, not {data[name]!r}")
    for name in ("disease_areas", "populations", "topics", "interventions", "settings"):
        values = data.get(name)
        if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
            raise DraftError(name, str(values), f"{name} is a list of text values, not {values!r}")
    return Draft(**{k: v for k, v in data.items() if v is not None})


# Scope comparison -------------------------------------------------------------------


def _area(land: Landscape, a: Document, b: Document, explain: bool = True) -> tuple[float, list[Reason]]:
    vocab = land.vocabulary
    best, matches = scoring.area_match(vocab, a.disease_areas, b.disease_areas)
    in_title = False
    if best < 0.8:
        # A title may name an area its codes do not ("beroligende lægemidler" in an anxiety NKA):
        # such a match counts, but for less than a shared code.
        named_a = [c for c in land.title_areas(a) if c not in a.disease_areas]
        named_b = [c for c in land.title_areas(b) if c not in b.disease_areas]
        for left, right in ((named_a, b.disease_areas), (a.disease_areas, named_b)):
            value, found = scoring.area_match(vocab, left, right)
            if value * scoring.NAMED_IN_TITLE > best:
                best, matches, in_title = value * scoring.NAMED_IN_TITLE, found, True
    return best, [_area_reason(land, match, in_title) for match in matches] if explain else []


def _area_reason(land: Landscape, match: tuple[str, str, str], in_title: bool) -> Reason:
    kind, x, y = match
    nx_, ny_ = land.notation(x), land.notation(y)
    if kind == "shared_code":
        reason = Reason(kind, f"samme sygdomsområde: {nx_} {land.area_label(x)}", f"same disease area: {nx_}")
    elif kind == "hierarchy":
        reason = Reason(
            kind, f"sygdomsområder i samme hierarki: {nx_} og {ny_}", f"disease areas in one hierarchy: {nx_} and {ny_}"
        )
    elif kind == "chapter":
        reason = Reason(
            kind,
            "det ene dokument dækker hele psykiatrien (F00-F99)",
            "one document covers all of psychiatry (F00-F99)",
        )
    else:
        block = land.notation(land.vocabulary.block(x) or "")
        reason = Reason(
            kind, f"samme ICD-10-blok {block}: {nx_} og {ny_}", f"same ICD-10 block {block}: {nx_} and {ny_}"
        )
    if in_title:
        return Reason(kind + "_in_title", reason.text + " (nævnt i titlen)", reason.text_en + " (named in the title)")
    return reason


def _topic(
    land: Landscape, a: Document, b: Document, explain: bool = True
) -> tuple[float | None, float | None, list[Reason]]:
    """Return (relatedness, sameness, reasons): any shared topic, and how alike the topic sets are."""
    related, sameness, topics, how = scoring.topic_match(land.vocabulary, a, b)
    if not explain or related is None:
        return related, sameness, []

    def names(topics: Iterable[str], lang: str) -> str:
        return ", ".join(land.concept_label("topic", t, lang) for t in sorted(topics))

    if how == "shared":
        reason = Reason("shared_topic", f"samme emne: {names(topics, 'da')}", f"same topic: {names(topics, 'en')}")
    elif how == "related":
        reason = Reason(
            "related_topic", f"beslægtet emne: {names(topics, 'da')}", f"related topic: {names(topics, 'en')}"
        )
    else:
        ta, tb = set(a.topics), set(b.topics)
        reason = Reason(
            "different_topic",
            f"forskellige emner: {names(ta, 'da')} / {names(tb, 'da')}",
            f"different topics: {names(ta, 'en')} / {names(tb, 'en')}",
        )
    return related, sameness, [reason]


def _population(land: Landscape, a: Document, b: Document, explain: bool = True) -> tuple[float | None, list[Reason]]:
    value, shared = scoring.population_match(a, b)
    if not explain or value is None:
        return value, []
    if shared:
        da = ", ".join(land.concept_label("population", p) for p in sorted(shared))
        en = ", ".join(land.concept_label("population", p, "en") for p in sorted(shared))
        return value, [Reason("shared_population", f"samme målgruppe: {da}", f"same population: {en}")]
    return value, [Reason("different_population", "forskellige målgrupper", "different populations")]


def _intervention(land: Landscape, a: Document, b: Document, explain: bool = True) -> tuple[float | None, list[Reason]]:
    """Return the intervention match (None where a side states none) and its reason, in concept labels."""
    vocab = land.vocabulary
    value, matches = scoring.intervention_match(vocab, a.interventions, b.interventions)
    if not explain or not a.interventions or not b.interventions:
        return value, []  # a side that names none is neither the same nor different

    def names(notations: Iterable[str], lang: str) -> str:
        return ", ".join(land.concept_label("intervention", n, lang) for n in notations)

    if not matches:
        return value, [
            Reason(
                "different_intervention",
                f"forskellige indsatser: {names(a.interventions, 'da')} / {names(b.interventions, 'da')}",
                f"different interventions: {names(a.interventions, 'en')} / {names(b.interventions, 'en')}",
            )
        ]
    kind, x, y = matches[0]
    if kind == "shared":
        shared = [m[1] for m in matches]
        return value, [
            Reason(
                "shared_intervention",
                f"samme indsats: {names(shared, 'da')}",
                f"same intervention: {names(shared, 'en')}",
            )
        ]
    narrow, broad = (x, y) if y in vocab.intervention_ancestors(x) else (y, x)
    da = f"{names([narrow], 'da')} hører under {names([broad], 'da')}"
    en = f"{names([narrow], 'en')} is one of {names([broad], 'en')}"
    if kind == "substance":
        return value, [
            Reason(
                "narrower_intervention", f"ét lægemiddel over for gruppen: {da}", f"one medicine beside its class: {en}"
            )
        ]
    return value, [Reason("related_intervention", f"beslægtet indsats: {da}", f"related intervention: {en}")]


def _setting(land: Landscape, a: Document, b: Document, explain: bool = True) -> tuple[float | None, list[Reason]]:
    """Return the setting match (None where a side states none) and its reason."""
    value, shared = scoring.setting_match(a.settings, b.settings)
    if not explain or value is None:
        return value, []
    if shared:
        da = ", ".join(land.concept_label("setting", s) for s in sorted(shared))
        en = ", ".join(land.concept_label("setting", s, "en") for s in sorted(shared))
        return value, [Reason("shared_setting", f"samme regi: {da}", f"same setting: {en}")]
    da = " / ".join(", ".join(land.concept_label("setting", s) for s in d.settings) for d in (a, b))
    en = " / ".join(", ".join(land.concept_label("setting", s, "en") for s in d.settings) for d in (a, b))
    return value, [Reason("different_setting", f"forskelligt regi: {da}", f"different settings: {en}")]


def compare(land: Landscape, a: Document, b: Document, explain: bool = True) -> Comparison:
    """Classify the relation between *a* and *b* with a score in [0, 1] and reasons.

    Args:
        land: the landscape (for the ICD-10 hierarchy and title-term weights).
        a: a document or a draft turned into a document.
        b: another document.
        explain: build the reasons; ranking thousands of candidates skips them and explains
            only the ones it returns (the relation and score are the same either way).

    Returns:
        The comparison; for ``supersedes`` the newer document is ``a``.
    """
    area, reasons = _area(land, a, b, explain)
    topic, sameness, topic_reasons = _topic(land, a, b, explain)
    population, population_reasons = _population(land, a, b, explain)
    intervention, intervention_reasons = _intervention(land, a, b, explain)
    setting, setting_reasons = _setting(land, a, b, explain)
    title, shared_terms = land.text.similarity(land.terms(a), land.terms(b))
    reasons += topic_reasons + population_reasons + intervention_reasons + setting_reasons
    if explain and shared_terms:
        reasons.append(_title_reason(land, a, b, shared_terms))
    if explain:
        reasons += _question_reasons(land, a, b)
    links = [(t, a, b) for t, target in a.links if target == b.id] + [
        (t, b, a) for t, target in b.links if target == a.id
    ]
    for link_type, source, target in links if explain else []:
        da, en = LINK_WORDS.get(link_type, (link_type, link_type))
        reasons.append(
            Reason("link", f"»{source.title}« {da} »{target.title}«", f"“{source.title}” {en} “{target.title}”")
        )
    value = score(
        area,
        UNKNOWN if topic is None else scoring.topic_part(topic, sameness or 0.0),
        UNKNOWN if population is None else population,
        title,
        intervention,
        setting,
    )
    relation = scoring.classify(
        scoring.facts(a, b, area, topic, sameness, population, title, links, intervention, setting)
    )
    if links:
        value = scoring.linked_score(value, relation)
    if relation in ORIENTED and scoring.older_first(a, b, links):
        a, b = b, a
    if relation == "may_replace" and explain:
        reasons.append(
            Reason(
                "uncertain_replacement",
                "kan erstatte (usikkert): ingen kilde eller henvisning siger, at det nyere erstatter det ældre",
                "may replace (uncertain): no source or link says the newer document replaces the older one",
            )
        )
    return Comparison(a.id, b.id, relation, round(min(value, 1.0), 3), reasons)


def _question_reasons(land: Landscape, a: Document, b: Document) -> list[Reason]:
    """Name the focused questions (recommendations) the two share, or one's questions on the other's interventions."""
    asked = land.snapshot[QUESTIONS]
    mine, theirs = asked.get(a.id, []) if a.id != "draft" else [], asked.get(b.id, [])
    if not mine and not theirs:
        return []
    vocab = land.vocabulary
    if mine and theirs:
        return [
            Reason(
                "shared_question",
                f"samme spørgsmål: »{q.title}« ({a.id}) og »{o.title}« ({b.id})",
                f"the same question: \u201c{q.title}\u201d ({a.id}) and \u201c{o.title}\u201d ({b.id})",
            )
            for q, o in shared_questions(vocab, mine, theirs)
            if o is not None
        ]
    holder, questions, other = (a, mine, b) if mine else (b, theirs, a)
    return [
        Reason(
            "question_on_intervention",
            f"anbefaling om samme indsats i {holder.id}: »{q.title}«",
            f"a recommendation on the same intervention in {holder.id}: \u201c{q.title}\u201d",
        )
        for q, _ in shared_questions(vocab, questions, [], other.interventions)
    ]


def _title_reason(land: Landscape, a: Document, b: Document, shared: list[str]) -> Reason:
    """What the two titles share, as a coordinator reads it: concepts by their labels, words as the titles write them.

    A title term is a stem ("alkoholafhæng") or a concept the title names (``@icd10/F10.2``); neither is
    shown as such. Concepts get their label in the page's language; stems give back the title words they
    came from, quoted in the English text (they are Danish words).
    """
    labels: dict[str, list[str]] = {"da": [], "en": []}
    stems = set()
    for term in shared[:8]:
        if not term.startswith("@"):
            stems.add(term)
            continue
        scheme, _, notation = term[1:].partition("/")
        for lang, found in labels.items():
            if scheme == "icd10":
                concept = land.vocabulary.icd10.get(notation.upper())
                label = land.area_label(str(concept), lang) if concept is not None else None
            else:
                label = land.concept_label(scheme, notation, lang)
            if label and label.casefold() not in (x.casefold() for x in found):
                found.append(label)
    words: list[str] = []
    for title in (a.title, b.title):
        for match in _TITLE_WORD.finditer(title):
            word = match.group(0).strip("-")
            word = word if word.isupper() else word.lower()  # ADHD stays ADHD; "Behandling" is a word
            matched = land.text.terms(word) & stems
            if not matched:
                continue
            stems -= matched
            if word not in words and word not in (label.casefold() for label in labels["da"]):
                words.append(word)
    # Labels may hold commas ("Skizofreni, skizotypisk sindslidelse ..."): items are set apart by semicolons.
    da = "; ".join([*labels["da"], *words])
    en = "; ".join([*labels["en"], *(f"\u201c{w}\u201d" for w in words)])
    return Reason("title_terms", f"fælles i titlerne: {da}", f"shared in the titles: {en}")


_TITLE_WORD = re.compile(r"[\w-]+")


# All pairs ---------------------------------------------------------------------------


def _candidates(land: Landscape, doc: Document) -> set[str]:
    """Return the ids of the documents *doc* is compared with (:func:`scoring.candidate_keys`)."""
    indexes = {
        "area": land.by_area,
        "term": land.by_term,
        "title_block": land.by_title_block,
        "exact": land.by_area_exact,
    }
    found: set[str] = set()
    for index, key in scoring.candidate_keys(land, doc):
        if index == "link":
            found.add(key)
        else:
            found |= indexes[index].get(key, set())
    found.discard(doc.id)
    return found


class PairComparison(Comparison):
    """A pair of :class:`PairTable`: relation and score from the table, reasons from ``compare`` when first read."""

    def __init__(self, land: Landscape, a: str, b: str, relation: str, score: float) -> None:
        self.a, self.b, self.relation, self.score, self.rank = a, b, relation, score, None
        self._land, self._reasons = land, None

    @property  # type: ignore[override]
    def reasons(self) -> list[Reason]:
        """The reasons ``compare`` gives for the pair (built on first use: a page explains only what it shows)."""
        if self._reasons is None:
            docs = self._land.documents
            first, second = sorted((self.a, self.b))
            self._reasons = compare(self._land, docs[first], docs[second]).reasons
        return self._reasons

    @reasons.setter
    def reasons(self, value: list[Reason]) -> None:
        self._reasons = value


@dataclass
class PairTable:
    """Every related pair of one landscape as arrays, best first (by score, then the two ids).

    About 7 bytes a pair (11 beyond 65,536 slots): the two documents' scope-index slots (``a`` as ``compare`` puts it
    first), the score in thousandths and the relation (1 + its place in :data:`RELATIONS`).
    """

    land: Landscape
    ids: list[str]
    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    relation: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def select(self, relations: Iterable[str] = RELATIONS, min_score: float = 0.0) -> np.ndarray:
        """Return the places of the pairs with one of *relations* and at least *min_score*, best first."""
        codes = [RELATIONS.index(r) + 1 for r in set(relations) if r in RELATIONS]
        keep = np.isin(self.relation, codes) & (self.score / 1000 >= min_score)
        return np.flatnonzero(keep)

    def comparison(self, place: int) -> PairComparison:
        """Return the pair at *place* (its reasons are built when read)."""
        return PairComparison(
            self.land,
            self.ids[self.a[place]],
            self.ids[self.b[place]],
            RELATIONS[self.relation[place] - 1],
            int(self.score[place]) / 1000,
        )


class PairList(Sequence[Comparison]):
    """Some pairs of a :class:`PairTable`, best first, made into comparisons only as they are read."""

    def __init__(self, table: PairTable, places: np.ndarray) -> None:
        self.table, self.places = table, places

    def __len__(self) -> int:
        return len(self.places)

    @overload
    def __getitem__(self, item: int) -> Comparison: ...
    @overload
    def __getitem__(self, item: slice) -> list[Comparison]: ...
    def __getitem__(self, item: int | slice) -> Comparison | list[Comparison]:
        if isinstance(item, slice):
            return [self.table.comparison(int(p)) for p in self.places[item]]
        return self.table.comparison(int(self.places[item]))

    def __iter__(self) -> Iterator[Comparison]:
        for n, place in enumerate(self.places.tolist()):
            if n % 4096 == 0:
                budget.check()
            yield self.table.comparison(place)


# A block of rows is scored against every later document at once: about this many cells a block.
BLOCK_CELLS = 1 << 21


def _all_pairs(snap: Snapshot) -> PairTable:
    """Every related pair, built once for every request asking meanwhile (graph.budget.shared).

    A block of documents at a time is compared with every later one by
    :class:`~graph.analysis.pair_scores.PairScorer` (``compare``'s arithmetic on arrays). The
    build has a deadline of its own, not the starting request's: cut at that one, the next
    waiter would start again with its own deadline spent waiting. A starting client that leaves,
    the shared deadline or the size bound stops the build between blocks; the view is then not
    stored (past the size bound the snapshot remembers it, and refuses the same bound at once).
    """
    with budget.shared():
        return _pair_blocks(snap)


def _pair_blocks(snap: Snapshot) -> PairTable:
    pairing = snap[PAIRING]
    index = pairing.index
    size = index.size
    step = max(1, BLOCK_CELLS // max(size, 1))
    found: list[np.ndarray] = []
    held = 0
    for lo in range(0, size, step):
        budget.check()
        found.append(pairing.related(np.arange(lo, min(size, lo + step)), np.arange(lo, size)))
        held += len(found[-1])
        budget.allow(held)
        budget.progress(min(size, lo + step) - 1, size)  # the last document done, of all
    budget.check()
    return pairing.table(found, _ordered(index, pairing.linked))


def pairs_of(land: Landscape, slots: np.ndarray, others: np.ndarray | None = None) -> PairTable:
    """Return the related pairs of the documents in *slots* (with those in *others*, if given), without the rest.

    The same pairs, relations and scores as :data:`PAIRS` has for them, at the cost of their
    rows only: an owner's few hundred documents instead of every document.
    """
    pairing = land.snapshot[PAIRING]
    index = pairing.index
    columns = np.arange(index.size) if others is None else np.unique(others)
    rows = np.unique(slots)
    found = []
    held = 0
    step = max(1, BLOCK_CELLS // max(len(columns), 1))
    for lo in range(0, len(rows), step):
        budget.check()
        found.append(pairing.related(rows[lo : lo + step], columns))
        held += len(found[-1])
        budget.allow(held)
    mine = set(rows.tolist())
    theirs = set(columns.tolist())
    linked = {(x, y) for x, y in pairing.linked if (x in mine and y in theirs) or (y in mine and x in theirs)}
    return pairing.table(found, _ordered(index, linked))


class _Pairing:
    """The arrays and look-ups one build of pairs needs: the scorer, each document's links, slot order by id."""

    def __init__(self, land: Landscape, index: ScopeIndex) -> None:
        self.land, self.index = land, index
        self.scorer = PairScorer(index, RELATIONS)
        self.linked = _linked_slots(land, index)
        self.linkers: dict[int, list[int]] = defaultdict(list)
        for first, second in self.linked:
            self.linkers[first].append(second)
            self.linkers[second].append(first)
        self.slot_type = np.uint16 if index.size <= 1 << 16 else np.int32  # 7 bytes a pair instead of 11
        self.by_rank = np.array(sorted(range(index.size), key=index.ids.__getitem__), dtype=np.int64)
        self.rank = np.empty(index.size, dtype=np.int64)
        self.rank[self.by_rank] = np.arange(index.size)
        self.bits = max(1, index.size.bit_length())

    def related(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Return the related candidate pairs of *rows* x *columns* (as :meth:`_keys`).

        A pair is kept once: where both of its documents are rows and columns, from the row with
        the lower slot. Linked pairs are left to :meth:`table`.
        """
        land, index, alive = self.land, self.index, self.scorer.alive
        place = np.full(index.size, -1, dtype=np.int64)
        place[columns] = np.arange(len(columns))
        is_row = np.zeros(index.size, dtype=bool)
        is_row[rows] = True
        wanted = np.zeros((len(rows), len(columns)), dtype=bool)
        for row, slot in enumerate(rows.tolist()):
            if not alive[slot]:
                continue
            doc = land.documents[index.ids[slot]]
            if CHAPTER in doc.disease_areas:
                wanted[row] = True  # every document counts a whole-psychiatry document as a candidate
            else:
                wanted[row] = candidate_mask(index, doc)[columns]
            linked = place[self.linkers.get(slot, [])]
            wanted[row, linked[linked >= 0]] = False  # compared one by one in table()
            # Not with itself, and a pair of two rows once, from the lower slot.
            wanted[row] &= (columns > slot) | ~is_row[columns]
        wanted &= alive[columns][None, :]
        block = self.scorer.block(rows, columns)
        at_row, at_column = np.nonzero(wanted & (block.relation != 0))
        return self._keys(
            rows[at_row],
            columns[at_column],
            block.relation[at_row, at_column],
            thousandths(block.value[at_row, at_column]),
        )

    def _keys(self, a: np.ndarray, b: np.ndarray, relation: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Return one integer per pair that sorts best first (score, then the ids) and holds the whole pair.

        Oriented as compare: the first by id, or for supersedes and may_replace the valid (newer) one.
        """
        rank, bits = self.rank, self.bits
        oriented = np.isin(relation, [RELATIONS.index(r) + 1 for r in ORIENTED])
        swap = np.where(oriented, ~self.scorer.valid[a], rank[a] > rank[b])
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        key = (1000 - score.astype(np.int64)) << (2 * bits + 3)
        return key | (rank[a] << (bits + 3)) | (rank[b] << 3) | relation.astype(np.int64)

    def table(self, found: list[np.ndarray], linked: list[tuple[int, int]]) -> PairTable:
        """Return the pairs *found* (as :meth:`_keys`) and the *linked* pairs (compared one by one) as a table."""
        land, index, bits = self.land, self.index, self.bits
        docs = land.documents
        extra = [compare(land, docs[index.ids[x]], docs[index.ids[y]], explain=False) for x, y in linked]
        extra = [c for c in extra if c.relation is not None]
        if extra:
            # compare has oriented these already: keep its order by passing them as unswappable.
            slots = np.array([[index.slot[c.a], index.slot[c.b]] for c in extra], dtype=np.int64)
            codes = np.array([RELATIONS.index(c.relation or "") + 1 for c in extra], dtype=np.int64)
            scores = np.array([round(c.score * 1000) for c in extra], dtype=np.int64)
            key = (1000 - scores) << (2 * bits + 3)
            found = [*found, key | (self.rank[slots[:, 0]] << (bits + 3)) | (self.rank[slots[:, 1]] << 3) | codes]
        keys = np.concatenate([np.zeros(0, dtype=np.int64), *found])
        del found
        keys.sort()
        mask = (1 << bits) - 1
        by_rank = self.by_rank.astype(self.slot_type)
        return PairTable(
            land,
            list(index.ids),
            by_rank[(keys >> (bits + 3)) & mask],
            by_rank[(keys >> 3) & mask],
            (1000 - (keys >> (2 * bits + 3))).astype(np.uint16),
            (keys & 7).astype(np.uint8),
        )


#: What every build of pairs reads (the scorer's arrays grow with the landscape): made once a snapshot.
PAIRING: View[_Pairing] = View("pairing", build=lambda snap: _Pairing(snap[LANDSCAPE], snap[SCOPE_INDEX]))


def _linked_slots(land: Landscape, index: ScopeIndex) -> set[tuple[int, int]]:
    """Return the pairs of live slots (lower first) whose documents have an explicit link between them."""
    found = set()
    for doc in land.documents.values():
        for _, target in doc.links:
            if target in land.documents and target != doc.id and doc.id in index.slot and target in index.slot:
                x, y = index.slot[doc.id], index.slot[target]
                found.add((min(x, y), max(x, y)))
    return found


def _ordered(index: ScopeIndex, linked: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The linked pairs as compare takes them: the first by id first."""
    return [(x, y) if index.ids[x] < index.ids[y] else (y, x) for x, y in sorted(linked)]


#: Every related pair of documents, best first.
PAIRS: View[PairTable] = View("pairs", build=_all_pairs)


def pairs(land: Landscape, relations: Iterable[str] = RELATIONS, min_score: float = 0.0) -> PairList:
    """Return every related pair of documents in the landscape, best first (built once per snapshot)."""
    table = land.snapshot[PAIRS]
    return PairList(table, table.select(relations, min_score))


def related(land: Landscape, doc_id: str) -> list[Comparison]:
    """Return the pairs of :func:`pairs` that involve *doc_id*, best first, without pairing everything.

    A pair is in :func:`pairs` when either document has the other among its candidates; the
    document's own candidates, the documents linking to it and (for a whole-psychiatry
    document, which every document counts as a candidate) all documents give the same set.
    """
    built = land.snapshot.peek(PAIRS)
    if built is not MISSING and doc_id in built.ids:
        slot = built.ids.index(doc_id)
        return PairList(built, np.flatnonzero((built.a == slot) | (built.b == slot)))[:]
    doc = land.documents[doc_id]
    others = _candidates(land, doc) | {d.id for d in land.documents.values() if any(t == doc_id for _, t in d.links)}
    if CHAPTER in doc.disease_areas:
        others |= set(land.documents)
    others.discard(doc_id)
    found = []
    for n, other_id in enumerate(others):
        if n % 256 == 0:
            budget.check()  # a whole-psychiatry document is compared with every other one
        if other_id not in land.documents:
            continue
        key = (min(doc_id, other_id), max(doc_id, other_id))
        result = compare(land, land.documents[key[0]], land.documents[key[1]])
        if result.relation is not None:
            found.append(result)
    found.sort(key=lambda c: (-c.score, c.a, c.b))
    return found


# Up to this many joined pairs, clusters come from networkx, whose edge order the recorded answers'
# relation counts follow; beyond it, from arrays (the same clusters and counts, relations in RELATIONS order).
NETWORKX_EDGES = 200_000


def clusters(land: Landscape, min_score: float = 0.0) -> list[dict[str, object]]:
    """Group documents joined by duplicate, overlap, supersedes or may_replace into clusters (connected components)."""
    joined = pairs(land, ("duplicate", "overlap", "supersedes", "may_replace"), min_score)
    if len(joined) > NETWORKX_EDGES:
        return _array_clusters(land, joined)
    graph = nx.Graph()
    for n, c in enumerate(joined):
        if n % 4096 == 0:
            budget.check()
        graph.add_edge(c.a, c.b, relation=c.relation, score=c.score)
    found = []
    for component in sorted(nx.connected_components(graph), key=lambda s: (-len(s), min(s))):
        docs = sorted(component)
        sub = graph.subgraph(component)
        found.append(_cluster(land, docs, dict(Counter(data["relation"] for _, _, data in sub.edges(data=True)))))
    return found


def _cluster(land: Landscape, docs: list[str], relations: dict[str, int]) -> dict[str, object]:
    areas = Counter(land.notation(a) for d in docs for a in land.documents[d].disease_areas)
    return {
        "documents": docs,
        "owners": sorted({o for d in docs for o in land.documents[d].owners}),
        "disease_areas": [code for code, _ in areas.most_common(5)],
        "relations": relations,
    }


def _array_clusters(land: Landscape, joined: PairList) -> list[dict[str, object]]:
    """:func:`clusters` from the pair arrays: union-find by hooking roots and halving paths, in numpy."""
    table = joined.table
    a, b = table.a[joined.places].astype(np.int64), table.b[joined.places].astype(np.int64)
    relation = table.relation[joined.places]
    root = np.arange(len(table.ids), dtype=np.int64)
    left, right = a, b
    while len(left):
        budget.check()
        x, y = root[left], root[right]
        apart = x != y
        left, right, x, y = left[apart], right[apart], x[apart], y[apart]
        np.minimum.at(root, np.maximum(x, y), np.minimum(x, y))
        while True:  # every slot straight to its root (roots only ever point lower: no cycles)
            jumped = root[root]
            if np.array_equal(jumped, root):
                break
            root = jumped
    members: dict[int, list[str]] = defaultdict(list)
    for slot in np.unique(np.concatenate([a, b])).tolist():
        members[int(root[slot])].append(table.ids[slot])
    codes, numbers = np.unique(root[a] * 8 + relation, return_counts=True)
    counts = dict(zip(codes.tolist(), numbers.tolist(), strict=True))
    found = []
    for label, docs in sorted(members.items(), key=lambda kv: (-len(kv[1]), min(kv[1]))):
        budget.check()
        relations = {r: counts[label * 8 + n] for n, r in enumerate(RELATIONS, 1) if label * 8 + n in counts}
        found.append(_cluster(land, sorted(docs), relations))
    return found


def owner_summary(land: Landscape, comparisons: Iterable[Comparison]) -> list[dict[str, object]]:
    """Count relations per pair of owners (e.g. DMPG Depression x Sundhedsstyrelsen)."""
    if isinstance(comparisons, PairList):
        return _array_owner_summary(land, comparisons)
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for c in comparisons:
        for x in land.documents[c.a].owners:
            for y in land.documents[c.b].owners:
                if x != y:
                    counts[(min(x, y), max(x, y))][c.relation or "unrelated"] += 1
    return [
        {"owner": x, "other_owner": y, "relations": dict(counter), "total": sum(counter.values())}
        for (x, y), counter in sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]


def _array_owner_summary(land: Landscape, found: PairList) -> list[dict[str, object]]:
    """:func:`owner_summary` of pairs in a table: each pair once per (owner of a, owner of b), counted with numpy.

    A pair's relations are listed in the order they first occur, best pair first, as the loop does.
    """
    table = found.table
    names = sorted({o for d in land.documents.values() for o in d.owners})
    number = {name: n for n, name in enumerate(names)}
    lists = [[number[o] for o in land.documents[i].owners] if i in land.documents else [] for i in table.ids]
    start = np.cumsum([0] + [len(o) for o in lists])
    flat = np.array([o for owners in lists for o in owners], dtype=np.int64)
    a, b = table.a[found.places].astype(np.int64), table.b[found.places].astype(np.int64)
    relation = table.relation[found.places].astype(np.int64)
    budget.check()
    pair, x = _explode(np.arange(len(a)), start, flat, a)  # each pair once per owner of a, in order
    pair, y, x = _explode(pair, start, flat, b[pair], x)  # then per owner of b
    apart = x != y
    pair, x, y = pair[apart], x[apart], y[apart]
    budget.check()
    key = (np.minimum(x, y) * len(names) + np.maximum(x, y)) * 8 + relation[pair]
    codes, first, counts = np.unique(key, return_index=True, return_counts=True)
    rows: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for code, at, count in zip(codes.tolist(), first.tolist(), counts.tolist(), strict=True):
        rows[code // 8].append((at, RELATIONS[code % 8 - 1], count))
    summary = []
    for owners, found_rows in rows.items():
        found_rows.sort()
        x_name, y_name = names[owners // len(names)], names[owners % len(names)]
        relations = {relation_name: count for _, relation_name, count in found_rows}
        summary.append(
            {"owner": x_name, "other_owner": y_name, "relations": relations, "total": sum(relations.values())}
        )
    summary.sort(key=lambda row: (-int(row["total"]), row["owner"], row["other_owner"]))  # type: ignore[call-overload]
    return summary


def _explode(
    rows: np.ndarray, start: np.ndarray, flat: np.ndarray, slots: np.ndarray, *carried: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Repeat each of *rows* (and *carried* values) once per owner of its slot; return them with those owners."""
    lengths = start[slots + 1] - start[slots]
    total = int(lengths.sum())
    offsets = np.repeat(start[slots] - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
    return (np.repeat(rows, lengths), flat[offsets], *(np.repeat(c, lengths) for c in carried))


# Drafts -------------------------------------------------------------------------------


def draft_document(land: Landscape, draft: Draft) -> DraftDocument:
    """Turn a draft into a document, resolving its codes and values.

    Raises:
        DraftError: naming the first unknown code, kind, owner, population or topic.
    """
    vocab = land.vocabulary
    areas: list[str] = []
    for code in draft.disease_areas:
        found = vocab.disease_areas(code)
        if not found:
            raise DraftError("disease_areas", code, f"unknown ICD-10 chapter V code or range: {code!r}")
        areas.extend(str(c) for c in found)
    kind = None
    if draft.kind:
        cls = vocab.kind(draft.kind)
        if cls is None:
            raise DraftError("kind", draft.kind, f"unknown kind: {draft.kind!r}")
        kind = str(cls).split("#")[-1]
    owner = None
    if draft.owner:
        owner = land.owner_id(draft.owner)
        if owner is None:
            raise DraftError("owner", draft.owner, land.unknown_owner(draft.owner))
    inferred: list[str] = []
    if not areas:
        areas = land.named_in(draft.title, "icd10")
        inferred += [land.notation(a) for a in areas]
    values: dict[str, list[str]] = {}
    for name, scheme in (
        ("populations", vocab.populations),
        ("topics", vocab.topics),
        ("interventions", vocab.interventions),
        ("settings", vocab.settings),
    ):
        values[name] = []
        for value in getattr(draft, name):
            concept = scheme.resolve(value)
            if concept is None:
                raise DraftError(name, value, scheme.unknown(value))
            values[name].append(str(concept).rsplit("/", 1)[-1])
    if not values["topics"]:
        values["topics"] = [t.rsplit("/", 1)[-1] for t in land.named_in(draft.title, "topic")]
        inferred += values["topics"]
    if not values["interventions"]:
        # "Elektrochok ved depression" names ECT by one of its alternative labels.
        values["interventions"] = [t.rsplit("/", 1)[-1] for t in land.named_in(draft.title, "intervention")]
        inferred += values["interventions"]
    if not values["settings"]:
        values["settings"] = [t.rsplit("/", 1)[-1] for t in land.named_in(draft.title, "setting")]
        inferred += values["settings"]
    doc = DraftDocument(
        id="draft",
        iri="",
        title=draft.title,
        kind=kind or "DMPGGuideline",
        owners=[owner] if owner else [],
        disease_areas=sorted(set(areas)),
        populations=values["populations"],
        topics=values["topics"],
        interventions=values["interventions"],
        settings=values["settings"],
        status="published",  # judged as if it were out: would it duplicate something?
        valid=True,
        notes=("inferred from the title: " + ", ".join(inferred)) if inferred else None,
    )
    doc.terms = land.terms_of(doc)
    doc.named_areas = land.named_in(land.scope_text(doc), "icd10")
    return doc


def check_draft(land: Landscape, draft: Draft, limit: int = 10) -> list[Comparison]:
    """Rank the documents that a draft would duplicate, overlap or complement, by score (highest first).

    Candidates scoring below :data:`~graph.analysis.scoring.RELEVANCE_FLOOR` are left out: a draft far
    from everything gets no candidates rather than weak ones. The owner and work under way are named in
    the reasons but do not move the order: the order is the score.

    Every candidate gets ``compare``'s score from the scope index at once; the full comparison
    (which decides the relation) runs only on candidates whose bound can still reach the top
    *limit*, best bound first, so the answer equals comparing every candidate.

    Raises:
        DraftError: if the draft names an unknown code or value.
    """
    doc = draft_document(land, draft)
    index = scope_index(land)
    mask = candidate_mask(index, doc)
    if not mask.any():
        mask = index.alive.copy()  # a bare title with rare words: compare with everything
    bound = index.scores(doc, doc.terms, doc.named_areas) + SLACK
    ranked: list[tuple[float, str]] = []
    for slot in _best_first(np.flatnonzero(mask), bound, 4 * limit):
        if bound[slot] < scoring.RELEVANCE_FLOOR or (len(ranked) >= limit and bound[slot] < ranked[limit - 1][0]):
            break  # in bound order: no later candidate can reach the top, or the floor
        other = land.documents[index.ids[slot]]
        quick = compare(land, doc, other, explain=False)
        if quick.relation is not None and quick.score >= scoring.RELEVANCE_FLOOR:
            insort(ranked, (quick.score, other.id), key=lambda r: (-r[0], r[1]))
    return [_explained(land, doc, land.documents[other_id], score) for score, other_id in ranked[:limit]]


def _best_first(slots: np.ndarray, bound: np.ndarray, first: int) -> Iterator[int]:
    """Yield *slots* in falling order of *bound*, sorting only as far as the caller reads.

    The best *first* are picked out without sorting the rest, then four times as many, and so on:
    a draft check usually stops within the first few dozen of some 15,000 candidates.
    """
    remaining = slots
    while len(remaining):
        if len(remaining) > first:
            picked = np.argpartition(-bound[remaining], first)[:first]
            taken = remaining[picked]
            rest = np.ones(len(remaining), dtype=bool)
            rest[picked] = False
            remaining = remaining[rest]
        else:
            taken, remaining = remaining, remaining[:0]
        yield from taken[np.argsort(-bound[taken], kind="stable")].tolist()
        first *= 4


def candidate_mask(index: ScopeIndex, doc: Document) -> np.ndarray:
    """Return, per slot, whether *doc* is compared with that document (as :func:`_candidates`)."""
    indexes = {
        "area": index.area_below,
        "term": index.term_postings,
        "title_block": index.title_block,
        "exact": index.area_exact,
    }
    mask = np.zeros(index.size, dtype=bool)
    for name, key in scoring.candidate_keys(index.land, doc):
        mask[index.slots([key]) if name == "link" else index.postings(indexes[name], key)] = True
    if doc.id in index.slot:
        mask[index.slot[doc.id]] = False
    return mask


def _explained(land: Landscape, draft: Document, other: Document, score: float) -> Comparison:
    comparison = replace(compare(land, draft, other), a="draft", b=other.id)  # the draft stays on the left
    if set(draft.owners) & set(other.owners) and comparison.relation != "complementary":
        comparison.reasons.append(Reason("same_owner", "samme ejer som udkastet", "same owner as the draft"))
    if other.status in NOT_YET_VALID:
        comparison.reasons.append(
            Reason(
                "in_progress",
                f"dokumentet er {land.concept_label('status', other.status)}",
                f"the document is {land.concept_label('status', other.status, 'en')}",
            )
        )
    comparison.rank = round(score, 3)
    return comparison


def today() -> dt.date:
    """Return today's date (a seam for tests of review horizons)."""
    return dt.date.today()
