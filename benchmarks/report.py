"""Turn step results into the figures table, the issue's targets (met or not) and the machine record."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

from benchmarks.harness import REPO

__all__ = ["agreement", "figures", "format_table", "machine", "targets"]

Results = dict[str, Any]  # step name -> result dict, for one size
Getter = Callable[[Results], Any]

PACKAGES = ("rdflib", "pyoxigraph", "oxigraph", "pyshacl", "fastapi", "uvicorn", "httpx", "retningsgraf")
PROJECT_STEPS = (
    "project_load",
    "project_coverage",
    "project_gaps",
    "project_draft",
    "project_screen",
    "project_pairs",
    "project_validate",
    "project_incremental",
)


def _get(step: str, *path: str) -> Getter:
    """Return a getter of ``results[step][path...]``, or of the step's status when it has no number."""

    def get(results: Results) -> Any:
        value: Any = results.get(step)
        if value is None:
            return "not run"
        status = value.get("status", "ok")
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return status if status != "ok" else "n/a"
            value = value[key]
        return value

    return get


def _peak(results: Results) -> Any:
    """Largest peak memory of the project's steps; a step stopped by its timeout counts with its peak so far."""
    found = [
        value
        for step in PROJECT_STEPS
        for key in ("maxrss_mb", "maxrss_mb_at_timeout")
        if isinstance(value := results.get(step, {}).get(key), float)
    ]
    return max(found) if found else "n/a"


def _api(server: str, scenario: str, key: str) -> Getter:
    def get(results: Results) -> Any:
        entry = results.get("api", {}).get(server)
        if entry is None:
            return "not run"
        if entry.get("status") != "ok":
            return entry.get("status", "n/a")
        figures = entry.get(scenario, {})
        if key == "throughput_rps" and figures.get("status") == "ok":
            return figures.get(key, "n/a")
        if figures.get("status") != "ok":
            return figures.get("status", "n/a")
        return figures.get("latency", {}).get(key, "n/a")

    return get


# (figure, unit, project getter, [(baseline name, getter)])
FIGURES: list[tuple[str, str, Getter, list[tuple[str, Getter]]]] = [
    (
        "load",
        "s",
        _get("project_load", "time_s"),
        [("rdflib parse", _get("rdflib_parse", "time_s")), ("pyoxigraph load", _get("ox_load", "time_s"))],
    ),
    (
        "coverage cold",
        "s",
        _get("project_coverage", "cold_s"),
        [
            ("pyoxigraph SPARQL", _get("ox_coverage", "timing", "first")),
            ("rdflib SPARQL", _get("rdflib_coverage", "timing", "first")),
        ],
    ),
    (
        "coverage warm p50",
        "s",
        _get("project_coverage", "warm", "p50"),
        [
            ("pyoxigraph SPARQL", _get("ox_coverage", "timing", "p50")),
            ("rdflib SPARQL", _get("rdflib_coverage", "timing", "p50")),
        ],
    ),
    (
        "gaps cold",
        "s",
        _get("project_gaps", "cold_s"),
        [
            ("pyoxigraph SPARQL", _get("ox_gaps", "timing", "first")),
            ("rdflib SPARQL", _get("rdflib_gaps", "timing", "first")),
        ],
    ),
    (
        "gaps warm p50",
        "s",
        _get("project_gaps", "warm", "p50"),
        [
            ("pyoxigraph SPARQL", _get("ox_gaps", "timing", "p50")),
            ("rdflib SPARQL", _get("rdflib_gaps", "timing", "p50")),
        ],
    ),
    (
        "draft check p50",
        "s",
        _get("project_draft", "warm", "p50"),
        [("pyoxigraph SPARQL", _get("ox_draft", "warm", "p50"))],
    ),
    (
        "overlap screen (shared block, topic, population)",
        "s",
        _get("project_screen", "time_s"),
        [
            ("pyoxigraph sub-selects", _get("ox_pairs", "time_s")),
            ("pyoxigraph flat join", _get("ox_pairs_flat", "time_s")),
        ],
    ),
    ("classified pairs (every relation; reasons when shown)", "s", _get("project_pairs", "time_s"), []),
    ("classified pairs, count", "pairs", _get("project_pairs", "pairs"), []),
    ("one owner's classified pairs (the largest owner)", "s", _get("project_pairs", "owner_time_s"), []),
    (
        "validation",
        "s",
        _get("project_validate", "time_s"),
        [("pySHACL", _get("pyshacl_validate", "time_s"))],
    ),
    ("incremental validation p50", "s", _get("project_incremental", "warm", "p50"), []),
    ("peak memory", "MB", _peak, [("rdflib parse", _get("rdflib_parse", "maxrss_mb"))]),
    *[
        (
            f"API {scenario} {key}",
            "s",
            _api("project", scenario, key),
            [("Oxigraph server", _api("oxigraph", scenario, key)), ("Virtuoso", _api("virtuoso", scenario, key))],
        )
        for scenario in ("document", "coverage", "draft")
        for key in ("p50", "p99")
    ],
    *[
        (
            f"API {scenario} throughput",
            "req/s",
            _api("project", scenario, "throughput_rps"),
            [
                ("Oxigraph server", _api("oxigraph", scenario, "throughput_rps")),
                ("Virtuoso", _api("virtuoso", scenario, "throughput_rps")),
            ],
        )
        for scenario in ("document", "coverage", "draft")
    ],
]


def _ratio(project: Any, baseline: Any, unit: str) -> float | None:
    if not isinstance(project, (int, float)) or not isinstance(baseline, (int, float)) or not project or not baseline:
        return None
    # Throughput is better when higher: the ratio keeps ">1 means the project is better".
    return project / baseline if unit == "req/s" else baseline / project


