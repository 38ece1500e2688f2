"""The ``retningsgraf`` command line: each command opens a store and calls one plain function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from graph.ingest import ensure_seeded, load_files
from graph.store import Store, StoreError, open_store
from loaders import LoadError

__all__ = ["main"]

EXPORT_FORMATS = ("ttl", "nt", "jsonld", "nq")


def _open(spec: str) -> Store:
    store = open_store(spec)
    ensure_seeded(store, progress=True)
    return store


def cmd_load(args: argparse.Namespace) -> int:
    """Load files into the store and print what each added."""
    store = _open(args.store)
    before = store.triple_count()
    reports = load_files(store, [Path(p) for p in args.paths])
    for report in reports:
        print(f"{report.path}: {report.documents} dokumenter, {report.triples} tripler -> <{report.graph}>")
    print(f"Lageret har nu {store.document_count()} dokumenter og {store.triple_count()} quads (før: {before}).")
    store.close()
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the store with the SHACL shapes; exit 1 on violations only."""
    from graph.validate import format_json, format_text, validate_store

    store = _open(args.store)
    report = validate_store(store)
    if args.format == "json":
        print(format_json(report))
    elif args.format == "turtle":
        print(report.graph.serialize(format="turtle"))
    else:
        print(format_text(report))
    return 0 if report.conforms else 1


def cmd_export(args: argparse.Namespace) -> int:
    """Write the whole graph to stdout or a file."""
    store = _open(args.store)
    data = store.dump(args.format)
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API with uvicorn."""
    import uvicorn

    from api.main import Settings, create_app

    settings = Settings(
        store=args.store, sparql_timeout=args.sparql_timeout, sparql_max_rows=args.sparql_max_rows
    )
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
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

    load = commands.add_parser("load", parents=[common], help="load YAML, CSV, XLSX or RDF files")
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.set_defaults(func=cmd_load)

    validate = commands.add_parser("validate", parents=[common], help="check the graph with the SHACL shapes")
    validate.add_argument("--format", choices=("text", "json", "turtle"), default="text")
    validate.set_defaults(func=cmd_validate)

    export = commands.add_parser("export", parents=[common], help="write the whole graph")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="ttl")
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    export.set_defaults(func=cmd_export)

    serve = commands.add_parser("serve", parents=[common], help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--sparql-timeout", type=float, default=10.0, help="seconds per query")
    serve.add_argument("--sparql-max-rows", type=int, default=100_000, help="rows per result")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LoadError, StoreError) as error:
        print(f"retningsgraf: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
