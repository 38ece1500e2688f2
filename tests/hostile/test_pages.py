"""Markup in titles, names and parameters shows as text on every page; odd paths are refused.

The server runs on a persistent store loaded with ``corpus/html`` by ``retningsgraf load``:
document titles ``<script>alert(1)</script>`` and ``"><img src=x onerror=alert(1)>``,
organisation names with ``<script>`` and ``<svg onload>``.  Each page is parsed: it may hold
no element or attribute the data put there, and must show the payload as text.
"""

from __future__ import annotations

import json
import socket
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.hostile.conftest import Answer, Secret

pytestmark = pytest.mark.slow

TITLE_SCRIPT = "<script>alert(1)</script> Depression hos voksne: udredning og behandling"
TITLE_IMG = '"><img src=x onerror=alert(1)> Depression hos voksne: udredning og behandling'
ORG_SCRIPT = "<script>alert('xss-org')</script>"
ORG_SVG = '"><svg onload=alert(2)>'
DRAFT = "<script>alert(5)</script> Depression hos voksne udredning og behandling"

# (id, path, texts the page must show)
PAGES: list[tuple[str, str, tuple[str, ...]]] = [
    ("html-front-page", "/", (ORG_SCRIPT, ORG_SVG)),
    ("html-planning", "/planning", (ORG_SCRIPT, ORG_SVG)),
    ("html-cell", "/planning/cell?area=F32", (TITLE_SCRIPT, TITLE_IMG)),
    ("html-cell-fragment", "/planning/cell?area=F32&partial=true", (TITLE_SCRIPT, TITLE_IMG)),
    ("html-overlaps", "/planning/overlaps?owner=sst&other_owner=xss-org", (TITLE_SCRIPT, TITLE_IMG, ORG_SCRIPT)),
    ("html-overlap-clusters", "/planning/overlaps", (ORG_SCRIPT,)),
    ("html-check-results", f"/planning/check?title={quote(DRAFT)}&disease_areas=F32", (DRAFT, TITLE_SCRIPT, TITLE_IMG)),
    ("html-document-script", "/documents/xss-script?format=html", (TITLE_SCRIPT,)),
    ("html-document-img", "/documents/xss-attr?format=html", (TITLE_IMG, ORG_SCRIPT)),
    # Reflected: what a link or form puts in the query string.
    (
        "html-reflected-owner-filter",
        f"/planning?owner={quote('<script>alert(6)</script>')}",
        ("<script>alert(6)</script>",),
    ),
    ("html-reflected-cell-area", f"/planning/cell?area={quote('<b onclick=alert(7)>')}", ()),
    ("html-reflected-query-string", f"/planning?x={quote(chr(34) + '><script>alert(8)</script>')}", ()),
    ("html-reflected-overlap-owner", f"/planning/overlaps?owner={quote('<svg onload=alert(9)>')}", ()),
    ("html-reflected-check-owner", f"/planning/check?title=x&owner={quote('<img src=x onerror=alert(10)>')}", ()),
]

