"""Overlap at the level of the clinical question: https://github.com/retningsgraf/retningsgraf/issues/15."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.analysis.overlap import Comparison, compare, related
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import load_files, vocabulary_writes

DATA = Path(__file__).resolve().parent.parent / "data" / "overlap"


@pytest.fixture(scope="module")
def registry(registry_store: Store) -> Landscape:
    return landscape(registry_store)


@pytest.fixture(scope="module")
def land() -> Landscape:
    """The small overlap landscape (tests/data/overlap/landscape.yaml) over the vocabulary."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    load_files(store, [DATA / "landscape.yaml"], progress=False)
    return landscape(store)


def _compare(land: Landscape, a: str, b: str) -> Comparison:
    return compare(land, land.documents[a], land.documents[b])


def test_the_esketamine_guideline_and_the_general_practice_antidepressant_advice_are_not_duplicates(
    registry: Landscape,
) -> None:
    result = _compare(registry, "dmpg-dep-esketamin", "irf-antidepressiva-2019")
    assert result.relation not in ("duplicate", "overlap")
    narrower = next(r for r in result.reasons if r.type == "narrower_intervention")
    assert "esketamin" in narrower.text and "antidepressiva" in narrower.text
    assert "esketamine" in narrower.text_en and "antidepressants" in narrower.text_en


def test_the_same_scope_with_different_interventions_is_not_a_duplicate(land: Landscape) -> None:
    assert _compare(land, "ocd-region", "ocd-dmpg").relation == "duplicate"
    pharmacological = land.documents["ocd-region"]
    other = type(pharmacological)(**{**vars(pharmacological), "id": "ocd-ssri", "interventions": ["ssri"]})
    result = compare(land, other, land.documents["ocd-dmpg"])
    assert result.relation != "duplicate"
    assert any(r.type == "different_intervention" for r in result.reasons)


def test_the_same_scope_without_interventions_is_not_called_a_duplicate(land: Landscape) -> None:
    region = land.documents["ocd-region"]
    untagged = type(region)(**{**vars(region), "id": "ocd-untagged", "interventions": []})
    assert compare(land, untagged, land.documents["ocd-dmpg"]).relation == "overlap"


def test_vej_antidepressiva_voksne_is_superseded_only_by_the_2024_psychopharmacology_vejledning(
    registry: Landscape,
) -> None:
    found = {
        c.a if c.b == "vej-antidepressiva-voksne" else c.b: c for c in related(registry, "vej-antidepressiva-voksne")
    }
    superseding = {other for other, c in found.items() if c.relation == "supersedes"}
    assert superseding == {"sst-vej-psykofarmaka-voksne-2024"}
    assert found["sst-vej-psykofarmaka-voksne-2024"].a == "sst-vej-psykofarmaka-voksne-2024"
    for other in (
        "dmpg-dep-esketamin",
        "nkr-angst-voksne",
        "irf-antidepressiva-2019",
        "rads-depression-2015",
        "sst-nka-beroligende-2023",
    ):
        assert _compare(registry, other, "vej-antidepressiva-voksne").relation != "supersedes", other


def test_a_newer_document_of_another_owner_may_replace_an_older_one_only_as_uncertain(registry: Landscape) -> None:
    result = _compare(registry, "rads-bipolar-2015", "nkr-bipolar")
    assert result.relation != "supersedes"
    if result.relation == "may_replace":
        uncertain = next(r for r in result.reasons if r.type == "uncertain_replacement")
        assert "usikkert" in uncertain.text and "uncertain" in uncertain.text_en


def test_nkr_bipolar_lists_neither_the_refugee_pakkeforloeb_nor_the_ect_vejledning_as_overlap(
    registry: Landscape,
) -> None:
    joined = {
        c.a if c.b == "nkr-bipolar" else c.b
        for c in related(registry, "nkr-bipolar")
        if c.relation in ("duplicate", "overlap", "supersedes")
    }
    assert "pf-traumatiserede-flygtninge" not in joined
    assert "dps-ect-vejledning-2011" not in joined
