"""Issue 17's figures: memory per API worker in remote mode, and the API on Virtuoso beside the embedded store.

For each size, ``retningsgraf synth --documents N --seed 7`` is loaded with ``retningsgraf load`` into an
on-disk Oxigraph store (seeded with the registry, as an operator would). Then, one after the other:

- embedded: ``retningsgraf serve --store oxigraph:DIR`` on that directory;
- remote (Oxigraph): ``oxigraph serve --location DIR --union-default-graph`` on the same directory, and
  ``retningsgraf serve --store sparql:...`` on it;
- remote (Virtuoso, ``--virtuoso``): the directory's quads bulk-loaded into a fresh Virtuoso (``ld_dir``),
  and ``retningsgraf serve --store sparql:...`` on it.

Each API worker is started without its warm-up thread (``--no-warm``: gaps, pairs and the SHACL report
are built by the first request that needs them). Its RSS is read after start-up (the read model: the
landscape and the draft check's index), after the requests below (their views built), and after SPARQL
queries that read every quad (a count, every quad as TSV, a CONSTRUCT of every triple). The requests,
timed as one client (p50 of ``--repeat`` after a first, untimed one): ``GET /coverage``, ``GET /gaps``
(first page), ``GET /documents?limit=20``, ``POST /overlaps/check``. The table gives how many such
workers fit in 24 GiB, alone and beside the engine on the same machine.

```sh
.venv/bin/python -m benchmarks.remote_memory                                  # 30,000 documents, Oxigraph
.venv/bin/python -m benchmarks.remote_memory --documents 30000,100000 --virtuoso
```

Writes ``results/remote-memory-<UTC>.json``; the table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from graph.store import virtuoso
from tests.api.conftest import free_port, stop

RESULTS = Path(__file__).parent / "results"
GIB = 1024**3
DRAFT = {"title": "Behandling af depression hos voksne", "disease_areas": ["F32"], "populations": ["adults"]}
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET /coverage", "/coverage", {}),
    ("GET /gaps (first page)", "/gaps", {}),
    ("GET /documents?limit=20", "/documents", {"params": {"limit": 20}}),
    ("POST /overlaps/check", "/overlaps/check", {"json": DRAFT}),
]
SPARQL = [
    ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "application/sparql-results+json"),
    ("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "text/tab-separated-values"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples"),
]


def rss(pid: int) -> dict[str, int]:
    """The process's resident set now and at its peak, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return {"rss": found["VmRSS"], "peak": found["VmHWM"]}


def cli(*args: str, timeout: float = 7200) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "api.cli", *args], check=True, capture_output=True, timeout=timeout)
    return time.monotonic() - started


