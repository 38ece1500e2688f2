"""Load RDF files (Turtle, N-Triples, JSON-LD, RDF/XML) with Oxigraph's parsers.

Oxigraph's parsers never fetch anything: a JSON-LD remote ``@context`` is an error, and
RDF/XML with a DTD is refused here before parsing, so no entity is ever expanded.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from graph.namespaces import Minter
from graph.store import from_ox
from loaders.records import Context, LoadError, Problem

__all__ = ["FORMATS", "load"]

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


def _refuse_dtd(path: Path, data: bytes) -> None:
    # A DTD is how XXE and "billion laughs" get in; RDF/XML never needs one.
    head = data[:65536].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise LoadError(
            str(path),
            [Problem("file", None, "RDF/XML with a DTD or entity declarations is refused")],
        )


def load(path: Path, minter: Minter, context: Context) -> Graph:
    """Return the triples of one RDF file, without network access.

    Raises:
        LoadError: with the line and column of a syntax error; nothing is returned then.
    """
    del minter, context  # RDF files carry their own IRIs
    rdf_format = FORMATS[path.suffix.lower()]
    data = path.read_bytes()
    if rdf_format == ox.RdfFormat.RDF_XML:
        _refuse_dtd(path, data)
    graph = Graph()
    try:
        for quad in ox.parse(data, format=rdf_format, base_iri=path.resolve().as_uri()):
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                raise LoadError(str(path), [Problem("file", None, "named graphs are not accepted in this file")])
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    except SyntaxError as error:
        where = f"line {error.lineno}, column {error.offset}" if error.lineno else "file"
        message = str(error.msg if error.lineno else error)
        raise LoadError(str(path), [Problem(where, None, f"{rdf_format.name} syntax error: {message}")]) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise LoadError(str(path), [Problem("file", None, f"unreadable {rdf_format.name}: {error}")]) from error
    return graph
