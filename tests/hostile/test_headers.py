"""Security headers on every response and CORS only for configured origins, through a real uvicorn."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest

from api.cli import build_parser
from api.main import operator_settings
from api.security import DATA_POLICY, PAGE_POLICY, cors_origins_from_env
from tests.api.conftest import start_server, stop

pytestmark = pytest.mark.slow

ALLOWED = "https://intra.example.dk"
OTHER = "https://evil.example"
PAGES = [
    "/",
    "/planning",
    "/planning/cell?area=F32",
    "/planning/overlaps",
    "/planning/check?title=depression",
    "/planning/sparql",
    "/documents/nkr-bipolar?format=html",
]
DATA = ["/health", "/documents?limit=1", "/sparql?query=ASK%20%7B%7D", "/exports/coverage.csv", "/openapi.json"]
ERRORS = ["/no-such-page", "/documents/NOT-AN-ID", "/planning?valid_on=never"]


@pytest.fixture(scope="module")
def cors_server() -> Iterator[str]:
    """A server allowing exactly one browser origin, set in RETNINGSGRAF_CORS_ORIGINS."""
    process, url = start_server(env={"RETNINGSGRAF_CORS_ORIGINS": f" {ALLOWED}/ ,"})
    try:
        yield url
    finally:
        stop(process)


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def _assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert _directives(response.headers["content-security-policy"])["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_forbid_inline_script_framing_and_sniffing(hostile_server: str, path: str) -> None:
    response = httpx.get(hostile_server + path, headers={"Accept": "text/html"}, timeout=120)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    _assert_common(response)
    policy = _directives(response.headers["content-security-policy"])
    assert policy == _directives(PAGE_POLICY)
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    # The policy fits the page: every executable script is a file of this service.
    for attrs in re.findall(r"<script\b([^>]*)>", response.text):
        assert 'src="/static/' in attrs or 'type="application/ld+json"' in attrs, attrs


def test_swagger_ui_may_run_exactly_its_own_inline_script(hostile_server: str) -> None:
    response = httpx.get(f"{hostile_server}/docs", timeout=30)
    _assert_common(response)
    sources = _directives(response.headers["content-security-policy"])["script-src"]
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert sources == ["'self'", f"'sha256-{digest}'"]
    page = httpx.get(f"{hostile_server}/planning", timeout=60).headers["content-security-policy"]
    assert "sha256" not in page, "the hash is allowed on /docs only"


@pytest.mark.parametrize("path", DATA + ERRORS)
def test_data_and_errors_may_not_run_or_load_anything(hostile_server: str, path: str) -> None:
    response = httpx.get(hostile_server + path, timeout=60)
    _assert_common(response)
    if not response.headers["content-type"].startswith("text/html"):
        assert response.headers["content-security-policy"] == DATA_POLICY


def test_svg_may_style_itself_but_not_run(hostile_server: str) -> None:
    response = httpx.get(f"{hostile_server}/exports/coverage.svg", timeout=60)
    _assert_common(response)
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"] and "script-src" not in policy


def test_cors_is_off_by_default(hostile_server: str) -> None:
    simple = httpx.get(f"{hostile_server}/health", headers={"Origin": ALLOWED}, timeout=10)
    assert "access-control-allow-origin" not in simple.headers
    preflight = httpx.options(
        f"{hostile_server}/documents",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert not any(name.startswith("access-control-") for name in preflight.headers)


def test_cors_answers_only_the_configured_origin(cors_server: str) -> None:
    preflight = httpx.options(
        f"{cors_server}/documents",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, if-match, content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers
    _assert_common(preflight)
    simple = httpx.get(f"{cors_server}/health", headers={"Origin": ALLOWED}, timeout=10)
    assert simple.headers["access-control-allow-origin"] == ALLOWED
    assert "origin" in simple.headers.get("vary", "").lower()

    refused = httpx.options(
        f"{cors_server}/documents", headers={"Origin": OTHER, "Access-Control-Request-Method": "PUT"}, timeout=10
    )
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    other = httpx.get(f"{cors_server}/health", headers={"Origin": OTHER}, timeout=10)
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_come_from_the_option_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cors_origins_from_env({}) == ()
    assert cors_origins_from_env({"RETNINGSGRAF_CORS_ORIGINS": "https://a.dk/, ,https://b.dk"}) == (
        "https://a.dk",
        "https://b.dk",
    )
    args = build_parser().parse_args(["serve", "--cors-origin", "https://a.dk", "--cors-origin", "https://b.dk"])
    assert args.cors_origin == ["https://a.dk", "https://b.dk"]
    monkeypatch.setenv("RETNINGSGRAF_CORS_ORIGINS", "https://env.dk")
    assert operator_settings().cors_origins == ("https://env.dk",)
    assert operator_settings(cors_origins=("https://a.dk",)).cors_origins == ("https://a.dk",)
    monkeypatch.delenv("RETNINGSGRAF_CORS_ORIGINS")
    assert operator_settings().cors_origins == ()
