"""The overlap engine: compare documents on scope, classify pairs, cluster them, check drafts.

Pairs are found through indexes (disease-area block, rare title terms, explicit links),
never through a self-join over all documents, and each comparison explains itself with
reasons a coordinator can check.
"""

from __future__ import annotations

import datetime as dt
from bisect import insort
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import networkx as nx
import numpy as np
from rdflib import URIRef

from graph import budget
from graph.analysis.scope_index import (
    CHAPTER,
    CHAPTER_SCORE,
    SLACK,
    TOPIC_PARENT,
    W_AREA,
    W_POPULATION,
    W_TITLE,
    W_TOPIC,
    ScopeIndex,
    scope_index,
)
from graph.model.landscape import Document, Landscape, period_end
from graph.model.names import Names
from graph.model.vocabulary import Vocabulary

__all__ = [
    "DRAFT_FIELDS",
    "RELATIONS",
    "Comparison",
    "Draft",
    "DraftError",
    "Reason",
    "check_draft",
    "clusters",
    "compare",
    "draft_from_mapping",
    "owner_summary",
    "pairs",
    "related",
    "unknown_draft_fields",
]

RELATIONS = ("duplicate", "overlap", "complementary", "supersedes")
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
    rank: float | None = None  # for a draft check: the score plus the bonuses its reasons name


@dataclass
class Draft:
    """A planned document that is not in the graph yet."""

    title: str
    kind: str | None = None
    owner: str | None = None
    disease_areas: list[str] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


DRAFT_FIELDS = ("title", "kind", "owner", "disease_areas", "populations", "topics")


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
    for name in ("disease_areas", "populations", "topics"):
        values = data.get(name)
        if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
            raise DraftError(name, str(values), f"{name} is a list of text values, not {values!r}")
    return Draft(**{k: v for k, v in data.items() if v is not None})


# Scope comparison -------------------------------------------------------------------


def _block(vocab: Vocabulary, concept: str) -> str | None:
    key = ("block", concept)
    if key not in _HIERARCHY:
        chain = [concept, *_ancestor_set(vocab, concept, ordered=True)]
        _HIERARCHY[key] = next((node for node, parent in pairwise(chain) if parent == CHAPTER), None)
    block: str | None = _HIERARCHY[key]
    return block


def _ancestor_set(vocab: Vocabulary, concept: str, ordered: bool = False):  # type: ignore[no-untyped-def]
    """The broader concepts of *concept* as strings, cached (the ICD-10 scheme never changes at run time)."""
    key = ("ancestors", concept)
    if key not in _HIERARCHY:
        _HIERARCHY[key] = tuple(str(c) for c in vocab.ancestors(URIRef(concept)))
    return _HIERARCHY[key] if ordered else frozenset(_HIERARCHY[key])


_HIERARCHY: dict[tuple[str, str], Any] = {}


def _area(land: Landscape, a: Document, b: Document, explain: bool = True) -> tuple[float, list[Reason]]:
    best, matches = _area_of(land, a.disease_areas, b.disease_areas)
    in_title = False
    if best < 0.8:
        # A title may name an area its codes do not ("beroligende lægemidler" in an anxiety NKA):
        # such a match counts, but for less than a shared code.
        named_a = [c for c in land.title_areas(a) if c not in a.disease_areas]
        named_b = [c for c in land.title_areas(b) if c not in b.disease_areas]
        for left, right in ((named_a, b.disease_areas), (a.disease_areas, named_b)):
            score, found = _area_of(land, left, right)
            if score * 0.75 > best:
                best, matches, in_title = score * 0.75, found, True
    return best, [_area_reason(land, match, in_title) for match in matches] if explain else []


def _area_of(land: Landscape, areas_a: list[str], areas_b: list[str]) -> tuple[float, list[tuple[str, str, str]]]:
    """Return the best area match of two code lists and the (kind, x, y) matches that reach it."""
    vocab = land.vocabulary
    best, matches = 0.0, []
    for x in areas_a:
        ancestors_x = _ancestor_set(vocab, x)
        for y in areas_b:
            if x == y and x != CHAPTER:
                score, kind = 1.0, "shared_code"
            elif CHAPTER in (x, y):
                score, kind = CHAPTER_SCORE, "chapter"
            elif x in _ancestor_set(vocab, y) or y in ancestors_x:
                score, kind = 0.8, "hierarchy"
            elif _block(vocab, x) is not None and _block(vocab, x) == _block(vocab, y):
                score, kind = 0.4, "same_block"
            else:
                continue
            if score > best:
                best, matches = score, [(kind, x, y)]
            elif score == best and len(matches) < 3 and (kind != "chapter" or not matches):
                matches.append((kind, x, y))
    return best, matches


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
        block = land.notation(_block(land.vocabulary, x) or "")
        reason = Reason(
            kind, f"samme ICD-10-blok {block}: {nx_} og {ny_}", f"same ICD-10 block {block}: {nx_} and {ny_}"
        )
    if in_title:
        return Reason(kind + "_in_title", reason.text + " (nævnt i titlen)", reason.text_en + " (named in the title)")
    return reason


