"""Issue 13's table over HTTP: one client against a warm server on the persistent store, and the load.

    .venv/bin/python -m benchmarks.http30k --documents 30000      # part of `make bench`

It writes a synthetic landscape (``retningsgraf synth --documents N --seed 7``), times
``retningsgraf load --store oxigraph:DIR`` of it beside raw pyoxigraph's ``bulk_load`` of the same
file into an empty directory (both as commands, interpreter start included), then starts
``retningsgraf serve --store oxigraph:DIR`` with its default limits and waits until the start-up
warm-up has finished (the server's CPU time stops growing). Each row of issue 13's table is then
asked by one client (the draft check's p99 also by ``--clients`` at once), and the table is printed
with each target and whether it is met. The figures go to ``results/http30k-<UTC>.json`` with the
machine and its load average. Never part of the test suite; everything goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import _peak_mb, free_port, stop_process, wait_for_http
from benchmarks.report import machine
from benchmarks.resources import DRAFT, phase

RESULTS = Path(__file__).parent / "results"
PAIR = {"owner": "dmpg-dep", "other_owner": "sst"}
CLI = [sys.executable, "-m", "api.cli"]
BULK_LOAD = (
    "import sys, time, pyoxigraph as ox\n"
    "store = ox.Store(sys.argv[1])\n"
    "store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.TURTLE)\n"
    "store.flush()\n"
)


@dataclass
class Answer:
    """One request's outcome: status (or the error's name), seconds and body bytes."""

    status: int | str
    seconds: float
    size: int = 0


@dataclass
class Row:
    """One row of the table: the request, what was measured, the target and whether it is met."""

    request: str
    measured: str
    target: str
    met: bool | None
    figures: dict[str, Any] = field(default_factory=dict)


def ask(http: httpx.Client, method: str, path: str, **options: Any) -> Answer:
    """Send one request and time it until the whole body has arrived."""
    started = time.perf_counter()
    try:
        response = http.request(method, path, **options)
    except httpx.HTTPError as error:
        return Answer(type(error).__name__, time.perf_counter() - started)
    return Answer(response.status_code, time.perf_counter() - started, len(response.content))


def asked(http: httpx.Client, times: int, method: str, path: str, **options: Any) -> list[Answer]:
    """The same request *times* times in turn."""
    return [ask(http, method, path, **options) for _ in range(times)]


def p50(answers: list[Answer]) -> float:
    """Median seconds."""
    return statistics.median(a.seconds for a in answers)


def ok(answers: list[Answer]) -> bool:
    """Whether every answer was a 200."""
    return all(a.status == 200 for a in answers)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _statuses(answers: list[Answer]) -> str:
    found = sorted({str(a.status) for a in answers})
    return "" if found == ["200"] else f" (status {', '.join(found)})"


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, limit: float, quiet: float = 3.0) -> float:
    """Wait until the process used under 5 % of a core for *quiet* seconds (at most *limit*); return the wait."""
    started = time.monotonic()
    last = cpu_seconds(pid)
    while time.monotonic() - started < limit:
        time.sleep(quiet)
        now = cpu_seconds(pid)
        if now - last < 0.05 * quiet:
            break
        last = now
    return time.monotonic() - started


def timed(command: list[str]) -> float:
    """Run *command* to completion; return its wall seconds (a failure stops the benchmark)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure_load(synthetic: Path, workdir: Path) -> tuple[Row, str]:
    """Time ``retningsgraf load`` and raw ``bulk_load`` of *synthetic*; return the row and the store spec."""
    spec = f"oxigraph:{workdir / 'store'}"
    project = timed([*CLI, "load", "--store", spec, str(synthetic)])
    raw = timed([sys.executable, "-c", BULK_LOAD, str(workdir / "raw"), str(synthetic)])
    shutil.rmtree(workdir / "raw", ignore_errors=True)
    ratio = project / raw
    row = Row(
        "`retningsgraf load --store oxigraph:DIR` of the file",
        f"{project:.1f} s; pyoxigraph `bulk_load` {raw:.1f} s: {ratio:.2f}×",
        "≤ 1.2× `bulk_load`",
        ratio <= 1.2,
        {"load_s": round(project, 2), "bulk_load_s": round(raw, 2), "ratio": round(ratio, 3)},
    )
    return row, spec


