"""Content negotiation: pick JSON, RDF or HTML from the Accept header."""

from __future__ import annotations

from fastapi import Request

__all__ = ["RDF_TYPES", "preferred"]

RDF_TYPES = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
}


def preferred(request: Request, offered: list[str]) -> str:
    """Return the first of *offered* media types that the Accept header ranks highest.

    JSON (``application/json``) is the default when the header is missing or accepts anything.
    """
    header = request.headers.get("accept", "")
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media:
            ranked.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranked):
        if media in offered:
            return media
        if media in ("*/*", "application/*"):
            return "application/json"
    return "application/json"
