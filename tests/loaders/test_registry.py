"""The shipped registry: real documents, each with a public source, covering what the seeds name."""

from __future__ import annotations

from collections import Counter

from rdflib import URIRef

from graph.model.landscape import landscape
from graph.store.core import Store

# Every DMPG guideline the seed documents name, published, in consultation, in development or
# planned (shared/seeds/001 and 002), with the title exactly as the seed writes it.
SEED_DMPG_TITLES = (
    "Skizofreni og andre primære psykoselidelser - diagnostisk udredning af børn, unge og voksne",
    "Behandling med esketamin",
    "Udredning af ADHD af voksne i hospitalsregi",
    "Kognition og socialkognition - udredning og behandling",
    "Negative symptomer - udredning og behandling",
    "Farmakologisk behandling af depression",
    "Non-farmakologisk behandling",
    "Psykoedukation",
    "RF-tilbud til patienter med nydiagnosticeret bipolar lidelse",
    "Pixi-guide udredning",
    "Udredning for autisme",
    "Metaboliske faktorer (Skizofreni)",
    "Socialfaglig screening (Depression)",
    "Svær livstruende spiseforstyrrelse",
    "DMPG om opioidsubstitutionsbehandling",
    "Udredning og diagnosticering af psykiske lidelser ved samtidig rusmiddelproblematik",
    "Behandling af benzodiazepin misbrug og afhængighed",
    "Behandling af alkohol misbrug og afhængighed",
)
DMPGS = ("dmpg-skz", "dmpg-dep", "dmpg-adhd", "dmpg-bip", "dmpg-rus", "dmpg-spis", "dmpg-ect")


def test_registry_holds_at_least_110_documents_across_the_kinds(registry_store: Store) -> None:
    land = landscape(registry_store)
    kinds = Counter(d.kind for d in land.documents.values())
    assert len(land.documents) >= 110
    for kind in (
        "DMPGGuideline",
        "NationalClinicalRecommendation",
        "NationalClinicalGuideline",
        "CourseDescription",
        "PackagePathway",
        "Guidance",
        "RegionalGuideline",
    ):
        assert kinds[kind] >= 3, kind


def test_every_document_and_organisation_has_a_public_source_url(registry_store: Store) -> None:
    land = landscape(registry_store)
    for doc in land.documents.values():
        assert any(s.startswith(("http://", "https://")) for s in doc.sources), doc.id
    for org in land.organisations.values():
        assert any(s.startswith(("http://", "https://")) for s in org.sources), org.id


def test_every_link_between_documents_carries_its_source(registry_store: Store) -> None:
    rows = registry_store.select(
        "PREFIX gd: <https://w3id.org/retningsgraf/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?link WHERE { ?d gd:qualifiedLink ?link FILTER NOT EXISTS { ?link dcterms:source ?s } }"
    )
    assert rows == []


def test_each_seed_dmpg_guideline_title_is_present(registry_store: Store) -> None:
    land = landscape(registry_store)
    titles = {d.title for d in land.documents.values() if d.kind == "DMPGGuideline"}
    missing = [t for t in SEED_DMPG_TITLES if t not in titles]
    assert missing == []


def test_the_seven_dmpgs_and_their_umbrella_are_organisations(registry_store: Store) -> None:
    land = landscape(registry_store)
    for org_id in DMPGS:
        assert land.organisations[org_id].is_dmpg and land.organisations[org_id].parent == "dmpg-dk"
    assert "Umbrella" in land.organisations["dmpg-dk"].types


def test_the_sundk_merger_is_recorded_with_its_date(registry_store: Store) -> None:
    rows = registry_store.select(
        "PREFIX org: <http://www.w3.org/ns/org#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?date WHERE { ?e org:originalOrganization ?rkkp , ?br ; "
        "org:resultingOrganization ?sundk ; dcterms:date ?date }",
        {
            "rkkp": URIRef("https://w3id.org/retningsgraf/organisation/rkkp"),
            "br": URIRef("https://w3id.org/retningsgraf/organisation/behandlingsraadet"),
            "sundk": URIRef("https://w3id.org/retningsgraf/organisation/sundk"),
        },
    )
    assert [str(r["date"]) for r in rows] == ["2025-01-01"]


def test_not_valid_nkrs_are_marked_with_their_validity(registry_store: Store) -> None:
    land = landscape(registry_store)
    nkrs = [d for d in land.documents.values() if d.kind == "NationalClinicalGuideline"]
    assert len(nkrs) >= 10
    assert sum(d.status == "not-valid" for d in nkrs) >= 5
