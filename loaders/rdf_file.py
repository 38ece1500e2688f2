"""Load RDF files (Turtle, N-Triples, JSON-LD, RDF/XML) with Oxigraph's parsers.

Oxigraph's parsers never fetch anything: a JSON-LD remote ``@context`` is an error, and
RDF/XML with a DTD is refused here before parsing, so no entity is ever expanded.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from graph.namespaces import Minter
from graph.store import TripleBatch
from loaders.records import Context, LoadError, Problem

__all__ = ["FORMATS", "STAGEABLE", "load", "refusal"]

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
SKIP: dict[str, str] = {}
# Formats an Oxigraph store may parse straight into a staging graph (no DTDs, no contexts to police).
STAGEABLE = (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES)


def _refuse_dtd(path: Path, data: bytes) -> None:
    # A DTD is how XXE and "billion laughs" get in; RDF/XML never needs one.
    head = data[:65536].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise LoadError(
            str(path),
            [Problem("file", None, "RDF/XML with a DTD or entity declarations is refused")],
        )


def load(path: Path, minter: Minter, context: Context) -> TripleBatch:
    """Return the triples of one RDF file, without network access.

    The triples stay Oxigraph terms (a :class:`TripleBatch`, not an rdflib Graph) so that a
    large file goes from Oxigraph's parser to Oxigraph's store without conversion.

    Raises:
        LoadError: with the line and column of a syntax error; nothing is returned then.
    """
    del minter, context  # RDF files carry their own IRIs
    rdf_format = FORMATS[path.suffix.lower()]
    data = path.read_bytes()
    if rdf_format == ox.RdfFormat.RDF_XML:
        _refuse_dtd(path, data)
    triples = []
    try:
        for quad in ox.parse(data, format=rdf_format, base_iri=path.resolve().as_uri()):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                raise LoadError(str(path), [Problem("file", None, "named graphs are not accepted in this file")])
            triples.append(quad.triple)
    except (SyntaxError, ValueError, UnicodeDecodeError) as error:
        raise refusal(path, rdf_format, error) from error
    return TripleBatch(triples)


def refusal(path: Path, rdf_format: ox.RdfFormat, error: Exception) -> LoadError:
    """Turn an Oxigraph parse error into a refusal naming the file, line and column."""
    if isinstance(error, SyntaxError) and error.lineno:
        return LoadError(
            str(path), [Problem(f"line {error.lineno}, column {error.offset}", None, f"{rdf_format.name} syntax error: {error.msg}")]
        )
    kind = "syntax error" if isinstance(error, SyntaxError) else "unreadable"
    return LoadError(str(path), [Problem("file", None, f"{rdf_format.name} {kind}: {error}")])
