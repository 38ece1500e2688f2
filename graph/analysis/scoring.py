"""The overlap arithmetic: weights, area, topic, population, intervention and setting scores, and the rules.

One copy: ``overlap.compare`` applies it to one pair, the scope index to every document at once
(its numpy arrays go through the same constants and :func:`score`). Title similarity is
``TermIndex.similarity``, whose blend (:func:`graph.model.textsim.blend`) the index uses too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from graph.model.landscape import Document, Landscape, period_end
from graph.model.vocabulary import NOT_YET_VALID, Vocabulary
from graph.store.namespaces import CHAPTER

__all__ = [
    "AREA_BLOCK",
    "AREA_HIERARCHY",
    "AREA_SHARED",
    "CHAPTER_SCORE",
    "FAMILY",
    "INTERVENTION_BROADER",
    "INTERVENTION_SHARED",
    "INTERVENTION_SUBSTANCE",
    "NAMED_IN_TITLE",
    "RELEVANCE_FLOOR",
    "RULES",
    "SLACK",
    "TOPIC_RELATED",
    "TOPIC_SHARED",
    "UNKNOWN",
    "W_AREA",
    "W_INTERVENTION",
    "W_POPULATION",
    "W_SETTING",
    "W_TITLE",
    "W_TOPIC",
    "Facts",
    "area_match",
    "candidate_keys",
    "classify",
    "classify_many",
    "facts",
    "intervention_match",
    "older_first",
    "opposite_treatments",
    "population_match",
    "score",
    "setting_match",
    "topic_match",
    "topic_part",
]

# Weights of the score: the disease area and the title say most about scope.
W_AREA, W_TOPIC, W_POPULATION, W_TITLE = 0.35, 0.2, 0.1, 0.35
# Disease areas: a shared code, codes in one hierarchy, codes in one ICD-10 block, a whole-chapter document.
AREA_SHARED, AREA_HIERARCHY, AREA_BLOCK = 1.0, 0.8, 0.4
CHAPTER_SCORE = 0.3  # a whole-chapter document shares every area, but only generically
NAMED_IN_TITLE = 0.75  # an area a title names (and the codes do not) counts for less than a shared code
TOPIC_SHARED, TOPIC_RELATED = 1.0, 0.7  # a shared topic; topics under one broader topic
UNKNOWN = 0.5  # a side without topics, or without populations
# What is done and where (ontology/interventions.ttl, settings.ttl). These two parts move the score away from
# the other four only where both documents state them: a side without interventions or settings leaves it as is.
W_INTERVENTION, W_SETTING = 0.25, 0.05
INTERVENTION_SHARED = 1.0  # the same intervention: the same question, if area and population agree
INTERVENTION_BROADER = 0.5  # one names a class the other's intervention lies in (lægemiddelbehandling / antipsykotika)
INTERVENTION_SUBSTANCE = 0.25  # one substance (esketamin) beside its class: a narrower question, not the same one
INTERVENTION_UNSTATED = 0.45  # one side names interventions, the other none: less than a class holding them
SHARED_INTERVENTION_AREA = 0.8  # see score()
#: A draft check lists no candidate scoring below this: a draft far from everything gets "no relevant documents".
RELEVANCE_FLOOR = 0.35
LINK_FLOOR = 0.9  # an explicit replaces/revises link makes a supersedes pair at least this close
LINK_BONUS = 0.1  # any other explicit link adds this
# compare() rounds its score to three decimals, so a bound must allow for rounding up.
SLACK = 0.0005 + 1e-9
# A title term is a candidate key when rarer than this weight and in at most a fifth of all titles.
RARE_TERM_WEIGHT = 1.6
# Kinds that answer clinical questions and kinds that organise care: across the two,
# shared scope is complementary by design (the forløbsbeskrivelse organises what the guideline recommends).
FAMILY = {
    "DMPGGuideline": "clinical",
    "NationalClinicalGuideline": "clinical",
    "NationalClinicalRecommendation": "clinical",
    "RegionalGuideline": "clinical",
    "Guidance": "clinical",
    "Other": "clinical",
    "ChooseWiselyRecommendation": "advice",
    "CourseDescription": "organisational",
    "PackagePathway": "organisational",
}

N = TypeVar("N")  # a float, or a numpy array of them


def score(area: N, topic: Any, population: Any, title: Any, intervention: Any = None, setting: Any = None) -> N:
    """Return the weighted score of the parts (floats, or arrays of one value per document).

    Args:
        area: the disease-area part.
        topic: the topic part.
        population: the population part.
        title: the title similarity.
        intervention: the intervention match; NaN or None where neither side states one (then it counts as the
            rest). Where it is a class holding the other's intervention or better, the area counts at least
            :data:`SHARED_INTERVENTION_AREA`.
        setting: the setting match, likewise.
    """
    if intervention is not None:
        # A document for all of psychiatry on the other's very intervention, or a class holding it (ECT patient
        # safety beside ECT for depression), is about the same question: its area counts as SHARED_INTERVENTION_AREA.
        lifted = np.where((intervention >= INTERVENTION_BROADER) & (area > 0), SHARED_INTERVENTION_AREA, 0.0)
        area = np.maximum(area, lifted) if isinstance(area, np.ndarray) else max(area, float(lifted))  # type: ignore[assignment]
    base = W_AREA * area + W_TOPIC * topic + W_POPULATION * population + W_TITLE * title  # type: ignore[operator]
    return base + W_INTERVENTION * _departure(intervention, base) + W_SETTING * _departure(setting, base)  # type: ignore[no-any-return]


def _departure(value: Any, base: Any) -> Any:
    """How far a known part lies from the rest of the score; exactly 0 where the part is unknown (None or NaN)."""
    if value is None:
        return 0.0
    if isinstance(value, np.ndarray):
        return np.where(value != value, 0.0, value - base)
    return 0.0 if value != value else value - base


def topic_part(related: N, sameness: Any) -> N:
    """Return the topic part of the score: any shared topic, and how alike the two topic sets are."""
    return (related + sameness) / 2  # type: ignore[no-any-return, operator]


def area_match(vocab: Vocabulary, areas_a: list[str], areas_b: list[str]) -> tuple[float, list[tuple[str, str, str]]]:
    """Return the best area match of two code lists and the (kind, x, y) matches that reach it."""
    best, matches = 0.0, []
    for x in areas_a:
        ancestors_x = vocab.ancestor_set(x)
        for y in areas_b:
            if x == y and x != CHAPTER:
                value, kind = AREA_SHARED, "shared_code"
            elif CHAPTER in (x, y):
                value, kind = CHAPTER_SCORE, "chapter"
            elif x in vocab.ancestor_set(y) or y in ancestors_x:
                value, kind = AREA_HIERARCHY, "hierarchy"
            elif vocab.block(x) is not None and vocab.block(x) == vocab.block(y):
                value, kind = AREA_BLOCK, "same_block"
            else:
                continue
            if value > best:
                best, matches = value, [(kind, x, y)]
            elif value == best and len(matches) < 3 and (kind != "chapter" or not matches):
                matches.append((kind, x, y))
    return best, matches


def topic_match(vocab: Vocabulary, a: Document, b: Document) -> tuple[float | None, float | None, set[str], str]:
    """Return (relatedness, sameness, topics, how) of two documents' topics; None where one has none.

    *how* is ``shared`` (the *topics* both have), ``related`` (the broader *topics* both reach)
    or ``different``.
    """
    if not a.topics or not b.topics:
        return None, None, set(), ""
    ta, tb = set(a.topics), set(b.topics)
    sameness = len(ta & tb) / len(ta | tb)
    if ta & tb:
        return TOPIC_SHARED, sameness, ta & tb, "shared"
    broad = vocab.expand_topics(ta) & vocab.expand_topics(tb)
    if broad:
        return TOPIC_RELATED, sameness, broad, "related"
    return 0.0, 0.0, set(), "different"


def population_match(a: Document, b: Document) -> tuple[float | None, set[str]]:
    """Return the population score of two documents (None where one has none) and the populations they share."""
    if not a.populations or not b.populations:
        return None, set()
    pa, pb = set(a.populations), set(b.populations)
    shared = pa & pb or (pa if "all" in pb else set()) or (pb if "all" in pa else set())
    return (1.0 if shared else 0.0), shared


def intervention_match(
    vocab: Vocabulary, a: Sequence[str], b: Sequence[str]
) -> tuple[float | None, list[tuple[str, str, str]]]:
    """Return the best intervention match of two notation lists and the matches reaching it.

    None where neither names an intervention; :data:`INTERVENTION_UNSTATED` where only one does.

    Each match is (kind, x, y): ``shared`` (the same intervention), ``broader`` (one is a class the other
    lies in) or ``substance`` (one substance beside its class). Siblings and other branches do not match.
    """
    if not a and not b:
        return None, []
    if not a or not b:
        # One side is about particular interventions, the other states none: it may or may not be about them.
        return INTERVENTION_UNSTATED, []
    best, matches = 0.0, []
    for x in a:
        above_x = vocab.intervention_ancestors(x)
        for y in b:
            if x == y:
                value, kind = INTERVENTION_SHARED, "shared"
            elif x in vocab.intervention_ancestors(y) or y in above_x:
                narrow = x if y in above_x else y
                substance = narrow in vocab.substances
                value = INTERVENTION_SUBSTANCE if substance else INTERVENTION_BROADER
                kind = "substance" if substance else "broader"
            else:
                continue
            if value > best:
                best, matches = value, [(kind, x, y)]
            elif value == best and len(matches) < 3:
                matches.append((kind, x, y))
    return best, matches


def setting_match(a: Sequence[str], b: Sequence[str]) -> tuple[float | None, set[str]]:
    """Return 1.0 where two documents share a setting, else 0.0 (None where one has none), and the settings shared."""
    if not a or not b:
        return None, set()
    shared = set(a) & set(b)
    return (1.0 if shared else 0.0), shared


#: Treatment topics that exclude each other: a document only on one is not on the other's question.
OPPOSITE_TOPICS = ("pharmacological", "non-pharmacological")


def opposite_treatments(a: Sequence[str], b: Sequence[str]) -> bool:
    """True if one topic list has only one of :data:`OPPOSITE_TOPICS` and the other only the other."""
    first, second = OPPOSITE_TOPICS
    only_first = (first in a) and (second not in a), (first in b) and (second not in b)
    only_second = (second in a) and (first not in a), (second in b) and (first not in b)
    return (only_first[0] and only_second[1]) or (only_second[0] and only_first[1])


def _newer(a: Document, b: Document) -> bool:
    """True unless *a* is known to be older than *b*."""
    if a.issued and b.issued:
        return period_end(a.last_review or a.issued) >= period_end(b.last_review or b.issued)
    return True


class Facts:
    """What the relation rule reads about a pair: floats and booleans, or numpy arrays of them (one per pair).

    Unknown parts (a side without topics or populations) are NaN, so one comparison works on
    both: NaN meets no threshold, and ``x != x`` says that *x* is unknown.
    """

    __slots__ = (
        "a_not_older",
        "area",
        "b_not_older",
        "family_differs",
        "intervention",
        "link_complements",
        "link_supersedes",
        "nka_beside_other",
        "opposite_treatments",
        "population",
        "retired_a",
        "retired_b",
        "same_level",
        "same_owner_same_kind",
        "sameness",
        "setting",
        "settled_a",
        "settled_b",
        "specific_topic_shared",
        "title",
        "topic",
        "valid_a",
        "valid_b",
    )

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


def facts(
    a: Document,
    b: Document,
    area: float,
    topic: float | None,
    sameness: float | None,
    population: float | None,
    title: float,
    links: list[tuple[str, Document, Document]],
    intervention: float | None = None,
    setting: float | None = None,
) -> Facts:
    """Return the facts of one pair the relation rule reads (the scalar side of :class:`Facts`)."""
    nan = float("nan")
    return Facts(
        intervention=nan if intervention is None else intervention,
        setting=nan if setting is None else setting,
        area=area,
        topic=nan if topic is None else topic,
        sameness=nan if sameness is None else sameness,
        population=nan if population is None else population,
        title=title,
        link_supersedes=any(t in ("replaces", "revises") for t, _, _ in links),
        link_complements=any(t in ("implements", "supplements") for t, _, _ in links),
        valid_a=a.valid,
        valid_b=b.valid,
        settled_a=a.status not in NOT_YET_VALID,
        settled_b=b.status not in NOT_YET_VALID,
        retired_a=a.status in RETIRED,
        retired_b=b.status in RETIRED,
        a_not_older=_newer(a, b),
        b_not_older=_newer(b, a),
        family_differs=FAMILY.get(a.kind, "clinical") != FAMILY.get(b.kind, "clinical"),
        same_owner_same_kind=bool(set(a.owners) & set(b.owners)) and a.kind == b.kind,
        nka_beside_other=NKA in (a.kind, b.kind) and a.kind != b.kind,
        specific_topic_shared=bool(set(a.topics) & set(b.topics) - GENERIC_TOPICS),
        opposite_treatments=opposite_treatments(a.topics, b.topics),
        same_level=a.level == b.level,
    )


RETIRED = ("not-valid", "superseded")  # an older document that a valid one of the same scope supersedes
NKA = "NationalClinicalRecommendation"
# Topics too broad to make two documents overlap: every guideline treats or assesses.
GENERIC_TOPICS = frozenset({"treatment", "assessment"})


# The rules below use only comparisons, ``&`` and ``|``, so each reads one pair (floats and
# booleans) or many at once (numpy arrays): the scalar compare and the all-pairs build apply
# the same text. Every comparison is in parentheses: ``&`` binds tighter than ``>=``.


def _same_scope(f: Facts) -> Any:
    # The same disease area, the same population and the same set of topics (or, where topics
    # are unknown, nearly the same title).
    same_topics = (f.sameness >= 0.66) | ((f.sameness != f.sameness) & (f.title >= 0.5))
    return (f.area >= 0.8) & (f.population != 0.0) & same_topics


def _supersedes_by_scope(f: Facts) -> Any:
    # Same scope, one valid and one retired, neither under way, and the valid one not older.
    return (
        _same_scope(f)
        & (f.valid_a != f.valid_b)
        & f.settled_a
        & f.settled_b
        & ((f.valid_a & f.retired_b & f.a_not_older) | (f.valid_b & f.retired_a & f.b_not_older))
    )


def _both_valid_same_scope(f: Facts) -> Any:
    return _same_scope(f) & f.valid_a & f.valid_b


def _same_question(f: Facts) -> Any:
    # The same scope and the same intervention, both in force, in no different setting: the same clinical question.
    # A side that states no intervention cannot be shown to ask the same question.
    return _both_valid_same_scope(f) & (f.intervention >= INTERVENTION_SHARED) & (f.setting != 0.0)


#: One owner's newer document of the same kind continues its series only with nearly the same title.
SERIES_TITLE = 0.6


def _not_apart(f: Facts) -> Any:
    # The interventions are one, or one class holds the other's (not one substance beside its class), or unknown;
    # and not one only pharmacological, the other only non-pharmacological.
    return ((f.intervention >= INTERVENTION_UNSTATED) | (f.intervention != f.intervention)) & ~f.opposite_treatments


#: The coordinators' definitions, most specific first: the first rule that holds names the relation.
#: ``supersedes`` is a fact only where a link says so or one owner's series continues; a newer document on a
#: retired one's question is otherwise only ``may_replace`` (kan erstatte, usikkert).
RULES: tuple[tuple[str, Callable[[Facts], Any]], ...] = (
    ("supersedes", lambda f: f.link_supersedes),
    ("complementary", lambda f: f.link_complements),
    # The same owner's series: one owner's newer document of the same kind on the same question.
    ("supersedes", lambda f: _supersedes_by_scope(f) & f.same_owner_same_kind & (f.title >= SERIES_TITLE)),
    ("may_replace", _supersedes_by_scope),
    # Kinds that answer clinical questions beside kinds that organise care.
    ("complementary", lambda f: f.family_differs & ((f.area >= 0.8) | ((f.area >= 0.4) & (f.title >= 0.3)))),
    # One owner dividing its work into separate questions.
    ("complementary", lambda f: f.same_owner_same_kind & (f.title < 0.3) & (f.area >= 0.4)),
    # The focused NKA beside a broad guideline, by design.
    ("complementary", lambda f: _both_valid_same_scope(f) & f.nka_beside_other & (f.title < 0.7)),
    ("duplicate", _same_question),
    (
        "overlap",
        lambda f: (
            (f.area >= 0.4)
            & (f.population != 0.0)
            & _not_apart(f)
            & (
                ((f.topic >= 0.7) & (f.specific_topic_shared | ~f.family_differs))
                | ((f.topic != f.topic) & (f.title >= 0.3))
            )
        ),
    ),
    # A document for all of psychiatry on the same specific question at the same level (two regions' function
    # descriptions); a national plan beside a region's frames it: complementary, not an overlap
    # (Region Nordjylland x Sundhedsstyrelsen gave 104 "overlaps", most of them such pairs).
    (
        "overlap",
        lambda f: (f.area >= 0.3) & (f.topic == 1.0) & f.specific_topic_shared & _not_apart(f) & f.same_level,
    ),
    ("complementary", lambda f: (f.area >= 0.3) & (f.topic == 1.0) & f.specific_topic_shared & _not_apart(f)),
    # The same intervention, or a class holding it, in any related area (a whole-psychiatry vejledning on
    # dependence-forming medicines beside a benzodiazepine taper).
    (
        "overlap",
        lambda f: (f.area > 0) & (f.intervention >= INTERVENTION_SHARED) & (f.population != 0.0) & (f.topic != 0.0),
    ),
    # The same area, but different interventions or a different population: separate questions.
    ("complementary", lambda f: f.area >= 0.8),
    ("overlap", lambda f: (f.area > 0) & (f.title >= 0.5) & _not_apart(f)),
    ("overlap", lambda f: (f.area == 0) & (f.title >= 0.75) & _not_apart(f)),
)


def classify(f: Facts) -> str | None:
    """Apply the coordinators' definitions (:data:`RULES`) to one pair, most specific first."""
    for relation, rule in RULES:
        if rule(f):
            return relation
    return None


