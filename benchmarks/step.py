"""Run one measurement in this process and write its result as JSON: ``python -m benchmarks.step NAME ARGS OUT``.

Every step runs in a fresh process (started by ``harness.run_step``), so a slow engine is
stopped by its timeout without taking the run down, and ``ru_maxrss`` is the peak memory of
that one step.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import baseline_steps, project_steps, screen_steps

__all__ = ["STEPS", "main"]

STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    **{f"project_{name}": fn for name, fn in project_steps.STEPS.items()},
    **{name: fn for name, fn in baseline_steps.STEPS.items()},
    "project_screen": screen_steps.screen,
}


def main(argv: list[str]) -> int:
    """Run the step named in *argv* with the JSON arguments file, and write the result file."""
    name, args_path, out_path = argv
    args = json.loads(Path(args_path).read_text(encoding="utf-8"))
    started = time.perf_counter()
    result = STEPS[name](args)
    result["step_s"] = time.perf_counter() - started
    # Linux reports ru_maxrss in KiB.
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Other work on the machine slows every figure: above the core count, read them with care.
    result["loadavg_1m"] = os.getloadavg()[0]
    Path(out_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
