"""Compare SHACL engines on the data-quality shapes: time, and whether the results equal pySHACL's.

Not part of ``make bench``: pySHACL takes minutes from 1,000 documents on, and two engines are
optional packages that the project does not depend on.  Install them outside the venv to try them::

    .venv/bin/pip install --no-deps --target /tmp/shacl-extra pyshacl-turbo oxrdflib
    PYTHONPATH=/tmp/shacl-extra .venv/bin/python -m benchmarks.validation_engines --context /tmp/context.nt
        --synth /tmp/s1k.ttl --engines pyshacl,engine,turbo,turbo-ox,pyshacl-ox   # (one line)

``--context`` is the vocabulary and shipped registry as N-Triples (``store.dump("nt")`` of a seeded
memory store); ``--synth`` a file from ``retningsgraf synth`` (or ``-`` for none).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from graph.store.namespaces import SH
from graph.validation import engine as shacl_engine
from graph.validation import validate as v

Result = tuple[str, str | None, str, str, str, str, str | None]


def _key(r: v.ValidationResult) -> Result:
    return (r.focus, r.path, r.severity, r.message, r.message_en, r.shape, r.value)


def _mapped(report: Graph) -> list[Result]:
    return sorted(_key(v._result(report, node)) for node in report.objects(None, SH.result))


def _ox_store(args: argparse.Namespace) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=args.context, format=ox.RdfFormat.N_TRIPLES)
    if args.synth != "-":
        store.bulk_load(path=args.synth, format=ox.RdfFormat.TURTLE)
    return store


def _rdflib_graph(args: argparse.Namespace, store: str = "default") -> Graph:
    graph = Graph(store=store)
    graph.parse(args.context, format="nt" if store == "default" else "ox-ntriples")
    if args.synth != "-":
        graph.parse(args.synth, format="turtle" if store == "default" else "ox-turtle")
    return graph


def _pyshacl(args: argparse.Namespace) -> list[Result]:
    return sorted(_key(r) for r in v.validate(_rdflib_graph(args), engine="pyshacl").results)


def _engine(args: argparse.Namespace) -> list[Result]:
    store = _ox_store(args)
    return sorted(_key(r) for r in v._engine_report(shacl_engine.evaluate(v._compiled(), store.query)).results)


def _turbo(args: argparse.Namespace, data: Any) -> list[Result]:
    import pyshacl_turbo  # type: ignore[import-not-found]

    _, report, _ = pyshacl_turbo.validate(
        data, shacl_graph=v.shapes_graph(), inference="none", allow_warnings=True, allow_infos=True, advanced=False
    )
    return _mapped(report)


def _pyshacl_ox(args: argparse.Namespace) -> list[Result]:
    from pyshacl import validate

    graph = _rdflib_graph(args, store="Oxigraph")
    for triple in v.vocabulary_graph():
        graph.add(triple)
    _, report, _ = validate(
        graph, shacl_graph=v.shapes_graph(), inference="none", allow_warnings=True, allow_infos=True, advanced=False
    )
    return _mapped(report)


def _turbo_graph(args: argparse.Namespace) -> list[Result]:
    graph = _rdflib_graph(args)
    graph += v.vocabulary_graph()
    return _turbo(args, graph)


ENGINES: dict[str, Callable[[argparse.Namespace], list[Result]]] = {
    "pyshacl": _pyshacl,
    "engine": _engine,
    "turbo": _turbo_graph,
    "turbo-ox": lambda args: _turbo(args, _ox_store(args)),
    "pyshacl-ox": _pyshacl_ox,
}


def main() -> None:
    """Run the chosen engines one after the other and print time, result count and agreement."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--context", required=True)
    parser.add_argument("--synth", default="-")
    parser.add_argument("--engines", default="pyshacl,engine")
    args = parser.parse_args()
    v._compiled()  # reading the shapes is not part of any engine's time
    found: dict[str, list[Result]] = {}
    for name in args.engines.split(","):
        started = time.perf_counter()
        found[name] = ENGINES[name](args)
        print(f"{name:<12} {time.perf_counter() - started:8.2f} s  {len(found[name])} results (loading included)")
    # pySHACL is the reference; without it (too slow at 10,000 and more) the first engine named is.
    first = "pyshacl" if "pyshacl" in found else next(iter(found))
    for name, results in found.items():
        if name != first:
            print(f"{name:<12} identical to {first}: {results == found[first]}")


if __name__ == "__main__":
    main()
