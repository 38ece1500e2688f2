"""Writes: create, replace and delete documents and organisations, import files, read history.

Every write needs a bearer token with the ``edit`` role (deleting an organisation: ``admin``),
is validated with the SHACL shapes before it is stored, keeps the version it replaces, and
answers with the warnings (gaps, overlaps) it causes.  PUT and DELETE need the ETag of the
version the client changed (``If-Match``): a stale one gets 412, so concurrent editors never
overwrite each other silently.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, require
from api.deps import StoreDep
from api.negotiation import preferred
from api.paging import Offset, limit_param, next_link
from api.routers.documents import document_out
from api.schemas import DocumentOut, LinkOut, OrganisationOut, refusals
from graph.analysis import changes, news, views
from graph.analysis.overlap import RELATIONS, compare
from graph.analysis.verdicts import LABELS, verdicts
from graph.model.landscape import landscape
from graph.store.core import serialise
from loaders import LIMITS, LOADERS, MAX_BYTES, LoadError, edits
from loaders.ingest import GraphTaken, load_files
from loaders.records import TEXT_LIMITS

router = APIRouter(tags=["writes"])
RecordId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")]
Editor = Annotated[Principal, Depends(require("edit"))]
Admin = Annotated[Principal, Depends(require("admin"))]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag of the version you changed")]


class Ref(BaseModel):
    """An owner or disease area given as the read JSON shows it."""

    model_config = ConfigDict(extra="ignore")
    id: str | None = None
    notation: str | None = None


class DocumentIn(BaseModel):
    """A document to store: the read JSON's field names, owners as ids, disease areas as codes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "ptsd-plan",
                    "title": "Behandling af PTSD hos voksne",
                    "kind": "DMPGGuideline",
                    "owners": ["dmpg-dep"],
                    "disease_areas": ["F43.1"],
                    "status": "planned",
                    "sources": ["https://example.org/plan"],
                }
            ]
        },
    )
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")
    title: str = Field(min_length=1, max_length=TEXT_LIMITS["title"])
    title_en: str | None = Field(default=None, max_length=TEXT_LIMITS["title_en"])
    kind: str = Field(max_length=100)
    owners: list[str | Ref] = Field(min_length=1, max_length=20)
    disease_areas: list[str | Ref] = Field(min_length=1, max_length=50)
    populations: list[str] = Field(default_factory=list, max_length=10)
    topics: list[str] = Field(default_factory=list, max_length=20)
    interventions: list[str] = Field(default_factory=list, max_length=50)
    settings: list[str] = Field(default_factory=list, max_length=10)
    status: str = Field(max_length=50)
    issued: str | None = Field(default=None, max_length=10)
    modified: str | None = Field(default=None, max_length=10)
    consultation: str | None = Field(default=None, max_length=10)
    not_valid_since: str | None = Field(default=None, max_length=10)
    version: str | None = Field(default=None, max_length=TEXT_LIMITS["version"])
    url: str | None = Field(default=None, max_length=TEXT_LIMITS["url"])
    sources: list[str] = Field(default_factory=list, max_length=50)
    links: list[LinkOut] = Field(default_factory=list, max_length=100)
    verification: str | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, max_length=TEXT_LIMITS["notes"])
    validity: str | None = Field(default=None, max_length=20)
    verified: str | None = Field(default=None, max_length=10)
    valid_until: str | None = Field(default=None, max_length=10)
    level: str | None = Field(default=None, max_length=20)
    purpose: str | None = Field(default=None, max_length=20)
    title_is_descriptive: bool | None = None
    expected_publication: str | None = Field(default=None, max_length=10)

    def record(self) -> dict[str, Any]:
        """Return the body as a registry record."""
        data = self.model_dump(exclude_none=True)
        data["owners"] = [o if isinstance(o, str) else o.id for o in self.owners]
        data["disease_areas"] = [a if isinstance(a, str) else a.notation for a in self.disease_areas]
        data["links"] = [{"type": link.type, "target": link.target} for link in self.links]
        return data


