"""Put files into a store: one named graph per source, a PROV record per load, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from tqdm import tqdm

from graph.model.vocabulary import vocabulary_files
from graph.store.core import GraphWrite, OxigraphStore, StagedGraph, Store, TripleBatch, query
from graph.store.namespaces import DCTERMS, GD, PROV, RDF, RDFS, XSD, Minter, file_graph_name
from loaders import Context, LoadError, Problem, loader_for, rdf_file, yaml_registry

__all__ = [
    "GraphTaken",
    "LoadReport",
    "Replaced",
    "ensure_seeded",
    "file_origin",
    "load_files",
    "registry_files",
    "source_name",
    "vocabulary_writes",
]

_GRAPH_CONTENT = query("graph_content")
_IDS = query("graph_ids")


@dataclass(frozen=True)
class Replaced:
    """What a load removes: the graph's earlier content and the file it came from."""

    origin: str | None
    documents: int
    triples: int


@dataclass(frozen=True)
class LoadReport:
    """What one file added: its named graph, documents and triples, and what it replaced."""

    path: str
    source: str
    graph: URIRef
    documents: int
    triples: int
    origin: str = ""
    replaced: Replaced | None = None


class GraphTaken(LoadError):
    """A file would replace a graph another file made: refused unless the caller asks to replace it."""

    def __init__(self, path: str, graph: URIRef, existing: Replaced) -> None:
        self.graph = graph
        self.existing = existing
        came = f"loaded from {existing.origin}" if existing.origin else "of unknown origin"
        super().__init__(
            path,
            [
                Problem(
                    "file",
                    "graph",
                    f"graph <{graph}> already holds {existing.documents} documents ({existing.triples} triples) "
                    f"{came}; name another graph to keep both, or replace it explicitly",
                )
            ],
        )


def registry_files() -> list[Path]:
    """Return the shipped registry's YAML files."""
    return sorted(yaml_registry.REGISTRY_DIR.glob("*.yaml"))


def _in_registry(path: Path) -> bool:
    return path.resolve().parent == yaml_registry.REGISTRY_DIR


def source_name(path: Path, minter: Minter | None = None, graph: str | None = None) -> str:
    """Return the source name of *path*: ``registry/<stem>`` for the shipped registry, else ``import/<name>``.

    Args:
        path: the file.
        minter: mints the name (checks a user's *graph*).
        graph: the graph name the user chose; by default the file's whole name (see ``file_graph_name``).

    Raises:
        ValueError: if *graph* is not a valid graph name.
    """
    minter = minter or Minter()
    if graph is not None:
        return minter.import_source(graph)
    if _in_registry(path):
        return f"registry/{path.stem}"
    return minter.import_source(file_graph_name(path.name))


def file_origin(path: Path) -> str:
    """Return what identifies *path* as "the same file" on a later load: its absolute path.

    A shipped registry file is identified by its place in the package, so any checkout of the
    project may reload it.
    """
    if _in_registry(path):
        return f"loaders/registry/{path.name}"
    return str(path.resolve())


def _existing_ids(store: Store) -> tuple[Context, dict[str, URIRef]]:
    """Return the ids in the store and, per document id, the graph that defines it."""
    context, owner_graph = Context(), {}
    for row in store.select(_IDS):
        if row["type"] == GD.GuidingDocument:
            context.documents.add(str(row["id"]))
            owner_graph[str(row["id"])] = URIRef(str(row["g"]))
        else:
            context.organisations.add(str(row["id"]))
    return context, owner_graph


