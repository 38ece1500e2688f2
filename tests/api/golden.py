"""Every read answer of the API on the shipped registry, recorded so a refactoring can prove it changed none.

``python -m tests.api.golden --record`` writes ``tests/data/golden/registry-answers.json.gz``: for each
request below, the status, the content type, the ETag and the SHA-256 of the body, plus the body itself
(compressed) so a failing comparison can show what moved.  ``tests/api/test_answers_unchanged.py``
replays the same requests and compares.  Re-record only for a change of behaviour that is meant, and
say which answers it changes in the commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "registry-answers.json.gz"

# Answers that are meant to differ between two runs on the same data.
VOLATILE = {"/health", "/openapi.json"}
# The time of each load (its PROV activity and timestamp) is the only part of an answer meant to
# change from one start to the next; it is masked before hashing.
LOAD_TIME = {
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00"): "2000-01-01T00:00:00.000000+00:00",
    re.compile(r"\d{8}T\d{12}Z"): "20000101T000000000000Z",
}
# Sets are iterated in hash order (shared title words, serialised triples): the answers are recorded and
# compared with one hash seed so the comparison sees changes of behaviour, not of order.
HASH_SEED = "0"
# Answers whose triples come in an order that follows the load time (the store's own order): these
# are compared as RDF graphs (isomorphism), every other answer byte for byte.
AS_GRAPH = {"/exports/graph.ttl": "turtle", "/exports/graph.nt": "nt", "/exports/graph.jsonld": "json-ld"}


@dataclass(frozen=True)
class Ask:
    """One request: method, path, query parameters, headers and (for POST) a JSON body."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None

    @property
    def key(self) -> str:
        parts = [self.method, self.path]
        if self.params:
            parts.append("&".join(f"{k}={v}" for k, v in self.params))
        if self.headers:
            parts.append(";".join(f"{k}: {v}" for k, v in self.headers))
        if self.body is not None:
            parts.append(self.body)
        return " ".join(parts)


DRAFTS = [
    {"title": "Behandling af depression hos voksne", "disease_areas": ["F32"], "populations": ["adults"]},
    {"title": "Medicinsk behandling af ADHD hos børn og unge", "disease_areas": ["F90"], "topics": ["pharmacological"]},
    {"title": "Skizofreni: psykosociale indsatser", "disease_areas": ["F20"]},
    {"title": "Spiseforstyrrelser"},
]

SPARQL = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?d ?t WHERE { ?d dct:title ?t } ORDER BY ?d ?t LIMIT 50",
    "ASK { ?s a <http://www.w3.org/2004/02/skos/core#Concept> }",
]


