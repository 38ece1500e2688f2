"""The ``retningsgraf`` command line: each command opens a store and calls one plain function."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from graph.store.core import OxigraphStore, Store, StoreError
from graph.store.spec import open_store
from loaders import RECORD_MAX_BYTES, LoadError, Problem, yaml_registry
from loaders.ingest import GraphTaken, ensure_seeded, load_files
from loaders.records import check_file

__all__ = ["main"]

EXPORT_FORMATS = ("ttl", "nt", "jsonld", "nq")


def _open(spec: str) -> Store:
    store = open_store(spec)
    try:
        ensure_seeded(store, progress=True)
    except BaseException:
        _remove_new(store)
        raise
    return store


def _remove_new(store: Store) -> None:
    if isinstance(store, OxigraphStore):
        store.remove_new()


def cmd_load(args: argparse.Namespace) -> int:
    """Load files into a persistent store and print what each added and what it replaced."""
    if args.store == "memory" and not args.dry_run:
        print(
            "retningsgraf: load into the in-memory store keeps nothing (it is gone when the command ends); "
            "give --store oxigraph:DIR for a store on disk, or --dry-run to only check the files",
            file=sys.stderr,
        )
        return 2
    spec = args.store
    if args.dry_run and spec.startswith("oxigraph:"):
        directory = Path(spec.removeprefix("oxigraph:"))
        if not directory.is_dir() or not any(directory.iterdir()):
            spec = "memory"  # a trial run makes no store; a new one would hold just what memory holds
    store = _open(spec)
    before = store.triple_count()
    try:
        reports = load_files(
            store, [Path(p) for p in args.paths], graph=args.graph, replace=args.replace, dry_run=args.dry_run
        )
    except BaseException as error:
        _remove_new(store)
        if isinstance(error, GraphTaken):
            old = error.existing
            came = f"loaded from {old.origin}" if old.origin else "of unknown origin"
            print(
                f"retningsgraf: {error.path}: graph <{error.graph}> already holds {old.documents} documents "
                f"({old.triples} triples) {came}; give --graph NAME to keep both, or --replace to replace it",
                file=sys.stderr,
            )
            return 2
        raise
    would = "ville tilføje" if args.dry_run else "tilføjede"
    for report in reports:
        print(f"{report.path}: {would} {report.documents} dokumenter, {report.triples} tripler -> <{report.graph}>")
        if (old := report.replaced) is not None:
            came = f"fra {old.origin}" if old.origin else "af ukendt oprindelse"
            verb = "ville fjerne" if args.dry_run else "fjernede"
            print(f"  erstatter <{report.graph}> ({came}): {verb} {old.documents} dokumenter, {old.triples} tripler")
    if args.dry_run:
        print(f"Prøvekørsel (--dry-run): intet er gemt; lageret har {store.document_count()} dokumenter.")
    else:
        print(f"Lageret har nu {store.document_count()} dokumenter og {store.triple_count()} quads (før: {before}).")
    store.close()
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the store with the SHACL shapes; exit 1 on violations only."""
    from graph.validation.validate import format_json, format_text, validate_store

    store = _open(args.store)
    report = validate_store(store)
    if args.format == "json":
        print(format_json(report))
    elif args.format == "turtle":
        print(report.graph.serialize(format="turtle"))
    else:
        print(format_text(report))
    return 0 if report.conforms else 1


