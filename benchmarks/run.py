"""Run the issue-5 benchmarks: ``python -m benchmarks.run [--sizes 1000,10000]`` (``make bench``).

For each size, a synthetic landscape is generated, then every measurement runs in its own
process with a timeout, the project's side next to its baselines; then the API figure runs
against the three servers.  The results go to ``benchmarks/results/<timestamp>.json`` (rewritten
after each size, so an interrupted run keeps what it measured) and a table goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.api import run_api
from benchmarks.harness import BENCH_DIR, REPO, run_step
from benchmarks.report import agreement, figures, format_table, machine, targets

__all__ = ["STEP_ORDER", "main"]

DEFAULT_SIZES = (1_000, 10_000, 30_000, 100_000)
# The project's side first, then its baselines, figure by figure.
STEP_ORDER = (
    "project_load",
    "rdflib_parse",
    "ox_load",
    "project_coverage",
    "ox_coverage",
    "rdflib_coverage",
    "project_gaps",
    "ox_gaps",
    "rdflib_gaps",
    "project_draft",
    "ox_draft",
    "project_screen",
    "project_pairs",
    "ox_pairs",
    "ox_pairs_flat",
    "project_validate",
    "pyshacl_validate",
    "project_incremental",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="documents per landscape")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic landscapes")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one measurement may take")
    parser.add_argument("--budget", type=float, default=20, help="seconds spent repeating a warm measurement")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per API scenario")
    parser.add_argument("--clients", type=int, default=32, help="concurrent API clients")
    parser.add_argument("--flat-max", type=int, default=10_000, help="largest size for the flat self-join")
    parser.add_argument("--only", help="comma-separated step names to run (default: all)")
    parser.add_argument("--no-api", action="store_true", help="skip the API latency figure")
    parser.add_argument("--no-virtuoso", action="store_true", help="skip Virtuoso in the API figure")
    parser.add_argument("--retry-timeouts", action="store_true", help="rerun steps that timed out at a smaller size")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="directory of the results JSON")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory (for debugging)")
    return parser


def log(message: str) -> None:
    """Print progress to stderr, so stdout stays the table."""
    print(message, file=sys.stderr, flush=True)


def _synth(size: int, seed: int, out: Path, timeout: float) -> dict[str, Any]:
    command = [str(Path(sys.executable).parent / "retningsgraf"), "synth", "--documents", str(size)]
    started = time.perf_counter()
    try:
        command += ["--seed", str(seed), "--out", str(out)]
        subprocess.run(command, cwd=REPO, capture_output=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"status": "timed out"}
    except subprocess.CalledProcessError as error:
        return {"status": "error", "error": error.stderr.decode(errors="replace")[-500:]}
    return {"status": "ok", "time_s": time.perf_counter() - started, "bytes": out.stat().st_size}


def _summary_line(name: str, result: dict[str, Any]) -> str:
    status = result.get("status", "ok")
    rss = result.get("maxrss_mb")
    wall = result.get("wall_s")
    return f"  {name}: {status}" + (f", {wall:.1f} s wall" if wall else "") + (f", {rss:.0f} MB" if rss else "")


def _measure_size(size: int, options: argparse.Namespace, tmp: Path, timed_out: dict[str, int]) -> dict[str, Any]:
    synth = tmp / f"synth-{size}.ttl"
    args = {
        "size": size,
        "seed": options.seed,
        "synth": str(synth),
        "context": str(tmp / "context.nt"),
        "project_nq": str(tmp / f"project-{size}.nq"),
        "budget": options.budget,
    }
    results: dict[str, Any] = {"synth": _synth(size, options.seed, synth, options.timeout)}
    if results["synth"]["status"] != "ok":
        return results
    only = set(options.only.split(",")) if options.only else None
    if only is not None and "api" in only:
        only.add("project_load")  # the project's server starts from the load step's dump
    for name in STEP_ORDER:
        if only is not None and name not in only:
            continue
        if name == "ox_pairs_flat" and size > options.flat_max:
            results[name] = {"status": f"skipped above {options.flat_max} documents"}
        elif name in timed_out and not options.retry_timeouts:
            results[name] = {"status": "timed out", "skipped": f"timed out at {timed_out[name]} documents"}
        else:
            results[name] = run_step(name, args, options.timeout, tmp)
            if results[name]["status"] == "timed out":
                timed_out.setdefault(name, size)
        log(_summary_line(name, results[name]))
    if not options.no_api and (only is None or "api" in only):
        api_options = {
            "clients": options.clients,
            "duration": options.duration,
            "request_timeout": 30.0,
            "startup_timeout": options.timeout,
            "virtuoso": not options.no_virtuoso,
        }
        results["api"] = run_api(args, api_options, tmp, log)
    synth.unlink(missing_ok=True)
    Path(args["project_nq"]).unlink(missing_ok=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the results; return 0 even when targets are not met."""
    options = _parser().parse_args(argv)
    sizes = sorted({int(s) for s in options.sizes.split(",") if s.strip()})
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    options.out.mkdir(parents=True, exist_ok=True)
    out = options.out / f"{stamp}.json"
    tmp = Path(tempfile.mkdtemp(prefix="retningsgraf-bench-"))
    record: dict[str, Any] = {
        "started": stamp,
        "machine": machine(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
        "sizes": {},
    }
    timed_out: dict[str, int] = {}
    try:
        log(f"benchmarks: sizes {sizes}, timeout {options.timeout:.0f} s per step, temp dir {tmp}")
        context = run_step(
            "project_context", {"context": str(tmp / "context.nt"), "project_nq": ""}, options.timeout, tmp
        )
        if context["status"] != "ok":
            log(f"cannot write the vocabulary and registry: {context}")
            return 1
        for size in sizes:
            log(f"size {size}:")
            results = _measure_size(size, options, tmp, timed_out)
            results["agreement"] = agreement(results)
            record["sizes"][str(size)] = results
            by_size = {int(k): v for k, v in record["sizes"].items()}
            record["figures"] = figures(by_size)
            record["targets"] = targets(by_size)
            out.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    finally:
        if not options.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    record["finished"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    print(format_table(record.get("figures", [])))
    print()
    print("Targets (issue 5):")
    for target in record.get("targets", []):
        print(f"  {target['verdict']:<13} {target['target']}")
    for size, results in record["sizes"].items():
        print(f"  size {size}: project vs raw pyoxigraph answers: {results.get('agreement')}")
    print(f"\nresults: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
