"""Files and pictures made from the analyses: CSV, XLSX and SVG for planners' own tools.

Every export takes what the JSON API answers (the planning matrix built on
:func:`graph.analysis.views.coverage`, the gaps of :func:`graph.analysis.views.gaps`) and only changes its form;
the overlap network is in :mod:`graph.analysis.overlap_network`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from html import escape as xml_escape
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from graph import budget
from graph.analysis.planning import RULE_LABELS, STATES, Matrix
from graph.analysis.verdicts import LABELS as VERDICT_LABELS
from graph.analysis.verdicts import Verdicts
from graph.model.landscape import Document, Landscape

__all__ = [
    "STATE_COLOURS",
    "STATE_LABELS",
    "coverage_table",
    "csv_chunks",
    "gap_table",
    "matrix_svg",
    "overlap_table",
    "safe_cell",
    "to_csv",
    "to_xlsx",
]

# The page's colours (light fills with dark text: contrast above 7:1 for the numbers).
STATE_COLOURS = {"none": "F1F1F1", "historical": "D9D2E9", "stale": "F9D3CF", "partial": "FBE7A1", "covered": "BFE3C4"}
STATE_LABELS = {
    "none": ("ingen dokumenter", "no documents"),
    "historical": ("kun historisk vejledning (ikke vist gældende)", "only historical guidance (not shown in force)"),
    "stale": ("intet, der tæller som gældende vejledning", "nothing that counts as guidance in force"),
    "partial": ("delvist dækket", "partly covered"),
    "covered": ("dækket", "covered"),
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Table = tuple[list[str], list[list[Any]]]


def safe_cell(value: Any) -> Any:
    """Return *value* fit for a spreadsheet cell: lists joined, would-be formulas quoted.

    A cell starting with ``= + - @`` (or a tab or carriage return) is a formula to Excel and
    LibreOffice, so a title like ``=HYPERLINK(...)`` could run; a leading apostrophe keeps it text.
    """
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


# Tables --------------------------------------------------------------------------------


def coverage_table(matrix: Matrix) -> Table:
    """Return the matrix as columns and rows: per area the valid documents per kind and in all."""
    kinds = [k["id"] for k in matrix.kinds]
    columns = ["notation", "block", "level", "label", "label_en", *kinds, "total", "state"]
    rows = [
        [
            r.notation,
            r.block,
            r.level,
            r.label,
            r.label_en,
            *(c.count for c in r.cells),
            r.total.count,
            r.total.state,
        ]
        for r in matrix.rows
    ]
    return columns, rows


#: The gap list's columns, Danish and English heads, as a coordinator reads them in a spreadsheet.
GAP_COLUMNS = (
    ("regel", "rule"),
    ("alvor", "severity"),
    ("sygdomsområde", "disease area"),
    ("område eller ejer", "area or owner"),
    ("besked", "message"),
    ("dokumenter", "documents"),
    ("dokumenternes ejere", "the documents' owners"),
    ("senest udgivet eller revideret", "last issued or revised"),
    ("år over revisionshorisonten", "years over the review horizon"),
    ("eneste gældende vejledning for sine områder", "the only guidance in force for its areas"),
    ("dokument-id'er", "document ids"),
    ("fokus", "focus"),
)
_SEVERITIES = {"Violation": ("Fejl", "Violation"), "Warning": ("Advarsel", "Warning"), "Info": ("Info", "Info")}


def gap_table(gaps: Iterable[dict[str, Any]], lang: str = "da") -> Table:
    """Return the gaps (as GET /gaps answers them) as columns and rows: rule names, titles and owners in words."""
    en = lang == "en"
    yes_no = ("yes", "no") if en else ("ja", "nej")
    columns = [heads[en] for heads in GAP_COLUMNS]
    rows = []
    for gap in gaps:
        named = gap.get("named_documents") or []
        review = gap.get("review") or {}
        alone = review.get("only_guidance_in_force_for_its_areas")
        rows.append(
            [
                RULE_LABELS.get(gap["rule"], (gap["rule"], gap["rule"]))[en],
                _SEVERITIES.get(gap["severity"], (gap["severity"],) * 2)[en],
                gap.get("disease_area"),
                gap.get("label"),
                gap["message_en"] if en else gap["message"],
                [d["title"] for d in named],
                sorted({o for d in named for o in d["owners"]}),
                review.get("last_revised"),
                review.get("years_over_horizon"),
                None if alone is None else yes_no[0 if alone else 1],
                gap.get("documents"),
                gap.get("focus"),
            ]
        )
    return columns, rows


#: The documents list's columns: Danish heads, as a coordinator reads them in a spreadsheet.
DOCUMENT_COLUMNS = (
    ("id", "id"),
    ("titel", "title"),
    ("type", "kind"),
    ("ejere", "owners"),
    ("status", "status"),
    ("gyldighed", "validity"),
    ("niveau", "level"),
    ("formål", "purpose"),
    ("sygdomsområder", "disease_areas"),
    ("målgrupper", "populations"),
    ("udgivet", "issued"),
    ("revideret", "modified"),
    ("kontrolleret", "verified"),
    ("url", "url"),
)


def documents_table(land: Landscape, docs: Iterable[Document], lang: str = "da") -> Table:
    """Return documents as columns (Danish or English heads) and rows, with owners and areas by name."""
    columns = [da if lang == "da" else en for da, en in DOCUMENT_COLUMNS]
    rows = []
    for doc in docs:
        row: list[Any] = []
        for _, name in DOCUMENT_COLUMNS:
            if name == "owners":
                row.append([land.owner_name(o) for o in doc.owners])
            elif name == "disease_areas":
                row.append([land.notation(a) for a in doc.disease_areas])
            elif name == "kind":
                row.append(land.vocabulary.label(str(land.vocabulary.kind(doc.kind) or doc.kind), lang) or doc.kind)
            elif name == "status":
                row.append(land.concept_label("status", doc.status, lang) if doc.status else None)
            else:
                row.append(getattr(doc, name))
        rows.append(row)
    return columns, rows


#: The overlap list's columns: the engine's call and a coordinator's verdict side by side, Danish heads first.
OVERLAP_COLUMNS = (
    ("dokument", "document"),
    ("dokument-id", "document id"),
    ("ejere", "owners"),
    ("beslægtet dokument", "related document"),
    ("beslægtet dokument-id", "related document id"),
    ("beslægtet dokuments ejere", "related document's owners"),
    ("motorens relation", "engine's relation"),
    ("score", "score"),
    ("begrundelser", "reasons"),
    ("koordinators vurdering", "coordinator's verdict"),
    ("vurderingens note", "verdict note"),
    ("aftale", "agreement"),
    ("vurderet af", "judged by"),
    ("vurderet", "judged on"),
)
RELATION_LABELS = {
    "duplicate": ("dobbeltarbejde", "duplicate"),
    "overlap": ("overlap", "overlap"),
    "complementary": ("supplerende", "complementary"),
    "supersedes": ("erstatter", "supersedes"),
}


def overlap_table(land: Landscape, comparisons: Iterable[Any], judged: Verdicts, lang: str = "da") -> Table:
    """Return related pairs (as GET /overlaps answers them) with each pair's verdict, as columns and rows."""
    en = lang == "en"
    columns = [heads[en] for heads in OVERLAP_COLUMNS]
    rows = []
    for c in comparisons:
        a, b = land.documents[c.a], land.documents[c.b]
        verdict = judged.of(c.a, c.b)
        rows.append(
            [
                a.title,
                a.id,
                [land.owner_name(o) for o in a.owners],
                b.title,
                b.id,
                [land.owner_name(o) for o in b.owners],
                RELATION_LABELS.get(c.relation or "", (c.relation or "",) * 2)[en],
                round(c.score, 3),
                [r.text_en if en else r.text for r in c.reasons],
                VERDICT_LABELS[verdict.kind][en] if verdict else None,
                verdict.note if verdict else None,
                verdict.link if verdict else None,
                verdict.who if verdict else None,
                verdict.when[:10] if verdict else None,
            ]
        )
    return columns, rows


