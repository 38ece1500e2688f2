"""Resource run (issue 19): every GET route with its filters under 32 clients, some hanging up early.

    .venv/bin/retningsgraf synth --documents 30000 --seed 7 --out /tmp/s30k.ttl
    .venv/bin/retningsgraf load --store oxigraph:/tmp/s30k.db /tmp/s30k.ttl
    .venv/bin/python -m benchmarks.resources --store oxigraph:/tmp/s30k.db

It starts ``retningsgraf serve`` on the store (its default limits: 5 s a read, 200,000 items;
no rate limit, since every client here is one address), then, route by route, runs the clients
for ``--seconds``: every fourth client gives up after ``--hangup`` seconds and closes its
connection. The server's RSS is sampled from /proc every 50 ms. Per route it records p50 and
p99 of the answers that came (hung-up requests excluded), the status codes, the peak RSS and
how far the route moved it, and how long after the phase the server still had work running
(``GET /health/work``). A table goes to stdout and the figures to ``results/resources-<UTC>.json``.
Never part of the test suite. Everything goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).parent / "results"
DRAFT = {"title": "Behandling af depression hos voksne", "disease_areas": ["F32"], "populations": ["adults"]}
JSON = {"Accept": "application/json"}
SPARQL = (
    "SELECT ?kind (COUNT(?d) AS ?n) WHERE { ?d a <https://w3id.org/retningsgraf/ontology#GuidingDocument>, ?kind } "
    "GROUP BY ?kind"
)


def routes(doc: str, org: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, path, request options) for every GET route and its filters, and the draft check."""
    found: list[tuple[str, str, dict[str, Any]]] = [
        ("/health", "/health", {}),
        ("/documents", "/documents", {}),
    ]
    for name, value in (
        ("disease_area", "F32"),
        ("kind", "NKR"),
        ("owner", "sst"),
        ("status", "published"),
        ("population", "children"),
        ("topic", "treatment"),
        ("valid_on", "2026-01-01"),
        ("q", "depression"),
        ("offset", "20000"),
    ):
        found.append((f"/documents?{name}", "/documents", {"params": {name: value}}))
    for fmt in ("json", "html", "ttl"):
        found.append((f"/documents/{{id}}?format={fmt}", f"/documents/{doc}", {"params": {"format": fmt}}))
    found += [
        ("/documents/{id}/history", f"/documents/{doc}/history", {}),
        ("/organisations", "/organisations", {}),
        ("/organisations/{id}", f"/organisations/{org}", {}),
        ("/disease-areas", "/disease-areas", {}),
        ("/coverage", "/coverage", {}),
    ]
    for name, value in (("population", "children"), ("kind", "NKR"), ("owner", "sst"), ("valid_on", "2015-01-01")):
        found.append((f"/coverage?{name}", "/coverage", {"params": {name: value}}))
    found.append(("/gaps", "/gaps", {}))
    for rule in ("uncovered", "children", "treatment", "orphanedNKR", "reviewHorizon", "idleDMPG"):
        found.append((f"/gaps?rule={rule}", "/gaps", {"params": {"rule": rule}}))
    found += [
        ("/overlaps", "/overlaps", {}),
        ("/overlaps?owner&other_owner", "/overlaps", {"params": {"owner": "dmpg-dep", "other_owner": "sst"}}),
        ("/overlaps?relation", "/overlaps", {"params": {"relation": "duplicate"}}),
        ("/overlaps?min_score", "/overlaps", {"params": {"min_score": "0.8"}}),
        ("POST /overlaps/check", "/overlaps/check", {"method": "POST", "json": DRAFT}),
        ("/validation", "/validation", {}),
        ("/validation (Turtle)", "/validation", {"headers": {"Accept": "text/turtle"}}),
        ("/sparql/examples", "/sparql/examples", {}),
        ("/sparql", "/sparql", {"params": {"query": SPARQL}}),
    ]
    for fmt in ("csv", "xlsx", "svg"):
        found.append((f"/exports/coverage.{fmt}", f"/exports/coverage.{fmt}", {}))
    for fmt in ("csv", "xlsx"):
        found.append((f"/exports/gaps.{fmt}", f"/exports/gaps.{fmt}", {}))
    found += [
        ("/exports/overlaps.graphml", "/exports/overlaps.graphml", {}),
        ("/exports/graph.ttl", "/exports/graph.ttl", {}),
        ("/ (planning page)", "/", {}),
        ("/planning/cell", "/planning/cell", {"params": {"area": "F32"}}),
        ("/planning/cell?offset", "/planning/cell", {"params": {"area": "F32", "offset": "4000"}}),
        ("/planning/cell?population", "/planning/cell", {"params": {"area": "F32", "population": "children"}}),
        ("/planning/cell (JSON)", "/planning/cell", {"params": {"area": "F30-F39"}, "headers": JSON}),
        ("/planning/overlaps", "/planning/overlaps", {}),
        ("/planning/overlaps?owners", "/planning/overlaps", {"params": {"owner": "dmpg-dep", "other_owner": "sst"}}),
        ("/planning/check", "/planning/check", {"params": {"title": DRAFT["title"], "disease_areas": "F32"}}),
        ("/planning/sparql", "/planning/sparql", {}),
    ]
    return found


