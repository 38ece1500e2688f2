"""Per-request limits: a time budget, cancellation when the client goes away, and a size bound.

:class:`RequestBudget` is ASGI middleware. Each read gets a :class:`graph.budget.Budget`
(``Settings.read_budget`` seconds, ``Settings.max_items`` items held), set in the request's
context, so the threads that run the analyses see it. A watcher reads the connection while
the request runs: when the client disconnects, the budget is cancelled and the computation
stops at its next check instead of running on for nobody. Writes get no budget: a write is
never cut in half. The SPARQL endpoint keeps its own limit (``--sparql-timeout``): its requests
get a budget without a deadline, so a client that hangs up still stops its query.

What happened to each request is counted in ``app.state.work`` (finished, cancelled,
over_budget, too_big) and shown at ``GET /health/work``, so operators and tests can see
that abandoned work stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.budget import Budget, Cancelled, OverBudget, TooBig, within

__all__ = ["RequestBudget", "install_limits", "narrow_hint"]

# Reads that may take longer than a page view but still answer within a request.
READ_METHODS = frozenset({"GET", "HEAD"})
# POSTs that only read: the draft check.
READ_POSTS = frozenset({"/overlaps/check"})
# No work worth stopping.
UNBUDGETED = ("/static", "/health", "/jobs")
# Their own time limit (the SPARQL workers'): no deadline here, but cancelled when the client leaves.
OWN_LIMIT = "/sparql"

# How to ask a smaller question, per route: said in every 503 and 413.
HINTS = {
    "/overlaps": "give owner and other_owner, a relation or a min_score, or a smaller limit; every pair is "
    "classified once before filters apply, so if this keeps happening start a background job that does it (POST /jobs "
    'with {"kind": "overlaps"}), after which filtered answers are quick; one document\'s related documents are on its '
    "page, /documents/{id}",
    "/planning/overlaps": "choose two owners, a relation or a higher minimum score; every pair is classified "
    "once before filters apply: a background job (POST /jobs) does that outside a request",
    "/exports/overlaps.graphml": "give owner and other_owner, a relation or a min_score; "
    'for the whole network start a background job: POST /jobs with {"kind": "graphml"}',
    "/exports/graph": "export a filtered set with SPARQL CONSTRUCT, run `retningsgraf export`, "
    'or start a background job: POST /jobs with {"kind": "graph"}',
    "/gaps": "give a rule, or page with limit and offset",
    "/exports/gaps": "download every gap as CSV (/exports/gaps.csv, streamed), or give a rule for a smaller workbook",
    "/validation": "page the JSON report with limit and offset, or run `retningsgraf validate` for the whole one",
    "/documents": "add filters, or page with limit and offset",
}
DEFAULT_HINT = "add filters or page with limit and offset"


def narrow_hint(path: str) -> str:
    """How to narrow a question to *path* so it fits the limits."""
    for prefix, hint in HINTS.items():
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "/"):
            return hint
    return DEFAULT_HINT


class RequestBudget:
    """ASGI middleware giving each read its time and size budget, cancelled if the client leaves."""

    def __init__(self, app: ASGIApp, seconds: float | None, max_items: int | None, work: Counter[str]) -> None:
        self.app, self.seconds, self.max_items, self.work = app, seconds, max_items, work

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request under a budget, watching the connection for a disconnect."""
        if scope["type"] != "http" or not _budgeted(scope):
            await self.app(scope, receive, send)
            return
        own_limit = scope["path"] == OWN_LIMIT or scope["path"].startswith(OWN_LIMIT + "/")
        budget = Budget(seconds=None if own_limit else self.seconds, max_items=self.max_items)
        inbox: asyncio.Queue[Message] = asyncio.Queue()

        async def watch() -> None:
            # The only reader of the connection: the app gets the messages through the inbox.
            while True:
                message = await receive()
                await inbox.put(message)
                if message["type"] == "http.disconnect":
                    budget.cancel()
                    return

        watcher = asyncio.create_task(watch())
        self.work["running"] += 1
        try:
            with within(budget):
                await self.app(scope, inbox.get, send)
        finally:
            self.work["running"] -= 1
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        self.work[budget.outcome] += 1


def _budgeted(scope: Scope) -> bool:
    path = scope["path"]
    if path.startswith(UNBUDGETED):
        return False
    if path == OWN_LIMIT:
        return scope["method"] in {*READ_METHODS, "POST"}  # a POSTed query only reads too
    return scope["method"] in READ_METHODS or (scope["method"] == "POST" and path in READ_POSTS)


def install_limits(app: FastAPI, seconds: float | None, max_items: int | None) -> None:
    """Add the request budget to *app*, the answers for work it stopped, and ``app.state.work``."""
    work: Counter[str] = Counter({"finished": 0, "cancelled": 0, "over_budget": 0, "too_big": 0, "running": 0})
    app.state.work = work
    app.add_middleware(RequestBudget, seconds=seconds, max_items=max_items, work=work)

    def stopped(outcome: str) -> None:
        from graph.budget import current

        budget = current()
        if budget is not None:
            budget.outcome = outcome

    @app.exception_handler(Cancelled)
    async def cancelled(request: Request, error: Exception) -> JSONResponse:
        """Nobody reads this answer: the client is gone. It is counted, and the work stopped."""
        stopped("cancelled")
        return JSONResponse(status_code=499, content={"detail": str(error)})

    @app.exception_handler(OverBudget)
    async def over_budget(request: Request, error: Exception) -> JSONResponse:
        """503: the question takes longer than a request may; say how to narrow it."""
        stopped("over_budget")
        detail = f"{error}; ask a narrower question: {narrow_hint(request.url.path)}"
        return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": "60"})

    @app.exception_handler(TooBig)
    async def too_big(request: Request, error: Exception) -> JSONResponse:
        """413: the answer would be too big to hold; say how to narrow it."""
        stopped("too_big")
        detail = f"{error}; ask a narrower question: {narrow_hint(request.url.path)}"
        return JSONResponse(status_code=413, content={"detail": detail})
