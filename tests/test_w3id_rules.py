"""The w3id redirect rules shipped in w3id/.htaccess send every IRI the graph mints to a path the service answers."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from starlette.routing import Match

from api.main import Settings, create_app
from graph.analysis.linked_data import INSTANCE_KINDS, VOCABULARY_KINDS
from graph.store.namespaces import VOCAB

RULES_FILE = Path(__file__).resolve().parents[1] / "w3id" / ".htaccess"
RULE = re.compile(r"^RewriteRule\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]\s*$")


def rules() -> list[tuple[re.Pattern[str], str, str]]:
    """The (pattern, target, flags) of each RewriteRule, in order (Apache applies the first that matches, L)."""
    found = []
    for line in RULES_FILE.read_text(encoding="utf-8").splitlines():
        match = RULE.match(line.strip())
        if match:
            found.append((re.compile(match.group(1)), match.group(2), match.group(3)))
    return found


def redirect(path: str) -> tuple[str, str] | None:
    """Where the rules send a path under w3id.org/retningsgraf/ (without the leading slash), and with what flags."""
    for pattern, target, flags in rules():
        match = pattern.match(path)
        if match:
            return match.expand(re.sub(r"\$(\d)", r"\\\1", target)), flags
    return None


@pytest.fixture(scope="module")
def app_client() -> TestClient:
    with TestClient(create_app(Settings(warm=False))) as client:
        yield client


def routed(client: TestClient, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in client.app.routes)


def test_every_rule_is_a_303_to_one_service_host() -> None:
    found = rules()
    assert len(found) >= 6
    assert {urlsplit(target).netloc for _, target, _ in found} == {"retningsgraf.example.org"}
    assert all("R=303" in flags and "L" in flags.split(",") for _, _, flags in found)


def test_every_iri_kind_has_a_rule_to_a_service_route(app_client: TestClient) -> None:
    for kind in (*INSTANCE_KINDS, *VOCABULARY_KINDS):
        sent = redirect(f"{kind}/example-id")
        assert sent is not None, kind
        assert routed(app_client, urlsplit(sent[0]).path), sent
    for path in ("ontology", "ontology/GuidingDocument", "shapes", ""):
        sent = redirect(path)
        assert sent is not None and routed(app_client, urlsplit(sent[0]).path), path


@pytest.mark.slow  # one request per minted IRI (about 700)
def test_every_minted_iri_is_redirected_to_a_path_the_service_answers(app_client: TestClient) -> None:
    graph = Graph().parse(data=app_client.get("/exports/graph.nt").text, format="nt")
    iris = {str(t).split("#", 1)[0] for triple in graph for t in triple if isinstance(t, URIRef)}
    ours = sorted(iri for iri in iris if iri.startswith(VOCAB))
    assert len(ours) > 600
    unanswered = []
    for iri in ours:
        sent = redirect(iri[len(VOCAB) :])
        target = urlsplit(sent[0]).path if sent else None
        if target is None or app_client.get(target, headers={"Accept": "text/turtle"}).status_code != 200:
            unanswered.append((iri, target))
    assert unanswered == []