def _checked(rows: Sequence[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    """Yield *rows*, stopping when the request's budget says so (a gap export has tens of thousands at scale)."""
    for n, row in enumerate(rows):
        if n % 1024 == 0:
            budget.check()
        yield row


def csv_chunks(table: Table, rows_per_chunk: int = 256) -> Iterator[bytes]:
    """Yield *table* as :func:`to_csv` writes it, a few hundred rows at a time, for a streamed answer.

    A client that hangs up ends the stream at the next chunk (the request's budget is cancelled);
    its deadline does not apply here: the rows are made already, and only their sending is left.
    """
    columns, rows = table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)  # as in to_csv
    writer.writerow(columns)
    head = "\ufeff"  # the byte-order mark to_csv writes
    for start in range(0, len(rows), rows_per_chunk):
        spent = budget.current()
        if spent is not None and spent.cancelled:
            spent.outcome = "cancelled"
            return
        writer.writerows([safe_cell(v) for v in row] for row in rows[start : start + rows_per_chunk])
        yield (head + out.getvalue()).encode("utf-8")
        head = ""
        out.seek(0)
        out.truncate()
    if head or out.tell():
        yield (head + out.getvalue()).encode("utf-8")


def to_csv(table: Table) -> bytes:
    """Return *table* as UTF-8 CSV with a byte-order mark (spreadsheets then read æ, ø, å)."""
    columns, rows = table
    out = io.StringIO()
    # Every cell quoted: Excel with Danish settings splits on ';', so "x;=cmd" must stay one text cell.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    writer.writerows([safe_cell(v) for v in row] for row in _checked(rows))
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(
    table: Table,
    title: str,
    notes: Sequence[tuple[str, str]] = (),
    states: Sequence[Sequence[str]] | None = None,
) -> bytes:
    """Return *table* as an XLSX workbook: a sheet of data and a sheet saying what it is.

    Args:
        table: the columns and rows.
        title: the data sheet's name (at most 31 characters).
        notes: (key, value) lines for the second sheet, e.g. the filters used.
        states: optional per row, per count column from the sixth on, a state to colour the cell by.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    columns, rows = table
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in _checked(rows):
        sheet.append([safe_cell(v) for v in row])
    if states:
        for r, row_states in enumerate(states, start=2):
            for c, state in enumerate(row_states, start=6):
                sheet.cell(row=r, column=c).fill = PatternFill("solid", fgColor=STATE_COLOURS[state])
    sheet.freeze_panes = "B2"
    for index, name in enumerate(columns, start=1):
        width = max([len(str(name)), *(len(str(row[index - 1] or "")) for row in rows)])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(max(width + 2, 8), 60)
    about = book.create_sheet("Om - about")
    about.append(["retningsgraf", f"udtrukket / exported {dt.date.today().isoformat()}"])
    for key, value in notes:
        about.append([safe_cell(key), safe_cell(value)])
    if states:
        about.append([])
        about.append(["Farver / colours"])
        for state in STATES:
            about.append([state, f"{STATE_LABELS[state][0]} / {STATE_LABELS[state][1]}"])
            about.cell(row=about.max_row, column=1).fill = PatternFill("solid", fgColor=STATE_COLOURS[state])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The matrix as a picture ----------------------------------------------------------------

_SVG_HEADS = {
    "DMPGGuideline": ("DMPG", "DMPG"),
    "NationalClinicalRecommendation": ("NKA", "NKA"),
    "NationalClinicalGuideline": ("NKR", "NKR"),
    "CourseDescription": ("Forløb", "Course"),
    "PackagePathway": ("Pakke", "Package"),
    "ChooseWiselyRecommendation": ("Vælg Klogt", "Choosing Wisely"),
    "Guidance": ("Vejledning", "Guidance"),
    "RegionalGuideline": ("Regional", "Regional"),
    "Other": ("Andet", "Other"),
}


def matrix_svg(matrix: Matrix, lang: str = "da", categories: bool = False, caption: str = "") -> str:
    """Draw the matrix as an SVG picture for slides: a row per block (and category), a column per kind."""
    en = lang == "en"
    rows = [r for r in matrix.rows if categories or r.level == "block"]
    label_w, cell_w, cell_h, top = 440, 80, 26, 96
    width = label_w + cell_w * (len(matrix.kinds) + 1) + 20
    legend_y = top + cell_h * len(rows) + 24
    height = legend_y + 40
    title = (
        "Valid guiding documents per disease area and kind"
        if en
        else "Gældende retningsgivende dokumenter pr. sygdomsområde og type"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t">',
        f'<title id="t">{xml_escape(title)}</title>',
        '<style>text{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;fill:#1a1a1a}'
        ".h{font-weight:bold}.c{text-anchor:middle}.s{font-size:11px;fill:#444}</style>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="24" class="h" style="font-size:17px">{xml_escape(title)}</text>',
        f'<text x="10" y="44" class="s">{xml_escape(caption)}</text>',
    ]
    heads = [_SVG_HEADS[k["id"]][1 if en else 0] for k in matrix.kinds] + ["Total" if en else "I alt"]
    for i, head in enumerate(heads):
        x = label_w + cell_w * i + cell_w / 2
        lines = head.split(" ") if len(head) > 9 else [head]  # "Vælg Klogt" on two lines
        spans = "".join(
            f'<tspan x="{x}" dy="{0 if n == 0 else 15}">{xml_escape(t)}</tspan>' for n, t in enumerate(lines)
        )
        out.append(f'<text x="{x}" y="{top - 10 - 15 * (len(lines) - 1)}" class="c h">{spans}</text>')
    for j, row in enumerate(rows):
        y = top + cell_h * j
        name = row.label_en if en else row.label
        limit = 46 if row.level == "block" else 50  # bold block names are wider
        name = name if len(name) <= limit else name[: limit - 1] + "…"
        indent = 18 if row.level == "category" else 0
        out.append(
            f'<text x="{10 + indent}" y="{y + 17}" class="{"h" if row.level == "block" else ""}" '
            f'data-area="{row.notation}">'
            f"{row.notation} {xml_escape(name)}</text>"
        )
        for i, cell in enumerate([*row.cells, row.total]):
            x = label_w + cell_w * i
            out.append(
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="#{STATE_COLOURS[cell.state]}"/>'
                f'<text x="{x + cell_w / 2}" y="{y + 17}" class="c" data-area="{row.notation}" '
                f'data-kind="{cell.kind or "total"}">{cell.count}</text>'
            )
    x = 10
    for state in STATES:
        text = STATE_LABELS[state][1 if en else 0]
        out.append(
            f'<rect x="{x}" y="{legend_y}" width="18" height="18" fill="#{STATE_COLOURS[state]}" stroke="#888"/>'
        )
        out.append(f'<text x="{x + 24}" y="{legend_y + 14}" class="s">{xml_escape(text)}</text>')
        x += 40 + 7 * len(text)
    out.append("</svg>")
    return "\n".join(out)
