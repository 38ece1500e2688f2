"""The overlap arithmetic: weights, area, topic and population scores, the relation rule and the candidate rule.

One copy: ``overlap.compare`` applies it to one pair, the scope index to every document at once
(its numpy arrays go through the same constants and :func:`score`). Title similarity is
``TermIndex.similarity``, whose blend (:func:`graph.model.textsim.blend`) the index uses too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from graph.model.landscape import Document, Landscape, period_end
from graph.model.vocabulary import NOT_YET_VALID, Vocabulary
from graph.store.namespaces import CHAPTER

__all__ = [
    "AREA_BLOCK",
    "AREA_HIERARCHY",
    "AREA_SHARED",
    "CHAPTER_SCORE",
    "FAMILY",
    "IN_PROGRESS_BONUS",
    "NAMED_IN_TITLE",
    "OWNER_BONUS",
    "SLACK",
    "TOPIC_RELATED",
    "TOPIC_SHARED",
    "UNKNOWN",
    "W_AREA",
    "W_POPULATION",
    "W_TITLE",
    "W_TOPIC",
    "area_match",
    "bonus",
    "candidate_keys",
    "classify",
    "older_first",
    "population_match",
    "score",
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
LINK_FLOOR = 0.9  # an explicit replaces/revises link makes a supersedes pair at least this close
LINK_BONUS = 0.1  # any other explicit link adds this
# A draft check ranks the draft's own owner's work, and work under way, above the score alone.
OWNER_BONUS, IN_PROGRESS_BONUS = 0.1, 0.05
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


def score(area: N, topic: Any, population: Any, title: Any) -> N:
    """Return the weighted score of the four parts (floats, or arrays of one value per document)."""
    return W_AREA * area + W_TOPIC * topic + W_POPULATION * population + W_TITLE * title  # type: ignore[no-any-return, operator]


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


def _newer(a: Document, b: Document) -> bool:
    """True unless *a* is known to be older than *b*."""
    if a.issued and b.issued:
        return period_end(a.last_review or a.issued) >= period_end(b.last_review or b.issued)
    return True


def classify(
    a: Document,
    b: Document,
    area: float,
    topic: float | None,
    sameness: float | None,
    population: float | None,
    title: float,
    links: list[tuple[str, Document, Document]],
) -> str | None:
    """Apply the coordinators' definitions, most specific first."""
    if any(t in ("replaces", "revises") for t, _, _ in links):
        return "supersedes"
    if any(t in ("implements", "supplements") for t, _, _ in links):
        return "complementary"
    population_ok = population != 0.0
    # Same scope: the same disease area, the same population and the same set of topics
    # (or, where topics are unknown, nearly the same title).
    same_topics = sameness >= 0.66 if sameness is not None else title >= 0.5
    same_scope = area >= 0.8 and population_ok and same_topics
    if same_scope and a.valid != b.valid and a.status not in NOT_YET_VALID and b.status not in NOT_YET_VALID:
        newer, older = (a, b) if a.valid else (b, a)
        if older.status in ("not-valid", "superseded") and _newer(newer, older):
            return "supersedes"
    family_a, family_b = FAMILY.get(a.kind, "clinical"), FAMILY.get(b.kind, "clinical")
    if family_a != family_b and (area >= 0.8 or (area >= 0.4 and title >= 0.3)):
        return "complementary"
    if set(a.owners) & set(b.owners) and a.kind == b.kind and title < 0.3 and area >= 0.4:
        return "complementary"  # one owner dividing its work into separate questions
    if same_scope and a.valid and b.valid:
        if "NationalClinicalRecommendation" in (a.kind, b.kind) and a.kind != b.kind and title < 0.7:
            return "complementary"  # the focused NKA beside a broad guideline, by design
        return "duplicate"
    if area >= 0.4 and population_ok and ((topic or 0.0) >= 0.7 or (topic is None and title >= 0.3)):
        return "overlap"
    if area >= 0.3 and topic == 1.0 and set(a.topics) & set(b.topics) - {"treatment", "assessment"}:
        return "overlap"  # a document for all of psychiatry on the same specific question
    if area >= 0.8:
        return "complementary"
    if area > 0 and title >= 0.5:
        return "overlap"
    if area == 0 and title >= 0.75:
        return "overlap"
    return None


def linked_score(value: float, relation: str | None) -> float:
    """Return the score of a pair with an explicit link between them."""
    return max(value, LINK_FLOOR if relation == "supersedes" else min(1.0, value + LINK_BONUS))


def older_first(a: Document, b: Document, links: list[tuple[str, Document, Document]]) -> bool:
    """True if *a* is the document that was superseded, so the pair must be turned round."""
    for link_type, source, _ in links:
        if link_type in ("replaces", "revises"):
            return source is b
    return not a.valid and b.valid


def bonus(draft: Document, other: Document, relation: str | None) -> float:
    """Rank above score: the draft's own owner's work, and work already under way."""
    value = OWNER_BONUS if set(draft.owners) & set(other.owners) and relation != "complementary" else 0.0
    return value + (IN_PROGRESS_BONUS if other.status in NOT_YET_VALID else 0.0)


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