# (id, raw request target): refused 4xx, never 5xx, never a file's content.
ODD_TARGETS: list[tuple[str, str]] = [
    ("html-id-encoded-traversal", "/documents/..%2F..%2F..%2Fetc%2Fpasswd"),
    ("html-id-raw-traversal", "/documents/../../../etc/passwd"),
    ("html-id-nul", "/documents/nkr-bipolar%00"),
    ("html-id-markup", "/documents/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("html-id-crlf", "/documents/a%0D%0ASet-Cookie:%20pwned=1"),
    ("html-id-uppercase", "/documents/NKR-BIPOLAR"),
    ("html-id-unicode", "/documents/nkr-bip%C3%B8lar"),
    ("html-id-very-long", "/documents/" + "a" * 5000),
    ("html-id-history-traversal", "/documents/..%2F..%2Fetc/history"),
    ("html-organisation-traversal", "/organisations/..%2F..%2Fetc%2Fpasswd"),
    ("html-static-raw-traversal", "/static/../../../../../etc/passwd"),
    ("html-static-encoded-traversal", "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
    ("html-static-encoded-slash", "/static/..%2f..%2f..%2f..%2fetc%2fpasswd"),
    ("html-static-absolute", "/static//etc/passwd"),
    ("html-cell-traversal", "/planning/cell?area=..%2F..%2Fetc%2Fpasswd"),
    ("html-export-format", "/exports/coverage.csv%00.html"),
    ("html-export-graph-format", "/exports/graph.xml"),
]

# (id, next= value): /lang may only send the browser to a page of this service.
REDIRECTS: list[tuple[str, str]] = [
    ("html-redirect-protocol-relative", "//evil.example/"),
    ("html-redirect-backslash", "/\\evil.example/"),
    ("html-redirect-absolute", "https://evil.example/"),
    ("html-redirect-javascript", "javascript:alert(1)"),
    ("html-redirect-tab", "/\t/evil.example/"),
    ("html-redirect-encoded-slash", "/%2F/evil.example/"),
    ("html-redirect-crlf", "/planning\r\nSet-Cookie: pwned=1"),
]


class Page(HTMLParser):
    """Elements, attributes, scripts and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


def assert_inert(html: str) -> Page:
    """Fail if *html* holds anything that could run: handlers, scripts, javascript: URLs."""
    page = Page()
    page.feed(html)
    for tag, attrs in page.elements:
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> has event handler attributes {handlers}"
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:text/html")), f"<{tag} {name}={value!r}>"
        assert not (tag == "img" and attrs.get("src") == "x"), "an <img> from the data"
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/ld+json":
            assert "</" not in body and "<" not in body, "markup inside a JSON-LD block"
            json.loads(body)
        else:
            assert attrs.get("src", "") and str(attrs["src"]).startswith("/static/"), f"inline script: {body[:80]!r}"
    return page


@pytest.mark.parametrize(("case", "path", "shown"), PAGES, ids=[case for case, _, _ in PAGES])
def test_markup_in_data_and_parameters_shows_as_text(
    case: str, path: str, shown: tuple[str, ...], hostile_server: str, answered: Answer
) -> None:
    response = httpx.get(hostile_server + path, headers={"Accept": "text/html"}, timeout=120)
    assert response.status_code < 500
    assert response.headers["content-type"].startswith("text/html")
    page = assert_inert(response.text)
    # Shown as text, or as the value of a form field (the draft's own title).
    values = [value or "" for _, attrs in page.elements for value in attrs.values()]
    text = " ".join(" ".join([*page.text, *values]).split())
    for payload in shown:
        assert " ".join(payload.split()) in text, f"{payload!r} is not shown as text"
    answered("html", case, "escaped: shown as text, no element, handler or script from the data")


def _raw_get(url: str, target: str) -> tuple[int, dict[str, str], bytes]:
    """Send *target* exactly as written (clients would normalise ../ and encodings)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(("case", "target"), ODD_TARGETS, ids=[case for case, _ in ODD_TARGETS])
def test_odd_ids_and_paths_are_refused_never_5xx(
    case: str, target: str, hostile_server: str, secret: Secret, answered: Answer
) -> None:
    status, headers, body = _raw_get(hostile_server, target)
    assert 400 <= status < 500, (status, body[:300])
    assert b"root:" not in body and secret.text.encode() not in body
    assert "set-cookie" not in headers
    answered("html", case, f"refused {status}, never 5xx, no file content")


@pytest.mark.parametrize(("case", "target"), REDIRECTS, ids=[case for case, _ in REDIRECTS])
def test_language_switch_only_redirects_to_this_service(
    case: str, target: str, hostile_server: str, answered: Answer
) -> None:
    response = httpx.get(f"{hostile_server}/lang", params={"set": "en", "next": target}, timeout=10)
    assert response.status_code in (303, 422), response.text
    if response.status_code == 303:
        location = response.headers["location"]
        resolved = httpx.URL(hostile_server).join(location)
        assert resolved.host == "127.0.0.1" and resolved.port == httpx.URL(hostile_server).port, location
        assert not location.startswith(("//", "/\\")) and "\r" not in location and "\n" not in location
        assert "pwned" not in response.headers.get("set-cookie", "")
    answered("html", case, f"{response.status_code}: stays on this service")


def test_no_payload_runs_in_a_real_browser(hostile_server: str, browser: Any, answered: Answer) -> None:
    context = browser.new_context()
    # Init scripts run before the page's own, so every CSP violation is recorded too.
    context.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));"
    )
    dialogs: list[str] = []
    try:
        for case, path, _ in PAGES:
            page = context.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(hostile_server + path, wait_until="load", timeout=60_000)
            assert page.evaluate("window.__violations") == [], case
            page.close()
    finally:
        context.close()
    assert dialogs == [], f"alert() ran: {dialogs}"
    answered("html", "html-browser", "Chromium: no alert() ran and no CSP violation on any page")
