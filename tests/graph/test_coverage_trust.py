"""Issue 14: coverage a planner can trust, on the shipped registry and on small landscapes.

Coverage counts national clinical guidance that a source showed in force; a historical document, an
organisational list or a regional guideline never makes an area covered; population gaps are raised
only where the population applies (ontology/applicability.ttl).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from graph.store.core import Store
from graph.store.spec import open_store
from graph.validation.gaps import GapResult, run_rules
from loaders.ingest import load_files, vocabulary_writes
from loaders.yaml_registry import REGISTRY_DIR

ICD10 = "https://w3id.org/retningsgraf/icd10/"
DOCUMENT = "https://w3id.org/retningsgraf/document/"
F00_F09 = {"F00-F09", "F00", "F01", "F02", "F03", "F04", "F05", "F06", "F07", "F09"}


def _ids(results: list[GapResult], rule: str) -> set[str]:
    return {r.focus.rsplit("/", 1)[-1] for r in results if r.rule == rule}


def _registry_without(document_id: str, directory: Path) -> Store:
    """The shipped registry loaded from its YAML files with one document left out."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    paths = []
    for source in sorted(REGISTRY_DIR.glob("*.yaml")):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        data["documents"] = [d for d in data.get("documents") or [] if d.get("id") != document_id]
        target = directory / source.name
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(target)
    load_files(store, paths, progress=False)
    return store


def test_the_2009_target_group_list_makes_no_area_covered(registry_store: Store, tmp_path: Path) -> None:
    with_list = run_rules(registry_store)
    without_list = run_rules(_registry_without("rh-maalgruppeafgraensning-2009", tmp_path))
    assert _ids(with_list, "uncovered") == _ids(without_list, "uncovered")
    # The areas the issue found covered by that list alone are uncovered now.
    assert {"F03", "F05", "F00-F09", "F91", "F93", "F94"} <= _ids(with_list, "uncovered")


def test_dementia_and_other_organic_areas_raise_no_children_gap(registry_store: Store) -> None:
    results = run_rules(registry_store)
    flagged = _ids(results, "children") | _ids(results, "childhoodOnset")
    assert not flagged & F00_F09


def test_the_non_pharmacological_depression_nkr_leaves_a_void(registry_store: Store) -> None:
    voids = {
        (r.focus.rsplit("/", 1)[-1], (r.value or "").rsplit("/", 1)[-1])
        for r in run_rules(registry_store)
        if r.rule == "orphanedNKR"
    }
    assert ("nkr-depression-nonfarm", "F32") in voids
    # The bipolar NKR's only remaining neighbours are historical: a void too.
    assert ("nkr-bipolar", "F31") in voids


def _one_document(tmp_path: Path, **fields: object) -> Store:
    document = {
        "id": "trust-doc",
        "title": "Skizofreni, behandling",
        "kind": "NationalClinicalRecommendation",
        "owners": ["trust-authority"],
        "disease_areas": ["F20"],
        "populations": ["all"],
        "topics": ["treatment"],
        "status": "published",
        "issued": "2025-06-01",
        "verified": "2026-12-04",
        "sources": ["https://example.org/trust-doc"],
        **fields,
    }
    record = {
        "family": "trust",
        "organisations": [
            {"id": "trust-authority", "name": "Tillidsmyndigheden", "type": "Authority",
             "sources": ["https://example.org/trust-authority"]}
        ],
        "documents": [document],
    }  # fmt: skip
    path = tmp_path / "trust.yaml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    load_files(store, [path], progress=False)
    return store


def test_national_clinical_guidance_in_force_covers_its_area(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="in-force", level="national", purpose="clinical")
    assert "F20" not in _ids(run_rules(store), "uncovered")


def test_a_historical_document_never_counts_as_covered(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="historical", level="national", purpose="clinical")
    results = run_rules(store)
    assert "F20" in _ids(results, "uncovered")
    assert "F20" not in _ids(results, "mayBeUncovered")


def test_guidance_of_unknown_validity_makes_an_area_may_be_uncovered_not_uncovered(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="unknown", level="national", purpose="clinical")
    results = run_rules(store)
    assert "F20" in _ids(results, "mayBeUncovered")
    assert "F20" not in _ids(results, "uncovered")
    message = next(r.message for r in results if r.rule == "mayBeUncovered" and r.focus.endswith("/F20"))
    assert "kan være udækket" in message and "antal dokumenter: 1" in message


