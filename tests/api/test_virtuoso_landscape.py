"""On a 1,000-document synthetic landscape, the API on Virtuoso answers as on the embedded store.

``test_stores_answer_alike.py`` holds every store to the recorded answers on the shipped registry;
this test holds Virtuoso to the embedded store where there is far more to get wrong: the registry
plus 1,000 synthetic documents, loaded the same way into both, and the analyses a planner reads
(coverage, gaps, the draft check, overlaps, validation) compared answer for answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api import golden
from tests.api.conftest import running_virtuoso, start_server, stop

pytestmark = pytest.mark.slow

ASKS = [
    golden.Ask("GET", "/coverage"),
    golden.Ask("GET", "/gaps", (("limit", "5000"),)),
    golden.Ask("GET", "/overlaps", (("limit", "10000"),)),
    golden.Ask("GET", "/validation"),
    *(golden.Ask("POST", "/overlaps/check", body=json.dumps(draft, ensure_ascii=False)) for draft in golden.DRAFTS),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    """The API on an embedded store and on Virtuoso, each holding the registry and the same 1,000 documents."""
    with tempfile.TemporaryDirectory(prefix="retningsgraf-1k-") as folder, running_virtuoso() as backend:
        synthetic = Path(folder) / "landscape-1000.ttl"
        _cli("synth", "--documents", "1000", "--seed", "1", "--out", str(synthetic))
        # The operator's own commands: each store is seeded with the registry, then the file loaded.
        for spec in (f"oxigraph:{folder}/store", backend.store_spec):
            _cli("load", "--store", spec, str(synthetic))
        env = {"PYTHONHASHSEED": "0"}
        unlimited = ("--read-budget", "0", "--max-items", "0")  # on two shared cores the pairs take seconds
        first, embedded_url = start_server("--store", f"oxigraph:{folder}/store", *unlimited, env=env)
        try:
            second, virtuoso_url = start_server("--store", backend.store_spec, *unlimited, env=env)
            try:
                yield embedded_url, virtuoso_url
            finally:
                stop(second)
        finally:
            stop(first)


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "api.cli", *args], check=True, capture_output=True, timeout=600)


@pytest.mark.parametrize("ask", ASKS, ids=lambda ask: ask.key[:60])
def test_virtuoso_answers_as_the_embedded_store_on_a_1k_landscape(servers: tuple[str, str], ask: golden.Ask) -> None:
    embedded_url, virtuoso_url = servers
    with (
        httpx.Client(base_url=embedded_url, timeout=300) as embedded,
        httpx.Client(base_url=virtuoso_url, timeout=300) as virtuoso,
    ):
        expected, got = golden.answer(embedded, ask), golden.answer(virtuoso, ask)
    assert expected["status"] == 200
    assert got["body"] == expected["body"]
