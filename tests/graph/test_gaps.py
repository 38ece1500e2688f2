"""Gap rules: one run of each SHACL-SPARQL gap rule finds exactly what a strict SHACL engine (pyshacl-turbo) finds."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import pytest
from pyshacl_turbo import validate as turbo_validate
from rdflib import Graph, URIRef

from graph.model.vocabulary import vocabulary
from graph.store.core import Store
from graph.store.namespaces import GD, RDF, SH
from graph.store.spec import open_store
from graph.validation.gaps import GAP_SHAPES_DIR, GapResult, rules, run_rules
from loaders.ingest import load_files, vocabulary_writes

DATA = Path(__file__).resolve().parent.parent / "data" / "gaps"
FIXTURES = sorted(p for p in DATA.iterdir() if p.suffix in (".yaml", ".ttl"))
# Each fixture alone, plus the one that is meant to be loaded on top of another.
SCENARIOS = [[p.name] for p in FIXTURES] + [["orphanedNKR.yaml", "orphanedNKR-filled.yaml"]]
DOC = "https://w3id.org/retningsgraf/document/"
ORG = "https://w3id.org/retningsgraf/organisation/"
ICD10 = "https://w3id.org/retningsgraf/icd10/"


def _render(path: Path, directory: Path) -> Path:
    """Copy *path* to *directory*, filling in ``${last_year}`` so the review horizon holds."""
    target = directory / path.name
    text = string.Template(path.read_text(encoding="utf-8")).substitute(last_year=dt.date.today().year - 1)
    target.write_text(text, encoding="utf-8")
    return target


def _store(names: list[str], directory: Path) -> Store:
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    _load(store, names, directory)
    return store


def _load(store: Store, names: list[str], directory: Path) -> None:
    load_files(store, [_render(DATA / name, directory) for name in names], progress=False)


def _found(results: list[GapResult]) -> set[tuple[str, str, str | None]]:
    """The gaps other than uncovered planning areas, as (rule, focus id, value id)."""
    return {
        (r.rule, r.focus.rsplit("/", 1)[-1], r.value.rsplit("/", 1)[-1] if r.value else None)
        for r in results
        if r.rule != "uncovered"
    }


def _uncovered(results: list[GapResult]) -> set[str]:
    return {r.focus.rsplit("/", 1)[-1] for r in results if r.rule == "uncovered"}


def _planning_areas() -> set[str]:
    return {str(c).rsplit("/", 1)[-1] for c in vocabulary().graph.subjects(GD.planningLevel, None)}


# The same results as a strict SHACL engine ------------------------------------------------


def _gap_shapes() -> Graph:
    graph = Graph()
    for path in sorted(GAP_SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def _turbo(store: Store) -> set[tuple[str, str, str | None, str, frozenset[str]]]:
    """Run pyshacl-turbo over the store's union graph (vocabulary included), $this pre-bound per focus node.

    The reference that runs the shapes as SHACL says: strict about SHACL-SPARQL syntax, and as
    exact as pySHACL (the same results on every fixture) at a fraction of its time.
    """
    _, report, text = turbo_validate(store.union(), shacl_graph=_gap_shapes(), inference="none", allow_warnings=True)
    assert isinstance(report, Graph), text  # shapes it refuses come back as a ValidationFailure
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus, value = report.value(result, SH.focusNode), report.value(result, SH.value)
        # Without a ?value, SHACL reports the focus node itself as the value of a node shape.
        found.add(
            (
                str(focus),
                str(report.value(result, SH.sourceShape)),
                None if value is None or value == focus else str(value),
                str(report.value(result, SH.resultSeverity)).split("#")[-1],
                frozenset(str(m) for m in report.objects(result, SH.resultMessage)),
            )
        )
    return found


def _comparable(results: list[GapResult]) -> set[tuple[str, str, str | None, str, frozenset[str]]]:
    # The reference drops the language tags of SPARQL messages, so compare them as plain strings.
    return {(r.focus, r.shape, r.value, r.severity, frozenset((r.message, r.message_en))) for r in results}


@pytest.mark.parametrize("names", SCENARIOS, ids=lambda names: "+".join(Path(n).stem for n in names))
def test_run_rules_finds_exactly_what_a_strict_engine_finds(names: list[str], tmp_path: Path) -> None:
    store = _store(names, tmp_path)
    assert _comparable(run_rules(store)) == _turbo(store)


def test_run_rules_finds_exactly_what_a_strict_engine_finds_in_a_synthetic_landscape(
    synthetic_3k_store: Store,
) -> None:
    ours = run_rules(synthetic_3k_store)
    assert {r.rule for r in ours} >= {"orphanedNKR", "reviewHorizon", "idleDMPG"}
    assert _comparable(ours) == _turbo(synthetic_3k_store)


def test_there_is_a_fixture_for_every_rule_and_one_where_nothing_fires() -> None:
    named = {p.stem.split("-")[0] for p in FIXTURES}
    assert {r.name for r in rules()} <= named
    assert "nothing" in named


# What each rule finds ---------------------------------------------------------------------


def test_a_store_with_only_the_vocabulary_has_every_planning_area_uncovered(store: Store) -> None:
    results = run_rules(store)
    assert _uncovered(results) == _planning_areas()
    assert len(_planning_areas()) > 40
    assert _found(results) == set()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("uncovered.yaml", {("orphanedNKR", "gap-skz-old", "F20")}),
        ("children.yaml", {("children", "F50", None), ("children", "F50-F59", None)}),
        (
            "childhoodOnset.yaml",
            {("childhoodOnset", "F90", None), ("childhoodOnset", "F90-F98", None)},
        ),
        ("treatment.yaml", {("treatment", "F20", None), ("treatment", "F20-F29", None)}),
        (
            "orphanedNKR.yaml",
            {
                ("orphanedNKR", "gap-nkr-alcohol", "F10"),
                ("reviewHorizon", "gap-alcohol-old-guidance", None),
                ("children", "F10", None),
                ("children", "F10-F19", None),
            },
        ),
        (
            "orphanedNKR-scopes.yaml",
            {
                ("orphanedNKR", "gap-nkr-psychosis", "F20"),
                ("orphanedNKR", "gap-nkr-depression", "F32"),
                ("orphanedNKR", "gap-nkr-eating", "F50"),
                ("reviewHorizon", "gap-depression-old-assessment", None),
                ("children", "F32", None),
                ("children", "F30-F39", None),
            },
        ),
        ("reviewHorizon.yaml", {("reviewHorizon", "gap-old", None)}),
        (
            "idleDMPG.yaml",
            {
                ("idleDMPG", "gap-dmpg-idle", None),
                ("children", "F41", None),
                ("children", "F40-F48", None),
            },
        ),
        ("nothing.ttl", set()),
    ],
)
def test_each_fixture_fires_its_rule(name: str, expected: set[tuple[str, str, str | None]], tmp_path: Path) -> None:
    assert _found(run_rules(_store([name], tmp_path))) == expected


def test_an_area_without_valid_guidance_is_uncovered_and_a_block_document_covers_its_categories(
    tmp_path: Path,
) -> None:
    uncovered = _uncovered(run_rules(_store(["uncovered.yaml"], tmp_path)))
    assert {"F20", "F20-F29"} <= uncovered  # only a not-valid document there
    # The valid document on the block F30-F39 covers the block and its categories.
    assert not {"F30-F39", "F30", "F31", "F32", "F33", "F34"} & uncovered


def test_nothing_fires_when_every_planning_block_has_current_treatment_guidance_for_all(
    tmp_path: Path,
) -> None:
    assert run_rules(_store(["nothing.ttl"], tmp_path)) == []


def test_review_horizon_fires_for_a_document_issued_over_three_years_ago_only(
    tmp_path: Path,
) -> None:
    results = run_rules(_store(["reviewHorizon.yaml"], tmp_path))
    due = {r.focus for r in results if r.rule == "reviewHorizon"}
    # Not gap-recent (issued last year), gap-revised (modified last year) or gap-withdrawn-old.
    assert due == {DOC + "gap-old"}


def test_an_orphaned_nkr_stops_firing_when_a_current_dmpg_guideline_covers_its_scope(
    tmp_path: Path,
) -> None:
    store = _store(["orphanedNKR.yaml"], tmp_path)
    orphaned = [r for r in run_rules(store) if r.rule == "orphanedNKR"]
    assert [(r.focus, r.value) for r in orphaned] == [(DOC + "gap-nkr-alcohol", ICD10 + "F10")]
    _load(store, ["orphanedNKR-filled.yaml"], tmp_path)
    assert [r for r in run_rules(store) if r.rule == "orphanedNKR"] == []


def test_an_idle_dmpg_is_the_one_without_a_published_guideline(tmp_path: Path) -> None:
    idle = {r.focus for r in run_rules(_store(["idleDMPG.yaml"], tmp_path)) if r.rule == "idleDMPG"}
    assert idle == {ORG + "gap-dmpg-idle"}


@pytest.mark.parametrize("names", SCENARIOS, ids=lambda names: "+".join(Path(n).stem for n in names))
def test_gap_messages_are_filled_in_and_every_gap_is_a_warning(names: list[str], tmp_path: Path) -> None:
    for result in run_rules(_store(names, tmp_path)):
        assert result.severity == "Warning"
        assert result.message and result.message_en
        assert "{" not in result.message + result.message_en, result
        if result.rule in ("uncovered", "children", "treatment"):
            notation = result.focus.rsplit("/", 1)[-1]
            assert f" {notation}" in result.message and f" {notation}" in result.message_en


def test_messages_name_the_code_and_the_review_date(tmp_path: Path) -> None:
    results = run_rules(_store(["orphanedNKR.yaml", "reviewHorizon.yaml"], tmp_path))
    orphaned = next(r for r in results if r.rule == "orphanedNKR")
    assert "dækker F10 for samme emne" in orphaned.message
    assert "covers F10 for the same topic" in orphaned.message_en
    review = next(r for r in results if r.focus == DOC + "gap-old")
    assert "2015-04-01" in review.message and "2015-04-01" in review.message_en


# Caching --------------------------------------------------------------------------------------


def test_run_rules_is_computed_once_until_the_next_write(tmp_path: Path) -> None:
    store = _store(["children.yaml"], tmp_path)
    first = run_rules(store)
    assert run_rules(store) is first
    generation = store.generation
    _load(store, ["treatment.yaml"], tmp_path)
    assert store.generation > generation
    second = run_rules(store)
    assert second is not first
    assert ("treatment", "F20", None) in _found(second) - _found(first)


def test_a_selection_of_rules_is_not_cached_as_all_gaps(tmp_path: Path) -> None:
    store = _store(["idleDMPG.yaml"], tmp_path)
    idle = tuple(r for r in rules() if r.name == "idleDMPG")
    assert {r.rule for r in run_rules(store, idle)} == {"idleDMPG"}
    assert {r.rule for r in run_rules(store)} == {"idleDMPG", "children", "uncovered"}


def test_rules_carry_their_shape_iri_and_warning_severity() -> None:
    found = {r.name: r for r in rules()}
    assert set(found) == {
        "uncovered",
        "children",
        "childhoodOnset",
        "treatment",
        "orphanedNKR",
        "reviewHorizon",
        "idleDMPG",
    }
    for name, rule in found.items():
        assert rule.shape == str(GD[f"GapShape-{name}"])
        assert rule.severity == "Warning"
        assert URIRef(rule.shape) in set(_gap_shapes().subjects(RDF.type, SH.NodeShape))
