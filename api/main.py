"""Build the FastAPI app: the lifespan opens and seeds the store once."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from api.auth import TokenTable, require, tokens_from_env
from api.jobs import Jobs
from api.limits import install_limits
from api.ratelimit import RateLimiter
from api.routers import (
    changes,
    coverage,
    document_pages,
    documents,
    exports,
    gaps,
    health,
    jobs,
    ontology,
    organisation_pages,
    organisations,
    overlaps,
    planned,
    planning,
    plans,
    resolver,
    sparql,
    validation,
    verdicts,
    void,
    writes,
)
from api.schemas import refusals
from api.security import cors_origins_from_env, install_security
from graph.analysis.changes import changes as change_list
from graph.analysis.news import watch_gaps
from graph.analysis.overlap import DraftError
from graph.analysis.planning import validation as shacl_report
from graph.analysis.planning import warm
from graph.analysis.scope_index import scope_index
from graph.analysis.views import FilterError
from graph.budget import Budget, within
from graph.model.landscape import Landscape, landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import ensure_seeded

logger = logging.getLogger("retningsgraf")

__all__ = ["EVENT_LOOP", "Settings", "create_app", "create_app_from_env"]

#: uvicorn's ``loop`` setting. The draft check, cached reads and coverage run on the event loop
#: (a few milliseconds of CPU each): under many clients uvloop served some connections many
#: rounds late, which multiplied the p99, while asyncio's own loop takes them in turn (the
#: figures are in benchmarks/README.md). httptools still parses HTTP.
EVENT_LOOP = "asyncio"


@dataclass(frozen=True)
class Settings:
    """What the operator configures: which store to serve."""

    store: str = "memory"
    tokens: tuple[tuple[str, str, str], ...] = ()  # (name, role, token); see api.auth
    closed_reads: bool = False  # True: reads need a token with the read role too
    sparql_timeout: float = 10.0  # seconds a SPARQL query may run before its worker is killed
    sparql_max_rows: int = 100_000  # more result rows than this is an error, not a truncation
    warm: bool = True  # compute gaps, pairs and the SHACL report in the background at start-up
    # Start the SPARQL workers and load the data into them at start-up (with warm), not on the first
    # query: on a 30,000-document store that takes some 15 s, which the first queries would wait.
    warm_sparql: bool = False
    warm_budget: float | None = 60.0  # seconds the start-up thread may spend; then it leaves the rest to requests
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API; none: CORS off
    read_budget: float | None = 5.0  # seconds a read may compute; then 503 saying how to narrow it
    max_items: int | None = 200_000  # items (pairs, rows) a request may hold; more is refused with 413
    export_max_triples: int | None = 250_000  # a bigger store is not exported whole inside a request (413)
    turtle_report_max_results: int | None = 5_000  # more SHACL results are not written as one Turtle report (413)
    xlsx_max_rows: int | None = 5_000  # more rows are not written as one XLSX inside a request (413; CSV streams)
    rate_per_minute: float | None = None  # expensive requests per client a minute (None: no limit); see ratelimit
    rate_burst: int = 30  # expensive requests a client may send at once before the rate applies
    job_seconds: float | None = 1800.0  # seconds a background job may run (api.jobs)
    job_max_items: int | None = 400_000  # pairs a background job may hold (about 2.3 KB each, kept once done)
    job_max_bytes: int = 512 * 2**20  # bytes a job's result file may have


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return the API serving the store named in *settings*."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(settings.store)
        for caveat in getattr(store, "caveats", ()):
            logger.warning("remote store: %s", caveat)
        ensure_seeded(store)
        land = landscape(store)  # build the read model now, not on the first request
        scope_index(land)  # and the draft check's index
        app.state.store = store
        app.state.jobs = Jobs(settings.job_seconds, settings.job_max_items, settings.job_max_bytes)
        # Gaps, pairs and the SHACL report take seconds: compute them behind the scenes so
        # the planning page paints at once for its first visitor.
        if settings.warm:
            budget = Budget(seconds=settings.warm_budget, max_items=settings.max_items)
            threading.Thread(target=_warm, args=(store, land, budget), name="warm", daemon=True).start()
            if settings.warm_sparql and store.in_process:
                sparql.start(app)
        try:
            yield
        finally:
            app.state.jobs.shutdown()
            sparql.shutdown(app)
            store.close()

    app = FastAPI(
        title="retningsgraf",
        description="Retningsgivende dokumenter i psykiatrien: dækning, huller og overlap / "
        "guiding documents in Danish psychiatry: coverage, gaps and overlaps.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: FastAPI's default page loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.tokens = TokenTable(list(settings.tokens))
    app.state.limiter = RateLimiter(settings.rate_per_minute, settings.rate_burst) if settings.rate_per_minute else None
    install_limits(app, settings.read_budget, settings.max_items)
    # Pages, JSON and assets compressed when the client asks (gzip): the planning page is ~200 KB of HTML.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    install_security(app, settings.cors_origins)
    app.include_router(health.router)  # liveness stays open for the operator's probes
    # Every other route reads data: open unless the operator closed reads (then 401/403 without a read token).
    readers = (
        writes,
        documents,
        organisations,
        coverage,
        gaps,
        overlaps,
        validation,
        sparql,
        exports,
        jobs,
        planning,
        document_pages,
        changes,
        plans,
        planned,
        organisation_pages,
        verdicts,
    )
    readers += (resolver, ontology, void)  # linked data: every minted IRI, the ontology, the dataset's description
    for module in readers:
        app.include_router(module.router, dependencies=[Depends(require("read"))], responses=refusals(401, 403))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        """The OpenAPI documentation, with every asset served by this service."""
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="retningsgraf – API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        # FastAPI's page names no language (screen readers need it: the documentation is in English), and
        # Swagger UI needs a few colours and one link mended for WCAG AA (static/css/swagger.css, js/swagger.js).
        body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
        body = body.replace(b"</head>", b'<link rel="stylesheet" href="/static/css/swagger.css">\n</head>', 1)
        body = body.replace(b"</body>", b'<script src="/static/js/swagger.js" defer></script>\n</body>', 1)
        return HTMLResponse(body)

    @app.exception_handler(FilterError)
    @app.exception_handler(DraftError)
    async def unknown_value(request: Request, error: Exception) -> JSONResponse:
        """An unknown code or value in a filter or draft is the client's mistake: 422 naming it."""
        field = getattr(error, "field", None)
        value = getattr(error, "value", None)
        return JSONResponse(
            status_code=422,
            content={"detail": [{"loc": [field], "msg": str(error), "input": value, "type": "unknown_value"}]},
        )

    return app


