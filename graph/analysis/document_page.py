"""What the document page shows beyond the document's facts: relations, validation, schema.org."""

from __future__ import annotations

from typing import Any

from graph import budget
from graph.analysis.overlap import related
from graph.analysis.planning import labels, planning_concepts, validation
from graph.analysis.verdicts import verdicts
from graph.model.landscape import LANDSCAPE, Document, Landscape
from graph.model.snapshot import Snapshot, View
from graph.store.core import Store

__all__ = ["RELATED", "RELATED_ROWS", "document_context", "reason_text", "schema_org"]

#: Related documents the page lists, closest first; the heading gives how many there are in all.
RELATED_ROWS = 200


def reason_text(text: str) -> str:
    """Return a reason without the engine's term markers ("@icd10/F32" reads "F32")."""
    return text.replace("@icd10/", "").replace("@topic/", "")


def document_context(store: Store, land: Landscape, doc_id: str) -> dict[str, Any]:
    """Return what the document page shows besides the document's own facts.

    Returns:
        ``overlaps`` (the closest related documents with relation, a coordinator's verdict, score and reasons),
        ``overlap_total`` (how many relate in all), ``linked_from``
        (documents linking to this one), ``validation`` (SHACL results about it), ``labels``
        and ``schema_org`` (a schema.org MedicalGuideline as JSON-LD).
    """
    doc = land.documents[doc_id]
    total, pairs = land.snapshot.get(RELATED, doc_id)
    budget.check_cancelled()  # not the deadline: it may have passed waiting for another request's build
    linked_from = [
        {"type": link_type, "source": _brief(land, d)}
        for d in land.documents.values()
        for link_type, target in d.links
        if target == doc_id
    ]
    budget.check_cancelled()
    results = [r for r in validation(store) if r.focus == doc.iri]
    return {
        "overlaps": pairs,
        "overlap_total": total,
        "linked_from": linked_from,
        "validation": results,
        "labels": labels(),
        "planning_areas": {land.notation(c) for c in planning_concepts(land)},
        "schema_org": schema_org(land, doc),
    }


def _related(snap: Snapshot, doc_id: str) -> tuple[int, list[dict[str, Any]]]:
    """How many documents relate to *doc_id*, and the closest ``RELATED_ROWS`` as the page shows them."""
    land = snap[LANDSCAPE]
    with budget.shared():
        # This document's pairs only: pairing everything grows with the square of the landscape.
        found = related(land, doc_id)
    judged = verdicts(snap)
    pairs = []
    for c in found[:RELATED_ROWS]:
        other = c.b if c.a == doc_id else c.a
        reasons = [{"text": reason_text(r.text), "text_en": reason_text(r.text_en)} for r in c.reasons]
        pairs.append(
            {
                "other": _brief(land, land.documents[other]),
                "relation": c.relation,
                "engine_relation": c.relation,
                "verdict": judged.json_of(doc_id, other),
                "score": c.score,
                "newer": c.a == doc_id,
                "reasons": reasons,
            }
        )
    return len(found), pairs


#: A document's related documents on its page: a whole-psychiatry document relates to most of a large
#: landscape, compared one by one (seconds), so it is done once per landscape for the pages asked for.
RELATED: View[tuple[int, list[dict[str, Any]]]] = View("document page relations", build=_related, keyed=True, bound=256)


def _brief(land: Landscape, doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "kind": doc.kind,
        "status": doc.status,
        "valid": doc.valid,
        "owners": [land.owner_name(o) for o in doc.owners],
    }


def schema_org(land: Landscape, doc: Document) -> dict[str, Any]:
    """Return the document as a schema.org MedicalGuideline (JSON-LD) for search engines."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalGuideline",
        "@id": doc.iri,
        "identifier": doc.id,
        "name": doc.title,
        "inLanguage": "da",
        "author": [
            {
                "@type": "Organization",
                "@id": land.organisations[o].iri if o in land.organisations else o,
                "name": land.owner_name(o),
            }
            for o in doc.owners
        ],
        "about": [
            {
                "@type": "MedicalCondition",
                "name": land.area_label(a),
                "code": {
                    "@type": "MedicalCode",
                    "codeValue": land.notation(a),
                    "codingSystem": "ICD-10",
                },
            }
            for a in doc.disease_areas
        ],
        "creativeWorkStatus": labels()["status"].get(doc.status, (doc.status, doc.status))[1],
        "genre": labels()["kind"].get(doc.kind, (doc.kind, doc.kind))[1],
        "isBasedOn": doc.sources,
    }
    optional = {
        "alternateName": doc.title_en,
        "url": doc.url,
        "datePublished": doc.issued,
        "guidelineDate": doc.issued,
        "dateModified": doc.modified,
        "version": doc.version,
    }
    data.update({k: v for k, v in optional.items() if v})
    return data
