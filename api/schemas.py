"""Response and request models of the API (the OpenAPI schema at /docs is built from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from graph.analysis.overlap import unknown_draft_fields

__all__ = [
    "Candidate",
    "CheckResult",
    "CoverageReport",
    "DiseaseAreaNode",
    "DocumentList",
    "DocumentOut",
    "DraftIn",
    "ErrorOut",
    "GapList",
    "Health",
    "OrganisationDetail",
    "OrganisationList",
    "OverlapList",
    "ValidationReport",
    "refusals",
]


class Health(BaseModel):
    """Liveness with the size of the graph being served."""

    status: str
    documents: int
    triples: int


class OwnerRef(BaseModel):
    """An owner as shown on a document."""

    id: str
    name: str


class AreaRef(BaseModel):
    """A disease area as shown on a document."""

    notation: str
    label: str
    label_en: str | None = None


class LinkOut(BaseModel):
    """A typed link to another document."""

    type: str
    target: str


class DocumentOut(BaseModel):
    """A guiding document with its scope, status, dates, sources and links."""

    id: str
    iri: str
    title: str
    title_en: str | None = None
    kind: str
    kind_label: str
    owners: list[OwnerRef]
    disease_areas: list[AreaRef]
    populations: list[str]
    topics: list[str]
    interventions: list[str] = Field(
        default_factory=list, description="Intervention notations (ontology/interventions.ttl), as the sources support."
    )
    settings: list[str] = Field(
        default_factory=list, description="Setting notations (ontology/settings.ttl), as the sources support."
    )
    status: str
    valid: bool
    issued: str | None = None
    modified: str | None = None
    consultation: str | None = None
    not_valid_since: str | None = None
    version: str | None = None
    url: str | None = None
    sources: list[str]
    links: list[LinkOut]
    verification: str | None = None
    notes: str | None = None
    validity: Literal["in-force", "historical", "unknown"] | None = Field(
        default=None, description="in-force: a source seen on `verified` shows it is current; historical: nothing does."
    )
    verified: str | None = Field(default=None, description="The date the facts were last checked against sources.")
    valid_until: str | None = Field(default=None, description="Valid until or next review, where a source gives it.")
    level: Literal["national", "regional", "local"] | None = None
    purpose: Literal["clinical", "organisational", "background"] | None = None
    title_is_descriptive: bool = Field(
        default=False, description="The title is the registry's description, not the published one."
    )
    expected_publication: str | None = Field(
        default=None, description="Planned work: when the owner expects to publish it (as the owner announced it)."
    )


class DocumentList(BaseModel):
    """One page of documents and the total number that matched."""

    items: list[DocumentOut]
    total: int
    next: str | None = Field(default=None, description="path of the next page; null on the last page")


class OrganisationOut(BaseModel):
    """An organisation with its parent and number of documents."""

    id: str
    iri: str
    name: str
    name_en: str | None = None
    abbreviation: str | None = None
    types: list[str]
    parent: str | None = None
    documents: int


class OrganisationList(BaseModel):
    """One page of organisations and how many there are."""

    items: list[OrganisationOut]
    total: int
    next: str | None = Field(default=None, description="path of the next page; null on the last page")


class DocumentBrief(BaseModel):
    """A document in a list of an organisation's documents."""

    id: str
    title: str
    kind: str
    status: str


class AreaCount(BaseModel):
    """A disease area with a number of documents."""

    notation: str
    label: str
    documents: int


class ChangeEventOut(BaseModel):
    """A merger or re-anchoring (org:ChangeEvent)."""

    event: str
    label: str | None = None
    date: str | None = None
    original: list[str]
    resulting: list[str]


class OrganisationDetail(OrganisationOut):
    """An organisation with its documents, disease areas and history of mergers."""

    sub_organisations: list[str]
    sources: list[str]
    document_list: list[DocumentBrief] = Field(description="a page of its documents (limit, offset)")
    document_total: int = Field(description="how many documents it owns")
    document_next: str | None = Field(default=None, description="path of the next page of documents; null on the last")
    disease_areas: list[AreaCount]
    history: list[ChangeEventOut]


class DiseaseAreaNode(BaseModel):
    """A node of the ICD-10 chapter V tree with valid documents per kind."""

    notation: str
    sks: str
    label: str
    label_en: str
    planning: bool
    counts: dict[str, int]
    total: int
    children: list[DiseaseAreaNode]


class CoverageRow(BaseModel):
    """Valid documents per kind for one planning disease area."""

    notation: str
    label: str
    label_en: str
    level: str
    counts: dict[str, int]
    documents: dict[str, list[str]]
    total: int


class CoverageReport(BaseModel):
    """Coverage of every planning disease area."""

    items: list[CoverageRow]


class NamedDocumentOut(BaseModel):
    """A document behind a gap, by name, so the gap reads without looking it up."""

    id: str
    title: str
    kind: str
    owners: list[str]


class ReviewOut(BaseModel):
    """Why a document past the review horizon ranks where it does in the priority list."""

    last_revised: str | None
    years_over_horizon: int | None = Field(description="whole years past SST's three-year horizon")
    in_force: bool = Field(description="national clinical guidance in force (it counts as coverage)")
    only_guidance_in_force_for_its_areas: bool


class GapItem(BaseModel):
    """One gap found by a SHACL gap rule."""

    disease_area: str | None
    label: str | None
    rule: str
    shape: str
    severity: str
    message: str
    message_en: str
    focus: str
    organisation: str | None = None
    documents: list[str]
    named_documents: list[NamedDocumentOut] = []
    review: ReviewOut | None = Field(default=None, description="reviewHorizon only: the priority list's reasons")


class GapList(BaseModel):
    """Every gap, with the rules that found them."""

    items: list[GapItem]
    total: int
    next: str | None = Field(default=None, description="path of the next page; null on the last page")


