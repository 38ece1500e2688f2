"""The hostile file corpus through ``POST /import`` on a real server, with an edit token.

Every refused case must be answered 4xx with the reason in the body, leave the graph as it
was (quads and documents counted around each case, and the N-Triples export compared before
the first and after the last, as one export takes a second), never touch the loopback listener
and never show the secret file's text; the harmless ones are imported without reading anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import start_server, stop
from tests.hostile.conftest import Answer, Listener, Secret
from tests.hostile.corpus import FILE_CASES, FileCase

pytestmark = pytest.mark.slow

EDITOR = "i" * 24
AS_EDITOR = {"Authorization": f"Bearer {EDITOR}"}
REFUSED = [case for case in FILE_CASES if case.refusal]
ACCEPTED = [case for case in FILE_CASES if not case.refusal]


@pytest.fixture(scope="module")
def importer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on its own persistent store, with an edit token."""
    store = tmp_path_factory.mktemp("import") / "db"
    process, url = start_server("--store", f"oxigraph:{store}", env={"RETNINGSGRAF_TOKENS": f"imp:edit:{EDITOR}"})
    try:
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def before(importer: str) -> bytes:
    """The graph's export before any hostile import."""
    return _dump(importer)


def _counts(url: str) -> dict[str, object]:
    return dict(httpx.get(f"{url}/health", timeout=60).json())


def _dump(url: str) -> bytes:
    response = httpx.get(f"{url}/exports/graph.nt", timeout=120)
    assert response.status_code == 200
    return response.content


def _import(url: str, path: Path) -> httpx.Response:
    with path.open("rb") as body:  # streamed: the 64 MiB case is not held twice in this process
        return httpx.post(f"{url}/import", params={"name": path.name}, content=body, headers=AS_EDITOR, timeout=300)


@pytest.mark.parametrize("case", REFUSED, ids=lambda case: case.id)
def test_import_refuses_the_file_with_a_4xx_naming_the_problem_and_changes_nothing(
    case: FileCase,
    importer: str,
    before: bytes,
    corpus_files: Callable[[FileCase], Path],
    listener: Listener,
    secret: Secret,
    answered: Answer,
) -> None:
    path = corpus_files(case)
    counts = _counts(importer)
    response = _import(importer, path)
    assert 400 <= response.status_code < 500, response.text[:500]
    assert case.refusal in response.text, response.text[:500]
    assert secret.text not in response.text
    assert _counts(importer) == counts, "a refused import must leave the graph as it was"
    listener.assert_untouched()
    answered(case.cls, case.id, f"POST /import: {response.status_code} naming the problem, graph unchanged")


def test_after_every_refused_import_the_graph_is_exactly_as_before(importer: str, before: bytes) -> None:
    assert _dump(importer) == before


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: case.id)
def test_import_takes_harmless_files_without_reading_anything(
    case: FileCase,
    importer: str,
    corpus_files: Callable[[FileCase], Path],
    listener: Listener,
    secret: Secret,
    answered: Answer,
) -> None:
    response = _import(importer, corpus_files(case))
    assert response.status_code == 200, response.text[:500]
    assert response.json()[0]["triples"] > 0
    assert secret.text.encode() not in _dump(importer)
    listener.assert_untouched()
    answered(case.cls, case.id, "POST /import: 200, names only, nothing read or fetched")