def cmd_shacl(args: argparse.Namespace) -> int:
    """Validate any RDF files with any shapes; print the W3C report. Exit 1 on a Violation, 2 when refused."""
    from graph.store.namespaces import SH
    from graph.validation import shacl

    try:
        data = shacl.read_graph(Path(p) for p in args.data)
        shapes = shacl.read_graph(Path(p) for p in args.shapes)
        outcome = shacl.validate(data, shapes, args.engine)
    except (shacl.ShaclInputError, shacl.ShaclRefused) as error:
        print(f"retningsgraf shacl: {error}", file=sys.stderr)
        return 2
    print(shacl.format_report(outcome, args.format))
    if outcome.fallback_reason and args.format != "json":
        print(
            f"(validated by pyshacl-turbo: the fast engine does not implement {outcome.fallback_reason})",
            file=sys.stderr,
        )
    return 1 if (None, SH.resultSeverity, SH.Violation) in outcome.report else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the whole graph to stdout or a file."""
    store = _open(args.store)
    data = store.dump(args.format)
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def _emit(rows: list[dict[str, object]], columns: list[str], fmt: str) -> None:
    """Print *rows* as an aligned table, JSON or CSV (for a spreadsheet)."""
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    flat = [{c: _cell(row.get(c)) for c in columns} for row in rows]
    if fmt == "csv":
        # Every cell quoted: Excel with Danish settings splits on ';', so "x;=cmd" must stay one text cell.
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(flat)
        return
    widths = {c: min(max([len(c), *(len(r[c]) for r in flat)]), 60) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in flat:
        print("  ".join(row[c][: widths[c]].ljust(widths[c]) for c in columns))


def _cell(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("text") or value.get("id") or value)
    from graph.analysis.exports import safe_cell  # one rule for formula-like cells, shared with the exports

    return str(safe_cell(value))


def cmd_gaps(args: argparse.Namespace) -> int:
    """Print the gaps found by the SHACL gap rules."""
    from graph.analysis.views import gaps
    from graph.model.landscape import landscape

    store = _open(args.store)
    rows = gaps(store, landscape(store), args.rule)
    _emit(rows, ["rule", "disease_area", "label", "severity", "message", "documents"], args.format)
    return 0


def cmd_overlaps(args: argparse.Namespace) -> int:
    """Print related pairs of documents, best first."""
    from graph.analysis.overlap import RELATIONS, pairs
    from graph.analysis.views import resolve_owner
    from graph.model.landscape import landscape

    store = _open(args.store)
    land = landscape(store)
    owner = resolve_owner(land, args.owner) if args.owner else None
    rows = [
        {
            "a": c.a,
            "b": c.b,
            "relation": c.relation,
            "score": c.score,
            "reasons": [r.text for r in c.reasons],
        }
        for c in pairs(land, [args.relation] if args.relation else RELATIONS, args.min_score)
        if owner is None or owner in land.documents[c.a].owners + land.documents[c.b].owners
    ]
    _emit(rows, ["relation", "score", "a", "b", "reasons"], args.format)
    return 0


def _read_draft(path: Path) -> object:
    """Return the parsed draft file: JSON by its suffix, else YAML (the registry's safe loader).

    Raises:
        LoadError: naming the file and the line of a syntax error.
    """
    if path.suffix.lower() != ".json":
        return yaml_registry.parse(path)
    check_file(path, RECORD_MAX_BYTES)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise LoadError(str(path), [Problem(f"byte {error.start}", None, "not UTF-8 text")]) from error
    except json.JSONDecodeError as error:
        raise LoadError(
            str(path), [Problem(f"line {error.lineno}, column {error.colno}", None, f"JSON syntax error: {error.msg}")]
        ) from error
    except RecursionError as error:
        raise LoadError(str(path), [Problem("file", None, "JSON nested too deeply")]) from error


def cmd_check_draft(args: argparse.Namespace) -> int:
    """Rank the documents a draft (YAML or JSON file) would duplicate or overlap."""
    from graph.analysis.overlap import DraftError, check_draft, draft_from_mapping
    from graph.model.landscape import landscape

    try:
        draft = draft_from_mapping(_read_draft(Path(args.file)))
    except LoadError as error:
        print(f"retningsgraf: {args.file}:{error.problems[0]}", file=sys.stderr)
        return 2
    except DraftError as error:
        print(f"retningsgraf: {args.file}: {error}", file=sys.stderr)
        return 2
    store = _open(args.store)
    land = landscape(store)
    found = check_draft(land, draft, limit=args.limit)
    rows = [
        {
            "id": c.b,
            "title": land.documents[c.b].title,
            "relation": c.relation,
            "score": c.score,
            "reasons": [r.text for r in c.reasons],
        }
        for c in found
    ]
    _emit(rows, ["relation", "score", "id", "title", "reasons"], args.format)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Measure the overlap engine on the labelled evaluation set."""
    from graph.analysis.evaluation import evaluate, format_report
    from graph.model.landscape import landscape

    store = _open(args.store)
    if args.set == "v2":
        from graph.analysis.evaluation_v2 import evaluate_v2, format_v2_report

        figures = evaluate_v2(landscape(store), args.part, floor=args.floor)
        print(
            json.dumps(figures.as_dict(), ensure_ascii=False, indent=2)
            if args.format == "json"
            else format_v2_report(figures)
        )
        return 0
    result = evaluate(landscape(store))
    print(
        json.dumps(result.as_dict(), ensure_ascii=False, indent=2) if args.format == "json" else format_report(result)
    )
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic landscape shaped like the shipped registry (for benchmarks)."""
    from graph.model.landscape import landscape
    from loaders.synth import write_synthetic

    store = _open("memory")
    triples = write_synthetic(landscape(store), args.documents, args.seed, Path(args.out), store.minter)
    print(f"{args.out}: {args.documents} dokumenter, {triples} tripler (seed {args.seed})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API with uvicorn."""
    import uvicorn

    from api.main import EVENT_LOOP, create_app, operator_settings

    given = {"cors_origins": tuple(args.cors_origin)} if args.cors_origin else {}
    settings = operator_settings(
        store=args.store,
        sparql_timeout=args.sparql_timeout,
        sparql_max_rows=args.sparql_max_rows,
        read_budget=args.read_budget or None,
        max_items=args.max_items or None,
        warm=args.warm,
        warm_sparql=args.warm_sparql,
        rate_per_minute=args.rate_limit or None,
        rate_burst=args.rate_burst,
        **given,
    )
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", loop=EVENT_LOOP)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="retningsgraf",
        description="Vidensgraf over retningsgivende dokumenter i psykiatrien / "
        "knowledge graph of guiding documents in Danish psychiatry.",
    )
    store_help = "memory (default: the shipped registry in memory) or oxigraph:DIR (persistent)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", default="memory", help=store_help)
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser(
        "load",
        parents=[common],
        help="load YAML, CSV, XLSX or RDF files into a persistent store, each into its own graph",
        description="Each file goes into the graph graph/import/<its file name>, or --graph NAME. Loading the same "
        "file (same path) again replaces its graph; a graph another file made is replaced only with --replace.",
    )
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.add_argument("--graph", metavar="NAME", help="name the file's graph (default: its file name)")
    load.add_argument("--replace", action="store_true", help="replace a graph that another file made")
    load.add_argument("--dry-run", action="store_true", help="check the files, say what they would add, store nothing")
    load.set_defaults(func=cmd_load)

    validate = commands.add_parser("validate", parents=[common], help="check the graph with the SHACL shapes")
    validate.add_argument("--format", choices=("text", "json", "turtle"), default="text")
    validate.set_defaults(func=cmd_validate)

    shacl = commands.add_parser(
        "shacl",
        help="validate any RDF files with any SHACL shapes and print the W3C validation report",
        description="Reads Turtle, N-Triples, N-Quads, TriG, N3, JSON-LD or RDF/XML by file suffix. The fast engine "
        "validates when it implements every feature the shapes use, pyshacl-turbo otherwise (--engine auto); what "
        "neither does correctly is refused (exit 2). Exit 1 when there is a Violation, 0 otherwise.",
    )
    shacl.add_argument("--data", nargs="+", required=True, metavar="FILE", help="the data graph's files")
    shacl.add_argument("--shapes", nargs="+", required=True, metavar="FILE", help="the shapes graph's files")
    shacl.add_argument("--format", choices=("turtle", "json", "text"), default="turtle")
    shacl.add_argument("--engine", choices=("auto", "fast", "turbo"), default="auto")
    shacl.set_defaults(func=cmd_shacl)

    export = commands.add_parser("export", parents=[common], help="write the whole graph")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="ttl")
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    export.set_defaults(func=cmd_export)

    formats = argparse.ArgumentParser(add_help=False)
    formats.add_argument("--format", choices=("table", "json", "csv"), default="table")

    gaps = commands.add_parser("gaps", parents=[common, formats], help="disease areas and documents the gap rules flag")
    gaps.add_argument(
        "--rule",
        help="only this rule (uncovered, mayBeUncovered, children, childhoodOnset, treatment, orphanedNKR, "
        "reviewHorizon, idleDMPG)",
    )
    gaps.set_defaults(func=cmd_gaps)

    overlaps = commands.add_parser("overlaps", parents=[common, formats], help="related pairs of documents")
    overlaps.add_argument("--owner", help="only pairs involving this organisation (id or name)")
    overlaps.add_argument("--relation", choices=("duplicate", "overlap", "complementary", "supersedes", "may_replace"))
    overlaps.add_argument("--min-score", type=float, default=0.0)
    overlaps.set_defaults(func=cmd_overlaps)

    check = commands.add_parser(
        "check-draft",
        parents=[common, formats],
        help="rank what a draft would duplicate or overlap",
    )
    check.add_argument(
        "file",
        metavar="FILE",
        help="YAML or JSON: title, kind, owner, disease_areas, populations, topics",
    )
    check.add_argument("--limit", type=int, default=10)
    check.set_defaults(func=cmd_check_draft)

    evaluate = commands.add_parser("evaluate", parents=[common], help="precision/recall on the labelled evaluation set")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    evaluate.add_argument(
        "--set", choices=("v1", "v2"), default="v1", help="v1: tests/data/evaluation; v2: its v2/ folder (issue 15)"
    )
    evaluate.add_argument(
        "--part",
        choices=("tuning", "held-out", "all"),
        default="tuning",
        help="v2 only: which fixed part to measure; read the held-out part only to report, never to tune",
    )
    evaluate.add_argument(
        "--floor",
        type=float,
        default=None,
        help="v2 only: relevance floor for the negative drafts (default: the scoring's, else 0)",
    )
    evaluate.set_defaults(func=cmd_evaluate)

    synth = commands.add_parser("synth", help="write a synthetic landscape shaped like the registry")
    synth.add_argument("--documents", type=int, required=True)
    synth.add_argument("--seed", type=int, default=1)
    synth.add_argument("--out", required=True, metavar="FILE.ttl")
    synth.set_defaults(func=cmd_synth)

    serve = commands.add_parser("serve", parents=[common], help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--sparql-timeout", type=float, default=10.0, help="seconds per query")
    serve.add_argument("--sparql-max-rows", type=int, default=100_000, help="rows per result")
    serve.add_argument(
        "--read-budget", type=float, default=5.0, help="seconds a read may compute before a 503 (0: no limit)"
    )
    serve.add_argument(
        "--max-items", type=int, default=200_000, help="pairs or rows one request may hold before a 413 (0: no limit)"
    )
    serve.add_argument(
        "--rate-limit",
        type=float,
        default=120.0,
        help="expensive requests (draft check, overlaps, exports, SPARQL) per client a minute; "
        "tokens with the bulk role or above are not limited (0: no limit)",
    )
    serve.add_argument("--rate-burst", type=int, default=30, help="expensive requests a client may send at once")
    serve.add_argument(
        "--no-warm", dest="warm", action="store_false", help="compute gaps, pairs and the report on first use only"
    )
    serve.add_argument(
        "--no-warm-sparql",
        dest="warm_sparql",
        action="store_false",
        help="start the SPARQL query workers on the first query, not at start-up (with --no-warm too)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="a browser origin allowed to call the API (repeatable; default: RETNINGSGRAF_CORS_ORIGINS, else none)",
    )
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LoadError, StoreError, ValueError) as error:
        # ValueError covers an unknown code or value in a draft or filter (DraftError, FilterError).
        print(f"retningsgraf: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