def measure_requests(base: str, pid: int, args: argparse.Namespace) -> list[Row]:
    """Ask each request row of the table of the warm server at *base* (process *pid*)."""
    rows: list[Row] = []
    with httpx.Client(base_url=base, timeout=args.timeout) as http:
        pair = asked(http, args.repeat, "GET", "/overlaps", params=PAIR)
        rows.append(
            Row(
                "`GET /overlaps?owner=dmpg-dep&other_owner=sst`",
                f"{_ms(p50(pair))} (first {_ms(pair[0].seconds)}){_statuses(pair)}",
                "≤ 1 s",
                ok(pair) and p50(pair) <= 1,
                {"answers": [asdict(a) for a in pair]},
            )
        )
        full = {
            "GET /overlaps?limit=10000": asked(http, 2, "GET", "/overlaps", params={"limit": 10000}),
            "GET /planning/overlaps": asked(http, 2, "GET", "/planning/overlaps"),
            "GET /exports/overlaps.graphml": asked(http, 2, "GET", "/exports/overlaps.graphml"),
        }
        peak = _peak_mb(pid) or 0.0
        slowest = max(a.seconds for answers in full.values() for a in answers)
        parts = "; ".join(
            f"{name.split()[1].split('?')[0]} {_ms(answers[0].seconds)} / {_ms(answers[1].seconds)}{_statuses(answers)}"
            for name, answers in full.items()
        )
        rows.append(
            Row(
                "full classified pairs (`GET /overlaps`, planning overlap view, GraphML)",
                f"first / again: {parts}; server peak RSS {peak / 1024:.2f} GB",
                "≤ 10 s and ≤ 2 GB",
                all(ok(a) for a in full.values()) and slowest <= 10 and peak <= 2048,
                {"answers": {k: [asdict(a) for a in v] for k, v in full.items()}, "peak_rss_mb": round(peak)},
            )
        )
        gaps = asked(http, args.repeat, "GET", "/gaps")
        rows.append(
            Row(
                "`GET /gaps` (first page)",
                f"{_ms(p50(gaps))}, {gaps[0].size / 1e6:.2f} MB (first {_ms(gaps[0].seconds)}){_statuses(gaps)}",
                "paginated; first page ≤ 50 ms",
                ok(gaps) and p50(gaps) <= 0.05,
                {"answers": [asdict(a) for a in gaps]},
            )
        )
        page = asked(http, args.repeat, "GET", "/")
        rows.append(
            Row(
                "`GET /` (planning page)",
                f"{page[0].size / 1e6:.2f} MB, {_ms(p50(page))} (first {_ms(page[0].seconds)}){_statuses(page)}",
                "≤ 1 MB, ≤ 300 ms",
                ok(page) and page[0].size <= 1_000_000 and p50(page) <= 0.3,
                {"answers": [asdict(a) for a in page]},
            )
        )
        documents = asked(http, args.repeat * 4, "GET", "/documents", params={"limit": 20})
        rows.append(
            Row(
                "`GET /documents?limit=20`",
                f"{_ms(p50(documents))}{_statuses(documents)}",
                "≤ 20 ms",
                ok(documents) and p50(documents) <= 0.02,
                {"answers": [asdict(a) for a in documents]},
            )
        )
        checks = asked(http, args.repeat * 10, "POST", "/overlaps/check", json=DRAFT)
    crowd = asyncio.run(
        phase(base, "/overlaps/check", {"method": "POST", "json": DRAFT}, args.clients, args.seconds, hangup=1e9)
    )
    p99 = (crowd["p99_ms"] or float("inf")) / 1000
    rows.append(
        Row(
            "`POST /overlaps/check`",
            f"p50 {_ms(p50(checks))}{_statuses(checks)}; {args.clients} clients: p50 {crowd['p50_ms']} ms, "
            f"p99 {crowd['p99_ms']} ms ({crowd['answers']} answers, {crowd['statuses']})",
            f"≤ 10 ms p50; p99 ≤ 100 ms with {args.clients} clients",
            ok(checks) and p50(checks) <= 0.01 and p99 <= 0.1 and set(crowd["statuses"]) == {"200"},
            {"answers": [asdict(a) for a in checks], "clients": crowd},
        )
    )
    return rows


def format_table(rows: list[Row]) -> str:
    """The rows as a Markdown table: request, measured, target, met."""
    lines = ["| request | measured | target | met |", "| --- | --- | --- | --- |"]
    verdict: dict[bool | None, str] = {True: "yes", False: "no", None: "not measured"}
    lines += [f"| {r.request} | {r.measured} | {r.target} | {verdict[r.met]} |" for r in rows]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see ``--help``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--documents", type=int, default=30_000, help="synthetic documents (default 30,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one request may take")
    parser.add_argument("--repeat", type=int, default=5, help="times each cheap request is asked (the median counts)")
    parser.add_argument("--clients", type=int, default=32, help="clients at once for the draft check's p99")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of the draft check under many clients")
    parser.add_argument("--settle", type=float, default=600.0, help="at most this long waiting for the warm-up")
    parser.add_argument("--workdir", type=Path, help="where the file and stores go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    parser.add_argument("--out", type=Path, help="the JSON file (default results/http30k-<UTC>.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, log: Callable[[str], None] = lambda s: print(s, file=sys.stderr)) -> int:
    """Run the benchmark, print its table and write its JSON."""
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="retningsgraf-http30k-"))
    workdir.mkdir(parents=True, exist_ok=True)
    run = {"machine": machine(), "documents": args.documents, "seed": args.seed, "clients": args.clients}
    rows: list[Row] = []
    server = None
    try:
        synthetic = workdir / f"synth-{args.documents}.ttl"
        timed([*CLI, "synth", "--documents", str(args.documents), "--seed", str(args.seed), "--out", str(synthetic)])
        log(f"synthetic file: {synthetic.stat().st_size / 1e6:.0f} MB")
        load_row, spec = measure_load(synthetic, workdir)
        log(load_row.measured)
        port = free_port()
        started = time.monotonic()
        server = subprocess.Popen(
            [*CLI, "serve", "--store", spec, "--host", "127.0.0.1", "--port", str(port), "--rate-limit", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        if not wait_for_http(f"{base}/health", 600, server):
            raise SystemExit("the server did not start")
        run["startup_s"] = round(time.monotonic() - started, 1)
        run["warm_up_s"] = round(wait_until_idle(server.pid, args.settle), 1)
        run["rss_warm_mb"] = round(_peak_mb(server.pid) or 0)
        log(f"server up after {run['startup_s']} s, idle after {run['warm_up_s']} s more")
        rows = [*measure_requests(base, server.pid, args), load_row]
    finally:
        if server is not None:
            stop_process(server)
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    run["loadavg_at_end"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = args.out or RESULTS / f"http30k-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"run": run, "rows": [asdict(r) for r in rows]}, indent=1), encoding="utf-8")
    load = ", ".join(f"{x:.1f}" for x in run["machine"]["loadavg_at_start"])
    print(f"{args.documents:,} documents; one client unless said; load average at start {load}")
    print(format_table(rows))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
