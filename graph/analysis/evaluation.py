"""Measure the overlap engine against the hand-labelled evaluation set in tests/data/evaluation/."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph.analysis.overlap import Draft, check_draft, compare
from graph.model.landscape import Landscape

__all__ = ["EVALUATION_DIR", "Evaluation", "evaluate", "format_report"]

EVALUATION_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "evaluation"
LABELS = ("duplicate", "overlap", "complementary", "supersedes", "unrelated")


@dataclass
class Evaluation:
    """Precision and recall per label, recall@5 of the draft check, and the misses."""

    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, predicted)
    precision: dict[str, float] = field(default_factory=dict)
    recall: dict[str, float] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)
    accuracy: float = 0.0
    recall_at_5: float = 0.0
    drafts_fully_found: int = 0
    drafts: int = 0
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain JSON-able data."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "support": self.support,
            "accuracy": self.accuracy,
            "recall_at_5": self.recall_at_5,
            "drafts": self.drafts,
            "drafts_fully_found": self.drafts_fully_found,
            "misses": self.misses,
        }


def evaluate(land: Landscape, directory: Path = EVALUATION_DIR) -> Evaluation:
    """Classify every labelled pair and check every labelled draft.

    Args:
        land: the landscape of the shipped registry.
        directory: where ``pairs.yaml`` and ``drafts.yaml`` are.

    Returns:
        The figures, with one line per miss for inspection.
    """
    result = Evaluation()
    pairs = yaml.safe_load((directory / "pairs.yaml").read_text(encoding="utf-8"))["pairs"]
    for pair in pairs:
        a, b = land.documents[pair["a"]], land.documents[pair["b"]]
        predicted = compare(land, a, b).relation or "unrelated"
        result.confusion[(pair["label"], predicted)] += 1
        if predicted != pair["label"]:
            result.misses.append(f"pair {a.id} / {b.id}: labelled {pair['label']}, predicted {predicted}")
    for label in LABELS:
        true_positive = result.confusion[(label, label)]
        predicted = sum(n for (_, p), n in result.confusion.items() if p == label)
        actual = sum(n for (t, _), n in result.confusion.items() if t == label)
        result.support[label] = actual
        result.precision[label] = round(true_positive / predicted, 3) if predicted else 0.0
        result.recall[label] = round(true_positive / actual, 3) if actual else 0.0
    total = sum(result.confusion.values())
    result.accuracy = round(sum(n for (t, p), n in result.confusion.items() if t == p) / total, 3) if total else 0.0

    drafts = yaml.safe_load((directory / "drafts.yaml").read_text(encoding="utf-8"))["drafts"]
    found = expected = 0
    for item in drafts:
        draft = Draft(**{k: v for k, v in item["draft"].items() if v is not None})
        top = [c.b for c in check_draft(land, draft, limit=5)]
        hits = [doc_id for doc_id in item["expected"] if doc_id in top]
        found += len(hits)
        expected += len(item["expected"])
        result.drafts += 1
        if len(hits) == len(item["expected"]):
            result.drafts_fully_found += 1
        for doc_id in item["expected"]:
            if doc_id not in top:
                result.misses.append(f"draft {item['name']}: {doc_id} not in top 5 {top}")
    result.recall_at_5 = round(found / expected, 3) if expected else 0.0
    return result


def format_report(result: Evaluation) -> str:
    """Return the figures as a small text table."""
    lines = ["label          precision  recall  support"]
    for label in LABELS:
        lines.append(
            f"{label:<14} {result.precision[label]:>9.3f}  {result.recall[label]:>6.3f}  {result.support[label]:>7}"
        )
    lines.append(f"accuracy: {result.accuracy:.3f}")
    lines.append(
        f"draft check recall@5: {result.recall_at_5:.3f} "
        f"({result.drafts_fully_found} of {result.drafts} drafts with every expected document in the top 5)"
    )
    if result.misses:
        lines.append("misses:")
        lines.extend(f"  {miss}" for miss in result.misses)
    return "\n".join(lines)