def _expand_topics(topics: Iterable[str]) -> set[str]:
    return {t for topic in topics for t in (topic, TOPIC_PARENT.get(topic)) if t}


def _topic(
    land: Landscape, a: Document, b: Document, explain: bool = True
) -> tuple[float | None, float | None, list[Reason]]:
    """Return (relatedness, sameness, reasons): any shared topic, and how alike the topic sets are."""
    if not a.topics or not b.topics:
        return None, None, []
    ta, tb = set(a.topics), set(b.topics)
    sameness = len(ta & tb) / len(ta | tb)
    if not explain:
        related = 1.0 if ta & tb else 0.7 if _expand_topics(ta) & _expand_topics(tb) else 0.0
        return related, sameness if related else 0.0, []

    def names(topics: Iterable[str], lang: str) -> str:
        return ", ".join(land.concept_label("topic", t, lang) for t in sorted(topics))

    exact = ta & tb
    if exact:
        return (
            1.0,
            sameness,
            [Reason("shared_topic", f"samme emne: {names(exact, 'da')}", f"same topic: {names(exact, 'en')}")],
        )
    broad = _expand_topics(ta) & _expand_topics(tb)
    if broad:
        return (
            0.7,
            sameness,
            [Reason("related_topic", f"beslægtet emne: {names(broad, 'da')}", f"related topic: {names(broad, 'en')}")],
        )
    return (
        0.0,
        0.0,
        [
            Reason(
                "different_topic",
                f"forskellige emner: {names(ta, 'da')} / {names(tb, 'da')}",
                f"different topics: {names(ta, 'en')} / {names(tb, 'en')}",
            )
        ],
    )


def _population(land: Landscape, a: Document, b: Document, explain: bool = True) -> tuple[float | None, list[Reason]]:
    if not a.populations or not b.populations:
        return None, []
    pa, pb = set(a.populations), set(b.populations)
    shared = pa & pb or (pa if "all" in pb else set()) or (pb if "all" in pa else set())
    if not explain:
        return (1.0 if shared else 0.0), []
    if shared:
        da = ", ".join(land.concept_label("population", p) for p in sorted(shared))
        en = ", ".join(land.concept_label("population", p, "en") for p in sorted(shared))
        return 1.0, [Reason("shared_population", f"samme målgruppe: {da}", f"same population: {en}")]
    return 0.0, [Reason("different_population", "forskellige målgrupper", "different populations")]


def _newer(a: Document, b: Document) -> bool:
    """True unless *a* is known to be older than *b*."""
    if a.issued and b.issued:
        return period_end(a.last_review or a.issued) >= period_end(b.last_review or b.issued)
    return True


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
    terms_a = a.terms if a.terms is not None else land.doc_terms.get(a.id) or land.terms_of(a)
    terms_b = b.terms if b.terms is not None else land.doc_terms.get(b.id) or land.terms_of(b)
    title, shared_terms = land.text.similarity(terms_a, terms_b)
    reasons += topic_reasons + population_reasons
    if explain and shared_terms:
        words = list(dict.fromkeys(_term_name(land, t, "da") for t in shared_terms[:6]))
        words_en = list(dict.fromkeys(_term_name(land, t, "en") for t in shared_terms[:6]))
        reasons.append(
            Reason(
                "title_terms", f"fælles ord i titlen: {', '.join(words)}", f"shared title terms: {', '.join(words_en)}"
            )
        )
    links = [(t, a, b) for t, target in a.links if target == b.id] + [
        (t, b, a) for t, target in b.links if target == a.id
    ]
    for link_type, source, target in links if explain else []:
        reasons.append(
            Reason(
                "link",
                f"{source.id} {link_type} {target.id}",
                f"{source.id} {link_type} {target.id}",
            )
        )
    score = (
        W_AREA * area
        + W_TOPIC * (0.5 if topic is None else (topic + (sameness or 0.0)) / 2)
        + W_POPULATION * (0.5 if population is None else population)
        + W_TITLE * title
    )
    relation = _classify(a, b, area, topic, sameness, population, title, links)
    if links:
        score = max(score, 0.9 if relation == "supersedes" else min(1.0, score + 0.1))
    if relation == "supersedes" and _older_first(a, b, links):
        a, b = b, a
    return Comparison(a.id, b.id, relation, round(min(score, 1.0), 3), reasons)


