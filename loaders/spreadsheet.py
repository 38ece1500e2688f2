"""Load a coordinator's list of documents from CSV or XLSX (one row per document).

The first row names the columns; the column names are the registry's document fields
(see ``loaders/registry/README.md``).  List cells (owners, disease_areas, populations,
topics, sources, links) separate values with ``;``; a link is ``type:target-id``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rdflib import Graph

from graph.model.vocabulary import vocabulary
from graph.store.namespaces import Minter
from loaders.records import DOCUMENT_FIELDS, Context, LoadError, Problem, RecordConverter

__all__ = ["COLUMNS", "MAX_ROWS", "MAX_SHEET_TAGS", "MAX_UNPACKED_BYTES", "REQUIRED", "load", "rows"]

COLUMNS = tuple(name for name in DOCUMENT_FIELDS)
REQUIRED = ("id", "title", "kind", "owners", "disease_areas", "status")
# A coordinator's list has hundreds of rows.  Empty rows count too: a few kilobytes of
# compressed XLSX can hold millions of them and take minutes and gigabytes to read.
MAX_ROWS = 20_000
# An XLSX file is a zip archive; a small one may unpack to gigabytes ("zip bomb").  A real
# list of 20 000 rows and a dozen columns unpacks to 15 MB holding 1.5 million tags; at the
# tag limit openpyxl needs at worst some 8 s and 300 MB.
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_SHEET_TAGS = 150 * MAX_ROWS
SKIP: dict[str, str] = {}

Record = dict[str, Any]


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise LoadError(
            str(path),
            [Problem(f"byte {error.start}", None, "not UTF-8 text (save the sheet as 'CSV UTF-8')")],
        ) from error
    first = text.split("\n", 1)[0]
    # Danish spreadsheet programs write ';' between columns, others ','.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as error:
        raise LoadError(str(path), [Problem("file", None, f"malformed CSV: {error}")]) from error


def _check_archive(path: Path) -> None:
    """Refuse a zip bomb before openpyxl opens it: too much unpacked, or too many XML tags in a sheet.

    openpyxl reads a sheet that does not state its size through once, keeping every element
    (time and memory grow with the unpacked size, to minutes and gigabytes for a zip bomb), so
    the tags are counted first, by streaming.
    """
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if unpacked > MAX_UNPACKED_BYTES:
            problem = f"unpacks to {unpacked} bytes, more than the limit of {MAX_UNPACKED_BYTES}"
            raise LoadError(str(path), [Problem("file", None, problem)])
        for member in members:
            if not member.filename.startswith("xl/worksheets/"):
                continue
            tags = 0
            with archive.open(member) as stream:  # stops at the size the archive states
                while chunk := stream.read(1 << 20):
                    tags += chunk.count(b"<")
            if tags > MAX_SHEET_TAGS:
                problem = f"{member.filename} has {tags} XML tags, more than the limit of {MAX_SHEET_TAGS}"
                raise LoadError(str(path), [Problem("file", None, problem)])


def _unreadable(path: Path, error: Exception) -> LoadError:
    return LoadError(str(path), [Problem("file", None, f"not a readable XLSX workbook: {error!r}")])


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # imported here: only XLSX needs it

    # openpyxl raises whatever a crafted file provokes (AttributeError for a chart sheet,
    # KeyError, zipfile errors...), so any failure of it is the file's, reported as such.
    try:
        _check_archive(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except LoadError:
        raise
    except Exception as error:
        raise _unreadable(path, error) from error
    try:
        sheet = workbook["documents"] if "documents" in workbook.sheetnames else workbook.worksheets[0]
        # Read-only mode trusts the sheet's stored dimensions and would silently drop rows
        # and cells outside them; forgetting them makes it read what is really there.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
    except Exception as error:
        workbook.close()
        raise _unreadable(path, error) from error
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:
                raise _unreadable(path, error) from error
            yield list(row)
    finally:
        workbook.close()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def rows(path: Path) -> list[tuple[int, Record]]:
    """Return (row number, record) for each non-empty data row of *path*.

    Raises:
        LoadError: if the file cannot be read or its header lacks or adds columns.
    """
    reader = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    header: list[str] | None = None
    records: list[tuple[int, Record]] = []
    for number, raw in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise LoadError(str(path), [Problem(f"row {number}", None, f"more than the limit of {MAX_ROWS} rows")])
        cells = [_cell(value) for value in raw]
        if header is None:
            header = [str(name).strip().casefold() for name in cells]
            while header and not header[-1]:
                header.pop()
            problems = [Problem("row 1", name, "unknown column") for name in header if name not in COLUMNS]
            problems += [
                Problem("row 1", name, "required column is missing") for name in REQUIRED if name not in header
            ]
            dupes = {name for name in header if header.count(name) > 1}
            problems += [Problem("row 1", name, "column appears twice") for name in sorted(dupes)]
            if problems:
                raise LoadError(str(path), problems)
            continue
        if not any(cell not in ("", None) for cell in cells):
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise LoadError(
                str(path),
                [Problem(f"row {number}", None, f"{len(cells)} cells but {len(header)} columns")],
            )
        records.append((number, {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}))
    if header is None:
        raise LoadError(str(path), [Problem("row 1", None, "the file is empty: expected a header row")])
    return records


def load(path: Path, minter: Minter, context: Context) -> Graph:
    """Return the documents in *path* as triples, without network access.

    Raises:
        LoadError: naming the row and column of every problem; nothing is returned then.
    """
    records = rows(path)
    own = {str(record.get("id")) for _, record in records}
    converter = RecordConverter(vocabulary(), minter, Context(context.organisations, context.documents | own))
    seen: dict[str, int] = {}
    for number, record in records:
        doc_id = str(record.get("id"))
        if doc_id in SKIP:
            continue
        if doc_id in seen:
            converter.problems.append(
                Problem(f"row {number}", "id", f"duplicate id {doc_id!r} (first in row {seen[doc_id]})")
            )
        seen[doc_id] = number

        def at(field: str | None, number: int = number) -> str:
            return f"row {number}"

        converter.document(record, at)
    if converter.problems:
        raise LoadError(str(path), converter.problems)
    return converter.graph
