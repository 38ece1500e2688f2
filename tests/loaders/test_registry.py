"""The shipped registry: real documents, each with a public source, covering what the seeds name."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

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


# Document-sharing sites that copy PDFs from their owners; a copy there is never a document's address.
MIRROR_DOMAINS = (
    "docplayer.dk", "docplayer.me", "yumpu.com", "pdfslide.tips", "pdfslide.net", "zlibrary.cc", "dokumen.tips",
    "doczz.net", "9pdf.org", "9pdf.net", "abcdocz.com", "vdocuments.pub", "vdocuments.net", "docslib.org",
    "dosingpdf.com", "pdffox.com",
)  # fmt: skip


def _on_mirror(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == domain or host.endswith("." + domain) for domain in MIRROR_DOMAINS)


def test_every_document_says_its_validity_and_when_it_was_checked(registry_store: Store) -> None:
    land = landscape(registry_store)
    assert [d.id for d in land.documents.values() if d.validity not in ("in-force", "historical", "unknown")] == []
    assert [d.id for d in land.documents.values() if not d.verified] == []


def test_no_document_has_its_canonical_url_on_a_mirror_site(registry_store: Store) -> None:
    land = landscape(registry_store)
    assert [(d.id, d.url) for d in land.documents.values() if d.url and _on_mirror(d.url)] == []


def test_every_source_on_a_mirror_site_is_marked_as_a_mirror(registry_store: Store) -> None:
    rows = registry_store.select(
        "PREFIX gd: <https://w3id.org/retningsgraf/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?url WHERE { ?c a gd:SourceCitation ; dcterms:source ?url FILTER NOT EXISTS { ?c gd:mirrorCopy true } }"
    )
    assert [str(r["url"]) for r in rows if _on_mirror(str(r["url"]))] == []


def test_no_source_is_a_zlibrary_page(registry_store: Store) -> None:
    rows = registry_store.select("SELECT DISTINCT ?url WHERE { ?s <http://purl.org/dc/terms/source> ?url }")
    assert [str(r["url"]) for r in rows if "zlibrary" in str(r["url"])] == []


def test_the_mirror_check_knows_a_copy_from_an_owner_page() -> None:
    assert _on_mirror("http://docplayer.dk/409209-For-unipolar-depression-hos-voksne.html")
    assert _on_mirror("https://www.yumpu.com/da/document/view/18381978/spiseforstyrrelser-sundhedsstyrelsen")
    assert not _on_mirror("https://www.sst.dk/da/udgivelser/2013/NKR-Demens")
