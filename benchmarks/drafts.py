"""Twenty varied drafts for the draft-check figure: categories and blocks, one to three topics, some populations."""

from __future__ import annotations

from typing import Any

__all__ = ["DRAFTS", "sparql_inputs"]

ICD10 = "https://w3id.org/retningsgraf/icd10/"
TOPIC = "https://w3id.org/retningsgraf/topic/"

# (title, disease areas, topics, populations)
DRAFTS: list[dict[str, Any]] = [
    {"title": "Behandling af depression hos voksne", "disease_areas": ["F32"], "topics": ["treatment"]},
    {"title": "Udredning af ADHD hos børn og unge", "disease_areas": ["F90"], "topics": ["assessment"]},
    {"title": "Medicinsk behandling af skizofreni", "disease_areas": ["F20"], "topics": ["pharmacological"]},
    {"title": "Bipolar lidelse: opfølgning og monitorering", "disease_areas": ["F31"], "topics": ["monitoring"]},
    {"title": "Spiseforstyrrelser hos unge", "disease_areas": ["F50"], "topics": ["treatment", "assessment"]},
    {"title": "Alkoholafhængighed og abstinensbehandling", "disease_areas": ["F10"], "topics": ["treatment"]},
    {"title": "Angst og OCD: psykoterapi", "disease_areas": ["F40-F48"], "topics": ["non-pharmacological"]},
    {"title": "Demens og delirium i ældreplejen", "disease_areas": ["F03", "F05"], "topics": ["organisation"]},
    {"title": "Personlighedsforstyrrelser hos voksne", "disease_areas": ["F60"], "topics": ["treatment"]},
    {"title": "Autisme: udredning og støtte", "disease_areas": ["F84"], "topics": ["assessment", "rehabilitation"]},
    {"title": "Forebyggelse af selvmord efter depression", "disease_areas": ["F32", "F33"], "topics": ["prevention"]},
    {"title": "Psykoser: tidlig indsats", "disease_areas": ["F20-F29"], "topics": ["treatment", "organisation"]},
    {"title": "Opioidafhængighed: substitutionsbehandling", "disease_areas": ["F11"], "topics": ["pharmacological"]},
    {"title": "Tværsektorielt samarbejde om misbrug", "disease_areas": ["F10-F19"], "topics": ["cross-sector"]},
    {"title": "PTSD hos flygtninge", "disease_areas": ["F43"], "topics": ["non-pharmacological", "assessment"]},
    {"title": "Periodisk depression: vedligeholdelse", "disease_areas": ["F33"], "topics": ["pharmacological"]},
    {"title": "Rehabilitering ved skizofreni", "disease_areas": ["F20"], "topics": ["rehabilitation"]},
    {"title": "Affektive lidelser hos ældre", "disease_areas": ["F30-F39"], "topics": ["treatment", "monitoring"]},
    {
        "title": "Cannabis og psykose hos unge",
        "disease_areas": ["F12", "F23"],
        "topics": ["treatment", "assessment", "prevention"],
    },
    {"title": "Tics og Tourettes syndrom", "disease_areas": ["F95"], "topics": ["assessment"]},
]
POPULATIONS = {1: ["children"], 4: ["children"], 7: ["elderly"], 8: ["adults"], 14: ["adults"], 17: ["elderly"]}
for _index, _populations in POPULATIONS.items():
    DRAFTS[_index]["populations"] = _populations


def sparql_inputs(draft: dict[str, Any]) -> dict[str, list[str]]:
    """Return the draft's disease areas and topics as concept IRIs, for the VALUES of ``draft_candidates.rq``.

    A range such as ``F40-F48`` is an ICD-10 block and so a concept of its own.
    """
    return {
        "draftArea": [ICD10 + code for code in draft["disease_areas"]],
        "topic": [TOPIC + topic for topic in draft["topics"]],
    }
