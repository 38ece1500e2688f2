"""Issue 20: the gap rules, rewritten as SHACL-SPARQL a strict engine accepts, find what they found before.

The rules before the rewrite are kept in ``tests/data/issue-20/gaps-before.shapes.ttl`` (the file of
commit 1ccdc50); both versions run here at the same moment, so the review horizon (three years before
today) moves for both alike and the comparison holds whenever the tests run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl_turbo import validate as turbo_validate
from rdflib import Graph

from graph.store.core import Store
from graph.validation.gaps import GAP_SHAPES_DIR, rules, run_rules
from tests.graph.test_gaps import SCENARIOS, _store, _turbo

BEFORE = Path(__file__).resolve().parent.parent / "data" / "issue-20"
Row = tuple[str, str, str, str | None, str, str, str]


def _results(store: Store, directory: Path) -> list[Row]:
    """Every gap field a user sees: rule, source shape, focus, value, severity and both messages."""
    return sorted(
        (r.rule, r.shape, r.focus, r.value, r.severity, r.message, r.message_en)
        for r in run_rules(store, rules(directory))
    )


def test_a_strict_engine_refuses_the_old_rules_and_accepts_the_new_ones(registry_store: Store) -> None:
    shapes = Graph().parse(BEFORE / "gaps-before.shapes.ttl", format="turtle")
    _, report, text = turbo_validate(registry_store.union(), shacl_graph=shapes, inference="none")
    assert not isinstance(report, Graph) and "must project ?this" in text
    assert _turbo(registry_store)


def test_the_rewritten_rules_find_what_the_old_ones_found_in_the_shipped_registry(registry_store: Store) -> None:
    before = _results(registry_store, BEFORE)
    assert {row[0] for row in before} >= {"children", "orphanedNKR", "reviewHorizon", "idleDMPG"}
    assert _results(registry_store, GAP_SHAPES_DIR) == before


def test_the_rewritten_rules_find_what_the_old_ones_found_in_a_synthetic_landscape(
    synthetic_3k_store: Store,
) -> None:
    before = _results(synthetic_3k_store, BEFORE)
    assert {row[0] for row in before} >= {"orphanedNKR", "reviewHorizon", "idleDMPG"}
    assert _results(synthetic_3k_store, GAP_SHAPES_DIR) == before


@pytest.mark.parametrize("names", SCENARIOS, ids=lambda names: "+".join(Path(n).stem for n in names))
def test_the_rewritten_rules_find_what_the_old_ones_found_in_each_gap_fixture(names: list[str], tmp_path: Path) -> None:
    store = _store(names, tmp_path)
    assert _results(store, GAP_SHAPES_DIR) == _results(store, BEFORE)


def test_a_strict_engine_with_this_pre_bound_finds_what_the_old_rules_found_in_the_registry(
    registry_store: Store,
) -> None:
    # pyshacl-turbo, like pySHACL, drops the language tags of SPARQL messages: compare plain strings.
    before = {
        (focus, shape, value, severity, frozenset((da, en)))
        for _, shape, focus, value, severity, da, en in _results(registry_store, BEFORE)
    }
    assert _turbo(registry_store) == before