class OrganisationIn(BaseModel):
    """An organisation to store, with the registry's field names."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"id": "region-test", "name": "Region Test", "type": "Region"}]},
    )
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")
    name: str = Field(min_length=1, max_length=TEXT_LIMITS["name"])
    name_en: str | None = Field(default=None, max_length=TEXT_LIMITS["name_en"])
    abbreviation: str | None = Field(default=None, max_length=TEXT_LIMITS["abbreviation"])
    type: str | None = Field(default=None, max_length=50)
    part_of: str | None = Field(default=None, max_length=120)
    founded: str | None = Field(default=None, max_length=10)
    dissolved: str | None = Field(default=None, max_length=10)
    url: str | None = Field(default=None, max_length=TEXT_LIMITS["url"])
    sources: list[str] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(default=None, max_length=TEXT_LIMITS["notes"])

    def record(self) -> dict[str, Any]:
        """Return the body as a registry record."""
        return self.model_dump(exclude_none=True)


class Warning_(BaseModel):
    """A warning the write causes: a SHACL warning or a relation to another document."""

    type: str
    message: str
    shape: str | None = None
    document: str | None = None
    relation: str | None = None
    score: float | None = None


class WriteOut(BaseModel):
    """The stored record, its new ETag and version, and what the write causes."""

    id: str
    etag: str | None
    version: int
    document: DocumentOut | None = None
    organisation: OrganisationOut | None = None
    warnings: list[Warning_]


class FieldChangeOut(BaseModel):
    """One field a write changed, with its values before and after (labels as a coordinator reads them)."""

    field: str = Field(description="the property's IRI")
    label: str
    label_en: str
    old: list[str]
    new: list[str]


class VersionOut(BaseModel):
    """One write in a record's history."""

    number: int
    action: str
    author: str
    time: str
    previous_etag: str | None
    has_previous_version: bool
    fields: list[FieldChangeOut] = Field(default=[], description="what the write changed, field by field")


class HistoryOut(BaseModel):
    """Every write of a record, oldest first."""

    id: str
    items: list[VersionOut]
    total: int
    next: str | None = Field(default=None, description="path of the next page; null on the last page")


class ReplacedOut(BaseModel):
    """What an import removed: the graph's earlier content and the file it came from."""

    origin: str | None = Field(description="the file the replaced graph came from, as its load recorded it")
    documents: int
    triples: int


class ImportReport(BaseModel):
    """What an import added, and what it replaced."""

    source: str
    graph: str
    documents: int
    triples: int
    replaced: ReplacedOut | None = None


def _refused(error: LoadError | edits.EditError) -> JSONResponse:
    if isinstance(error, LoadError):
        detail = [
            {"loc": ["body", p.field or p.where], "msg": p.message, "type": "invalid_value"} for p in error.problems
        ]
        return JSONResponse(status_code=422, content={"detail": detail})
    content: dict[str, Any] = {"detail": str(error)}
    if error.results:
        content["results"] = [
            {
                "focus": r.focus,
                "path": r.path,
                "severity": r.severity,
                "message": r.message,
                "message_en": r.message_en,
                "shape": r.shape,
            }
            for r in error.results
        ]
    return JSONResponse(status_code=error.status, content=content)


def _warnings(store: StoreDep, doc_id: str | None, result: edits.WriteResult) -> list[Warning_]:
    found = [Warning_(type="shacl", message=r.message, shape=r.shape) for r in result.warnings]
    if doc_id is not None:
        land = landscape(store)
        doc = land.documents.get(doc_id)
        judged = verdicts(land.snapshot)
        if doc is not None:
            for other in land.documents.values():
                if other.id == doc_id:
                    continue
                c = compare(land, doc, other, explain=False)
                if c.relation in ("duplicate", "overlap", "supersedes") and c.relation in RELATIONS:
                    verdict = judged.of(doc_id, other.id)
                    if verdict is not None:  # a coordinator has judged the pair: told once, not on every write
                        found.append(
                            Warning_(
                                type="judged",
                                message=f"{c.relation} med {other.id}: {LABELS[verdict.kind][0]} ({verdict.who})",
                                document=other.id,
                                relation=c.relation,
                                score=c.score,
                            )
                        )
                        continue
                    found.append(
                        Warning_(
                            type="overlap",
                            message=f"{c.relation} med {other.id}",
                            document=other.id,
                            relation=c.relation,
                            score=c.score,
                        )
                    )
    return found


def _write_response(store: StoreDep, kind: str, record_id: str, result: edits.WriteResult, status: int) -> JSONResponse:
    land = landscape(store)
    body = WriteOut(
        id=record_id,
        etag=result.etag,
        version=result.version,
        warnings=_warnings(store, record_id if kind == "document" else None, result),
    )
    if kind == "document" and record_id in land.documents:
        body.document = document_out(land, record_id)
    if kind == "organisation":
        item = next((o for o in views.organisations(land) if o["id"] == record_id), None)
        body.organisation = OrganisationOut(**item) if item else None
    headers = {"ETag": result.etag} if result.etag else {}
    headers["Location"] = f"/{kind}s/{record_id}"
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"), headers=headers)


