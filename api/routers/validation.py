"""Validation: the SHACL report of data quality and gaps, as JSON or as the report graph."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import LandscapeDep, StoreDep
from api.negotiation import preferred
from api.paging import Offset, limit_param, next_link
from api.schemas import ValidationReport, ValidationResultOut, refusals
from graph import budget
from graph.budget import TooBig
from graph.validation.validate import validate_store

router = APIRouter(prefix="/validation", tags=["validation"])


@router.get("", response_model=ValidationReport, responses={200: {"content": {"text/turtle": {}}}, **refusals(413)})
def read_validation(
    request: Request,
    store: StoreDep,
    land: LandscapeDep,
    limit: Annotated[int, limit_param(1000, 5000)] = 1000,
    offset: Offset = 0,
) -> Response | ValidationReport:
    """SHACL results a page at a time, with counts by severity and by owner over all; Turtle gives the report graph."""
    report = validate_store(store)
    if preferred(request, ["text/turtle", "application/json"]) == "text/turtle":
        # The report graph is made and written whole by rdflib, which no check-point can stop:
        # unbounded, clients asking at once would pile up such writes, none of them cancellable.
        bound = request.app.state.settings.turtle_report_max_results
        if bound is not None and len(report.results) > bound:
            raise TooBig(len(report.results), bound)
        return Response(report.graph.serialize(format="turtle", encoding="utf-8"), media_type="text/turtle")
    by_owner: dict[str, Counter[str]] = defaultdict(Counter)
    for n, result in enumerate(report.results):
        if n % 4096 == 0:
            # A hung-up client's request stops counting every result; the deadline is not looked at, as
            # under load the count alone may pass it and this answer is not the client's to narrow.
            budget.check_cancelled()
        doc = land.documents.get(result.focus.rsplit("/", 1)[-1]) if "/document/" in result.focus else None
        for owner in doc.owners if doc else ["(ingen ejer / no owner)"]:
            by_owner[owner][result.severity] += 1
    return ValidationReport(
        conforms=report.conforms,
        results=[ValidationResultOut(**r.__dict__) for r in report.results[offset : offset + limit]],
        total=len(report.results),
        next=next_link(request, offset, limit, len(report.results)),
        counts_by_severity=dict(Counter(r.severity for r in report.results)),
        counts_by_owner={owner: dict(c) for owner, c in sorted(by_owner.items())},
    )
