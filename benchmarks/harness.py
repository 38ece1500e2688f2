"""Shared plumbing: timing, percentiles, bounded subprocesses, free ports and query inputs."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "BENCH_DIR",
    "QUERY_DIR",
    "REPO",
    "free_port",
    "percentile",
    "query",
    "repeat",
    "run_step",
    "stop_process",
    "summary",
    "wait_for_http",
    "with_values",
]

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
QUERY_DIR = BENCH_DIR / "queries"
_IRI = re.compile(r"^[^<>\"{}|^`\\\s]+$")
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def query(name: str) -> str:
    """Return the text of ``benchmarks/queries/<name>.rq``."""
    return (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")


def with_values(text: str, values: Mapping[str, Sequence[str]]) -> str:
    """Bind each variable of *values* to its IRIs by a ``VALUES`` block opening the outermost WHERE group.

    The HTTP servers take no ``initBindings``, so inputs go into the query text; every input is
    checked to be a bare IRI first, so nothing but an IRI can reach the query.
    """
    blocks = []
    for name, iris in values.items():
        for iri in iris:
            if not _IRI.match(iri):
                raise ValueError(f"not an IRI: {iri!r}")
        blocks.append(f"VALUES ?{name} {{ {' '.join(f'<{iri}>' for iri in iris)} }}")
    match = _WHERE.search(text)
    if match is None:
        raise ValueError("the query has no WHERE group")
    return f"{text[: match.end()]}\n  {' '.join(blocks)}\n{text[match.end() :]}"


def percentile(values: Sequence[float], p: float) -> float:
    """Return the *p*-th percentile (0-100) of *values* by nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[rank]


def summary(times: Sequence[float]) -> dict[str, Any]:
    """Return p50, p99, min and the count of *times* (seconds)."""
    if not times:
        return {"runs": 0}
    return {
        "runs": len(times),
        "p50": statistics.median(times),
        "p99": percentile(times, 99),
        "min": min(times),
        "first": times[0],
    }


def repeat(fn: Callable[[], object], *, runs: int = 20, budget: float = 30.0) -> list[float]:
    """Time *fn* at least once and at most *runs* times, stopping once *budget* seconds are spent."""
    times: list[float] = []
    spent = 0.0
    while len(times) < runs and (not times or spent < budget):
        started = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        spent += elapsed
    return times


def run_step(name: str, args: Mapping[str, Any], timeout: float, workdir: Path) -> dict[str, Any]:
    """Run one measurement ``python -m benchmarks.step NAME`` in its own process, bounded by *timeout*.

    Returns:
        The step's result dict, or ``{"status": "timed out"}`` / ``{"status": "error", ...}``.
    """
    out = workdir / f"step-{name}-{os.getpid()}-{time.monotonic_ns()}.json"
    (workdir / "args.json").write_text(json.dumps(dict(args)), encoding="utf-8")
    command = [sys.executable, "-m", "benchmarks.step", name, str(workdir / "args.json"), str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        peak = _peak_mb(process.pid)
        stop_process(process, grace=2)
        return {"status": "timed out", "timeout_s": timeout, "maxrss_mb_at_timeout": peak}
    wall = time.perf_counter() - started
    if process.returncode != 0 or not out.exists():
        tail = "\n".join(stderr.strip().splitlines()[-6:])
        return {"status": "error", "returncode": process.returncode, "error": tail, "wall_s": wall}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    result.setdefault("status", "ok")
    result["wall_s"] = wall
    return result


def _peak_mb(pid: int) -> float | None:
    """Return the peak resident memory of a running process (VmHWM), in MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def stop_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Stop *process* and its process group: SIGTERM, then SIGKILL after *grace* seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=grace)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[Any] | None = None) -> bool:
    """Poll *url* until it answers below 500, the *process* dies, or *timeout* seconds pass."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=5).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False