class RssSampler(threading.Thread):
    """Samples a process's resident set size (MB) every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.current, self.peak, self.stopped = pid, 0.0, 0.0, threading.Event()

    def run(self) -> None:
        """Sample until stopped or the process is gone."""
        while not self.stopped.wait(0.05):
            try:
                text = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            kb = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("VmRSS:")), 0)
            self.current = kb / 1024
            self.peak = max(self.peak, self.current)


def percentile(values: list[float], q: float) -> float | None:
    """The *q* quantile of *values* (nearest rank), or None."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def phase(
    base: str, path: str, options: dict[str, Any], clients: int, seconds: float, hangup: float
) -> dict[str, Any]:
    """Run *clients* against one route for *seconds*; every fourth client hangs up after *hangup* s."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    hung_up = 0

    async def client(number: int) -> None:
        nonlocal hung_up
        impatient = number % 4 == 3
        timeout = httpx.Timeout(hangup if impatient else 120.0)
        async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.request(
                        options.get("method", "GET"), path, **{k: v for k, v in options.items() if k != "method"}
                    )
                except httpx.TimeoutException:
                    hung_up += 1
                    continue
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] = statuses.get(type(error).__name__, 0) + 1
                    continue
                latencies.append(time.perf_counter() - started)
                key = str(response.status_code)
                statuses[key] = statuses.get(key, 0) + 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    return {
        "answers": len(latencies),
        "hung_up": hung_up,
        "statuses": statuses,
        "p50_ms": round(1000 * (percentile(latencies, 0.5) or 0), 1) if latencies else None,
        "p99_ms": round(1000 * (percentile(latencies, 0.99) or 0), 1) if latencies else None,
    }


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    """Run the resource benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, help="oxigraph:DIR, loaded with the synthetic landscape")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of load per route")
    parser.add_argument("--hangup", type=float, default=0.3, help="seconds after which every fourth client gives up")
    parser.add_argument("--only", default="", help="comma-separated route labels (default: all)")
    parser.add_argument("--settle", type=float, default=70.0, help="seconds to let the start-up thread warm first")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    args = parser.parse_args(argv)

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--store",
        args.store,
        "--port",
        str(port),
        "--rate-limit",
        "0",
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler = RssSampler(server.pid)
    sampler.start()
    rows: list[dict[str, Any]] = []
    try:
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() - started > 600:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        print(f"server up after {time.monotonic() - started:.0f} s, RSS {sampler.current:.0f} MB", file=sys.stderr)
        time.sleep(args.settle)  # the start-up thread warms gaps, pairs and the report (within its budget)
        print(f"settled: RSS {sampler.current:.0f} MB, peak {sampler.peak:.0f} MB", file=sys.stderr)
        startup_peak = sampler.peak
        doc = httpx.get(f"{base}/documents", params={"limit": 1, "owner": "sst"}, timeout=60).json()["items"][0]["id"]
        wanted = {label.strip() for label in args.only.split(",") if label.strip()}
        for label, path, options in routes(doc, "sst"):
            if wanted and label not in wanted:
                continue
            before = sampler.current
            sampler.peak = before
            result = asyncio.run(phase(base, path, options, args.clients, args.seconds, args.hangup))
            ended = time.monotonic()
            while httpx.get(f"{base}/health/work", timeout=30).json()["running"] and time.monotonic() - ended < 120:
                time.sleep(0.05)
            work = httpx.get(f"{base}/health/work", timeout=30).json()
            row = {
                "route": label,
                **result,
                "rss_before_mb": round(before),
                "rss_peak_mb": round(sampler.peak),
                "rss_moved_mb": round(sampler.peak - before),
                "drained_s": round(time.monotonic() - ended, 2),
                "work": work,
            }
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        sampler.stopped.set()

    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"resources-{stamp}.json"
    meta = {
        "startup_peak_mb": round(startup_peak),
        "store": args.store,
        "clients": args.clients,
        "seconds": args.seconds,
        "hangup": args.hangup,
        "cores": os.cpu_count(),
    }
    out.write_text(json.dumps({"run": meta, "routes": rows}, indent=1), encoding="utf-8")
    print("| route | answers | hung up | statuses | p50 ms | p99 ms | peak RSS MB | moved MB | drained s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(r["statuses"].items()))
        print(
            f"| {r['route']} | {r['answers']} | {r['hung_up']} | {statuses} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r['rss_peak_mb']} | {r['rss_moved_mb']} | {r['drained_s']} |"
        )
    print(f"\nserver peak RSS {max([r['rss_peak_mb'] for r in rows] or [0])} MB; written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
