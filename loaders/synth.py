"""Synthetic landscapes for benchmarks: the real registry's shape, scaled to any size, deterministic per seed.

Kinds, owners per kind, ICD-10 codes, populations, topics, statuses, dates, links and title
words are drawn from the distributions of the shipped registry, so a large synthetic landscape
stresses the engines the way a real one of that size would.  The output is Turtle written line
by line (every line is also valid N-Triples), so even the benchmarks' largest landscapes are
written quickly.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rdflib import Literal

from graph.model.landscape import Landscape
from graph.store.namespaces import DCTERMS, GD, ORG, POPULATION, RDF, SKOS, STATUS, TOPIC, XSD, Minter

__all__ = ["write_synthetic"]

# Extra owners so that a large landscape has the many regional and local owners a real one has.
REGIONS = ("region-nord", "region-midt", "region-syd", "region-sj", "region-h")
LOCAL_OWNERS_PER_REGION = 40


# What a synthetic document of a kind is, where the registry has no document of that kind with these facts:
# (level, purpose). Validity follows the status: in force when published, historical when no longer valid.
_KIND_FACTS = {
    "RegionalGuideline": ("regional", "clinical"),
    "CourseDescription": ("national", "organisational"),
    "PackagePathway": ("national", "organisational"),
}
_NOT_VALID = ("not-valid", "superseded", "withdrawn")


def _weighted(counter: Counter[str]) -> tuple[list[str], list[int]]:
    items = sorted(counter.items())
    return [k for k, _ in items], [v for _, v in items]


def _lines(land: Landscape, count: int, seed: int, minter: Minter) -> Iterator[str]:
    rng = random.Random(seed)
    docs = list(land.documents.values())
    kinds, kind_weights = _weighted(Counter(d.kind for d in docs))
    owners_by_kind: dict[str, Counter[str]] = {}
    areas_by_kind: dict[str, Counter[str]] = {}
    for doc in docs:
        owners = doc.owners
        if doc.kind == "DMPGGuideline":
            # Keep the rule that a DMPG guideline is owned by a DMPG: draw only the groups themselves.
            owners = [o for o in owners if o in land.organisations and land.organisations[o].is_dmpg]
            if not owners:
                continue  # owned by the umbrella DMPG.dk alone: no group to draw
        owners_by_kind.setdefault(doc.kind, Counter()).update(owners or ["sst"])
        areas_by_kind.setdefault(doc.kind, Counter()).update(doc.disease_areas)
    statuses, status_weights = _weighted(Counter(d.status for d in docs))
    # Level, purpose and validity per kind and status, as the registry has them.
    facts_by_kind: dict[tuple[str, str], Counter[tuple[str, str, str]]] = {}
    for doc in docs:
        if doc.level and doc.purpose and doc.validity:
            facts_by_kind.setdefault((doc.kind, doc.status), Counter())[(doc.level, doc.purpose, doc.validity)] += 1
    # A second generator, so adding these facts left every other draw (and so every earlier landscape) as it was.
    facts_rng = random.Random(seed + 1)
    populations = sorted({p for d in docs for p in d.populations}) or ["adults"]
    topics = sorted({t for d in docs for t in d.topics}) or ["treatment"]
    words = sorted({w for d in docs for w in d.title.split() if len(w) > 3 and w.isalpha()})
    years = [int(d.issued[:4]) for d in docs if d.issued] or [2015]

    local_owners = [f"{region}-afd-{i:02d}" for region in REGIONS for i in range(LOCAL_OWNERS_PER_REGION)]
    for org_id in local_owners:
        org = minter.organisation(org_id)
        parent = org_id.rsplit("-afd-", 1)[0]
        yield f"<{org}> <{RDF.type}> <{ORG.Organization}> ."
        yield f"<{org}> <{DCTERMS.identifier}> {Literal(org_id).n3()} ."
        yield f"<{org}> <{SKOS.prefLabel}> {Literal(f'Afdeling {org_id}', lang='da').n3()} ."
        if parent in land.organisations:
            yield f"<{org}> <{ORG.subOrganizationOf}> <{minter.organisation(parent)}> ."

    made: list[str] = []
    for index in range(count):
        kind = rng.choices(kinds, kind_weights)[0]
        doc_id = f"synth-{seed}-{index:06d}"
        iri = minter.document(doc_id)
        owner_names, owner_weights = _weighted(owners_by_kind[kind])
        owner = rng.choices(owner_names, owner_weights)[0]
        if kind == "RegionalGuideline" and rng.random() < 0.8:
            owner = rng.choice(local_owners)
        area_names, area_weights = _weighted(areas_by_kind[kind])
        status = rng.choices(statuses, status_weights)[0]
        title_words = rng.sample(words, k=min(len(words), rng.randint(3, 8)))
        yield f"<{iri}> <{RDF.type}> <{GD.GuidingDocument}> ."
        yield f"<{iri}> <{RDF.type}> <{GD[kind]}> ."
        yield f"<{iri}> <{DCTERMS.identifier}> {Literal(doc_id).n3()} ."
        yield f"<{iri}> <{DCTERMS.title}> {Literal(' '.join(title_words).capitalize(), lang='da').n3()} ."
        yield f"<{iri}> <{GD.ownedBy}> <{minter.organisation(owner)}> ."
        for area in sorted(set(rng.choices(area_names, area_weights, k=rng.randint(1, 2)))):
            yield f"<{iri}> <{GD.diseaseArea}> <{area}> ."
        for population in rng.sample(populations, k=rng.randint(0, min(2, len(populations)))):
            yield f"<{iri}> <{GD.population}> <{POPULATION[population]}> ."
        for topic in rng.sample(topics, k=rng.randint(1, min(3, len(topics)))):
            yield f"<{iri}> <{GD.topic}> <{TOPIC[topic]}> ."
        yield f"<{iri}> <{GD.status}> <{STATUS[status]}> ."
        known = facts_by_kind.get((kind, status))
        if known:
            names, weights = zip(*sorted(known.items()), strict=True)
            level, purpose, validity = facts_rng.choices(names, weights)[0]
        else:
            level, purpose = _KIND_FACTS.get(kind, ("national", "clinical"))
            validity = "in-force" if status == "published" else "historical" if status in _NOT_VALID else "unknown"
        yield f"<{iri}> <{GD.level}> {Literal(level).n3()} ."
        yield f"<{iri}> <{GD.purpose}> {Literal(purpose).n3()} ."
        yield f"<{iri}> <{GD.validity}> {Literal(validity).n3()} ."
        if status not in (
            "planned",
            "in-development",
            "internal-consultation",
            "external-consultation",
        ):
            year = rng.choice(years) + rng.randint(-2, 8)
            date = Literal(
                f"{min(year, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                datatype=XSD.date,
            )
            yield f"<{iri}> <{DCTERMS.issued}> {date.n3()} ."
        yield f"<{iri}> <{DCTERMS.source}> <https://example.org/synthetic/{doc_id}> ."
        if made and rng.random() < 0.15:
            target = rng.choice(made[-500:])
            prop = rng.choice((DCTERMS.references, GD.implements, GD.supplements))
            yield f"<{iri}> <{prop}> <{minter.document(target)}> ."
        made.append(doc_id)


def write_synthetic(land: Landscape, count: int, seed: int, out: Path, minter: Minter | None = None) -> int:
    """Write a synthetic landscape of *count* documents shaped like *land* to *out* (Turtle).

    Args:
        land: the real landscape whose distributions are copied.
        count: number of documents.
        seed: the random seed; the same seed gives the same file.
        out: the Turtle file to write.
        minter: mints the IRIs (the configured base by default).

    Returns:
        The number of triples written.
    """
    minter = minter or Minter()
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        handle.write(f"# Synthetic landscape: {count} documents, seed {seed}, shaped like the shipped registry.\n")
        for line in _lines(land, count, seed, minter):
            handle.write(line + "\n")
            written += 1
    return written
