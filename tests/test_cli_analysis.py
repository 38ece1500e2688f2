"""The analysis commands of the CLI: gaps, overlaps, check-draft and evaluate."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from graph.store.core import QUERIES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow  # a subprocess, as a user runs the command
def test_gaps_as_csv_name_the_areas_left_by_not_valid_nkrs() -> None:
    done = run("gaps", "--rule", "orphanedNKR", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and all(r["rule"] == "orphanedNKR" and r["severity"] == "Warning" for r in rows)
    assert "F10.2" in {r["disease_area"] for r in rows}, "alcohol dependence is left without current guidance"


@pytest.mark.slow  # a subprocess, as a user runs the command
def test_overlaps_json_lists_scored_pairs_with_reasons() -> None:
    done = run("overlaps", "--relation", "supersedes", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(r["relation"] == "supersedes" and 0 <= r["score"] <= 1 and r["reasons"] for r in rows)
    assert {"a": "vej-antipsykotika-voksne", "b": "vej-antipsykotika-2007"}.items() <= next(
        r for r in rows if r["b"] == "vej-antipsykotika-2007"
    ).items()


@pytest.mark.slow  # a subprocess, as a user runs the command
def test_check_draft_finds_the_planned_dmpg_guideline(tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text('title: "Behandling af alkoholmisbrug og -afhængighed"\nowner: dmpg-rus\ndisease_areas: [DF10]\n')
    done = run("check-draft", str(draft), "--format", "json", "--limit", "5")
    assert done.returncode == 0, done.stderr
    ids = [row["id"] for row in json.loads(done.stdout)]
    assert "dmpg-rus-alkohol" in ids and "nkr-alkohol" in ids


@pytest.mark.slow  # a subprocess, as a user runs the command
def test_check_draft_with_an_unknown_code_exits_2_naming_it(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text('{"title": "Noget", "disease_areas": ["F08"]}')
    done = run("check-draft", str(draft))
    assert done.returncode == 2
    assert "F08" in done.stderr


def test_csv_output_defuses_spreadsheet_formulas(capsys) -> None:  # type: ignore[no-untyped-def]
    from api.cli import _emit

    _emit(
        [{"title": '=HYPERLINK("http://example.org")', "id": "@x", "n": 3}],
        ["title", "id", "n"],
        "csv",
    )
    cells = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1]
    assert cells == ['\'=HYPERLINK("http://example.org")', "'@x", "3"]


@pytest.mark.slow  # a subprocess, as a user runs the command
def test_evaluate_reports_precision_and_recall() -> None:
    done = run("evaluate", "--format", "json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["support"]["duplicate"] >= 8
    # This first set labels a duplicate by scope; issue 15 made a duplicate the same question (same
    # intervention), measured on the second set (--set v2), so here most scope "duplicates" are now overlap:
    # the same floor as tests/graph/test_evaluation.py.
    assert figures["precision"]["duplicate"] >= 0.3
    # The target is 0.9 and not met yet (see the evaluation note); this only stops it from getting worse.
    assert figures["recall_at_5"] >= 0.75


@pytest.mark.slow  # a subprocess, as a user runs the command
def test_evaluate_v2_reports_one_fixed_part() -> None:
    """The held-out part is measured on its own: its pairs and drafts only, with the headline figures."""
    from graph.analysis.evaluation_v2 import load_v2

    pairs, drafts = load_v2()
    done = run("evaluate", "--set", "v2", "--part", "held-out", "--format", "json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["part"] == "held-out"
    assert figures["pairs"] == sum(1 for p in pairs if p["part"] == "held-out") < len(pairs)
    assert figures["drafts"] == sum(1 for d in drafts if d["part"] == "held-out") < len(drafts)
    assert {"duplicate_precision", "supersedes_precision", "recall_at_5", "negatives_above_floor"} <= set(figures)


def test_ownership_as_of_a_date_follows_the_sundk_merger(tmp_path: Path) -> None:
    """A document owned by RKKP is held by SundK once the merger took effect (2025-01-01)."""
    from graph.store.spec import open_store
    from loaders.ingest import ensure_seeded, load_files

    store = open_store("memory")
    ensure_seeded(store)
    doc = tmp_path / "rkkp-doc.csv"
    doc.write_text("id,title,kind,owners,disease_areas,status\nrkkp-test-doc,Testdokument,Other,rkkp,F32,published\n")
    load_files(store, [doc], progress=False)
    query = (QUERIES / "examples" / "owners_as_of_date.rq").read_text()

    def holder(day: str) -> set[str]:
        rows = store.select(query.replace('"2025-06-01"', f'"{day}"'))
        return {str(r["ownerAsOfName"]) for r in rows if str(r["document"]).endswith("/rkkp-test-doc")}

    assert holder("2024-06-01") == {"Regionernes Kliniske Kvalitetsudviklingsprogram"}
    assert holder("2025-06-01") == {"Sundhedsvæsenets Kvalitetsinstitut"}