@contextlib.contextmanager
def oxigraph_server(location: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    binary = Path(sys.executable).parent / "oxigraph"
    command = [str(binary), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        [*command, "--union-default-graph"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{url}/query", params={"query": "ASK {}"}, timeout=5)
                break
            time.sleep(0.2)
        yield process, f"sparql:{url}/query,{url}/update"
    finally:
        stop(process)


@contextlib.contextmanager
def virtuoso_server(location: Path, workdir: Path) -> Iterator[tuple[int, str]]:
    """A fresh Virtuoso holding the quads of the Oxigraph store at *location* (bulk loader)."""
    import pyoxigraph as ox

    data = workdir / "quads"
    data.mkdir()
    store = ox.Store.read_only(str(location))
    store.dump(str(data / "store.nq"), format=ox.RdfFormat.N_QUADS)
    del store
    with virtuoso.local_virtuoso(workdir / "virtuoso", dirs_allowed=(data,), buffers=340000) as server:
        server.isql(f"ld_dir('{data}', '*.nq', 'urn:retningsgraf:unused');", timeout=60)
        server.isql("rdf_loader_run();", timeout=7200)
        server.isql("checkpoint;", timeout=600)
        assert server.process is not None
        yield server.process.pid, server.store_spec


def start_server(*args: str, limit: float = 1800) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``retningsgraf serve`` on a free loopback port and wait (up to *limit* s) until /health answers."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "api.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--rate-limit",
        "0",
    ]
    log = tempfile.NamedTemporaryFile(prefix="retningsgraf-serve-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen([*command, *args], stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = Path(log.name).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"retningsgraf serve {' '.join(args)} exited with {process.returncode}:\n{tail}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return process, url
        time.sleep(0.5)
    stop(process)
    raise RuntimeError(f"retningsgraf serve did not answer /health within {limit:.0f} s")


def timed(http: httpx.Client, method: str, path: str, repeat: int, **options: Any) -> dict[str, Any]:
    statuses, seconds = [], []
    for attempt in range(repeat + 1):
        started = time.perf_counter()
        response = http.request(method, path, **options)
        if attempt:  # the first builds what the route needs; the rest are what a user waits
            seconds.append(time.perf_counter() - started)
        statuses.append(response.status_code)
    return {"p50_ms": round(statistics.median(seconds) * 1000, 1), "statuses": sorted(set(statuses))}


def measure_api(spec: str, args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    """Start one API worker on *spec*; its RSS after start, requests and SPARQL, and the requests' times."""
    started = time.monotonic()
    process, url = start_server(
        "--store",
        spec,
        "--no-warm",
        "--sparql-max-rows",
        "100000000",
        "--sparql-timeout",
        "600",
        "--read-budget",
        "0",
        "--max-items",
        "0",
    )
    figures: dict[str, Any] = {"startup_s": round(time.monotonic() - started, 1)}
    try:
        figures["after_start"] = rss(process.pid)
        log(f"  started in {figures['startup_s']} s, RSS {figures['after_start']['rss'] / 2**20:.0f} MiB")
        with httpx.Client(base_url=url, timeout=1200) as http:
            figures["requests"] = {
                name: timed(http, "POST" if name.startswith("POST") else "GET", path, args.repeat, **options)
                for name, path, options in REQUESTS
            }
            figures["after_requests"] = rss(process.pid)
            sparql = []
            for query, accept in SPARQL:
                begun = time.perf_counter()
                response = http.get("/sparql", params={"query": query}, headers={"Accept": accept})
                sparql.append(
                    {
                        "query": query,
                        "status": response.status_code,
                        "bytes": len(response.content),
                        "s": round(time.perf_counter() - begun, 2),
                    }
                )
            figures["sparql"] = sparql
            figures["after_sparql"] = rss(process.pid)
        # The embedded store's SPARQL workers are processes of their own, each holding a copy of the store.
        figures["children_rss"] = sum(rss(int(child))["rss"] for child in _children(process.pid))
        log(f"  requests {json.dumps(figures['requests'])}")
        log(
            f"  RSS after requests {figures['after_requests']['rss'] / 2**20:.0f} MiB, "
            f"after SPARQL {figures['after_sparql']['rss'] / 2**20:.0f} MiB, peak {figures['after_sparql']['peak'] / 2**20:.0f} MiB"
        )
    finally:
        stop(process)
    return figures


def _children(pid: int) -> list[str]:
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            found += (task / "children").read_text().split()
    return found


def measure_size(
    documents: int, args: argparse.Namespace, log: Callable[[str], None], save: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"retningsgraf-remote-{documents}-") as folder:
        work = Path(folder)
        synthetic = work / "landscape.ttl"
        log(f"{documents} documents: synth")
        cli("synth", "--documents", str(documents), "--seed", "7", "--out", str(synthetic))
        store = work / "store"
        load_s = cli("load", "--store", f"oxigraph:{store}", str(synthetic))
        log(f"  loaded into oxigraph:{store} in {load_s:.0f} s")
        row: dict[str, Any] = {"documents": documents, "load_s": round(load_s, 1)}
        if "embedded" in args.stores:
            log(" embedded")
            row["embedded"] = measure_api(f"oxigraph:{store}", args, log)
            save(row)
        if "oxigraph" in args.stores:
            log(" remote, Oxigraph server")
            with oxigraph_server(store) as (engine, spec):
                row["oxigraph"] = measure_api(spec, args, log)
                row["oxigraph"]["engine"] = rss(engine.pid)
            save(row)
        if args.virtuoso:
            log(" remote, Virtuoso (bulk load)")
            with virtuoso_server(store, work) as (pid, spec):
                row["virtuoso"] = measure_api(spec, args, log)
                row["virtuoso"]["engine"] = rss(pid)
        return row


def fits(worker_peak: int, engine: int = 0) -> int:
    return int((24 * GIB - engine) // worker_peak)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| documents | store | worker RSS after start | after requests | after SPARQL | worker peak "
        "| its SPARQL processes | engine RSS | workers in 24 GiB (alone / beside the engine) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    mib = lambda value: f"{value / 2**20:,.0f} MiB"  # noqa: E731
    for row in rows:
        for name in ("embedded", "oxigraph", "virtuoso"):
            if name not in row:
                continue
            api = row[name]
            engine = api.get("engine", {}).get("rss", 0)
            children = api.get("children_rss", 0)
            peak = api["after_sparql"]["peak"] + children
            beside = f"{fits(peak)} / {fits(peak, engine)}" if engine else f"{fits(peak)} (the store is in the worker)"
            lines.append(
                f"| {row['documents']:,} | {name} | {mib(api['after_start']['rss'])} | {mib(api['after_requests']['rss'])} "
                f"| {mib(api['after_sparql']['rss'])} | {mib(api['after_sparql']['peak'])} | {mib(children)} "
                f"| {mib(engine) if engine else '-'} | {beside} |"
            )
    lines += [
        "",
        "| documents | request | embedded p50 | Oxigraph server p50 | Virtuoso p50 |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        for name, _, _ in REQUESTS:
            cells = [
                f"{row[store]['requests'][name]['p50_ms']} ms" if store in row else "-"
                for store in ("embedded", "oxigraph", "virtuoso")
            ]
            lines.append(f"| {row['documents']:,} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", default="30000", help="comma-separated sizes (default 30000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each request")
    parser.add_argument("--virtuoso", action="store_true", help="also measure the API on Virtuoso")
    parser.add_argument("--stores", default="embedded,oxigraph", help="of embedded,oxigraph (default both)")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"remote-memory-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    rows = []
    for documents in (int(size) for size in args.documents.split(",")):

        def save(row: dict[str, Any]) -> None:
            out.write_text(json.dumps({"rows": [*rows, row]}, indent=1))  # an interrupted run keeps what it measured

        rows.append(measure_size(documents, args, log, save))
        save(rows.pop())
        rows = json.loads(out.read_text())["rows"]
    print(table(rows))
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
