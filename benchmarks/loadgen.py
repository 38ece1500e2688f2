"""A bounded loopback load generator: ``python -m benchmarks.loadgen SPEC.json OUT.json``.

*SPEC* names a base URL on 127.0.0.1, a list of requests (method, path, params or body,
headers), the number of concurrent clients and a duration.  The clients send the requests
round-robin until the duration is over (and never more than ``max_requests``), and the
result is the latency p50/p99, the throughput and the errors.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks.harness import summary

__all__ = ["main", "run"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Send *spec*'s requests with its concurrent clients for its duration and return the figures."""
    if urlsplit(spec["base_url"]).hostname not in LOOPBACK:
        raise ValueError("the load generator only targets loopback addresses")
    requests = itertools.cycle(spec["requests"])
    deadline = time.monotonic() + spec["duration"]
    budget = itertools.count()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=spec["clients"], max_keepalive_connections=spec["clients"])
    timeout = httpx.Timeout(spec.get("request_timeout", 30.0))

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline and next(budget) < spec.get("max_requests", 1_000_000):
            request = next(requests)
            started = time.perf_counter()
            try:
                response = await http.request(
                    request["method"],
                    request["path"],
                    params=request.get("params"),
                    data=request.get("data"),
                    json=request.get("json"),
                    headers=request.get("headers"),
                )
                await response.aread()
                if response.status_code >= 400:
                    key = f"HTTP {response.status_code}"
                    errors[key] = errors.get(key, 0) + 1
                    continue
            except httpx.HTTPError as error:
                key = type(error).__name__
                errors[key] = errors.get(key, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=spec["base_url"], limits=limits, timeout=timeout) as http:
        await asyncio.gather(*(client(http) for _ in range(spec["clients"])))
    elapsed = time.monotonic() - started
    return {
        "latency": summary(latencies),
        "requests": len(latencies),
        "throughput_rps": len(latencies) / elapsed if elapsed else 0.0,
        "errors": errors,
        "elapsed_s": elapsed,
        "clients": spec["clients"],
    }


def main(argv: list[str]) -> int:
    """Run the load described by the JSON file *argv[0]* and write the figures to *argv[1]*."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result = asyncio.run(run(spec))
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
