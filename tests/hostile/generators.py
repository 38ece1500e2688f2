"""Writers of the corpus files too big or too binary to keep in the repository.

Each takes the target path and the secret's path and takes milliseconds; the comments say
what the file cost before the fix that now refuses it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from loaders.spreadsheet import MAX_ROWS, MAX_SHEET_TAGS

CORPUS = Path(__file__).parent / "corpus"
RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="https://example.org/"'
HEADER = ["id", "title", "kind", "owners", "disease_areas", "status"]
Writer = Callable[[Path, Path], None]


def sparse(size: int) -> Writer:
    """A file of *size* bytes that takes no disk space."""

    def make(path: Path, secret: Path) -> None:
        with path.open("wb") as out:  # a sparse file: no disk or time spent on the size
            out.truncate(size)

    return make


def text(build: Callable[[], str]) -> Writer:
    """A UTF-8 file holding what *build* returns."""

    return lambda path, secret: path.write_text(build(), encoding="utf-8")


def late_billion_laughs() -> str:
    # The DTD after 64 KiB of comment: the old check looked at the first 64 KiB only.
    source = (CORPUS / "rdf" / "billion-laughs.rdf").read_text()
    declaration, rest = source.split("\n", 1)
    return f"{declaration}\n<!--{' ' * 70_000}-->\n{rest}"


def deep_rdf_xml() -> str:
    # Oxigraph's RDF/XML parser takes time growing with the square of the depth: 170 s here.
    depth = 100_000
    body = "<rdf:Description><e:p>" * depth + "<rdf:Description/>" + "</e:p></rdf:Description>" * depth
    return f'<?xml version="1.0"?><rdf:RDF {RDF_NS}>{body}</rdf:RDF>'


def deep_json(opening: str, closing: str, depth: int) -> Callable[[], str]:
    """JSON-LD whose one value nests *depth* times."""

    # Oxigraph's JSON-LD parser needs memory growing with the square of the depth: past 3 GB here.
    return lambda: (
        '{"@id": "https://example.org/deep", "https://example.org/p": ' + opening * depth + "1" + closing * depth + "}"
    )


def scoped_contexts() -> str:
    # 4 000 nodes under a property-scoped context of 4 000 terms: 35 s of CPU for 300 kB.
    terms = {f"q{j}": f"https://example.org/q{j}" for j in range(4000)}
    return json.dumps(
        {
            "@context": {"p": {"@id": "https://example.org/p", "@context": terms}},
            "@graph": [
                {"@id": f"https://example.org/n{i}", "p": {"@id": "https://example.org/o"}} for i in range(4000)
            ],
        }
    )


def huge_literal() -> str:
    # Under the size limit and accepted: what matters is that memory stays a small multiple.
    return f'<https://example.org/big> <http://www.w3.org/2000/01/rdf-schema#comment> "{"x" * 8_000_000}" .\n'


def deep_turtle() -> str:
    # Turtle nesting is parsed with a stack in Oxigraph: deep but harmless, so accepted.
    depth = 50_000
    return (
        "<https://example.org/t> <https://example.org/p> "
        + "[ <https://example.org/p> " * depth
        + "1"
        + " ]" * depth
        + " .\n"
    )


def long_title() -> str:
    # The title that was accepted before and made overlap pairing take 87 s.
    return f'<https://example.org/long> <http://purl.org/dc/terms/title> "{"Depression " * 350_000}"@da .\n'


def long_title_turtle() -> str:
    # A long title in a multi-line string, over the limit but far from the file's size limit.
    title = "Depression hos voksne,\n" * 50
    return (
        f'@prefix dcterms: <http://purl.org/dc/terms/> .\n\n<https://example.org/long> dcterms:title """{title}""" .\n'
    )


def long_title_json_ld() -> str:
    return json.dumps({"@id": "https://example.org/long", "http://purl.org/dc/terms/title": "Angst " * 300})


def long_title_yaml() -> str:
    record = "  - id: long\n    title: " + "Depression " * 300 + "\n    kind: NKR\n    owners: [sst]\n"
    return "documents:\n" + record + "    disease_areas: [F32]\n    status: published\n"


def long_title_csv() -> str:
    return f"id,title,kind,owners,disease_areas,status\nlong,{'Angst ' * 400},NKR,sst,F41,published\n"


def deep_yaml_flow() -> str:
    return "documents: " + "[" * 5000 + "]" * 5000 + "\n"


def deep_yaml_block() -> str:
    return "documents:\n" + "".join("  " * i + "- a:\n" for i in range(1, 1200))


def huge_csv_field() -> str:
    return f"id,title,kind,owners,disease_areas,status\nhuge,{'x' * 200_000},NKR,sst,F32,published\n"


def _workbook(path: Path, rows: list[list[object]], sheet: str = "documents") -> None:
    from openpyxl import Workbook

    book = Workbook()
    worksheet = book.active
    assert worksheet is not None
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    book.save(path)


def _rewrite_sheet(path: Path, change: Callable[[str], str]) -> None:
    """Write a one-row workbook to *path*, then replace its sheet XML by ``change(xml)``."""
    _workbook(path, [HEADER, ["ok", "Fin", "NKR", "sst", "F32", "published"]])
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = change(members[sheet].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _rows_xml(xml: str, extra: str) -> str:
    return xml.replace("</sheetData>", extra + "</sheetData>")


def zip_bomb(path: Path, secret: Path) -> None:
    # 20 million empty rows: 180 kB packed, 120 MB unpacked; 150 s and 2 GB to read before.
    _rewrite_sheet(path, lambda xml: _rows_xml(xml.replace('<dimension ref="A1:F2" />', ""), "<row/>" * 20_000_000))


def tag_flood(path: Path, secret: Path) -> None:
    # Under the unpacked limit, but more tags than a real list: openpyxl would keep them all.
    rows = MAX_SHEET_TAGS + 500_000
    _rewrite_sheet(path, lambda xml: _rows_xml(xml.replace('<dimension ref="A1:F2" />', ""), "<row/>" * rows))


def empty_rows(path: Path, secret: Path) -> None:
    _rewrite_sheet(path, lambda xml: _rows_xml(xml, "<row/>" * (MAX_ROWS + 5000)))


def csv_rows(path: Path, secret: Path) -> None:
    rows = "".join(f"row-{i},Række {i},NKR,sst,F32,published\n" for i in range(MAX_ROWS + 1))
    path.write_text("id,title,kind,owners,disease_areas,status\n" + rows, encoding="utf-8")


def xlsx_xxe(path: Path, secret: Path) -> None:
    def change(xml: str) -> str:
        doctype = f'<!DOCTYPE worksheet [<!ENTITY s SYSTEM "file://{secret}">]>'
        return xml.replace("<worksheet", doctype + "<worksheet", 1).replace(">Fin<", ">&s;<")

    _rewrite_sheet(path, change)


def stale_dimension(path: Path, secret: Path) -> None:
    # The sheet claims A1:F2 but has a third row; read-only openpyxl used to drop it silently.
    extra = '<row r="3">' + "".join(
        f'<c r="{col}3" t="inlineStr"><is><t>{value}</t></is></c>'
        for col, value in zip(
            "ABCDEF", ["hidden", "Skjult række", "NOT-A-KIND", "sst", "F32", "published"], strict=True
        )
    )
    _rewrite_sheet(path, lambda xml: _rows_xml(xml, extra + "</row>"))


def formula_title(path: Path, secret: Path) -> None:
    # A formula cell has no cached value in a file no spreadsheet program saved: no title at all.
    _workbook(path, [HEADER, ["formula", '=HYPERLINK("http://127.0.0.1:9/","klik")', "NKR", "sst", "F32", "published"]])


def wrong_type_cells(path: Path, secret: Path) -> None:
    import datetime as dt

    _workbook(path, [HEADER, [dt.datetime(2024, 1, 1), 3.5, True, 7, dt.time(12, 0), None]])


def chartsheet(path: Path, secret: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.create_chartsheet("documents")
    book.save(path)


def deep_groups() -> str:
    """A SPARQL query nesting 5 000 groups: Oxigraph's parser overflowed its stack at a few thousand."""
    return "SELECT * WHERE " + "{" * 5000 + "}" * 5000


def long_word() -> str:
    """A SPARQL query with a 1 MB word: the read-only check's regex took time growing with its square."""
    return "SELECT * WHERE { ?s ?p " + "a" * 1_000_000 + " }"
