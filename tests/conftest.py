"""Shared fixtures: stores with the vocabulary, with test data, with the shipped registry, or a synthetic landscape."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.model.landscape import landscape
from graph.store.core import Store
from graph.store.spec import open_store
from loaders.ingest import ensure_seeded, load_files, vocabulary_writes
from loaders.synth import write_synthetic

DATA = Path(__file__).parent / "data"
# Fixtures that start a real server or build a 3,000-document landscape: a test using one is slow
# (``make test-fast`` leaves it out; ``make test`` runs it).
SLOW_FIXTURES = {
    "server",
    "copies_server",
    "limited_server",
    "lanes_server",
    "slow_server",
    "synthetic_3k_file",
    "synthetic_3k_store",
    "virtuoso_api",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def store() -> Store:
    """An in-memory store holding only the ontology and schemes."""
    store = open_store("memory")
    store.write(vocabulary_writes(store))
    return store


@pytest.fixture
def family_store(store: Store) -> Store:
    """The vocabulary plus the small test registry file with its own organisations."""
    load_files(store, [DATA / "loaders" / "family.yaml"], progress=False)
    return store


@pytest.fixture(scope="session")
def registry_store() -> Store:
    """The shipped registry in memory, as `retningsgraf serve` serves it (do not write to it)."""
    store = open_store("memory")
    ensure_seeded(store)
    return store


@pytest.fixture(scope="session")
def synthetic_3k_file(registry_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic landscape of 3,000 documents (seed 1), the size the equality tests run at, written once."""
    path = tmp_path_factory.mktemp("synthetic") / "landscape-3000.ttl"
    write_synthetic(landscape(registry_store), 3000, 1, path, registry_store.minter)
    return path


@pytest.fixture(scope="session")
def synthetic_3k_store(synthetic_3k_file: Path) -> Store:
    """The shipped registry plus the 3,000 synthetic documents, in memory (do not write to it).

    Shared by the session: loading it takes seconds on the CI's two cores.  A test that writes
    loads ``synthetic_3k_file`` into a store of its own.
    """
    store = open_store("memory")
    ensure_seeded(store)
    load_files(store, [synthetic_3k_file], progress=False)
    return store


# A real browser -----------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Return the Chromium executable to drive, if there is one."""
    return os.environ.get("RETNINGSGRAF_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium for the whole session: one per process, as Playwright's sync API allows only one.

    The page tests (tests/web) and the hostile pages test share it, whichever a test worker runs first.
    """
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        executable = None
    if executable is None:
        if os.environ.get("RETNINGSGRAF_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium or Playwright, and RETNINGSGRAF_REQUIRE_BROWSER=1")
        pytest.skip("no Chromium (apt-get install chromium) or Playwright (pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
