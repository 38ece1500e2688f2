"""/health over real HTTP reports the real size of the registry being served."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from graph.store.core import Store
from tests.api.conftest import start_server


def test_health_reports_the_shipped_registry(server: str, registry_store: Store) -> None:
    body = httpx.get(f"{server}/health").json()
    assert body == {
        "status": "ok",
        "documents": registry_store.document_count(),
        "triples": registry_store.triple_count(),
    }
    assert body["documents"] >= 110


@pytest.mark.slow  # two real servers, one after the other
def test_server_on_a_persistent_store_keeps_what_was_loaded(tmp_path: Path) -> None:
    spec = f"oxigraph:{tmp_path / 'db'}"
    for _ in range(2):
        process, url = start_server("--store", spec)
        try:
            body = httpx.get(f"{url}/health").json()
        finally:
            process.terminate()
            process.wait(timeout=10)
        assert body["documents"] >= 110
