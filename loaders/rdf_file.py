"""Load RDF files (Turtle, N-Triples, JSON-LD, RDF/XML) with Oxigraph's parsers.

Oxigraph's parsers never fetch anything: a JSON-LD remote ``@context`` is an error, and
RDF/XML with a DTD is refused here before parsing, so no entity is ever expanded.  JSON-LD
and RDF/XML are checked for nesting depth (and JSON-LD for extra contexts) first, as those
make Oxigraph's parsers take memory or time far beyond the file's size.
"""

from __future__ import annotations

import json
import xml.sax
import xml.sax.handler
from pathlib import Path

import defusedxml
import defusedxml.sax
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
# Real files nest a few levels; Oxigraph's JSON-LD and RDF/XML parsers slow down or grow
# badly with depth (see _check_json_ld and _check_rdf_xml).
MAX_DEPTH = 100


class _Nesting(xml.sax.handler.ContentHandler):
    """Counts how deep XML elements nest, stopping at MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def startElement(self, name: str, attrs: object) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep

    def endElement(self, name: str) -> None:
        self.depth -= 1


class _TooDeep(Exception):
    pass


class _Object:
    """A parsed JSON object, reduced to how deep it nests (the JSON-LD check keeps nothing else)."""

    __slots__ = ("depth",)

    def __init__(self, depth: int) -> None:
        self.depth = depth


def _json_depth(value: object) -> int:
    if isinstance(value, _Object):
        return value.depth
    if isinstance(value, list):
        return 1 + max((_json_depth(item) for item in value), default=0)
    return 0


def _check_rdf_xml(path: Path, data: bytes) -> None:
    # A DTD is how XXE and "billion laughs" get in, and RDF/XML never needs one.  Oxigraph
    # expands internal entities, so the whole file is read with expat (through defusedxml)
    # first: a DTD anywhere is refused, and so is deep nesting, which Oxigraph's RDF/XML
    # parser handles in time growing with the square of the depth.
    try:
        defusedxml.sax.parseString(data, _Nesting(), forbid_dtd=True)
    except defusedxml.DefusedXmlException as error:
        problem = f"RDF/XML with a DTD or entity declarations is refused ({type(error).__name__})"
        raise LoadError(str(path), [Problem("file", None, problem)]) from error
    except _TooDeep as error:
        problem = f"RDF/XML elements nest deeper than the limit of {MAX_DEPTH}"
        raise LoadError(str(path), [Problem("file", None, problem)]) from error
    except xml.sax.SAXParseException as error:
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        raise LoadError(str(path), [Problem(where, None, f"RDF_XML syntax error: {error.getMessage()}")]) from error


def _check_json_ld(path: Path, data: bytes) -> None:
    # Oxigraph's JSON-LD parser needs memory growing with the square of the nesting depth
    # (10 000 levels, 150 kB, take gigabytes) and expands embedded or scoped contexts again
    # for every node they apply to (300 kB take half a minute).  So the file is read once
    # with Python's json module, keeping only the depth and the number of @context keys.
    contexts = 0

    def reduce(pairs: list[tuple[str, object]]) -> _Object:
        nonlocal contexts
        contexts += sum(1 for key, _ in pairs if key == "@context")
        return _Object(1 + max((_json_depth(value) for _, value in pairs), default=0))

    try:
        depth = _json_depth(json.loads(data, object_pairs_hook=reduce))
    except RecursionError:
        depth = MAX_DEPTH + 1
    except ValueError:
        return  # not JSON (or not UTF-8): Oxigraph's parser says where
    if depth > MAX_DEPTH:
        problem = f"JSON-LD nests deeper than the limit of {MAX_DEPTH}"
        raise LoadError(str(path), [Problem("file", None, problem)])
    if contexts > 1:
        problem = "JSON-LD with more than one @context (embedded or scoped contexts) is refused: use one at the top"
        raise LoadError(str(path), [Problem("file", None, problem)])


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
        _check_rdf_xml(path, data)
    elif rdf_format == ox.RdfFormat.JSON_LD:
        _check_json_ld(path, data)
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
