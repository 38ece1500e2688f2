"""Content negotiation: pick JSON, RDF or HTML (or a SPARQL result format) from the Accept header."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import Request

__all__ = ["RDF_TYPES", "acceptable", "preferred"]

RDF_TYPES = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
}


def _ranked(header: str) -> list[tuple[float, int, str]]:
    """Return the header's media ranges as (-quality, position, media), best first."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranked.append((-quality, position, media.lower()))
    return sorted(ranked)


def preferred(request: Request, offered: list[str]) -> str:
    """Return the one of *offered* media types that the Accept header ranks highest (see :func:`acceptable`).

    JSON (``application/json``) is the default when the header is missing, accepts anything
    or accepts none of *offered*.
    """
    return acceptable(request.headers.get("accept"), ["application/json", *offered]) or "application/json"


def acceptable(
    header: str | None, offered: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """Return the offered media type the Accept header ranks highest, or None if it accepts none.

    No header (or an empty one) accepts the first offered type.  A range with ``q=0`` accepts
    nothing; ``type/*`` and ``*/*`` accept the first offered type that fits.  *aliases* maps a
    general type a client may ask for (``application/json``) to the offered types it stands for.
    """
    if not (header or "").strip():
        return offered[0]
    for quality, _, media in _ranked(header or ""):
        if quality >= 0:  # sorted best first: only ranges with q=0 are left
            break
        for candidate in (*(aliases or {}).get(media, ()), media):
            if candidate in offered:
                return candidate
        if media == "*/*":
            return offered[0]
        if media.endswith("/*"):
            for candidate in offered:
                if candidate.startswith(media[:-1]):
                    return candidate
    return None
