"""graph.analysis.views: hierarchical filters, validity on a day, and coverage of the planning areas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from graph.analysis.views import FilterError, Filters, coverage, document_json, filter_documents, gaps
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from graph.validation.gaps import run_rules
from loaders.ingest import load_files, vocabulary_writes

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def overlap_store() -> Store:
    """The small landscape of tests/data/overlap/landscape.yaml over the vocabulary."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    load_files(store, [DATA / "overlap" / "landscape.yaml"], progress=False)
    return store


@pytest.fixture(scope="module")
def land(overlap_store: Store) -> Landscape:
    return landscape(overlap_store)


def _ids(land: Landscape, **filters: object) -> set[str]:
    return {d.id for d in filter_documents(land, Filters(**filters))}  # type: ignore[arg-type]


# Filters ------------------------------------------------------------------------------------


def test_a_disease_area_filter_includes_narrower_codes(land: Landscape) -> None:
    affective = {
        "affective-block",
        "dep-pharma",
        "dep-moderate",
        "recurrent-dep",
        "bipolar-broad",
        "bipolar-lithium-nka",
    }
    assert _ids(land, disease_area="F30-F39") == affective
    # F32 and F32.1, not the block above them.
    assert _ids(land, disease_area="F32") == {"dep-pharma", "dep-moderate"}
    assert _ids(land, disease_area="DF32") == _ids(land, disease_area="F32")
    assert _ids(land, disease_area="F32.1") == {"dep-moderate"}
    assert _ids(land, disease_area="F32-F33") == {"dep-pharma", "dep-moderate", "recurrent-dep"}


def test_an_owner_filter_includes_sub_organisations(land: Landscape) -> None:
    umbrella = {
        "dep-pharma",
        "ocd-dmpg",
        "eating-guideline",
        "bipolar-broad",
        "adhd-new",
        "autism-planned",
    }
    assert _ids(land, owner="t-umbrella") == umbrella
    assert _ids(land, owner="Testparaplyen") == umbrella
    assert _ids(land, owner="DMPG Testdepression") == {"dep-pharma", "ocd-dmpg", "eating-guideline"}


def test_the_dmpg_umbrella_includes_every_dmpg_groups_documents(registry_store: Store) -> None:
    land = landscape(registry_store)
    groups = {o.id for o in land.organisations.values() if o.parent == "dmpg-dk"}
    expected = {d.id for d in land.documents.values() if set(d.owners) & (groups | {"dmpg-dk"})}
    assert "dmpg-skz" in groups
    assert any("dmpg-skz" in land.documents[d].owners for d in expected)
    assert _ids(land, owner="dmpg-dk") == expected


def test_topic_treatment_includes_pharmacological_and_non_pharmacological(land: Landscape) -> None:
    treatment = _ids(land, topic="treatment")
    assert "dep-pharma" in treatment  # topics: pharmacological only
    assert treatment == _ids(land, topic="behandling")
    # The narrower topic does not widen to its parent.
    assert _ids(land, topic="pharmacological") == {"dep-pharma"}


def test_population_filter_includes_documents_for_all_ages(land: Landscape) -> None:
    children = _ids(land, population="children")
    assert {"adhd-old", "adhd-new"} <= children
    assert {"eating-pathway", "psychiatry-wide"} <= children  # population: all
    assert "dep-pharma" not in children


@pytest.mark.parametrize(
    ("doc_id", "day", "valid"),
    [
        # Published: valid from the day it was issued.
        ("psychiatry-wide", "2023-05-31", False),
        ("psychiatry-wide", "2023-06-01", True),
        ("psychiatry-wide", "2030-01-01", True),
        # Not valid since June 2021: valid before, not from then on.
        ("ptsd-retired", "2016-01-14", False),
        ("ptsd-retired", "2019-01-01", True),
        ("ptsd-retired", "2021-05-31", True),
        ("ptsd-retired", "2021-06-01", False),
        # Superseded: issued as a year only, out of force from the month its successor names.
        ("adhd-old", "2014-01-01", True),
        ("adhd-old", "2025-02-28", True),
        ("adhd-old", "2025-03-01", False),
        ("adhd-new", "2025-03-14", False),
        ("adhd-new", "2025-03-15", True),
        # Planned: never in force.
        ("autism-planned", "1990-01-01", False),
        ("autism-planned", "2100-01-01", False),
    ],
)
def test_valid_on_a_day_follows_status_and_dates(land: Landscape, doc_id: str, day: str, valid: bool) -> None:
    assert (doc_id in _ids(land, valid_on=dt.date.fromisoformat(day))) is valid


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("disease_area", "G20"),
        ("disease_area", "F39-F30"),
        ("disease_area", "F32-F99.9"),
        ("kind", "Roman"),
        ("owner", "Ingen Organisation"),
        ("status", "lost"),
        ("population", "teenagers"),
        ("topic", "kirurgi"),
    ],
)
def test_an_unknown_filter_value_is_refused_naming_field_and_value(land: Landscape, field: str, value: str) -> None:
    with pytest.raises(FilterError) as error:
        filter_documents(land, Filters(**{field: value}))  # type: ignore[arg-type]
    assert (error.value.field, error.value.value) == (field, value)
    assert repr(value) in str(error.value)


