"""The project's side of each figure: load, coverage and gaps, draft check, overlap pairs, validation.

Only the load step runs the project's loader; it dumps the loaded store as N-Quads, and every
later step restores that dump into a fresh in-memory store, so each starts from the same
state without paying the load again.
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.drafts import DRAFTS
from benchmarks.harness import repeat, summary

__all__ = ["STEPS"]


def _fresh_store(args: dict[str, Any]) -> Any:
    """Return a memory store holding the vocabulary, the shipped registry and the synthetic file.

    Restores the load step's N-Quads dump through the store's pyoxigraph handle when it can
    (a bulk load, seconds); otherwise loads the files the project's way.
    """
    import pyoxigraph as ox

    from graph.store.spec import open_store
    from loaders.ingest import ensure_seeded, load_files

    store = open_store("memory")
    dump = Path(args["project_nq"])
    raw = getattr(store, "_store", None)  # private, but the only way to skip the load
    if dump.exists() and isinstance(raw, ox.Store):
        raw.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
        return store
    ensure_seeded(store)
    load_files(store, [Path(args["synth"])], progress=False)
    return store


def context(args: dict[str, Any]) -> dict[str, Any]:
    """Write the vocabulary and the shipped registry as N-Triples, for the baselines' graphs."""
    from graph.store.spec import open_store
    from loaders.ingest import ensure_seeded

    store = open_store("memory")
    ensure_seeded(store)
    Path(args["context"]).write_bytes(store.dump("nt"))
    return {"triples": store.triple_count()}


def load(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``load_files`` of the synthetic file into a seeded memory store, then dump the store."""
    from graph.store.spec import open_store
    from loaders.ingest import ensure_seeded, load_files

    store = open_store("memory")
    started = time.perf_counter()
    ensure_seeded(store)  # vocabulary_writes plus the shipped registry, which owns the synthetic documents
    seeded = time.perf_counter()
    reports = load_files(store, [Path(args["synth"])], progress=False)
    loaded = time.perf_counter()
    Path(args["project_nq"]).write_bytes(store.dump("nq"))
    return {
        "seed_s": seeded - started,
        "time_s": loaded - seeded,
        "dump_s": time.perf_counter() - loaded,
        "documents": sum(r.documents for r in reports),
        "quads": store.triple_count(),
    }


def coverage(args: dict[str, Any]) -> dict[str, Any]:
    """Time coverage cold (first call after load, building the landscape) and warm (cached landscape)."""
    from graph.analysis.views import coverage as coverage_rows
    from graph.model.landscape import landscape

    store = _fresh_store(args)
    started = time.perf_counter()
    land = landscape(store)
    built = time.perf_counter()
    rows = coverage_rows(land)
    cold = time.perf_counter() - started
    return {
        "landscape_s": built - started,
        "cold_s": cold,
        "warm": summary(repeat(lambda: coverage_rows(landscape(store)), runs=50, budget=args["budget"])),
        "digest": {row["notation"]: row["total"] for row in rows},
    }


def gaps(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``run_rules`` cold (first call after load) and warm (the per-store cache)."""
    from graph.validation.gaps import run_rules

    store = _fresh_store(args)
    started = time.perf_counter()
    found = run_rules(store)
    cold = time.perf_counter() - started
    return {
        "cold_s": cold,
        "warm": summary(repeat(lambda: run_rules(store), runs=50, budget=args["budget"])),
        "digest": dict(Counter(r.rule for r in found)),
    }


def draft(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``check_draft`` over the twenty drafts, three times each, after one cold call."""
    from graph.analysis.overlap import Draft, check_draft
    from graph.model.landscape import landscape

    store = _fresh_store(args)
    started = time.perf_counter()
    land = landscape(store)
    built = time.perf_counter()
    check_draft(land, Draft(**DRAFTS[0]))
    cold = time.perf_counter() - built
    times, found = [], 0
    for _ in range(3):
        for item in DRAFTS:
            began = time.perf_counter()
            found += len(check_draft(land, Draft(**item)))
            times.append(time.perf_counter() - began)
    return {"landscape_s": built - started, "cold_s": cold, "warm": summary(times), "candidates": found}


def pairs(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``pairs`` on a freshly built landscape (its indexes included), then one owner's pairs alone."""
    from graph.analysis.overlap import RELATIONS, pairs_of
    from graph.analysis.overlap import pairs as all_pairs
    from graph.analysis.scope_index import scope_index
    from graph.model.landscape import landscape

    store = _fresh_store(args)
    started = time.perf_counter()
    land = landscape(store)
    index = scope_index(land)
    built = time.perf_counter()
    owner = Counter(o for d in land.documents.values() for o in d.owners).most_common(1)[0][0]
    mine = [slot for slot, i in enumerate(index.ids) if owner in land.documents[i].owners]
    began = time.perf_counter()
    own = pairs_of(land, np.array(mine))
    owner_s = time.perf_counter() - began
    began = time.perf_counter()
    found = all_pairs(land)
    counts = np.bincount(found.table.relation, minlength=len(RELATIONS) + 1)
    return {
        "landscape_s": built - started,
        "time_s": time.perf_counter() - began,
        "pairs": len(found),
        "relations": {r: int(counts[n]) for n, r in enumerate(RELATIONS, 1)},
        "owner": owner,
        "owner_documents": len(mine),
        "owner_pairs": len(own),
        "owner_time_s": owner_s,
    }


def validate(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``validate_store`` (core shapes on graph.validation.engine plus the gap rules), then each half alone."""
    from graph.validation.gaps import rules, run_rules
    from graph.validation.validate import validate_shapes, validate_store

    store = _fresh_store(args)
    started = time.perf_counter()
    report = validate_store(store)
    total = time.perf_counter() - started
    began = time.perf_counter()
    validate_shapes(store)
    core = time.perf_counter() - began
    began = time.perf_counter()
    run_rules(store, rules())  # the rules by name: run again, not the store generation's results
    gaps = time.perf_counter() - began
    return {"time_s": total, "core_s": core, "gaps_s": gaps, "conforms": report.conforms, "counts": report.counts()}


# Names an incremental validation API might have; the first one graph.validation.validate defines is measured.
INCREMENTAL = ("validate_document", "validate_documents", "validate_write", "validate_incremental", "revalidate")


def incremental(args: dict[str, Any]) -> dict[str, Any]:
    """Time validating one written document, if graph.validation.validate offers a function for it."""
    from rdflib import URIRef

    from graph.validation.validate import validate_store

    module = importlib.import_module("graph.validation.validate")
    name = next((n for n in INCREMENTAL if callable(getattr(module, n, None))), None)
    if name is None:
        return {"status": "not implemented", "looked_for": list(INCREMENTAL)}
    fn = getattr(module, name)
    store = _fresh_store(args)
    validate_store(store)
    iri = URIRef(f"https://w3id.org/retningsgraf/document/synth-{args['seed']}-{args['size'] // 2:06d}")
    for candidate in ((store, iri), (store, [iri]), (store, str(iri))):
        try:
            fn(*candidate)
        except TypeError:
            continue
        times = repeat(lambda c=candidate: fn(*c), runs=20, budget=args["budget"])
        return {"function": f"graph.validation.validate.{name}{inspect.signature(fn)}", "warm": summary(times)}
    where = f"graph.validation.validate.{name}{inspect.signature(fn)}"
    return {"status": "error", "error": f"{where}: no known call worked"}


STEPS = {
    "context": context,
    "load": load,
    "coverage": coverage,
    "gaps": gaps,
    "draft": draft,
    "pairs": pairs,
    "validate": validate,
    "incremental": incremental,
}
