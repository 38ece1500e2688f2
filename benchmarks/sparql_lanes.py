"""How long ``ASK {}`` waits at /sparql while two runaway queries run (issue 12, part 3).

Starts ``retningsgraf serve`` on the shipped registry from a source tree (this one, or another
checkout given with ``--source`` to compare), lets the first query start the workers, sends
two cross-product queries that run to the time limit, then times ``ASK {}`` sent 1.5 s later,
``--repeat`` times.  Loopback only; bounded by the time limit.

    .venv/bin/python -m benchmarks.sparql_lanes [--source DIR] [--timeout 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.api.conftest import free_port

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _get(url: str, query: str) -> httpx.Response:
    return httpx.get(f"{url}/sparql", params={"query": query}, timeout=120)


def main() -> int:
    """Print the wait of each ``ASK {}`` and their median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--timeout", type=float, default=10.0, help="the server's --sparql-timeout")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--sparql-timeout", str(args.timeout)]
    env = {**os.environ, "PYTHONPATH": str(args.source)}
    server = subprocess.Popen(command, cwd=args.source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                print("the server did not start", file=sys.stderr)
                return 1
            time.sleep(0.2)
        _get(url, "ASK {}")
        time.sleep(5)  # workers started by the first query finish loading
        waits = []
        for _ in range(args.repeat):
            runaways = [threading.Thread(target=_get, args=(url, RUNAWAY)) for _ in range(2)]
            for thread in runaways:
                thread.start()
            time.sleep(1.5)
            started = time.monotonic()
            status = _get(url, "ASK {}").status_code
            waits.append(time.monotonic() - started)
            print(f"ASK {{}} beside two runaway queries: {waits[-1]:.2f} s (status {status})")
            for thread in runaways:
                thread.join()
            time.sleep(3)  # killed workers are replaced
        print(f"median {statistics.median(waits):.2f} s over {len(waits)}; source {args.source}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