def figures(by_size: dict[int, Results]) -> list[dict[str, Any]]:
    """Return one row per figure, size and baseline: project value, baseline value, ratio."""
    rows = []
    for name, unit, project_of, baselines in FIGURES:
        for size, results in sorted(by_size.items()):
            project = project_of(results)
            for baseline_name, baseline_of in baselines or [("", lambda _: None)]:
                baseline = baseline_of(results)
                rows.append(
                    {
                        "figure": name,
                        "size": size,
                        "unit": unit,
                        "project": project,
                        "baseline": baseline_name or None,
                        "baseline_value": baseline,
                        "ratio": _ratio(project, baseline, unit),
                    }
                )
    return rows


def _cell(value: Any, unit: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    if unit == "s":
        if value < 0.001:
            return f"{value * 1e6:.1f} µs"
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.0f} {unit}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """Render the figure rows as an aligned text table."""
    header = ("figure", "size", "project", "baseline", "baseline value", "ratio")
    lines = [
        (
            r["figure"],
            str(r["size"]),
            _cell(r["project"], r["unit"]),
            r["baseline"] or "",
            _cell(r["baseline_value"], r["unit"]),
            f"{r['ratio']:.2f}x" if r["ratio"] is not None else "",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.append("ratio = baseline / project (throughput: project / baseline): >1 means faster than the baseline")
    return "\n".join(out)


def _check(value: Any, limit: float) -> tuple[str, Any]:
    if isinstance(value, str) and value.startswith("no answer"):
        return "not met", value
    if not isinstance(value, (int, float)):
        return f"not measured ({value})", value
    return ("met" if value <= limit else "not met"), value


def targets(by_size: dict[int, Results], size: int = 30_000, memory_size: int = 100_000) -> list[dict[str, Any]]:
    """Judge the issue's targets: at *size* documents, and peak memory at *memory_size*."""
    results, big = by_size.get(size, {}), by_size.get(memory_size, {})
    found: list[dict[str, Any]] = []

    def add(name: str, value: Any, limit: float, unit: str, ratio_of: tuple[Any, float] | None = None) -> None:
        verdict, shown = _check(value, limit)
        if ratio_of is not None and verdict == "met":
            baseline, factor = ratio_of
            ratio = _ratio(value, baseline, unit)
            if ratio is None:
                verdict = "not measured"
            elif ratio < factor:
                verdict = "not met"
            name += f" (ratio {ratio:.1f}x)" if ratio is not None else ""
        found.append({"target": name, "value": shown, "unit": unit, "verdict": verdict})

    add(f"load <= 2 s at {size}", _get("project_load", "time_s")(results), 2, "s")
    add(f"peak memory <= 2 GB at {memory_size}", _peak(big) if big else "size not run", 2048, "MB")
    add(f"draft check p50 <= 25 ms at {size}", _get("project_draft", "warm", "p50")(results), 0.025, "s")
    for what, step, baseline in (("coverage", "project_coverage", "ox_coverage"), ("gaps", "project_gaps", "ox_gaps")):
        add(
            f"{what} warm p50 <= 50 ms and >= 8x pyoxigraph at {size}",
            _get(step, "warm", "p50")(results),
            0.05,
            "s",
            (_get(baseline, "timing", "p50")(results), 8),
        )
        cold = _get(step, "cold_s")(results)
        add(f"{what} cold (first call after load) <= 50 ms at {size}", cold, 0.05, "s")
    add(
        f"full overlap screen <= 10 s and >= 10x pyoxigraph self-join at {size}",
        _get("project_screen", "time_s")(results),
        10,
        "s",
        (_get("ox_pairs", "time_s")(results), 10),
    )
    add(f"full validation <= 20 s at {size}", _get("project_validate", "time_s")(results), 20, "s")
    incremental = results.get("project_incremental", {})
    value = incremental.get("status") if incremental.get("status") not in (None, "ok") else None
    add(
        f"incremental validation <= 100 ms at {size}",
        value or _get("project_incremental", "warm", "p50")(results),
        0.1,
        "s",
    )
    for scenario in ("document", "coverage", "draft"):
        add(f"API {scenario} p99 <= 100 ms, 32 clients, at {size}", _api("project", scenario, "p99")(results), 0.1, "s")
    return found


def agreement(results: Results) -> dict[str, Any]:
    """Say whether the project and raw pyoxigraph gave the same coverage totals per area and gaps per rule."""
    checks: dict[str, Any] = {}
    screen, join = results.get("project_screen", {}).get("pairs"), results.get("ox_pairs", {}).get("pairs")
    if screen is not None and join is not None:
        checks["overlap screen"] = "same count" if screen == join else {"differ": [screen, join]}
    for what, project, baseline in (
        ("coverage", "project_coverage", "ox_coverage"),
        ("gaps", "project_gaps", "ox_gaps"),
    ):
        mine, theirs = results.get(project, {}).get("digest"), results.get(baseline, {}).get("digest")
        if mine is None or theirs is None:
            checks[what] = "not compared"
            continue
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k, 0) != theirs.get(k, 0))
        checks[what] = "same answer" if not differ else {"differ": {k: [mine.get(k), theirs.get(k)] for k in differ}}
    return checks


def machine() -> dict[str, Any]:
    """Record the machine: cores, CPU model, memory, Python, package and server versions, commit."""
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        memory_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    virtuoso = shutil.which("virtuoso-t")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=False)
    return {
        "nproc": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024**2, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "virtuoso": virtuoso,
        "commit": commit.stdout.strip(),
        "dirty": bool(dirty.stdout.strip()),
    }
