"""The dataset described for machines: a SPARQL 1.1 Service Description and a VoID/DCAT dataset description."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from graph.model.counts import counts
from graph.store.core import Store, query
from graph.store.namespaces import GD, OWL, PREFIXES, SH, VOCAB

__all__ = ["Limits", "service_description", "void_description"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
# The result formats graph.store.sparql writes (SELECT/ASK, then CONSTRUCT/DESCRIBE), by their W3C format IRIs.
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "JSON-LD", "RDF_XML",
)  # fmt: skip
# The vocabularies a term may come from, for void:vocabulary: our prefixes and the few the data may add.
VOCABULARIES = {**PREFIXES, "owl": str(OWL), "sh": str(SH), "rdf": str(RDF), "void": str(VOID)}


@dataclass(frozen=True)
class Limits:
    """What the SPARQL endpoint refuses past: seconds a query, rows an answer, bytes a request body."""

    timeout: float
    max_rows: int
    max_body: int


def _bind(graph: Graph) -> Graph:
    for prefix, namespace in {**VOCABULARIES, "sd": str(SD), "dcat": str(DCAT), "foaf": str(FOAF)}.items():
        graph.bind(prefix, namespace)
    return graph


def service_description(store: Store, endpoint: str, limits: Limits) -> Graph:
    """Return the SPARQL 1.1 Service Description of the endpoint at *endpoint*.

    The default dataset is what a query sees without FROM: the union of the named graphs
    (``sd:UnionDefaultGraph``), each named graph listed with its size.
    """
    graph = _bind(Graph())
    service, dataset, default = URIRef(endpoint), BNode("dataset"), BNode("default")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for feature in (SD.UnionDefaultGraph, GD.ReadOnly):
        graph.add((service, SD.feature, feature))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, GD.queryTimeout, Literal(str(limits.timeout), datatype=XSD.decimal)))
    graph.add((service, GD.maxResultRows, Literal(limits.max_rows)))
    graph.add((service, GD.maxRequestBytes, Literal(limits.max_body)))
    graph.add((service, DCTERMS.description, Literal(
        "Read-only SPARQL 1.1 Query: SPARQL Update, LOAD and SERVICE are refused (403); a query is stopped after "
        f"{limits.timeout:g} s (503); more than {limits.max_rows} result rows is an error (400); a request body "
        f"over {limits.max_body} bytes is refused (413).", lang="en")))  # fmt: skip
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    _, triples = counts(store)
    graph.add((default, VOID.triples, Literal(triples)))
    for name in sorted(store.graph_names()):
        named, inner = BNode(), BNode()
        rows = store.select(query("graph_content"), {"graph": name})
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, name))
        graph.add((named, SD.graph, inner))
        graph.add((inner, RDF.type, SD.Graph))
        graph.add((inner, VOID.triples, Literal(int(rows[0]["triples"]) if rows else 0)))
    return graph


def void_description(store: Store, root: str, ontology_license: str | None) -> Graph:
    """Return the VoID/DCAT description of the dataset served at *root* (the service's URL, ending in ``/``).

    The sizes are those of /health (``graph.model.counts``: documents, and quads as /health counts them),
    so the two never disagree; the count is the snapshot's, made again after a write.
    No licence is stated for the data: the repository states none for it (pyproject's MIT is the
    code's). The ontology's own licence is stated on the ontology, as its Turtle does.
    """
    graph = _bind(Graph())
    description, dataset = URIRef(f"{root}.well-known/void"), URIRef(f"{root}.well-known/void#dataset")
    documents, triples = counts(store)
    graph.add((description, RDF.type, VOID.DatasetDescription))
    graph.add((description, DCTERMS.title, Literal("Beskrivelse af datasættet retningsgraf", lang="da")))
    graph.add((description, DCTERMS.title, Literal("Description of the retningsgraf dataset", lang="en")))
    graph.add((description, FOAF.primaryTopic, dataset))
    for kind in (VOID.Dataset, DCAT.Dataset):
        graph.add((dataset, RDF.type, kind))
    graph.add((dataset, DCTERMS.title, Literal("Retningsgivende dokumenter i psykiatrien", lang="da")))
    graph.add((dataset, DCTERMS.title, Literal("Guiding documents in Danish psychiatry", lang="en")))
    graph.add((dataset, DCTERMS.description, Literal(
        "Guiding documents of Danish psychiatry with their owners, ICD-10 disease areas, populations, topics, "
        "status and the links between them, every fact with its public source.", lang="en")))  # fmt: skip
    graph.add((dataset, VOID.triples, Literal(triples)))
    graph.add((dataset, VOID.uriSpace, Literal(store.minter.base)))
    if store.minter.base != VOCAB:
        graph.add((dataset, VOID.uriSpace, Literal(VOCAB)))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(f"{root}sparql")))
    graph.add((dataset, VOID.rootResource, URIRef(str(GD))))
    partition = BNode("documents")
    graph.add((dataset, VOID.classPartition, partition))
    graph.add((partition, VOID["class"], GD.GuidingDocument))
    graph.add((partition, VOID.entities, Literal(documents)))
    used, last = set(), None
    for row in store.select(query("dataset_facts")):
        if "term" in row:
            used |= {ns for ns in VOCABULARIES.values() if str(row["term"]).startswith(ns)}
        if "last" in row:
            last = row["last"]
    for namespace in sorted(used):
        graph.add((dataset, VOID.vocabulary, URIRef(namespace)))
    if last is not None:
        graph.add((dataset, DCTERMS.modified, Literal(str(last), datatype=XSD.dateTime)))
    for fmt, media in (("ttl", "text/turtle"), ("nt", "application/n-triples"), ("jsonld", "application/ld+json")):
        distribution = BNode(f"dump-{fmt}")
        graph.add((dataset, VOID.dataDump, URIRef(f"{root}exports/graph.{fmt}")))
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCAT.downloadURL, URIRef(f"{root}exports/graph.{fmt}")))
        graph.add((distribution, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{media}")))
    service = BNode("sparql")
    graph.add((dataset, DCAT.distribution, service))
    graph.add((service, RDF.type, DCAT.Distribution))
    graph.add((service, DCAT.accessURL, URIRef(f"{root}sparql")))
    ontology = URIRef(str(GD))
    graph.add((ontology, RDF.type, OWL.Ontology))
    graph.add((ontology, DCTERMS.description, Literal("The terms and shapes of the dataset", lang="en")))
    if ontology_license:
        graph.add((ontology, DCTERMS.license, URIRef(ontology_license)))
    return graph
