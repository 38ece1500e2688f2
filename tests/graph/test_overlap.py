"""graph.analysis.overlap: pairs classified as coordinators define them, found by index, and draft checks."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from graph.analysis.overlap import (
    RELATIONS,
    Comparison,
    Draft,
    DraftError,
    check_draft,
    clusters,
    compare,
    draft_document,
    owner_summary,
    pairs,
)
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import load_files, vocabulary_writes

DATA = Path(__file__).resolve().parent.parent / "data" / "overlap"
ICD10 = "https://w3id.org/retningsgraf/icd10/"


@pytest.fixture(scope="module")
def land() -> Landscape:
    """The small overlap landscape (tests/data/overlap/landscape.yaml) over the vocabulary."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    load_files(store, [DATA / "landscape.yaml"], progress=False)
    return landscape(store)


@pytest.fixture(scope="module")
def registry(registry_store: Store) -> Landscape:
    return landscape(registry_store)


def _compare(land: Landscape, a: str, b: str) -> Comparison:
    return compare(land, land.documents[a], land.documents[b])


def _brute_force(land: Landscape) -> dict[tuple[str, str], Comparison]:
    """Every related pair, by comparing every document with every other."""
    found = {}
    for a, b in itertools.combinations(sorted(land.documents), 2):
        result = compare(land, land.documents[a], land.documents[b])
        if result.relation is not None:
            found[(a, b)] = result
    return found


def _key(c: Comparison) -> tuple[str, str]:
    return (min(c.a, c.b), max(c.a, c.b))


# Classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("dep-pharma", "affective-block", "hierarchy"),  # F32 inside F30-F39
        ("dep-pharma", "dep-moderate", "hierarchy"),  # F32.1 inside F32
        ("dep-pharma", "recurrent-dep", "same_block"),  # F32 and F33, both in F30-F39
    ],
)
def test_related_icd10_codes_overlap(land: Landscape, a: str, b: str, reason: str) -> None:
    for left, right in ((a, b), (b, a)):
        result = _compare(land, left, right)
        assert result.relation == "overlap"
        assert reason in {r.type for r in result.reasons}


def test_a_hierarchy_counts_for_more_than_a_shared_block(land: Landscape) -> None:
    assert _compare(land, "dep-pharma", "dep-moderate").score > _compare(land, "dep-pharma", "recurrent-dep").score


def test_the_same_scope_in_two_valid_documents_is_a_duplicate(land: Landscape) -> None:
    result = _compare(land, "ocd-region", "ocd-dmpg")
    assert result.relation == "duplicate"
    assert {"shared_code", "shared_topic", "shared_population"} <= {r.type for r in result.reasons}


def test_a_pakkeforloeb_complements_a_clinical_guideline_on_the_same_area(land: Landscape) -> None:
    assert _compare(land, "eating-pathway", "eating-guideline").relation == "complementary"
    assert _compare(land, "eating-guideline", "eating-pathway").relation == "complementary"


def test_a_focused_nka_complements_a_broad_dmpg_guideline(land: Landscape) -> None:
    assert _compare(land, "bipolar-lithium-nka", "bipolar-broad").relation == "complementary"


@pytest.mark.parametrize(("first", "second"), [("adhd-old", "adhd-new"), ("adhd-new", "adhd-old")])
def test_a_replaces_link_supersedes_with_the_newer_document_as_a(land: Landscape, first: str, second: str) -> None:
    result = _compare(land, first, second)
    assert (result.relation, result.a, result.b) == ("supersedes", "adhd-new", "adhd-old")
    assert any(r.type == "link" and "replaces" in r.text_en for r in result.reasons)


@pytest.mark.parametrize("which", ["fixture", "registry"])
def test_every_comparison_scores_in_the_unit_interval_and_explains_a_relation(
    request: pytest.FixtureRequest, which: str
) -> None:
    land = request.getfixturevalue("land" if which == "fixture" else "registry")
    comparisons = (
        [_compare(land, a, b) for a, b in itertools.permutations(land.documents, 2)]
        if which == "fixture"
        else pairs(land)
    )
    for c in comparisons:
        assert 0.0 <= c.score <= 1.0, c
        assert c.relation in (*RELATIONS, None)
        if c.relation is not None:
            assert c.reasons, c
            assert all(r.text and r.text_en for r in c.reasons)


