"""graph.model.textsim: Danish titles meet across inflection, compounds and hyphen ellipsis."""

from __future__ import annotations

import itertools

import pytest

from graph.model.textsim import TermIndex, terms

# Titles as coordinators write them; "Misbrug ..." puts "misbrug" in the lexicon, as registries do.
CORPUS = [
    "Behandling af alkoholafhængighed",
    "Behandling af alkoholmisbrug og -afhængighed",
    "Udredning af alkohol- og stofmisbrug",
    "Misbrug og psykisk lidelse",
    "Farmakologisk behandling af angst",
    "Medicinsk behandling af depression",
    "Non-farmakologisk behandling af angst",
    "Ikke-medicinsk behandling af depression",
    "Ikke-farmakologisk behandling af ADHD",
    "Spiseforstyrrelser hos børn og unge",
    "Behandlingen af spiseforstyrrelse",
]


@pytest.fixture(scope="module")
def index() -> TermIndex:
    return TermIndex(CORPUS)


# Danish word forms --------------------------------------------------------------------


def test_alcohol_dependence_meets_alcohol_misuse_and_dependence(index: TermIndex) -> None:
    dependence = index.terms("alkoholafhængighed")
    misuse_and_dependence = index.terms("alkoholmisbrug og -afhængighed")
    wanted = index.terms("alkohol") | index.terms("afhængighed")
    assert wanted <= dependence & misuse_and_dependence
    score, shared = index.similarity(dependence, misuse_and_dependence)
    assert score > 0.5
    assert wanted <= set(shared)


@pytest.mark.parametrize(
    ("inflected", "base"),
    [
        ("behandlingen", "behandling"),
        ("spiseforstyrrelser", "spiseforstyrrelse"),
        ("Behandlingerne", "behandling"),
    ],
)
def test_inflected_forms_give_the_same_terms(inflected: str, base: str) -> None:
    assert terms(inflected) == terms(base)
    assert terms(inflected)


def test_prefix_ellipsis_borrows_the_tail_of_the_next_word(index: TermIndex) -> None:
    found = index.terms("alkohol- og stofmisbrug")
    assert index.terms("alkoholmisbrug") <= found
    assert index.terms("stofmisbrug") <= found


def test_suffix_ellipsis_borrows_the_head_of_the_previous_word(index: TermIndex) -> None:
    assert index.terms("alkoholafhængighed") <= index.terms("alkoholmisbrug og -afhængighed")


@pytest.mark.parametrize(
    ("negated", "positive"),
    [
        ("Non-farmakologisk behandling", "Farmakologisk behandling"),
        ("Ikke-medicinsk behandling", "Farmakologisk behandling"),
        # Regression: 'ikkemedicinsk' was split again into 'ikke' + 'medicinsk' (fixed in 8156b2b).
        ("Ikke-medicinsk behandling", "Medicinsk behandling"),
        ("Ikke-farmakologisk behandling", "Farmakologisk behandling"),
    ],
)
def test_negated_treatment_shares_only_the_word_treatment_with_its_opposite(
    index: TermIndex, negated: str, positive: str
) -> None:
    assert index.terms(negated) & index.terms(positive) == index.terms("behandling")


def test_negated_words_stay_whole_without_a_corpus() -> None:
    assert "farmakologisk" not in terms("non-farmakologisk behandling")
    assert "medicinsk" not in terms("ikke-medicinsk behandling")


def test_stopwords_and_document_kind_words_are_ignored() -> None:
    assert terms("Behandling af depression hos børn og unge") == terms("behandling depression børn unge")
    assert terms("National klinisk retningslinje for behandling af depression") == terms("behandling depression")
    assert terms("af og i for med") == []


@pytest.mark.parametrize(
    "word",
    # "demens" stems to "dem", a stopword, and was dropped (fixed in 8156b2b).
    ["skizofreni", "angst", "autisme", "demens"],
)
def test_a_disease_name_is_never_taken_for_a_stopword(word: str) -> None:
    assert terms(word)
    assert terms(f"Behandling af {word}") == [*terms("behandling"), *terms(word)]


# Similarity ---------------------------------------------------------------------------


def test_similarity_is_between_zero_and_one_and_symmetric(index: TermIndex) -> None:
    for left, right in itertools.product(CORPUS, repeat=2):
        a, b = index.terms(left), index.terms(right)
        score, shared = index.similarity(a, b)
        assert 0.0 <= score <= 1.0, (left, right)
        assert score == pytest.approx(index.similarity(b, a)[0]), (left, right)
        assert set(shared) == a & b


def test_a_title_is_fully_similar_to_itself(index: TermIndex) -> None:
    for title in CORPUS:
        assert index.similarity(index.terms(title), index.terms(title))[0] == pytest.approx(1.0)


def test_titles_without_a_shared_term_score_zero(index: TermIndex) -> None:
    assert index.similarity(index.terms("Spiseforstyrrelser hos børn"), index.terms("Alkoholafhængighed")) == (0.0, [])
    assert index.similarity(set(), index.terms("Alkoholafhængighed")) == (0.0, [])


def test_a_rare_shared_term_weighs_more_than_a_common_one() -> None:
    index = TermIndex(
        [
            "Esketamin og skizofreni",
            "Esketamin og autisme",
            "Behandling af anoreksi",
            "Behandling af bulimi",
            "Behandling af delirium",
            "Behandling af ADHD",
        ]
    )
    rare = index.similarity(index.terms("Esketamin og skizofreni"), index.terms("Esketamin og autisme"))
    common = index.similarity(index.terms("Behandling af anoreksi"), index.terms("Behandling af bulimi"))
    assert index.weight("esketamin") > index.weight("behandling")
    assert rare[0] > common[0] > 0.0
    # The shared terms are listed rarest first.
    mixed = index.similarity(index.terms("Esketamin og behandling af ADHD"), index.terms("Behandling med esketamin"))[1]
    assert mixed == ["esketamin", "behandling"]
