"""Load RDF files (Turtle, N-Triples, JSON-LD, RDF/XML) with Oxigraph's parsers.

Oxigraph's parsers never fetch anything: a JSON-LD remote ``@context`` is an error, and
RDF/XML with a DTD is refused here before parsing, so no entity is ever expanded.  JSON-LD
and RDF/XML are checked for nesting depth (and JSON-LD for extra contexts) first, as those
make Oxigraph's parsers take memory or time far beyond the file's size.  Every literal gets
the registry loaders' field checks: no XML-illegal control character, and no more characters
than the field it fills allows (a title 1 000, any literal 20 000).
"""

from __future__ import annotations

import json
import re
import xml.sax
import xml.sax.handler
from pathlib import Path

import defusedxml
import defusedxml.sax
import pyoxigraph as ox
from rdflib import Literal, URIRef

from graph.store.core import TripleBatch, query, with_bindings
from graph.store.namespaces import DCTERMS, PREFIXES, RDFS, SCHEMA, SKOS, Minter
from loaders.records import CONTROL, TEXT_LIMITS, Context, LoadError, Problem

__all__ = ["FORMATS", "LITERAL_CHECKS", "LITERAL_MAX", "STAGEABLE", "load", "refusal", "refuse_staged"]

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
# The registry field each property fills, so an RDF title has the limit a YAML or CSV title has.
FIELDS = {
    str(DCTERMS.title): "title",
    str(SKOS.prefLabel): "name",
    str(RDFS.label): "label",
    str(SCHEMA.version): "version",
    str(SKOS.note): "notes",
}
# Any other literal: ontology comments and SHACL's SPARQL are a few thousand characters at most.
LITERAL_MAX = 20_000
NEWLINE = b"\n"


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
    _refuse_literals(path, data, triples)
    return TripleBatch(triples)


def _literal_checks() -> tuple[str, ...]:
    """The SPARQL queries that find the literals breaking the field checks in a staged graph (at most 20 each)."""
    control = Literal(r"[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]")  # as records.CONTROL
    limits = [(URIRef(prop), Literal(TEXT_LIMITS[field])) for prop, field in sorted(FIELDS.items())]
    return (
        with_bindings(query("literal_check_fields"), {("p", "limit"): limits, "control": control}),
        with_bindings(query("literal_check"), {"longest": Literal(LITERAL_MAX), "control": control}),
    )


#: Run by the store on a staged graph (see ``refuse_staged``).
LITERAL_CHECKS = _literal_checks()


def refuse_staged(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """Refuse a file parsed straight into the store if the literal check found any *rows* (subject, property, text).

    The fast path stages the file first and lets Oxigraph look for long or control-character
    literals (``LITERAL_CHECKS``), far faster than parsing the file again in Python; the file
    is read again only to name the lines of what was found.

    Raises:
        LoadError: naming the file, the line, the property and the subject of each literal refused.
    """
    if not rows:
        return
    data = path.read_bytes()
    triples = [ox.Triple(_subject(s), ox.NamedNode(p), ox.Literal(o)) for s, p, o in rows]
    _refuse_literals(path, data, triples)


def _subject(value: str) -> ox.NamedNode | ox.BlankNode:
    # The staged rows are plain strings: a blank node's is its id, which is no IRI.
    try:
        return ox.NamedNode(value)
    except ValueError:
        try:
            return ox.BlankNode(value)
        except ValueError:
            return ox.BlankNode()


def _refuse_literals(path: Path, data: bytes, triples: list[ox.Triple]) -> None:
    problems = []
    for triple in triples:
        literal = triple.object
        if not isinstance(literal, ox.Literal):
            continue
        value, prop = literal.value, triple.predicate.value
        field = FIELDS.get(prop)
        limit = TEXT_LIMITS[field] if field else LITERAL_MAX
        if control := CONTROL.search(value):
            message = f"control character U+{ord(control.group()):04X} in the text"
        elif len(value) > limit:
            message = f"{len(value)} characters, more than the limit of {limit}"
        else:
            continue
        shown = f"{_short(prop)} ({field})" if field else _short(prop)
        problems.append(Problem(_line(data, value), shown, f"{message}, on {triple.subject}"))
        if len(problems) == 20:
            break
    if problems:
        raise LoadError(str(path), problems)


def _short(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def _line(data: bytes, value: str) -> str:
    """Where *value* starts in the file, found by its first characters; ``file`` if not found."""
    start = re.match(r'[^"\\\n\r\x00-\x1f]{0,60}', value)
    prefix = start.group().encode() if start else b""
    if len(prefix) < 12:
        return "file"
    found = data.find(prefix)
    return "file" if found < 0 else f"line {data.count(NEWLINE, 0, found) + 1}"


def refusal(path: Path, rdf_format: ox.RdfFormat, error: Exception) -> LoadError:
    """Turn an Oxigraph parse error into a refusal naming the file, line and column."""
    if isinstance(error, SyntaxError) and error.lineno:
        return LoadError(
            str(path),
            [
                Problem(
                    f"line {error.lineno}, column {error.offset}", None, f"{rdf_format.name} syntax error: {error.msg}"
                )
            ],
        )
    kind = "syntax error" if isinstance(error, SyntaxError) else "unreadable"
    return LoadError(str(path), [Problem("file", None, f"{rdf_format.name} {kind}: {error}")])