def _warm(store: Store, land: Landscape, budget: Budget) -> None:
    # The same size bound as a request and a deadline of its own: on a landscape whose pairs
    # would not fit, the start-up thread gives up on them instead of holding the GIL and
    # growing the process for minutes.
    with within(budget):
        warm(store, land)
        watch_gaps(store)  # the gap list new gaps are found against
    # The SHACL report comes after the pairs in warm(); when the pairs ran out of time it is
    # made here, whole (seconds, with no check-point), so document pages need not make it.
    shacl_report(store)
    # The change list: every document page and feed shows it, and at 30,000 documents it takes
    # about as long as a request may.
    change_list(land)


def operator_settings(**given: object) -> Settings:
    """Return settings with the operator's environment: tokens and whether reads are closed.

    ``RETNINGSGRAF_TOKENS`` holds comma-separated ``name:role:token`` entries and
    ``RETNINGSGRAF_TOKENS_FILE`` names a file of them; ``RETNINGSGRAF_CLOSED_READS=1`` makes
    reads need a token too; ``RETNINGSGRAF_CORS_ORIGINS`` lists the browser origins allowed to
    call the API.  Other fields come from *given* (the CLI's options).
    """
    import os

    closed = os.environ.get("RETNINGSGRAF_CLOSED_READS", "").lower() in ("1", "true", "yes")
    given.setdefault("cors_origins", cors_origins_from_env())
    return Settings(tokens=tuple(tokens_from_env()), closed_reads=closed, **given)  # type: ignore[arg-type]


def create_app_from_env() -> FastAPI:
    """Return the app configured by the environment (for ``uvicorn --factory --workers N``)."""
    import os

    return create_app(operator_settings(store=os.environ.get("RETNINGSGRAF_STORE", "memory")))