def test_regional_and_organisational_documents_do_not_cover_by_default(tmp_path: Path) -> None:
    regional = _one_document(tmp_path, validity="in-force", level="regional", purpose="clinical")
    organisational = _one_document(tmp_path, validity="in-force", level="national", purpose="organisational")
    assert "F20" in _ids(run_rules(regional), "uncovered")
    assert "F20" in _ids(run_rules(organisational), "uncovered")


def test_a_childhood_onset_area_covered_only_for_adults_is_its_own_gap(tmp_path: Path) -> None:
    store = _one_document(
        tmp_path,
        disease_areas=["F90"],
        populations=["adults"],
        validity="in-force",
        level="national",
        purpose="clinical",
    )
    results = run_rules(store)
    assert {"F90", "F90-F98"} <= _ids(results, "childhoodOnset")
    assert not {"F90", "F90-F98"} & _ids(results, "children")


def test_review_gaps_are_a_priority_list_that_names_each_document(registry_store: Store) -> None:
    from graph.analysis.views import gaps
    from graph.model.landscape import landscape

    land = landscape(registry_store)
    items = gaps(registry_store, land, rule="reviewHorizon")
    assert items
    keys = [(not i["review"]["only_guidance_in_force_for_its_areas"], -i["review"]["years_over_horizon"])
            for i in items]  # fmt: skip
    assert keys == sorted(keys)
    for item in items:
        (named,) = item["named_documents"]
        doc = land.documents[named["id"]]
        assert (named["title"], named["kind"]) == (doc.title, doc.kind) and named["owners"]
        assert doc.purpose == "clinical"  # organisational documents are not on the review list
        assert item["review"]["years_over_horizon"] >= 0  # whole years past the horizon


def test_every_gap_names_its_documents_by_title(registry_store: Store) -> None:
    from graph.analysis.views import gaps
    from graph.model.landscape import landscape

    land = landscape(registry_store)
    for item in gaps(registry_store, land):
        assert [n["id"] for n in item["named_documents"]] == item["documents"]
        assert all(n["title"] for n in item["named_documents"])


def _cell_state(store: Store, area: str, **filters: str) -> tuple[str, int]:
    from graph.analysis import planning, views
    from graph.model.landscape import landscape

    row = next(r for r in planning.matrix(landscape(store), views.Filters(**filters)).rows if r.notation == area)
    return row.total.state, row.total.count


def test_a_historical_document_gets_its_own_state_in_the_matrix_not_covered(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="historical", level="national", purpose="clinical")
    assert _cell_state(store, "F20") == ("historical", 0)


def test_a_document_of_unknown_validity_is_not_marked_historical(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="unknown", level="national", purpose="clinical")
    assert _cell_state(store, "F20") == ("stale", 0)


def test_a_regional_guideline_counts_when_the_planner_adds_the_regional_level(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="in-force", level="regional", purpose="clinical")
    assert _cell_state(store, "F20")[1] == 0
    assert _cell_state(store, "F20", level="national,regional") == ("covered", 1)
    assert _cell_state(store, "F20", level="regional") == ("covered", 1)


def test_an_organisational_list_counts_only_when_organisational_purpose_is_added(tmp_path: Path) -> None:
    store = _one_document(tmp_path, validity="in-force", level="national", purpose="organisational")
    assert _cell_state(store, "F20")[1] == 0
    assert _cell_state(store, "F20", purpose="clinical,organisational")[1] == 1


def test_the_planning_page_says_what_counts_and_how_many_documents_do(tmp_path: Path) -> None:
    from graph.analysis import planning, views
    from graph.model.landscape import landscape

    store = _one_document(tmp_path, validity="in-force", level="regional", purpose="clinical")
    land = landscape(store)
    default = planning.counting(land, views.Filters())
    assert default["counted"] == 0 and default["not_counted"]["level"] == 1
    widened = planning.counting(land, views.Filters(level="national,regional"))
    assert widened["counted"] == 1
    assert widened["counting_text"]["level"] == ("national / regional", "national / regional")