def classify_many(f: Facts, relations: Sequence[str]) -> np.ndarray:
    """Apply :data:`RULES` to arrays of pairs; return per pair 1 + the relation's place in *relations*, or 0."""
    conditions = [np.asarray(rule(f), dtype=bool) for _, rule in RULES]
    codes = [relations.index(relation) + 1 for relation, _ in RULES]
    return np.select(conditions, codes, default=0).astype(np.uint8)


def linked_score(value: float, relation: str | None) -> float:
    """Return the score of a pair with an explicit link between them."""
    return max(value, LINK_FLOOR if relation == "supersedes" else min(1.0, value + LINK_BONUS))


def older_first(a: Document, b: Document, links: list[tuple[str, Document, Document]]) -> bool:
    """True if *a* is the document that was superseded, so the pair must be turned round."""
    for link_type, source, _ in links:
        if link_type in ("replaces", "revises"):
            return source is b
    return not a.valid and b.valid


# The candidate rule ------------------------------------------------------------------


def candidate_keys(land: Landscape, doc: Document) -> Iterator[tuple[str, str]]:
    """Yield the look-ups whose documents *doc* is compared with, as (index, key): the one candidate rule.

    The indexes: ``area`` (documents with a code in the block, or narrower), ``term`` (documents
    whose title has the rare term), ``title_block`` (documents whose title names an area in the
    block), ``link`` (the linked document itself) and ``exact`` (documents stating the code).
    """
    vocab = land.vocabulary
    # compare() also relates documents through areas their titles name, so look those up too.
    for concept in [*doc.disease_areas, *land.title_areas(doc)]:
        block = vocab.block(concept)
        if block is not None:
            yield "area", block
    weight, common = land.text.weight, max(5, len(land.documents) // 5)
    for term in land.terms(doc):
        # A term in more than a fifth of all titles ("behandling") finds everything: skip it.
        if weight(term) > RARE_TERM_WEIGHT and len(land.by_term.get(term, ())) <= common:
            yield "term", term
    for concept in doc.disease_areas:
        block = vocab.block(concept)
        if block is not None:
            yield "title_block", block
    for _, target in doc.links:
        yield "link", target
    yield "exact", CHAPTER  # whole-psychiatry documents apply to every area