def _save(
    store: StoreDep, kind: str, record: dict[str, Any], who: Principal, creating: bool, if_match: str | None
) -> JSONResponse:
    news.watch_gaps(store)  # the gaps before the write, so the feed can tell the ones it makes
    try:
        result = edits.save_record(store, kind, record, who.name, creating=creating, if_match=if_match)
    except (LoadError, edits.EditError) as error:
        return _refused(error)
    return _write_response(store, kind, record["id"], result, 201 if creating else 200)


@router.post("/documents", status_code=201, response_model=WriteOut, responses=refusals(400, 409, 422))
def create_document(body: DocumentIn, store: StoreDep, who: Editor) -> JSONResponse:
    """Add a document; 409 if the id exists."""
    return _save(store, "document", body.record(), who, True, None)


@router.put("/documents/{doc_id}", response_model=WriteOut, responses=refusals(400, 404, 412, 422, 428))
def replace_document(
    doc_id: RecordId, body: DocumentIn, store: StoreDep, who: Editor, if_match: IfMatch = None
) -> JSONResponse:
    """Replace a document; needs the ETag of the version you changed in If-Match."""
    if body.id != doc_id:
        raise HTTPException(422, f"the body's id {body.id!r} is not the id in the URL {doc_id!r}")
    return _save(store, "document", body.record(), who, False, if_match)


@router.delete("/documents/{doc_id}", status_code=204, responses=refusals(404, 409, 412, 422, 428))
def delete_document(doc_id: RecordId, store: StoreDep, who: Editor, if_match: IfMatch = None) -> Response:
    """Delete a document (kept in its history); 409 while other documents link to it."""
    try:
        edits.delete_record(store, "document", doc_id, who.name, if_match)
    except edits.EditError as error:
        return _refused(error)
    return Response(status_code=204)


@router.post("/organisations", status_code=201, response_model=WriteOut, responses=refusals(400, 409, 422))
def create_organisation(body: OrganisationIn, store: StoreDep, who: Editor) -> JSONResponse:
    """Add an organisation; 409 if the id exists."""
    return _save(store, "organisation", body.record(), who, True, None)


@router.put("/organisations/{org_id}", response_model=WriteOut, responses=refusals(400, 404, 412, 422, 428))
def replace_organisation(
    org_id: RecordId, body: OrganisationIn, store: StoreDep, who: Editor, if_match: IfMatch = None
) -> JSONResponse:
    """Replace an organisation; needs the ETag of the version you changed in If-Match."""
    if body.id != org_id:
        raise HTTPException(422, f"the body's id {body.id!r} is not the id in the URL {org_id!r}")
    return _save(store, "organisation", body.record(), who, False, if_match)


@router.delete("/organisations/{org_id}", status_code=204, responses=refusals(404, 409, 412, 422, 428))
def delete_organisation(org_id: RecordId, store: StoreDep, who: Admin, if_match: IfMatch = None) -> Response:
    """Delete an organisation (admin); 409 while documents or sub-organisations refer to it."""
    try:
        edits.delete_record(store, "organisation", org_id, who.name, if_match)
    except edits.EditError as error:
        return _refused(error)
    return Response(status_code=204)


def _history(store: StoreDep, kind: str, record_id: str, request: Request, limit: int, offset: int) -> HistoryOut:
    land = landscape(store)
    fields = {
        c.id.rsplit("/", 1)[-1]: c.fields
        for c in changes.changes(land, events={"write", "status"})
        if c.kind == kind and c.record == record_id
    }
    items = [
        VersionOut(
            number=v.number,
            action=v.action,
            author=v.author,
            time=v.time,
            previous_etag=v.etag,
            has_previous_version=bool(v.content),
            fields=[FieldChangeOut(**f.__dict__) for f in fields.get(str(v.number), [])],
        )
        for v in edits.history(store, kind, record_id)
    ]
    known = land.documents if kind == "document" else land.organisations
    if not items and record_id not in known:
        raise HTTPException(404, f"no {kind} with id {record_id!r}")
    return HistoryOut(
        id=record_id,
        items=items[offset : offset + limit],
        total=len(items),
        next=next_link(request, offset, limit, len(items)),
    )


