"""Loading YAML, CSV, XLSX and RDF files: good files land, bad files are refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from rdflib import Literal, URIRef

from graph.store.core import Store
from graph.store.namespaces import DCTERMS, GD, ICD10, ORG, PROV, SCHEMA, STATUS, XSD
from loaders import LoadError
from loaders.ingest import load_files

DATA = Path(__file__).parent.parent / "data" / "loaders"
DOC = "https://w3id.org/retningsgraf/document/"


def refused(store: Store, path: Path) -> str:
    before = store.triple_count()
    with pytest.raises(LoadError) as caught:
        load_files(store, [path], progress=False)
    assert store.triple_count() == before, "a refused file must leave the store exactly as it was"
    message = str(caught.value)
    assert str(path) in message
    return message


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "documents"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_registry_yaml_becomes_documents_with_resolved_vocabulary(family_store: Store) -> None:
    graph = family_store.graph(URIRef("https://w3id.org/retningsgraf/graph/import/family.yaml"))
    doc = URIRef(DOC + "test-guideline")
    assert (doc, GD.diseaseArea, ICD10["F20-F29"]) in graph
    assert (doc, GD.diseaseArea, ICD10["F32"]) in graph, "the SKS form DF32 resolves to F32"
    assert (doc, GD.diseaseArea, ICD10["F33"]) in graph, "a range of categories expands"
    assert (doc, GD.status, STATUS.published) in graph, "Danish status labels are accepted"
    assert (doc, DCTERMS.issued, Literal("2024-11-20", datatype=XSD.date)) in graph
    assert (doc, DCTERMS.references, URIRef(DOC + "test-nka")) in graph
    assert (doc, SCHEMA.url, URIRef("https://example.org/guideline")) in graph
    nka = URIRef(DOC + "test-nka")
    assert (nka, GD.notValidSince, Literal("2020-06", datatype=XSD.gYearMonth)) in graph
    assert (nka, DCTERMS.issued, Literal("2015", datatype=XSD.gYear)) in graph


def test_merger_event_links_original_and_resulting_organisations(family_store: Store) -> None:
    rows = family_store.select(
        "PREFIX org: <http://www.w3.org/ns/org#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?from ?to ?date WHERE { ?e a org:ChangeEvent ; org:originalOrganization ?from ; "
        "org:resultingOrganization ?to ; dcterms:date ?date }"
    )
    assert [(r["from"].split("/")[-1], r["to"].split("/")[-1], str(r["date"])) for r in rows] == [
        ("test-umbrella", "test-dmpg", "2025-01-01")
    ]
    assert (
        URIRef("https://w3id.org/retningsgraf/organisation/test-dmpg"),
        ORG.resultedFrom,
        None,
    ) in (family_store.union())


def test_each_load_gets_its_own_named_graph_and_a_prov_record(family_store: Store) -> None:
    load_files(family_store, [DATA / "documents.csv"], progress=False)
    names = family_store.graph_names()
    assert URIRef("https://w3id.org/retningsgraf/graph/import/documents.csv") in names
    rows = family_store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX gd: <https://w3id.org/retningsgraf/ontology#> "
        "SELECT ?n ?t WHERE { ?a prov:generated ?g ; gd:documentCount ?n ; gd:tripleCount ?t ; "
        "prov:used/prov:atLocation ?file ; prov:startedAtTime ?start }",
        {"g": URIRef("https://w3id.org/retningsgraf/graph/import/documents.csv")},
    )
    assert len(rows) == 1 and int(rows[0]["n"]) == 2 and int(rows[0]["t"]) > 10
    assert PROV  # namespace used in the query text


def test_reloading_a_file_replaces_its_graph_instead_of_duplicating(family_store: Store) -> None:
    before = family_store.triple_count()
    load_files(family_store, [DATA / "family.yaml"], progress=False)
    assert family_store.triple_count() == before


def test_csv_rows_become_documents_with_links(family_store: Store) -> None:
    load_files(family_store, [DATA / "documents.csv"], progress=False)
    assert family_store.document_count() == 4
    assert family_store.ask(
        "ASK { ?d <http://purl.org/dc/terms/references> ?t }",
        {"d": URIRef(DOC + "csv-one"), "t": URIRef(DOC + "test-guideline")},
    )


def test_xlsx_rows_become_documents(family_store: Store, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "list.xlsx",
        [
            ["id", "title", "kind", "owners", "disease_areas", "status", "issued", "sources"],
            [
                "xl-one",
                "Depression",
                "NKA",
                "test-umbrella",
                "F32;F33",
                "published",
                2021,
                "https://example.org/x",
            ],
        ],
    )
    load_files(family_store, [path], progress=False)
    assert family_store.ask(
        "ASK { ?d <http://purl.org/dc/terms/issued> ?y ; <https://w3id.org/retningsgraf/ontology#diseaseArea> ?a }",
        {"d": URIRef(DOC + "xl-one"), "y": Literal("2021", datatype=XSD.gYear), "a": ICD10.F33},
    )


def test_rdf_files_load_in_every_supported_syntax(store: Store, tmp_path: Path) -> None:
    graph = store.construct(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <http://www.w3.org/2004/02/skos/core#ConceptScheme> ; ?p ?o }"
    )
    for suffix, fmt in ((".ttl", "turtle"), (".nt", "nt"), (".jsonld", "json-ld"), (".rdf", "xml")):
        path = tmp_path / f"schemes{suffix}"
        path.write_bytes(graph.serialize(format=fmt, encoding="utf-8"))
        report = load_files(store, [path], progress=False)[0]
        assert report.triples == len(graph), suffix


def test_malformed_yaml_is_refused_with_its_line(family_store: Store) -> None:
    message = refused(family_store, DATA / "bad-syntax.yaml")
    assert "line 6" in message and "YAML syntax error" in message


def test_yaml_field_errors_name_line_and_field(family_store: Store) -> None:
    message = refused(family_store, DATA / "bad-fields.yaml")
    assert "line 5, field 'kind': unknown kind 'Foo'" in message
    assert "line 6, field 'owners': unknown organisation 'nobody'" in message
    assert "line 7, field 'disease_areas': unknown ICD-10 chapter V code or range 'F08'" in message
    assert "line 9, field 'issued': no such date '2024-02-30'" in message
    assert "line 10, field 'sources': not a public http(s) URL" in message


def test_malformed_csv_is_refused_with_row_and_field(family_store: Store) -> None:
    message = refused(family_store, DATA / "bad-kind.csv")
    assert "row 3, field 'kind': unknown kind 'XX'" in message
    assert "csv-ok" not in str(family_store.select("SELECT ?id WHERE { ?d <http://purl.org/dc/terms/identifier> ?id }"))


def test_csv_with_unknown_or_missing_columns_is_refused(family_store: Store) -> None:
    message = refused(family_store, DATA / "bad-columns.csv")
    assert "row 1, field 'colour': unknown column" in message
    assert "row 1, field 'disease_areas': required column is missing" in message


def test_malformed_xlsx_is_refused_with_row_and_field(family_store: Store, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        [
            ["id", "title", "kind", "owners", "disease_areas", "status", "issued"],
            ["xl-ok", "Fin", "NKA", "test-umbrella", "F32", "published", "2021"],
            ["xl-bad", "Forkert dato", "NKA", "test-umbrella", "F32", "published", "2021-13-01"],
        ],
    )
    message = refused(family_store, path)
    assert "row 3, field 'issued': no such date '2021-13-01'" in message


def test_a_file_that_is_not_xlsx_is_refused(family_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("this is not a workbook")
    assert "not a readable XLSX workbook" in refused(family_store, path)


def test_malformed_turtle_is_refused_with_its_line(family_store: Store) -> None:
    message = refused(family_store, DATA / "bad.ttl")
    assert "line 3, column" in message and "Turtle syntax error" in message


def test_one_bad_file_refuses_the_whole_batch(family_store: Store) -> None:
    before = family_store.triple_count()
    with pytest.raises(LoadError):
        load_files(family_store, [DATA / "good.ttl", DATA / "bad.ttl"], progress=False)
    assert family_store.triple_count() == before


def test_a_document_defined_by_another_source_is_refused(family_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "copy.csv"
    path.write_text("id,title,kind,owners,disease_areas,status\ntest-nka,Kopi,NKA,test-umbrella,F20,published\n")
    assert "already defined by" in refused(family_store, path)


def test_jsonld_with_a_remote_context_is_refused_without_fetching(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": "http://192.0.2.1/context.jsonld", "@id": "http://example.org/a", "name": "x"}')
    assert "remote context" in refused(store, path)


def test_rdf_xml_with_an_external_entity_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "xxe.rdf"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/a"><e:p>&x;</e:p></rdf:Description></rdf:RDF>'
    )
    assert "DTD" in refused(store, path)


def test_unknown_file_format_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK")
    assert "unknown format" in refused(store, path)


def test_validity_level_purpose_and_check_date_become_triples(family_store: Store) -> None:
    graph = family_store.graph(URIRef("https://w3id.org/retningsgraf/graph/import/family.yaml"))
    doc = URIRef(DOC + "test-guideline")
    assert (doc, GD.validity, Literal("in-force")) in graph
    assert (doc, SCHEMA.lastReviewed, Literal("2026-12-04", datatype=XSD.date)) in graph
    assert (doc, SCHEMA.expires, Literal("2027-11", datatype=XSD.gYearMonth)) in graph
    assert (doc, GD.level, Literal("national")) in graph
    assert (doc, GD.purpose, Literal("clinical")) in graph
    assert (doc, GD.titleIsDescriptive, Literal(True)) in graph
    nka = URIRef(DOC + "test-nka")
    assert (nka, GD.validity, Literal("historical")) in graph
    assert not list(graph.objects(nka, GD.titleIsDescriptive)), "an unstated mark stays unstated"


def test_unknown_validity_level_purpose_or_check_date_is_refused_with_line_and_field(family_store: Store) -> None:
    message = refused(family_store, DATA / "bad-validity.yaml")
    assert "line 9, field 'validity': unknown validity 'gældende' (use one of in-force, historical, unknown)" in message
    assert "line 10, field 'verified': no such date '2026-13-01'" in message
    assert "line 11, field 'valid_until': malformed date 'snart'" in message
    assert "line 12, field 'level': unknown level 'kommunal' (use one of national, regional, local)" in message
    assert "line 13, field 'purpose': expected text, got a list or mapping" in message
    assert "line 14, field 'title_is_descriptive': expected true or false, got 'måske'" in message


def test_spreadsheet_columns_carry_validity_and_a_danish_yes_for_descriptive_titles(
    family_store: Store, tmp_path: Path
) -> None:
    columns = {
        "id": "xl-valid",
        "title": "Målgrupper",
        "kind": "Other",
        "owners": "test-umbrella",
        "disease_areas": "F00-F99",
        "status": "published",
        "sources": "https://example.org/m",
        "validity": "historical",
        "verified": "2026-12-04",
        "level": "regional",
        "purpose": "organisational",
        "title_is_descriptive": "ja",
    }
    path = write_xlsx(tmp_path / "validity.xlsx", [list(columns), list(columns.values())])
    load_files(family_store, [path], progress=False)
    doc = URIRef(DOC + "xl-valid")
    facts = {(p, o) for _, p, o in family_store.union().triples((doc, None, None))}
    assert {
        (GD.validity, Literal("historical")),
        (SCHEMA.lastReviewed, Literal("2026-12-04", datatype=XSD.date)),
        (GD.level, Literal("regional")),
        (GD.purpose, Literal("organisational")),
        (GD.titleIsDescriptive, Literal(True)),
    } <= facts
