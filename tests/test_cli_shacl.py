"""``retningsgraf shacl``: a user checks their own RDF files with their own shapes."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SH

from api.cli import main

PREFIXES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
SHAPES = (
    PREFIXES
    + """
ex:GuidelineShape a sh:NodeShape ;
    sh:targetClass ex:Guideline ;
    sh:property [ sh:path ex:title ; sh:minCount 1 ; sh:message "Mangler titel"@da ] ;
    sh:property [ sh:path ex:issued ; sh:datatype xsd:date ; sh:severity sh:Warning ] .
"""
)


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Done:
    """Run ``retningsgraf shacl *args`` in this process (``tests/test_cli.py`` runs the commands as a user does)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["shacl", *args])
    return Done(code, out.getvalue(), err.getvalue())


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "shapes.ttl").write_text(SHAPES, encoding="utf-8")
    (tmp_path / "good.ttl").write_text(PREFIXES + 'ex:a a ex:Guideline ; ex:title "A" .', encoding="utf-8")
    (tmp_path / "bad.ttl").write_text(PREFIXES + 'ex:b a ex:Guideline ; ex:issued "2020" .', encoding="utf-8")
    (tmp_path / "late.ttl").write_text(PREFIXES + 'ex:c a ex:Guideline ; ex:title "C" ; ex:issued "x" .', "utf-8")
    return tmp_path


def test_conforming_data_exits_0_with_a_report_that_conforms(files: Path) -> None:
    done = run("--data", str(files / "good.ttl"), "--shapes", str(files / "shapes.ttl"))
    assert done.returncode == 0, done.stderr
    report = Graph().parse(data=done.stdout, format="turtle")
    assert (None, SH.conforms, Literal(True)) in report
    assert not list(report.objects(None, SH.result))


def test_a_violation_exits_1_and_the_text_names_focus_path_and_message(files: Path) -> None:
    done = run("--data", str(files / "bad.ttl"), "--shapes", str(files / "shapes.ttl"), "--format", "text")
    assert done.returncode == 1
    assert done.stdout.startswith("does not conform: 2 result(s), engine fast")
    assert "Violation http://example.org/b http://example.org/title [MinCountConstraintComponent]: Mangler titel" in (
        done.stdout
    )
    assert "Warning http://example.org/b http://example.org/issued = 2020 [DatatypeConstraintComponent]" in done.stdout


def test_warnings_alone_exit_0_but_the_w3c_report_does_not_conform(files: Path) -> None:
    done = run("--data", str(files / "late.ttl"), "--shapes", str(files / "shapes.ttl"), "--format", "json")
    assert done.returncode == 0
    body = json.loads(done.stdout)
    assert body["conforms"] is False and body["engine"] == "fast"
    assert [r["severity"] for r in body["results"]] == ["Warning"]


def test_shapes_the_fast_engine_lacks_are_validated_by_pyshacl_turbo_and_it_says_so(files: Path) -> None:
    # $this only inside FILTER NOT EXISTS: answering it needs pre-binding per focus node.
    (files / "sparql.ttl").write_text(
        PREFIXES
        + """ex:S a sh:NodeShape ; sh:targetClass ex:Guideline ;
            sh:sparql [ sh:select "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:title ?t } }" ;
                        sh:prefixes ex:Prefixes ] .
        ex:Prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .""",
        encoding="utf-8",
    )
    done = run("--data", str(files / "bad.ttl"), "--shapes", str(files / "sparql.ttl"), "--format", "json")
    body = json.loads(done.stdout)
    assert done.returncode == 1
    assert body["engine"] == "turbo" and "$this" in body["fallback_reason"]
    assert [(r["focus"], r["component"]) for r in body["results"]] == [
        ("http://example.org/b", "SPARQLConstraintComponent")
    ]


def test_a_malformed_file_exits_2_naming_file_line_and_column(files: Path) -> None:
    (files / "broken.ttl").write_text(PREFIXES + "ex:a ex:title .\n", encoding="utf-8")
    done = run("--data", str(files / "broken.ttl"), "--shapes", str(files / "shapes.ttl"))
    assert done.returncode == 2
    assert f"{files / 'broken.ttl'}:5:" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_file_type_and_a_missing_file_are_refused(files: Path) -> None:
    (files / "notes.txt").write_text("hello", encoding="utf-8")
    unknown = run("--data", str(files / "notes.txt"), "--shapes", str(files / "shapes.ttl"))
    missing = run("--data", str(files / "nope.ttl"), "--shapes", str(files / "shapes.ttl"))
    assert unknown.returncode == missing.returncode == 2
    assert "unknown RDF file type '.txt'" in unknown.stderr
    assert "no such file" in missing.stderr


def test_a_sparql_constraint_with_service_is_refused_before_any_engine_runs(files: Path) -> None:
    (files / "service.ttl").write_text(
        PREFIXES
        + '''ex:S a sh:NodeShape ; sh:targetClass ex:Guideline ;
            sh:sparql [ sh:select """SELECT $this WHERE {
                $this ?p ?o . SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } }""" ] .''',
        encoding="utf-8",
    )
    done = run("--data", str(files / "good.ttl"), "--shapes", str(files / "service.ttl"))
    assert done.returncode == 2
    assert "unsupported" in done.stderr and "SERVICE" in done.stderr
    assert done.stdout == ""
