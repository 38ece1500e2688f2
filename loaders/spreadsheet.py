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

from graph.namespaces import Minter
from graph.vocabulary import vocabulary
from loaders.records import DOCUMENT_FIELDS, Context, LoadError, Problem, RecordConverter

__all__ = ["COLUMNS", "REQUIRED", "load", "rows"]

COLUMNS = tuple(name for name in DOCUMENT_FIELDS)
REQUIRED = ("id", "title", "kind", "owners", "disease_areas", "status")
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


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # imported here: only XLSX needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise LoadError(str(path), [Problem("file", None, f"not a readable XLSX workbook: {error}")]) from error
    try:
        sheet = workbook["documents"] if "documents" in workbook.sheetnames else workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
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
