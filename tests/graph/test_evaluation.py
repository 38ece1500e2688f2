"""graph.analysis.evaluation: the labelled pairs and drafts of tests/data/evaluation/ score the classifier."""

from __future__ import annotations

from graph.analysis.evaluation import evaluate, format_report
from graph.model.landscape import landscape
from graph.store.core import Store


def test_the_labelled_pairs_and_drafts_keep_the_classifier_at_its_measured_quality(registry_store: Store) -> None:
    figures = evaluate(landscape(registry_store))
    assert figures.support["duplicate"] >= 8
    # This first set labels a duplicate by scope (area, population, topic). Issue 15 made a duplicate the same
    # clinical question (the same intervention too), which the sources-first set v2 measures
    # (tests/graph/test_evaluation_v2.py); here the engine now calls most scope-level "duplicates" overlap.
    assert figures.precision["duplicate"] >= 0.3
    # The target is 0.9 and not met yet (see the evaluation note); this only stops it from getting worse.
    assert figures.recall_at_5 >= 0.75
    assert 0 <= figures.drafts_fully_found <= figures.drafts
    duplicate = next(line for line in format_report(figures).splitlines() if line.startswith("duplicate "))
    assert duplicate.split()[1:] == [
        f"{figures.precision['duplicate']:.3f}",
        f"{figures.recall['duplicate']:.3f}",
        str(figures.support["duplicate"]),
    ]
