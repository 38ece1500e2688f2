"""Danish-aware title similarity: stems, compound parts and hyphen ellipsis, weighted by rarity.

"alkoholafhængighed" and "alkoholmisbrug og -afhængighed" share the terms *alkohol* and
*afhæng*: the Snowball stemmer removes inflection, compounds are split against the words
seen in the corpus, and the Danish hyphen ellipsis ("-afhængighed" after "alkoholmisbrug")
borrows the first part of the neighbouring compound.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar

import snowballstemmer

__all__ = ["TermIndex", "blend", "terms"]

N = TypeVar("N")  # a float, or a numpy array of them

# Words that say nothing about a document's scope.
STOPWORDS = frozenset(
    [
        "af",
        "alle",
        "andre",
        "at",
        "både",
        "da",
        "de",
        "dem",
        "den",
        "der",
        "det",
        "dette",
        "disse",
        "efter",
        "eller",
        "en",
        "end",
        "er",
        "et",
        "for",
        "fra",
        "gennem",
        "har",
        "hos",
        "hvad",
        "hvor",
        "i",
        "ikke",
        "ind",
        "kan",
        "med",
        "men",
        "mod",
        "når",
        "og",
        "om",
        "op",
        "på",
        "samt",
        "sig",
        "skal",
        "som",
        "til",
        "ud",
        "under",
        "ved",
        "vedr",
        "vedrørende",
        "uden",
        "hvordan",
        "hvilke",
        "mv",
        "fx",
        "the",
        "of",
        "and",
        "in",
        "for",
        "with",
        "national",
        "nationale",
        "klinisk",
        "kliniske",
        "retningslinje",
        "retningslinjer",
        "anbefaling",
        "anbefalinger",
        "vejledning",
        "vejledninger",
        "forløbsbeskrivelse",
        "forløbsbeskrivelser",
        "pakkeforløb",
        "referenceprogram",
        "dmpg",
        "nka",
        "nkr",
        "sst",
        "version",
        "opdatering",
        "opdateret",
        "ny",
        "nye",
    ]
)
# Danish linking letters between compound parts ("udvikling-s-forstyrrelse").
_LINKS = ("", "s", "e")
_MIN_PART = 4
_WORD = re.compile(r"-?[a-zæøåäöü0-9]+(?:-[a-zæøåäöü0-9]+)*-?", re.IGNORECASE)
_TERM_CACHE = 500_000  # titles whose terms one index keeps
_STEMMER = snowballstemmer.stemmer("danish")


def _lexicon(words: Iterable[str]) -> frozenset[str]:
    words = set(words)
    return frozenset(words | {_stem(w) for w in words if len(w) >= _MIN_PART})


# The two lru_caches are memos of pure functions of their arguments (a word; a word and the
# lexicon it is split by), so an answer cannot go stale: a new lexicon is a new key. Bounded.
@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


# Stems of the longer stopwords only: "dem" (them) must not swallow "demens" (dementia).
_STOPSTEMS = {_stem(word) for word in STOPWORDS if len(word) > 4}


def _tokens(text: str) -> list[str]:
    return [match.group(0).casefold() for match in _WORD.finditer(text)]


def _known(word: str, lexicon: frozenset[str]) -> bool:
    return word in lexicon or _stem(word) in lexicon


@lru_cache(maxsize=262144)  # a frozenset caches its own hash, so the lexicon costs nothing as a key
def _split(word: str, lexicon: frozenset[str], depth: int = 0) -> list[str]:
    """Split a compound into parts; return [word] if no split fits.

    Danish compounds are right-headed, so the tail must be a known word.  A split whose
    head is known too wins; otherwise the longest known tail is taken, which splits
    "opioidsubstitutionsbehandling" even when "opioid" never stands alone in the corpus.
    """
    if depth > 2 or len(word) < 2 * _MIN_PART:
        return [word]
    fallback: tuple[str, str] | None = None
    for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
        head, rest = word[:cut], word[cut:]
        for link in _LINKS:
            if not rest.startswith(link):
                continue
            tail = rest[len(link) :]
            if len(tail) < _MIN_PART or not _known(tail, lexicon):
                continue
            if _known(head, lexicon):
                return [head, *_split(tail, lexicon, depth + 1)]
            if (len(tail) > _MIN_PART and fallback is None) or (fallback and len(tail) > len(fallback[1])):
                fallback = (head, tail)
    if fallback is not None:
        head, tail = fallback
        return [head, *_split(tail, lexicon, depth + 1)]
    return [word]


def terms(text: str, lexicon: frozenset[str] = frozenset()) -> list[str]:
    """Return the scope terms of *text*: stems of words and of their compound parts.

    Args:
        text: a title or other scope text, Danish or English.
        lexicon: known words and stems to split compounds against (see :class:`TermIndex`).

    Returns:
        Terms, with repetitions, in text order.
    """
    words = [w for w in _tokens(text) if w.strip("-") not in STOPWORDS]
    parts: list[list[str]] = []
    for word in words:
        core = word.strip("-")
        chunks = core.split("-")
        negated = ""
        if len(chunks) > 1 and chunks[0] in ("non", "ikke"):
            # "non-farmakologisk", "ikke-medicinsk": the opposite of the tail, so never split them.
            negated, chunks = chunks[0] + chunks[1], chunks[2:]
        pieces = ([negated] if negated else []) + [p for chunk in chunks if chunk for p in _split(chunk, lexicon)]
        parts.append(pieces)
    result: list[str] = []
    for index, word in enumerate(words):
        pieces = list(parts[index])
        # "alkoholmisbrug og -afhængighed": the suffix word borrows the previous head.
        if word.startswith("-") and index > 0 and len(parts[index - 1]) > 1:
            pieces = [parts[index - 1][0], *pieces]
        # "alkohol- og stofmisbrug": the prefix word borrows the next word's tail.
        if word.endswith("-") and index + 1 < len(parts) and len(parts[index + 1]) > 1:
            pieces = [*pieces, *parts[index + 1][1:]]
        whole = "".join(pieces)
        result.extend(_stem(piece) for piece in pieces)
        if len(pieces) > 1:
            result.append(_stem(whole))
    return [term for term in result if len(term) > 1 and term not in _STOPSTEMS]


class TermIndex:
    """Rarity weights of terms over a corpus of titles, and a weighted similarity.

    An index is part of one landscape (``Landscape.text``, the LANDSCAPE view's value): its
    memos of split titles and of weights are of that corpus and go with it; :meth:`refit`,
    which only an update making the next landscape calls, empties the weights.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        texts = list(texts)
        # How many texts use each word: the lexicon changes only when a word comes or goes.
        self.words = Counter(w.strip("-") for text in texts for w in set(_tokens(text)))
        self.lexicon = _lexicon(self.words)
        # A title is split once: the landscape asks for the same title's terms several times.
        self._terms: dict[str, frozenset[str]] = {}
        self._frequency: Counter[str] = Counter()
        self._size = 1
        self.fit(set(self.terms(text)) for text in texts)

    def updated(self, removed: Iterable[str], added: Iterable[str]) -> TermIndex | None:
        """Return this index with texts removed and added, or None if that changes the lexicon.

        Compound splitting depends on every word of the corpus; while no word comes or goes,
        every title splits as before, so the split titles are kept (frequencies are refitted
        by :meth:`refit`).  Otherwise the caller builds a new index.
        """
        words = self.words.copy()
        words.subtract(w.strip("-") for text in removed for w in set(_tokens(text)))
        words.update(w.strip("-") for text in added for w in set(_tokens(text)))
        words = +words  # drop words no text uses any more
        if words.keys() != self.words.keys():
            return None
        found = TermIndex.__new__(TermIndex)
        found.words, found.lexicon, found._terms = words, self.lexicon, self._terms
        found._frequency, found._size = self._frequency.copy(), self._size  # refit() empties the weights
        return found

    def refit(self, removed: Iterable[set[str]], added: Iterable[set[str]], size: int) -> None:
        """Update the frequencies :meth:`fit` counted, for term sets removed and added."""
        frequency = self._frequency
        for term_set in removed:
            frequency.subtract(term_set)
        for term_set in added:
            frequency.update(term_set)
        self._frequency = +frequency
        self._size = max(size, 1)
        self.__dict__.pop("_weights", None)

    def fit(self, term_sets: Iterable[set[str]]) -> None:
        """Count term frequencies over the final term sets of the corpus (one set per document)."""
        self._frequency = Counter()
        size = 0
        for term_set in term_sets:
            self._frequency.update(term_set)
            size += 1
        self._size = max(size, 1)
        self.__dict__.pop("_weights", None)

    def terms(self, text: str) -> set[str]:
        """Return the distinct scope terms of *text*, splitting compounds with this corpus."""
        found = self._terms.get(text)
        if found is None:
            found = frozenset(terms(text, self.lexicon))
            if len(self._terms) < _TERM_CACHE:  # bounded: drafts and searches are user text
                self._terms[text] = found
        return set(found)

    def weight(self, term: str) -> float:
        """Return the inverse document frequency of *term* (rare terms weigh more)."""
        weights: dict[str, float] = self.__dict__.setdefault("_weights", {})  # emptied by every (re)fit
        found = weights.get(term)
        if found is None:
            found = math.log((self._size + 1) / (self._frequency.get(term, 0) + 0.5))
            if len(weights) < _TERM_CACHE:  # bounded: drafts bring new terms
                weights[term] = found
        return found

    def similarity(self, a: set[str], b: set[str]) -> tuple[float, list[str]]:
        """Return the weighted overlap of two term sets in [0, 1] and the shared terms.

        The overlap is measured against the smaller set, so a short focused title inside a
        longer one still scores high ("Behandling med esketamin" in a longer esketamin title).
        """
        if not a or not b:
            return 0.0, []
        shared = a & b
        if not shared:
            return 0.0, []
        weight = self.weight
        total_a, total_b = sum(weight(t) for t in a), sum(weight(t) for t in b)
        smaller, larger = min(total_a, total_b), max(total_a, total_b)
        common = sum(weight(t) for t in shared)
        return min(blend(common, smaller, larger), 1.0), sorted(shared, key=lambda t: -weight(t))


def blend(common: N, smaller: N, larger: N) -> N:
    """Return the title similarity of two term sets from their shared, smaller and larger total weight.

    Containment blended with a Dice-like term, so one shared word in two long titles is not 1.0;
    floats or numpy arrays (the scope index scores every document at once with it).
    """
    return 0.7 * common / smaller + 0.3 * 2 * common / (smaller + larger)  # type: ignore[no-any-return, operator]
