"""What a user types for an owner, population, topic or status: matched tolerantly, else the closest names.

One lookup for the CLI, the API's filters and draft check, and the loaders: a value matches by its
id, notation or any label regardless of case (``DMPG spiseforstyrrelse``), by its Danish or English
word stems (``DMPG Spiseforstyrrelser``, ``treatments``, ``behandlinger``), and when nothing matches
the error names the closest values (``mente du dmpg-spis?``, by :mod:`difflib`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import snowballstemmer

__all__ = ["Names", "key", "organisation_names"]

# Danish first: most names are Danish; English catches "adults", "treatments" and English names.
_STEMMERS = (snowballstemmer.stemmer("danish"), snowballstemmer.stemmer("english"))
_WORD = re.compile(r"\w+")


def key(text: str) -> str:
    """Return *text* as compared exactly: NFC, casefolded, one space between words, ``_`` as ``-``."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().replace("_", "-").split())


def _stemmed(text: str) -> list[str]:
    words = _WORD.findall(key(text))
    return [" ".join(str(stemmer.stemWord(w)) for w in words) for stemmer in _STEMMERS]


class Names:
    """Every name of the values of one field, and the tolerant lookup over them.

    Args:
        what: the field's name in messages (``organisation``, ``topic``).
        entries: each value with its names (the value itself counts as a name); earlier
            entries win an exact name that two values share.
        listed: list the allowed values in the message when nothing matches (a short scheme).
    """

    def __init__(self, what: str, entries: Iterable[tuple[str, Iterable[str]]], *, listed: bool = False) -> None:
        self.what = what
        values: dict[str, None] = {}
        self._exact: dict[str, str] = {}
        stems: list[dict[str, set[str]]] = [{} for _ in _STEMMERS]
        for value, names in entries:
            values[value] = None
            for name in (value, *names):
                if not name:
                    continue
                self._exact.setdefault(key(name), value)
                for found, stem in zip(stems, _stemmed(name), strict=True):
                    if stem:
                        found.setdefault(stem, set()).add(value)
        # A stem two values share names neither: that is a question for the user, not a guess.
        self._stems = [{stem: next(iter(v)) for stem, v in found.items() if len(v) == 1} for found in stems]
        self.values = list(values)
        self._listed = listed

    def find(self, text: str) -> str | None:
        """Return the value *text* names exactly (any case) or by its word stems, else None."""
        exact = self._exact.get(key(text))
        if exact is not None:
            return exact
        for found, stem in zip(self._stems, _stemmed(text), strict=True):
            if stem in found:
                return found[stem]
        return None

    def closest(self, text: str, count: int = 3) -> list[str]:
        """Return up to *count* values whose names are most like *text*, best first."""
        matches = difflib.get_close_matches(key(text), list(self._exact), n=count * 3, cutoff=0.6)
        return list(dict.fromkeys(self._exact[m] for m in matches))[:count]

    def unknown(self, text: str) -> str:
        """Return the message for a *text* that names no value: the closest values, and the allowed ones."""
        message = f"unknown {self.what}: {text!r}"
        if suggestions := self.closest(text):
            message += f" - mente du {' eller '.join(suggestions)}?"
        if self._listed:
            message += f" (use one of {', '.join(self.values)})"
        return message


def organisation_names(organisations: Iterable[Any]) -> Names:
    """Return the names of *organisations* (``Organisation``s): id, Danish and English name, abbreviation."""
    return Names(
        "organisation",
        ((o.id, (o.name, o.name_en or "", o.abbreviation or "")) for o in sorted(organisations, key=lambda o: o.id)),
    )
