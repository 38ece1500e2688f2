"""Measure the overlap engine on the second labelled set (tests/data/evaluation/v2/), one fixed part at a time."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph.analysis import scoring
from graph.analysis.overlap import Comparison, Draft, check_draft, compare
from graph.model.landscape import Landscape

__all__ = [
    "PARTS",
    "RELATIONS",
    "V2_DIR",
    "V2Evaluation",
    "assign_parts",
    "evaluate_v2",
    "format_v2_report",
    "load_v2",
    "relevance_floor",
]

V2_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "evaluation" / "v2"
#: The engine's relations plus "may-replace" (a newer document on an older one's question that no source
#: says replaces it) and "unrelated" (the engine names no relation).
RELATIONS = ("duplicate", "supersedes", "may-replace", "overlap", "complementary", "unrelated")
ORDERED = ("supersedes", "may-replace")  # a is the newer document; the engine must say so in that direction
PARTS = ("tuning", "held-out")
SEED = "retningsgraf/issue-15/evaluation-v2"
TUNING_SHARE = 0.6
#: Names a relevance floor may have in graph.analysis.scoring; the first one present is used.
FLOOR_NAMES = ("RELEVANCE_FLOOR", "DRAFT_FLOOR", "MIN_RELEVANCE")


def pair_id(pair: dict[str, Any]) -> str:
    """Return the id a pair is split by: its two document ids in the order they are written."""
    return f"{pair['a']}~{pair['b']}"


def assign_parts(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Split items into a tuning and a held-out part, stratified, by a seeded hash of their ids.

    Within each stratum the items are ordered by SHA-256 of ``SEED:id``; the first 60 % (rounded half up)
    are the tuning part. The rule depends on nothing but the ids, so anybody can recompute it.

    Args:
        items: ``(id, stratum)`` pairs; the stratum of a pair is its label, of a draft its kind.

    Returns:
        The part (``tuning`` or ``held-out``) of every id.
    """
    strata: dict[str, list[str]] = defaultdict(list)
    for item_id, stratum in items:
        strata[stratum].append(item_id)
    parts: dict[str, str] = {}
    for ids in strata.values():
        ordered = sorted(ids, key=lambda i: hashlib.sha256(f"{SEED}:{i}".encode()).hexdigest())
        cut = int(len(ordered) * TUNING_SHARE + 0.5)
        for place, item_id in enumerate(ordered):
            parts[item_id] = PARTS[0] if place < cut else PARTS[1]
    return parts


def load_v2(directory: Path = V2_DIR) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return the labelled pairs and drafts of the set in *directory*."""
    pairs = yaml.safe_load((directory / "pairs.yaml").read_text(encoding="utf-8"))["pairs"]
    drafts = yaml.safe_load((directory / "drafts.yaml").read_text(encoding="utf-8"))["drafts"]
    return pairs, drafts


def relevance_floor() -> tuple[float, str]:
    """Return the scoring's relevance floor for a draft and where it came from (0.0 if it has none)."""
    for name in FLOOR_NAMES:
        value = getattr(scoring, name, None)
        if isinstance(value, int | float):
            return float(value), f"graph.analysis.scoring.{name}"
    return 0.0, "none in graph.analysis.scoring (every candidate counts); --floor sets one"


def predicted_relation(comparison: Comparison, a: str) -> str:
    """Return the engine's relation in this set's words, marking a replacement read the wrong way round."""
    relation = (comparison.relation or "unrelated").replace("_", "-")
    if relation == "supersedes" and getattr(comparison, "uncertain", False):
        relation = "may-replace"
    if relation in ORDERED and comparison.a != a:
        return f"{relation} (reversed)"
    return relation