@router.get("/documents/{doc_id}/history", response_model=HistoryOut, responses=refusals(404, 422))
def read_history(
    doc_id: RecordId,
    store: StoreDep,
    request: Request,
    limit: Annotated[int, limit_param(1000, 1000)] = 1000,
    offset: Offset = 0,
) -> HistoryOut:
    """A page of the writes of a document, oldest first: who, when, what (field by field), and the replaced version."""
    return _history(store, "document", doc_id, request, limit, offset)


@router.get("/organisations/{org_id}/history", response_model=HistoryOut, responses=refusals(404, 422))
def read_organisation_history(
    org_id: RecordId,
    store: StoreDep,
    request: Request,
    limit: Annotated[int, limit_param(1000, 1000)] = 1000,
    offset: Offset = 0,
) -> HistoryOut:
    """A page of the writes of an organisation, oldest first: who, when, what (field by field: old → new)."""
    return _history(store, "organisation", org_id, request, limit, offset)


@router.get(
    "/documents/{doc_id}/history/{number}",
    response_class=Response,
    responses={200: {"content": {"text/turtle": {}, "application/ld+json": {}}}, **refusals(404, 422)},
)
def read_version(
    doc_id: RecordId, number: Annotated[int, Path(ge=1, le=1_000_000)], store: StoreDep, request: Request
) -> Response:
    """The version of a document that write *number* replaced, as Turtle (or JSON-LD by Accept)."""
    triples = edits.version_triples(store, "document", doc_id, number)
    if triples is None:
        raise HTTPException(404, f"write {number} of {doc_id!r} replaced no earlier version")
    jsonld = preferred(request, ["text/turtle", "application/ld+json"]) == "application/ld+json"
    return Response(
        serialise(triples, "jsonld" if jsonld else "ttl"), media_type="application/ld+json" if jsonld else "text/turtle"
    )


# The file is the raw request body; its name (the query parameter) says which loader reads it.
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"the file itself, at most {MAX_BYTES} bytes (YAML, CSV and XLSX: 4 MiB)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/import", response_model=list[ImportReport], responses=refusals(409, 413, 422), openapi_extra=_IMPORT_BODY
)
async def import_file(
    request: Request,
    store: StoreDep,
    who: Editor,
    name: Annotated[
        str, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$", description="file name; its suffix picks the format")
    ],
    graph: Annotated[
        str | None,
        Query(
            pattern=r"^[^\W_][\w.-]{0,119}$",
            description="the graph to load into, graph/import/<graph> (default: the file name)",
        ),
    ] = None,
    replace: Annotated[bool, Query(description="replace a graph that another file made")] = False,
) -> Any:
    """Load one YAML, CSV, XLSX or RDF file (the request body) into its own named graph, whole or not at all.

    The same file uploaded again (the same name into the same graph) replaces its graph; a graph
    that another file made (a file loaded from disk, or another name given as ``graph``) is
    replaced only with ``replace=true``, else 409. The answer says what each import replaced.
    """
    suffix = FilePath(name).suffix.lower()
    if suffix not in LOADERS:
        raise HTTPException(422, f"unknown format {suffix!r}: use one of {', '.join(sorted(LOADERS))}")
    limit = LIMITS.get(suffix, MAX_BYTES)  # record files cost more memory per byte: they get less
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(413, f"the file is larger than the limit of {limit} bytes")
    with tempfile.TemporaryDirectory() as directory:
        path = FilePath(directory) / name
        path.write_bytes(bytes(body))
        news.watch_gaps(store)
        try:
            # An upload has no path of its own: its name is what makes a later upload "the same file".
            reports = load_files(
                store, [path], progress=False, graph=graph, replace=replace, origins={path: f"upload:{name}"}
            )
        except GraphTaken as error:
            old = error.existing
            came = f"loaded from {old.origin}" if old.origin else "of unknown origin"
            message = (
                f"graph <{error.graph}> already holds {old.documents} documents ({old.triples} triples) {came}; "
                "give graph=NAME to keep both, or replace=true to replace it"
            )
            return JSONResponse(status_code=409, content={"detail": message, "file": name})
        except LoadError as error:
            detail = [
                {"loc": [p.where, p.field] if p.field else [p.where], "msg": p.message, "type": "invalid_file"}
                for p in error.problems
            ]
            return JSONResponse(status_code=422, content={"detail": detail, "file": name})
    del who
    return [
        ImportReport(
            source=r.source,
            graph=str(r.graph),
            documents=r.documents,
            triples=r.triples,
            replaced=ReplacedOut(**r.replaced.__dict__) if r.replaced else None,
        )
        for r in reports
    ]
