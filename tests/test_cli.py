"""The retningsgraf command line as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

pytestmark = pytest.mark.slow  # each command runs in a subprocess, as a user runs it

DATA = Path(__file__).parent / "data" / "loaders"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_load_into_a_persistent_store_reports_counts_and_persists(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    done = run("load", "--store", store, str(DATA / "family.yaml"))
    assert done.returncode == 0, done.stderr
    assert "2 dokumenter" in done.stdout
    exported = run("export", "--store", store, "--format", "nt")
    assert "test-guideline" in exported.stdout


def test_load_of_a_bad_file_exits_2_and_names_file_and_line(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    before = run("export", "--store", store, "--format", "nq").stdout
    done = run("load", "--store", store, str(DATA / "bad-fields.yaml"))
    assert done.returncode == 2
    assert "bad-fields.yaml:line 5, field 'kind'" in done.stderr
    assert run("export", "--store", store, "--format", "nq").stdout.count("\n") == before.count("\n")


def test_export_writes_parseable_turtle_and_jsonld(tmp_path: Path) -> None:
    for fmt, parser in (("ttl", "turtle"), ("jsonld", "json-ld")):
        out = tmp_path / f"graph.{fmt}"
        assert run("export", "--format", fmt, "--output", str(out)).returncode == 0
        graph = Graph().parse(out, format=parser)
        assert len(graph) > 1000


def test_validate_on_the_shipped_registry_reports_no_violations() -> None:
    done = run("validate", "--format", "json")
    assert done.returncode == 0, done.stdout[-2000:]
    report = json.loads(done.stdout)
    assert report["conforms"] is True
    assert all(r["severity"] != "Violation" for r in report["results"])
    assert all(r["message"] for r in report["results"]), "every warning has a message"


def test_validate_exits_1_when_a_loaded_file_breaks_a_rule(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'db'}"
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix gd: <https://w3id.org/retningsgraf/ontology#> .\n"
        "<https://w3id.org/retningsgraf/document/no-title> a gd:GuidingDocument , gd:Other .\n"
    )
    assert run("load", "--store", store, str(broken)).returncode == 0
    done = run("validate", "--store", store)
    assert done.returncode == 1
    assert "no-title" in done.stdout
