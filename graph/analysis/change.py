"""One item of the change list and the feeds: a write, a load, or news derived from them (a new overlap, a gap)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EVENTS", "Change", "FieldChange"]

#: What an item tells, as the feeds' ``event=`` filter names it (Danish, English).
EVENTS: dict[str, tuple[str, str]] = {
    "write": ("ændring", "change"),
    "status": ("statusændring", "status change"),
    "overlap": ("nyt muligt overlap", "new possible overlap"),
    "gap": ("nyt hul", "new gap"),
    "verdict": ("afgørelse", "verdict"),
    "load": ("indlæsning", "load"),
}


@dataclass(frozen=True)
class FieldChange:
    """One field a write changed: its name and its values before and after, as a coordinator reads them."""

    field: str
    label: str
    label_en: str
    old: list[str]
    new: list[str]


@dataclass(frozen=True)
class Change:
    """One item: a write (or load, verdict), with what it changed and which owners and disease areas it touches."""

    id: str
    kind: str  # "document", "organisation", "load", "gap" or "verdict"
    record: str  # the record's id, the loaded file, the gap's focus, or the judged pair ("a--b")
    title: str
    action: str  # create, update, delete, load
    author: str
    time: str
    fields: list[FieldChange] = field(default_factory=list)
    owners: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    event: str = "write"  # one of EVENTS
    told: frozenset[str] = frozenset()  # owners the item is addressed to (an overlap's other side)
    related: list[dict[str, Any]] = field(default_factory=list)  # other documents it names, with why
    note: tuple[str, str] = ("", "")  # a sentence more (Danish, English): where an item is approximate, it says so
