"""The focused questions (gd:Recommendation) of guiding documents, and which of them two documents share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from graph.analysis import scoring
from graph.model.snapshot import Snapshot, View
from graph.model.vocabulary import Vocabulary
from graph.store.core import query

__all__ = ["QUESTIONS", "Question", "shared_questions"]


@dataclass(frozen=True)
class Question:
    """One recommendation of a document: its focused question and the interventions it is about."""

    id: str
    title: str
    interventions: tuple[str, ...] = field(default_factory=tuple)


def _build(snap: Snapshot) -> dict[str, list[Question]]:
    """Each document's questions, by document id, from ``recommendation_facts.rq``."""
    if snap.store is None:  # a landscape built by hand has no store, so no recommendations
        return {}
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for row in snap.store.select(query("recommendation_facts")):
        doc, rec = str(row["doc"]).rsplit("/", 1)[-1], str(row["rec"])
        found = rows.setdefault((doc, rec), {"id": rec.rsplit("/", 1)[-1], "title": "", "interventions": set()})
        if row.get("id") is not None:
            found["id"] = str(row["id"])
        if row.get("title") is not None:
            found["title"] = str(row["title"])
        if row.get("intervention") is not None:
            found["interventions"].add(str(row["intervention"]).rsplit("/", 1)[-1])  # type: ignore[attr-defined]
    questions: dict[str, list[Question]] = defaultdict(list)
    for (doc, _), found in sorted(rows.items()):
        interventions = tuple(sorted(found["interventions"]))  # type: ignore[call-overload]
        questions[doc].append(Question(str(found["id"]), str(found["title"]), interventions))
    return dict(questions)


#: The questions of a store generation's documents (a write makes a new generation, read afresh).
QUESTIONS: View[dict[str, list[Question]]] = View("questions", build=_build)


def shared_questions(
    vocab: Vocabulary,
    mine: Sequence[Question],
    theirs: Sequence[Question],
    their_interventions: Sequence[str] = (),
    limit: int = 3,
) -> list[tuple[Question, Question | None]]:
    """Return the questions two documents share, best first: the same intervention, then a class and its member.

    Where only the first document has questions, each of them about one of *their_interventions* (the
    other document's, or a draft's) is returned with None beside it.
    """
    found: list[tuple[float, str, Question, Question | None]] = []
    if theirs:
        for question in mine:
            for other in theirs:
                value, _ = scoring.intervention_match(vocab, question.interventions, other.interventions)
                if value is not None and value >= scoring.INTERVENTION_BROADER:
                    found.append((-value, question.id + other.id, question, other))
    else:
        for question in mine:
            value, _ = scoring.intervention_match(vocab, question.interventions, their_interventions)
            if value is not None and value >= scoring.INTERVENTION_SHARED:
                found.append((-value, question.id, question, None))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(question, other) for _, _, question, other in found[:limit]]