# All pairs, clusters and owners ---------------------------------------------------------------


def test_pairs_finds_every_related_pair_of_the_fixture(land: Landscape) -> None:
    brute = _brute_force(land)
    found = {_key(c): c for c in pairs(land)}
    assert set(found) == set(brute)
    assert all(found[k].relation == brute[k].relation and found[k].score == brute[k].score for k in found)


def test_pairs_finds_every_related_pair_a_brute_force_comparison_finds(registry: Landscape) -> None:
    brute = _brute_force(registry)
    found = {_key(c): c for c in pairs(registry)}
    assert set(found) <= set(brute)
    assert all(found[k].relation == brute[k].relation for k in found)
    assert sorted(set(brute) - set(found)) == []


def test_pairs_are_sorted_best_first_and_filtered_by_relation_and_score(land: Landscape) -> None:
    everything = pairs(land)
    assert [c.score for c in everything] == sorted((c.score for c in everything), reverse=True)
    assert {c.relation for c in pairs(land, ("duplicate",))} == {"duplicate"}
    assert all(c.score >= 0.6 for c in pairs(land, min_score=0.6))


def _components(edges: list[tuple[str, str]]) -> set[frozenset[str]]:
    """Connected components by union-find, independent of networkx."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for x in list(parent):
        groups.setdefault(root(x), set()).add(x)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("which", ["fixture", "registry"])
def test_clusters_are_the_connected_components_of_duplicates_overlaps_and_replacements(
    request: pytest.FixtureRequest, which: str
) -> None:
    land = request.getfixturevalue("land" if which == "fixture" else "registry")
    joined = pairs(land, ("duplicate", "overlap", "supersedes", "may_replace"))
    found = clusters(land)
    assert {frozenset(c["documents"]) for c in found} == _components([(c.a, c.b) for c in joined])
    assert sum(sum(c["relations"].values()) for c in found) == len(joined)
    sizes = [len(c["documents"]) for c in found]
    assert sizes == sorted(sizes, reverse=True)


def test_a_complementary_pair_does_not_join_a_cluster(land: Landscape) -> None:
    eating = next(c for c in clusters(land) if "eating-pathway" in c["documents"])
    assert "eating-guideline" not in eating["documents"]
    assert eating["relations"] == {"overlap": 1}


def test_owner_summary_counts_relations_per_pair_of_owners(land: Landscape) -> None:
    comparisons = pairs(land)
    expected: Counter[tuple[str, str, str]] = Counter()
    for c in comparisons:
        for x in land.documents[c.a].owners:
            for y in land.documents[c.b].owners:
                if x != y:
                    expected[(min(x, y), max(x, y), str(c.relation))] += 1
    summary = owner_summary(land, comparisons)
    found = Counter(
        {(row["owner"], row["other_owner"], relation): n for row in summary for relation, n in row["relations"].items()}
    )
    assert found == expected
    assert all(row["total"] == sum(row["relations"].values()) for row in summary)
    assert [row["total"] for row in summary] == sorted((row["total"] for row in summary), reverse=True)
    ocd = next(row for row in summary if (row["owner"], row["other_owner"]) == ("t-dmpg-dep", "t-region"))
    assert ocd["relations"]["duplicate"] == 1


def test_owner_summary_leaves_out_pairs_within_one_owner(land: Landscape) -> None:
    same_owner = _compare(land, "dep-moderate", "recurrent-dep")  # both owned by t-region
    assert same_owner.relation is not None
    assert owner_summary(land, [same_owner]) == []


# Drafts -------------------------------------------------------------------------------------


def _copy(land: Landscape, doc_id: str) -> Draft:
    doc = land.documents[doc_id]
    return Draft(
        title=doc.title,
        kind=doc.kind,
        owner=doc.owners[0] if doc.owners else None,
        disease_areas=[land.notation(a) for a in doc.disease_areas],
        populations=doc.populations,
        topics=doc.topics,
        interventions=doc.interventions,
        settings=doc.settings,
    )


def test_a_draft_copying_a_document_ranks_that_document_first(land: Landscape) -> None:
    for doc_id in ("ocd-region", "dep-pharma", "eating-pathway", "bipolar-lithium-nka"):
        ranked = check_draft(land, _copy(land, doc_id))
        assert ranked[0].b == doc_id
        assert ranked[0].a == "draft"


def test_a_draft_copying_any_registry_document_ranks_that_document_first(
    registry: Landscape,
) -> None:
    # The order is the score: a document whose title another one contains can tie with it (ids then decide).
    misses = {}
    for doc_id in registry.documents:
        ranked = check_draft(registry, _copy(registry, doc_id), limit=5)
        top = [c.b for c in ranked if c.score == ranked[0].score] if ranked else []
        if doc_id not in top:
            misses[doc_id] = top
    assert misses == {}


@pytest.mark.parametrize(
    ("code", "concept"),
    [
        ("F10", "F10"),
        ("DF10", "F10"),
        ("F10-F19", "F10-F19"),
        ("F50.0", "F50.0"),
        ("df50.0", "F50.0"),
    ],
)
def test_a_draft_accepts_icd10_and_sks_codes_and_blocks(land: Landscape, code: str, concept: str) -> None:
    draft = Draft(title="Behandling", kind="DMPG-retningslinje", disease_areas=[code])
    assert draft_document(land, draft).disease_areas == [ICD10 + concept]
    assert isinstance(check_draft(land, draft), list)


@pytest.mark.parametrize("owner", ["t-dmpg-dep", "DMPG Testdepression", "dmpg testdepression", "DMPG-TD"])
def test_a_draft_names_its_owner_by_id_danish_name_or_abbreviation(land: Landscape, owner: str) -> None:
    assert draft_document(land, Draft(title="Behandling af OCD", owner=owner)).owners == ["t-dmpg-dep"]


def test_a_draft_owner_sees_its_own_document_marked(land: Landscape) -> None:
    draft = Draft(
        title="OCD hos voksne: udredning og behandling",
        owner="DMPG Testdepression",
        disease_areas=["F42"],
    )
    own = next(c for c in check_draft(land, draft) if c.b == "ocd-dmpg")
    assert "same_owner" in {r.type for r in own.reasons}


def test_a_title_only_draft_gets_its_area_and_topic_from_the_title(land: Landscape) -> None:
    draft = Draft(title="Psykoedukation ved bipolar lidelse")
    doc = draft_document(land, draft)
    assert doc.disease_areas == [ICD10 + "F31"]
    assert doc.topics == ["non-pharmacological"]
    assert doc.notes and "F31" in doc.notes
    ranked = [c.b for c in check_draft(land, draft)]
    assert set(ranked[:2]) <= {"bipolar-broad", "bipolar-lithium-nka", "affective-block"}


def test_a_draft_on_non_drug_treatment_is_not_inferred_to_be_about_drugs(
    registry: Landscape,
) -> None:
    assert draft_document(registry, Draft(title="Ikke-medicinsk behandling af depression")).topics == [
        "non-pharmacological"
    ]


def test_a_draft_on_dementia_is_placed_in_f03(registry: Landscape) -> None:
    assert draft_document(registry, Draft(title="Udredning og behandling af demens")).disease_areas == [ICD10 + "F03"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("disease_areas", "G20"),
        ("disease_areas", "F99.9"),
        ("disease_areas", "F39-F30"),
        ("kind", "Roman"),
        ("owner", "Ingen Organisation"),
        ("populations", "teenagers"),
        ("topics", "kirurgi"),
    ],
)
def test_a_draft_with_an_unknown_value_is_refused_naming_field_and_value(
    land: Landscape, field: str, value: str
) -> None:
    given = [value] if field.endswith("s") else value
    draft = Draft(title="Behandling af depression", **{field: given})  # type: ignore[arg-type]
    with pytest.raises(DraftError) as error:
        check_draft(land, draft)
    assert (error.value.field, error.value.value) == (field, value)
    assert repr(value) in str(error.value)