# Coverage -----------------------------------------------------------------------------------


def _coverage(land: Landscape, **filters: object) -> dict[str, dict[str, object]]:
    return {row["notation"]: row for row in coverage(land, Filters(**filters))}  # type: ignore[arg-type]


def _documents(row: dict[str, object]) -> set[str]:
    return {d for ids in row["documents"].values() for d in ids}  # type: ignore[attr-defined]


def test_coverage_counts_only_valid_documents(land: Landscape) -> None:
    rows = _coverage(land)
    assert _documents(rows["F90"]) == {"adhd-new"}  # not the superseded adhd-old
    assert rows["F84"]["total"] == 0  # only a planned document
    counted = {d for row in rows.values() for d in _documents(row)}
    assert all(land.documents[d].valid for d in counted)


def test_a_block_document_covers_its_categories(land: Landscape) -> None:
    rows = _coverage(land)
    for category in ("F30", "F31", "F32", "F33", "F34"):
        assert "affective-block" in _documents(rows[category])
    # The block above and the category itself count for F32; the regional guideline on F32.1 does
    # not, since by default only national clinical guidance counts as coverage.
    assert _documents(rows["F32"]) == {"affective-block", "dep-pharma"}
    assert rows["F32"]["total"] == 2
    assert rows["F32"]["counts"]["RegionalGuideline"] == 0
    assert land.documents["dep-moderate"].level == "regional" and land.documents["dep-moderate"].valid


def test_a_document_for_all_of_chapter_v_covers_no_planning_area(land: Landscape) -> None:
    rows = _coverage(land)
    assert all("psychiatry-wide" not in _documents(row) for row in rows.values())
    assert rows["F20"]["total"] == 0


def test_coverage_on_a_past_day_counts_the_documents_valid_then(land: Landscape) -> None:
    rows = _coverage(land, valid_on=dt.date(2020, 1, 1))
    assert _documents(rows["F90"]) == {"adhd-old"}  # superseded in 2025, in force in 2020
    assert _documents(rows["F40-F48"]) == {"ptsd-retired"}  # not valid since 2021, in force in 2020
    assert rows["F30-F39"]["total"] == 0  # everything there was issued from 2022 on


def test_an_area_without_coverage_is_exactly_an_uncovered_gap(overlap_store: Store, land: Landscape) -> None:
    empty = {notation for notation, row in _coverage(land).items() if row["total"] == 0}
    uncovered = {r.focus.rsplit("/", 1)[-1] for r in run_rules(overlap_store) if r.rule == "uncovered"}
    assert empty == uncovered
    assert "F20" in empty


def test_the_gaps_view_names_the_area_and_documents_of_each_gap(overlap_store: Store, land: Landscape) -> None:
    items = gaps(overlap_store, land, rule="children")
    assert items and {item["rule"] for item in items} == {"children"}
    ocd = next(item for item in items if item["disease_area"] == "F42")
    assert ocd["documents"] == ["ocd-dmpg"]  # in force, for adults only; the regional one does not count
    assert ocd["severity"] == "Warning"


def test_document_json_says_validity_check_date_level_purpose_and_a_descriptive_title(family_store: Store) -> None:
    land = landscape(family_store)
    guideline = document_json(land, land.documents["test-guideline"])
    assert {k: guideline[k] for k in ("validity", "verified", "valid_until", "level", "purpose")} == {
        "validity": "in-force",
        "verified": "2026-12-04",
        "valid_until": "2027-11",
        "level": "national",
        "purpose": "clinical",
    }
    assert guideline["title_is_descriptive"] is True
    nka = document_json(land, land.documents["test-nka"])
    assert (nka["validity"], nka["level"], nka["title_is_descriptive"]) == ("historical", None, False)
