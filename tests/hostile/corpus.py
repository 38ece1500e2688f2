"""The hostile-input corpus: every case, what it attacks and how it must be answered.

Small cases are files under ``corpus/<class>/``; large or binary ones are written by a
generator at test time (a few milliseconds each), so the repository holds no bombs.  Files
are templates: ``@@PORT@@`` becomes a listening loopback port that must see no connection
and ``@@SECRET@@`` the path of a file whose text must appear nowhere.  ``materialise`` fills
them in; an import endpoint can run the same cases through ``FILE_CASES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loaders import MAX_BYTES, RECORD_MAX_BYTES
from tests.hostile import generators as make
from tests.hostile.generators import CORPUS, Writer, deep_json, sparse, text


@dataclass(frozen=True)
class FileCase:
    """One hostile file for the loaders.

    Attributes:
        id: the test id, ``<class>-<syntax>-<name>`` (no syntax for RDF/XML and YAML).
        file: its path under ``corpus/`` (or the name a generator writes, suffix chosen by format).
        refusal: words the refusal must contain; empty if the file is accepted (harmlessly).
        why: what it attacks.
        make: writes a generated file to the given path (given the secret's path too); None
            for a file in the corpus.
    """

    id: str
    file: str
    refusal: str
    why: str
    make: Writer | None = None

    @property
    def cls(self) -> str:
        """The class: rdf, yaml or spreadsheet."""
        return self.file.split("/")[0]


@dataclass(frozen=True)
class QueryCase:
    """One hostile request to ``/sparql``.

    Attributes:
        id: the test id.
        status: the status code it must get.
        why: what it attacks.
        file: the query's file under ``corpus/sparql/``, if any.
        text: builds the query text instead of a file.
        transport: ``get``, ``form`` (POST form), ``body`` (application/sparql-query),
            ``update`` (form field update=) or ``sparql-update`` (that content type).
        params: extra query-string parameters.
    """

    id: str
    status: int
    why: str
    file: str | None = None
    text: Callable[[], str] | None = None
    transport: str = "get"
    params: tuple[tuple[str, str], ...] = ()


def materialise(case: FileCase, directory: Path, port: int, secret: Path) -> Path:
    """Write *case* into *directory* with its placeholders filled in and return the path."""
    path = directory / Path(case.file).name
    if case.make is not None:
        case.make(path, secret)
        return path
    return fill(CORPUS / case.file, path, port, secret)


def fill(source: Path, target: Path, port: int, secret: Path) -> Path:
    """Copy *source* to *target*, replacing ``@@PORT@@`` and ``@@SECRET@@`` (in UTF-8 or UTF-16)."""
    data = source.read_bytes()
    for encoding in ("utf-8", "utf-16-le"):
        data = data.replace("@@PORT@@".encode(encoding), str(port).encode(encoding))
        data = data.replace("@@SECRET@@".encode(encoding), str(secret).encode(encoding))
    target.write_bytes(data)
    return target


# The corpus ------------------------------------------------------------------------------------

# Files written at test time, by corpus path.
GENERATED: dict[str, Writer] = {
    "rdf/billion-laughs-late.rdf": text(make.late_billion_laughs),
    "rdf/deep-nesting.rdf": text(make.deep_rdf_xml),
    "rdf/scoped-big.jsonld": text(make.scoped_contexts),
    "rdf/deep-objects.jsonld": text(deep_json('{"https://example.org/p": ', "}", 10_000)),
    "rdf/deep-lists.jsonld": text(deep_json('{"@list": ', "}", 10_000)),
    "rdf/deep-arrays.jsonld": text(deep_json("[", "]", 200_000)),
    "rdf/over-limit.ttl": sparse(MAX_BYTES + 1),
    "rdf/huge-literal.nt": text(make.huge_literal),
    "rdf/deep-nesting.ttl": text(make.deep_turtle),
    "rdf/long-title.nt": text(make.long_title),
    "rdf/long-title.ttl": text(make.long_title_turtle),
    "rdf/long-title.jsonld": text(make.long_title_json_ld),
    "yaml/deep-flow.yaml": text(make.deep_yaml_flow),
    "yaml/long-title.yaml": text(make.long_title_yaml),
    "spreadsheet/long-title.csv": text(make.long_title_csv),
    "yaml/deep-block.yaml": text(make.deep_yaml_block),
    "yaml/over-limit.yaml": sparse(RECORD_MAX_BYTES + 1),
    "spreadsheet/huge-field.csv": text(make.huge_csv_field),
    "spreadsheet/over-limit.csv": sparse(RECORD_MAX_BYTES + 1),
    "spreadsheet/many-rows.csv": make.csv_rows,
    "spreadsheet/zip-bomb.xlsx": make.zip_bomb,
    "spreadsheet/tag-flood.xlsx": make.tag_flood,
    "spreadsheet/empty-rows.xlsx": make.empty_rows,
    "spreadsheet/xxe.xlsx": make.xlsx_xxe,
    "spreadsheet/stale-dimension.xlsx": make.stale_dimension,
    "spreadsheet/formula.xlsx": make.formula_title,
    "spreadsheet/wrong-types.xlsx": make.wrong_type_cells,
    "spreadsheet/chartsheet.xlsx": make.chartsheet,
}

DEEP = "deeper than the limit"
ALIASES = "aliases (*name) are not accepted"
REMOTE = "remote context"
TOO_BIG = "larger than the limit"
UNREADABLE = "not a readable XLSX workbook"

# (file under corpus/, words the refusal must hold or "" if accepted harmlessly, what it attacks)
_FILES: list[tuple[str, str, str]] = [
    ("rdf/xxe-file.rdf", "DTD", "external entity reading a local file"),
    ("rdf/xxe-url.rdf", "DTD", "external entity fetching a URL"),
    ("rdf/xxe-parameter-entity.rdf", "DTD", "parameter entity pulling a remote DTD"),
    ("rdf/external-dtd.rdf", "DTD", "external DTD by URL"),
    ("rdf/billion-laughs.rdf", "DTD", "entity expansion, 10^9 copies"),
    ("rdf/billion-laughs-late.rdf", "DTD", "the same behind 64 KiB of comment: passed the old check (9 GB)"),
    ("rdf/quadratic-blowup.rdf", "DTD", "one big entity referenced many times"),
    ("rdf/utf16.rdf", "DTD", "XXE in UTF-16, hidden from a byte search"),
    ("rdf/deep-nesting.rdf", DEEP, "100 000 nested elements (170 s of CPU before)"),
    ("rdf/malformed.rdf", "syntax error", "mismatched tags"),
    ("rdf/remote-context.jsonld", REMOTE, "@context on a URL"),
    ("rdf/remote-context-in-list.jsonld", REMOTE, "a URL in a context list"),
    ("rdf/file-context.jsonld", REMOTE, "@context naming a local file"),
    ("rdf/import-context.jsonld", REMOTE, "JSON-LD 1.1 @import of a URL"),
    ("rdf/scoped-contexts.jsonld", "more than one @context", "a property-scoped context"),
    ("rdf/scoped-big.jsonld", "more than one @context", "4 000 x 4 000 scoped expansions (35 s for 300 kB before)"),
    ("rdf/deep-objects.jsonld", DEEP, "10 000 nested objects (past 3 GB before)"),
    ("rdf/deep-lists.jsonld", DEEP, "10 000 nested @list objects (past 3 GB before)"),
    ("rdf/deep-arrays.jsonld", DEEP, "200 000 nested arrays"),
    ("rdf/malformed.jsonld", "syntax error", "unterminated string"),
    ("rdf/named-graph.jsonld", "named graphs are not accepted", "writing into another source's graph"),
    ("rdf/latin1.jsonld", "Invalid UTF-8", "Latin-1 instead of UTF-8"),
    ("rdf/malformed.ttl", "Turtle syntax error", "unterminated literal"),
    ("rdf/latin1.ttl", "UTF-8", "Latin-1 instead of UTF-8"),
    ("rdf/utf16.ttl", "syntax error", "UTF-16 with a byte-order mark"),
    ("rdf/malformed.nt", "syntax error", "a triple without its dot"),
    ("rdf/bad-iri.nt", "syntax error", "a space inside an IRI"),
    ("rdf/over-limit.ttl", TOO_BIG, "one byte over the 256 MiB limit"),
    ("rdf/file-iris.ttl", "", "file: IRIs, which stay names and are never read"),
    ("rdf/huge-literal.nt", "more than the limit of 20000", "an 8 MB comment (accepted before)"),
    ("rdf/long-title.nt", "more than the limit of 1000", "a 3.8 MB title (accepted before; pairing then took 87 s)"),
    ("rdf/long-title.ttl", "more than the limit of 1000", "a 1 150-character title in a multi-line string"),
    ("rdf/long-title.jsonld", "more than the limit of 1000", "a 1 800-character title in JSON-LD"),
    ("rdf/control-character.nt", "control character U+0000", "a NUL as an \\u escape (XLSX exports: 500 before)"),
    ("rdf/control-character.ttl", "control character U+0007", "a raw BEL byte in a title"),
    ("rdf/blank-node.ttl", "control character U+0000", "a NUL in a blank node's title (a ValueError before)"),
    ("rdf/control-escape.ttl", "control character U+0008", "a \\b escape in an organisation name"),
    ("rdf/noncharacter.nt", "control character U+FFFF", "the non-character U+FFFF in a note"),
    ("rdf/control-character.jsonld", "control character U+000B", "a vertical tab in a JSON-LD title"),
    ("rdf/deep-nesting.ttl", "", "50 000 nested blank nodes, accepted in linear time"),
    ("yaml/billion-laughs.yaml", ALIASES, "alias bomb, 9^9 values (a minute and 3 GB before)"),
    ("yaml/alias-as-id.yaml", ALIASES, "alias bomb as an id, read before anything else"),
    ("yaml/merge-key.yaml", ALIASES, "<<: merge through an alias"),
    ("yaml/python-object.yaml", "python/object", "a tag that would run os.system"),
    ("yaml/python-name.yaml", "python/name", "a tag naming a Python callable"),
    ("yaml/deep-flow.yaml", "nested too deeply", "5 000 nested flow lists"),
    ("yaml/deep-block.yaml", "nested too deeply", "1 200 nested block lists"),
    ("yaml/latin1.yaml", "not UTF-8", "Latin-1 instead of UTF-8"),
    ("yaml/utf16.yaml", "not UTF-8", "UTF-16 with a byte-order mark"),
    ("yaml/not-a-mapping.yaml", "a registry file is a mapping", "a list at the top"),
    ("yaml/unknown-section.yaml", "unknown section", "a section the registry has not"),
    ("yaml/wrong-types.yaml", "expected a list of mappings", "every field of the wrong type"),
    ("yaml/path-id.yaml", "invalid id", "../ and <script> as ids"),
    ("yaml/control-character.yaml", "control character U+0000", "a NUL in a name (/exports/gaps.xlsx: 500 before)"),
    ("yaml/duplicate-ids.yaml", "duplicate id", "the same id twice"),
    ("yaml/long-title.yaml", "more than the limit of 1000", "a 3 300-character title (accepted before)"),
    ("yaml/malformed.yaml", "YAML syntax error", "unterminated quote"),
    ("yaml/over-limit.yaml", TOO_BIG, "past 4 MiB (PyYAML needs ~75 bytes of memory per byte)"),
    ("spreadsheet/missing-columns.csv", "required column is missing", "no disease_areas column"),
    ("spreadsheet/extra-column.csv", "unknown column", "a column the registry has not"),
    ("spreadsheet/duplicate-column.csv", "column appears twice", "title twice"),
    ("spreadsheet/duplicate-ids.csv", "duplicate id", "the same id in two rows"),
    ("spreadsheet/wrong-types.csv", "unknown kind", "a number, a bad code, a bad date, javascript:"),
    ("spreadsheet/too-many-cells.csv", "cells but 6 columns", "cells past the header"),
    ("spreadsheet/empty.csv", "the file is empty", "no header row"),
    ("spreadsheet/latin1.csv", "not UTF-8", "Latin-1 instead of UTF-8"),
    ("spreadsheet/utf16.csv", "not UTF-8", "UTF-16 with a byte-order mark"),
    ("spreadsheet/unterminated-quote.csv", "malformed CSV", "a quote never closed"),
    ("spreadsheet/nul-byte.csv", "control character U+0000", "a NUL in a title (XLSX exports: 500 before)"),
    ("spreadsheet/path-id.csv", "invalid id", "../ and markup as ids"),
    ("spreadsheet/unknown-link-target.csv", "unknown document", "a link to ../../etc/passwd"),
    ("spreadsheet/huge-field.csv", "field larger than field limit", "a 200 kB cell"),
    ("spreadsheet/long-title.csv", "more than the limit of 1000", "a 2 400-character title (accepted before)"),
    ("spreadsheet/over-limit.csv", TOO_BIG, "past 4 MiB"),
    ("spreadsheet/many-rows.csv", "more than the limit of 20000 rows", "20 001 rows"),
    ("spreadsheet/not-a-workbook.xlsx", UNREADABLE, "text named .xlsx"),
    ("spreadsheet/zip-bomb.xlsx", "unpacks to", "180 kB unpacking to 120 MB (150 s and 2 GB before)"),
    ("spreadsheet/tag-flood.xlsx", "XML tags, more than the limit", "3.5 million empty rows under the unpacked limit"),
    ("spreadsheet/empty-rows.xlsx", "more than the limit of 20000 rows", "25 000 empty rows"),
    ("spreadsheet/xxe.xlsx", UNREADABLE, "an external entity in the sheet XML"),
    ("spreadsheet/stale-dimension.xlsx", "unknown kind 'NOT-A-KIND'", "a row outside the stated size (dropped before)"),
    ("spreadsheet/formula.xlsx", "missing title", "=HYPERLINK as a formula cell"),
    ("spreadsheet/wrong-types.xlsx", "unknown kind 'True'", "dates, floats and booleans in cells"),
    ("spreadsheet/chartsheet.xlsx", UNREADABLE, "a chart sheet named documents (a traceback before)"),
]


def _file_case(file: str, refusal: str, why: str) -> FileCase:
    cls, name = file.split("/")
    stem, _, suffix = name.partition(".")
    syntax = {"rdf": "", "jsonld": "jsonld-", "ttl": "turtle-", "nt": "ntriples-", "csv": "csv-", "xlsx": "xlsx-"}
    return FileCase(f"{cls}-{syntax.get(suffix, '')}{stem}", file, refusal, why, GENERATED.get(file))


FILE_CASES: tuple[FileCase, ...] = tuple(_file_case(*row) for row in _FILES)
assert len({case.id for case in FILE_CASES}) == len(FILE_CASES), "case ids must be unique"

# (id, status, what it attacks, query file or text, transport, extra parameters)
QUERY_CASES: tuple[QueryCase, ...] = (
    QueryCase("sparql-insert-data", 403, "SPARQL Update in query=", "insert-data.rq"),
    QueryCase("sparql-delete-where", 403, "SPARQL Update as a POST body", "delete-where.rq", transport="body"),
    QueryCase("sparql-drop-all", 403, "SPARQL Update in a form", "drop-all.rq", transport="form"),
    QueryCase("sparql-update-parameter", 403, "the update= parameter", "insert-data.rq", transport="update"),
    QueryCase("sparql-update-type", 403, "application/sparql-update", "delete-where.rq", transport="sparql-update"),
    QueryCase("sparql-escaped-insert", 403, "INSERT spelled with \\u escapes", "escaped-insert.rq"),
    QueryCase("sparql-load-url", 403, "LOAD of a URL (server-side request forgery)", "load-url.rq"),
    QueryCase("sparql-load-file", 403, "LOAD of a local file", "load-file.rq"),
    QueryCase("sparql-service", 403, "SERVICE to another server", "service.rq"),
    QueryCase("sparql-service-escaped", 403, "SERVICE in lower case with \\u escapes", "service-escaped.rq"),
    QueryCase("sparql-from-file", 200, "FROM <file:...> names a graph, reads nothing", "from-file.rq"),
    QueryCase("sparql-cross-product", 503, "runs forever: stopped at the time limit", "cross-product.rq"),
    QueryCase("sparql-million-rows", 400, "millions of rows: over the row limit", "million-rows.rq"),
    QueryCase("sparql-construct-everything", 400, "every triple: over the row limit", "construct-everything.rq"),
    QueryCase("sparql-regex-backtracking", 200, "a backtracking regex (Rust's engine is linear)", "regex.rq"),
    QueryCase("sparql-malformed", 400, "a syntax error", "malformed.rq"),
    QueryCase("sparql-empty", 400, "no query at all", text=lambda: ""),
    QueryCase(
        "sparql-deep-nesting",
        400,
        "5 000 nested groups (killed the worker: 500 before)",
        text=make.deep_groups,
        transport="body",
    ),
    QueryCase(
        "sparql-long-word", 400, "a 1 MB word (hours holding the GIL before)", text=make.long_word, transport="body"
    ),
    QueryCase("sparql-body-over-limit", 413, "a 2 MB body", text=lambda: "#" + "x" * 2_000_000, transport="body"),
    QueryCase(
        "sparql-bad-graph-iri",
        400,
        "a graph name that is no IRI (500 before)",
        "select-one.rq",
        params=(("default-graph-uri", "not an iri"),),
    ),
    QueryCase(
        "sparql-file-graph-iri",
        200,
        "a local file as graph name: no read",
        "select-one.rq",
        params=(("default-graph-uri", "file://@@SECRET@@"),),
    ),
)