def _term_name(land: Landscape, term: str, lang: str) -> str:
    """A title term as a coordinator reads it: a named concept by its code or label, a stem as it is."""
    if term.startswith("@icd10/"):
        return term.removeprefix("@icd10/")
    if term.startswith("@topic/"):
        return land.concept_label("topic", term.removeprefix("@topic/"), lang)
    return term


def _older_first(a: Document, b: Document, links: list[tuple[str, Document, Document]]) -> bool:
    """True if *a* is the document that was superseded, so the pair must be turned round."""
    for link_type, source, _ in links:
        if link_type in ("replaces", "revises"):
            return source is b
    return not a.valid and b.valid


def _classify(
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
    if same_scope and a.valid != b.valid and a.status not in _UNBORN and b.status not in _UNBORN:
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


_UNBORN = ("planned", "in-development", "internal-consultation", "external-consultation")


# All pairs ---------------------------------------------------------------------------


def _candidates(land: Landscape, doc: Document) -> set[str]:
    vocab = land.vocabulary
    found: set[str] = set()
    # compare() also relates documents through areas their titles name, so look those up too.
    for concept in [*doc.disease_areas, *land.title_areas(doc)]:
        block = _block(vocab, concept)
        if block is not None:
            found |= land.by_area.get(block, set())
    weights = land.text
    for term in land.doc_terms.get(doc.id) or land.terms_of(doc):
        postings = land.by_term.get(term, set())
        # A term in more than a fifth of all titles ("behandling") finds everything: skip it.
        if weights.weight(term) > 1.6 and len(postings) <= max(5, len(land.documents) // 5):
            found |= postings
    for concept in doc.disease_areas:
        block = _block(vocab, concept)
        if block is not None:
            found |= land.by_title_block.get(block, set())
    found |= {target for _, target in doc.links}
    found |= land.by_area_exact.get(CHAPTER, set())  # whole-psychiatry documents apply to every area
    found.discard(doc.id)
    return found


def pairs(land: Landscape, relations: Iterable[str] = RELATIONS, min_score: float = 0.0) -> list[Comparison]:
    """Return every related pair of documents in the landscape, best first.

    Cached on the landscape, which is rebuilt after every write.
    """
    if "pairs" not in land.__dict__:
        seen: set[tuple[str, str]] = set()
        found: list[Comparison] = []
        for done, doc in enumerate(land.documents.values()):
            budget.check()  # a request whose client left, or whose time is up, stops here
            budget.allow(len(found))
            budget.progress(done, len(land.documents))
            for other_id in _candidates(land, doc):
                key = (min(doc.id, other_id), max(doc.id, other_id))
                if key in seen or other_id not in land.documents:
                    continue
                seen.add(key)
                if len(seen) % 256 == 0:
                    budget.check()  # one document can have thousands of candidates at scale
                result = compare(land, land.documents[key[0]], land.documents[key[1]])
                if result.relation is not None:
                    found.append(result)
        found.sort(key=lambda c: (-c.score, c.a, c.b))
        land.__dict__["pairs"] = found
    wanted = set(relations)
    return [c for c in land.__dict__["pairs"] if c.relation in wanted and c.score >= min_score]


def related(land: Landscape, doc_id: str) -> list[Comparison]:
    """Return the pairs of :func:`pairs` that involve *doc_id*, best first, without pairing everything.

    A pair is in :func:`pairs` when either document has the other among its candidates; the
    document's own candidates, the documents linking to it and (for a whole-psychiatry
    document, which every document counts as a candidate) all documents give the same set.
    """
    if "pairs" in land.__dict__:
        return [c for c in land.__dict__["pairs"] if doc_id in (c.a, c.b)]
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


def clusters(land: Landscape, min_score: float = 0.0) -> list[dict[str, object]]:
    """Group documents joined by duplicate, overlap or supersedes into clusters (networkx components)."""
    graph = nx.Graph()
    for n, c in enumerate(pairs(land, ("duplicate", "overlap", "supersedes"), min_score)):
        if n % 4096 == 0:
            budget.check()
        graph.add_edge(c.a, c.b, relation=c.relation, score=c.score)
    result = []
    for component in sorted(nx.connected_components(graph), key=lambda s: (-len(s), min(s))):
        docs = sorted(component)
        sub = graph.subgraph(component)
        areas = Counter(land.notation(a) for d in docs for a in land.documents[d].disease_areas)
        result.append(
            {
                "documents": docs,
                "owners": sorted({o for d in docs for o in land.documents[d].owners}),
                "disease_areas": [code for code, _ in areas.most_common(5)],
                "relations": dict(Counter(data["relation"] for _, _, data in sub.edges(data=True))),
            }
        )
    return result


def owner_summary(land: Landscape, comparisons: Iterable[Comparison]) -> list[dict[str, object]]:
    """Count relations per pair of owners (e.g. DMPG Depression x Sundhedsstyrelsen)."""
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


# Drafts -------------------------------------------------------------------------------


def draft_document(land: Landscape, draft: Draft) -> Document:
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
    for name, scheme in (("populations", vocab.populations), ("topics", vocab.topics)):
        values[name] = []
        for value in getattr(draft, name):
            concept = scheme.resolve(value)
            if concept is None:
                raise DraftError(name, value, scheme.unknown(value))
            values[name].append(str(concept).rsplit("/", 1)[-1])
    if not values["topics"]:
        values["topics"] = [t.rsplit("/", 1)[-1] for t in land.named_in(draft.title, "topic")]
        inferred += values["topics"]
    return Document(
        id="draft",
        iri="",
        title=draft.title,
        kind=kind or "DMPGGuideline",
        owners=[owner] if owner else [],
        disease_areas=sorted(set(areas)),
        populations=values["populations"],
        topics=values["topics"],
        status="published",  # judged as if it were out: would it duplicate something?
        valid=True,
        notes=("inferred from the title: " + ", ".join(inferred)) if inferred else None,
    )


def check_draft(land: Landscape, draft: Draft, limit: int = 10) -> list[Comparison]:
    """Rank the documents that a draft would duplicate, overlap or complement, best first.

    Every candidate gets ``compare``'s score from the scope index at once; the full comparison
    (which decides the relation) runs only on candidates whose bound can still reach the top
    *limit*, best bound first, so the answer equals comparing every candidate.

    Raises:
        DraftError: if the draft names an unknown code or value.
    """
    doc = draft_document(land, draft)
    doc.terms = land.terms_of(doc)  # computed once, not once per candidate
    doc.named_areas = land.named_in(land.scope_text(doc), "icd10")
    index = scope_index(land)
    mask = candidate_mask(index, doc)
    if not mask.any():
        mask = index.alive.copy()  # a bare title with rare words: compare with everything
    bound = index.scores(doc, doc.terms, doc.named_areas) + SLACK + np.where(index.unborn, 0.05, 0.0)
    for owner in doc.owners:
        bound[index.postings(index.owner_postings, owner)] += 0.1
    ranked: list[tuple[float, str]] = []
    for slot in _best_first(np.flatnonzero(mask), bound, 4 * limit):
        if len(ranked) >= limit and bound[slot] < ranked[limit - 1][0]:
            break  # in bound order: no later candidate can reach the top
        other = land.documents[index.ids[slot]]
        quick = compare(land, doc, other, explain=False)
        if quick.relation is not None:
            insort(ranked, (quick.score + _bonus(doc, other, quick.relation), other.id), key=lambda r: (-r[0], r[1]))
    return [_explained(land, doc, land.documents[other_id], rank) for rank, other_id in ranked[:limit]]


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
    land = index.land
    vocab = land.vocabulary
    mask = np.zeros(index.size, dtype=bool)
    for concept in [*doc.disease_areas, *land.title_areas(doc)]:
        block = _block(vocab, concept)
        if block is not None:
            mask[index.postings(index.area_below, block)] = True
    weights = land.text
    for term in doc.terms if doc.terms is not None else land.doc_terms.get(doc.id) or land.terms_of(doc):
        postings = index.postings(index.term_postings, term)
        if weights.weight(term) > 1.6 and len(postings) <= max(5, len(land.documents) // 5):
            mask[postings] = True
    for concept in doc.disease_areas:
        block = _block(vocab, concept)
        if block is not None:
            mask[index.postings(index.title_block, block)] = True
    mask[index.slots(target for _, target in doc.links)] = True
    mask[index.postings(index.area_exact, CHAPTER)] = True  # whole-psychiatry documents apply to every area
    if doc.id in index.slot:
        mask[index.slot[doc.id]] = False
    return mask


def _bonus(draft: Document, other: Document, relation: str | None) -> float:
    """Rank above score: the draft's own owner's work, and work already under way."""
    bonus = 0.1 if set(draft.owners) & set(other.owners) and relation != "complementary" else 0.0
    return bonus + (0.05 if other.status in _UNBORN else 0.0)


def _explained(land: Landscape, draft: Document, other: Document, rank: float) -> Comparison:
    comparison = replace(compare(land, draft, other), a="draft", b=other.id)  # the draft stays on the left
    if set(draft.owners) & set(other.owners) and comparison.relation != "complementary":
        comparison.reasons.append(Reason("same_owner", "samme ejer som udkastet", "same owner as the draft"))
    if other.status in _UNBORN:
        comparison.reasons.append(
            Reason(
                "in_progress",
                f"dokumentet er {land.concept_label('status', other.status)}",
                f"the document is {land.concept_label('status', other.status, 'en')}",
            )
        )
    comparison.rank = round(rank, 3)
    return comparison


def today() -> dt.date:
    """Return today's date (a seam for tests of review horizons)."""
    return dt.date.today()
