"""The API latency figure: the same three questions to the project's API, an Oxigraph server and Virtuoso.

Questions: one document (``GET /documents/{id}`` vs ``document.rq``), coverage (``GET /coverage``
vs ``coverage.rq``) and a draft check (``POST /overlaps/check`` vs ``draft_candidates.rq``).
Each scenario runs in its own load-generator process, bounded in time and requests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

from benchmarks import wrkgen
from benchmarks.drafts import DRAFTS, sparql_inputs
from benchmarks.harness import REPO, query, with_values
from benchmarks.servers import Server, ServerError, oxigraph_server, project_server, virtuoso_server

__all__ = ["SCENARIOS", "run_api"]

SCENARIOS = ("document", "coverage", "draft")
DOCUMENT = "https://w3id.org/retningsgraf/document/"
SPARQL_HEADERS = {"Accept": "application/sparql-results+json"}


def _document_ids(size: int, seed: int, count: int = 200) -> list[str]:
    step = max(1, size // count)
    return [f"synth-{seed}-{index:06d}" for index in range(0, size, step)][:count]


def project_requests(size: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Return the API requests of each scenario."""
    return {
        "document": [
            {"method": "GET", "path": f"/documents/{doc_id}", "headers": {"Accept": "application/json"}}
            for doc_id in _document_ids(size, seed)
        ],
        "coverage": [{"method": "GET", "path": "/coverage"}],
        "draft": [{"method": "POST", "path": "/overlaps/check", "json": draft} for draft in DRAFTS],
    }


def sparql_requests(path: str, size: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Return the SPARQL Protocol requests (form-encoded POST) asking each scenario's question."""

    def ask(text: str) -> dict[str, Any]:
        return {"method": "POST", "path": path, "data": {"query": text}, "headers": SPARQL_HEADERS}

    return {
        "document": [
            ask(with_values(query("document"), {"doc": [DOCUMENT + doc_id]})) for doc_id in _document_ids(size, seed)
        ],
        "coverage": [ask(query("coverage"))],
        "draft": [ask(with_values(query("draft_candidates"), sparql_inputs(draft))) for draft in DRAFTS],
    }


def _probe(server: Server, request: dict[str, Any]) -> dict[str, Any]:
    """Send one request and say whether it answered, and with how many rows or items."""
    started = time.perf_counter()
    try:
        response = httpx.request(
            request["method"],
            server.base_url + request["path"],
            data=request.get("data"),
            json=request.get("json"),
            headers=request.get("headers"),
            timeout=120,
        )
    except httpx.HTTPError as error:
        return {"ok": False, "error": type(error).__name__}
    elapsed = time.perf_counter() - started
    if response.status_code >= 400:
        return {"ok": False, "error": f"HTTP {response.status_code}: {response.text[:300]}", "time_s": elapsed}
    body = response.json()
    if "results" in body:
        rows = len(body["results"]["bindings"])
    else:
        rows = len(body.get("items") or body.get("candidates") or []) or 1
    return {"ok": True, "rows": rows, "time_s": elapsed}


def _load(server: Server, requests: list[dict[str, Any]], options: dict[str, Any], workdir: Path) -> dict[str, Any]:
    spec = {"base_url": server.base_url, "requests": requests, **options}
    if wrkgen.available():  # the Python generator tops out near 80 requests/s here: it measured itself
        try:
            result = wrkgen.run(spec)
        except (subprocess.SubprocessError, RuntimeError) as error:
            return {"status": "error", "error": str(error)[-500:]}
        result["status"] = "ok" if result["requests"] else f"no answer within {options['request_timeout']:.0f} s"
        return result
    spec_path, out = workdir / "loadgen-spec.json", workdir / "loadgen-out.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out.unlink(missing_ok=True)
    limit = options["duration"] + options["request_timeout"] + 60
    try:
        subprocess.run(
            [sys.executable, "-m", "benchmarks.loadgen", str(spec_path), str(out)],
            cwd=REPO,
            capture_output=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"status": "timed out", "timeout_s": limit}
    except subprocess.CalledProcessError as error:
        return {"status": "error", "error": error.stderr.decode(errors="replace")[-500:]}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    # Every request outlived its client's timeout: the latency is over that, not unknown.
    result["status"] = "ok" if result["requests"] else f"no answer within {options['request_timeout']:.0f} s"
    return result


def run_api(data: dict[str, Any], options: dict[str, Any], workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Measure every scenario on every server; a server that cannot start is reported, not fatal.

    Args:
        data: paths (``project_nq``, ``context``, ``synth``), ``size`` and ``seed``.
        options: ``clients``, ``duration``, ``request_timeout``, ``startup_timeout``, ``virtuoso``.
        workdir: a temporary directory for the servers' files.
        log: prints progress.
    """
    size, seed = data["size"], data["seed"]
    files = [Path(data["context"]), Path(data["synth"])]
    if not wrkgen.ensure_wrk(options["startup_timeout"]):
        log("  api: wrk could not be installed; the Python load generator is used (it caps near 80 req/s)")
    startup = options["startup_timeout"]
    servers: list[tuple[str, Callable[[], AbstractContextManager[Server]], dict[str, list[dict[str, Any]]]]] = [
        ("project", lambda: project_server(Path(data["project_nq"]), workdir, startup), project_requests(size, seed)),
        ("oxigraph", lambda: oxigraph_server(files, workdir, startup), sparql_requests("/query", size, seed)),
    ]
    if options.get("virtuoso", True):
        servers.append(
            ("virtuoso", lambda: virtuoso_server(files, workdir, startup), sparql_requests("/sparql", size, seed))
        )
    load = {key: options[key] for key in ("clients", "duration", "request_timeout")}
    results: dict[str, Any] = {}
    for name, start, scenarios in servers:
        log(f"  api: starting {name}")
        try:
            with start() as server:
                entry: dict[str, Any] = {"status": "ok", "load_s": server.load_s, "version": server.version}
                for index, scenario in enumerate(SCENARIOS):
                    if index:
                        server.restart()
                    probe = _probe(server, scenarios[scenario][0])
                    figures = _load(server, scenarios[scenario], load, workdir) if probe["ok"] else {"status": "error"}
                    entry[scenario] = {"probe": probe, **figures}
                    latency = figures.get("latency", {})
                    log(
                        f"  api: {name} {scenario}: p50 {latency.get('p50', float('nan')) * 1000:.1f} ms, "
                        f"p99 {latency.get('p99', float('nan')) * 1000:.1f} ms, "
                        f"{figures.get('throughput_rps', 0):.0f} req/s, {figures.get('status')}"
                    )
                results[name] = entry
        except (ServerError, OSError) as error:
            results[name] = {"status": "unavailable", "error": str(error)[-800:]}
            log(f"  api: {name} unavailable: {str(error)[-200:]}")
    return results