class ReasonOut(BaseModel):
    """A reason a coordinator can check."""

    type: str
    text: str
    text_en: str


class VerdictOut(BaseModel):
    """A coordinator's verdict on a pair, shown beside the engine's relation."""

    kind: Literal["confirmed-duplicate", "not-duplicate", "coordinated"]
    label: str = Field(description="the kind in Danish")
    label_en: str
    note: str | None = None
    link: str | None = Field(default=None, description="the owners' agreement")
    who: str = Field(description="the name of the token that recorded it")
    when: str = Field(description="when it was recorded (ISO 8601, UTC)")


class OverlapOut(BaseModel):
    """A related pair of documents; for supersedes, ``a`` is the newer document."""

    a: str
    b: str
    relation: str
    score: float
    reasons: list[ReasonOut]
    engine_relation: str = Field(default="", description="the overlap engine's call (the same as relation)")
    verdict: VerdictOut | None = Field(default=None, description="a coordinator's verdict on the pair, if any")


class OwnerPair(BaseModel):
    """Relations counted per pair of owners."""

    owner: str
    other_owner: str
    relations: dict[str, int]
    total: int


class ClusterOut(BaseModel):
    """Documents joined by duplicate, overlap, supersedes or may_replace."""

    documents: list[str]
    owners: list[str]
    disease_areas: list[str]
    relations: dict[str, int]


class OverlapList(BaseModel):
    """Related pairs, their summary per owner pair and the clusters they form."""

    items: list[OverlapOut]
    total: int
    next: str | None = Field(default=None, description="path of the next page; null on the last page")
    owner_pairs: list[OwnerPair]
    clusters: list[ClusterOut] = Field(description="a page of the clusters (cluster_limit, cluster_offset)")
    clusters_total: int = Field(description="how many clusters there are")
    clusters_next: str | None = Field(default=None, description="path of the next page of clusters; null on the last")


class DraftIn(BaseModel):
    """A planned document to check against the landscape; only the title is required."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        # Before pydantic's own "extra inputs are not permitted": the command line's message,
        # which names the allowed fields and the one the user probably meant.
        if isinstance(data, dict) and (refusal := unknown_draft_fields(str(k) for k in data)):
            raise PydanticCustomError("unknown_field", "{refusal}", {"refusal": refusal})
        return data

    title: str = Field(min_length=1, max_length=500)
    kind: str | None = Field(default=None, max_length=100)
    owner: str | None = Field(default=None, max_length=200, description="organisation id or name")
    disease_areas: list[str] = Field(default_factory=list, max_length=50, description="F10, F50.0, F10-F19, DF10")
    populations: list[str] = Field(default_factory=list, max_length=10)
    topics: list[str] = Field(default_factory=list, max_length=20)
    interventions: list[str] = Field(
        default_factory=list, max_length=20, description="intervention notations or labels (ontology/interventions.ttl)"
    )
    settings: list[str] = Field(
        default_factory=list, max_length=10, description="setting notations or labels (ontology/settings.ttl)"
    )


class Candidate(BaseModel):
    """An existing document the draft relates to."""

    document: DocumentOut
    relation: str
    score: float
    rank: float = Field(description="the order of candidates: the score itself (no hidden bonus)")
    reasons: list[ReasonOut]
    engine_relation: str = Field(default="", description="the overlap engine's call (the same as relation)")
    verdict: VerdictOut | None = Field(
        default=None, description="a coordinator's verdict on the checked document (?document=ID) and this one"
    )


class CheckResult(BaseModel):
    """The ranked candidates for a draft, best first."""

    candidates: list[Candidate]


class ValidationResultOut(BaseModel):
    """One SHACL result."""

    focus: str
    path: str | None = None
    severity: str
    message: str
    message_en: str | None = None
    shape: str
    value: str | None = None


class ValidationReport(BaseModel):
    """The SHACL report: data quality and gap rules, with counts by owner and severity."""

    conforms: bool
    results: list[ValidationResultOut]
    total: int = Field(description="results in the whole report; counts cover all of them")
    next: str | None = Field(default=None, description="path of the next page; null on the last page")
    counts_by_severity: dict[str, int]
    counts_by_owner: dict[str, dict[str, int]]


class ErrorOut(BaseModel):
    """Why a request was refused: one message, or FastAPI's list of problems (loc, msg, type)."""

    detail: str | list[dict[str, Any]]
    results: list[ValidationResultOut] | None = Field(default=None, description="SHACL violations of a refused write")
    file: str | None = Field(default=None, description="the file an import refused")


# What each refusal means for the client; every router declares the ones it can answer.
REFUSALS = {
    400: "The request could not be read (a body that is not JSON, a malformed query).",
    401: "No valid bearer token (writes, and reads when the operator closed them).",
    403: "The token's role is not enough for this, or the query is refused (SPARQL Update, SERVICE).",
    404: "No record with this id.",
    406: "The Accept header takes none of the formats this answer comes in.",
    409: "The id exists, other records still refer to this one, or an import would replace another file's graph.",
    412: "If-Match is not the current version's ETag: someone changed it since you read it.",
    413: "The body is larger than the limit, or the answer would be too big to hold: narrow the question.",
    415: "The body's media type (or its charset) is not one this operation reads.",
    422: "A value is invalid, or the write would add a SHACL violation (see results).",
    428: "If-Match is missing: send the ETag of the version you changed.",
    429: "Too many expensive requests from this client: wait the seconds Retry-After gives.",
    503: "The question ran past the time budget, or long queries held every worker it may use: narrow it.",
}


def refusals(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI ``responses`` declaring *codes* with the error body and their meaning."""
    return {code: {"model": ErrorOut, "description": REFUSALS[code]} for code in codes}