def _provenance(store: Store, report: LoadReport, path: Path, started: dt.datetime) -> GraphWrite:
    stamp = started.strftime("%Y%m%dT%H%M%S%fZ")
    activity = store.minter.load_activity(report.source, stamp)
    used = URIRef(f"{activity}/file")
    now = dt.datetime.now(dt.UTC)
    g = Graph()
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal(f"Indlæsning af {path.name}", lang="da")))
    g.add((activity, RDFS.label, Literal(f"Load of {path.name}", lang="en")))
    g.add((activity, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    g.add((activity, PROV.endedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    g.add((activity, PROV.used, used))
    g.add((activity, PROV.generated, report.graph))
    g.add((activity, GD.documentCount, Literal(report.documents)))
    g.add((activity, GD.tripleCount, Literal(report.triples)))
    g.add((used, RDF.type, PROV.Entity))
    g.add((used, RDFS.label, Literal(path.name)))
    # What makes a later load "the same file" (see file_origin): compared by _existing_graph.
    g.add((used, PROV.atLocation, Literal(report.origin)))
    g.add((report.graph, RDF.type, PROV.Entity))
    g.add((report.graph, PROV.wasGeneratedBy, activity))
    g.add((report.graph, PROV.generatedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    g.add((report.graph, DCTERMS.source, Literal(path.name)))
    return GraphWrite(_provenance_graph(store, report.source), g)


def _provenance_graph(store: Store, source: str) -> URIRef:
    return store.minter.graph(f"provenance/{source}")


def _existing_graph(store: Store, source: str, name: URIRef) -> Replaced:
    """Return what graph *name* holds now and the origin its last load recorded (None if it recorded none)."""
    prov = store.graph(_provenance_graph(store, source))
    origins = {
        str(location)
        for activity in prov.objects(name, PROV.wasGeneratedBy)
        for used in prov.objects(activity, PROV.used)
        for location in prov.objects(used, PROV.atLocation)
    }
    rows = store.select(_GRAPH_CONTENT, {"graph": name})
    row = rows[0] if rows else {}
    return Replaced(
        origin=min(origins) if origins else None,
        documents=int(row.get("documents", 0)),
        triples=int(row.get("triples", 0)),
    )


def load_files(
    store: Store,
    paths: list[Path],
    *,
    progress: bool = True,
    graph: str | None = None,
    replace: bool = False,
    origins: Mapping[Path, str] | None = None,
    dry_run: bool = False,
) -> list[LoadReport]:
    """Load *paths* into *store* in one transaction, each file into its own named graph.

    Every file is converted before anything is written, so one bad file refuses them all
    and the store is left exactly as it was.  A file's graph is named after the file
    (``graph/import/my-list.csv``) unless *graph* names it.  Loading the same file again (same
    graph, same recorded origin: see :func:`file_origin`) replaces its graph; a graph another
    file made is replaced only with *replace*, and each report says what it replaced.

    Args:
        store: the store to write.
        paths: YAML registry, CSV, XLSX or RDF files.
        progress: show a progress bar on a terminal.
        graph: the graph name for the one file in *paths* (``import/<graph>``).
        replace: replace graphs that other files made.
        origins: what identifies each file, where its path does not (an upload's temporary file).
        dry_run: check everything and report, but write nothing.

    Returns:
        One report per file.

    Raises:
        LoadError: naming the file, the line or row and the field of each problem.
        GraphTaken: if a file would replace another file's graph without *replace*.
        ValueError: if *graph* is not a valid graph name, or is given for more than one file.
    """
    if graph is not None and len(paths) != 1:
        raise ValueError(f"a graph name is for one file, but {len(paths)} were given")
    context, defined_in = _existing_ids(store)
    existing_graphs = set(store.graph_names())
    parsed = {path: yaml_registry.read(path) for path in paths if path.suffix.lower() in (".yaml", ".yml")}
    # Registry files may refer to organisations in each other, so declare all their ids first.
    for data in parsed.values():
        own = yaml_registry.declared_ids(data)
        context.organisations |= own.organisations
        context.documents |= own.documents
    writes: list[GraphWrite] = []
    reports: list[LoadReport] = []
    claimed: dict[str, URIRef] = {}
    staged: list[URIRef] = []
    named: dict[URIRef, str] = {}
    try:
        for path in tqdm(paths, desc="Indlæser", unit="fil", disable=None if progress else True):
            started = dt.datetime.now(dt.UTC)
            loader = loader_for(path)
            source = source_name(path, store.minter, graph)
            name = store.minter.graph(source)
            origin = (origins or {}).get(path) or file_origin(path)
            if named.get(name, origin) != origin:
                clash = f"this file and {named[name]} would both go to graph <{name}>; load one under another name"
                raise LoadError(str(path), [Problem("file", "graph", clash)])
            named[name] = origin
            replaced = None
            if name in existing_graphs:
                replaced = _existing_graph(store, source, name)
                if replaced.origin != origin and not source.startswith("registry/") and not replace:
                    raise GraphTaken(str(path), name, replaced)
            rdf_format = rdf_file.FORMATS.get(path.suffix.lower())
            triples: Graph | TripleBatch | StagedGraph
            if isinstance(store, OxigraphStore) and rdf_format in rdf_file.STAGEABLE and not dry_run:
                # The fast path: Oxigraph parses the file straight into a staging graph.
                try:
                    staging = store.stage_file(path, rdf_format, name)
                except (SyntaxError, ValueError, UnicodeDecodeError) as error:
                    raise rdf_file.refusal(path, rdf_format, error) from error
                staged.append(staging)
                # The field checks, on the staged triples: a refusal discards them below.
                facts = store.inspect_staged(staging, rdf_file.LITERAL_CHECKS)
                rdf_file.refuse_staged(path, facts.rows)
                ids, org_ids = facts.documents, facts.organisations
                triples = StagedGraph(staging, facts.size)
            else:
                if path in parsed:
                    triples = yaml_registry.load(path, store.minter, context, parsed[path])
                else:
                    triples = loader(path, store.minter, context)
                ids, org_ids = _declared(store, triples)
            clashes = sorted(i for i in ids if defined_in.get(i, name) != name or claimed.get(i, name) != name)
            if clashes:
                other = defined_in.get(clashes[0]) or claimed.get(clashes[0])
                raise LoadError(
                    str(path),
                    [
                        Problem("file", "id", f"document {i!r} is already defined by {other}; correct it there")
                        for i in clashes
                    ],
                )
            claimed.update(dict.fromkeys(ids, name))
            context.documents |= ids
            context.organisations |= org_ids
            report = LoadReport(str(path), source, name, len(ids), len(triples), origin, replaced)
            writes += [GraphWrite(name, triples), _provenance(store, report, path, started)]
            reports.append(report)
    except BaseException:
        for staging in staged:
            store.discard(staging)  # type: ignore[attr-defined]
        raise
    if not dry_run:
        store.write(writes)
    return reports


def _declared(store: Store, triples: Graph | TripleBatch) -> tuple[set[str], set[str]]:
    """Return the document ids and organisation ids that *triples* define."""
    if isinstance(triples, TripleBatch):
        documents = triples.subjects_of_type(GD.GuidingDocument)
        identified = triples.values(DCTERMS.identifier)
    else:
        documents = {str(s) for s in triples.subjects(RDF.type, GD.GuidingDocument)}
        identified = [(str(s), str(o)) for s, o in triples.subject_objects(DCTERMS.identifier)]
    organisations = f"{store.minter.base}organisation/"
    return (
        {value for subject, value in identified if subject in documents},
        {value for subject, value in identified if subject.startswith(organisations)},
    )


def vocabulary_writes(store: Store) -> list[GraphWrite]:
    """Return writes that put each ontology and scheme file into its own named graph."""
    minter = store.minter
    return [
        GraphWrite(minter.graph(f"vocabulary/{path.stem}"), rdf_file.load(path, minter, Context()))
        for path in vocabulary_files()
    ]


def ensure_seeded(store: Store, *, progress: bool = False) -> list[LoadReport]:
    """Bring the store's vocabulary up to date and seed an empty store with the shipped registry.

    Returns:
        The reports of the registry files loaded, or an empty list if the store had data.
    """
    empty = store.document_count() == 0 and not any("/graph/registry/" in g for g in store.graph_names())
    store.write(vocabulary_writes(store))
    if not empty:
        return []
    return load_files(store, registry_files(), progress=progress)
