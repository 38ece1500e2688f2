"""Load test: a real uvicorn on loopback under N concurrent clients mixing reads, SPARQL, draft checks and writes.

Run with ``.venv/bin/python -m benchmarks.load_test [--clients 32] [--seconds 20]``. It starts
``retningsgraf serve`` on a persistent store in a temporary directory with an edit token, drives
it for a bounded time, then checks that every write the server acknowledged is there (zero lost
writes) and prints throughput, p50/p99 latency per kind of request and the error count.
Every request goes to 127.0.0.1; the loops stop by themselves.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

TOKEN = "load-test-token-" + "x" * 16
DRAFTS = [
    {"title": "Behandling af alkoholmisbrug og -afhængighed", "disease_areas": ["F10"], "topics": ["treatment"]},
    {"title": "Udredning af ADHD hos voksne", "disease_areas": ["F90"], "populations": ["adults"]},
    {"title": "Psykoedukation ved bipolar lidelse"},
    {"title": "Svær anoreksi hos børn og unge", "disease_areas": ["F50.0"], "populations": ["children"]},
]
SPARQL = (
    "PREFIX gd: <https://w3id.org/retningsgraf/ontology#> "
    "SELECT ?kind (COUNT(?d) AS ?n) WHERE { ?d a gd:GuidingDocument, ?kind } GROUP BY ?kind"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(store: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "RETNINGSGRAF_TOKENS": f"loadtest:edit:{TOKEN}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--store", store, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def _client(
    url: str, stop_at: float, seed: int, results: dict[str, list[float]], errors: list[str], written: list[str]
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, timeout=30) as http:
        ids = [d["id"] for d in http.get("/documents", params={"limit": 200}).json()["items"]]
        number = 0
        while time.monotonic() < stop_at:
            kind = rng.choices(["read", "list", "sparql", "draft", "write"], [40, 15, 15, 20, 10])[0]
            start = time.perf_counter()
            try:
                if kind == "read":
                    response = http.get(f"/documents/{rng.choice(ids)}")
                elif kind == "list":
                    response = http.get("/coverage")
                elif kind == "sparql":
                    response = http.get("/sparql", params={"query": SPARQL})
                elif kind == "draft":
                    response = http.post("/overlaps/check", json=rng.choice(DRAFTS))
                else:
                    number += 1
                    doc_id = f"load-{seed:02d}-{number:05d}"
                    body = {
                        "id": doc_id,
                        "title": f"Belastningstest {seed} {number}",
                        "kind": "NationalClinicalRecommendation",
                        "owners": ["sst"],
                        "disease_areas": ["F32"],
                        "status": "planned",
                        "sources": ["https://example.org/load-test"],
                    }
                    response = http.post("/documents", json=body, headers=headers)
                    if response.status_code == 201:
                        written.append(doc_id)
            except httpx.HTTPError as error:
                errors.append(f"{kind}: {type(error).__name__}")
                continue
            results[kind].append(time.perf_counter() - start)
            if response.status_code >= 400:
                errors.append(f"{kind}: HTTP {response.status_code}")


def main() -> None:
    """Run the load test and print its figures (and write them as JSON to benchmarks/results/)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        process, url = _start(f"oxigraph:{Path(directory) / 'db'}")
        try:
            results: dict[str, list[float]] = defaultdict(list)
            errors: list[str] = []
            written: list[str] = []
            stop_at = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=_client, args=(url, stop_at, i, results, errors, written))
                for i in range(args.clients)
            ]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.seconds + 120)
            elapsed = time.monotonic() - began
            lost = [
                doc_id for doc_id in written if httpx.get(f"{url}/documents/{doc_id}", timeout=30).status_code != 200
            ]
        finally:
            process.terminate()
            process.wait(timeout=30)
    total = sum(len(v) for v in results.values())
    report = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": total,
        "throughput_per_s": round(total / elapsed, 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:20],
        "writes_acknowledged": len(written),
        "writes_lost": len(lost),
        "latency_ms": {
            kind: {
                "n": len(times),
                "p50": round(statistics.median(times) * 1000, 1),
                "p99": round(sorted(times)[int(0.99 * (len(times) - 1))] * 1000, 1),
            }
            for kind, times in sorted(results.items())
        },
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    out = Path(__file__).parent / "results" / f"load-test-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
