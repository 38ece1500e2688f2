"""Issue 20: the gap rules are SHACL-SPARQL a strict engine accepts, and it finds what one run of them finds.

The rules before the rewrite are kept in ``tests/data/issue-20/gaps-before.shapes.ttl`` (the file of
commit 1ccdc50), which the strict engine refuses. Until issue 14 the rewritten rules were also held to
the old rules' results; issue 14 changed on purpose what counts as coverage (national clinical guidance
in force, populations where they apply), so that comparison ended there.
"""

from __future__ import annotations

from pathlib import Path

from pyshacl_turbo import validate as turbo_validate
from rdflib import Graph

from graph.store.core import Store
from graph.validation.gaps import GAP_SHAPES_DIR, rules, run_rules
from tests.graph.test_gaps import _turbo

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


def test_a_strict_engine_with_this_pre_bound_finds_what_one_run_of_the_rules_finds_in_the_registry(
    registry_store: Store,
) -> None:
    # pyshacl-turbo, like pySHACL, drops the language tags of SPARQL messages: compare plain strings.
    ours = {
        (focus, shape, value, severity, frozenset((da, en)))
        for _, shape, focus, value, severity, da, en in _results(registry_store, GAP_SHAPES_DIR)
    }
    assert _turbo(registry_store) == ours