def asks(documents: list[dict[str, Any]], organisations: list[dict[str, Any]]) -> Iterator[Ask]:
    """The requests to record, derived from what the registry holds."""
    for path in ("/health", "/documents", "/organisations", "/disease-areas", "/coverage", "/gaps", "/overlaps"):
        yield Ask("GET", path)
    yield Ask("GET", "/documents", (("limit", "500"),))
    yield Ask("GET", "/documents", (("limit", "7"), ("offset", "14")))
    values: dict[str, set[str]] = {"kind": set(), "status": set(), "population": set(), "topic": set()}
    areas: set[str] = set()
    for doc in documents:
        values["kind"].add(doc["kind"])
        values["status"].add(doc["status"])
        values["population"].update(doc["populations"])
        values["topic"].update(doc["topics"])
        areas.update(area["notation"] for area in doc["disease_areas"])
    for field, seen in values.items():
        for value in sorted(seen):
            yield Ask("GET", "/documents", ((field, value), ("limit", "500")))
    for area in sorted(areas)[:: max(1, len(areas) // 12)]:
        yield Ask("GET", "/documents", (("disease_area", area), ("limit", "500")))
    for org in organisations:
        yield Ask("GET", "/documents", (("owner", org["id"]), ("limit", "500")))
    yield Ask("GET", "/documents", (("q", "depression"), ("limit", "500")))
    yield Ask("GET", "/documents", (("valid_on", "2015-01-01"), ("limit", "500")))
    for doc in documents:
        for fmt in ("json", "html", "ttl", "jsonld", "nt"):
            yield Ask("GET", f"/documents/{doc['id']}", (("format", fmt),))
        yield Ask("GET", f"/documents/{doc['id']}/history")
    for org in organisations:
        yield Ask("GET", f"/organisations/{org['id']}")
    for population in sorted(values["population"]):
        yield Ask("GET", "/coverage", (("population", population),))
    for kind in sorted(values["kind"]):
        yield Ask("GET", "/coverage", (("kind", kind),))
    yield Ask("GET", "/coverage", (("valid_on", "2015-01-01"),))
    yield Ask("GET", "/coverage", (("owner", "sst"),))
    for rule in ("children", "idleDMPG", "orphanedNKR", "reviewHorizon", "treatment", "uncovered"):
        yield Ask("GET", "/gaps", (("rule", rule),))
    # What counts, widened; and the gap list under the matrix's filters (issue 14).
    yield Ask("GET", "/coverage", (("level", "national,regional"),))
    yield Ask("GET", "/coverage", (("purpose", "clinical,organisational"),))
    for params in (
        (("population", "children"),),
        (("owner", "sst"),),
        (("level", "national,regional,local"),),
        (("valid_on", "2015-01-01"),),
    ):
        yield Ask("GET", "/gaps", params)
    for params in (
        (("owner", "sst"),),
        (("relation", "duplicate"),),
        (("relation", "supersedes"),),
        (("relation", "may_replace"),),
        (("min_score", "0.5"),),
        (("owner", "dmpg-dep"), ("other_owner", "sst")),
        (("limit", "5"),),
    ):
        yield Ask("GET", "/overlaps", params)
    for draft in DRAFTS:
        yield Ask("POST", "/overlaps/check", body=json.dumps(draft, ensure_ascii=False))
    yield Ask("GET", "/validation")
    yield Ask("GET", "/validation", headers=(("Accept", "text/turtle"),))
    yield Ask("GET", "/sparql/examples")
    for query in SPARQL:
        yield Ask("GET", "/sparql", (("query", query),), (("Accept", "application/sparql-results+json"),))
    for fmt in ("csv", "svg"):
        yield Ask("GET", f"/exports/coverage.{fmt}")
    yield Ask("GET", "/exports/coverage.csv", (("lang", "en"),))
    yield Ask("GET", "/exports/gaps.csv")
    yield Ask("GET", "/exports/overlaps.graphml")
    for fmt in ("ttl", "nt", "jsonld"):
        yield Ask("GET", f"/exports/graph.{fmt}")
    for lang in ("da", "en"):
        cookie = (("Cookie", f"lang={lang}"),)
        yield Ask("GET", "/", headers=cookie)
        yield Ask("GET", "/planning/cell", (("area", "F32"),), cookie)
        yield Ask("GET", "/planning/cell", (("area", "F30-F39"), ("population", "children")), cookie)
        yield Ask("GET", "/planning/overlaps", headers=cookie)
        yield Ask("GET", "/planning/overlaps", (("owner", "sst"), ("relation", "duplicate")), cookie)
        yield Ask("GET", "/planning/check", (("title", DRAFTS[0]["title"]), ("disease_area", "F32")), cookie)
        yield Ask("GET", "/planning/sparql", headers=cookie)


def answer(client: Any, ask: Ask) -> dict[str, Any]:
    """Send *ask* through *client* (a FastAPI TestClient) and return what is recorded of the answer."""
    headers = dict(ask.headers)
    if ask.method == "POST":
        headers.setdefault("Content-Type", "application/json")
        response = client.post(ask.path, params=list(ask.params), headers=headers, content=ask.body)
    else:
        response = client.get(ask.path, params=list(ask.params), headers=headers)
    text = response.content.decode("utf-8", "replace")
    for pattern, stand_in in LOAD_TIME.items():
        text = pattern.sub(stand_in, text)
    # An export says the day it was made ("retningsgraf 2026-12-05"): a recording must not fail the next day.
    text = text.replace(f"retningsgraf {dt.date.today().isoformat()}", "retningsgraf 2000-01-01")
    masked = text.encode()
    rdf_format = AS_GRAPH.get(ask.path) or ("turtle" if ask.path == "/validation" and ask.headers else None)
    if rdf_format and response.status_code == 200:
        masked = canonical(masked, rdf_format)
    return {
        "status": response.status_code,
        "type": response.headers.get("content-type"),
        "etag": response.headers.get("etag"),
        "sha256": hashlib.sha256(masked).hexdigest(),
        "body": masked.decode("utf-8", "replace"),
    }


def canonical(body: bytes, rdf_format: str) -> bytes:
    """*body* parsed as RDF and written as sorted N-Triples with canonical blank node labels."""
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    graph = to_canonical_graph(Graph().parse(data=body, format=rdf_format))
    return "\n".join(sorted(graph.serialize(format="nt").splitlines())).encode()


def record_all() -> dict[str, dict[str, Any]]:
    """Start the app in process on the shipped registry and return every answer, keyed by request."""
    from fastapi.testclient import TestClient

    from api.main import Settings, create_app

    with TestClient(create_app(Settings(warm=False))) as client:
        documents = client.get("/documents", params={"limit": 500}).json()["items"]
        organisations = client.get("/organisations").json()
        organisations = organisations["items"] if isinstance(organisations, dict) else organisations
        return {ask.key: answer(client, ask) for ask in asks(documents, organisations) if ask.path not in VOLATILE}


def load() -> dict[str, dict[str, Any]]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write the recorded answers")
    args = parser.parse_args()
    if os.environ.get("PYTHONHASHSEED") != HASH_SEED:
        env = {**os.environ, "PYTHONHASHSEED": HASH_SEED}
        sys.exit(subprocess.run([sys.executable, "-m", "tests.api.golden", *sys.argv[1:]], env=env).returncode)
    answers = record_all()
    if args.record:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        with gzip.GzipFile(GOLDEN, "wb", mtime=0) as handle:
            handle.write(json.dumps(answers, ensure_ascii=False, sort_keys=True, indent=0).encode())
        print(f"{len(answers)} answers written to {GOLDEN}")
    else:
        old = load()
        changed = [key for key in answers if key in old and answers[key]["sha256"] != old[key]["sha256"]]
        print(f"{len(answers)} answers, {len(changed)} changed, {len(set(old) - set(answers))} no longer asked")
        for key in changed:
            print("changed:", key)
        sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
