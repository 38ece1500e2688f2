"""Security headers on every response, and CORS only for the origins the operator allows.

Pages get a Content-Security-Policy without inline script (they have none: behaviour lives
in ``/static/js``; a ``<script type="application/ld+json">`` data block is not executed, so
``script-src`` does not apply to it).  The one exception is the Swagger UI at ``/docs``,
whose page FastAPI writes with an inline start-up script: that page alone allows exactly
that script, by its SHA-256 hash.  Everything that is not a page (JSON, CSV, RDF, SVG)
gets a policy under which nothing in it may run or load.  CORS is off unless
``Settings.cors_origins`` names origins (``RETNINGSGRAF_CORS_ORIGINS`` or ``--cors-origin``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable, Mapping

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DATA_POLICY", "PAGE_POLICY", "SecurityHeaders", "cors_origins_from_env", "install_security"]

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# An SVG opened on its own is a document too: its inline <style> may apply, nothing may run.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Links to public sources should not tell other sites which page a planner was on.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Pages whose whole text is this service's own (no data in them), so their inline scripts
# may be allowed by hash.  Only FastAPI's Swagger UI page needs it.
INLINE_SCRIPT_PAGES = frozenset({"/docs"})
CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")
CORS_HEADERS = ("Accept", "Authorization", "Content-Type", "If-Match", "If-None-Match")
CORS_EXPOSED = ("ETag", "Location")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _policy(content_type: str) -> str:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "text/html":
        return PAGE_POLICY
    if media_type == "image/svg+xml":
        return SVG_POLICY
    return DATA_POLICY


def _script_hashes(body: bytes) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    ]


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response.

    A header a route set itself is kept.  Responses stream through untouched, except the
    pages in ``INLINE_SCRIPT_PAGES``, which are read whole to hash their inline scripts.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and add the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in INLINE_SCRIPT_PAGES:
            await self._hashed(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _hashed(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            headers = MutableHeaders(scope=start)
            hashes = _script_hashes(body) if headers.get("content-type", "").startswith("text/html") else []
            _add(headers, extra_scripts=hashes)
            if "content-length" in headers:
                headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)


def _add(headers: MutableHeaders, extra_scripts: Iterable[str] = ()) -> None:
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    policy = _policy(headers.get("content-type", ""))
    extra = " ".join(extra_scripts)
    if extra:
        policy = policy.replace("script-src 'self'", f"script-src 'self' {extra}")
    headers.setdefault("Content-Security-Policy", policy)


def cors_origins_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the origins in ``RETNINGSGRAF_CORS_ORIGINS`` (comma-separated), none if unset."""
    value = (os.environ if environ is None else environ).get("RETNINGSGRAF_CORS_ORIGINS", "")
    return tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())


def install_security(app: FastAPI, cors_origins: Iterable[str] = ()) -> None:
    """Add the security headers to *app* and, if *cors_origins* names any, CORS for exactly those.

    Args:
        app: the application.
        cors_origins: origins such as ``https://intra.example.dk`` allowed to call the API from
            a browser; empty (the default) means no cross-origin access at all.
    """
    origins = [origin.rstrip("/") for origin in cors_origins]
    if origins:
        # Bearer tokens, not cookies, authorise writes, so credentials are never allowed.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=list(CORS_METHODS),
            allow_headers=list(CORS_HEADERS),
            expose_headers=list(CORS_EXPOSED),
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)  # added last, so outermost: preflight answers get it too