@dataclass
class V2Evaluation:
    """Figures for one part of the second set: per relation, the headline ones, the drafts, the misses."""

    part: str
    floor: float
    floor_source: str
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, predicted)
    precision: dict[str, float | None] = field(default_factory=dict)  # None: the engine never said it
    recall: dict[str, float | None] = field(default_factory=dict)
    support: dict[str, int] = field(default_factory=dict)
    predicted: dict[str, int] = field(default_factory=dict)
    pairs: int = 0
    drafts: int = 0
    recall_at_5: float | None = None
    drafts_fully_found: int = 0
    positive_drafts: int = 0
    negative_drafts: int = 0
    negatives_above_floor: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @property
    def duplicate_precision(self) -> float | None:
        """Of the pairs the engine calls duplicates, the share labelled duplicate."""
        return self.precision.get("duplicate")

    @property
    def supersedes_precision(self) -> float | None:
        """Of the pairs the engine says one supersedes the other, the share a source says so for."""
        return self.precision.get("supersedes")

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain JSON-able data."""
        data = dataclasses.asdict(self)
        data["confusion"] = [{"label": t, "predicted": p, "pairs": n} for (t, p), n in sorted(self.confusion.items())]
        data["duplicate_precision"] = self.duplicate_precision
        data["supersedes_precision"] = self.supersedes_precision
        return data


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _draft(fields: dict[str, Any]) -> Draft:
    """The draft the engine accepts: fields it does not know yet (``interventions`` on main) are left out."""
    known = {f.name for f in dataclasses.fields(Draft)}
    return Draft(**{k: v for k, v in fields.items() if k in known and v is not None})


def evaluate_v2(
    land: Landscape,
    part: str,
    directory: Path = V2_DIR,
    floor: float | None = None,
    rank: Callable[[Landscape, Draft], list[Comparison]] | None = None,
) -> V2Evaluation:
    """Classify every labelled pair and check every labelled draft of one part of the set.

    Args:
        land: the landscape of the shipped registry.
        part: ``tuning`` or ``held-out``; ``all`` takes both.
        directory: where ``pairs.yaml`` and ``drafts.yaml`` are.
        floor: the relevance floor for the negative drafts; None reads it from the scoring.
        rank: the draft check (``check_draft`` with a limit of 5 unless given).

    Returns:
        The figures, with one line per miss.
    """
    if part not in (*PARTS, "all"):
        raise ValueError(f"part must be one of {', '.join((*PARTS, 'all'))}, not {part!r}")
    source = "--floor"
    if floor is None:
        floor, source = relevance_floor()
    result = V2Evaluation(part=part, floor=floor, floor_source=source)
    pairs, drafts = load_v2(directory)
    for pair in pairs:
        if part != "all" and pair["part"] != part:
            continue
        a, b = land.documents[pair["a"]], land.documents[pair["b"]]
        predicted = predicted_relation(compare(land, a, b, explain=False), a.id)
        result.confusion[(pair["label"], predicted)] += 1
        result.pairs += 1
        if predicted != pair["label"]:
            result.misses.append(f"pair {a.id} / {b.id}: labelled {pair['label']}, predicted {predicted}")
    for relation in RELATIONS:
        hits = result.confusion[(relation, relation)]
        result.predicted[relation] = sum(n for (_, p), n in result.confusion.items() if p == relation)
        result.support[relation] = sum(n for (t, _), n in result.confusion.items() if t == relation)
        result.precision[relation] = _ratio(hits, result.predicted[relation])
        result.recall[relation] = _ratio(hits, result.support[relation])

    check = rank or (lambda landscape, draft: check_draft(landscape, draft, limit=5))
    found = expected = 0
    for item in drafts:
        if part != "all" and item["part"] != part:
            continue
        result.drafts += 1
        answer = check(land, _draft(item["draft"]))
        top = [c.b for c in answer[:5]]
        if item.get("negative"):
            result.negative_drafts += 1
            above = [f"{c.b} ({c.relation or 'unrelated'}, {c.score:.2f})" for c in answer if c.score >= floor]
            if above:
                result.negatives_above_floor.append(f"{item['name']}: {', '.join(above)}")
            continue
        result.positive_drafts += 1
        hits = [doc_id for doc_id in item["expected"] if doc_id in top]
        found += len(hits)
        expected += len(item["expected"])
        if len(hits) == len(item["expected"]):
            result.drafts_fully_found += 1
        for doc_id in item["expected"]:
            if doc_id not in top:
                result.misses.append(f"draft {item['name']}: {doc_id} not in top 5 {top}")
    result.recall_at_5 = _ratio(found, expected)
    return result


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_v2_report(result: V2Evaluation) -> str:
    """Return the figures of one part as a small text table, the headline figures beside the issue's targets."""
    lines = [
        f"evaluation set v2, part: {result.part} ({result.pairs} pairs, {result.drafts} drafts)",
        "relation        precision  recall  labelled  predicted",
    ]
    for relation in RELATIONS:
        lines.append(
            f"{relation:<15} {_figure(result.precision[relation]):>9}  {_figure(result.recall[relation]):>6}"
            f"  {result.support[relation]:>8}  {result.predicted[relation]:>9}"
        )
    negatives = len(result.negatives_above_floor)
    lines += [
        f"duplicate precision:  {_figure(result.duplicate_precision)}  (target >= 0.9 on the held-out part)",
        f"supersedes precision: {_figure(result.supersedes_precision)}  (target 1.0)",
        f"draft recall@5:       {_figure(result.recall_at_5)}  (target >= 0.95; {result.drafts_fully_found} of "
        f"{result.positive_drafts} drafts with every expected document in the top 5)",
        f"negative drafts with a candidate at or above the floor {result.floor:.2f}: {negatives} of "
        f"{result.negative_drafts}  (target 0; floor from {result.floor_source})",
    ]
    lines.extend(f"  {line}" for line in result.negatives_above_floor)
    if result.misses:
        lines.append("misses:")
        lines.extend(f"  {miss}" for miss in result.misses)
    return "\n".join(lines)
