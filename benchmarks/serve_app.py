"""Serve the project's API on a real uvicorn for the latency figure: ``python -m benchmarks.serve_app STORE PORT``.

Like ``retningsgraf serve``, but without the start-up warm-up thread: it computes gaps, pairs
and the SHACL report in the background for minutes at large sizes, which would hold the GIL
while the latency is measured.  None of the measured endpoints needs those read models.
"""

from __future__ import annotations

import dataclasses
import sys

import uvicorn

from api.main import EVENT_LOOP, Settings, create_app

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Serve the store *argv[0]* on 127.0.0.1, port *argv[1]*."""
    store, port = argv
    options = {"store": store}
    if "warm" in {f.name for f in dataclasses.fields(Settings)}:
        options["warm"] = False
    uvicorn.run(create_app(Settings(**options)), host="127.0.0.1", port=int(port), log_level="warning", loop=EVENT_LOOP)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
