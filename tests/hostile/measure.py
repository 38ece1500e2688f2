"""Load each file given into a fresh store and print peak memory, time and which were refused (JSON).

Run by ``test_files.py`` in its own process, so the peak resident size is that of these loads
alone.  Address space is capped at 2 GiB, so a bomb that gets through fails fast instead of
taking the machine's memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from graph.store.spec import open_store  # noqa: E402
from loaders import LoadError  # noqa: E402
from loaders.ingest import load_files, vocabulary_writes  # noqa: E402


def main(paths: list[str]) -> None:
    """Load *paths* one by one; report as JSON on stdout."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    refused = []
    started = time.monotonic()
    for path in paths:
        try:
            load_files(store, [Path(path)], progress=False)
        except LoadError:
            refused.append(path)
    seconds = time.monotonic() - started
    print(json.dumps({"refused": refused, "seconds": round(seconds, 2), "max_rss_mb": peak_mb()}))


def peak_mb() -> int:
    """Return this process's peak resident size in MB.

    Linux's ``ru_maxrss`` keeps the parent's peak across fork and exec, which would measure
    pytest rather than these loads, so the kernel's own ``VmHWM`` is preferred.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


if __name__ == "__main__":
    main(sys.argv[1:])
